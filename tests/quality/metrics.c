/* metrics.c — luma PSNR and SSIM; see metrics.h for the protocol. */
#include "metrics.h"

#include <math.h>

double *metrics_luma(const Image8 *image)
{
    gsize n = (gsize)image->width * image->height;
    double *y = g_new(double, n);
    for (gsize i = 0; i < n; i++) {
        const guint8 *p = image->rgb + i * 3;
        y[i] = 16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0;
    }
    return y;
}

double metrics_psnr_y(const Image8 *a, const Image8 *b, int border)
{
    g_return_val_if_fail(a->width == b->width && a->height == b->height, NAN);
    g_return_val_if_fail(a->width > 2 * border && a->height > 2 * border, NAN);
    g_autofree double *ya = metrics_luma(a);
    g_autofree double *yb = metrics_luma(b);
    double sum = 0.0;
    for (int y = border; y < a->height - border; y++)
        for (int x = border; x < a->width - border; x++) {
            double d = ya[(gsize)y * a->width + x] - yb[(gsize)y * a->width + x];
            sum += d * d;
        }
    double mse = sum / ((double)(a->width - 2 * border) * (a->height - 2 * border));
    return 10.0 * log10(255.0 * 255.0 / mse);
}

enum { WINDOW = 11 };

/* Separable normalised Gaussian: fspecial('gaussian', 11, 1.5) is the outer
 * product of this vector with itself. */
static void gaussian_window(double w[WINDOW])
{
    double sum = 0.0;
    for (int i = 0; i < WINDOW; i++) {
        double d = i - (WINDOW - 1) / 2.0;
        w[i] = exp(-d * d / (2.0 * 1.5 * 1.5));
        sum += w[i];
    }
    for (int i = 0; i < WINDOW; i++)
        w[i] /= sum;
}

/* 'valid' 2-D filtering of a (h, w) plane by the separable window:
 * result is (h-10, w-10). */
static double *filter_valid(const double *src, int w, int h, const double win[WINDOW])
{
    int ow = w - WINDOW + 1, oh = h - WINDOW + 1;
    g_autofree double *rows = g_new(double, (gsize)ow * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++) {
            double acc = 0.0;
            for (int k = 0; k < WINDOW; k++)
                acc += win[k] * src[(gsize)y * w + x + k];
            rows[(gsize)y * ow + x] = acc;
        }
    double *out = g_new(double, (gsize)ow * oh);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double acc = 0.0;
            for (int k = 0; k < WINDOW; k++)
                acc += win[k] * rows[(gsize)(y + k) * ow + x];
            out[(gsize)y * ow + x] = acc;
        }
    return out;
}

double metrics_ssim_y(const Image8 *a, const Image8 *b, int border)
{
    g_return_val_if_fail(a->width == b->width && a->height == b->height, NAN);
    int w = a->width - 2 * border, h = a->height - 2 * border;
    g_return_val_if_fail(w >= WINDOW && h >= WINDOW, NAN);

    g_autofree double *ya = metrics_luma(a);
    g_autofree double *yb = metrics_luma(b);
    gsize n = (gsize)w * h;
    g_autofree double *p1 = g_new(double, n);
    g_autofree double *p2 = g_new(double, n);
    g_autofree double *p11 = g_new(double, n);
    g_autofree double *p22 = g_new(double, n);
    g_autofree double *p12 = g_new(double, n);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            gsize i = (gsize)y * w + x;
            gsize j = (gsize)(y + border) * a->width + x + border;
            p1[i] = ya[j];
            p2[i] = yb[j];
            p11[i] = ya[j] * ya[j];
            p22[i] = yb[j] * yb[j];
            p12[i] = ya[j] * yb[j];
        }

    double win[WINDOW];
    gaussian_window(win);
    g_autofree double *mu1 = filter_valid(p1, w, h, win);
    g_autofree double *mu2 = filter_valid(p2, w, h, win);
    g_autofree double *m11 = filter_valid(p11, w, h, win);
    g_autofree double *m22 = filter_valid(p22, w, h, win);
    g_autofree double *m12 = filter_valid(p12, w, h, win);

    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    gsize m = (gsize)(w - WINDOW + 1) * (h - WINDOW + 1);
    double sum = 0.0;
    for (gsize i = 0; i < m; i++) {
        double s1 = m11[i] - mu1[i] * mu1[i];
        double s2 = m22[i] - mu2[i] * mu2[i];
        double s12 = m12[i] - mu1[i] * mu2[i];
        sum += ((2 * mu1[i] * mu2[i] + c1) * (2 * s12 + c2)) /
               ((mu1[i] * mu1[i] + mu2[i] * mu2[i] + c1) * (s1 + s2 + c2));
    }
    return sum / (double)m;
}
