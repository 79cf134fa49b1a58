/* metrics.h — PSNR and SSIM on the luma channel, as SR papers report them.
 *
 * Protocol (SRCNN / SRGAN / EDSR evaluation code):
 *  - luma from MATLAB's rgb2ycbcr (ITU-R BT.601, studio range), kept in
 *    double precision: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255
 *    for R, G, B in 0..255, so Y lies in [16, 235];
 *  - `border` pixels (the scale) cut from every side before measuring;
 *  - PSNR = 10 log10(255² / MSE);
 *  - SSIM as Wang, Bovik, Sheikh & Simoncelli (IEEE TIP 2004): 11×11
 *    Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, computed
 *    only where the window fits (MATLAB's filter2 'valid'), averaged.
 */
#ifndef SRGAN_QUALITY_METRICS_H
#define SRGAN_QUALITY_METRICS_H

#include "image8.h"

/* Luma of every pixel, (height, width) doubles.  Free with g_free(). */
double *metrics_luma(const Image8 *image);

/* Both images must have the same size, larger than 2*border (plus the
 * 11-pixel window for SSIM).  Identical images give PSNR = +inf. */
double metrics_psnr_y(const Image8 *a, const Image8 *b, int border);
double metrics_ssim_y(const Image8 *a, const Image8 *b, int border);

#endif
