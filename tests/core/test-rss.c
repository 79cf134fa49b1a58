/* test-rss.c — memory is bounded by the tile, not by the image.
 *
 * Upscales a 3000×3000 source (12000×12000 result at 4×: 1.7 GB of float
 * RGB if anything held it) from a reader that synthesises pixels into a
 * writer that only checks and discards them, then asserts the process's
 * peak RSS (getrusage ru_maxrss) stayed ≤ 512 MB.
 *
 *   test-rss [MODEL.safetensors] [SIDE]
 *
 * Without arguments (the registered test) it uses a small random 4× model
 * (1 block, 8 channels): the buffers that scale with the image are the
 * tiler's, whatever the model, and the real model would take minutes of
 * CPU.  Run it with weights/srgan-x4.safetensors to measure the shipped
 * model (README / issue 2 report that figure).
 */
#include "test-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define RSS_LIMIT_MB 512

typedef struct {
    gint64 pixels_written;
    double sum;
} Sink;

static gboolean synth_read(gpointer user_data, int x, int y, int width, int height,
                           float *buf, GError **error)
{
    (void)user_data; (void)error;
    for (int r = 0; r < height; r++)
        for (int c = 0; c < width; c++)
            for (int ch = 0; ch < 3; ch++)
                buf[((size_t)r * width + c) * 3 + ch] =
                    (float)(((x + c) * 7 + (y + r) * 13 + ch * 29) % 256) / 255.0f;
    return TRUE;
}

static gboolean discard_write(gpointer user_data, int x, int y, int width, int height,
                              const float *buf, GError **error)
{
    Sink *sink = user_data;
    (void)x; (void)y; (void)error;
    sink->pixels_written += (gint64)width * height;
    sink->sum += buf[0];
    return TRUE;
}

static long peak_rss_mb(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = NULL;
    const int side = argc > 2 ? atoi(argv[2]) : 3000;
    if (argc > 1 && argv[1][0])
        model = srgan_model_load(argv[1], &error);
    else
        model = test_random_model(4, 1, 8, 1, SRGAN_TAIL_CONV_PRELU, SRGAN_OUTPUT_TANH, 3);
    if (!model) {
        g_printerr("test-rss: %s\n", error->message);
        return 1;
    }
    const int s = srgan_model_get_scale(model);
    Sink sink = { 0 };
    const long before = peak_rss_mb();
    const gint64 start = g_get_monotonic_time();
    SrganParams params = srgan_params_default();   /* automatic tile size and threads */
    if (!srgan_upscale(model, side, side, SRGAN_PIXELS_RGB, synth_read, discard_write,
                       &sink, &params, &error)) {
        g_printerr("test-rss: %s\n", error->message);
        return 1;
    }
    const long peak = peak_rss_mb();
    printf("%d×%d → %d×%d (%d blocks, %d channels) in %.1f s on %u cores: peak RSS %ld MB "
           "(%ld MB before the upscale), limit %d MB\n",
           side, side, side * s, side * s, srgan_model_get_blocks(model),
           srgan_model_get_channels(model), (g_get_monotonic_time() - start) / 1e6,
           g_get_num_processors(), peak, before, RSS_LIMIT_MB);
    if (sink.pixels_written != (gint64)side * s * side * s) {
        g_printerr("test-rss: %" G_GINT64_FORMAT " pixels written, expected %" G_GINT64_FORMAT "\n",
                   sink.pixels_written, (gint64)side * s * side * s);
        return 1;
    }
    if (peak > RSS_LIMIT_MB) {
        g_printerr("test-rss: peak RSS %ld MB exceeds %d MB\n", peak, RSS_LIMIT_MB);
        return 1;
    }
    return 0;
}
