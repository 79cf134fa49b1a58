/* batch.h — training batches (Ledig et al. 2017, sec. 3.2): random HR
 * crops of crop × crop pixels from random photos, each flipped and rotated
 * by one of the 8 symmetries of the square, and their LR versions made by
 * MATLAB-style bicubic downscaling (core/imresize.h) rounded to 8 bits, as
 * a real 8-bit input would be.  LR is in [0, 1], HR in [−1, 1]. */
#ifndef TRAIN_BATCH_H
#define TRAIN_BATCH_H

#include "photos.h"
#include "rng.h"
#include "tensor.h"

/* lr: (3, batch, crop/scale, crop/scale); hr: (3, batch, crop, crop). */
void batch_sample(const PhotoSet *photos, Rng *rng, int batch, int crop, int scale,
                  Tensor *lr, Tensor *hr);

/* The whole-photo validation pair: the centre square of `photo` up to
 * max_side (a multiple of scale), HR in [0, 1] (1 sample) and its LR. */
void batch_center(const Photo *photo, int max_side, int scale, Tensor *lr, Tensor *hr);

/* Interleaved RGB floats → one sample of a CNHW tensor, value·mul + add. */
void batch_store(const float *rgb, int width, int height, Tensor *t, int sample,
                 float mul, float add);

#endif
