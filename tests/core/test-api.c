/* test-api.c — the public API's promises that are not about pixels:
 * finding models by name, listing them, reading their metadata from the
 * header, SrganParams' struct_size, the memory limit (checked before any
 * allocation, also under an address-space limit), srgan_upscale_check(),
 * and a model that keeps working after its file is truncated.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#include "test-util.h"

/* A temporary model folder holding the shipped 2× model under `names`. */
static char *make_model_dir(const char *const *names)
{
    g_autofree char *shipped = test_source_path("weights/srgan-x2.safetensors");
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(shipped, &contents, &length, NULL));
    char *dir = g_dir_make_tmp("srgan-api-XXXXXX", NULL);
    g_assert_nonnull(dir);
    for (int i = 0; names[i]; i++) {
        g_autofree char *file = g_strconcat(names[i], ".safetensors", NULL);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_assert_true(g_file_set_contents(path, contents, (gssize)length, NULL));
    }
    /* Not models: a stray text file and a damaged .safetensors. */
    g_autofree char *notes = g_build_filename(dir, "README.txt", NULL);
    g_autofree char *broken = g_build_filename(dir, "broken.safetensors", NULL);
    g_assert_true(g_file_set_contents(notes, "hello", -1, NULL));
    g_assert_true(g_file_set_contents(broken, "\x10\0\0\0\0\0\0\0{not json", 17, NULL));
    return dir;
}

static void remove_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_remove(path);
    }
    g_rmdir(dir);
}

static void test_find_and_list(void)
{
    static const char *const names[] = { "zeta-x2", "srgan-x4", "alpha-x2", NULL };
    g_autofree char *dir = make_model_dir(names);
    g_setenv("SRGAN_MODEL_DIR", dir, TRUE);

    g_autoptr(GError) error = NULL;
    g_autofree char *found = srgan_model_find("alpha-x2", &error);
    g_assert_no_error(error);
    g_autofree char *expected = g_build_filename(dir, "alpha-x2.safetensors", NULL);
    g_assert_cmpstr(found, ==, expected);

    /* A path is returned as it is; a missing name says where it looked. */
    g_autofree char *same = srgan_model_find(expected, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(same, ==, expected);
    g_autofree char *none = srgan_model_find("no-such-model", &error);
    g_assert_null(none);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "no-such-model.safetensors"));
    g_assert_nonnull(strstr(error->message, dir));
    g_clear_error(&error);

    /* Loading by name gives the model the path gives. */
    g_autoptr(SrganModel) by_name = srgan_model_load("alpha-x2", &error);
    g_assert_no_error(error);
    g_assert_cmpint(srgan_model_get_scale(by_name), ==, 2);
    g_assert_cmpstr(srgan_model_get_family(by_name), ==, "srresnet");

    /* The default first, the others sorted; non-models left out; the
     * installed folder may add more after them. */
    g_auto(GStrv) list = srgan_model_list();
    g_assert_cmpuint(g_strv_length(list), >=, 3);
    g_assert_cmpstr(list[0], ==, "srgan-x4");
    g_assert_cmpstr(list[1], ==, "alpha-x2");
    g_assert_true(g_strv_contains((const char *const *)list, "zeta-x2"));
    g_assert_false(g_strv_contains((const char *const *)list, "broken"));
    g_assert_false(g_strv_contains((const char *const *)list, "README"));

    g_autoptr(GHashTable) meta = srgan_model_read_metadata("zeta-x2", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(g_hash_table_lookup(meta, "family"), ==, "srresnet");
    g_assert_cmpstr(g_hash_table_lookup(meta, "scale"), ==, "2");
    g_autoptr(GHashTable) bad = srgan_model_read_metadata("broken", &error);
    g_assert_null(bad);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TRUNCATED);

    g_unsetenv("SRGAN_MODEL_DIR");
    remove_dir(dir);
}

static gboolean discard_write(gpointer user_data, int x, int y, int width, int height,
                              const float *buf, GError **error)
{
    (void)user_data; (void)x; (void)y; (void)width; (void)height; (void)buf; (void)error;
    return TRUE;
}

static gboolean grey_read(gpointer user_data, int x, int y, int width, int height,
                          float *buf, GError **error)
{
    (void)user_data; (void)x; (void)y; (void)error;
    for (size_t i = 0; i < (size_t)width * height * 3; i++)
        buf[i] = 0.5f;
    return TRUE;
}

/* An old caller's structure: only the fields up to `region_height` … the
 * callbacks and cancellable, i.e. without halo and memory_limit. */
static void test_params_struct_size(void)
{
    g_autoptr(SrganModel) model = test_random_model(2, 1, 8, 1, SRGAN_TAIL_CONV_PRELU,
                                                    SRGAN_OUTPUT_TANH, 7);
    g_autoptr(GError) error = NULL;
    SrganParams p = srgan_params_default();
    g_assert_cmpuint(p.struct_size, ==, sizeof(SrganParams));

    /* Fields past an older caller's struct_size are not read: garbage
     * there must not matter. */
    p.struct_size = G_STRUCT_OFFSET(SrganParams, halo);
    p.halo = -12345;
    p.memory_limit = 1;
    int tile = 0, threads = 0;
    g_assert_true(srgan_upscale_check(model, 64, 64, SRGAN_PIXELS_RGB, &p, &tile, &threads, &error));
    g_assert_no_error(error);
    g_assert_cmpint(tile, >=, 16);
    g_assert_cmpint(threads, >=, 1);

    /* A structure that never went through srgan_params_default(). */
    SrganParams zero;
    memset(&zero, 0, sizeof zero);
    g_assert_false(srgan_upscale(model, 8, 8, SRGAN_PIXELS_RGB, grey_read, discard_write,
                                 NULL, &zero, &error));
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "srgan_params_default"));
}

static void test_memory_limit(void)
{
    g_autoptr(SrganModel) model = test_random_model(4, 2, 16, 1, SRGAN_TAIL_CONV_PRELU,
                                                    SRGAN_OUTPUT_TANH, 9);
    g_autoptr(GError) error = NULL;
    SrganParams p = srgan_params_default();
    p.tile_size = 4096;
    p.memory_limit = (gsize)64 << 20;
    /* Refused with the limit and a tile size that fits named. */
    g_assert_false(srgan_upscale_check(model, 5000, 5000, SRGAN_PIXELS_RGBA, &p, NULL, NULL, &error));
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT);
    g_assert_nonnull(strstr(error->message, "Tile size 4096"));
    g_assert_nonnull(strstr(error->message, "64.0 MiB"));
    const char *fits = strstr(error->message, "tile size ");
    g_assert_nonnull(fits);
    const int suggested = atoi(fits + strlen("tile size "));
    g_assert_cmpint(suggested, >=, 16);
    g_clear_error(&error);

    /* …and that size is accepted, on as many threads as fit. */
    p.tile_size = suggested;
    int threads = 0;
    g_assert_true(srgan_upscale_check(model, 5000, 5000, SRGAN_PIXELS_RGBA, &p, NULL, &threads, &error));
    g_assert_no_error(error);
    g_assert_cmpint(threads, >=, 1);

    /* Automatic tiles shrink to the limit instead. */
    p.tile_size = 0;
    p.memory_limit = (gsize)24 << 20;
    int tile = 0;
    g_assert_true(srgan_upscale_check(model, 5000, 5000, SRGAN_PIXELS_RGB, &p, &tile, &threads, &error));
    p.memory_limit = 0;
    int big_tile = 0;
    g_assert_true(srgan_upscale_check(model, 5000, 5000, SRGAN_PIXELS_RGB, &p, &big_tile, NULL, &error));
    g_assert_cmpint(tile, <, big_tile);

    /* A limit nothing fits under. */
    p.memory_limit = 1024;
    g_assert_false(srgan_upscale_check(model, 5000, 5000, SRGAN_PIXELS_RGB, &p, NULL, NULL, &error));
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT);
    g_assert_nonnull(strstr(error->message, "smallest tile"));
}

/* Under `ulimit -v` a huge explicit tile is an error, not a crash or a
 * kill: the default limit follows the address-space limit. */
static void test_address_space_limit(void)
{
#if defined(__SANITIZE_ADDRESS__)
    /* ASan reserves terabytes of shadow address space up front. */
    g_test_skip("not run under AddressSanitizer, which needs an unlimited address space");
    return;
#endif
    if (g_test_subprocess()) {
        g_autoptr(SrganModel) model = test_random_model(4, 2, 16, 1, SRGAN_TAIL_CONV_PRELU,
                                                        SRGAN_OUTPUT_TANH, 9);
        struct rlimit as = { .rlim_cur = (rlim_t)1 << 30, .rlim_max = (rlim_t)1 << 30 };
        g_assert_cmpint(setrlimit(RLIMIT_AS, &as), ==, 0);
        SrganParams p = srgan_params_default();
        p.tile_size = 4096;
        g_autoptr(GError) error = NULL;
        gboolean ok = srgan_upscale(model, 4096, 4096, SRGAN_PIXELS_RGB, grey_read, discard_write,
                                    NULL, &p, &error);
        g_assert_false(ok);
        g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT);
        g_print("%s\n", error->message);
        return;
    }
    g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stdout("*more than the memory limit of 512*");
}

/* The model owns its values: truncating its file after loading changes
 * nothing (no SIGBUS from a mapping, no different result). */
static void test_truncated_after_load(void)
{
    g_autofree char *shipped = test_source_path("weights/srgan-x2.safetensors");
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(shipped, &contents, &length, NULL));
    g_autofree char *dir = g_dir_make_tmp("srgan-trunc-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "m.safetensors", NULL);
    g_assert_true(g_file_set_contents(path, contents, (gssize)length, NULL));

    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(path, &error);
    g_assert_no_error(error);
    g_autoptr(TestImage) src = test_image_new(24, 20, 3);
    test_image_fill(src, 3, -1);
    g_autoptr(TestImage) before = test_upscale(model, src, SRGAN_PIXELS_RGB, NULL, NULL, &error);
    g_assert_no_error(error);

    g_assert_cmpint(truncate(path, 100), ==, 0);
    g_autoptr(TestImage) after = test_upscale(model, src, SRGAN_PIXELS_RGB, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpfloat(test_max_abs_diff(before, after), ==, 0.0);

    /* Loading it now is a clear error. */
    g_autoptr(SrganModel) again = srgan_model_load(path, &error);
    g_assert_null(again);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TRUNCATED);
    g_remove(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api/find-and-list", test_find_and_list);
    g_test_add_func("/api/params-struct-size", test_params_struct_size);
    g_test_add_func("/api/memory-limit", test_memory_limit);
    g_test_add_func("/api/address-space-limit", test_address_space_limit);
    g_test_add_func("/api/truncated-after-load", test_truncated_after_load);
    return g_test_run();
}
