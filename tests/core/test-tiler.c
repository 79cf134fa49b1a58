/* test-tiler.c — srgan_upscale()'s promises, on small random models.
 *
 *  - tiled equals untiled (max |Δ| ≤ 1e-5) for tile sizes 16, 17, 31, 64,
 *    1 and 2 threads, every pixel layout, sides no tile size divides;
 *  - the layouts: RGBA colour equals RGB's, alpha equals bicubic; grey
 *    equals the mean of the RGB result of the replicated grey;
 *  - a region (preview) equals that crop of the whole result;
 *  - progress on the caller's thread, increasing, ending at 1;
 *  - cancel (progress FALSE, GCancellable) → G_IO_ERROR_CANCELLED and no
 *    write after it;
 *  - a failing reader or writer → its error; invalid arguments →
 *    SRGAN_ERROR_INVALID_ARGUMENT naming the bad value; too large →
 *    SRGAN_ERROR_TOO_LARGE; no callback runs for rejected arguments.
 * test-util.c's callbacks also check that read/write never overlap and
 * that every output pixel is written exactly once.
 */
#include "test-util.h"
#include "generator.h"
#include "pixels.h"

#include <math.h>
#include <string.h>

#define TILED_TOLERANCE 1e-5
#define W 45    /* neither side is a multiple of 16, 17, 31 or 64 */
#define H 38

static SrganModel *small_model(int scale)
{
    /* Per-channel PReLU and tanh: every code path of the generator. */
    return test_random_model(scale, 2, 16, 16, SRGAN_TAIL_CONV_PRELU, SRGAN_OUTPUT_TANH, 1000 + scale);
}

/* The narrowest model the format allows (8 channels: other kernel paths). */
static SrganModel *narrow_model(int scale)
{
    return test_random_model(scale, 1, 8, 1, SRGAN_TAIL_CONV_PRELU, SRGAN_OUTPUT_TANH, 2000 + scale);
}

static TestImage *upscale_ok(SrganModel *model, const TestImage *src, SrganPixels pixels,
                             int tile, int threads)
{
    SrganParams params = srgan_params_default();
    params.tile_size = tile;
    params.threads = threads;
    g_autoptr(GError) error = NULL;
    TestImage *out = test_upscale(model, src, pixels, &params, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(out);
    return out;
}

static void test_halo(void)
{
    /* The loader's halo must cover what the generator actually reaches. */
    for (int scale = 2; scale <= 8; scale *= 2)
        for (int blocks = 1; blocks <= 16; blocks += 15) {
            g_autoptr(SrganModel) m = srgan_model_new_empty(scale, blocks, 8, 1,
                                                            SRGAN_TAIL_CONV_PRELU, SRGAN_OUTPUT_TANH);
            g_assert_cmpint(srgan_model_get_halo(m), ==, srgan_generator_receptive_radius(m));
        }
}

static void check_tiled_equals_untiled(SrganModel *model, SrganPixels pixels)
{
    const int scale = srgan_model_get_scale(model);
    const int channels = srgan_pixels_channels(pixels);
    g_autoptr(TestImage) src = test_image_new(W, H, channels);
    test_image_fill(src, 42, srgan_pixels_has_alpha(pixels) ? channels - 1 : -1);

    /* One tile covering the image: the untiled network. */
    g_autoptr(TestImage) whole = upscale_ok(model, src, pixels, 64, 1);
    const int tiles[] = { 16, 17, 31, 64, 0 };   /* 0: automatic, one strip per thread here */
    for (guint t = 0; t < G_N_ELEMENTS(tiles); t++)
        for (int threads = 1; threads <= 2; threads++) {
            g_autoptr(TestImage) tiled = upscale_ok(model, src, pixels, tiles[t], threads);
            const double diff = test_max_abs_diff(tiled, whole);
            g_test_message("scale %d, layout %d, tile %d, %d thread(s): max |diff| %.3g",
                           scale, pixels, tiles[t], threads, diff);
            g_assert_cmpfloat(diff, <=, TILED_TOLERANCE);
        }
}

static void test_tiled_rgb(void)
{
    for (int scale = 2; scale <= 8; scale *= 2) {
        g_autoptr(SrganModel) model = small_model(scale);
        check_tiled_equals_untiled(model, SRGAN_PIXELS_RGB);
    }
    g_autoptr(SrganModel) narrow = narrow_model(4);
    check_tiled_equals_untiled(narrow, SRGAN_PIXELS_RGB);
}

static void test_tiled_rgba(void)
{
    g_autoptr(SrganModel) model = small_model(4);
    check_tiled_equals_untiled(model, SRGAN_PIXELS_RGBA);
}

static void test_tiled_y(void)
{
    g_autoptr(SrganModel) model = small_model(4);
    check_tiled_equals_untiled(model, SRGAN_PIXELS_Y);
}

static void test_tiled_ya(void)
{
    g_autoptr(SrganModel) model = narrow_model(2);
    check_tiled_equals_untiled(model, SRGAN_PIXELS_YA);
}

/* The other families (small random models from tests/core/fixtures): with
 * the halo at the receptive radius, tiles equal the whole image; srvgg's
 * default halo is that radius, rrdbnet's is smaller (a measured default)
 * and gives a small error instead. */
static void test_tiled_families(void)
{
    static const char *const files[] = { "tests/core/fixtures/srvgg-x4.safetensors",
                                         "tests/core/fixtures/rrdbnet-x4.safetensors" };
    for (guint f = 0; f < G_N_ELEMENTS(files); f++) {
        g_autofree char *path = test_source_path(files[f]);
        g_autoptr(GError) error = NULL;
        g_autoptr(SrganModel) model = srgan_model_load(path, &error);
        g_assert_no_error(error);
        const int radius = srgan_model_get_receptive_radius(model);
        const gboolean exact = strcmp(srgan_model_get_family(model), "srvgg") == 0;
        g_assert_cmpint(srgan_model_get_halo(model) == radius, ==, exact);

        g_autoptr(TestImage) src = test_image_new(W, H, 3);
        test_image_fill(src, 11, -1);
        g_autoptr(TestImage) whole = upscale_ok(model, src, SRGAN_PIXELS_RGB, 64, 1);
        const int tiles[] = { 16, 23 };
        for (guint t = 0; t < G_N_ELEMENTS(tiles); t++) {
            SrganParams params = srgan_params_default();
            params.tile_size = tiles[t];
            params.threads = 2;
            params.halo = radius;
            g_autoptr(TestImage) tiled = test_upscale(model, src, SRGAN_PIXELS_RGB, &params, NULL, &error);
            g_assert_no_error(error);
            g_test_message("%s, tile %d, halo %d: max |diff| %.3g", files[f], tiles[t], radius,
                           test_max_abs_diff(tiled, whole));
            g_assert_cmpfloat(test_max_abs_diff(tiled, whole), <=, TILED_TOLERANCE);
            /* A halo of 1 must show: the comparison is not vacuous. */
            params.halo = 1;
            g_autoptr(TestImage) short_halo = test_upscale(model, src, SRGAN_PIXELS_RGB, &params, NULL, &error);
            g_assert_no_error(error);
            g_assert_cmpfloat(test_max_abs_diff(short_halo, whole), >, 100 * TILED_TOLERANCE);
        }
    }
}

/* RGBA: colour as for RGB, alpha as bicubic of the source alpha.
 * Y: mean of R, G, B of the result of grey replicated to RGB. */
static void test_layouts(void)
{
    g_autoptr(SrganModel) model = small_model(4);
    const int s = 4;
    g_autoptr(TestImage) rgba = test_image_new(W, H, 4);
    test_image_fill(rgba, 5, 3);
    g_autoptr(TestImage) rgb = test_image_new(W, H, 3);
    g_autoptr(TestImage) alpha = test_image_new(W, H, 1);
    for (int i = 0; i < W * H; i++) {
        memcpy(rgb->data + 3 * i, rgba->data + 4 * i, 3 * sizeof(float));
        alpha->data[i] = rgba->data[4 * i + 3];
    }
    g_autoptr(TestImage) out_rgba = upscale_ok(model, rgba, SRGAN_PIXELS_RGBA, 17, 2);
    g_autoptr(TestImage) out_rgb = upscale_ok(model, rgb, SRGAN_PIXELS_RGB, 17, 2);
    g_autofree float *want_alpha = g_new(float, (size_t)W * s * H * s);
    srgan_alpha_upscale(alpha->data, 0, 0, W, H, 1, s, 0, 0, W * s, H * s, want_alpha, 1);
    double worst_colour = 0, worst_alpha = 0;
    gboolean alpha_varies = FALSE;
    for (size_t i = 0; i < (size_t)W * s * H * s; i++) {
        for (int c = 0; c < 3; c++)
            worst_colour = MAX(worst_colour, fabs(out_rgba->data[4 * i + c] - out_rgb->data[3 * i + c]));
        worst_alpha = MAX(worst_alpha, fabs(out_rgba->data[4 * i + 3] - want_alpha[i]));
        alpha_varies |= out_rgba->data[4 * i + 3] != out_rgba->data[3];
    }
    g_assert_true(alpha_varies);
    g_assert_cmpfloat(worst_colour, <=, 1e-6);
    g_assert_cmpfloat(worst_alpha, <=, 1e-6);

    g_autoptr(TestImage) grey = test_image_new(W, H, 1);
    g_autoptr(TestImage) grey_rgb = test_image_new(W, H, 3);
    for (int i = 0; i < W * H; i++) {
        grey->data[i] = rgb->data[3 * i + 1];
        for (int c = 0; c < 3; c++)
            grey_rgb->data[3 * i + c] = grey->data[i];
    }
    g_autoptr(TestImage) out_grey = upscale_ok(model, grey, SRGAN_PIXELS_Y, 31, 1);
    g_autoptr(TestImage) out_grey_rgb = upscale_ok(model, grey_rgb, SRGAN_PIXELS_RGB, 31, 1);
    double worst_grey = 0;
    for (size_t i = 0; i < (size_t)W * s * H * s; i++) {
        const float *p = out_grey_rgb->data + 3 * i;
        worst_grey = MAX(worst_grey, fabs(out_grey->data[i] - (p[0] + p[1] + p[2]) / 3.0));
    }
    g_assert_cmpfloat(worst_grey, <=, 1e-6);
}

/* A region's result equals that part of the whole image's result. */
static void test_region(void)
{
    g_autoptr(SrganModel) model = small_model(4);
    const int s = 4;
    g_autoptr(TestImage) src = test_image_new(W, H, 3);
    test_image_fill(src, 9, -1);
    g_autoptr(TestImage) whole = upscale_ok(model, src, SRGAN_PIXELS_RGB, 64, 2);
    const int regions[][4] = { { 5, 7, 20, 13 }, { 0, 0, 1, 1 }, { 44, 37, 1, 1 }, { 10, 0, 35, 38 } };
    for (guint r = 0; r < G_N_ELEMENTS(regions); r++) {
        SrganParams params = srgan_params_default();
        params.region_x = regions[r][0];
        params.region_y = regions[r][1];
        params.region_width = regions[r][2];
        params.region_height = regions[r][3];
        params.tile_size = 16;
        params.threads = 2;
        g_autoptr(GError) error = NULL;
        /* test_upscale checks nothing outside the region × s is written. */
        g_autoptr(TestImage) part = test_upscale(model, src, SRGAN_PIXELS_RGB, &params, NULL, &error);
        g_assert_no_error(error);
        const double diff = test_max_abs_diff_rect(part, whole, params.region_x * s, params.region_y * s,
                                                   params.region_width * s, params.region_height * s);
        g_assert_cmpfloat(diff, <=, TILED_TOLERANCE);
    }
}

/* ---- progress and cancel --------------------------------------------- */

typedef struct {
    TestIO io;
    GThread *caller;
    int calls;
    double last;
    int stop_at;                 /* return FALSE on this call; 0 never */
    int writes_at_stop;
} ProgressState;

static gboolean count_writes(gpointer user_data, int x, int y, int w, int h, const float *buf, GError **error)
{
    return test_write(user_data, x, y, w, h, buf, error);   /* ProgressState starts with TestIO */
}

static gboolean on_progress(gpointer user_data, double fraction)
{
    ProgressState *st = user_data;
    g_assert_true(g_thread_self() == st->caller);
    g_assert_cmpfloat(fraction, >, st->last);
    g_assert_cmpfloat(fraction, <=, 1.0);
    st->last = fraction;
    st->calls++;
    if (st->stop_at && st->calls == st->stop_at) {
        st->writes_at_stop = st->io.writes;
        return FALSE;
    }
    return TRUE;
}

static gboolean run_with_progress(SrganModel *model, const TestImage *src, ProgressState *st,
                                  GCancellable *cancellable, GError **error)
{
    const int s = srgan_model_get_scale(model);
    g_autoptr(TestImage) dst = test_image_new(src->width * s, src->height * s, 3);
    st->io.src = src;
    st->io.dst = dst;
    st->io.written = g_new0(guint8, (size_t)dst->width * dst->height);
    st->caller = g_thread_self();
    SrganParams params = srgan_params_default();
    params.tile_size = 16;
    params.threads = 2;
    params.progress = on_progress;
    params.progress_data = st;
    params.cancellable = cancellable;
    const gboolean ok = srgan_upscale(model, src->width, src->height, SRGAN_PIXELS_RGB,
                                      test_read, count_writes, st, &params, error);
    g_assert_false(st->io.overlapped);
    g_clear_pointer(&st->io.written, g_free);
    st->io.dst = NULL;
    return ok;
}

static void test_progress(void)
{
    g_autoptr(SrganModel) model = small_model(2);
    g_autoptr(TestImage) src = test_image_new(W, H, 3);
    test_image_fill(src, 3, -1);
    ProgressState st = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(run_with_progress(model, src, &st, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpint(st.calls, ==, 9);   /* 3 × 3 tiles of 16 */
    g_assert_cmpfloat(st.last, ==, 1.0);
    g_assert_cmpint(st.io.writes, ==, 9);
}

static void test_cancel_from_progress(void)
{
    g_autoptr(SrganModel) model = small_model(2);
    g_autoptr(TestImage) src = test_image_new(W, H, 3);
    test_image_fill(src, 3, -1);
    for (int round = 0; round < 5; round++) {   /* threads make each run a new interleaving */
        ProgressState st = { .stop_at = 2 };
        g_autoptr(GError) error = NULL;
        g_assert_false(run_with_progress(model, src, &st, NULL, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_assert_cmpint(st.calls, ==, 2);
        g_assert_cmpint(st.io.writes, ==, st.writes_at_stop);
        g_assert_cmpint(st.io.writes, <, 9);
    }
}

static void test_cancel_cancellable(void)
{
    g_autoptr(SrganModel) model = small_model(2);
    g_autoptr(TestImage) src = test_image_new(W, H, 3);
    test_image_fill(src, 3, -1);
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_cancellable_cancel(cancellable);
    ProgressState st = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_false(run_with_progress(model, src, &st, cancellable, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint(st.io.writes, ==, 0);
    g_assert_cmpint(st.calls, ==, 0);
}

/* ---- errors ------------------------------------------------------------ */

static void test_callback_errors(void)
{
    g_autoptr(SrganModel) model = small_model(2);
    g_autoptr(TestImage) src = test_image_new(W, H, 3);
    test_image_fill(src, 3, -1);
    SrganParams params = srgan_params_default();
    params.tile_size = 16;
    params.threads = 2;

    /* A reader that fails with a GError: that error comes back. */
    {
        TestIO io = { .fail_read_at = 3, .fail_with_error = TRUE };
        g_autoptr(GError) error = NULL;
        g_assert_null(test_upscale(model, src, SRGAN_PIXELS_RGB, &params, &io, &error));
        g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_IO);
        g_assert_nonnull(strstr(error->message, "test reader fails on call 3"));
        g_assert_cmpint(io.reads, ==, 3);   /* nothing read after the failure */
    }
    /* A reader that fails without one: SRGAN_ERROR_CALLBACK. */
    {
        TestIO io = { .fail_read_at = 1, .fail_with_error = FALSE };
        g_autoptr(GError) error = NULL;
        g_assert_null(test_upscale(model, src, SRGAN_PIXELS_RGB, &params, &io, &error));
        g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK);
        g_assert_cmpint(io.writes, ==, 0);
    }
    /* A writer that fails: its error, and no write after it. */
    {
        TestIO io = { .fail_write_at = 2 };
        g_autoptr(GError) error = NULL;
        g_assert_null(test_upscale(model, src, SRGAN_PIXELS_RGB, &params, &io, &error));
        g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
        g_assert_cmpint(io.writes, ==, 2);
    }
}

static gboolean never_read(gpointer d, int x, int y, int w, int h, float *buf, GError **e)
{
    (void)d; (void)x; (void)y; (void)w; (void)h; (void)buf; (void)e;
    g_assert_not_reached();
}

static gboolean never_write(gpointer d, int x, int y, int w, int h, const float *buf, GError **e)
{
    (void)d; (void)x; (void)y; (void)w; (void)h; (void)buf; (void)e;
    g_assert_not_reached();
}

static void expect_invalid(SrganModel *model, int width, int height, SrganPixels pixels,
                           const SrganParams *params, int code, const char *in_message)
{
    g_autoptr(GError) error = NULL;
    g_assert_false(srgan_upscale(model, width, height, pixels, never_read, never_write,
                                 NULL, params, &error));
    g_assert_error(error, SRGAN_ERROR, code);
    if (!strstr(error->message, in_message))
        g_error("message \"%s\" does not mention \"%s\"", error->message, in_message);
}

static void test_invalid_arguments(void)
{
    g_autoptr(SrganModel) model = small_model(8);
    const int inv = SRGAN_ERROR_INVALID_ARGUMENT;
    SrganParams p = srgan_params_default();
    expect_invalid(model, 0, 10, SRGAN_PIXELS_RGB, &p, inv, "width 0");
    expect_invalid(model, 10, 0, SRGAN_PIXELS_RGB, &p, inv, "height 0");
    expect_invalid(model, -3, 10, SRGAN_PIXELS_RGB, &p, inv, "width -3");
    expect_invalid(model, 10, SRGAN_MAX_SIDE + 1, SRGAN_PIXELS_RGB, &p, inv, "1000001");
    expect_invalid(model, 10, 10, (SrganPixels)7, &p, inv, "layout 7");
    expect_invalid(NULL, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "model");

    p = srgan_params_default();
    p.tile_size = 15;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "15");
    p.tile_size = -1;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "-1");
    p.tile_size = 4097;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "4097");
    p = srgan_params_default();
    p.threads = -2;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "-2");
    p.threads = 257;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "257");

    p = srgan_params_default();
    p.region_x = 5; p.region_y = 5; p.region_width = 6; p.region_height = 5;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "6×5 at (5, 5)");
    p.region_x = -1; p.region_width = 2;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "(-1, 5)");
    p = srgan_params_default();
    p.region_width = -4;
    expect_invalid(model, 10, 10, SRGAN_PIXELS_RGB, &p, inv, "-4");

    /* 1,000,000² at 8× overflows the output limit. */
    p = srgan_params_default();
    expect_invalid(model, SRGAN_MAX_SIDE, SRGAN_MAX_SIDE, SRGAN_PIXELS_RGB, &p,
                   SRGAN_ERROR_TOO_LARGE, "8000000");

    /* NULL callbacks. */
    g_autoptr(GError) error = NULL;
    g_assert_false(srgan_upscale(model, 10, 10, SRGAN_PIXELS_RGB, NULL, never_write, NULL, NULL, &error));
    g_assert_error(error, SRGAN_ERROR, inv);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tiler/halo", test_halo);
    g_test_add_func("/tiler/tiled-equals-untiled/rgb", test_tiled_rgb);
    g_test_add_func("/tiler/tiled-equals-untiled/rgba", test_tiled_rgba);
    g_test_add_func("/tiler/tiled-equals-untiled/y", test_tiled_y);
    g_test_add_func("/tiler/tiled-equals-untiled/ya", test_tiled_ya);
    g_test_add_func("/tiler/tiled-equals-untiled/families", test_tiled_families);
    g_test_add_func("/tiler/layouts", test_layouts);
    g_test_add_func("/tiler/region", test_region);
    g_test_add_func("/tiler/progress", test_progress);
    g_test_add_func("/tiler/cancel/progress", test_cancel_from_progress);
    g_test_add_func("/tiler/cancel/cancellable", test_cancel_cancellable);
    g_test_add_func("/tiler/errors/callbacks", test_callback_errors);
    g_test_add_func("/tiler/errors/arguments", test_invalid_arguments);
    return g_test_run();
}
