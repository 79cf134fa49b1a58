/* test-metrics.c — the luma PSNR/SSIM and imresize against closed forms.
 *
 * - Raising R, G and B by 1 raises MATLAB's Y by exactly 219/255, so the
 *   PSNR of such a pair is 10 log10(255² / (219/255)²) = 49.4527 dB:
 *   this pins the BT.601 coefficients and the border handling.
 * - SSIM of an image with itself is 1; with a constant shift d of the luma
 *   it is (2 mu1 mu2 + C1) / (mu1² + mu2² + C1) averaged (the contrast
 *   term is 1), which this test computes on a flat image in closed form.
 * - imresize keeps a constant image constant at every scale, and a 4×
 *   down then up of a constant image is exact.
 * - Border pixels are excluded: corrupting only the border leaves the
 *   PSNR infinite. */
#include "image8.h"
#include "metrics.h"

#include <math.h>
#include <string.h>

static int failures;

static void expect_near(const char *what, double got, double want, double tol)
{
    gboolean ok = fabs(got - want) <= tol || (isinf(got) && isinf(want));
    g_print("%s %s: got %.6f, want %.6f\n", ok ? "ok  " : "FAIL", what, got, want);
    failures += !ok;
}

static Image8 *textured(int w, int h)
{
    Image8 *im = image8_new(w, h);
    guint32 state = 12345;
    for (gsize i = 0; i < (gsize)w * h * 3; i++) {
        state = state * 1664525u + 1013904223u;
        im->rgb[i] = 20 + (state >> 24) % 200;   /* room for +1 without clipping */
    }
    return im;
}

int main(void)
{
    g_autoptr(Image8) a = textured(64, 48);
    g_autoptr(Image8) b = image8_crop(a, 0, 0, 64, 48);
    for (gsize i = 0; i < (gsize)64 * 48 * 3; i++)
        b->rgb[i] += 1;
    double dy = 219.0 / 255.0;
    expect_near("PSNR of +1 on RGB", metrics_psnr_y(a, b, 4),
                10.0 * log10(255.0 * 255.0 / (dy * dy)), 1e-9);
    expect_near("PSNR of identical", metrics_psnr_y(a, a, 4), INFINITY, 0);
    expect_near("SSIM of identical", metrics_ssim_y(a, a, 4), 1.0, 1e-12);

    /* Flat images: SSIM reduces to the luminance term. */
    g_autoptr(Image8) f1 = image8_new(40, 40);
    g_autoptr(Image8) f2 = image8_new(40, 40);
    memset(f1->rgb, 100, 40 * 40 * 3);
    memset(f2->rgb, 110, 40 * 40 * 3);
    double y1 = 16.0 + 219.0 * 100 / 255.0, y2 = 16.0 + 219.0 * 110 / 255.0;
    double c1 = (0.01 * 255) * (0.01 * 255);
    expect_near("SSIM of flat images", metrics_ssim_y(f1, f2, 2),
                (2 * y1 * y2 + c1) / (y1 * y1 + y2 * y2 + c1), 1e-9);

    /* Only the border differs: excluded from the measurement. */
    g_autoptr(Image8) c = image8_crop(a, 0, 0, 64, 48);
    memset(c->rgb, 0, 64 * 3 * 2);   /* first two rows */
    expect_near("PSNR ignores a 2-pixel border", metrics_psnr_y(a, c, 2), INFINITY, 0);
    expect_near("PSNR sees it with border 1", isinf(metrics_psnr_y(a, c, 1)) ? 1 : 0, 0, 0);

    memset(f1->rgb, 77, 40 * 40 * 3);
    g_autoptr(Image8) small = image8_resize_bicubic(f1, 0.25);
    g_autoptr(Image8) big = image8_resize_bicubic(small, 4.0);
    expect_near("imresize 1/4 size", small->width * 1000 + small->height, 10010, 0);
    gboolean flat = TRUE;
    for (gsize i = 0; i < (gsize)big->width * big->height * 3; i++)
        flat &= big->rgb[i] == 77;
    expect_near("constant stays constant through 1/4 and 4x", flat, 1, 0);
    g_autoptr(Image8) third = image8_resize_bicubic(f1, 1.0 / 3);
    expect_near("imresize 1/3 of 40 rounds the size up", third->width, 14, 0);
    return failures ? 1 : 0;
}
