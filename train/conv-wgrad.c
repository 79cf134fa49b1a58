/* conv-wgrad.c — the weight gradient of 3×3 stride-1 convolutions by
 * Winograd F(4×4, 3×3), on the core's AVX2 transforms.
 *
 * dW[co][ci](ky, kx) = Σ_{n,y,x} dout[co](y, x) · in[ci](y + ky − 1, x + kx − 1)
 * is, one 4×4 output tile at a time, the correlation of a 6×6 input tile D
 * with a 4×4 output-gradient tile U.  The F(4×4, 3×3) identity
 *     Σ_i u_i Σ_j g_j d_{i+j} = Σ_k (A u)_k (G g)_k (Bᵀ d)_k
 * (Lavin & Gray 2016, with the forward pass's A, B, G) differentiated with
 * respect to g gives, in two dimensions,
 *     dW = Gᵀ [ Σ_tiles (A U Aᵀ) ⊙ (Bᵀ D B) ] G,
 * so the sum over tiles becomes 36 matrix products, one per transformed
 * point p: M_p(co, ci) = Σ_t Ũ_p(t, co) · Ṽ_p(t, ci), over every tile of
 * every image of the batch.  That is 36·tiles·cin·cout multiply-adds
 * against 9·16·tiles·cin·cout for im2col + sgemm: a quarter.  Ũ and Ṽ are
 * the transforms of the output gradient and of the input, tile by tile
 * (core/conv-winograd-avx2.c); Gᵀ M G then turns each 6×6 M into the 3×3
 * kernel gradient.  The im2col path stays the reference (conv2d.c) and the
 * tests compare the two (tests/trainer/test-gradcheck.c).
 */
#include "conv-wgrad.h"
#include "parallel.h"
#include "transpose.h"
#include "conv-fast-private.h"   /* the transforms, SRGAN_WINO_* */

#include <cblas.h>
#include <string.h>

#define NP SRGAN_WINO_POINTS

gboolean conv_wgrad_applies(const Conv2d *conv, gboolean core_winograd)
{
#ifndef SRGAN_HAVE_AVX2_KERNELS
    return FALSE;   /* no transforms linked in (not x86-64) */
#endif
    return core_winograd && conv->k == 3 && conv->stride == 1
        && conv->cin % 8 == 0 && conv->cout % 8 == 0;
}

#ifdef SRGAN_HAVE_AVX2_KERNELS
/* G of F(4×4, 3×3), as core/conv-fast.c packs the forward weights with. */
static const float wino_g[6][3] = {
    { 1.0f / 4, 0, 0 },
    { -1.0f / 6, -1.0f / 6, -1.0f / 6 },
    { -1.0f / 6, 1.0f / 6, -1.0f / 6 },
    { 1.0f / 24, 1.0f / 12, 1.0f / 6 },
    { 1.0f / 24, -1.0f / 12, 1.0f / 6 },
    { 0, 0, 1 },
};

typedef struct {
    const Conv2d *conv;
    const Tensor *in, *dout;
    int tiles_x, tiles_per_image;
    size_t tiles;               /* of the whole batch */
    float *v, *u, *m;           /* Ṽ (36, tiles, cin), Ũ (36, tiles, cout), M (36, cout, cin) */
    Scratch *worker_scratch;    /* one per worker */
} WgradJob;

/* Image n's tiles of Ṽ and Ũ. */
static void transform_item(void *data, int n, int worker)
{
    WgradJob *job = data;
    const Conv2d *conv = job->conv;
    int h = job->in->h, w = job->in->w, batch = job->in->n;
    size_t hw = (size_t)h * w;
    float *buf = scratch_get(&job->worker_scratch[worker],
                             hw * MAX(conv->cin, conv->cout) + (size_t)NP * conv->cin);
    float *border = buf + hw * MAX(conv->cin, conv->cout);
    size_t first = (size_t)n * job->tiles_per_image;
    /* CNHW image n → HWC, then its tiles */
    transpose_floats(job->in->data + n * hw, (size_t)conv->cin, hw, (size_t)batch * hw,
                     buf, (size_t)conv->cin);
    srgan_winograd_f43_input_tiles_avx2(buf, h, w, conv->cin, 0, job->tiles_per_image,
                                        job->v + first * conv->cin,
                                        job->tiles * conv->cin, border);
    transpose_floats(job->dout->data + n * hw, (size_t)conv->cout, hw, (size_t)batch * hw,
                     buf, (size_t)conv->cout);
    srgan_winograd_f43_grad_tiles_avx2(buf, h, w, conv->cout, 0, job->tiles_per_image,
                                       job->u + first * conv->cout,
                                       job->tiles * conv->cout);
}

/* M_p = Ũ_pᵀ · Ṽ_p over all tiles. */
static void product_item(void *data, int p, G_GNUC_UNUSED int worker)
{
    WgradJob *job = data;
    int cin = job->conv->cin, cout = job->conv->cout;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cout, cin, (int)job->tiles,
                1.0f, job->u + (size_t)p * job->tiles * cout, cout,
                job->v + (size_t)p * job->tiles * cin, cin,
                0.0f, job->m + (size_t)p * cout * cin, cin);
}

/* dW[co][ci] += Gᵀ M[·][co][ci] G for every ci.  M's rows for one co are
 * read point by point (contiguous in ci), each point adding its share
 * G[a][ky]·G[b][kx] to the nine taps of every ci. */
static void kernel_item(void *data, int co, int worker)
{
    WgradJob *job = data;
    int cin = job->conv->cin, cout = job->conv->cout;
    float *taps = scratch_get(&job->worker_scratch[worker], (size_t)9 * cin);
    memset(taps, 0, sizeof(float) * 9 * cin);
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
            const float *m = job->m + ((size_t)(a * 6 + b) * cout + co) * cin;
            float share[9];
            gboolean any = FALSE;
            for (int t = 0; t < 9; t++) {
                share[t] = wino_g[a][t / 3] * wino_g[b][t % 3];
                any |= share[t] != 0.0f;
            }
            if (!any)
                continue;
            for (int t = 0; t < 9; t++)
                if (share[t] != 0.0f)
                    for (int ci = 0; ci < cin; ci++)
                        taps[(size_t)t * cin + ci] += share[t] * m[ci];
        }
    float *dw = job->conv->weight->grad + (size_t)co * cin * 9;
    for (int ci = 0; ci < cin; ci++)
        for (int t = 0; t < 9; t++)
            dw[(size_t)ci * 9 + t] += taps[(size_t)t * cin + ci];
}

void conv_wgrad(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                Scratch *scratch, Scratch *worker_scratch)
{
    g_assert(conv_wgrad_applies(conv, TRUE) && dout->h == in->h && dout->w == in->w);
    WgradJob job = {.conv = conv, .in = in, .dout = dout, .worker_scratch = worker_scratch};
    job.tiles_x = (in->w + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    job.tiles_per_image = job.tiles_x * ((in->h + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT);
    job.tiles = (size_t)in->n * job.tiles_per_image;
    size_t v_floats = (size_t)NP * job.tiles * conv->cin;
    size_t u_floats = (size_t)NP * job.tiles * conv->cout;
    job.v = scratch_get(scratch, v_floats + u_floats + (size_t)NP * conv->cout * conv->cin);
    job.u = job.v + v_floats;
    job.m = job.u + u_floats;
    train_parallel_for(in->n, transform_item, &job);
    train_parallel_for(NP, product_item, &job);
    train_parallel_for(conv->cout, kernel_item, &job);
}
#else
void conv_wgrad(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                Scratch *scratch, Scratch *worker_scratch)
{
    (void)conv; (void)in; (void)dout; (void)scratch; (void)worker_scratch;
    g_assert_not_reached();   /* conv_wgrad_applies() said no */
}
#endif
