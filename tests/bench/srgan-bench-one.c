/* srgan-bench-one — times srgan_upscale() on one raw float image, for
 * tests/bench/bench-vs-pytorch.py.
 *
 *   srgan-bench-one MODEL INPUT.f32 WIDTH HEIGHT THREADS REPS [OUTPUT.f32]
 *
 * INPUT.f32: WIDTH×HEIGHT×3 native floats in [0,1], rows packed (RGB).
 * Runs untimed warm-ups, then REPS timed upscales, and prints one
 * "seconds S cpu C" line per rep (wall-clock and process CPU seconds) and
 * a final "peak_rss_kb N" line.  OUTPUT.f32,
 * when given, receives the (4·WIDTH)×(4·HEIGHT)×3 result of the last run.
 * The tile size is the library's automatic choice unless SRGAN_BENCH_TILE
 * is set; SRGAN_BENCH_WARMUP sets the number of warm-up runs (default 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "srgan.h"

typedef struct {
    const float *src;       /* (height, width, 3) */
    int width;
    float *dst;             /* (height·s, width·s, 3) */
    int out_width;
} Images;

static gboolean read_rect(gpointer user_data, int x, int y, int width, int height,
                          float *buf, GError **error)
{
    (void)error;
    const Images *im = user_data;
    for (int r = 0; r < height; r++)
        memcpy(buf + (size_t)r * width * 3, im->src + ((size_t)(y + r) * im->width + x) * 3,
               sizeof(float) * 3 * width);
    return TRUE;
}

static gboolean write_rect(gpointer user_data, int x, int y, int width, int height,
                           const float *buf, GError **error)
{
    (void)error;
    Images *im = user_data;
    for (int r = 0; r < height; r++)
        memcpy(im->dst + ((size_t)(y + r) * im->out_width + x) * 3, buf + (size_t)r * width * 3,
               sizeof(float) * 3 * width);
    return TRUE;
}

static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

/* Peak resident memory of this process in KB: VmHWM, the high-water mark
 * of its own address space.  (getrusage's ru_maxrss would also count the
 * parent's memory at fork, which exec does not reset: the Python harness
 * that starts this program holds PyTorch.) */
static long peak_rss_kb(void)
{
    g_autofree char *status = NULL;
    if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        const char *line = strstr(status, "VmHWM:");
        if (line)
            return strtol(line + strlen("VmHWM:"), NULL, 10);
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static int parse_int(const char *text, const char *what, int lo, int hi)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "srgan-bench-one: %s must be %d to %d, not \"%s\"\n", what, lo, hi, text);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: %s MODEL INPUT.f32 WIDTH HEIGHT THREADS REPS [OUTPUT.f32]\n", argv[0]);
        return 2;
    }
    int width = parse_int(argv[3], "WIDTH", 1, 65536);
    int height = parse_int(argv[4], "HEIGHT", 1, 65536);
    int threads = parse_int(argv[5], "THREADS", 1, 256);
    int reps = parse_int(argv[6], "REPS", 1, 1000);
    const char *tile = g_getenv("SRGAN_BENCH_TILE");
    const char *warmup_text = g_getenv("SRGAN_BENCH_WARMUP");
    int warmup = warmup_text ? parse_int(warmup_text, "SRGAN_BENCH_WARMUP", 0, 100) : 1;

    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(argv[1], &error);
    if (!model) {
        fprintf(stderr, "srgan-bench-one: %s\n", error->message);
        return 1;
    }
    g_autofree char *src = NULL;
    gsize src_len = 0;
    if (!g_file_get_contents(argv[2], &src, &src_len, &error)) {
        fprintf(stderr, "srgan-bench-one: %s\n", error->message);
        return 1;
    }
    if (src_len != sizeof(float) * 3 * (size_t)width * height) {
        fprintf(stderr, "srgan-bench-one: %s has %zu bytes, not %d×%d×3 floats\n",
                argv[2], (size_t)src_len, width, height);
        return 1;
    }
    const int s = srgan_model_get_scale(model);
    g_autofree float *dst = g_new0(float, (size_t)width * s * height * s * 3);
    Images im = { (const float *)src, width, dst, width * s };
    SrganParams params = srgan_params_default();
    params.threads = threads;
    if (tile)
        params.tile_size = parse_int(tile, "SRGAN_BENCH_TILE", 16, 4096);

    for (int rep = -warmup; rep < reps; rep++) {
        gint64 t0 = g_get_monotonic_time();
        double c0 = cpu_seconds();
        if (!srgan_upscale(model, width, height, SRGAN_PIXELS_RGB, read_rect, write_rect,
                           &im, &params, &error)) {
            fprintf(stderr, "srgan-bench-one: %s\n", error->message);
            return 1;
        }
        if (rep >= 0)
            printf("seconds %.6f cpu %.6f\n", (g_get_monotonic_time() - t0) * 1e-6,
                   cpu_seconds() - c0);
    }
    if (argc == 8 && !g_file_set_contents(argv[7], (const char *)dst,
                                          sizeof(float) * 3 * (gssize)width * s * height * s,
                                          &error)) {
        fprintf(stderr, "srgan-bench-one: %s\n", error->message);
        return 1;
    }
    printf("peak_rss_kb %ld\n", peak_rss_kb());
    return 0;
}
