/* test-conv-fast.c — every fast convolution kernel (core/conv-fast*.c)
 * against the reference loops (srgan_conv_forward_ref), on the generator's
 * shapes (3×3 C→C and C→4C, the 9×9 C→3 tail and 3→C head) and on awkward ones: sizes
 * that are not multiples of the Winograd tile, images smaller than the
 * kernel, shared and per-channel PReLU, a
 * residual, few input channels.  Also checks that the kernels decline what
 * they do not handle.  Skips (77) on a CPU without the kernels' instruction
 * set, where every conv declines and conv.c's portable path runs instead.
 */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "conv.h"
#include "conv-fast.h"

/* Error allowed, relative to the largest reference output (at least 1):
 * fp32 Winograd F(4×4, 3×3) stays near 1e-5 on these magnitudes. */
#define TOLERANCE 5e-5

typedef struct {
    int cin, cout, ksize, h, w;
    int prelu_count;    /* 0: no PReLU */
    gboolean residual;
} Case;

static float uniform(GRand *rng, double lo, double hi)
{
    return (float)g_rand_double_range(rng, lo, hi);
}

static SrganConv make_conv(GRand *rng, const Case *c)
{
    SrganConv conv = { .cin = c->cin, .cout = c->cout, .ksize = c->ksize };
    size_t n = (size_t)c->ksize * c->ksize * c->cin * c->cout;
    double scale = 1.0 / sqrt((double)c->ksize * c->ksize * c->cin);
    conv.weight = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        conv.weight[i] = uniform(rng, -scale, scale);
    conv.bias = g_new(float, c->cout);
    for (int i = 0; i < c->cout; i++)
        conv.bias[i] = uniform(rng, -0.2, 0.2);
    if (c->prelu_count) {
        conv.prelu_count = c->prelu_count;
        conv.prelu = g_new(float, c->prelu_count);
        for (int i = 0; i < c->prelu_count; i++)
            conv.prelu[i] = uniform(rng, 0.05, 0.4);
    }
    return conv;
}

static void free_conv(SrganConv *conv)
{
    srgan_conv_fast_free(conv->fast);
    g_free(conv->weight);
    g_free(conv->bias);
    g_free(conv->prelu);
}

/* Runs one case; returns FALSE (and says why) when the kernel is off. */
static gboolean run_case(GRand *rng, const Case *c)
{
    SrganConv conv = make_conv(rng, c);
    conv.fast = srgan_conv_fast_prepare(&conv);
    if (!conv.fast) {
        printf("FAIL %d→%d %d×%d on %d×%d: no fast kernel\n",
               c->cin, c->cout, c->ksize, c->ksize, c->h, c->w);
        free_conv(&conv);
        return FALSE;
    }
    size_t n_in = (size_t)c->h * c->w * c->cin, n_out = (size_t)c->h * c->w * c->cout;
    g_autofree float *in = g_new(float, n_in);
    g_autofree float *residual = g_new(float, n_out);
    g_autofree float *ref = g_new(float, n_out);
    /* Guard floats after the output catch a kernel writing past the image. */
    const size_t guard = 64;
    g_autofree float *fast = g_new(float, n_out + guard);
    size_t ws_floats = srgan_conv_fast_workspace_floats(&conv, c->h, c->w);
    g_autofree float *workspace = g_new(float, ws_floats + 1);
    for (size_t i = 0; i < n_in; i++)
        in[i] = uniform(rng, -1.0, 1.0);
    for (size_t i = 0; i < n_out; i++)
        residual[i] = uniform(rng, -1.0, 1.0);
    for (size_t i = 0; i < n_out + guard; i++)
        fast[i] = NAN;
    /* Stale workspace must not leak into the result. */
    for (size_t i = 0; i < ws_floats + 1; i++)
        workspace[i] = 1e30f;

    SrganEpilogue ep = { .residual = c->residual ? residual : NULL };
    srgan_conv_forward_ref(&conv, in, c->h, c->w, ref, &ep);
    srgan_conv_fast_forward(&conv, in, c->h, c->w, fast, &ep, workspace);

    double max_err = 0.0, max_ref = 1.0;
    size_t worst = 0;
    for (size_t i = 0; i < n_out; i++) {
        double e = fabs((double)fast[i] - ref[i]);
        if (!(e <= max_err)) {   /* also catches NaN: never written */
            max_err = isnan(e) ? INFINITY : e;
            worst = i;
        }
        max_ref = fmax(max_ref, fabs(ref[i]));
    }
    gboolean guard_ok = TRUE;
    for (size_t i = n_out; i < n_out + guard; i++)
        guard_ok = guard_ok && isnan(fast[i]);
    gboolean ok = max_err <= TOLERANCE * max_ref && guard_ok;
    printf("%s %3d→%-3d %d×%d on %3d×%-3d prelu %-2d residual %d: max error %.3g "
           "(bound %.3g; worst at %zu: %g vs %g)%s\n",
           ok ? "ok  " : "FAIL", c->cin, c->cout, c->ksize, c->ksize, c->h, c->w,
           c->prelu_count, c->residual, max_err, TOLERANCE * max_ref, worst,
           fast[worst], ref[worst], guard_ok ? "" : " WROTE PAST THE OUTPUT");
    free_conv(&conv);
    return ok;
}

/* A conv the fast kernels do not take must get NULL (the BLAS path). */
static gboolean check_declines(GRand *rng, const Case *c)
{
    SrganConv conv = make_conv(rng, c);
    SrganConvFast *fast = srgan_conv_fast_prepare(&conv);
    gboolean ok = fast == NULL;
    printf("%s %d→%d %d×%d declined\n", ok ? "ok  " : "FAIL", c->cin, c->cout,
           c->ksize, c->ksize);
    srgan_conv_fast_free(fast);
    free_conv(&conv);
    return ok;
}

int main(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5);

    /* Is there a fast kernel on this CPU at all? */
    Case probe = { 16, 16, 3, 4, 4, 0, FALSE };
    SrganConv conv = make_conv(rng, &probe);
    conv.fast = srgan_conv_fast_prepare(&conv);
    gboolean have_fast = conv.fast != NULL;
    free_conv(&conv);
    if (!have_fast) {
        printf("SKIP: no fast convolution kernel for this CPU (or SRGAN_NO_FAST_KERNELS set)\n");
        return 77;
    }

    static const Case cases[] = {
        /* the generator's 3×3 layers: residual blocks, body, upsampling */
        { 64, 64, 3, 37, 53, 64, FALSE },
        { 64, 64, 3, 40, 36, 0, TRUE },
        { 64, 64, 3, 29, 31, 1, TRUE },
        { 64, 256, 3, 19, 22, 256, FALSE },
        { 64, 256, 3, 12, 16, 1, FALSE },
        /* sizes around and below the 4×4 tile, few channels */
        { 16, 16, 3, 1, 1, 0, FALSE },
        { 16, 16, 3, 2, 3, 1, TRUE },
        { 16, 32, 3, 5, 4, 32, TRUE },
        { 8, 16, 3, 7, 9, 0, FALSE },
        { 32, 48, 3, 9, 6, 48, TRUE },
        { 128, 16, 3, 11, 13, 0, TRUE },
        /* enough tiles to span several blocks, with a ragged last block */
        { 16, 16, 3, 61, 45, 16, TRUE },
        /* the 9×9 head (3→C) and other few-input convs: direct */
        { 3, 64, 9, 37, 29, 1, FALSE },
        { 3, 64, 9, 5, 7, 64, FALSE },
        { 3, 64, 9, 1, 1, 1, FALSE },
        { 1, 16, 3, 6, 13, 16, TRUE },
        { 4, 32, 5, 11, 8, 0, TRUE },
        /* up to 16 inputs that Winograd cannot take: RRDBNet's head at ×2
         * (3×3 12→64 after its pixel unshuffle) */
        { 12, 64, 3, 13, 9, 0, FALSE },
        { 5, 16, 3, 7, 6, 16, TRUE },
        { 15, 32, 9, 6, 5, 1, TRUE },
        /* the 9×9 tail (C→3), cut into 3×3 pieces; other k = 3m */
        { 64, 3, 9, 29, 41, 0, FALSE },
        { 64, 3, 9, 3, 5, 0, FALSE },
        { 64, 3, 9, 1, 1, 0, FALSE },
        { 64, 3, 9, 17, 12, 3, TRUE },
        { 8, 1, 9, 10, 14, 1, TRUE },
        { 16, 7, 9, 10, 11, 7, TRUE },
        { 8, 2, 15, 12, 9, 0, TRUE },
        /* RRDBNet (ESRGAN): head 3→64, dense convs 64 + 32i → 32, the
         * block's last 192→64, trunk 64→64, and the last conv 64→3 (3×3
         * with few outputs: the split path with m = 1) */
        { 3, 64, 3, 13, 10, 0, FALSE },
        { 64, 32, 3, 11, 9, 1, FALSE },
        { 96, 32, 3, 9, 10, 1, FALSE },
        { 128, 32, 3, 7, 5, 1, FALSE },
        { 160, 32, 3, 6, 9, 1, FALSE },
        { 192, 32, 3, 5, 5, 1, FALSE },
        { 192, 64, 3, 9, 7, 0, TRUE },
        { 64, 3, 3, 21, 19, 0, FALSE },
        { 64, 3, 3, 1, 1, 0, TRUE },
        { 8, 1, 3, 7, 5, 1, TRUE },
        { 16, 8, 3, 6, 7, 8, TRUE },
        /* SRVGGNetCompact (Real-ESRGAN): 3→64, 64→64, 64→48 (×4), and the
         * last convs at ×2 and ×3, 64→12 and 64→27 (split, m = 1) */
        { 64, 48, 3, 10, 13, 48, FALSE },
        { 64, 12, 3, 10, 13, 12, TRUE },
        { 64, 27, 3, 9, 14, 1, FALSE },
        { 16, 24, 3, 5, 6, 0, TRUE },
        { 16, 40, 3, 5, 6, 0, FALSE },
    };
    static const Case declined[] = {
        { 20, 16, 3, 8, 8, 0, FALSE },   /* cin > 16, not a multiple of 8 */
        { 64, 8, 9, 8, 8, 0, FALSE },    /* 9×9 with 9·8 > 64 piece outputs */
        { 16, 2, 5, 8, 8, 0, FALSE },    /* 5×5: not cut into 3×3 pieces */
        { 24, 72, 3, 8, 8, 0, FALSE },   /* 3×3, cout neither a multiple of 16 nor ≤ 64 */
        { 3, 24, 9, 8, 8, 0, FALSE },    /* few inputs, cout not a multiple of 16 */
        { 17, 16, 3, 8, 8, 0, FALSE },   /* 17 inputs: neither direct nor Winograd */
    };
    int failures = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        failures += !run_case(rng, &cases[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(declined); i++)
        failures += !check_declines(rng, &declined[i]);

    /* The switch the benchmark uses to compare with the portable path. */
    g_setenv("SRGAN_NO_FAST_KERNELS", "1", TRUE);
    conv = make_conv(rng, &cases[0]);
    gboolean off = srgan_conv_fast_prepare(&conv) == NULL;
    free_conv(&conv);
    printf("%s SRGAN_NO_FAST_KERNELS=1 turns the kernels off\n", off ? "ok  " : "FAIL");
    failures += !off;

    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
