/* generator.h — the interpreter: runs a model's operation list on one tile
 * (private to libsrgan).
 *
 * The tiler hands over a rectangle of the source (a tile plus its halo, in
 * [0,1] RGB) and asks for the upscaled result of a crop of it (the tile).
 * Zero padding happens at the rectangle's border, which is exact where that
 * border is the image border and is cropped away (by the halo) elsewhere.
 *
 * All buffers live in an SrganGeneratorScratch sized once for the largest
 * rectangle; the forward pass itself never allocates.  One scratch per
 * thread; the model is shared read-only.
 */
#ifndef SRGAN_GENERATOR_H
#define SRGAN_GENERATOR_H

#include "model.h"

typedef struct SrganGeneratorScratch SrganGeneratorScratch;

/* Low-resolution pixels around an output pixel that influence it (the
 * receptive radius, rounded up). */
int srgan_generator_receptive_radius(const SrganModel *model);

/* The side of the second phase's blocks for inputs up to max_h × max_w. */
int srgan_generator_hr_block(const SrganModel *model, int max_h, int max_w);

/* Bytes a scratch for inputs up to max_h × max_w would allocate. */
size_t srgan_generator_scratch_bytes(const SrganModel *model, int max_h, int max_w);

/* Scratch for inputs up to max_h × max_w, or NULL with SRGAN_ERROR_NO_MEMORY. */
SrganGeneratorScratch *srgan_generator_scratch_new(const SrganModel *model,
                                                   int max_h, int max_w,
                                                   GError **error);
void srgan_generator_scratch_free(SrganGeneratorScratch *scratch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrganGeneratorScratch, srgan_generator_scratch_free)

/* Runs the generator on `in` (h × w × 3, values in [0,1]; h, w at most the
 * scratch's size) and writes the result for the crop (crop_x, crop_y,
 * crop_w, crop_h) of it to `out`: (crop_h·s) × (crop_w·s) × 3 floats,
 * clamped to [0,1], s = the model's scale.  The crop must lie inside. */
void srgan_generator_run(const SrganModel *model, SrganGeneratorScratch *scratch,
                         const float *in, int h, int w,
                         int crop_x, int crop_y, int crop_w, int crop_h,
                         float *out);

/* PyTorch's PixelShuffle(r) on one HWC image, in place: (h, w, r²c) with
 * channel ch·r² + i·r + j → (r·h, r·w, c) with that value at
 * (r·y + i, r·x + j, ch).  Each input row becomes r output rows in the same
 * memory, so only one row needs a copy: `row_tmp` holds w·r²c floats. */
void srgan_pixel_shuffle_inplace(float *buf, int h, int w, int c, int r, float *row_tmp);

static inline void srgan_pixel_shuffle2_inplace(float *buf, int h, int w, int c, float *row_tmp)
{
    srgan_pixel_shuffle_inplace(buf, h, w, c, 2, row_tmp);
}

#endif
