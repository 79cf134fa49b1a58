/* fuzz-model.c — libFuzzer harness for the weights loader.
 *
 * Feeds arbitrary bytes to srgan_model_load_from_data(), which parses the
 * safetensors container, the JSON header, __metadata__ and every tensor.
 * Any outcome but "a model" or "NULL with an SRGAN_ERROR that has a
 * message" aborts, as do GLib criticals and warnings (made fatal below), so
 * the sanitizers and these checks together turn every misbehaviour into a
 * crash libFuzzer reports.
 *
 * Built two ways: with clang -fsanitize=fuzzer (tests/fuzz/run-fuzz.sh,
 * meson -Dfuzz=true), and with any compiler together with fuzz-replay.c,
 * which runs the seed corpus through it as an ordinary test.
 */
#include <stdint.h>
#include <stdlib.h>

#include "srgan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    SrganModel *model = srgan_model_load_from_data(data, size, "fuzz-input", &error);
    if (model) {
        if (error)
            abort();  /* success must not also report an error */
        /* Touch what a caller would use first. */
        if (srgan_model_get_halo(model) <= 0 || srgan_model_get_macs_per_pixel(model) <= 0)
            abort();
        srgan_model_unref(model);
        return 0;
    }
    if (!error || error->domain != SRGAN_ERROR || !error->message || !error->message[0] ||
        !g_utf8_validate(error->message, -1, NULL))
        abort();
    g_error_free(error);
    return 0;
}
