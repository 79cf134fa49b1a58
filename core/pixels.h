/* pixels.h — pixel layouts around the generator (private to libsrgan).
 *
 * The generator only sees RGB.  These helpers turn a tile of any
 * SrganPixels layout into the generator's RGB input, upscale alpha on its
 * own (bicubic, Keys a = -0.5), and put the result back into the layout, so
 * that the front ends never re-implement alpha or grey handling.
 */
#ifndef SRGAN_PIXELS_H
#define SRGAN_PIXELS_H

#include "srgan.h"

gboolean srgan_pixels_has_alpha(SrganPixels pixels);

/* n_pixels of layout `pixels` → RGB: alpha dropped (colour is not
 * premultiplied), grey replicated to R, G and B. */
void srgan_pixels_to_rgb(SrganPixels pixels, const float *src, size_t n_pixels, float *rgb);

/* RGB → the colour channels of layout `pixels` in `dst` (grey = mean of
 * R, G, B); the alpha channel of `dst`, if any, is left alone. */
void srgan_pixels_from_rgb(SrganPixels pixels, const float *rgb, size_t n_pixels, float *dst);

/* Keys' cubic convolution kernel with a = -0.5 (Keys 1981, eq. 15). */
double srgan_bicubic_weight(double t);

/* Bicubic ×scale of one channel.  src: h × w pixels of src_channels floats,
 * its top-left pixel at source position (src_x, src_y); the channel is the
 * last of each pixel.  Writes the output rectangle (out_x, out_y, out_w,
 * out_h), in upscaled coordinates, to the last channel of dst's pixels
 * (dst_channels floats each, rows packed).  Output pixel X samples the
 * source at (X + 0.5)/scale - 0.5; taps outside src are clamped to its
 * edge, which is the image edge whenever src was clipped there (elsewhere
 * the caller reads 2 pixels more than the output needs). */
void srgan_alpha_upscale(const float *src, int src_x, int src_y, int w, int h,
                         int src_channels, int scale,
                         int out_x, int out_y, int out_w, int out_h,
                         float *dst, int dst_channels);

#endif
