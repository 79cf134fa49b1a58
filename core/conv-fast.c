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
 *     per pixel (27 outputs padded to 32) instead of 15552.  With m = 1
 *     the same machinery runs the 3×3 convs whose cout is not a multiple
 *     of 16 (RRDBNet's 64→3 last conv, SRVGGNetCompact's 64→12 and 64→27
 *     at ×2 and ×3): outputs padded to the next 16, the gather doing the
 *     epilogue;
 *   - odd k, cin ≤ 4 (or up to 16 and not a multiple of 8, which
 *     Winograd cannot take), cout % 16 == 0: direct (conv-direct-avx2.c)
 *     — the 9×9 3→C head, under 1 %, RRDBNet's 3×3 12→64 head at ×2
 *     (after its pixel unshuffle), here so that a forward pass makes no
 *     OpenBLAS call (whose threads would spin beside the tiler's).
 *
 * Every kernel honours the whole SrganEpilogue: strided input and output
 * pixels (feature maps side by side in one buffer), a scale and a strided
 * residual.
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
 * than one float conversion.  G: Lavin & Gray 2016, F(4×4, 3×3).  Input
 * channels [ci0, ci1) only, so that several threads can share the work. */
static void
pack_inputs(const float *weight, int cin, int cout, int ci0, int ci1, float *packed)
{
    static const double G[6][3] = {
        { 1.0 / 4, 0, 0 },
        { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
        { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
        { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
        { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
        { 0, 0, 1 },
    };
    for (int ci = ci0; ci < ci1; ci++)
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

void
srgan_winograd_f43_pack(const float *weight, int cin, int cout, float *packed)
{
    pack_inputs(weight, cin, cout, 0, cin, packed);
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
    /* Few inputs: direct.  Up to 16 inputs too when Winograd cannot take
     * them (cin % 8 != 0), not when it can: it is faster there. */
    const gboolean few_inputs = conv->cin >= 1
        && (conv->cin <= SRGAN_DIRECT_MAX_CIN
            || (conv->cin <= SRGAN_DIRECT_MAX_ODD_CIN && conv->cin % 8 != 0));
    if (conv->ksize % 2 == 1 && few_inputs && conv->cout % SRGAN_WINO_COUT_BLOCK == 0) {
        *kind = SRGAN_FAST_DIRECT;
        return TRUE;
    }
    if (conv->cin <= 0 || conv->cin % 8 != 0)
        return FALSE;
    if (conv->ksize == 3 && conv->cout % SRGAN_WINO_COUT_BLOCK == 0) {
        *kind = SRGAN_FAST_WINOGRAD_F43;
        return TRUE;
    }
    /* k = 3m with m odd (3, 9, 15): m = 1 is the 3×3 conv itself, for
     * an output count F43's blocks of 16 do not divide. */
    int m = conv->ksize / 3;
    if (conv->ksize % 6 == 3 && m * m * conv->cout <= SRGAN_SPLIT_MAX_COUT
        && conv->cout <= SRGAN_SPLIT_GATHER_MAX_COUT) {
        *kind = SRGAN_FAST_WINOGRAD_SPLIT;
        return TRUE;
    }
    return FALSE;
}

static SrganConvFast *
prepare(const SrganConv *conv, gboolean per_call)
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
    } else if (kind == SRGAN_FAST_WINOGRAD_F43 && per_call) {
        fast->source = conv->weight;
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

SrganConvFast *
srgan_conv_fast_prepare(const SrganConv *conv)
{
    return prepare(conv, FALSE);
}

SrganConvFast *
srgan_conv_fast_prepare_per_call(const SrganConv *conv)
{
    return prepare(conv, TRUE);
}

void
srgan_conv_fast_refresh(const SrganConv *conv, int part, int parts)
{
    SrganConvFast *fast = conv->fast;
    g_return_if_fail(fast && conv->cin == fast->cin && conv->cout == fast->cout
                     && conv->ksize == fast->ksize && part >= 0 && part < parts);
    if (fast->kind == SRGAN_FAST_WINOGRAD_F43 && !fast->source) {
        pack_inputs(conv->weight, conv->cin, conv->cout, (int)((gint64)conv->cin * part / parts),
                    (int)((gint64)conv->cin * (part + 1) / parts), fast->weight);
    } else if (part == 0 && fast->kind == SRGAN_FAST_DIRECT) {
        memcpy(fast->weight, conv->weight,
               sizeof(float) * conv->ksize * conv->ksize * conv->cin * conv->cout);
    } else if (part == 0 && fast->kind == SRGAN_FAST_WINOGRAD_SPLIT) {
        g_autofree float *split = split_kernel(conv->weight, conv->ksize, conv->cin,
                                               conv->cout, fast->split_cout);
        srgan_winograd_f43_pack(split, conv->cin, fast->split_cout, fast->weight);
    }
    if (part == 0) {
        memcpy(fast->bias, conv->bias, sizeof(float) * conv->cout);
        if (fast->slope)
            for (int c = 0; c < conv->cout; c++)
                fast->slope[c] = conv->prelu[conv->prelu_count == 1 ? 0 : c];
    }
}

/* Floats of the transformed weights a per-call Winograd conv packs first. */
static size_t
per_call_floats(const SrganConvFast *fast)
{
    return fast->source ? (size_t)SRGAN_WINO_POINTS * fast->cin * fast->cout : 0;
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

/* WINOGRAD_SPLIT's pieces are computed in bands of output rows when they
 * need no margin (m = 1), so that the pieces (16 floats a pixel for 3
 * outputs) stay a few megabytes at any image size; with a margin, each
 * band would recompute 2·margin rows, so those run whole (as before). */
#define SPLIT_BAND_FLOATS ((size_t)1 << 20)

static int
split_band_rows(const SrganConvFast *fast, int h, int w)
{
    if (split_margin(fast) > 0)
        return h;
    /* Whole Winograd tiles (4 rows) per band, at least one. */
    size_t rows = SPLIT_BAND_FLOATS / ((size_t)w * fast->split_cout) / SRGAN_WINO_OUT
                  * SRGAN_WINO_OUT;
    if (rows < SRGAN_WINO_OUT)
        rows = SRGAN_WINO_OUT;
    return rows < (size_t)h ? (int)rows : h;
}

/* Floats of the pieces buffer.  Never shrinks as h or w grows (callers
 * size once for their largest input): a band needs at most
 * min(h, rows)·w·split_cout, and rows·w·split_cout is under the budget
 * unless rows is the 4-row minimum. */
static size_t
split_pieces_floats(const SrganConvFast *fast, int h, int w)
{
    const int e = split_margin(fast);
    const size_t whole = (size_t)(h + 2 * e) * (w + 2 * e) * fast->split_cout;
    if (e > 0)
        return whole;
    return MIN(whole, MAX(SPLIT_BAND_FLOATS, (size_t)SRGAN_WINO_OUT * w * fast->split_cout));
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
        return per_call_floats(fast) + srgan_winograd_f43_workspace_floats(conv->cin);
    if (fast->kind == SRGAN_FAST_WINOGRAD_SPLIT)
        return split_pieces_floats(fast, h, w) + srgan_winograd_f43_workspace_floats(conv->cin);
    return 0;
}

void
srgan_conv_fast_forward(const SrganConv *conv, const float *in, int h, int w,
                        float *out, const SrganEpilogue *ep, float *workspace)
{
    srgan_conv_fast_forward_rows(conv, in, h, w, out, ep, workspace, 0, h);
}

void
srgan_conv_fast_forward_rows(const SrganConv *conv, const float *in, int h, int w,
                             float *out, const SrganEpilogue *ep, float *workspace,
                             int y0, int y1)
{
    const SrganConvFast *fast = conv->fast;
    /* The kernels take every field resolved (zero: packed, scale 1). */
    const SrganFastIo io = {
        .in_stride = ep && ep->in_stride ? ep->in_stride : fast->cin,
        .out_stride = ep && ep->out_stride ? ep->out_stride : fast->cout,
        .residual_stride = ep && ep->residual_stride ? ep->residual_stride : fast->cout,
        .scale = ep && ep->scale != 0.0f ? ep->scale : 1.0f,
        .residual = ep ? ep->residual : NULL,
    };
#if defined(SRGAN_HAVE_AVX2_KERNELS)
    /* Rows [y0, y1): the output and residual start at row y0. */
    SrganWinogradRun run = {
        .packed = fast->weight, .cin = fast->cin, .cout = fast->cout,
        .in = in, .in_stride = io.in_stride, .h = h, .w = w,
        .origin_y = y0, .origin_x = 0, .out_h = y1 - y0, .out_w = w,
        .out = out + (size_t)y0 * w * io.out_stride, .out_stride = io.out_stride,
        .bias = fast->bias, .slope = fast->slope,
        .residual = io.residual ? io.residual + (size_t)y0 * w * io.residual_stride : NULL,
        .residual_stride = io.residual_stride, .scale = io.scale,
        .workspace = workspace,
    };
    switch (fast->kind) {
    case SRGAN_FAST_DIRECT:
        srgan_direct_forward_avx2(fast, in, h, w, y0, y1, out, &io, workspace);
        return;
    case SRGAN_FAST_WINOGRAD_F43:
        if (fast->source) {
            /* A few thousand flops per weight pair against the tile's
             * GEMM: about 1 % of a 224² tile of RRDBNet. */
            float *packed = workspace;
            srgan_winograd_f43_pack(fast->source, fast->cin, fast->cout, packed);
            run.packed = packed;
            run.workspace = packed + per_call_floats(fast);
        }
        srgan_winograd_f43_run_avx2(&run);
        return;
    case SRGAN_FAST_WINOGRAD_SPLIT: {
        /* Pieces in the workspace (never in out: it may share in's
         * buffer), then the gather with the epilogue. */
        const int e = split_margin(fast), band = split_band_rows(fast, h, w);
        float *pieces = workspace;
        run.cout = run.out_stride = fast->split_cout;
        run.origin_x = -e;
        run.out_w = w + 2 * e;
        run.out = pieces;
        run.bias = run.slope = run.residual = NULL;
        run.residual_stride = 0;
        run.scale = 1.0f;
        run.workspace = pieces + split_pieces_floats(fast, h, w);
        for (int b0 = y0; b0 < y1; b0 += band) {
            const int rows = MIN(band, y1 - b0);
            SrganFastIo band_io = io;
            if (band_io.residual)
                band_io.residual += (size_t)b0 * w * io.residual_stride;
            run.origin_y = b0 - e;
            run.out_h = rows + 2 * e;
            srgan_winograd_f43_run_avx2(&run);
            /* The gather may read 7 floats past the pieces: the Winograd
             * scratch follows them. */
            srgan_split_gather_avx2(pieces, fast->split_cout, fast->ksize / 3, fast->cout,
                                    rows, w, fast->bias, fast->slope, &band_io,
                                    out + (size_t)b0 * w * io.out_stride);
        }
        return;
    }
    }
#endif
    /* Unreachable: prepare never builds a kernel this build lacks. */
    (void)fast; (void)in; (void)h; (void)w; (void)out; (void)io; (void)workspace; (void)y0; (void)y1;
    g_assert_not_reached();
}
