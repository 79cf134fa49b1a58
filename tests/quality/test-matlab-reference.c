/* test-matlab-reference.c — checks the evaluation protocol against MATLAB.
 *
 * ../shared/data/benchmark/set5-lr-x4-matlab holds the Set5 ×4 LR images
 * made by MATLAB's imresize (as distributed with SwinIR's test sets).  Our
 * image8_resize_bicubic() (core/imresize.c) must reproduce them within +-1
 * on at least 99.8% of the samples, and bicubic upscaling of our LR images
 * must give the published Set5 ×4 bicubic PSNR (28.43 dB in Ledig et al. 2017, Table 2)
 * to within 0.01 dB: 28.42–28.44 dB.
 *
 * Usage: test-matlab-reference [SHARED_DIR]   (default $SRGAN_SHARED)
 * Exit 77 (reported as not run, with the reason) only when the Set5 folders
 * are absent, as in a user's clone without ../shared; tests/run-all.sh then
 * requires the test where the shared data must be present (SRGAN_REQUIRE_ALL,
 * CI).  Checking the folders themselves, not just SHARED_DIR: the Debian 13
 * root has an empty mount point where ../shared goes. */
#include "image8.h"
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

static const char *const set5[] = { "baby", "bird", "butterfly", "head", "woman" };
enum { SCALE = 4 };

int main(int argc, char **argv)
{
    const char *shared = argc > 1 ? argv[1] : g_getenv("SRGAN_SHARED");
    if (!shared || !*shared) {
        g_print("SKIP: no shared data folder given (SRGAN_SHARED)\n");
        return 77;
    }
    g_autofree char *hr_dir = g_build_filename(shared, "data", "benchmark", "set5", NULL);
    g_autofree char *lr_dir = g_build_filename(shared, "data", "benchmark", "set5-lr-x4-matlab", NULL);
    for (const char *const *dir = (const char *const[]){ hr_dir, lr_dir, NULL }; *dir; dir++)
        if (!g_file_test(*dir, G_FILE_TEST_IS_DIR)) {
            g_print("SKIP: %s is absent (the shared data beside the clone)\n", *dir);
            return 77;
        }

    gint64 samples = 0, within_one = 0;
    double psnr_sum = 0.0, psnr_matlab_lr_sum = 0.0;
    int failures = 0;

    for (guint i = 0; i < G_N_ELEMENTS(set5); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *hr_name = g_strdup_printf("%s.png", set5[i]);
        g_autofree char *lr_name = g_strdup_printf("%sx%d.png", set5[i], SCALE);
        g_autofree char *hr_path = g_build_filename(hr_dir, hr_name, NULL);
        g_autofree char *lr_path = g_build_filename(lr_dir, lr_name, NULL);

        g_autoptr(Image8) hr_full = image8_load(hr_path, &error);
        g_autoptr(Image8) lr_matlab = hr_full ? image8_load(lr_path, &error) : NULL;
        if (!lr_matlab) {
            g_printerr("FAIL: %s\n", error->message);
            return 1;
        }
        /* MATLAB's modcrop: keep the top-left multiple of the scale. */
        g_autoptr(Image8) hr = image8_crop(hr_full, 0, 0, hr_full->width / SCALE * SCALE,
                                           hr_full->height / SCALE * SCALE);
        g_autoptr(Image8) lr = image8_resize_bicubic(hr, 1.0 / SCALE);
        if (lr->width != lr_matlab->width || lr->height != lr_matlab->height) {
            g_printerr("FAIL: %s: our LR is %dx%d, MATLAB's %dx%d\n", set5[i],
                       lr->width, lr->height, lr_matlab->width, lr_matlab->height);
            return 1;
        }
        gint64 n = (gint64)lr->width * lr->height * 3, ok = 0, exact = 0;
        int max_diff = 0;
        for (gint64 k = 0; k < n; k++) {
            int d = abs((int)lr->rgb[k] - (int)lr_matlab->rgb[k]);
            ok += d <= 1;
            exact += d == 0;
            max_diff = MAX(max_diff, d);
        }
        samples += n;
        within_one += ok;

        g_autoptr(Image8) up = image8_resize_bicubic(lr, SCALE);
        g_autoptr(Image8) up_matlab = image8_resize_bicubic(lr_matlab, SCALE);
        double psnr = metrics_psnr_y(up, hr, SCALE);
        double psnr_m = metrics_psnr_y(up_matlab, hr, SCALE);
        psnr_sum += psnr;
        psnr_matlab_lr_sum += psnr_m;
        g_print("%-10s LR %3dx%-3d exact %7.3f%%  within +-1 %7.3f%%  max |diff| %3d  "
                "bicubic PSNR %.3f dB (from MATLAB's LR %.3f dB)\n",
                set5[i], lr->width, lr->height, 100.0 * exact / n, 100.0 * ok / n,
                max_diff, psnr, psnr_m);
    }

    double fraction = (double)within_one / samples;
    double mean_psnr = psnr_sum / G_N_ELEMENTS(set5);
    g_print("Set5 x%d: LR samples within +-1 of MATLAB: %.4f%% (need >= 99.8%%)\n",
            SCALE, 100.0 * fraction);
    g_print("Set5 x%d: bicubic mean PSNR (Y, border %d): %.4f dB (need 28.42..28.44); "
            "from MATLAB's LR: %.4f dB\n", SCALE, SCALE, mean_psnr,
            psnr_matlab_lr_sum / G_N_ELEMENTS(set5));
    if (fraction < 0.998) {
        g_printerr("FAIL: only %.4f%% of LR samples within +-1\n", 100.0 * fraction);
        failures++;
    }
    if (!(mean_psnr >= 28.42 && mean_psnr <= 28.44)) {
        g_printerr("FAIL: bicubic Set5 PSNR %.4f dB outside 28.42..28.44\n", mean_psnr);
        failures++;
    }
    return failures ? 1 : 0;
}
