/* imresize.h — MATLAB's imresize(I, scale, 'bicubic'), for the in-tree
 * tools: the trainer synthesises its LR images with it and the evaluation
 * tools (tests/quality) make the benchmark LR images and the bicubic
 * baseline.  Not part of libsrgan's API: core/meson.build builds it as a
 * static library of its own (srgan_imresize_dep).
 *
 * This is the degradation every SR benchmark uses (SRCNN, SRGAN, EDSR,
 * SwinIR…).  The behaviour reproduced, from MATLAB's documented algorithm:
 *  - cubic convolution kernel with a = -0.5 (Keys 1981), width 4;
 *  - when shrinking, the kernel is widened by 1/scale and scaled by scale
 *    (antialiasing, MATLAB's default);
 *  - output sample x (1-based) maps to input u = x/scale + (1 - 1/scale)/2;
 *  - weights of each output sample are normalised to sum 1;
 *  - samples outside the image mirror symmetrically (edge repeated);
 *  - separable: one pass per dimension, height first (MATLAB resizes the
 *    dimension with the smaller scale first, height when they are equal,
 *    as they always are here);
 *  - the output side is ceil(side * scale).
 * The two entry points differ only in what happens between and after the
 * passes, as MATLAB's do for its classes: on uint8 each pass rounds (half
 * away from zero) and saturates to 0..255; on float nothing is rounded.
 * Pixels are `channels` interleaved samples, rows packed tightly.
 */
#ifndef SRGAN_IMRESIZE_H
#define SRGAN_IMRESIZE_H

#include <glib.h>

/* Larger output sides than this are refused as absurd. */
#define IMRESIZE_MAX_SIDE 1000000

/* The output side for `side` input samples at `scale`: ceil(side * scale),
 * as MATLAB computes it; 0 when scale is not a positive finite number or
 * the result is below 1 or above IMRESIZE_MAX_SIDE. */
int imresize_output_side(int side, double scale);

/* Resizes src (width × height) by `scale` both ways into dst, which holds
 * imresize_output_side(width, scale) × imresize_output_side(height, scale)
 * pixels.  Values are neither rounded nor clamped; the intermediate image
 * is float.  FALSE, with nothing written, when either output side is 0. */
gboolean imresize_bicubic_float(const float *src, int width, int height, int channels,
                                double scale, float *dst);

/* The same for 8-bit samples, as MATLAB resizes a uint8 image: the
 * intermediate image and the result are rounded and saturated. */
gboolean imresize_bicubic_u8(const guint8 *src, int width, int height, int channels,
                             double scale, guint8 *dst);

#endif
