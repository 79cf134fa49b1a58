/* test-shipped.c — the three shipped models load and describe themselves
 * correctly; the default-path rules hold.
 *
 * SRGAN_WEIGHTS_DIR (set by meson) is the source tree's weights/ folder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "safetensors.h"

static char *
shipped_path(int scale)
{
    const char *dir = g_getenv("SRGAN_WEIGHTS_DIR");
    g_assert_nonnull(dir);
    g_autofree char *file = g_strdup_printf("srgan-x%d.safetensors", scale);
    return g_build_filename(dir, file, NULL);
}

/* The halo walked output→input in full-resolution pixels: the tail's 9×9
 * reaches 4; an upsample conv at 2^k times the input resolution reaches one
 * of its pixels = scale/2^k full-resolution pixels; every conv at input
 * resolution (head 9×9: 4, two per block, body) reaches `scale` per pixel
 * of radius.  Rounded up to whole input pixels. */
static int
halo_by_walk(int scale, int blocks)
{
    double radius = 4.0;
    for (int res = scale / 2; res >= 1; res /= 2)
        radius += (double)scale / res;
    radius += (4.0 + 2.0 * blocks + 1.0) * scale;
    return (int)ceil(radius / scale);
}

/* Multiply-adds per input pixel, counted from the file's weight shapes:
 * each conv weight's element count (= k·k·cin·cout MACs per pixel of its
 * resolution) times the pixels it runs on per input pixel. */
static double
macs_from_file(const SrganSafetensors *st, int scale)
{
    double macs = 0;
    for (guint i = 0; i < st->tensors->len; i++) {
        const SrganTensor *t = g_ptr_array_index(st->tensors, i);
        if (t->n_dims != 4)
            continue;
        double per_pixel = 1.0;
        if (g_str_has_prefix(t->name, "up.")) {
            int stage = atoi(t->name + 3);
            per_pixel = (double)(1 << stage) * (1 << stage);
        } else if (g_str_has_prefix(t->name, "tail.")) {
            per_pixel = (double)scale * scale;
        }
        macs += (double)t->n_elements * per_pixel;
    }
    return macs;
}

static void
test_shipped(gconstpointer data)
{
    const int scale = GPOINTER_TO_INT(data);
    g_autofree char *path = shipped_path(scale);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) m = srgan_model_load(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(m);

    g_assert_cmpint(srgan_model_get_scale(m), ==, scale);
    g_assert_cmpint(srgan_model_get_blocks(m), ==, 5);
    g_assert_cmpint(srgan_model_get_channels(m), ==, 64);
    g_assert_cmpint(srgan_model_get_halo(m), ==, halo_by_walk(scale, 5));
    g_assert_cmpint(m->spec.tail, ==, SRGAN_TAIL_CONV_PRELU);
    g_assert_cmpint(m->output, ==, SRGAN_OUTPUT_TANH);
    g_assert_cmpfloat(m->input_lo, ==, 0.0f);
    g_assert_cmpfloat(m->input_hi, ==, 1.0f);
    g_assert_cmpstr(srgan_model_get_family(m), ==, "srresnet");
    for (int k = 0; k < 4; k++) {   /* one upsample stage per factor of 2 */
        g_autofree char *up = g_strdup_printf("up.%d.conv", k);
        g_assert_true((srgan_model_get_conv(m, up) != NULL) == (2 << k <= scale));
    }
    g_assert_cmpint(srgan_model_get_conv(m, "head.conv")->prelu_count, ==, 1);
    g_assert_cmpint(srgan_model_get_conv(m, "body.conv")->prelu_count, ==, 1);
    g_assert_null(srgan_model_get_conv(m, "tail.conv")->prelu);

    g_assert_cmpstr(srgan_model_get_metadata(m, "format"), ==, "srgan-generator");
    g_assert_cmpstr(srgan_model_get_metadata(m, "family"), ==, "srresnet");
    g_autofree char *scale_text = g_strdup_printf("%d", scale);
    g_assert_cmpstr(srgan_model_get_metadata(m, "scale"), ==, scale_text);
    g_assert_nonnull(strstr(srgan_model_get_metadata(m, "source"), "leftthomas/SRGAN"));
    g_assert_nonnull(strstr(srgan_model_get_metadata(m, "license"), "MIT"));
    g_assert_cmpint(strlen(srgan_model_get_metadata(m, "source_sha256")), ==, 64);
    g_assert_null(srgan_model_get_metadata(m, "no-such-key"));

    /* The file, read independently: MACs from its shapes, and the head conv
     * (no BN) transposed bit-exactly into the model. */
    g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, &error);
    g_assert_no_error(error);
    g_autoptr(SrganSafetensors) st = srgan_safetensors_parse(
        (const guint8 *)g_mapped_file_get_contents(file), g_mapped_file_get_length(file), path, &error);
    g_assert_no_error(error);
    g_assert_cmpfloat(srgan_model_get_macs_per_pixel(m), ==, macs_from_file(st, scale));

    const SrganTensor *w = srgan_safetensors_get(st, "head.conv.weight");
    g_autofree float *raw = g_new(float, w->n_elements);
    srgan_tensor_read_f32(w, raw);
    for (int o = 0; o < 64; o++)
        for (int i = 0; i < 3; i++)
            for (int y = 0; y < 9; y++)
                for (int x = 0; x < 9; x++)
                    g_assert_cmpfloat(srgan_model_get_conv(m, "head.conv")->weight[((y * 9 + x) * 3 + i) * 64 + o], ==,
                                      raw[((o * 3 + i) * 9 + y) * 9 + x]);

    /* Reference counting: an extra reference keeps the model alive. */
    SrganModel *extra = srgan_model_ref(m);
    g_assert_true(extra == m);
    srgan_model_unref(extra);
    g_assert_cmpint(srgan_model_get_scale(m), ==, scale);
}

static void
test_paper_macs(void)
{
    /* DESIGN.md's figure for the paper's net (16 blocks, 64 channels, 4×):
     * 2,218,176 MACs per low-res pixel. */
    g_autoptr(SrganModel) m = srgan_model_new_empty(4, 16, 64, 1, SRGAN_TAIL_CONV_BN, SRGAN_OUTPUT_IDENTITY);
    g_assert_cmpfloat(srgan_model_get_macs_per_pixel(m), ==, 2218176.0);
    g_assert_cmpint(srgan_model_get_halo(m), ==, halo_by_walk(4, 16));
    srgan_model_prepare(m);
}

static void
test_default_paths(void)
{
    g_autofree char *x4 = srgan_installed_model_path(4);
    g_assert_true(g_str_has_suffix(x4, G_DIR_SEPARATOR_S "srgan" G_DIR_SEPARATOR_S "srgan-x4.safetensors"));
    g_autofree char *x8 = srgan_installed_model_path(8);
    g_assert_true(g_str_has_suffix(x8, "srgan-x8.safetensors"));

    g_unsetenv("SRGAN_MODEL");
    g_autofree char *plain = srgan_default_model_path();
    g_assert_cmpstr(plain, ==, x4);

    g_autofree char *x2 = shipped_path(2);
    g_setenv("SRGAN_MODEL", x2, TRUE);
    g_autofree char *overridden = srgan_default_model_path();
    g_assert_cmpstr(overridden, ==, x2);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) m = srgan_model_load(NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(srgan_model_get_scale(m), ==, 2);
    g_unsetenv("SRGAN_MODEL");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/weights/shipped/x2", GINT_TO_POINTER(2), test_shipped);
    g_test_add_data_func("/weights/shipped/x4", GINT_TO_POINTER(4), test_shipped);
    g_test_add_data_func("/weights/shipped/x8", GINT_TO_POINTER(8), test_shipped);
    g_test_add_func("/weights/shipped/paper-macs", test_paper_macs);
    g_test_add_func("/weights/shipped/default-paths", test_default_paths);
    return g_test_run();
}
