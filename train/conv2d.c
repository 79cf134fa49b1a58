/* conv2d.c — convolution forward and backward.
 *
 * Two implementations of the same arithmetic:
 *
 *  - the reference (conv2d_set_reference(TRUE), or SRGAN_TRAIN_REFERENCE=1
 *    in the environment): im2col + one OpenBLAS sgemm per chunk of the
 *    whole batch, as described below, on the calling thread;
 *
 *  - the default: the same im2col code, but one image per work item on the
 *    trainer's workers (parallel.h), with single-threaded BLAS inside and
 *    per-worker weight-gradient sums added up at the end; and, for stride
 *    1, the forward pass and the input gradient on the core's convolution
 *    kernels (core/conv.h: Winograd F(4×4,3×3) or direct AVX2, whichever
 *    the core picks for the shape) whenever the core has a fast kernel for
 *    it.  The input gradient of a 'same' stride-1 convolution is itself a
 *    'same' convolution of the output gradient, with the kernel turned by
 *    180° and its input and output channels swapped:
 *      din[ci](y, x) = Σ_{co,ky,kx} W[co][ci][ky][kx] · dout[co](y−ky+p, x−kx+p)
 *                    = Σ_{co,ky,kx} W[co][ci][k−1−ky][k−1−kx] · dout[co](y+ky−p, x+kx−p).
 *    The core's kernels take HWC images (channels fastest), so each image
 *    is transposed from and back to CNHW around the call; that is two
 *    passes over memory against a convolution that is compute-bound.
 *    The core weights are rebuilt from Param.value on every call, so they
 *    can never lag behind an Adam step (a few microseconds against the
 *    milliseconds of the convolution).
 *
 * The batch's output columns (every sample, row and column: N·Ho·Wo of
 * them) are processed in chunks so that the im2col matrix stays near
 * COL_BUDGET floats: a 9×9 conv at 96×96 on a batch of 16 would otherwise
 * need a 3 GB column matrix.  Because the layout is CNHW, a chunk of
 * columns is a contiguous range of every output channel's row, so sgemm
 * writes it in place through its leading dimension.
 */
#include "layers.h"
#include "parallel.h"
#include "conv.h"          /* the core's kernels (srgan_internal_dep) */
#include "conv-fast-private.h"   /* SrganFastKind, for conv2d_path() */

#include <cblas.h>
#include <math.h>
#include <string.h>

#define COL_BUDGET ((size_t)8 << 20)   /* floats (32 MB) per im2col chunk */

void conv2d_init(Conv2d *conv, ParamList *params, const char *name,
                 int cin, int cout, int k, int stride)
{
    conv->cin = cin;
    conv->cout = cout;
    conv->k = k;
    conv->stride = stride;
    conv->pad = k / 2;
    conv->weight = param_list_add(params, TRUE, 4, (int[]){cout, cin, k, k},
                                  "%s.weight", name);
    conv->bias = param_list_add(params, TRUE, 1, (int[]){cout}, "%s.bias", name);
}

void conv2d_randomize(Conv2d *conv, Rng *rng)
{
    float bound = 1.0f / sqrtf((float)(conv->cin * conv->k * conv->k));
    for (size_t i = 0; i < conv->weight->n; i++)
        conv->weight->value[i] = (float)(2.0 * rng_uniform(rng) - 1.0) * bound;
    for (size_t i = 0; i < conv->bias->n; i++)
        conv->bias->value[i] = (float)(2.0 * rng_uniform(rng) - 1.0) * bound;
}

void conv2d_output_size(const Conv2d *conv, int h, int w, int *ho, int *wo)
{
    *ho = (h + 2 * conv->pad - conv->k) / conv->stride + 1;
    *wo = (w + 2 * conv->pad - conv->k) / conv->stride + 1;
}

/* Geometry of one call, shared by im2col and col2im. */
typedef struct {
    int cin, k, stride, pad;
    int n, h, w, ho, wo;
} Geometry;

static Geometry geometry(const Conv2d *conv, const Tensor *in)
{
    Geometry g = {conv->cin, conv->k, conv->stride, conv->pad,
                  in->n, in->h, in->w, 0, 0};
    conv2d_output_size(conv, in->h, in->w, &g.ho, &g.wo);
    return g;
}

/* Walks output columns [j0, j1) one output row segment at a time and calls
 * the body with the segment's input row base and its first output column
 * x0 and column count. */
#define FOR_EACH_SEGMENT(g, j0, j1, BODY)                                      \
    do {                                                                       \
        int hw_ = (g)->ho * (g)->wo;                                           \
        for (size_t j_ = (j0); j_ < (j1);) {                                   \
            int n_ = (int)(j_ / hw_);                                          \
            int rem_ = (int)(j_ % hw_);                                        \
            int oy_ = rem_ / (g)->wo, ox0_ = rem_ % (g)->wo;                   \
            int count_ = (g)->wo - ox0_;                                       \
            if ((size_t)count_ > (j1) - j_)                                    \
                count_ = (int)((j1) - j_);                                     \
            size_t colpos_ = j_ - (j0);                                        \
            BODY;                                                              \
            j_ += (size_t)count_;                                              \
        }                                                                      \
    } while (0)

/* col (cin·k·k rows, j1−j0 columns) = the input patches of columns [j0, j1). */
static void im2col(const Geometry *g, const float *in, size_t j0, size_t j1,
                   float *col)
{
    size_t cols = j1 - j0;
    size_t plane = (size_t)g->n * g->h * g->w;
    for (int ci = 0; ci < g->cin; ci++)
        for (int ky = 0; ky < g->k; ky++)
            for (int kx = 0; kx < g->k; kx++) {
                float *row = col + ((size_t)(ci * g->k + ky) * g->k + kx) * cols;
                const float *src = in + ci * plane;
                FOR_EACH_SEGMENT(g, j0, j1, {
                    float *dst = row + colpos_;
                    int iy = oy_ * g->stride - g->pad + ky;
                    if (iy < 0 || iy >= g->h) {
                        memset(dst, 0, (size_t)count_ * sizeof(float));
                    } else if (g->stride == 1) {
                        /* one contiguous run between zero margins */
                        const float *srow = src + ((size_t)n_ * g->h + iy) * g->w;
                        int shift = ox0_ - g->pad + kx;      /* ix of t = 0 */
                        int t0 = CLAMP(-shift, 0, count_);
                        int t1 = CLAMP(g->w - shift, t0, count_);
                        memset(dst, 0, (size_t)t0 * sizeof(float));
                        memcpy(dst + t0, srow + shift + t0, (size_t)(t1 - t0) * sizeof(float));
                        memset(dst + t1, 0, (size_t)(count_ - t1) * sizeof(float));
                    } else {
                        const float *srow = src + ((size_t)n_ * g->h + iy) * g->w;
                        for (int t = 0; t < count_; t++) {
                            int ix = (ox0_ + t) * g->stride - g->pad + kx;
                            dst[t] = (ix >= 0 && ix < g->w) ? srow[ix] : 0.0f;
                        }
                    }
                });
            }
}

/* din += the patches in col scattered back (the adjoint of im2col). */
static void col2im(const Geometry *g, const float *col, size_t j0, size_t j1,
                   float *din)
{
    size_t cols = j1 - j0;
    size_t plane = (size_t)g->n * g->h * g->w;
    for (int ci = 0; ci < g->cin; ci++)
        for (int ky = 0; ky < g->k; ky++)
            for (int kx = 0; kx < g->k; kx++) {
                const float *row = col + ((size_t)(ci * g->k + ky) * g->k + kx) * cols;
                float *dst = din + ci * plane;
                FOR_EACH_SEGMENT(g, j0, j1, {
                    const float *src = row + colpos_;
                    int iy = oy_ * g->stride - g->pad + ky;
                    if (iy >= 0 && iy < g->h && g->stride == 1) {
                        float *drow = dst + ((size_t)n_ * g->h + iy) * g->w;
                        int shift = ox0_ - g->pad + kx;
                        int t0 = CLAMP(-shift, 0, count_);
                        int t1 = CLAMP(g->w - shift, t0, count_);
                        float *d = drow + shift;
                        for (int t = t0; t < t1; t++)
                            d[t] += src[t];
                    } else if (iy >= 0 && iy < g->h) {
                        float *drow = dst + ((size_t)n_ * g->h + iy) * g->w;
                        for (int t = 0; t < count_; t++) {
                            int ix = (ox0_ + t) * g->stride - g->pad + kx;
                            if (ix >= 0 && ix < g->w)
                                drow[ix] += src[t];
                        }
                    }
                });
            }
}

static size_t chunk_columns(size_t rows, size_t total)
{
    size_t chunk = COL_BUDGET / rows;
    if (chunk < 256)
        chunk = 256;
    return chunk < total ? chunk : total;
}

/* ---- narrow convolutions: cout < cin, stride 1 ---------------------------
 * The generator's last layer (9×9, 64 → 3, at HR resolution) would need an
 * im2col matrix of 5184 rows per output pixel for a 3-row product.  Working
 * from the output side instead moves cout·k² = 243 rows:
 *   forward:  Y = Wf·X (rows (co, ky, kx), one column per pixel), then
 *             col2im(Y) over the output adds each row at its offset;
 *   backward: D = im2col(dout) (243 rows), dX = Wfᵀ·D, dWf += D·Xᵀ;
 * where Wf[(co, ky, kx)][ci] = W[co][ci][k−1−ky][k−1−kx] (the kernel turned
 * by 180°, since col2im/im2col place a row at +ky where the convolution
 * reads at −ky). */
static gboolean is_narrow(const Conv2d *conv)
{
    return conv->stride == 1 && conv->cout < conv->cin;
}

/* Geometry of im2col/col2im over the OUTPUT tensor (cout channels). */
static Geometry output_geometry(const Conv2d *conv, const Tensor *in)
{
    Geometry g = {conv->cout, conv->k, 1, conv->pad, in->n, in->h, in->w, in->h, in->w};
    return g;
}

static void flip_weights(const Conv2d *conv, float *wf)
{
    int k = conv->k, kk = k * k;
    for (int co = 0; co < conv->cout; co++)
        for (int ci = 0; ci < conv->cin; ci++)
            for (int t = 0; t < kk; t++)
                wf[((size_t)co * kk + t) * conv->cin + ci] =
                    conv->weight->value[((size_t)co * conv->cin + ci) * kk + (kk - 1 - t)];
}

static void narrow_forward(const Conv2d *conv, const Tensor *in, Tensor *out,
                           Scratch *scratch)
{
    Geometry g = output_geometry(conv, in);
    size_t rows = (size_t)conv->cout * conv->k * conv->k;
    size_t total = (size_t)in->n * in->h * in->w;
    size_t chunk = chunk_columns(rows, total);
    float *wf = scratch_get(scratch, rows * conv->cin + rows * chunk);
    float *y = wf + rows * conv->cin;
    flip_weights(conv, wf);
    tensor_reshape_zero(out, conv->cout, in->n, in->h, in->w);
    for (size_t j0 = 0; j0 < total; j0 += chunk) {
        size_t j1 = MIN(total, j0 + chunk);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    (int)rows, (int)(j1 - j0), conv->cin,
                    1.0f, wf, conv->cin, in->data + j0, (int)total,
                    0.0f, y, (int)(j1 - j0));
        col2im(&g, y, j0, j1, out->data);
    }
}

static void narrow_backward(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                            Tensor *din, gboolean param_grads, Scratch *scratch)
{
    Geometry g = output_geometry(conv, in);
    int kk = conv->k * conv->k;
    size_t rows = (size_t)conv->cout * kk;
    size_t total = (size_t)in->n * in->h * in->w;
    size_t chunk = chunk_columns(rows, total);
    float *wf = scratch_get(scratch, 2 * rows * conv->cin + rows * chunk);
    float *dwf = wf + rows * conv->cin;
    float *col = dwf + rows * conv->cin;
    flip_weights(conv, wf);
    memset(dwf, 0, rows * conv->cin * sizeof(float));
    if (din)
        tensor_reshape(din, in->c, in->n, in->h, in->w);
    for (size_t j0 = 0; j0 < total; j0 += chunk) {
        size_t j1 = MIN(total, j0 + chunk);
        int cols = (int)(j1 - j0);
        im2col(&g, dout->data, j0, j1, col);
        if (din)   /* dX(cin, cols) = Wfᵀ · D */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                        conv->cin, cols, (int)rows,
                        1.0f, wf, conv->cin, col, cols,
                        0.0f, din->data + j0, (int)total);
        if (param_grads)   /* dWf(rows, cin) += D · Xᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        (int)rows, conv->cin, cols,
                        1.0f, col, cols, in->data + j0, (int)total,
                        1.0f, dwf, conv->cin);
    }
    if (!param_grads)
        return;
    for (int co = 0; co < conv->cout; co++) {
        const float *row = dout->data + co * total;
        double sum = 0.0;
        for (size_t j = 0; j < total; j++)
            sum += row[j];
        conv->bias->grad[co] += (float)sum;
        for (int ci = 0; ci < conv->cin; ci++)
            for (int t = 0; t < kk; t++)
                conv->weight->grad[((size_t)co * conv->cin + ci) * kk + (kk - 1 - t)] +=
                    dwf[((size_t)co * kk + t) * conv->cin + ci];
    }
}

static void add_bias(const Conv2d *conv, Tensor *out)
{
    size_t total = (size_t)out->n * out->h * out->w;
    for (int co = 0; co < conv->cout; co++) {
        float b = conv->bias->value[co];
        float *row = out->data + co * total;
        for (size_t j = 0; j < total; j++)
            row[j] += b;
    }
}

/* ---- mode ---------------------------------------------------------------- */
static int reference_mode = -1;   /* -1: not decided yet (environment) */

void conv2d_set_reference(gboolean reference)
{
    reference_mode = reference ? 1 : 0;
}

gboolean conv2d_reference(void)
{
    if (reference_mode < 0) {
        const char *env = g_getenv("SRGAN_TRAIN_REFERENCE");
        reference_mode = env && *env && g_strcmp0(env, "0") != 0;
    }
    return reference_mode == 1;
}

/* ---- column ranges: the arithmetic both modes share ------------------------
 * Each takes output columns [a, b) (a whole batch, or one image's), works
 * through them in chunks of `chunk` columns with the caller's buffers, and
 * ADDS weight gradients into dw (NULL: none). */
static void forward_range(const Conv2d *conv, const Geometry *g, const float *in,
                          float *out, size_t total, size_t a, size_t b,
                          size_t chunk, float *col)
{
    size_t rows = (size_t)conv->cin * conv->k * conv->k;
    for (size_t j0 = a; j0 < b; j0 += chunk) {
        size_t j1 = MIN(b, j0 + chunk);
        im2col(g, in, j0, j1, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    conv->cout, (int)(j1 - j0), (int)rows,
                    1.0f, conv->weight->value, (int)rows, col, (int)(j1 - j0),
                    0.0f, out + j0, (int)total);
    }
}

/* din must be zero over the range's images beforehand (col2im adds). */
static void backward_range(const Conv2d *conv, const Geometry *g, const float *in,
                           const float *dout, float *din, float *dw, gboolean want_din,
                           size_t total, size_t a, size_t b, size_t chunk,
                           float *col, float *dcol)
{
    size_t rows = (size_t)conv->cin * conv->k * conv->k;
    for (size_t j0 = a; j0 < b; j0 += chunk) {
        size_t j1 = MIN(b, j0 + chunk);
        int cols = (int)(j1 - j0);
        if (dw) {
            im2col(g, in, j0, j1, col);
            /* dW(cout, rows) += dout(cout, cols) · colᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        conv->cout, (int)rows, cols,
                        1.0f, dout + j0, (int)total, col, cols,
                        1.0f, dw, (int)rows);
        }
        if (want_din) {
            /* dcol(rows, cols) = Wᵀ · dout(cout, cols) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                        (int)rows, cols, conv->cout,
                        1.0f, conv->weight->value, (int)rows,
                        dout + j0, (int)total,
                        0.0f, dcol, cols);
            col2im(g, dcol, j0, j1, din);
        }
    }
}

/* out must be zero over the range's images beforehand. */
static void narrow_forward_range(const Conv2d *conv, const Geometry *g, const float *wf,
                                 const float *in, float *out, size_t total,
                                 size_t a, size_t b, size_t chunk, float *y)
{
    size_t rows = (size_t)conv->cout * conv->k * conv->k;
    for (size_t j0 = a; j0 < b; j0 += chunk) {
        size_t j1 = MIN(b, j0 + chunk);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    (int)rows, (int)(j1 - j0), conv->cin,
                    1.0f, wf, conv->cin, in + j0, (int)total,
                    0.0f, y, (int)(j1 - j0));
        col2im(g, y, j0, j1, out);
    }
}

static void narrow_backward_range(const Conv2d *conv, const Geometry *g, const float *wf,
                                  const float *in, const float *dout, float *din,
                                  float *dwf, size_t total, size_t a, size_t b,
                                  size_t chunk, float *col)
{
    size_t rows = (size_t)conv->cout * conv->k * conv->k;
    for (size_t j0 = a; j0 < b; j0 += chunk) {
        size_t j1 = MIN(b, j0 + chunk);
        int cols = (int)(j1 - j0);
        im2col(g, dout, j0, j1, col);
        if (din)   /* dX(cin, cols) = Wfᵀ · D */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                        conv->cin, cols, (int)rows,
                        1.0f, wf, conv->cin, col, cols,
                        0.0f, din + j0, (int)total);
        if (dwf)   /* dWf(rows, cin) += D · Xᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        (int)rows, conv->cin, cols,
                        1.0f, col, cols, in + j0, (int)total,
                        1.0f, dwf, conv->cin);
    }
}

/* dWf (the narrow layout) added into the (cout, cin, k, k) gradient. */
static void add_narrow_grad(const Conv2d *conv, const float *dwf)
{
    int kk = conv->k * conv->k;
    for (int co = 0; co < conv->cout; co++)
        for (int ci = 0; ci < conv->cin; ci++)
            for (int t = 0; t < kk; t++)
                conv->weight->grad[((size_t)co * conv->cin + ci) * kk + (kk - 1 - t)] +=
                    dwf[((size_t)co * kk + t) * conv->cin + ci];
}

/* ---- HWC ⇄ CNHW for the core's kernels ------------------------------------ */
/* Blocks of pixels keep both the strided reads and the strided writes
 * within a few cache lines per channel. */
#define TRANSPOSE_BLOCK 32

/* hwc (hw, c) = image n of the CNHW tensor data (c, batch, hw). */
static void gather_hwc(const float *data, int c, int n, int batch, size_t hw, float *hwc)
{
    for (size_t p0 = 0; p0 < hw; p0 += TRANSPOSE_BLOCK) {
        size_t p1 = MIN(hw, p0 + TRANSPOSE_BLOCK);
        for (int ch = 0; ch < c; ch++) {
            const float *src = data + ((size_t)ch * batch + n) * hw;
            for (size_t p = p0; p < p1; p++)
                hwc[p * c + ch] = src[p];
        }
    }
}

static void scatter_hwc(const float *hwc, int c, int n, int batch, size_t hw, float *data)
{
    for (size_t p0 = 0; p0 < hw; p0 += TRANSPOSE_BLOCK) {
        size_t p1 = MIN(hw, p0 + TRANSPOSE_BLOCK);
        for (int ch = 0; ch < c; ch++) {
            float *dst = data + ((size_t)ch * batch + n) * hw;
            for (size_t p = p0; p < p1; p++)
                dst[p] = hwc[p * c + ch];
        }
    }
}

/* A core convolution built from the trainer's weights: transposed FALSE is
 * the layer itself, TRUE the input-gradient convolution (kernel turned by
 * 180°, cin and cout swapped, no bias).  Returns FALSE (and keeps nothing)
 * when the core has no fast kernel for that shape on this CPU: its
 * portable path is the same im2col + sgemm as ours, plus two transposes. */
typedef struct {
    SrganConv conv;
    float *weight, *bias;
} CoreConv;

static gboolean core_conv_build(const Conv2d *conv, gboolean transposed, CoreConv *cc)
{
    int k = conv->k, kk = k * k;
    int cin = transposed ? conv->cout : conv->cin;
    int cout = transposed ? conv->cin : conv->cout;
    cc->weight = g_new(float, (size_t)kk * cin * cout);
    cc->bias = g_new0(float, cout);
    const float *w = conv->weight->value;   /* (cout, cin, k, k) */
    for (int co = 0; co < conv->cout; co++)
        for (int ci = 0; ci < conv->cin; ci++)
            for (int t = 0; t < kk; t++) {
                float v = w[((size_t)co * conv->cin + ci) * kk + t];
                if (transposed)   /* (ky', kx', cin' = co, cout' = ci), t' = kk−1−t */
                    cc->weight[((size_t)(kk - 1 - t) * cin + co) * cout + ci] = v;
                else              /* (ky, kx, ci, co) */
                    cc->weight[((size_t)t * cin + ci) * cout + co] = v;
            }
    if (!transposed)
        memcpy(cc->bias, conv->bias->value, sizeof(float) * cout);
    cc->conv = (SrganConv){.cin = cin, .cout = cout, .ksize = k,
                           .weight = cc->weight, .bias = cc->bias};
    srgan_conv_prepare(&cc->conv);
    if (cc->conv.fast)
        return TRUE;
    g_free(cc->weight);
    g_free(cc->bias);
    return FALSE;
}

static void core_conv_clear(CoreConv *cc)
{
    srgan_conv_release(&cc->conv);
    g_free(cc->weight);
    g_free(cc->bias);
}

/* One image through a core convolution: CNHW image n of src (cin channels)
 * → CNHW image n of dst (cout channels), 'same' size. */
static void core_conv_image(const CoreConv *cc, const float *src, float *dst,
                            int n, int batch, int h, int w, Scratch *scratch)
{
    size_t hw = (size_t)h * w;
    int cin = cc->conv.cin, cout = cc->conv.cout;
    size_t ws = srgan_conv_workspace_floats(&cc->conv, h, w);
    float *in = scratch_get(scratch, hw * cin + hw * cout + ws);
    float *out = in + hw * cin;
    gather_hwc(src, cin, n, batch, hw, in);
    srgan_conv_forward(&cc->conv, in, h, w, out, NULL, out + hw * cout);
    scatter_hwc(out, cout, n, batch, hw, dst);
}

/* ---- the threaded path ------------------------------------------------------ */
static Scratch worker_scratch[TRAIN_MAX_WORKERS];   /* columns, HWC images */
static Scratch worker_sums[TRAIN_MAX_WORKERS];      /* weight-gradient sums */

typedef struct {
    const Conv2d *conv;
    Geometry g;
    const Tensor *in, *dout;
    Tensor *out, *din;
    const CoreConv *core;       /* forward or input-gradient kernel, or NULL */
    const float *wf;            /* narrow layout weights, or NULL */
    size_t total, per_image, chunk, sum_floats;
    gboolean want_dw;
    gboolean used[TRAIN_MAX_WORKERS];
} ConvJob;

/* The worker's weight-gradient sum, zeroed on its first item of a job. */
static float *worker_sum(ConvJob *job, int worker)
{
    float *sum = scratch_get(&worker_sums[worker], job->sum_floats);
    if (!job->used[worker]) {
        memset(sum, 0, job->sum_floats * sizeof(float));
        job->used[worker] = TRUE;
    }
    return sum;
}

static void forward_item(void *data, int n, int worker)
{
    ConvJob *job = data;
    const Conv2d *conv = job->conv;
    size_t a = (size_t)n * job->per_image, b = a + job->per_image;
    Scratch *scratch = &worker_scratch[worker];
    if (job->core) {
        core_conv_image(job->core, job->in->data, job->out->data, n, job->in->n,
                        job->in->h, job->in->w, scratch);
    } else if (job->wf) {
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        narrow_forward_range(conv, &job->g, job->wf, job->in->data, job->out->data,
                             job->total, a, b, job->chunk,
                             scratch_get(scratch, rows * job->chunk));
    } else {
        size_t rows = (size_t)conv->cin * conv->k * conv->k;
        forward_range(conv, &job->g, job->in->data, job->out->data, job->total,
                      a, b, job->chunk, scratch_get(scratch, rows * job->chunk));
    }
}

static void backward_item(void *data, int n, int worker)
{
    ConvJob *job = data;
    const Conv2d *conv = job->conv;
    size_t a = (size_t)n * job->per_image, b = a + job->per_image;
    Scratch *scratch = &worker_scratch[worker];
    float *sum = job->want_dw ? worker_sum(job, worker) : NULL;
    if (job->wf) {
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        narrow_backward_range(conv, &job->g, job->wf, job->in->data, job->dout->data,
                              job->din ? job->din->data : NULL, sum, job->total,
                              a, b, job->chunk, scratch_get(scratch, rows * job->chunk));
        return;
    }
    size_t rows = (size_t)conv->cin * conv->k * conv->k;
    gboolean din_here = job->din && !job->core;
    if (sum || din_here) {
        float *col = scratch_get(scratch, 2 * rows * job->chunk);
        backward_range(conv, &job->g, job->in->data, job->dout->data,
                       job->din ? job->din->data : NULL, sum, din_here, job->total,
                       a, b, job->chunk, col, col + rows * job->chunk);
    }
    if (job->din && job->core)
        core_conv_image(job->core, job->dout->data, job->din->data, n, job->in->n,
                        job->in->h, job->in->w, scratch);
}

/* Adds every used worker's sum into dst (count floats). */
static void reduce_sums(const ConvJob *job, float *dst, size_t count)
{
    for (int wk = 0; wk < TRAIN_MAX_WORKERS; wk++)
        if (job->used[wk]) {
            const float *sum = worker_sums[wk].data;
            for (size_t i = 0; i < count; i++)
                dst[i] += sum[i];
        }
}

typedef struct {
    const Tensor *t;
    float *values;
} ChannelJob;

static void bias_grad_item(void *data, int co, G_GNUC_UNUSED int worker)
{
    ChannelJob *job = data;
    size_t total = (size_t)job->t->n * job->t->h * job->t->w;
    const float *row = job->t->data + co * total;
    double sum = 0.0;
    for (size_t j = 0; j < total; j++)
        sum += row[j];
    job->values[co] += (float)sum;
}

static void add_bias_item(void *data, int co, G_GNUC_UNUSED int worker)
{
    ChannelJob *job = data;
    size_t total = (size_t)job->t->n * job->t->h * job->t->w;
    float b = job->values[co];
    float *row = job->t->data + co * total;
    for (size_t j = 0; j < total; j++)
        row[j] += b;
}

/* ---- entry points ---------------------------------------------------------- */
static void reference_forward(const Conv2d *conv, const Tensor *in, Tensor *out,
                              Scratch *scratch)
{
    if (is_narrow(conv)) {
        narrow_forward(conv, in, out, scratch);
        add_bias(conv, out);
        return;
    }
    Geometry g = geometry(conv, in);
    tensor_reshape(out, conv->cout, in->n, g.ho, g.wo);
    size_t rows = (size_t)conv->cin * conv->k * conv->k;
    size_t total = (size_t)in->n * g.ho * g.wo;
    size_t chunk = chunk_columns(rows, total);
    forward_range(conv, &g, in->data, out->data, total, 0, total, chunk,
                  scratch_get(scratch, rows * chunk));
    add_bias(conv, out);
}

static void reference_backward(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                               Tensor *din, gboolean param_grads, Scratch *scratch)
{
    if (is_narrow(conv)) {
        narrow_backward(conv, in, dout, din, param_grads, scratch);
        return;
    }
    Geometry g = geometry(conv, in);
    g_assert(dout->c == conv->cout && dout->h == g.ho && dout->w == g.wo);
    size_t rows = (size_t)conv->cin * conv->k * conv->k;
    size_t total = (size_t)in->n * g.ho * g.wo;
    size_t chunk = chunk_columns(rows, total);
    float *col = scratch_get(scratch, 2 * rows * chunk);
    if (din)
        tensor_reshape_zero(din, in->c, in->n, in->h, in->w);
    if (param_grads) {
        ChannelJob job = {dout, conv->bias->grad};
        for (int co = 0; co < conv->cout; co++)
            bias_grad_item(&job, co, 0);
    }
    backward_range(conv, &g, in->data, dout->data, din ? din->data : NULL,
                   param_grads ? conv->weight->grad : NULL, din != NULL,
                   total, 0, total, chunk, col, col + rows * chunk);
}

void conv2d_forward(const Conv2d *conv, const Tensor *in, Tensor *out,
                    Scratch *scratch)
{
    g_assert(in->c == conv->cin);
    if (conv2d_reference()) {
        reference_forward(conv, in, out, scratch);
        return;
    }
    ConvJob job = {.conv = conv, .in = in, .out = out};
    CoreConv core;
    if (conv->stride == 1 && core_conv_build(conv, FALSE, &core)) {
        job.core = &core;
        tensor_reshape(out, conv->cout, in->n, in->h, in->w);
    } else if (is_narrow(conv)) {
        job.g = output_geometry(conv, in);
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        job.per_image = (size_t)in->h * in->w;
        job.chunk = chunk_columns(rows, job.per_image);
        float *wf = scratch_get(scratch, rows * conv->cin);
        flip_weights(conv, wf);
        job.wf = wf;
        tensor_reshape_zero(out, conv->cout, in->n, in->h, in->w);
    } else {
        job.g = geometry(conv, in);
        size_t rows = (size_t)conv->cin * conv->k * conv->k;
        job.per_image = (size_t)job.g.ho * job.g.wo;
        job.chunk = chunk_columns(rows, job.per_image);
        tensor_reshape(out, conv->cout, in->n, job.g.ho, job.g.wo);
    }
    job.total = (size_t)in->n * out->h * out->w;
    train_parallel_for(in->n, forward_item, &job);
    if (job.core) {
        core_conv_clear(&core);   /* the kernel added the bias */
    } else {
        ChannelJob bias = {out, conv->bias->value};
        train_parallel_for_work(conv->cout, tensor_size(out), add_bias_item, &bias);
    }
}

void conv2d_backward(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                     Tensor *din, gboolean param_grads, Scratch *scratch)
{
    if (conv2d_reference()) {
        reference_backward(conv, in, dout, din, param_grads, scratch);
        return;
    }
    ConvJob job = {.conv = conv, .in = in, .dout = dout, .din = din,
                   .want_dw = param_grads};
    CoreConv core;
    if (is_narrow(conv)) {
        job.g = output_geometry(conv, in);
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        job.per_image = (size_t)in->h * in->w;
        job.chunk = chunk_columns(rows, job.per_image);
        float *wf = scratch_get(scratch, rows * conv->cin);
        flip_weights(conv, wf);
        job.wf = wf;
        job.sum_floats = rows * conv->cin;
        if (din)   /* every element is written */
            tensor_reshape(din, in->c, in->n, in->h, in->w);
    } else {
        job.g = geometry(conv, in);
        g_assert(dout->c == conv->cout && dout->h == job.g.ho && dout->w == job.g.wo);
        size_t rows = (size_t)conv->cin * conv->k * conv->k;
        job.per_image = (size_t)job.g.ho * job.g.wo;
        job.chunk = chunk_columns(rows, job.per_image);
        job.sum_floats = rows * conv->cout;
        if (din && conv->stride == 1 && core_conv_build(conv, TRUE, &core)) {
            job.core = &core;
            tensor_reshape(din, in->c, in->n, in->h, in->w);
        } else if (din) {
            tensor_reshape_zero(din, in->c, in->n, in->h, in->w);
        }
    }
    job.total = (size_t)in->n * job.per_image;
    train_parallel_for(in->n, backward_item, &job);
    if (job.core)
        core_conv_clear(&core);
    if (!param_grads)
        return;
    ChannelJob bias = {dout, conv->bias->grad};
    train_parallel_for_work(conv->cout, tensor_size(dout), bias_grad_item, &bias);
    if (job.wf) {
        /* the sums are in the narrow layout; wf's scratch is free again */
        float *dwf = scratch_get(scratch, job.sum_floats);
        memset(dwf, 0, job.sum_floats * sizeof(float));
        reduce_sums(&job, dwf, job.sum_floats);
        add_narrow_grad(conv, dwf);
    } else {
        reduce_sums(&job, conv->weight->grad, job.sum_floats);
    }
}

const char *conv2d_path(const Conv2d *conv, gboolean input_gradient)
{
    if (conv2d_reference())
        return "reference";
    CoreConv core;
    if (conv->stride == 1 && !(input_gradient && is_narrow(conv))
        && core_conv_build(conv, input_gradient, &core)) {
        SrganFastKind kind = core.conv.fast->kind;
        core_conv_clear(&core);
        switch (kind) {
        case SRGAN_FAST_WINOGRAD_F43: return "winograd-f43";
        case SRGAN_FAST_WINOGRAD_SPLIT: return "winograd-split";
        case SRGAN_FAST_DIRECT: return "direct";
        }
    }
    return is_narrow(conv) ? "narrow" : "im2col";
}
