/* filter-options.c — `-define srgan:*` settings for the ImageMagick filter.
 *
 * ImageMagick keeps -define values as image artifacts.  Every srgan: key is
 * checked, so a typo such as srgan:tiles=64 fails loudly instead of being
 * silently ignored. */
#include "filter-options.h"

#include <srgan.h>

#include <string.h>

#define SRGAN_PREFIX "srgan:"

static MagickBooleanType parse_int(const char *key, const char *value, int min, int max,
                                   const char *meaning, int *out, ExceptionInfo *exception)
{
    gint64 number = 0;
    /* 0 always means "automatic"; otherwise [min, max]. */
    if (!g_ascii_string_to_signed(value, 10, 0, max, &number, NULL) ||
        (number != 0 && number < min)) {
        ThrowMagickException(exception, GetMagickModule(), OptionError,
                             "srgan: invalid value", "`" SRGAN_PREFIX "%s=%s': expected %s: "
                             "0 (automatic) or a whole number from %d to %d",
                             key, value, meaning, min, max);
        return MagickFalse;
    }
    *out = (int) number;
    return MagickTrue;
}

/* Checks one `-define` key and stores its value. */
static MagickBooleanType parse_one(const Image *image, const char *key_with_prefix,
                                   FilterOptions *options, ExceptionInfo *exception)
{
    const char *key = key_with_prefix + strlen(SRGAN_PREFIX);
    const char *value = GetImageArtifact(image, key_with_prefix);
    if (value == NULL)
        value = "";
    if (g_ascii_strcasecmp(key, "model") == 0) {
        if (*value == '\0') {
            ThrowMagickException(exception, GetMagickModule(), OptionError,
                                 "srgan: invalid value",
                                 "`" SRGAN_PREFIX "model=': expected an installed model's "
                                 "name (such as srgan-x4) or the path of a .safetensors "
                                 "model file");
            return MagickFalse;
        }
        g_free(options->model_path);
        options->model_path = g_strdup(value);
        return MagickTrue;
    }
    if (g_ascii_strcasecmp(key, "tile") == 0)
        return parse_int(key, value, SRGAN_TILE_SIZE_MIN, SRGAN_TILE_SIZE_MAX, "the tile side in source pixels",
                         &options->tile_size, exception);
    if (g_ascii_strcasecmp(key, "threads") == 0)
        return parse_int(key, value, 1, SRGAN_THREADS_MAX, "the number of worker threads",
                         &options->threads, exception);
    if (g_ascii_strcasecmp(key, "halo") == 0)
        return parse_int(key, value, 1, FILTER_HALO_MAX,
                         "the halo, in source pixels of context read around each tile",
                         &options->halo, exception);
    ThrowMagickException(exception, GetMagickModule(), OptionError, "srgan: unknown option",
                         "`-define %s=%s': known keys are srgan:model, srgan:tile, "
                         "srgan:threads and srgan:halo", key_with_prefix, value);
    return MagickFalse;
}

static MagickBooleanType is_srgan_key(const char *key)
{
    return g_ascii_strncasecmp(key, SRGAN_PREFIX, strlen(SRGAN_PREFIX)) == 0 ? MagickTrue
                                                                          : MagickFalse;
}

MagickBooleanType filter_options_parse(const Image *image, FilterOptions *options,
                                       ExceptionInfo *exception)
{
    memset(options, 0, sizeof *options);
    MagickBooleanType ok = MagickTrue;
    /* ImageMagick 6 copies every -define into the image's artifacts. */
    ResetImageArtifactIterator(image);
    for (const char *key = GetNextImageArtifact(image); key != NULL && ok != MagickFalse;
         key = GetNextImageArtifact(image))
        if (is_srgan_key(key) != MagickFalse)
            ok = parse_one(image, key, options, exception);
#if SRGAN_MAGICK_MAJOR >= 7
    /* ImageMagick 7 keeps them as options of the image's ImageInfo, which
     * GetImageArtifact() falls back to but the artifact iterator skips. */
    if (image->image_info != NULL) {
        ResetImageOptionIterator(image->image_info);
        for (const char *key = GetNextImageOption(image->image_info);
             key != NULL && ok != MagickFalse; key = GetNextImageOption(image->image_info))
            if (is_srgan_key(key) != MagickFalse)
                ok = parse_one(image, key, options, exception);
    }
#endif
    if (ok == MagickFalse)
        filter_options_clear(options);
    return ok;
}

void filter_options_clear(FilterOptions *options)
{
    g_clear_pointer(&options->model_path, g_free);
}
