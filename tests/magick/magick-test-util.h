/* magick-test-util.h — shared bits of the ImageMagick module's C tests:
 * one include for MagickCore 6 or 7, and image loading. */
#ifndef SRGAN_MAGICK_TEST_UTIL_H
#define SRGAN_MAGICK_TEST_UTIL_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#if SRGAN_MAGICK_MAJOR >= 7
#include <MagickCore/MagickCore.h>
#else
#include <magick/MagickCore.h>
#endif

static inline MagickBooleanType test_has_alpha(const Image *image)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return image->alpha_trait != UndefinedPixelTrait ? MagickTrue : MagickFalse;
#else
    return image->matte;
#endif
}

static inline MagickBooleanType test_is_grey(const Image *image)
{
    return image->colorspace == GRAYColorspace || image->colorspace == LinearGRAYColorspace
               ? MagickTrue : MagickFalse;
}

/* Reads every frame of `path`; prints the reason and returns NULL on failure. */
static inline Image *test_read_images(const char *path)
{
    ExceptionInfo *exception = AcquireExceptionInfo();
    ImageInfo *info = AcquireImageInfo();
    (void) CopyMagickString(info->filename, path, MagickPathExtent);
    Image *images = ReadImage(info, exception);
    if (images == NULL || exception->severity >= ErrorException)
        fprintf(stderr, "cannot read %s: %s %s\n", path,
                exception->reason ? exception->reason : "?",
                exception->description ? exception->description : "");
    DestroyImageInfo(info);
    DestroyExceptionInfo(exception);
    return images;
}

#endif
