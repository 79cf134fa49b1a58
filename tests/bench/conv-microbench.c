/* conv-microbench — one convolution layer, three ways: the fast kernel
 * (conv-fast*.c), conv.c's portable OpenBLAS path, and (for small sizes)
 * the reference loops, with the fast kernel's error against the reference.
 *
 *   conv-microbench HEIGHT WIDTH CIN COUT KSIZE [REPS]
 *
 * Prints the best of REPS (default 5) wall-clock times of each path, its
 * effective GFLOP/s (2 · h · w · cin · cout · k² / seconds) and the ratio.
 * Single-threaded, like one tile of the tiler; set OPENBLAS_NUM_THREADS=1
 * to hold OpenBLAS to one thread as well.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "conv.h"
#include "conv-fast.h"

static int arg(char **argv, int i, int lo, int hi)
{
    int v = atoi(argv[i]);
    if (v < lo || v > hi) {
        fprintf(stderr, "conv-microbench: argument %d must be %d to %d\n", i, lo, hi);
        exit(2);
    }
    return v;
}

typedef void (*Path)(SrganConv *conv, const float *in, int h, int w, float *out,
                     const SrganEpilogue *ep, float *ws);

static void run_fast(SrganConv *conv, const float *in, int h, int w, float *out,
                     const SrganEpilogue *ep, float *ws)
{
    srgan_conv_fast_forward(conv, in, h, w, out, ep, ws);
}

static void run_portable(SrganConv *conv, const float *in, int h, int w, float *out,
                         const SrganEpilogue *ep, float *ws)
{
    SrganConvFast *fast = conv->fast;
    conv->fast = NULL;   /* conv.c takes its portable path */
    srgan_conv_forward(conv, in, h, w, out, ep, ws);
    conv->fast = fast;
}

static double best_seconds(Path path, SrganConv *conv, const float *in, int h, int w,
                           float *out, const SrganEpilogue *ep, float *ws, int reps)
{
    double best = INFINITY;
    path(conv, in, h, w, out, ep, ws);   /* warm-up */
    for (int r = 0; r < reps; r++) {
        gint64 t0 = g_get_monotonic_time();
        path(conv, in, h, w, out, ep, ws);
        best = fmin(best, (g_get_monotonic_time() - t0) * 1e-6);
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s HEIGHT WIDTH CIN COUT KSIZE [REPS]\n", argv[0]);
        return 2;
    }
    const int h = arg(argv, 1, 1, 4096), w = arg(argv, 2, 1, 4096);
    const int cin = arg(argv, 3, 1, 1024), cout = arg(argv, 4, 1, 1024);
    const int k = arg(argv, 5, 1, 15), reps = argc == 7 ? arg(argv, 6, 1, 1000) : 5;

    g_autoptr(GRand) rng = g_rand_new_with_seed(1);
    SrganConv conv = { .cin = cin, .cout = cout, .ksize = k, .prelu_count = 1 };
    const size_t nw = (size_t)k * k * cin * cout, ni = (size_t)h * w * cin, no = (size_t)h * w * cout;
    const double bound = 1.0 / sqrt((double)k * k * cin);
    g_autofree float *weight = g_new(float, nw), *bias = g_new(float, cout);
    float slope = 0.2f;
    for (size_t i = 0; i < nw; i++)
        weight[i] = (float)g_rand_double_range(rng, -bound, bound);
    for (int i = 0; i < cout; i++)
        bias[i] = (float)g_rand_double_range(rng, -0.1, 0.1);
    conv.weight = weight;
    conv.bias = bias;
    conv.prelu = &slope;
    g_autofree float *in = g_new(float, ni), *residual = g_new(float, no);
    g_autofree float *out_fast = g_new(float, no), *out_other = g_new(float, no);
    for (size_t i = 0; i < ni; i++)
        in[i] = (float)g_rand_double_range(rng, -1.0, 1.0);
    for (size_t i = 0; i < no; i++)
        residual[i] = (float)g_rand_double_range(rng, -1.0, 1.0);
    SrganEpilogue ep = { .residual = residual };
    const double gflop = 2.0 * h * w * cin * cout * k * k * 1e-9;

    size_t ws_portable = srgan_conv_workspace_floats(&conv, h, w);
    conv.fast = srgan_conv_fast_prepare(&conv);
    size_t ws_fast = conv.fast ? srgan_conv_fast_workspace_floats(&conv, h, w) : 0;
    g_autofree float *ws = g_new(float, MAX(ws_fast, ws_portable) + 1);

    printf("%d×%d, %d→%d, %d×%d, PReLU + residual, best of %d\n", h, w, cin, cout, k, k, reps);
    double t_portable = best_seconds(run_portable, &conv, in, h, w, out_other, &ep, ws, reps);
    printf("portable (OpenBLAS) %9.4f s %7.1f GFLOP/s\n", t_portable, gflop / t_portable);
    if (!conv.fast) {
        printf("fast kernel: none for this conv on this CPU\n");
        return 0;
    }
    double t_fast = best_seconds(run_fast, &conv, in, h, w, out_fast, &ep, ws, reps);
    printf("fast                %9.4f s %7.1f GFLOP/s (effective)  %.2f× portable\n",
           t_fast, gflop / t_fast, t_portable / t_fast);
    if (gflop < 20.0) {
        srgan_conv_forward_ref(&conv, in, h, w, out_other, &ep);
        double err = 0.0;
        for (size_t i = 0; i < no; i++)
            err = fmax(err, fabs((double)out_fast[i] - out_other[i]));
        printf("fast vs reference: max abs error %.3g\n", err);
    }
    srgan_conv_fast_free(conv.fast);
    return 0;
}
