/* srgan-bench — time srgan_upscale() on the shipped 4× model and on the
 * paper-size SRResNet (16 blocks, 64 channels, random weights).
 *
 *   srgan-bench [--threads N] [--tile T] [--reps N] [--sizes 128,256]
 *               [--nets shipped,paper] [--model PATH]
 *
 * For each net and each N×N input: one untimed warm-up, then --reps timed
 * runs; prints the median seconds, the effective GFLOP/s (2 · multiply-adds
 * per input pixel · pixels / seconds, the convention of DESIGN.md's
 * figures), the median CPU seconds of all threads (less sensitive to a busy
 * machine than wall time) and the process's peak RSS so far (getrusage
 * ru_maxrss; run one net and size per process for a per-case figure).
 * A benchmark, not a test: it asserts nothing about speed.
 */
#include "test-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    const TestImage *src;
    double checksum;     /* keeps the writer's work from being optimised away */
} BenchIO;

static gboolean bench_read(gpointer user_data, int x, int y, int width, int height,
                           float *buf, GError **error)
{
    const TestImage *src = ((BenchIO *)user_data)->src;
    (void)error;
    for (int r = 0; r < height; r++)
        memcpy(buf + (size_t)r * width * 3, src->data + ((size_t)(y + r) * src->width + x) * 3,
               sizeof(float) * width * 3);
    return TRUE;
}

static gboolean bench_write(gpointer user_data, int x, int y, int width, int height,
                            const float *buf, GError **error)
{
    BenchIO *io = user_data;
    (void)x; (void)y; (void)error;
    io->checksum += buf[0] + buf[(size_t)width * height * 3 - 1];
    return TRUE;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CPU seconds (user + system, all threads) used so far: on a shared
 * machine wall time depends on the neighbours, CPU time much less. */
static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static long peak_rss_mb(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;   /* Linux reports kilobytes */
}

static gboolean bench(const char *name, SrganModel *model, int size, int reps,
                      const SrganParams *params, GError **error)
{
    g_autoptr(TestImage) src = test_image_new(size, size, 3);
    test_image_fill(src, 1, -1);
    BenchIO io = { .src = src };
    g_autofree double *seconds = g_new(double, reps);
    g_autofree double *cpu = g_new(double, reps);
    for (int r = -1; r < reps; r++) {   /* r = -1: warm-up */
        const gint64 start = g_get_monotonic_time();
        const double cpu_start = cpu_seconds();
        if (!srgan_upscale(model, size, size, SRGAN_PIXELS_RGB, bench_read, bench_write,
                           &io, params, error))
            return FALSE;
        if (r >= 0) {
            seconds[r] = (g_get_monotonic_time() - start) / 1e6;
            cpu[r] = cpu_seconds() - cpu_start;
        }
    }
    qsort(seconds, reps, sizeof(double), compare_doubles);
    qsort(cpu, reps, sizeof(double), compare_doubles);
    const double median = reps % 2 ? seconds[reps / 2] : (seconds[reps / 2 - 1] + seconds[reps / 2]) / 2;
    const double gflop = 2.0 * srgan_model_get_macs_per_pixel(model) * size * size / 1e9;
    const double cpu_median = reps % 2 ? cpu[reps / 2] : (cpu[reps / 2 - 1] + cpu[reps / 2]) / 2;
    printf("%-8s %4d×%-4d  median %7.3f s (min %.3f, max %.3f, %d runs)  %6.1f GFLOP/s  "
           "(%.1f GFLOP; %.2f CPU-s, %.1f GFLOP per CPU-s)  peak RSS %ld MB\n",
           name, size, size, median, seconds[0], seconds[reps - 1], reps,
           gflop / median, gflop, cpu_median, gflop / cpu_median, peak_rss_mb());
    fflush(stdout);
    return TRUE;
}

/* The paper's generator: 16 blocks, 64 channels, 4×, random weights
 * (speed does not depend on the values). */
static SrganModel *paper_model(void)
{
    return test_random_model(4, 16, 64, 64, SRGAN_TAIL_CONV_BN, SRGAN_OUTPUT_IDENTITY, 2017);
}

int main(int argc, char **argv)
{
    int threads = 0, tile = 0, reps = 3;
    g_autofree char *sizes_arg = g_strdup("128,256"), *nets_arg = g_strdup("shipped,paper");
    g_autofree char *model_path = NULL;
    GOptionEntry entries[] = {
        { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "worker threads (0 = all cores)", "N" },
        { "tile", 0, 0, G_OPTION_ARG_INT, &tile, "tile size (0 = automatic)", "T" },
        { "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "timed runs per case (median reported)", "N" },
        { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_arg, "input sides, comma-separated", "LIST" },
        { "nets", 0, 0, G_OPTION_ARG_STRING, &nets_arg, "shipped and/or paper", "LIST" },
        { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "shipped model (default: $SRGAN_MODEL or installed)", "PATH" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) context = g_option_context_new("— time the SRGAN forward pass");
    g_option_context_add_main_entries(context, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "srgan-bench: %s\n", error->message);
        return 2;
    }
    if (reps < 1) {
        fprintf(stderr, "srgan-bench: --reps must be at least 1\n");
        return 2;
    }
    SrganParams params = srgan_params_default();
    params.threads = threads;
    params.tile_size = tile;

    g_auto(GStrv) sizes = g_strsplit(sizes_arg, ",", -1);
    g_auto(GStrv) nets = g_strsplit(nets_arg, ",", -1);
    printf("srgan-bench: threads %d (0 = all %u cores), tile %d (0 = automatic)\n",
           threads, g_get_num_processors(), tile);
    for (char **net = nets; *net; net++) {
        g_autoptr(SrganModel) model = NULL;
        if (!strcmp(*net, "shipped"))
            model = srgan_model_load(model_path, &error);
        else if (!strcmp(*net, "paper"))
            model = paper_model();
        else
            g_set_error(&error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT, "unknown net \"%s\"", *net);
        if (!model) {
            fprintf(stderr, "srgan-bench: %s\n", error->message);
            return 1;
        }
        printf("%s: %d×, %d blocks, %d channels, %.0f multiply-adds per input pixel\n", *net,
               srgan_model_get_scale(model), srgan_model_get_blocks(model),
               srgan_model_get_channels(model), srgan_model_get_macs_per_pixel(model));
        for (char **size = sizes; *size; size++) {
            const int side = atoi(*size);
            if (side < 1 || side > 4096) {
                fprintf(stderr, "srgan-bench: bad size \"%s\"\n", *size);
                return 2;
            }
            if (!bench(*net, model, side, reps, &params, &error)) {
                fprintf(stderr, "srgan-bench: %s\n", error->message);
                return 1;
            }
        }
    }
    return 0;
}
