/* imresize.c — MATLAB-compatible bicubic imresize for 8-bit RGB images.
 * See imresize.h for the behaviour reproduced and why. */
#include "imresize.h"

#include <math.h>

/* Keys' cubic convolution kernel with a = -0.5 (MATLAB's `cubic`). */
static double cubic_kernel(double x)
{
    double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
    if (ax <= 1.0)
        return 1.5 * ax3 - 2.5 * ax2 + 1.0;
    if (ax <= 2.0)
        return -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0;
    return 0.0;
}

/* For each of `out_length` output samples along one dimension: `taps`
 * input indices (0-based, already mirrored into the image) and their
 * normalised weights. */
typedef struct {
    int out_length;
    int taps;
    int *index;      /* (out_length, taps) */
    double *weight;  /* (out_length, taps) */
} Contributions;

static void contributions_free(Contributions *c)
{
    g_free(c->index);
    g_free(c->weight);
}

static void contributions_init(Contributions *c, int in_length, int out_length,
                               double scale)
{
    /* Shrinking widens the kernel so it also low-pass filters. */
    gboolean antialias = scale < 1.0;
    double kernel_width = antialias ? 4.0 / scale : 4.0;
    int taps = (int)ceil(kernel_width) + 2;

    c->out_length = out_length;
    c->taps = taps;
    c->index = g_new(int, (gsize)out_length * taps);
    c->weight = g_new(double, (gsize)out_length * taps);

    for (int i = 0; i < out_length; i++) {
        double x = i + 1;                              /* 1-based, as MATLAB */
        double u = x / scale + 0.5 * (1.0 - 1.0 / scale);
        double left = floor(u - kernel_width / 2.0);
        double sum = 0.0;
        for (int t = 0; t < taps; t++) {
            double j = left + t;                       /* 1-based input index */
            double d = u - j;
            double w = antialias ? scale * cubic_kernel(scale * d) : cubic_kernel(d);
            c->weight[(gsize)i * taps + t] = w;
            sum += w;
            /* Mirror into [1, in_length] over the sequence
             * 1..n, n..1 (period 2n): the edge sample repeats. */
            long period = 2L * in_length;
            long k = ((long)j - 1) % period;
            if (k < 0)
                k += period;
            c->index[(gsize)i * taps + t] = k < in_length ? (int)k : (int)(period - 1 - k);
        }
        for (int t = 0; t < taps; t++)
            c->weight[(gsize)i * taps + t] /= sum;
    }
}

/* MATLAB's double -> uint8 conversion: round half away from zero, saturate. */
static guint8 to_uint8(double v)
{
    if (v <= 0.0)
        return 0;
    if (v >= 255.0)
        return 255;
    return (guint8)floor(v + 0.5);
}

static Image8 *resize_height(const Image8 *src, int out_height, double scale)
{
    Image8 *dst = image8_new(src->width, out_height);
    if (!dst)
        return NULL;
    Contributions c;
    contributions_init(&c, src->height, out_height, scale);
    gsize row = (gsize)src->width * 3;
    for (int y = 0; y < out_height; y++) {
        const int *idx = c.index + (gsize)y * c.taps;
        const double *w = c.weight + (gsize)y * c.taps;
        guint8 *out = dst->rgb + (gsize)y * row;
        for (gsize k = 0; k < row; k++) {
            double acc = 0.0;
            for (int t = 0; t < c.taps; t++)
                acc += w[t] * src->rgb[(gsize)idx[t] * row + k];
            out[k] = to_uint8(acc);
        }
    }
    contributions_free(&c);
    return dst;
}

static Image8 *resize_width(const Image8 *src, int out_width, double scale)
{
    Image8 *dst = image8_new(out_width, src->height);
    if (!dst)
        return NULL;
    Contributions c;
    contributions_init(&c, src->width, out_width, scale);
    for (int y = 0; y < src->height; y++) {
        const guint8 *in = src->rgb + (gsize)y * src->width * 3;
        guint8 *out = dst->rgb + (gsize)y * out_width * 3;
        for (int x = 0; x < out_width; x++) {
            const int *idx = c.index + (gsize)x * c.taps;
            const double *w = c.weight + (gsize)x * c.taps;
            for (int ch = 0; ch < 3; ch++) {
                double acc = 0.0;
                for (int t = 0; t < c.taps; t++)
                    acc += w[t] * in[idx[t] * 3 + ch];
                out[x * 3 + ch] = to_uint8(acc);
            }
        }
    }
    contributions_free(&c);
    return dst;
}

Image8 *imresize_bicubic(const Image8 *image, double scale)
{
    if (!(scale > 0.0) || !isfinite(scale))
        return NULL;
    double out_w = ceil(image->width * scale), out_h = ceil(image->height * scale);
    if (out_w < 1 || out_h < 1 || out_w > 1e6 || out_h > 1e6)
        return NULL;

    /* Same scale both ways, so MATLAB resizes the height (dimension 1)
     * first; the intermediate image is rounded to uint8. */
    g_autoptr(Image8) tall = resize_height(image, (int)out_h, scale);
    if (!tall)
        return NULL;
    return resize_width(tall, (int)out_w, scale);
}
