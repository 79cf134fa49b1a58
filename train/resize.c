/* resize.c — MATLAB-style antialiased bicubic downscaling (see resize.h). */
#include "resize.h"

#include <glib.h>
#include <math.h>

/* Keys (1981) cubic convolution kernel with a = −0.5, as MATLAB's 'cubic'. */
static double cubic(double x)
{
    double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
    if (ax <= 1.0)
        return 1.5 * ax3 - 2.5 * ax2 + 1.0;
    if (ax <= 2.0)
        return -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0;
    return 0.0;
}

int resize_output_size(int size, int factor)
{
    return (size + factor - 1) / factor;
}

/* Per output sample: `taps` source indices (already mirrored into range)
 * and normalised weights. */
typedef struct {
    int taps;
    int *index;     /* out_size × taps */
    double *weight; /* out_size × taps */
} Contributions;

/* scale < 1 shrinks (kernel stretched 1/scale times: antialiasing), > 1
 * enlarges (plain kernel). */
static Contributions contributions(int in_size, int out_size, double scale)
{
    double stretch = scale < 1.0 ? scale : 1.0;
    double width = 4.0 / stretch;
    Contributions c;
    c.taps = (int)ceil(width) + 2;
    c.index = g_new(int, (size_t)out_size * c.taps);
    c.weight = g_new(double, (size_t)out_size * c.taps);
    for (int x = 1; x <= out_size; x++) {
        double u = x / scale + 0.5 * (1.0 - 1.0 / scale);
        int left = (int)floor(u - width / 2.0);
        double sum = 0.0;
        int *idx = c.index + (size_t)(x - 1) * c.taps;
        double *w = c.weight + (size_t)(x - 1) * c.taps;
        for (int t = 0; t < c.taps; t++) {
            int j = left + t;                        /* 1-based source index */
            w[t] = stretch * cubic(stretch * (u - j));
            sum += w[t];
            /* symmetric padding: … 2 1 | 1 2 … n | n n−1 … */
            int period = 2 * in_size;
            int m = ((j - 1) % period + period) % period;
            idx[t] = m < in_size ? m : period - 1 - m;
        }
        for (int t = 0; t < c.taps; t++)
            w[t] /= sum;
    }
    return c;
}

static void resize(const float *src, int width, int height, int channels,
                   double scale, int ow, int oh, float *dst)
{
    Contributions cy = contributions(height, oh, scale);
    Contributions cx = contributions(width, ow, scale);
    /* rows first (MATLAB's order for equal scales), into a float buffer */
    float *tmp = g_new(float, (size_t)oh * width * channels);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < width; x++)
            for (int ch = 0; ch < channels; ch++) {
                double acc = 0.0;
                for (int t = 0; t < cy.taps; t++) {
                    int sy = cy.index[(size_t)y * cy.taps + t];
                    acc += cy.weight[(size_t)y * cy.taps + t] *
                           src[((size_t)sy * width + x) * channels + ch];
                }
                tmp[((size_t)y * width + x) * channels + ch] = (float)acc;
            }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int ch = 0; ch < channels; ch++) {
                double acc = 0.0;
                for (int t = 0; t < cx.taps; t++) {
                    int sx = cx.index[(size_t)x * cx.taps + t];
                    acc += cx.weight[(size_t)x * cx.taps + t] *
                           tmp[((size_t)y * width + sx) * channels + ch];
                }
                dst[((size_t)y * ow + x) * channels + ch] = (float)acc;
            }
    g_free(tmp);
    g_free(cy.index);
    g_free(cy.weight);
    g_free(cx.index);
    g_free(cx.weight);
}

void resize_bicubic_down(const float *src, int width, int height, int channels,
                         int factor, float *dst)
{
    resize(src, width, height, channels, 1.0 / factor, resize_output_size(width, factor),
           resize_output_size(height, factor), dst);
}

void resize_bicubic_up(const float *src, int width, int height, int channels,
                       int factor, float *dst)
{
    resize(src, width, height, channels, factor, width * factor, height * factor, dst);
}
