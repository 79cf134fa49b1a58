/* conv2d.c — convolution forward and backward by im2col + OpenBLAS sgemm.
 *
 * The batch's output columns (every sample, row and column: N·Ho·Wo of
 * them) are processed in chunks so that the im2col matrix stays near
 * COL_BUDGET floats: a 9×9 conv at 96×96 on a batch of 16 would otherwise
 * need a 3 GB column matrix.  Because the layout is CNHW, a chunk of
 * columns is a contiguous range of every output channel's row, so sgemm
 * writes it in place through its leading dimension.
 */
#include "layers.h"

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

void conv2d_forward(const Conv2d *conv, const Tensor *in, Tensor *out,
                    Scratch *scratch)
{
    g_assert(in->c == conv->cin);
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
    float *col = scratch_get(scratch, rows * chunk);

    for (size_t j0 = 0; j0 < total; j0 += chunk) {
        size_t j1 = MIN(total, j0 + chunk);
        im2col(&g, in->data, j0, j1, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    conv->cout, (int)(j1 - j0), (int)rows,
                    1.0f, conv->weight->value, (int)rows, col, (int)(j1 - j0),
                    0.0f, out->data + j0, (int)total);
    }
    add_bias(conv, out);
}

void conv2d_backward(const Conv2d *conv, const Tensor *in, const Tensor *dout,
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
    float *dcol = col + rows * chunk;

    if (din)
        tensor_reshape_zero(din, in->c, in->n, in->h, in->w);
    if (param_grads)
        for (int co = 0; co < conv->cout; co++) {
            const float *row = dout->data + co * total;
            double sum = 0.0;
            for (size_t j = 0; j < total; j++)
                sum += row[j];
            conv->bias->grad[co] += (float)sum;
        }

    for (size_t j0 = 0; j0 < total; j0 += chunk) {
        size_t j1 = MIN(total, j0 + chunk);
        int cols = (int)(j1 - j0);
        if (param_grads) {
            im2col(&g, in->data, j0, j1, col);
            /* dW(cout, rows) += dout(cout, cols) · colᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        conv->cout, (int)rows, cols,
                        1.0f, dout->data + j0, (int)total, col, cols,
                        1.0f, conv->weight->grad, (int)rows);
        }
        if (din) {
            /* dcol(rows, cols) = Wᵀ · dout(cout, cols) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
                        (int)rows, cols, conv->cout,
                        1.0f, conv->weight->value, (int)rows,
                        dout->data + j0, (int)total,
                        0.0f, dcol, cols);
            col2im(&g, dcol, j0, j1, din->data);
        }
    }
}
