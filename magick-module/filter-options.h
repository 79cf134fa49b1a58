/* filter-options.h — the module's settings, read from `-define srgan:KEY=VALUE`. */
#ifndef SRGAN_FILTER_OPTIONS_H
#define SRGAN_FILTER_OPTIONS_H

#include <glib.h>
#include "magick-compat.h"

typedef struct {
    char *model_path;   /* srgan:model: an installed model's short name or a file's
                           path (srgan_model_load() takes both); NULL means the
                           core's default model */
    int tile_size;      /* srgan:tile; 0 lets the core choose */
    int threads;        /* srgan:threads; 0 means one per CPU core */
    int halo;           /* srgan:halo; 0 means the model's default */
} FilterOptions;

/* Largest srgan:halo accepted.  More than a model's receptive radius
 * changes nothing (the core clamps it), and no shipped model reaches this
 * (RRDBNet's radius, the largest, is about 350 source pixels). */
#define FILTER_HALO_MAX 1024

/* Reads every srgan:* artifact of `image`.  An unknown srgan: key, or a
 * value out of range, throws an OptionError that names it and returns
 * MagickFalse.  On success free the result with filter_options_clear(). */
MagickBooleanType filter_options_parse(const Image *image, FilterOptions *options,
                                       ExceptionInfo *exception);
void filter_options_clear(FilterOptions *options);

#endif /* SRGAN_FILTER_OPTIONS_H */
