/* imresize.c — MATLAB-compatible bicubic imresize (see imresize.h for the
 * behaviour reproduced and why).
 *
 * Both entry points run the same two float passes; the uint8 one converts
 * its samples to float (exactly: 0..255 are floats) and rounds after each
 * pass, so its sums are the same doubles MATLAB's uint8 path adds up. */
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

/* A pass's result as stored: float as it is, or the uint8 it would be. */
static float store(double acc, gboolean round_to_uint8)
{
    return round_to_uint8 ? (float)to_uint8(acc) : (float)acc;
}

/* src (width, height) -> dst (width, out_height). */
static void resize_height(const float *src, int width, int height, int channels,
                          int out_height, double scale, gboolean round_to_uint8,
                          float *dst)
{
    Contributions c;
    contributions_init(&c, height, out_height, scale);
    gsize row = (gsize)width * channels;
    for (int y = 0; y < out_height; y++) {
        const int *idx = c.index + (gsize)y * c.taps;
        const double *w = c.weight + (gsize)y * c.taps;
        float *out = dst + (gsize)y * row;
        for (gsize k = 0; k < row; k++) {
            double acc = 0.0;
            for (int t = 0; t < c.taps; t++)
                acc += w[t] * src[(gsize)idx[t] * row + k];
            out[k] = store(acc, round_to_uint8);
        }
    }
    contributions_free(&c);
}

/* src (width, height) -> dst (out_width, height). */
static void resize_width(const float *src, int width, int height, int channels,
                         int out_width, double scale, gboolean round_to_uint8,
                         float *dst)
{
    Contributions c;
    contributions_init(&c, width, out_width, scale);
    for (int y = 0; y < height; y++) {
        const float *in = src + (gsize)y * width * channels;
        float *out = dst + (gsize)y * out_width * channels;
        for (int x = 0; x < out_width; x++) {
            const int *idx = c.index + (gsize)x * c.taps;
            const double *w = c.weight + (gsize)x * c.taps;
            for (int ch = 0; ch < channels; ch++) {
                double acc = 0.0;
                for (int t = 0; t < c.taps; t++)
                    acc += w[t] * in[(gsize)idx[t] * channels + ch];
                out[(gsize)x * channels + ch] = store(acc, round_to_uint8);
            }
        }
    }
    contributions_free(&c);
}

int imresize_output_side(int side, double scale)
{
    if (!(scale > 0.0) || !isfinite(scale) || side < 1)
        return 0;
    double out = ceil(side * scale);
    return out < 1 || out > IMRESIZE_MAX_SIDE ? 0 : (int)out;
}

static gboolean resize(const float *src, int width, int height, int channels,
                       double scale, gboolean round_to_uint8, float *dst)
{
    int out_width = imresize_output_side(width, scale);
    int out_height = imresize_output_side(height, scale);
    if (!out_width || !out_height || channels < 1)
        return FALSE;
    float *tall = g_new(float, (gsize)width * out_height * channels);
    resize_height(src, width, height, channels, out_height, scale, round_to_uint8, tall);
    resize_width(tall, width, out_height, channels, out_width, scale, round_to_uint8, dst);
    g_free(tall);
    return TRUE;
}

gboolean imresize_bicubic_float(const float *src, int width, int height, int channels,
                                double scale, float *dst)
{
    return resize(src, width, height, channels, scale, FALSE, dst);
}

gboolean imresize_bicubic_u8(const guint8 *src, int width, int height, int channels,
                             double scale, guint8 *dst)
{
    int out_width = imresize_output_side(width, scale);
    int out_height = imresize_output_side(height, scale);
    if (!out_width || !out_height || channels < 1)
        return FALSE;
    gsize n_in = (gsize)width * height * channels;
    gsize n_out = (gsize)out_width * out_height * channels;
    float *in = g_new(float, n_in), *out = g_new(float, n_out);
    for (gsize i = 0; i < n_in; i++)
        in[i] = src[i];
    resize(in, width, height, channels, scale, TRUE, out);
    /* Already rounded and saturated by the last pass. */
    for (gsize i = 0; i < n_out; i++)
        dst[i] = (guint8)out[i];
    g_free(in);
    g_free(out);
    return TRUE;
}
