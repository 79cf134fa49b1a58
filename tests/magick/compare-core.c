/* compare-core — checks the ImageMagick module's output against libsrgan
 * called directly on the same decoded input.
 *
 *   compare-core [--any-depth] INPUT RESULT      (model: $SRGAN_MODEL)
 *
 * For every frame: the result must be `scale` times the input, keep its
 * alpha, its grey-ness and its depth (at least 8 bits), and every channel
 * of every pixel must be within one quantisation step of the result's depth
 * (1/255 for 8-bit files) of the core's float output for the whole frame.
 * The reference makes one srgan_upscale() call with whole-image buffers, so
 * a module bug in tiling regions, channel maps or quantisation shows up.
 * --any-depth skips the depth check, for an INPUT that the test converted
 * itself (stored at 16 bits so the conversion adds no rounding).
 * $SRGAN_COMPARE_TILE and $SRGAN_COMPARE_HALO, when set, give the reference
 * that tile size and halo, for options that change the result (a halo
 * shorter than the model's reach leaves seams between tiles).
 * Exit 0 when all frames match, 1 otherwise. */
#include <math.h>
#include <stdlib.h>

#include <srgan.h>

#include "magick-test-util.h"

typedef struct {
    const float *in;
    float *out;
    int width, out_width, channels;
} WholeImage;

static gboolean read_whole(gpointer data, int x, int y, int w, int h, float *buf, GError **error)
{
    (void) error;
    const WholeImage *img = data;
    for (int row = 0; row < h; row++)
        memcpy(buf + (gsize) row * w * img->channels,
               img->in + ((gsize) (y + row) * img->width + x) * img->channels,
               sizeof(float) * (gsize) w * img->channels);
    return TRUE;
}

static gboolean write_whole(gpointer data, int x, int y, int w, int h, const float *buf,
                            GError **error)
{
    (void) error;
    WholeImage *img = data;
    for (int row = 0; row < h; row++)
        memcpy(img->out + ((gsize) (y + row) * img->out_width + x) * img->channels,
               buf + (gsize) row * w * img->channels,
               sizeof(float) * (gsize) w * img->channels);
    return TRUE;
}

static int compare_frame(SrganModel *model, const Image *in, const Image *out, int index,
                         gboolean check_depth)
{
    const int scale = srgan_model_get_scale(model);
    const MagickBooleanType alpha = test_has_alpha(in), grey = test_is_grey(in);
    if (out->columns != in->columns * (size_t) scale || out->rows != in->rows * (size_t) scale) {
        fprintf(stderr, "frame %d: result %zux%zu, expected %zux%zu (×%d)\n", index,
                out->columns, out->rows, in->columns * scale, in->rows * scale, scale);
        return 1;
    }
    if (test_has_alpha(out) != alpha || test_is_grey(out) != grey) {
        fprintf(stderr, "frame %d: alpha %d->%d, grey %d->%d\n", index, alpha,
                test_has_alpha(out), grey, test_is_grey(out));
        return 1;
    }
    const size_t want_depth = in->depth < 8 ? 8 : in->depth;
    if (check_depth && out->depth != want_depth) {
        fprintf(stderr, "frame %d: depth %zu, expected %zu\n", index, out->depth, want_depth);
        return 1;
    }
    const char *map = grey ? (alpha ? "RA" : "R") : (alpha ? "RGBA" : "RGB");
    const SrganPixels layout = grey ? (alpha ? SRGAN_PIXELS_YA : SRGAN_PIXELS_Y)
                                    : (alpha ? SRGAN_PIXELS_RGBA : SRGAN_PIXELS_RGB);
    const int channels = (int) strlen(map);
    const gsize in_count = (gsize) in->columns * in->rows * channels;
    const gsize out_count = (gsize) out->columns * out->rows * channels;
    g_autofree float *src = g_new(float, in_count);
    g_autofree float *expected = g_new(float, out_count);
    g_autofree float *actual = g_new(float, out_count);
    ExceptionInfo *exception = AcquireExceptionInfo();
    MagickBooleanType ok =
        ExportImagePixels(in, 0, 0, in->columns, in->rows, map, FloatPixel, src, exception);
    ok = ok && ExportImagePixels(out, 0, 0, out->columns, out->rows, map, FloatPixel, actual,
                                 exception);
    DestroyExceptionInfo(exception);
    if (!ok) {
        fprintf(stderr, "frame %d: cannot export pixels\n", index);
        return 1;
    }
    WholeImage whole = { src, expected, (int) in->columns, (int) out->columns, channels };
    SrganParams params = srgan_params_default();
    const char *tile = g_getenv("SRGAN_COMPARE_TILE"), *halo = g_getenv("SRGAN_COMPARE_HALO");
    params.tile_size = tile != NULL ? atoi(tile) : 0;
    params.halo = halo != NULL ? atoi(halo) : 0;
    g_autoptr(GError) error = NULL;
    if (!srgan_upscale(model, (int) in->columns, (int) in->rows, layout, read_whole,
                       write_whole, &whole, &params, &error)) {
        fprintf(stderr, "frame %d: reference upscale failed: %s\n", index, error->message);
        return 1;
    }
    /* One step of the result's quantisation, plus float noise. */
    const double tolerance = 1.0 / (double) ((1u << MIN(out->depth, 16)) - 1) + 1e-6;
    double worst = 0.0;
    gsize worst_at = 0;
    for (gsize i = 0; i < out_count; i++) {
        double diff = fabs((double) actual[i] - (double) expected[i]);
        if (diff > worst) {
            worst = diff;
            worst_at = i;
        }
    }
    gsize pixel = worst_at / channels;
    printf("frame %d: %zux%zu -> %zux%zu %s depth %zu: max |module - core| = %.6f "
           "(at %zu,%zu channel %c; tolerance %.6f)\n",
           index, in->columns, in->rows, out->columns, out->rows, map, out->depth, worst,
           (size_t) (pixel % out->columns), (size_t) (pixel / out->columns),
           map[worst_at % channels], tolerance);
    return worst <= tolerance ? 0 : 1;
}

int main(int argc, char **argv)
{
    gboolean check_depth = TRUE;
    if (argc == 4 && strcmp(argv[1], "--any-depth") == 0) {
        check_depth = FALSE;
        argv++, argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s [--any-depth] INPUT RESULT   (model from $SRGAN_MODEL)\n",
                argv[0]);
        return 2;
    }
    MagickCoreGenesis(argv[0], MagickFalse);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(NULL, &error);
    if (model == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    Image *inputs = test_read_images(argv[1]);
    Image *results = test_read_images(argv[2]);
    int failures = 0;
    if (inputs == NULL || results == NULL) {
        failures = 1;
    } else if (GetImageListLength(inputs) != GetImageListLength(results)) {
        fprintf(stderr, "%zu input frames, %zu result frames\n", GetImageListLength(inputs),
                GetImageListLength(results));
        failures = 1;
    } else {
        int index = 0;
        for (const Image *in = inputs, *out = results; in != NULL;
             in = GetNextImageInList(in), out = GetNextImageInList(out), index++)
            failures += compare_frame(model, in, out, index, check_depth);
    }
    if (inputs)
        DestroyImageList(inputs);
    if (results)
        DestroyImageList(results);
    MagickCoreTerminus();
    return failures == 0 ? 0 : 1;
}
