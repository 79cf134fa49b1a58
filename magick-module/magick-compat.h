/* magick-compat.h — the few MagickCore calls that differ between
 * ImageMagick 6 and 7, behind one spelling.
 *
 * SRGAN_MAGICK_MAJOR comes from meson (the MagickCore pkg-config version).
 * In ImageMagick 6 several calls report errors in image->exception instead
 * of taking an ExceptionInfo; the wrappers copy those into `exception` so
 * the rest of the module reports errors one way only. */
#ifndef SRGAN_MAGICK_COMPAT_H
#define SRGAN_MAGICK_COMPAT_H

#include <sys/types.h>

#if SRGAN_MAGICK_MAJOR >= 7
#include <MagickCore/MagickCore.h>
#else
#include <magick/MagickCore.h>
#endif

static inline MagickBooleanType magick_image_has_alpha(const Image *image)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return image->alpha_trait != UndefinedPixelTrait ? MagickTrue : MagickFalse;
#else
    return image->matte;
#endif
}

static inline MagickBooleanType magick_import_pixels(Image *image, ssize_t x, ssize_t y,
                                                     size_t width, size_t height,
                                                     const char *map, const float *pixels,
                                                     ExceptionInfo *exception)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return ImportImagePixels(image, x, y, width, height, map, FloatPixel, pixels, exception);
#else
    MagickBooleanType ok = ImportImagePixels(image, x, y, width, height, map, FloatPixel, pixels);
    if (ok == MagickFalse)
        InheritException(exception, &image->exception);
    return ok;
#endif
}

static inline MagickBooleanType magick_transform_colorspace(Image *image, ColorspaceType colorspace,
                                                            ExceptionInfo *exception)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return TransformImageColorspace(image, colorspace, exception);
#else
    MagickBooleanType ok = TransformImageColorspace(image, colorspace);
    if (ok == MagickFalse)
        InheritException(exception, &image->exception);
    return ok;
#endif
}

static inline MagickBooleanType magick_set_direct_class(Image *image, ExceptionInfo *exception)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return SetImageStorageClass(image, DirectClass, exception);
#else
    MagickBooleanType ok = SetImageStorageClass(image, DirectClass);
    if (ok == MagickFalse)
        InheritException(exception, &image->exception);
    return ok;
#endif
}

/* Image type that tells the encoders "grey, keep it grey". */
static inline ImageType magick_grey_type(MagickBooleanType alpha)
{
#if SRGAN_MAGICK_MAJOR >= 7
    return alpha != MagickFalse ? GrayscaleAlphaType : GrayscaleType;
#else
    return alpha != MagickFalse ? GrayscaleMatteType : GrayscaleType;
#endif
}

/* Pixel density is a PointInfo in 7, two doubles in 6. */
static inline void magick_scale_resolution(Image *image, double factor)
{
#if SRGAN_MAGICK_MAJOR >= 7
    image->resolution.x *= factor;
    image->resolution.y *= factor;
#else
    image->x_resolution *= factor;
    image->y_resolution *= factor;
#endif
}

#endif /* SRGAN_MAGICK_COMPAT_H */
