/* imresize.h — MATLAB-compatible bicubic resizing of 8-bit images.
 *
 * This is the degradation every SR benchmark uses (SRCNN, SRGAN, EDSR,
 * SwinIR…): MATLAB's imresize(img, scale, 'bicubic') on a uint8 image.
 * The behaviour reproduced here, from MATLAB's documented algorithm:
 *  - cubic convolution kernel with a = -0.5 (Keys 1981), width 4;
 *  - when shrinking, the kernel is widened by 1/scale and scaled by scale
 *    (antialiasing, MATLAB's default);
 *  - output sample x (1-based) maps to input u = x/scale + (1 - 1/scale)/2;
 *  - weights of each output sample are normalised to sum 1;
 *  - samples outside the image mirror symmetrically (edge repeated);
 *  - separable: one pass per dimension, the dimension with the smaller
 *    scale first, height first when the scales are equal;
 *  - a uint8 image stays uint8 between the passes: each pass rounds
 *    (half away from zero) and saturates to 0..255.
 */
#ifndef SRGAN_QUALITY_IMRESIZE_H
#define SRGAN_QUALITY_IMRESIZE_H

#include "image8.h"

/* Resizes `image` by `scale` (e.g. 0.25 to make the ×4 LR image, 4.0 for
 * ×4 bicubic upscaling) in both directions.  The output side is
 * ceil(side * scale), as in MATLAB.  NULL if the output would be empty
 * or absurdly large. */
Image8 *imresize_bicubic(const Image8 *image, double scale);

#endif
