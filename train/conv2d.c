/* conv2d.c — convolution forward and backward.
 *
 * Two implementations of the same arithmetic:
 *
 *  - the reference (conv2d_set_reference(TRUE), or SRGAN_TRAIN_REFERENCE=1
 *    in the environment): im2col + one OpenBLAS sgemm per chunk of the
 *    whole batch, as described below, on the calling thread;
 *
 *  - the default, on the trainer's workers (parallel.h) with
 *    single-threaded BLAS inside:
 *    · for stride 1, the forward pass and the input gradient on the core's
 *      convolution kernels (core/conv.h: Winograd F(4×4,3×3) or direct
 *      AVX2, whichever the core picks for the shape) whenever the core has
 *      a fast kernel for it.  The input gradient of a 'same' stride-1
 *      convolution is itself a 'same' convolution of the output gradient,
 *      with the kernel turned by 180° and its input and output channels
 *      swapped:
 *        din[ci](y, x) = Σ_{co,ky,kx} W[co][ci][ky][kx] · dout[co](y−ky+p, x−kx+p)
 *                      = Σ_{co,ky,kx} W[co][ci][k−1−ky][k−1−kx] · dout[co](y+ky−p, x+kx−p).
 *      The whole batch goes through one call as a "tall" image (see "the
 *      batch as one tall image"), transposed from and back to CNHW around
 *      it (transpose.h), and the prepared kernels are cached per layer
 *      ("the cache of core convolutions");
 *    · the weight gradient of 3×3 stride-1 layers by Winograd too
 *      (conv-wgrad.c);
 *    · the forward pass and input gradient of 3×3 stride-2 layers (the
 *      discriminator's) by a direct AVX2 kernel (conv-s2.c);
 *    · everything else (stride-2 weight gradients, the 9×9 layers' weight
 *      gradients, CPUs without AVX2) the im2col code, a few images per work
 *      item, with per-worker weight-gradient sums added up at the end.
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
#include "transpose.h"
#include "conv-wgrad.h"
#include "conv-s2.h"
#include "reduce.h"
#include "conv.h"          /* the core's kernels (srgan_internal_dep) */
#include "conv-fast.h"      /* srgan_conv_fast_refresh */
#include "conv-fast-private.h"   /* SrganFastKind, Winograd tile sizes */

#include <cblas.h>
#include <math.h>
#include <string.h>

#define COL_BUDGET ((size_t)8 << 20)   /* floats (32 MB) per im2col chunk */

/* A core convolution (see core_conv_build) and the cache of them that
 * each Conv2d keeps (see "the cache of core convolutions"). */
typedef struct {
    SrganConv conv;
    float *weight, *bias;
    float slope;            /* the fused LeakyReLU's (conv.prelu points here) */
} CoreConv;

/* The three kernels a layer may have. */
typedef enum {
    KERNEL_FORWARD,         /* the layer */
    KERNEL_INPUT_GRADIENT,  /* its input gradient (transposed, no bias) */
    KERNEL_FORWARD_LEAKY,   /* the layer, then LeakyReLU (ReLU at slope 0) */
    KERNEL_COUNT
} KernelKind;

struct Conv2dCache {
    float *key;             /* weight values, then bias values */
    CoreConv built[KERNEL_COUNT];
    /* 0: not built, 1: built, 2: built from older values (refreshed in
     * place, without allocating), −1: no fast kernel */
    int state[KERNEL_COUNT];
    /* conv-s2.c's packed weights, forward [0] and input gradient [1], with
     * the same states */
    float *s2[2];
    int s2_state[2];
};

static void init(Conv2d *conv, ParamList *params, const char *name, gboolean trainable,
                 int cin, int cout, int k, int stride)
{
    conv->cin = cin;
    conv->cout = cout;
    conv->k = k;
    conv->stride = stride;
    conv->pad = k / 2;
    conv->weight = param_list_add(params, trainable, 4, (int[]){cout, cin, k, k},
                                  "%s.weight", name);
    conv->bias = param_list_add(params, trainable, 1, (int[]){cout}, "%s.bias", name);
    conv->cache = g_new0(Conv2dCache, 1);
}

void conv2d_init(Conv2d *conv, ParamList *params, const char *name,
                 int cin, int cout, int k, int stride)
{
    init(conv, params, name, TRUE, cin, cout, k, stride);
}

void conv2d_init_frozen(Conv2d *conv, ParamList *params, const char *name,
                        int cin, int cout, int k, int stride)
{
    init(conv, params, name, FALSE, cin, cout, k, stride);
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

/* The t in [0, count) whose input column (ox0 + t)·stride − pad + kx lies
 * inside the image: [*t0, *t1). */
static void strided_range(const Geometry *g, int ox0, int kx, int count, int *t0, int *t1)
{
    int base = ox0 * g->stride - g->pad + kx;          /* column of t = 0 */
    int first = base >= 0 ? 0 : (-base + g->stride - 1) / g->stride;
    int last = base < g->w ? (g->w - 1 - base) / g->stride + 1 : 0;   /* one past */
    *t0 = MIN(first, count);
    *t1 = CLAMP(last, *t0, count);
}

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
                        /* ix = (ox0 + t)·stride − pad + kx: the columns of
                         * t in [t0, t1) are inside, the rest padding */
                        const float *srow = src + ((size_t)n_ * g->h + iy) * g->w;
                        int t0;
                        int t1;
                        strided_range(g, ox0_, kx, count_, &t0, &t1);
                        const float *s0 = srow + (ox0_ * g->stride - g->pad + kx);
                        for (int t = 0; t < t0; t++)
                            dst[t] = 0.0f;
                        for (int t = t0; t < t1; t++)
                            dst[t] = s0[t * g->stride];
                        for (int t = t1; t < count_; t++)
                            dst[t] = 0.0f;
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
                        int t0;
                        int t1;
                        strided_range(g, ox0_, kx, count_, &t0, &t1);
                        float *d0 = drow + (ox0_ * g->stride - g->pad + kx);
                        for (int t = t0; t < t1; t++)
                            d0[t * g->stride] += src[t];
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

/* Per-worker buffers of the threaded path (process-wide, like the pool). */
static Scratch worker_scratch[TRAIN_MAX_WORKERS];   /* columns, HWC images */
static Scratch worker_sums[TRAIN_MAX_WORKERS];      /* weight-gradient sums */

/* ---- HWC ⇄ CNHW for the core's kernels (transpose.h) --------------------- */
/* hwc (hw, c) = image n of the CNHW tensor data (c, batch, hw). */
static void gather_hwc(const float *data, int c, int n, int batch, size_t hw, float *hwc)
{
    transpose_floats(data + (size_t)n * hw, (size_t)c, hw, (size_t)batch * hw, hwc, (size_t)c);
}

static void scatter_hwc(const float *hwc, int c, int n, int batch, size_t hw, float *data)
{
    transpose_floats(hwc, hw, (size_t)c, (size_t)c, data + (size_t)n * hw, (size_t)batch * hw);
}

/* A core convolution built from the trainer's weights: transposed FALSE is
 * the layer itself, TRUE the input-gradient convolution (kernel turned by
 * 180°, cin and cout swapped, no bias).  Returns FALSE (and keeps nothing)
 * when the core has no fast kernel for that shape on this CPU: its
 * portable path is the same im2col + sgemm as ours, plus two transposes. */
/* Input channels [ci0, ci1) of the core layout (k, k, cin, cout) of the
 * layer (transposed FALSE) or of its input-gradient conv (TRUE: the kernel
 * turned by 180°, cin and cout swapped) from the trainer's (cout, cin, k, k). */
static void core_weights(const Conv2d *conv, gboolean transposed, int ci0, int ci1,
                         float *dst)
{
    int kk = conv->k * conv->k;
    const float *w = conv->weight->value;
    if (transposed) {   /* cin' = cout, cout' = cin; (ky', kx') = t' = kk−1−t */
        for (int co = ci0; co < ci1; co++)
            for (int ci = 0; ci < conv->cin; ci++)
                for (int t = 0; t < kk; t++)
                    dst[((size_t)(kk - 1 - t) * conv->cout + co) * conv->cin + ci] =
                        w[((size_t)co * conv->cin + ci) * kk + t];
    } else {
        for (int co = 0; co < conv->cout; co++)
            for (int ci = ci0; ci < ci1; ci++)
                for (int t = 0; t < kk; t++)
                    dst[((size_t)t * conv->cin + ci) * conv->cout + co] =
                        w[((size_t)co * conv->cin + ci) * kk + t];
    }
}

static gboolean core_conv_build(const Conv2d *conv, KernelKind kind, float slope,
                                CoreConv *cc)
{
    gboolean transposed = kind == KERNEL_INPUT_GRADIENT;
    int kk = conv->k * conv->k;
    int cin = transposed ? conv->cout : conv->cin;
    int cout = transposed ? conv->cin : conv->cout;
    cc->weight = g_new(float, (size_t)kk * cin * cout);
    cc->bias = g_new0(float, cout);
    core_weights(conv, transposed, 0, cin, cc->weight);
    if (!transposed)
        memcpy(cc->bias, conv->bias->value, sizeof(float) * cout);
    cc->conv = (SrganConv){.cin = cin, .cout = cout, .ksize = conv->k,
                           .weight = cc->weight, .bias = cc->bias};
    if (kind == KERNEL_FORWARD_LEAKY) {
        cc->slope = slope;
        cc->conv.prelu = &cc->slope;
        cc->conv.prelu_count = 1;
    }
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

/* ---- the cache of core convolutions ---------------------------------------
 * Building a core convolution transforms its weights (Winograd: 36 points
 * per 3×3 kernel, in double precision), which for VGG19 up to conv5_4
 * means 80 MB of weights turned into 320 MB, three times per SRGAN step
 * (two forwards and one input gradient) although VGG19 never changes; and
 * the discriminator runs twice on the same weights before each update.
 * So each Conv2d keeps the kernels it last built, with a copy of the
 * weight and bias values they came from: a memcmp against the current
 * values (a few milliseconds for all of VGG19) decides whether they are
 * still right, so no code that changes the values (Adam, a checkpoint, a
 * gradient check nudging one weight) has to tell the cache. */

void conv2d_clear(Conv2d *conv)
{
    Conv2dCache *cache = conv->cache;
    if (!cache)
        return;
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (cache->state[i] > 0)
            core_conv_clear(&cache->built[i]);
    g_free(cache->s2[0]);
    g_free(cache->s2[1]);
    g_free(cache->key);
    g_free(cache);
    conv->cache = NULL;
}

static void cache_validate(Conv2dCache *cache, const Conv2d *conv)
{
    size_t nw = conv->weight->n, nb = conv->bias->n;
    /* A frozen layer (VGG19) is loaded before its first use and never
     * changes after (layers.h): nothing to compare, and no copy of its
     * values to keep (80 MB for VGG19). */
    if (!conv->weight->grad)
        return;
    if (cache->key && memcmp(cache->key, conv->weight->value, nw * sizeof(float)) == 0
        && memcmp(cache->key + nw, conv->bias->value, nb * sizeof(float)) == 0)
        return;
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (cache->state[i] == 1)
            cache->state[i] = 2;
    for (int i = 0; i < 2; i++)
        if (cache->s2_state[i] == 1)
            cache->s2_state[i] = 2;
    if (!cache->key)
        cache->key = g_new(float, nw + nb);
    memcpy(cache->key, conv->weight->value, nw * sizeof(float));
    memcpy(cache->key + nw, conv->bias->value, nb * sizeof(float));
}

/* Refreshing a built kernel from new values: the trainer's rearrangement
 * and the core's transform, by ranges of input channels on the workers
 * (the generator's and the discriminator's kernels change every step). */
typedef struct {
    const Conv2d *conv;
    CoreConv *cc;
    gboolean transposed;
    int parts;
} RefreshJob;

static void refresh_item(void *data, int part, G_GNUC_UNUSED int worker)
{
    RefreshJob *job = data;
    int cin = job->cc->conv.cin;
    core_weights(job->conv, job->transposed, (int)((gint64)cin * part / job->parts),
                 (int)((gint64)cin * (part + 1) / job->parts), job->cc->weight);
    if (part == 0 && !job->transposed)
        memcpy(job->cc->bias, job->conv->bias->value, sizeof(float) * job->conv->cout);
    srgan_conv_fast_refresh(&job->cc->conv, part, job->parts);
}

static void core_conv_refresh(const Conv2d *conv, gboolean transposed, CoreConv *cc)
{
    /* Only the Winograd transform works by input channel; the other
     * kernels copy their weights whole (small: the 9×9 head and tail). */
    RefreshJob job = {conv, cc, transposed, 1};
    if (cc->conv.fast->kind == SRGAN_FAST_WINOGRAD_F43)
        job.parts = MIN(cc->conv.cin, 4 * train_threads());
    train_parallel_for(job.parts, refresh_item, &job);
}

/* The core kernel of the layer or of its input gradient, or NULL when the
 * core has none for it.  A Conv2d without a cache (filled in by hand) gets
 * one built into *own, which the caller clears when *own_used. */
static const CoreConv *core_conv_get(const Conv2d *conv, KernelKind kind, float slope,
                                     CoreConv *own, gboolean *own_used)
{
    *own_used = FALSE;
    if (conv->stride != 1)
        return NULL;
    Conv2dCache *cache = conv->cache;
    if (!cache) {
        *own_used = core_conv_build(conv, kind, slope, own);
        return *own_used ? own : NULL;
    }
    cache_validate(cache, conv);
    CoreConv *cc = &cache->built[kind];
    if (cache->state[kind] == 0)
        cache->state[kind] = core_conv_build(conv, kind, slope, cc) ? 1 : -1;
    if (cache->state[kind] == 1 && kind == KERNEL_FORWARD_LEAKY && cc->slope != slope) {
        cc->slope = slope;
        cache->state[kind] = 2;
    }
    if (cache->state[kind] == 2) {
        core_conv_refresh(conv, kind == KERNEL_INPUT_GRADIENT, cc);
        cache->state[kind] = 1;
    }
    return cache->state[kind] == 1 ? cc : NULL;
}

/* The weights of conv-s2.c's stride-2 kernel for the layer (forward) or
 * its input gradient, packed on the workers when the values changed; NULL
 * where that kernel does not apply (or the Conv2d has no cache). */
typedef struct {
    const Conv2d *conv;
    gboolean input_gradient;
    int parts;
    float *packed;
} S2PackJob;

static void s2_pack_item(void *data, int part, G_GNUC_UNUSED int worker)
{
    S2PackJob *job = data;
    conv_s2_pack(job->conv, job->input_gradient, part, job->parts, job->packed);
}

static const float *s2_weights(const Conv2d *conv, gboolean input_gradient)
{
    Conv2dCache *cache = conv->cache;
    if (!cache || !conv_s2_applies(conv, input_gradient))
        return NULL;
    cache_validate(cache, conv);
    int i = input_gradient ? 1 : 0;
    if (cache->s2_state[i] == 0)
        cache->s2[i] = g_new(float, (size_t)9 * conv->cin * conv->cout);
    if (cache->s2_state[i] != 1) {
        S2PackJob job = {conv, input_gradient, MIN(conv->cout, 4 * train_threads()),
                         cache->s2[i]};
        train_parallel_for(job.parts, s2_pack_item, &job);
        cache->s2_state[i] = 1;
    }
    return cache->s2[i];
}

/* ---- the batch as one tall image ------------------------------------------
 * The core's kernels take one HWC image.  Calling them image by image
 * wastes most of the work at VGG19's and the discriminator's small deep
 * layers: a 6×6 image is 4 Winograd tiles, padded to the micro-kernel's 6,
 * and every call streams all 37 MB of a 512→512 layer's transformed
 * weights for them.  So the whole batch is gathered into one tall image,
 * the images one under the other with k/2 rows of zeros between them (a
 * 'same' k×k convolution reads k/2 rows past an image's edge, and those
 * rows are its zero padding), and the workers convolve bands of its rows.
 * The output rows facing the gaps are computed and dropped.  Measured on
 * one core of this project's 2-core Zen 3 (16 images, F(4×4,3×3)): 6×6
 * 512→512 2.6× faster than image by image, 12×12 1.5×, 24×24 and larger
 * the same. */
typedef struct {
    const SrganConv *conv;
    const float *src;       /* CNHW, conv->cin channels */
    float *dst;             /* CNHW, conv->cout channels */
    int batch, h, w, gap, tall_h, band;
    float *in, *out;        /* the tall HWC images */
    size_t workspace_floats;
} TallJob;

static void tall_gather_item(void *data, int n, G_GNUC_UNUSED int worker)
{
    TallJob *job = data;
    int cin = job->conv->cin;
    size_t hw = (size_t)job->h * job->w;
    float *image = job->in + (size_t)n * (job->h + job->gap) * job->w * cin;
    gather_hwc(job->src, cin, n, job->batch, hw, image);
    if (n < job->batch - 1)
        memset(image + hw * cin, 0, (size_t)job->gap * job->w * cin * sizeof(float));
}

static void tall_conv_item(void *data, int band, int worker)
{
    TallJob *job = data;
    int y0 = band * job->band, y1 = MIN(job->tall_h, y0 + job->band);
    float *workspace = scratch_get(&worker_scratch[worker], job->workspace_floats);
    srgan_conv_forward_rows(job->conv, job->in, job->tall_h, job->w, job->out, NULL,
                            workspace, y0, y1);
}

static void tall_scatter_item(void *data, int n, G_GNUC_UNUSED int worker)
{
    TallJob *job = data;
    int cout = job->conv->cout;
    const float *image = job->out + (size_t)n * (job->h + job->gap) * job->w * cout;
    scatter_hwc(image, cout, n, job->batch, (size_t)job->h * job->w, job->dst);
}

/* Rows per band: a few bands per worker, so that a worker slowed by
 * another job takes fewer, but whole Winograd tile rows and at least one
 * block of tiles each (fewer tiles than that compute padding). */
static int tall_band_rows(int tall_h, int w)
{
    int workers = train_threads();
    int tiles_x = (w + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    int min_rows = SRGAN_WINO_OUT * MAX(1, (SRGAN_WINO_TILES_PER_BLOCK + tiles_x - 1) / tiles_x);
    int rows = (tall_h + 2 * workers - 1) / (2 * workers);
    rows = (rows + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT * SRGAN_WINO_OUT;
    return MAX(rows, min_rows);
}

/* dst (CNHW, batch images of h × w, cout channels) = the core convolution
 * of src (CNHW, cin channels), 'same' size, bias and all. */
static void core_conv_batch(const CoreConv *cc, const float *src, float *dst,
                            int batch, int h, int w, Scratch *scratch)
{
    TallJob job = {.conv = &cc->conv, .src = src, .dst = dst,
                   .batch = batch, .h = h, .w = w, .gap = cc->conv.ksize / 2};
    job.tall_h = batch * (h + job.gap) - job.gap;
    job.band = tall_band_rows(job.tall_h, w);
    size_t pixels = (size_t)job.tall_h * w;
    job.in = scratch_get(scratch, pixels * (cc->conv.cin + cc->conv.cout));
    job.out = job.in + pixels * cc->conv.cin;
    job.workspace_floats = srgan_conv_workspace_floats(&cc->conv, job.tall_h, w);
    size_t floats = (size_t)batch * h * w * (cc->conv.cin + cc->conv.cout);
    train_parallel_for_work(batch, floats, tall_gather_item, &job);
    train_parallel_for((job.tall_h + job.band - 1) / job.band, tall_conv_item, &job);
    train_parallel_for_work(batch, floats, tall_scatter_item, &job);
}

/* ---- the threaded path ------------------------------------------------------ */

typedef struct {
    const Conv2d *conv;
    Geometry g;
    const Tensor *in, *dout;
    Tensor *out, *din;
    gboolean din_by_core;       /* din comes from the core's kernel afterwards */
    const float *wf;            /* narrow layout weights, or NULL */
    size_t total, per_image, chunk, sum_floats;
    int images_per_item;        /* consecutive images one work item takes */
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

/* Work items of the im2col path: a few consecutive images each, so that
 * the sgemm calls are a few times wider than one image (each call packs its
 * operands first) while every worker still gets a couple of items. */
static int plan_items(ConvJob *job, int batch, size_t rows)
{
    job->images_per_item = MAX(1, (batch + 2 * train_threads() - 1) / (2 * train_threads()));
    job->chunk = chunk_columns(rows, (size_t)job->images_per_item * job->per_image);
    return (batch + job->images_per_item - 1) / job->images_per_item;
}

/* Output columns [a, b) of item `item`. */
static void item_columns(const ConvJob *job, int item, size_t *a, size_t *b)
{
    *a = (size_t)item * job->images_per_item * job->per_image;
    *b = MIN(job->total, *a + (size_t)job->images_per_item * job->per_image);
}

static void forward_item(void *data, int n, int worker)
{
    ConvJob *job = data;
    const Conv2d *conv = job->conv;
    size_t a, b;
    item_columns(job, n, &a, &b);
    Scratch *scratch = &worker_scratch[worker];
    if (job->wf) {
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
    size_t a, b;
    item_columns(job, n, &a, &b);
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
    gboolean din_here = job->din && !job->din_by_core;
    if (sum || din_here) {
        float *col = scratch_get(scratch, 2 * rows * job->chunk);
        backward_range(conv, &job->g, job->in->data, job->dout->data,
                       job->din ? job->din->data : NULL, sum, din_here, job->total,
                       a, b, job->chunk, col, col + rows * job->chunk);
    }
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
    job->values[co] += (float)reduce_sum(job->t->data + co * total, total);
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
    CoreConv own;
    gboolean own_used;
    const CoreConv *core = core_conv_get(conv, KERNEL_FORWARD, 0.0f, &own, &own_used);
    if (core) {
        tensor_reshape(out, conv->cout, in->n, in->h, in->w);
        core_conv_batch(core, in->data, out->data, in->n, in->h, in->w, scratch);
        if (own_used)
            core_conv_clear(&own);
        return;   /* the kernel added the bias */
    }
    const float *s2 = s2_weights(conv, FALSE);
    if (s2) {
        conv_s2_forward(conv, s2, in, out, worker_scratch);
        return;
    }
    ConvJob job = {.conv = conv, .in = in, .out = out};
    if (is_narrow(conv)) {
        job.g = output_geometry(conv, in);
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        job.per_image = (size_t)in->h * in->w;
        float *wf = scratch_get(scratch, rows * conv->cin);
        flip_weights(conv, wf);
        job.wf = wf;
        tensor_reshape_zero(out, conv->cout, in->n, in->h, in->w);
    } else {
        job.g = geometry(conv, in);
        job.per_image = (size_t)job.g.ho * job.g.wo;
        tensor_reshape(out, conv->cout, in->n, job.g.ho, job.g.wo);
    }
    job.total = (size_t)in->n * out->h * out->w;
    size_t rows = (size_t)(job.wf ? conv->cout : conv->cin) * conv->k * conv->k;
    train_parallel_for(plan_items(&job, in->n, rows), forward_item, &job);
    ChannelJob bias = {out, conv->bias->value};
    train_parallel_for_work(conv->cout, tensor_size(out), add_bias_item, &bias);
}

/* Whether the core runs this layer's forward pass by its F(4×4, 3×3)
 * kernel here (then its transforms serve the weight gradient too). */
static gboolean core_runs_winograd(const Conv2d *conv)
{
    CoreConv own;
    gboolean own_used;
    const CoreConv *core = core_conv_get(conv, KERNEL_FORWARD, 0.0f, &own, &own_used);
    gboolean winograd = core && core->conv.fast->kind == SRGAN_FAST_WINOGRAD_F43;
    if (own_used)
        core_conv_clear(&own);
    return winograd;
}

void conv2d_forward_leaky(const Conv2d *conv, const Tensor *in, Tensor *out,
                          float slope, Scratch *scratch)
{
    g_assert(in->c == conv->cin);
    CoreConv own;
    gboolean own_used;
    const CoreConv *core = conv2d_reference() ? NULL
        : core_conv_get(conv, KERNEL_FORWARD_LEAKY, slope, &own, &own_used);
    if (!core) {
        conv2d_forward(conv, in, out, scratch);
        leaky_relu_forward(slope, out, out);
        return;
    }
    tensor_reshape(out, conv->cout, in->n, in->h, in->w);
    core_conv_batch(core, in->data, out->data, in->n, in->h, in->w, scratch);
    if (own_used)
        core_conv_clear(&own);
}

gboolean conv2d_run_tall(const Conv2d *conv, gboolean input_gradient, float slope,
                         const float *in, int rows, int w, float *out)
{
    if (conv2d_reference())
        return FALSE;
    CoreConv own;
    gboolean own_used;
    const CoreConv *core = core_conv_get(conv, input_gradient ? KERNEL_INPUT_GRADIENT
                                                              : KERNEL_FORWARD_LEAKY,
                                         slope, &own, &own_used);
    if (!core)
        return FALSE;
    TallJob job = {.conv = &core->conv, .w = w, .tall_h = rows,
                   .in = (float *)in, .out = out};
    job.band = tall_band_rows(rows, w);
    job.workspace_floats = srgan_conv_workspace_floats(&core->conv, rows, w);
    train_parallel_for((rows + job.band - 1) / job.band, tall_conv_item, &job);
    if (own_used)
        core_conv_clear(&own);
    return TRUE;
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
    const CoreConv *core = NULL;
    const float *s2 = NULL;
    CoreConv own;
    gboolean own_used = FALSE, wgrad = FALSE;
    if (is_narrow(conv)) {
        job.g = output_geometry(conv, in);
        size_t rows = (size_t)conv->cout * conv->k * conv->k;
        job.per_image = (size_t)in->h * in->w;
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
        job.sum_floats = rows * conv->cout;
        if (din)
            core = core_conv_get(conv, KERNEL_INPUT_GRADIENT, 0.0f, &own, &own_used);
        if (din && !core)
            s2 = s2_weights(conv, TRUE);
        job.din_by_core = core != NULL || s2 != NULL;
        wgrad = param_grads && conv_wgrad_applies(conv, core_runs_winograd(conv));
        job.want_dw = param_grads && !wgrad;
        if (din && !job.din_by_core)   /* col2im adds */
            tensor_reshape_zero(din, in->c, in->n, in->h, in->w);
    }
    job.total = (size_t)in->n * job.per_image;
    size_t rows = (size_t)(job.wf ? conv->cout : conv->cin) * conv->k * conv->k;
    int items = plan_items(&job, in->n, rows);
    if (job.want_dw || (din && !job.din_by_core))
        train_parallel_for(items, backward_item, &job);
    if (s2)
        conv_s2_input_gradient(conv, s2, dout, din, in->h, in->w, worker_scratch);
    if (wgrad)
        conv_wgrad(conv, in, dout, scratch, worker_scratch);
    if (core) {
        tensor_reshape(din, in->c, in->n, in->h, in->w);
        core_conv_batch(core, dout->data, din->data, in->n, in->h, in->w, scratch);
        if (own_used)
            core_conv_clear(&own);
    }
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
        && core_conv_build(conv, input_gradient ? KERNEL_INPUT_GRADIENT : KERNEL_FORWARD,
                           0.0f, &core)) {
        SrganFastKind kind = core.conv.fast->kind;
        core_conv_clear(&core);
        switch (kind) {
        case SRGAN_FAST_WINOGRAD_F43: return "winograd-f43";
        case SRGAN_FAST_WINOGRAD_SPLIT: return "winograd-split";
        case SRGAN_FAST_DIRECT: return "direct";
        }
    }
    if (conv_s2_applies(conv, input_gradient))
        return "direct-s2";
    return is_narrow(conv) ? "narrow" : "im2col";
}

const char *conv2d_weight_grad_path(const Conv2d *conv)
{
    if (conv2d_reference())
        return "reference";
    if (conv_wgrad_applies(conv, core_runs_winograd(conv)))
        return "winograd-f43-wgrad";
    return is_narrow(conv) ? "narrow" : "im2col";
}
