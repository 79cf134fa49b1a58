/* conv.c — convolution dispatch: a fast kernel when conv-fast*.c offers one
 * for this CPU, else a portable path on OpenBLAS sgemm.
 *
 * The portable path has two shapes, both working on bounded chunks so the
 * scratch stays a few megabytes (plus, for scatter, the sums: as many
 * floats as the narrow output itself):
 *
 *  - im2col (every conv with a wide output: 9×9 3→C, 3×3 C→C, 3×3 C→4C):
 *    for a chunk of M consecutive output pixels, gather the k·k·cin inputs
 *    each one sees into a row (zeros outside the image), then one sgemm
 *    (M × K) · (K × cout) with K = k·k·cin writes straight into `out`: the
 *    weights' (kh, kw, cin, cout) layout already is that K × cout matrix.
 *
 *  - scatter (narrow outputs such as the 9×9 C→3 tail): an im2col there
 *    would be 81·C floats per pixel to feed an sgemm with N = 3, which BLAS
 *    runs badly.  Instead, for a chunk of input rows, one sgemm
 *    (k·k·cout × cin) · (cin × pixels) gives every pixel's contribution to
 *    each of its k·k neighbours, one row per (tap, output channel), and a
 *    loop adds each row, shifted by its tap, into one plane per output
 *    channel (contiguous adds, so they vectorise).  Zero padding is
 *    automatic: contributions that would land outside the image are
 *    dropped, exactly what zero-padded inputs would give.
 *
 * Both end with the same epilogue: + bias, PReLU, × scale, + residual.
 * Both read and write pixels with the epilogue's strides (sgemm's lda/ldb
 * and ldc), so a conv can read a prefix of a wider buffer and write at a
 * channel offset of another, or of the same one: neither path uses `out`
 * as scratch, so the input channels it reads are never overwritten.
 */
#include "conv.h"
#include "conv-fast.h"

#include <cblas.h>
#include <string.h>

/* Scratch budget of one chunk, in floats (4 MB): big enough that sgemm runs
 * near its peak (M in the thousands), small enough to stay in L2/L3. */
#define CHUNK_FLOATS ((size_t)1 << 20)

/* The epilogue with its defaults filled in (zero strides: packed; zero
 * scale: 1), so the loops below need no special cases. */
typedef struct {
    size_t in_stride, out_stride, res_stride;
    float scale;
    const float *residual;
} Io;

static Io resolve_io(const SrganConv *conv, const SrganEpilogue *ep)
{
    Io io = { (size_t)conv->cin, (size_t)conv->cout, (size_t)conv->cout, 1.0f, NULL };
    if (ep) {
        if (ep->in_stride)
            io.in_stride = (size_t)ep->in_stride;
        if (ep->out_stride)
            io.out_stride = (size_t)ep->out_stride;
        if (ep->residual_stride)
            io.res_stride = (size_t)ep->residual_stride;
        if (ep->scale != 0.0f)
            io.scale = ep->scale;
        io.residual = ep->residual;
    }
    return io;
}

/* Narrow outputs take the scatter path (see above). */
static gboolean use_scatter(const SrganConv *conv)
{
    return conv->ksize > 1 && conv->cout < 16;
}

/* Output pixels per im2col chunk. */
static size_t im2col_chunk_pixels(const SrganConv *conv, int h, int w)
{
    const size_t k_dim = (size_t)conv->ksize * conv->ksize * conv->cin;
    size_t m = CHUNK_FLOATS / k_dim;
    if (m < 64)
        m = 64;
    return MIN(m, (size_t)h * w);
}

/* Input rows per scatter chunk. */
static int scatter_chunk_rows(const SrganConv *conv, int h, int w)
{
    const size_t per_row = (size_t)w * conv->ksize * conv->ksize * conv->cout;
    size_t rows = CHUNK_FLOATS / MAX(per_row, 1);
    if (rows < 1)
        rows = 1;
    return (int)MIN(rows, (size_t)h);
}

void srgan_conv_prepare(SrganConv *conv)
{
    if (conv->fast == NULL)
        conv->fast = srgan_conv_fast_prepare(conv);
}

void srgan_conv_prepare_per_call(SrganConv *conv)
{
    if (conv->fast == NULL)
        conv->fast = srgan_conv_fast_prepare_per_call(conv);
}

void srgan_conv_release(SrganConv *conv)
{
    if (conv->fast) {
        srgan_conv_fast_free(conv->fast);
        conv->fast = NULL;
    }
}

size_t srgan_conv_workspace_floats(const SrganConv *conv, int h, int w)
{
    if (h <= 0 || w <= 0)
        return 0;
    if (conv->fast)
        return srgan_conv_fast_workspace_floats(conv, h, w);
    /* Callers size the workspace once for their largest input and reuse it
     * for smaller ones, so the figure must never shrink when h or w grows:
     * bound the chunk by what any input up to h×w can need. */
    const size_t taps = (size_t)conv->ksize * conv->ksize;
    if (use_scatter(conv)) {
        const size_t row = (size_t)w * taps * conv->cout;
        return taps * conv->cin * conv->cout                        /* weights (taps·cout, cin) */
             + (size_t)h * w * conv->cout                           /* sums (cout, h, w) */
             + MIN((size_t)h * row, MAX(CHUNK_FLOATS, row));        /* contributions */
    }
    return im2col_chunk_pixels(conv, h, w) * taps * conv->cin;
}

/* PReLU, × scale, + residual on output pixels [p0, p1) (the bias is
 * already in); one simple loop per step so that each one vectorises. */
static void epilogue(const SrganConv *conv, float *out, size_t p0, size_t p1,
                     const Io *io)
{
    const int cout = conv->cout;
    const float *restrict slopes = conv->prelu;
    const gboolean shared_slope = conv->prelu_count == 1;
    const float *restrict residual = io->residual;
    const float scale = io->scale;
    for (size_t p = p0; p < p1; p++) {
        float *restrict o = out + p * io->out_stride;
        /* prelu(v) = max(v, 0) + slope·min(v, 0), exactly; written as two
         * selects so that it vectorises (a compare-and-multiply compiles
         * to a branch that mispredicts on every other sign). */
        if (slopes && shared_slope) {
            const float slope = slopes[0];
            for (int c = 0; c < cout; c++) {
                const float v = o[c];
                const float pos = v > 0.0f ? v : 0.0f, neg = v < 0.0f ? v : 0.0f;
                o[c] = pos + slope * neg;
            }
        } else if (slopes) {
            for (int c = 0; c < cout; c++) {
                const float v = o[c];
                const float pos = v > 0.0f ? v : 0.0f, neg = v < 0.0f ? v : 0.0f;
                o[c] = pos + slopes[c] * neg;
            }
        }
        if (scale != 1.0f)
            for (int c = 0; c < cout; c++)
                o[c] *= scale;
        if (residual) {
            const float *restrict r = residual + p * io->res_stride;
            for (int c = 0; c < cout; c++)
                o[c] += r[c];
        }
    }
}

/* Row p of the im2col matrix: the k·k·cin inputs output pixel (y, x) sees. */
static void im2col_row(const SrganConv *conv, const float *in, size_t in_stride,
                       int h, int w, int y, int x, float *row)
{
    const int k = conv->ksize, pad = k / 2, cin = conv->cin;
    for (int ky = 0; ky < k; ky++) {
        const int sy = y + ky - pad;
        float *dst = row + (size_t)ky * k * cin;
        if (sy < 0 || sy >= h) {
            memset(dst, 0, sizeof(float) * k * cin);
            continue;
        }
        /* Columns [x0, x1) of this kernel row fall inside the image. */
        const int x0 = MAX(0, pad - x), x1 = MIN(k, w + pad - x);
        if (x0 > 0)
            memset(dst, 0, sizeof(float) * x0 * cin);
        const float *src = in + ((size_t)sy * w + (x + x0 - pad)) * in_stride;
        if (x1 > x0 && in_stride == (size_t)cin)   /* packed: one copy */
            memcpy(dst + (size_t)x0 * cin, src, sizeof(float) * (x1 - x0) * cin);
        else
            for (int i = 0; i < x1 - x0; i++)
                memcpy(dst + (size_t)(x0 + i) * cin, src + i * in_stride, sizeof(float) * cin);
        if (x1 < k)
            memset(dst + (size_t)MAX(x1, x0) * cin, 0,
                   sizeof(float) * (k - MAX(x1, x0)) * cin);
    }
}

static void forward_im2col(const SrganConv *conv, const float *in, int h, int w,
                           float *out, const SrganEpilogue *ep, float *workspace)
{
    const size_t k_dim = (size_t)conv->ksize * conv->ksize * conv->cin;
    const size_t total = (size_t)h * w, chunk = im2col_chunk_pixels(conv, h, w);
    const Io io = resolve_io(conv, ep);

    for (size_t p0 = 0; p0 < total; p0 += chunk) {
        const size_t m = MIN(chunk, total - p0);
        for (size_t i = 0; i < m; i++) {
            const size_t p = p0 + i;
            im2col_row(conv, in, io.in_stride, h, w, (int)(p / w), (int)(p % w),
                       workspace + i * k_dim);
        }
        /* Start from the bias and let sgemm add to it (beta = 1): one pass
         * over the output instead of sgemm's zeroing plus a bias pass. */
        float *dst = out + p0 * io.out_stride;
        for (size_t i = 0; i < m; i++)
            memcpy(dst + i * io.out_stride, conv->bias, sizeof(float) * conv->cout);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    (int)m, conv->cout, (int)k_dim,
                    1.0f, workspace, (int)k_dim,
                    conv->weight, conv->cout,
                    1.0f, dst, (int)io.out_stride);
        epilogue(conv, out, p0, p0 + m, &io);
    }
}

static void forward_scatter(const SrganConv *conv, const float *in, int h, int w,
                            float *out, const SrganEpilogue *ep, float *workspace)
{
    const int k = conv->ksize, pad = k / 2, cin = conv->cin, cout = conv->cout;
    const int taps = k * k, n_dim = taps * cout;
    const int rows = scatter_chunk_rows(conv, h, w);
    const size_t plane = (size_t)h * w;
    const Io io = resolve_io(conv, ep);
    float *wt = workspace;                          /* (taps·cout, cin) */
    float *sums = wt + (size_t)n_dim * cin;         /* (cout, h, w): one plane per channel */
    float *contrib = sums + plane * cout;           /* (taps·cout, rows·w) */

    /* (taps, cin, cout) → (taps·cout, cin). */
    for (int t = 0; t < taps; t++)
        for (int c = 0; c < cin; c++)
            for (int o = 0; o < cout; o++)
                wt[((size_t)t * cout + o) * cin + c] = conv->weight[((size_t)t * cin + c) * cout + o];
    for (int o = 0; o < cout; o++)
        for (size_t p = 0; p < plane; p++)
            sums[o * plane + p] = conv->bias[o];

    for (int y0 = 0; y0 < h; y0 += rows) {
        const int n_rows = MIN(rows, h - y0);
        const int m = n_rows * w;
        /* contrib[t·cout + o][pixel] = Σ_c in[pixel][c] · w[t][c][o]: laid
         * out per (tap, channel) so the adds below run along rows. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                    n_dim, m, cin,
                    1.0f, wt, cin,
                    in + (size_t)y0 * w * io.in_stride, (int)io.in_stride,
                    0.0f, contrib, m);
        /* Input pixel (sy, sx) through tap (ky, kx) lands on output
         * (sy - ky + pad, sx - kx + pad), when that is inside. */
        for (int r = 0; r < n_rows; r++) {
            const int sy = y0 + r;
            for (int ky = 0; ky < k; ky++) {
                const int y = sy - ky + pad;
                if (y < 0 || y >= h)
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    const int sx0 = MAX(0, kx - pad), sx1 = MIN(w, w + kx - pad);
                    const int shift = pad - kx;
                    for (int o = 0; o < cout; o++) {
                        const float *restrict src = contrib + ((size_t)(ky * k + kx) * cout + o) * m
                                                    + (size_t)r * w;
                        float *restrict dst = sums + o * plane + (size_t)y * w;
                        for (int sx = sx0; sx < sx1; sx++)
                            dst[sx + shift] += src[sx];
                    }
                }
            }
        }
    }
    for (size_t p = 0; p < plane; p++)
        for (int o = 0; o < cout; o++)
            out[p * io.out_stride + o] = sums[o * plane + p];
    epilogue(conv, out, 0, plane, &io);
}

void srgan_conv_forward(const SrganConv *conv, const float *in, int h, int w,
                        float *out, const SrganEpilogue *ep, float *workspace)
{
    if (h <= 0 || w <= 0)
        return;
    if (conv->fast)
        srgan_conv_fast_forward(conv, in, h, w, out, ep, workspace);
    else if (use_scatter(conv))
        forward_scatter(conv, in, h, w, out, ep, workspace);
    else
        forward_im2col(conv, in, h, w, out, ep, workspace);
}
