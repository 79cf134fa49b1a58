/* tiler.h — what srgan_upscale() would do, for tools and tests (private
 * to libsrgan; the public srgan_upscale_check() gives the tile and thread
 * counts only). */
#ifndef SRGAN_TILER_H
#define SRGAN_TILER_H

#include "srgan.h"

typedef struct {
    int tile_w, tile_h;         /* low-res pixels (the last row/column smaller) */
    int halo;
    int threads;
    int tiles_x, tiles_y;
    size_t bytes_per_thread;    /* one worker's buffers */
    double work_ratio;          /* multiply-adds tiled / untiled (≥ 1) */
} SrganTilePlan;

gboolean srgan_tiler_plan(SrganModel *model, int width, int height, SrganPixels pixels,
                          const SrganParams *params, SrganTilePlan *plan, GError **error);

#endif
