/* pixels.c — RGB(A) / grey(A) layouts around the generator, and the
 * bicubic alpha upscaler.
 *
 * Why alpha is interpolated and not generated: the generator was trained on
 * photographs, and a cut-out's alpha is a mask, not a photograph; cubic
 * convolution keeps its edges where they were, with no ringing from the
 * network.  Keys' kernel with a = -0.5 is the one that reproduces
 * quadratics exactly (R. Keys, "Cubic convolution interpolation for digital
 * image processing", IEEE TASSP 29(6), 1981); sample positions use the
 * pixel-centre convention (x + 0.5)/s - 0.5, as GIMP's and ImageMagick's
 * resizers do.
 */
#include "pixels.h"

#include <math.h>

int srgan_pixels_channels(SrganPixels pixels)
{
    switch (pixels) {
    case SRGAN_PIXELS_RGB:  return 3;
    case SRGAN_PIXELS_RGBA: return 4;
    case SRGAN_PIXELS_Y:    return 1;
    case SRGAN_PIXELS_YA:   return 2;
    }
    return 0;
}

gboolean srgan_pixels_has_alpha(SrganPixels pixels)
{
    return pixels == SRGAN_PIXELS_RGBA || pixels == SRGAN_PIXELS_YA;
}

void srgan_pixels_to_rgb(SrganPixels pixels, const float *src, size_t n_pixels, float *rgb)
{
    const int channels = srgan_pixels_channels(pixels);
    const gboolean grey = pixels == SRGAN_PIXELS_Y || pixels == SRGAN_PIXELS_YA;
    for (size_t i = 0; i < n_pixels; i++) {
        const float *s = src + i * channels;
        float *d = rgb + i * 3;
        d[0] = s[0];
        d[1] = grey ? s[0] : s[1];
        d[2] = grey ? s[0] : s[2];
    }
}

void srgan_pixels_from_rgb(SrganPixels pixels, const float *rgb, size_t n_pixels, float *dst)
{
    const int channels = srgan_pixels_channels(pixels);
    const gboolean grey = pixels == SRGAN_PIXELS_Y || pixels == SRGAN_PIXELS_YA;
    for (size_t i = 0; i < n_pixels; i++) {
        const float *s = rgb + i * 3;
        float *d = dst + i * channels;
        if (grey) {
            d[0] = (s[0] + s[1] + s[2]) * (1.0f / 3.0f);
        } else {
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
}

double srgan_bicubic_weight(double t)
{
    const double a = -0.5;
    t = fabs(t);
    if (t <= 1.0)
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0)
        return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

/* The four taps (clamped indices into [0, n)) and weights for output
 * coordinate `out` of a source row/column starting at `origin`. */
static void cubic_taps(int out, int scale, int origin, int n, int idx[4], float wt[4])
{
    const double u = (out + 0.5) / scale - 0.5 - origin;
    const int i0 = (int)floor(u);
    const double t = u - i0;
    for (int k = 0; k < 4; k++) {
        idx[k] = CLAMP(i0 - 1 + k, 0, n - 1);
        wt[k] = (float)srgan_bicubic_weight(t - (k - 1));
    }
}

void srgan_alpha_upscale(const float *src, int src_x, int src_y, int w, int h,
                         int src_channels, int scale,
                         int out_x, int out_y, int out_w, int out_h,
                         float *dst, int dst_channels)
{
    const int a = src_channels - 1;

    /* A uniform alpha (the common case: opaque) stays exactly uniform. */
    gboolean uniform = TRUE;
    const float first = src[a];
    for (size_t i = 0; i < (size_t)w * h && uniform; i++)
        uniform = src[i * src_channels + a] == first;
    if (uniform) {
        for (size_t i = 0; i < (size_t)out_w * out_h; i++)
            dst[i * dst_channels + dst_channels - 1] = first;
        return;
    }

    for (int y = 0; y < out_h; y++) {
        int iy[4];
        float wy[4];
        cubic_taps(out_y + y, scale, src_y, h, iy, wy);
        for (int x = 0; x < out_w; x++) {
            int ix[4];
            float wx[4];
            cubic_taps(out_x + x, scale, src_x, w, ix, wx);
            float sum = 0.0f;
            for (int j = 0; j < 4; j++) {
                const float *row = src + (size_t)iy[j] * w * src_channels + a;
                float line = 0.0f;
                for (int i = 0; i < 4; i++)
                    line += wx[i] * row[(size_t)ix[i] * src_channels];
                sum += wy[j] * line;
            }
            dst[((size_t)y * out_w + x) * dst_channels + dst_channels - 1] = CLAMP(sum, 0.0f, 1.0f);
        }
    }
}
