/* conv-direct-avx2.c — direct k×k convolution for few input channels (the
 * generator's 9×9 3→C head) with AVX2 and FMA.
 *
 * With 3 input channels neither a GEMM nor Winograd has much to work on,
 * and the head is under 1 % of the multiply-adds; what matters is that it
 * needs no OpenBLAS call, whose worker threads would otherwise spin beside
 * the tiler's own.  The input is first copied with its zero padding, so the
 * loops have no border cases; then each step computes 6 neighbouring
 * pixels × 16 output channels (12 accumulators), broadcasting one input
 * value against two weight vectors, like a GEMM micro-kernel.
 *
 * Compiled with -mavx2 -mfma; conv-fast.c calls it only on CPUs that have
 * both.
 */
#include <immintrin.h>
#include <string.h>
#include "conv-fast-private.h"

#define PIXELS 6    /* output pixels per step */
#define COUTS 16    /* output channels per step (2 vectors) */

size_t
srgan_direct_workspace_floats(int cin, int k, int h, int w)
{
    /* The padded input, plus room for the last step's pixels past the row. */
    return ((size_t)(h + k - 1) * (w + k - 1) + PIXELS) * cin;
}

/* 6 pixels (y, x..x+5) × output channels co..co+15: the padded input
 * row pitch is pw pixels. */
static inline void
step(const struct SrganConvFast *fast, const float *padded, int pw, int y, int x, int co,
     __m256 acc[PIXELS][2])
{
    const int cin = fast->cin, k = fast->ksize, cout = fast->cout;
    for (int p = 0; p < PIXELS; p++)
        acc[p][0] = acc[p][1] = _mm256_setzero_ps();
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            const float *src = padded + ((size_t)(y + ky) * pw + x + kx) * cin;
            const float *wt = fast->weight + (size_t)(ky * k + kx) * cin * cout + co;
            for (int ci = 0; ci < cin; ci++) {
                __m256 w0 = _mm256_loadu_ps(wt + (size_t)ci * cout);
                __m256 w1 = _mm256_loadu_ps(wt + (size_t)ci * cout + 8);
                for (int p = 0; p < PIXELS; p++) {
                    __m256 v = _mm256_broadcast_ss(src + p * cin + ci);
                    acc[p][0] = _mm256_fmadd_ps(v, w0, acc[p][0]);
                    acc[p][1] = _mm256_fmadd_ps(v, w1, acc[p][1]);
                }
            }
        }
}

void
srgan_direct_forward_avx2(const struct SrganConvFast *fast, const float *in, int h, int w,
                          float *out, const SrganFastIo *io, float *workspace)
{
    const int cin = fast->cin, cout = fast->cout, r = fast->ksize / 2;
    const int pw = w + 2 * r;
    const size_t in_stride = (size_t)io->in_stride, out_stride = (size_t)io->out_stride;
    const size_t res_stride = (size_t)io->residual_stride;
    const float *residual = io->residual;
    float *padded = workspace;
    /* The whole input is copied (packed) before any output is written, so
     * out may share in's buffer at a channel offset past cin. */
    memset(padded, 0, sizeof(float) * srgan_direct_workspace_floats(cin, fast->ksize, h, w));
    for (int y = 0; y < h; y++) {
        float *dst = padded + ((size_t)(y + r) * pw + r) * cin;
        const float *src = in + (size_t)y * w * in_stride;
        if (in_stride == (size_t)cin)
            memcpy(dst, src, sizeof(float) * w * cin);
        else
            for (int x = 0; x < w; x++)
                memcpy(dst + (size_t)x * cin, src + x * in_stride, sizeof(float) * cin);
    }

    const __m256 zero = _mm256_setzero_ps();
    const __m256 scale = _mm256_set1_ps(io->scale);
    const int scaled = io->scale != 1.0f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x += PIXELS) {
            /* The last step of a row may run past it into the padding (or
             * the spare floats after the last row): computed, not stored. */
            int n = w - x < PIXELS ? w - x : PIXELS;
            for (int co = 0; co < cout; co += COUTS) {
                __m256 acc[PIXELS][2];
                step(fast, padded, pw, y, x, co, acc);
                for (int p = 0; p < n; p++)
                    for (int half = 0; half < 2; half++) {
                        int c = co + half * 8;
                        size_t at = (size_t)y * w + x + p;
                        __m256 v = _mm256_add_ps(acc[p][half], _mm256_loadu_ps(fast->bias + c));
                        if (fast->slope)
                            v = _mm256_fmadd_ps(_mm256_loadu_ps(fast->slope + c),
                                                _mm256_min_ps(v, zero), _mm256_max_ps(v, zero));
                        if (scaled)
                            v = _mm256_mul_ps(v, scale);
                        if (residual)
                            v = _mm256_add_ps(v, _mm256_loadu_ps(residual + at * res_stride + c));
                        _mm256_storeu_ps(out + at * out_stride + c, v);
                    }
            }
        }
}
