/* conv-fast.c — picks a fast convolution kernel for this CPU and packs its
 * weights; declines (NULL) where none applies, so conv.c takes its
 * portable OpenBLAS path.
 *
 * Kernels (x86-64 with AVX2 and FMA, checked at run time, so one binary
 * runs on any x86-64; elsewhere everything declines):
 *   - 3×3, cin % 8 == 0, cout % 16 == 0: Winograd F(4×4, 3×3)
 *     (conv-winograd-avx2.c) — the residual blocks, the body conv and the
 *     upsampling convs, ~88 % of the generator's multiply-adds;
 *   - k = 3m (9×9), cin % 8 == 0, few outputs: the k×k kernel is cut into
 *     m² 3×3 pieces, one 3×3 conv with m²·cout outputs computes them all
 *     by Winograd on the input grown by k/2 − 1 pixels, and a gather adds
 *     the m² shifted pieces — the 9×9 C→3 tail, ~11 %: 4608 multiply-adds
 *     per pixel (27 outputs padded to 32) instead of 15552.
 *   - odd k, cin ≤ 4, cout % 16 == 0: direct (conv-direct-avx2.c) — the
 *     9×9 3→C head, under 1 %, here so that a forward pass makes no
 *     OpenBLAS call (whose threads would spin beside the tiler's).
 *
 * The environment variable SRGAN_NO_FAST_KERNELS=1 makes every call
 * decline: the benchmark and tests use it to compare against the
 * portable path.
 */
#include <string.h>
#include "conv-fast.h"
#include "conv-fast-private.h"

static gboolean
cpu_has_avx2_fma(void)
{
#if defined(SRGAN_HAVE_AVX2_KERNELS) && (defined(__x86_64__) || defined(__i386__)) \
    && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return FALSE;
#endif
}

/* G g Gᵀ in double precision, so the packed weights carry no more rounding
 * than one float conversion.  G: Lavin & Gray 2016, F(4×4, 3×3). */
void
srgan_winograd_f43_pack(const float *weight, int cin, int cout, float *packed)
{
    static const double G[6][3] = {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };
    for (int ci = 0; ci < cin; ci++)
        for (int co = 0; co < cout; co++) {
            double g[3][3], gg[6][3];
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                    g[ky][kx] = weight[((size_t)(ky * 3 + kx) * cin + ci) * cout + co];
            for (int i = 0; i < 6; i++)
                for (int kx = 0; kx < 3; kx++)
                    gg[i][kx] = G[i][0] * g[0][kx] + G[i][1] * g[1][kx] + G[i][2] * g[2][kx];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    double u = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
                    size_t block = co / SRGAN_WINO_COUT_BLOCK;
                    packed[((block * SRGAN_WINO_POINTS + i * 6 + j) * cin + ci)
                           * SRGAN_WINO_COUT_BLOCK + co % SRGAN_WINO_COUT_BLOCK] = (float)u;
                }
        }
}

/* The 3×3 pieces of a k×k (k = 3m) kernel as one 3×3 conv: output
 * channel (a·m + b)·cout + o holds w[3a + i][3b + j][·][o] at (i, j);
 * channels past m²·cout are zero. */
static float *
split_kernel(const float *weight, int k, int cin, int cout, int split_cout)
{
    const int m = k / 3;
    float *split = g_new0(float, (size_t)9 * cin * split_cout);
    for (int a = 0; a < m; a++)
        for (int b = 0; b < m; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    for (int ci = 0; ci < cin; ci++)
                        for (int o = 0; o < cout; o++)
                            split[((size_t)(i * 3 + j) * cin + ci) * split_cout + (a * m + b) * cout + o]
                                = weight[((size_t)((3 * a + i) * k + 3 * b + j) * cin + ci) * cout + o];
    return split;
}

static gboolean
choose_kind(const SrganConv *conv, SrganFastKind *kind)
{
    const char *off = g_getenv("SRGAN_NO_FAST_KERNELS");
    if ((off && *off && strcmp(off, "0") != 0) || !cpu_has_avx2_fma())
        return FALSE;
    if (conv->ksize % 2 == 1 && conv->cin >= 1 && conv->cin <= SRGAN_DIRECT_MAX_CIN
        && conv->cout % SRGAN_WINO_COUT_BLOCK == 0) {
        *kind = SRGAN_FAST_DIRECT;
        return TRUE;
    }
    if (conv->cin <= 0 || conv->cin % 8 != 0)
        return FALSE;
    if (conv->ksize == 3 && conv->cout % SRGAN_WINO_COUT_BLOCK == 0) {
        *kind = SRGAN_FAST_WINOGRAD_F43;
        return TRUE;
    }
    int m = conv->ksize / 3;
    if (conv->ksize > 3 && conv->ksize % 6 == 3 && m * m * conv->cout <= SRGAN_SPLIT_MAX_COUT
        && conv->cout <= SRGAN_SPLIT_GATHER_MAX_COUT) {
        *kind = SRGAN_FAST_WINOGRAD_SPLIT;
        return TRUE;
    }
    return FALSE;
}

SrganConvFast *
srgan_conv_fast_prepare(const SrganConv *conv)
{
    SrganFastKind kind;
    if (!choose_kind(conv, &kind))
        return NULL;

    SrganConvFast *fast = g_new0(SrganConvFast, 1);
    fast->kind = kind;
    fast->cin = conv->cin;
    fast->cout = conv->cout;
    fast->ksize = conv->ksize;
    fast->bias = g_memdup2(conv->bias, sizeof(float) * conv->cout);
    if (conv->prelu) {
        fast->slope = g_new(float, conv->cout);
        for (int c = 0; c < conv->cout; c++)
            fast->slope[c] = conv->prelu[conv->prelu_count == 1 ? 0 : c];
    }
    if (kind == SRGAN_FAST_DIRECT) {
        fast->weight = g_memdup2(conv->weight, sizeof(float) * conv->ksize * conv->ksize
                                                 * conv->cin * conv->cout);
    } else if (kind == SRGAN_FAST_WINOGRAD_F43) {
        fast->weight = g_new(float, (size_t)SRGAN_WINO_POINTS * conv->cin * conv->cout);
        srgan_winograd_f43_pack(conv->weight, conv->cin, conv->cout, fast->weight);
    } else {
        int m = conv->ksize / 3;
        fast->split_cout = (m * m * conv->cout + SRGAN_WINO_COUT_BLOCK - 1)
                           / SRGAN_WINO_COUT_BLOCK * SRGAN_WINO_COUT_BLOCK;
        g_autofree float *split = split_kernel(conv->weight, conv->ksize, conv->cin,
                                               conv->cout, fast->split_cout);
        fast->weight = g_new(float, (size_t)SRGAN_WINO_POINTS * conv->cin * fast->split_cout);
        srgan_winograd_f43_pack(split, conv->cin, fast->split_cout, fast->weight);
    }
    return fast;
}

void
srgan_conv_fast_free(SrganConvFast *fast)
{
    if (!fast)
        return;
    g_free(fast->bias);
    g_free(fast->slope);
    g_free(fast->weight);
    g_free(fast);
}

/* WINOGRAD_SPLIT: the pieces are 3×3 convs evaluated up to k/2 − 1
 * pixels outside the image (their shifts bring them back inside). */
static int
split_margin(const SrganConvFast *fast)
{
    return fast->ksize / 2 - 1;
}

size_t
srgan_conv_fast_workspace_floats(const SrganConv *conv, int h, int w)
{
    const SrganConvFast *fast = conv->fast;
    if (!fast)
        return 0;
    if (fast->kind == SRGAN_FAST_DIRECT)
        return srgan_direct_workspace_floats(conv->cin, conv->ksize, h, w);
    if (fast->kind == SRGAN_FAST_WINOGRAD_F43)
        return srgan_winograd_f43_workspace_floats(conv->cin);
    if (fast->kind == SRGAN_FAST_WINOGRAD_SPLIT) {
        int e = split_margin(fast);
        return (size_t)(h + 2 * e) * (w + 2 * e) * fast->split_cout
             + srgan_winograd_f43_workspace_floats(conv->cin);
    }
    return 0;
}

void
srgan_conv_fast_forward(const SrganConv *conv, const float *in, int h, int w,
                        float *out, const SrganEpilogue *ep, float *workspace)
{
    const SrganConvFast *fast = conv->fast;
    const float *residual = ep ? ep->residual : NULL;
#if defined(SRGAN_HAVE_AVX2_KERNELS)
    SrganWinogradRun run = {
        .packed = fast->weight, .cin = fast->cin, .cout = fast->cout,
        .in = in, .h = h, .w = w, .origin = 0, .out_h = h, .out_w = w, .out = out,
        .bias = fast->bias, .slope = fast->slope, .residual = residual,
        .workspace = workspace,
    };
    switch (fast->kind) {
    case SRGAN_FAST_DIRECT:
        srgan_direct_forward_avx2(fast, in, h, w, out, residual, workspace);
        return;
    case SRGAN_FAST_WINOGRAD_F43:
        srgan_winograd_f43_run_avx2(&run);
        return;
    case SRGAN_FAST_WINOGRAD_SPLIT: {
        const int e = split_margin(fast);
        float *pieces = workspace;
        run.cout = fast->split_cout;
        run.origin = -e;
        run.out_h = h + 2 * e;
        run.out_w = w + 2 * e;
        run.out = pieces;
        run.bias = run.slope = run.residual = NULL;
        run.workspace = pieces + (size_t)run.out_h * run.out_w * run.cout;
        srgan_winograd_f43_run_avx2(&run);
        /* The gather may read 7 floats past the pieces: the Winograd
         * scratch follows them. */
        srgan_split_gather_avx2(pieces, fast->split_cout, fast->ksize / 3, fast->cout,
                                h, w, fast->bias, fast->slope, residual, out);
        return;
    }
    }
#endif
    /* Unreachable: prepare never builds a kernel this build lacks. */
    (void)fast; (void)in; (void)h; (void)w; (void)out; (void)residual; (void)workspace;
    g_assert_not_reached();
}
