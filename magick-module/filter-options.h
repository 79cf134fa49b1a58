/* filter-options.h — the module's settings, read from `-define srgan:KEY=VALUE`. */
#ifndef SRGAN_FILTER_OPTIONS_H
#define SRGAN_FILTER_OPTIONS_H

#include <glib.h>
#include "magick-compat.h"

typedef struct {
    char *model_path;   /* srgan:model; NULL means the core's default model */
    int tile_size;      /* srgan:tile; 0 lets the core choose */
    int threads;        /* srgan:threads; 0 means one per CPU core */
} FilterOptions;

/* Reads every srgan:* artifact of `image`.  An unknown srgan: key, or a
 * value out of range, throws an OptionError that names it and returns
 * MagickFalse.  On success free the result with filter_options_clear(). */
MagickBooleanType filter_options_parse(const Image *image, FilterOptions *options,
                                       ExceptionInfo *exception);
void filter_options_clear(FilterOptions *options);

#endif /* SRGAN_FILTER_OPTIONS_H */
