/* test-fixtures.c — libsrgan against an independent PyTorch reference.
 *
 * tests/core/make-fixtures.py ran a PyTorch definition of each generator
 * in float64 and committed input/output pairs (fixtures/NAME.txt, NAME-in.bin,
 * NAME-out.bin).  Here the same inputs go through srgan_model_load() and
 * srgan_upscale() with small tiles (so tile seams, image borders and the
 * halo are all exercised) and with one tile; every output value must be
 * within 1e-4 of the reference. */
#include "test-util.h"

#include <string.h>

#define TOLERANCE 1e-4

typedef struct {
    char *model;     /* path relative to the source root */
    int scale, width, height;
} Fixture;

static void fixture_clear(Fixture *f)
{
    g_free(f->model);
}

static Fixture read_fixture(const char *name)
{
    g_autofree char *rel = g_strdup_printf("tests/core/fixtures/%s.txt", name);
    g_autofree char *path = test_source_path(rel);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, &error));
    g_assert_no_error(error);

    Fixture f = { 0 };
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        g_auto(GStrv) kv = g_strsplit(*line, " ", 2);
        if (!kv[0] || !kv[1] || kv[0][0] == '#')
            continue;
        if (!strcmp(kv[0], "model"))
            f.model = g_strdup(kv[1]);
        else if (!strcmp(kv[0], "scale"))
            f.scale = atoi(kv[1]);
        else if (!strcmp(kv[0], "width"))
            f.width = atoi(kv[1]);
        else if (!strcmp(kv[0], "height"))
            f.height = atoi(kv[1]);
    }
    g_assert_nonnull(f.model);
    g_assert_cmpint(f.width, >, 0);
    g_assert_cmpint(f.height, >, 0);
    return f;
}

static TestImage *read_floats(const char *name, const char *suffix, int w, int h)
{
    g_autofree char *rel = g_strdup_printf("tests/core/fixtures/%s-%s.bin", name, suffix);
    g_autofree char *path = test_source_path(rel);
    g_autofree char *bytes = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &bytes, &length, &error));
    g_assert_cmpuint(length, ==, (gsize)w * h * 3 * sizeof(float));
    TestImage *image = test_image_new(w, h, 3);
    /* The fixtures are little-endian float32. */
    for (gsize i = 0; i < (gsize)w * h * 3; i++) {
        guint32 bits;
        memcpy(&bits, bytes + 4 * i, 4);
        bits = GUINT32_FROM_LE(bits);
        memcpy(&image->data[i], &bits, 4);
    }
    return image;
}

static void test_fixture(gconstpointer data)
{
    const char *name = data;
    Fixture f = read_fixture(name);
    g_autofree char *model_path = test_source_path(f.model);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(model_path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(srgan_model_get_scale(model), ==, f.scale);

    g_autoptr(TestImage) input = read_floats(name, "in", f.width, f.height);
    g_autoptr(TestImage) expected = read_floats(name, "out", f.width * f.scale, f.height * f.scale);

    /* Tiles of 16 and 17 do not divide the sides; 0 = automatic = one tile. */
    const int tiles[] = { 16, 17, 0 };
    for (guint t = 0; t < G_N_ELEMENTS(tiles); t++)
        for (int threads = 1; threads <= 2; threads++) {
            SrganParams params = srgan_params_default();
            params.tile_size = tiles[t];
            params.threads = threads;
            g_autoptr(TestImage) got = test_upscale(model, input, SRGAN_PIXELS_RGB, &params, NULL, &error);
            g_assert_no_error(error);
            const double diff = test_max_abs_diff(got, expected);
            g_test_message("%s: tile %d, %d thread(s): max |diff| = %.3g", name, tiles[t], threads, diff);
            g_assert_cmpfloat(diff, <=, TOLERANCE);
        }
    fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/fixtures/leftthomas-x2", "leftthomas-x2", test_fixture);
    g_test_add_data_func("/fixtures/leftthomas-x4", "leftthomas-x4", test_fixture);
    g_test_add_data_func("/fixtures/leftthomas-x8", "leftthomas-x8", test_fixture);
    g_test_add_data_func("/fixtures/paper-x4", "paper-x4", test_fixture);
    /* RRDBNet and SRVGGNetCompact (tests/core/make-family-fixtures.py):
     * random small models, then the shipped ones on crops of sample.png. */
    g_test_add_data_func("/fixtures/rrdbnet-x4", "rrdbnet-x4", test_fixture);
    g_test_add_data_func("/fixtures/srvgg-x4", "srvgg-x4", test_fixture);
    g_test_add_data_func("/fixtures/realesrgan-x4plus-13x11", "realesrgan-x4plus-13x11", test_fixture);
    g_test_add_data_func("/fixtures/realesrgan-x4plus-7x9", "realesrgan-x4plus-7x9", test_fixture);
    g_test_add_data_func("/fixtures/realesr-general-x4v3-13x11", "realesr-general-x4v3-13x11", test_fixture);
    g_test_add_data_func("/fixtures/realesr-general-x4v3-7x9", "realesr-general-x4v3-7x9", test_fixture);
    return g_test_run();
}
