/* test-rss.c — memory is bounded by the tile, not by the image.
 *
 * Upscales a 3000×3000 source (12000×12000 result at 4×: 1.7 GB of float
 * RGB if anything held it) from a reader that synthesises pixels into a
 * writer that only checks and discards them, then asserts the process's
 * peak RSS (getrusage ru_maxrss) stayed ≤ 512 MB.
 *
 *   test-rss [MODEL.safetensors] [SIDE]
 *
 * The registered tests run it twice, each in its own process (peak RSS is
 * a process's high-water mark):
 *  - a small random 4× SRResNet (1 block, 8 channels) on 3000×3000: the
 *    buffers that would scale with the image are the tiler's, whatever the
 *    model;
 *  - an RRDBNet with x4plus's widths (64 channels, growth 32) but one RRDB
 *    instead of 23, on 720×720 (enough tiles that every thread holds
 *    full-size buffers at once): its per-tile scratch is exactly the
 *    biggest shipped model's (the scratch depends on the widths, not on
 *    the depth; checked against weights/realesrgan-x4plus when present),
 *    so a scratch-sizing regression fails here, at a 23rd of the work.
 * (test-rss with no arguments, and test-rss --rrdbnet-stand-in.)
 * Run it with weights/realesrgan-x4plus.safetensors 3000 to measure the
 * real thing (minutes of CPU; docs/speed.md reports that figure).
 */
#include "test-util.h"
#include "tiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* x4plus's widths, one RRDB, zero weights (the arithmetic is the same). */
static SrganModel *wide_rrdbnet(void)
{
    const SrganSpec spec = {
        .family = SRGAN_FAMILY_RRDBNET, .scale = 4, .n_blocks = 1, .channels = 64, .growth = 32,
        .output = SRGAN_OUTPUT_IDENTITY, .input_lo = 0.0f, .input_hi = 1.0f,
    };
    SrganModel *model = srgan_model_new(&spec);
    srgan_model_prepare(model);
    return model;
}

/* Its buffers per thread are those of the shipped x4plus (when the file
 * is there): what makes it a stand-in for the biggest model.  x4plus stays
 * loaded in *x4plus_out, so the peak RSS includes its weights as a real
 * run's would. */
static gboolean same_scratch_as_x4plus(SrganModel *model, int side, SrganModel **x4plus_out)
{
    g_autofree char *path = test_source_path("weights/realesrgan-x4plus.safetensors");
    g_autoptr(GError) error = NULL;
    SrganModel *x4plus = g_file_test(path, G_FILE_TEST_EXISTS) ? srgan_model_load(path, &error) : NULL;
    *x4plus_out = x4plus;
    if (!x4plus) {
        printf("note: %s not checked against x4plus (%s)\n", "scratch",
               error ? error->message : "no weights/realesrgan-x4plus.safetensors");
        return TRUE;
    }
    /* The same halo for both: one RRDB reaches less far than x4plus's
     * default halo, and the halo (not the depth) sets the tile's extent. */
    SrganParams params = srgan_params_default();
    params.halo = srgan_model_get_receptive_radius(model);
    SrganTilePlan a, b;
    g_assert_true(srgan_tiler_plan(model, side, side, SRGAN_PIXELS_RGB, &params, &a, NULL));
    g_assert_true(srgan_tiler_plan(x4plus, side, side, SRGAN_PIXELS_RGB, &params, &b, NULL));
    printf("buffers per thread: %.1f MB (x4plus: %.1f MB), tile %d (x4plus: %d)\n",
           a.bytes_per_thread / 1048576.0, b.bytes_per_thread / 1048576.0, a.tile_w, b.tile_w);
    return a.bytes_per_thread == b.bytes_per_thread && a.tile_w == b.tile_w;
}

static int run(SrganModel *model, int side);

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    if (argc > 1 && argv[1][0] && argv[1][0] != '-') {
        g_autoptr(SrganModel) model = srgan_model_load(argv[1], &error);
        if (!model) {
            g_printerr("test-rss: %s\n", error->message);
            return 1;
        }
        return run(model, argc > 2 ? atoi(argv[2]) : 3000);
    }
    if (argc > 1 && strcmp(argv[1], "--rrdbnet-stand-in") == 0) {
        g_autoptr(SrganModel) wide = wide_rrdbnet();
        g_autoptr(SrganModel) x4plus = NULL;
        if (!same_scratch_as_x4plus(wide, 720, &x4plus)) {
            g_printerr("test-rss: the stand-in's buffers differ from x4plus's\n");
            return 1;
        }
        return run(wide, 720);
    }
    g_autoptr(SrganModel) small = test_random_model(4, 1, 8, 1, SRGAN_TAIL_CONV_PRELU,
                                                    SRGAN_OUTPUT_TANH, 3);
    return run(small, 3000);
}

static int run(SrganModel *model, int side)
{
    g_autoptr(GError) error = NULL;
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
