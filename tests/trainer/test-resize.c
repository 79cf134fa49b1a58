/* test-resize.c — the MATLAB-style bicubic resize on float samples, as the
 * trainer uses it (core/imresize.h; tests/quality checks the uint8 path):
 * a constant stays constant, a linear ramp is reproduced at the output
 * sample centres away from the borders, and Set5 downscaled ×1/4 matches
 * the LR images made with MATLAB's imresize (from
 * $SRGAN_SHARED/data/benchmark): ≥ 88% of values identical after rounding,
 * none more than 2 levels off.
 *
 *   test-trainer-resize                 the constant and the ramp
 *   test-trainer-resize --set5 SHARED   Set5 against MATLAB; SHARED is the
 *                                       shared data folder ($SRGAN_SHARED wins)
 *
 * Two tests, so that the Set5 part cannot pass unseen inside the others: it
 * exits 77 (reported as not run, with the reason) when the Set5 images are
 * absent, as in a user's clone without ../shared; tests/run-all.sh requires
 * it where the shared data must be present (SRGAN_REQUIRE_ALL, CI). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "photos.h"
#include "imresize.h"

static gboolean check_constant_and_ramp(void)
{
    int w = 40, h = 32, f = 4;
    float *src = g_new(float, w * h * 2), *dst = g_new(float, (w / f) * (h / f) * 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            src[(y * w + x) * 2] = 0.25f;
            src[(y * w + x) * 2 + 1] = 0.01f * x + 0.02f * y;
        }
    imresize_bicubic_float(src, w, h, 2, 1.0 / f, dst);
    double err_const = 0, err_ramp = 0;
    for (int y = 0; y < h / f; y++)
        for (int x = 0; x < w / f; x++) {
            err_const = fmax(err_const, fabs(dst[(y * (w / f) + x) * 2] - 0.25));
            /* interior only: the mirror border bends a ramp */
            if (x >= 2 && x < w / f - 2 && y >= 2 && y < h / f - 2) {
                double cx = x * f + (f - 1) / 2.0, cy = y * f + (f - 1) / 2.0;
                err_ramp = fmax(err_ramp, fabs(dst[(y * (w / f) + x) * 2 + 1] -
                                               (0.01 * cx + 0.02 * cy)));
            }
        }
    gboolean ok = err_const < 1e-6 && err_ramp < 1e-5;
    printf("%s constant error %.1e, ramp error %.1e\n", ok ? "ok  " : "FAIL", err_const, err_ramp);
    g_free(src);
    g_free(dst);
    return ok;
}

/* Enlarging: a constant stays constant and a ramp is reproduced inside. */
static gboolean check_upscale(void)
{
    int w = 12, h = 10, f = 4;
    float *src = g_new(float, w * h), *dst = g_new(float, w * f * h * f);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            src[y * w + x] = 0.1f + 0.03f * x + 0.01f * y;
    imresize_bicubic_float(src, w, h, 1, f, dst);
    double err = 0;
    for (int y = 2 * f; y < (h - 2) * f; y++)
        for (int x = 2 * f; x < (w - 2) * f; x++) {
            /* output pixel centre in input coordinates */
            double sx = (x + 0.5) / f - 0.5, sy = (y + 0.5) / f - 0.5;
            err = fmax(err, fabs(dst[y * w * f + x] - (0.1 + 0.03 * sx + 0.01 * sy)));
        }
    gboolean ok = err < 1e-5;
    printf("%s bicubic x4 up reproduces a ramp: error %.1e\n", ok ? "ok  " : "FAIL", err);
    g_free(src);
    g_free(dst);
    return ok;
}

static int check_set5(const char *shared)
{
    static const char *names[] = {"baby", "bird", "butterfly", "head", "woman"};
    int failures = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *hr_path = g_strdup_printf("%s/data/benchmark/set5/%s.png", shared, names[i]);
        g_autofree char *lr_path = g_strdup_printf("%s/data/benchmark/set5-lr-x4-matlab/%sx4.png",
                                                   shared, names[i]);
        g_autoptr(GError) error = NULL;
        Photo *hr = photo_load(hr_path, &error);
        Photo *lr = hr ? photo_load(lr_path, &error) : NULL;
        if (!hr || !lr) {
            printf("FAIL %s\n", error->message);
            photo_free(hr);
            return -1;
        }
        int ow = imresize_output_side(hr->width, 0.25);
        int oh = imresize_output_side(hr->height, 0.25);
        if (ow != lr->width || oh != lr->height) {
            printf("FAIL %s: %dx%d from %dx%d, MATLAB made %dx%d\n", names[i], ow, oh,
                   hr->width, hr->height, lr->width, lr->height);
            failures++;
            photo_free(hr);
            photo_free(lr);
            continue;
        }
        size_t n = (size_t)hr->width * hr->height * 3, m = (size_t)ow * oh * 3;
        float *src = g_new(float, n), *dst = g_new(float, m);
        for (size_t k = 0; k < n; k++)
            src[k] = hr->rgb[k];
        imresize_bicubic_float(src, hr->width, hr->height, 3, 0.25, dst);
        int worst = 0;
        size_t exact = 0;
        for (size_t k = 0; k < m; k++) {
            int v = (int)CLAMP(roundf(dst[k]), 0, 255);
            int d = abs(v - lr->rgb[k]);
            worst = MAX(worst, d);
            exact += d == 0;
        }
        /* Measured: 89–90% identical, the rest one level off and all of those
         * within ~0.1 level of a rounding tie (the HR files here and the ones
         * MATLAB read differ slightly); a wrong kernel, centre or border rule
         * (PIL's border, for one) gives 83–85% and errors of 7–10 levels. */
        gboolean ok = worst <= 2 && exact >= m * 88 / 100;
        printf("%s set5 %-9s vs MATLAB: max difference %d level(s), %.2f%% identical\n",
               ok ? "ok  " : "FAIL", names[i], worst, 100.0 * exact / m);
        failures += !ok;
        g_free(src);
        g_free(dst);
        photo_free(hr);
        photo_free(lr);
    }
    return failures;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--set5") == 0) {
        const char *shared = g_getenv("SRGAN_SHARED");
        if (!shared || !*shared)
            shared = argc > 2 ? argv[2] : NULL;
        if (!shared) {
            printf("SKIP: no shared data folder given (SRGAN_SHARED)\n");
            return 77;
        }
        static const char *const dirs[] = {"set5", "set5-lr-x4-matlab"};
        for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
            g_autofree char *dir = g_build_filename(shared, "data", "benchmark", dirs[i], NULL);
            if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
                printf("SKIP: %s is absent (the shared data beside the clone)\n", dir);
                return 77;
            }
        }
        return check_set5(shared) == 0 ? 0 : 1;
    }
    gboolean ok = check_constant_and_ramp();
    ok &= check_upscale();
    return ok ? 0 : 1;
}
