/* core-upscale.c — the reference for the GIMP tests: upscales a PNG with
 * libsrgan directly and compares the result with the PNG GIMP exported
 * after running plug-in-srgan on the same file.
 *
 *   core-upscale [--any-depth] IN.png GIMP-OUT.png [TOLERANCE] [REFERENCE-OUT.png]
 *   core-upscale --same A.png B.png     (the undo test: identical pictures)
 *
 * Reads 8- and 16-bit grey, grey+alpha, RGB and RGBA PNGs (libpng, no
 * colour conversion: samples / (2^depth − 1) are the perceptual values the
 * plug-in feeds the core).  Exit 0 when GIMP's output has the input's
 * layout, the model's scale × the size, and every sample within TOLERANCE
 * (default 1/255) of the core's; exit 1 otherwise, with the numbers.
 * The model is srgan_model_load(NULL): $SRGAN_MODEL in the tests.
 * $SRGAN_COMPARE_TILE and $SRGAN_COMPARE_HALO, when set, give the reference
 * that tile size and halo (for a run with a halo shorter than the model's
 * reach, whose tiles show seams).
 */
#include <math.h>
#include <png.h>
#include <srgan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int width, height, channels, depth;
    float *data;   /* width*height*channels, [0,1] */
} Picture;

static void
picture_clear(Picture *p)
{
    g_clear_pointer(&p->data, g_free);
}

static gboolean
read_png(const char *path, Picture *p, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "cannot open %s", path);
        return FALSE;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not a readable PNG", path);
        return FALSE;
    }
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_EXPAND, NULL);   /* palette/low depth -> 8 bit */
    p->width = png_get_image_width(png, info);
    p->height = png_get_image_height(png, info);
    p->channels = png_get_channels(png, info);
    p->depth = png_get_bit_depth(png, info);
    png_bytepp rows = png_get_rows(png, info);
    double max = p->depth == 16 ? 65535.0 : 255.0;
    gsize row_samples = (gsize) p->width * p->channels;

    p->data = g_new(float, row_samples * p->height);
    for (int y = 0; y < p->height; y++)
        for (gsize i = 0; i < row_samples; i++) {
            unsigned v = p->depth == 16 ? (rows[y][2 * i] << 8 | rows[y][2 * i + 1])
                                        : rows[y][i];
            p->data[y * row_samples + i] = (float) (v / max);
        }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return TRUE;
}

static gboolean
write_png(const char *path, const Picture *p)
{
    static const int types[] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return FALSE;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    gsize row_samples = (gsize) p->width * p->channels;
    int bytes = p->depth / 8;
    guint8 *row = g_malloc(row_samples * bytes);

    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        g_free(row);
        return FALSE;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, p->width, p->height, p->depth, types[p->channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < p->height; y++) {
        for (gsize i = 0; i < row_samples; i++) {
            double max = bytes == 2 ? 65535.0 : 255.0;
            unsigned v = (unsigned) (CLAMP(p->data[y * row_samples + i], 0.0f, 1.0f) * max + 0.5);
            if (bytes == 2) {
                row[2 * i] = v >> 8;
                row[2 * i + 1] = v & 0xff;
            } else {
                row[i] = v;
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    g_free(row);
    return TRUE;
}

typedef struct {
    const Picture *in;
    Picture *out;
} Job;

static gboolean
read_rect(gpointer user_data, int x, int y, int w, int h, float *buf, GError **error)
{
    const Picture *in = ((Job *) user_data)->in;
    (void) error;
    for (int r = 0; r < h; r++)
        memcpy(buf + (gsize) r * w * in->channels,
               in->data + ((gsize) (y + r) * in->width + x) * in->channels,
               sizeof(float) * w * in->channels);
    return TRUE;
}

static gboolean
write_rect(gpointer user_data, int x, int y, int w, int h, const float *buf, GError **error)
{
    Picture *out = ((Job *) user_data)->out;
    (void) error;
    for (int r = 0; r < h; r++)
        memcpy(out->data + ((gsize) (y + r) * out->width + x) * out->channels,
               buf + (gsize) r * w * out->channels, sizeof(float) * w * out->channels);
    return TRUE;
}

/* --same: A and B have the same size, layout and samples (exit 0). */
static int
compare_same(const char *a_path, const char *b_path)
{
    g_autoptr(GError) error = NULL;
    Picture a = { 0 }, b = { 0 };
    int status = 0;

    if (!read_png(a_path, &a, &error) || !read_png(b_path, &b, &error)) {
        g_printerr("core-upscale: %s\n", error->message);
        return 2;
    }
    if (a.width != b.width || a.height != b.height || a.channels != b.channels) {
        g_printerr("FAIL %s is %d×%d×%d, %s is %d×%d×%d\n", b_path, b.width, b.height,
                   b.channels, a_path, a.width, a.height, a.channels);
        status = 1;
    } else {
        gsize n = (gsize) a.width * a.height * a.channels, differ = 0, hidden = 0;
        gboolean has_alpha = a.channels == 2 || a.channels == 4;
        for (gsize i = 0; i < n; i++) {
            gsize alpha_index = i - i % a.channels + a.channels - 1;
            /* As above: GIMP's PNG export zeroes colour under alpha 0. */
            if (has_alpha && i != alpha_index && a.data[alpha_index] == 0.0f &&
                b.data[alpha_index] == 0.0f) {
                hidden++;
                continue;
            }
            differ += a.data[i] != b.data[i];
        }
        printf("%s vs %s: %d×%d×%d, %zu samples differ (%zu colour samples under "
               "alpha 0 not compared)\n", a_path, b_path, a.width, a.height, a.channels,
               differ, hidden);
        status = differ != 0;
    }
    picture_clear(&a);
    picture_clear(&b);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--same") == 0)
        return compare_same(argv[2], argv[3]);

    static const SrganPixels layouts[] = { 0, SRGAN_PIXELS_Y, SRGAN_PIXELS_YA,
                                           SRGAN_PIXELS_RGB, SRGAN_PIXELS_RGBA };
    g_autoptr(GError) error = NULL;
    Picture in = { 0 }, gimp = { 0 }, ref = { 0 };
    gboolean any_depth = argc > 1 && strcmp(argv[1], "--any-depth") == 0;

    if (any_depth) {
        argv++;
        argc--;
    }

    if (argc < 3) {
        g_printerr("usage: %s IN.png GIMP-OUT.png [TOLERANCE] [REFERENCE-OUT.png]\n", argv[0]);
        return 2;
    }
    double tolerance = argc > 3 ? g_ascii_strtod(argv[3], NULL) : 1.0 / 255.0;

    g_autoptr(SrganModel) model = srgan_model_load(NULL, &error);
    if (model == NULL || !read_png(argv[1], &in, &error) || !read_png(argv[2], &gimp, &error)) {
        g_printerr("core-upscale: %s\n", error->message);
        return 2;
    }
    int scale = srgan_model_get_scale(model);

    ref.width = in.width * scale;
    ref.height = in.height * scale;
    ref.channels = in.channels;
    ref.depth = in.depth;
    ref.data = g_new0(float, (gsize) ref.width * ref.height * ref.channels);
    Job job = { &in, &ref };
    SrganParams params = srgan_params_default();
    const char *tile = g_getenv("SRGAN_COMPARE_TILE"), *halo = g_getenv("SRGAN_COMPARE_HALO");
    params.tile_size = tile != NULL ? atoi(tile) : 0;
    params.halo = halo != NULL ? atoi(halo) : 0;
    if (!srgan_upscale(model, in.width, in.height, layouts[in.channels],
                       read_rect, write_rect, &job, &params, &error)) {
        g_printerr("core-upscale: srgan_upscale: %s\n", error->message);
        return 2;
    }
    if (argc > 4 && !write_png(argv[4], &ref))
        g_printerr("core-upscale: could not write %s\n", argv[4]);

    int status = 0;
    if (gimp.width != ref.width || gimp.height != ref.height || gimp.channels != ref.channels) {
        g_printerr("FAIL %s: GIMP gave %d×%d×%d, the core %d×%d×%d\n", argv[2],
                   gimp.width, gimp.height, gimp.channels, ref.width, ref.height, ref.channels);
        status = 1;
    } else {
        double max_diff = 0;
        gsize n = (gsize) ref.width * ref.height * ref.channels, worst = 0;
        gboolean has_alpha = ref.channels == 2 || ref.channels == 4;
        gsize hidden = 0;
        for (gsize i = 0; i < n; i++) {
            gsize alpha_index = i - i % ref.channels + ref.channels - 1;
            /* Colour under fully transparent pixels is invisible and GIMP's
             * PNG export zeroes it; alpha itself is always compared, so the
             * core's alpha there is within the tolerance of 0 too. */
            if (has_alpha && i != alpha_index && gimp.data[alpha_index] == 0.0f) {
                hidden++;
                continue;
            }
            double d = fabs((double) gimp.data[i] - ref.data[i]);
            if (d > max_diff) {
                max_diff = d;
                worst = i;
            }
        }
        gsize pixel = worst / ref.channels;
        printf("%s: %d×%d×%d %d-bit, max |GIMP − core| = %.6f (%.3f/255) at (%zu, %zu) channel %zu\n",
               argv[2], ref.width, ref.height, ref.channels, gimp.depth, max_diff,
               max_diff * 255.0, pixel % ref.width, pixel / ref.width, worst % ref.channels);
        if (hidden > 0)
            printf("  (colour of %zu samples under GIMP's alpha 0 not compared)\n", hidden);
        if (!any_depth && gimp.depth != in.depth) {
            g_printerr("FAIL %s: GIMP exported %d-bit, the input is %d-bit\n",
                       argv[2], gimp.depth, in.depth);
            status = 1;
        }
        if (max_diff > tolerance) {
            g_printerr("FAIL %s: difference %.6f exceeds %.6f\n", argv[2], max_diff, tolerance);
            status = 1;
        }
    }
    picture_clear(&in);
    picture_clear(&gimp);
    picture_clear(&ref);
    return status;
}
