/* fuzz-replay.c — runs files (or every file in directories) through the
 * fuzz harness once each, without libFuzzer: the seed corpus and any saved
 * crashers become an ordinary test that any compiler can build. */
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize size = 0;
    if (!g_file_get_contents(path, &data, &size, &error)) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    /* An exact-size copy, so a sanitizer sees any read past the end. */
    g_autofree guint8 *copy = g_memdup2(data, size);
    LLVMFuzzerTestOneInput(copy, size);
    return 0;
}

int
main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    int files = 0, failures = 0;
    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            g_autoptr(GError) error = NULL;
            g_autoptr(GDir) dir = g_dir_open(argv[i], 0, &error);
            if (!dir) {
                g_printerr("%s\n", error->message);
                return 1;
            }
            const char *name;
            while ((name = g_dir_read_name(dir))) {
                g_autofree char *path = g_build_filename(argv[i], name, NULL);
                failures += replay_file(path);
                files++;
            }
        } else {
            failures += replay_file(argv[i]);
            files++;
        }
    }
    printf("replayed %d inputs\n", files);
    /* No inputs means the corpus went missing: that is a failure too. */
    return failures || files == 0 ? 1 : 0;
}
