/* fma-peak.c — the FMA peak of this CPU's 256-bit (AVX2 + FMA) path:
 * what a perfect kernel could reach, so that docs/speed.md can give each
 * measured GFLOP/s as a share of it (issue 15).
 *
 *   fma-peak [THREADS…]      (default: 1 and 2)
 *
 * Each thread runs a register-only loop of independent fused multiply-adds
 * (12 accumulators × 8 floats: enough chains to cover the FMA latency on
 * the CPUs seen here), and the total is reported as GFLOP/s (2 flops per
 * multiply-add per lane), by the wall clock and per CPU second (the
 * latter is what the cores give when they are not shared).  No memory traffic, so this
 * is an upper bound, not a target.  On a CPU without AVX2 and FMA it says
 * so and exits 77.
 */
#include <glib.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define LANES 8
#define ITERATIONS 100000000L

typedef struct {
    double seconds, cpu_seconds;
    float sink;
} Result;

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((target("avx2,fma")))
static gpointer run(gpointer data)
{
    Result *r = data;
    __m256 acc[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++)
        acc[i] = _mm256_set1_ps((float)i);
    const gint64 start = g_get_monotonic_time();
    const double cpu_start = thread_cpu_seconds();
    for (long n = 0; n < ITERATIONS; n++)
        for (int i = 0; i < CHAINS; i++)
            acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    r->seconds = (g_get_monotonic_time() - start) / 1e6;
    r->cpu_seconds = thread_cpu_seconds() - cpu_start;
    float out[LANES];
    __m256 sum = acc[0];
    for (int i = 1; i < CHAINS; i++)
        sum = _mm256_add_ps(sum, acc[i]);
    _mm256_storeu_ps(out, sum);
    r->sink = out[0];   /* keeps the loop from being optimised away */
    return NULL;
}

int main(int argc, char **argv)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("SKIP: this CPU has no AVX2 + FMA: no 256-bit FMA path to measure\n");
        return 77;
    }
    const char *const default_threads[] = { "1", "2", NULL };
    const char *const *counts = argc > 1 ? (const char *const *)argv + 1 : default_threads;
    for (int c = 0; counts[c]; c++) {
        const int n = atoi(counts[c]);
        if (n < 1 || n > 256)
            return 2;
        Result *results = g_new0(Result, n);
        GThread **threads = g_new(GThread *, n);
        for (int t = 0; t < n; t++)
            threads[t] = g_thread_new("fma", run, &results[t]);
        double slowest = 0.0, cpu = 0.0;
        for (int t = 0; t < n; t++) {
            g_thread_join(threads[t]);
            slowest = MAX(slowest, results[t].seconds);
            cpu += results[t].cpu_seconds;
        }
        const double flops = 2.0 * LANES * CHAINS * (double)ITERATIONS * n;
        /* Per CPU-second as well: what the threads would reach on cores
         * of their own, whatever else the machine is doing. */
        printf("avx2-fma %d thread(s): %.1f GFLOP/s wall (%.3f s), %.1f GFLOP/s on %d free core(s)"
               " (%.1f per CPU second; checksum %g)\n",
               n, flops / slowest * 1e-9, slowest, flops / cpu * 1e-9 * n, n, flops / cpu * 1e-9,
               results[0].sink);
        g_free(results);
        g_free(threads);
    }
    return 0;
}
