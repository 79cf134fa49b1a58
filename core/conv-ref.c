/* conv-ref.c — the reference convolution: direct loops, no BLAS, no tricks.
 *
 * Every faster path (conv.c's BLAS path, conv-fast*.c) is tested against
 * this one, so it is written to be obviously right rather than quick:
 * out[y][x][o] = bias[o] + Σ_{ky,kx,c} in[y+ky-p][x+kx-p][c] · w[ky][kx][c][o]
 * with zero padding p = ksize/2, then PReLU, then the scale, then the
 * residual, each pixel read and written with its epilogue's stride.  It
 * accumulates in double so that it is a little better than any fp32 path it
 * judges.
 */
#include "conv.h"

#include <glib.h>

/* PReLU slope for output channel o: one shared slope, or one per channel. */
static inline float prelu_slope(const SrganConv *conv, int o)
{
    return conv->prelu_count == 1 ? conv->prelu[0] : conv->prelu[o];
}

void srgan_conv_forward_ref(const SrganConv *conv, const float *in, int h, int w,
                            float *out, const SrganEpilogue *ep)
{
    const int k = conv->ksize, pad = k / 2, cin = conv->cin, cout = conv->cout;
    /* The epilogue's zeros mean "packed" and "no scale". */
    const size_t in_stride = ep && ep->in_stride ? (size_t)ep->in_stride : (size_t)cin;
    const size_t out_stride = ep && ep->out_stride ? (size_t)ep->out_stride : (size_t)cout;
    const size_t res_stride = ep && ep->residual_stride ? (size_t)ep->residual_stride : (size_t)cout;
    const float scale = ep && ep->scale != 0.0f ? ep->scale : 1.0f;
    const float *residual = ep ? ep->residual : NULL;
    g_autofree double *acc = g_new(double, cout);

    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            for (int o = 0; o < cout; o++)
                acc[o] = conv->bias[o];
            for (int ky = 0; ky < k; ky++) {
                const int sy = y + ky - pad;
                if (sy < 0 || sy >= h)
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    const int sx = x + kx - pad;
                    if (sx < 0 || sx >= w)
                        continue;
                    const float *px = in + ((size_t)sy * w + sx) * in_stride;
                    const float *wt = conv->weight + ((size_t)(ky * k + kx) * cin) * cout;
                    for (int c = 0; c < cin; c++)
                        for (int o = 0; o < cout; o++)
                            acc[o] += (double)px[c] * wt[(size_t)c * cout + o];
                }
            }
            /* Only the channels it writes: out may share its buffer with
             * in (disjoint channels), and pixels not yet visited are
             * still read. */
            const size_t p = (size_t)y * w + x;
            for (int o = 0; o < cout; o++) {
                float v = (float)acc[o];
                if (conv->prelu && v < 0.0f)
                    v *= prelu_slope(conv, o);
                v *= scale;
                if (residual)
                    v += residual[p * res_stride + o];
                out[p * out_stride + o] = v;
            }
        }
    }
}
