/* filter-frame.h — upscale one ImageMagick frame with libsrgan. */
#ifndef SRGAN_FILTER_FRAME_H
#define SRGAN_FILTER_FRAME_H

#include <srgan.h>
#include "filter-options.h"

/* Returns a new, detached image `scale` times the size of `frame` holding
 * the upscaled pixels (same alpha, grey-ness, depth, profiles; page and
 * density scaled), or NULL with an exception thrown.  `frame` itself is
 * never modified.  Progress goes to the frame's monitor (`-monitor`);
 * a monitor returning false cancels. */
Image *filter_upscale_frame(const Image *frame, SrganModel *model,
                            const FilterOptions *options, ExceptionInfo *exception);

#endif /* SRGAN_FILTER_FRAME_H */
