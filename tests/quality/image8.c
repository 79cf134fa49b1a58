/* image8.c — 8-bit RGB images: allocation, cropping, bicubic resizing
 * (core/imresize.c does the work) and file I/O through MagickCore
 * (ImageMagick 6 or 7; the calls used exist in both, only WriteImage's
 * arguments and the header folder differ). */
#include "image8.h"
#include "imresize.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#if SRGAN_MAGICK_MAJOR >= 7
#include <MagickCore/MagickCore.h>
#else
#include <magick/MagickCore.h>
#endif

Image8 *image8_new(int width, int height)
{
    if (width < 1 || height < 1 || width > 1000000 || height > 1000000 ||
        (gint64)width * height > (G_GINT64_CONSTANT(1) << 32))
        return NULL;
    Image8 *image = g_new0(Image8, 1);
    image->width = width;
    image->height = height;
    image->rgb = g_try_malloc((gsize)width * height * 3);
    if (!image->rgb) {
        g_free(image);
        return NULL;
    }
    return image;
}

void image8_free(Image8 *image)
{
    if (!image)
        return;
    g_free(image->rgb);
    g_free(image);
}

Image8 *image8_crop(const Image8 *image, int x, int y, int width, int height)
{
    g_return_val_if_fail(x >= 0 && y >= 0 && x + width <= image->width &&
                         y + height <= image->height, NULL);
    Image8 *out = image8_new(width, height);
    if (!out)
        return NULL;
    for (int r = 0; r < height; r++)
        memcpy(out->rgb + (gsize)r * width * 3,
               image->rgb + ((gsize)(y + r) * image->width + x) * 3,
               (gsize)width * 3);
    return out;
}

Image8 *image8_resize_bicubic(const Image8 *image, double scale)
{
    Image8 *out = image8_new(imresize_output_side(image->width, scale),
                             imresize_output_side(image->height, scale));
    if (!out)
        return NULL;
    imresize_bicubic_u8(image->rgb, image->width, image->height, 3, scale, out->rgb);
    return out;
}

/* MagickCore must be initialised once per process before any call. */
static void ensure_magick(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        MagickCoreGenesis(NULL, MagickFalse);
        g_once_init_leave(&done, 1);
    }
}

static void set_magick_error(GError **error, const ExceptionInfo *exception,
                             const char *what, const char *path)
{
    /* A truncated PNG can make ReadImage return NULL without any exception. */
    const char *reason = exception && exception->reason ? exception->reason
                       : "no image decoded (truncated or corrupt file?)";
    const char *detail = exception && exception->description ? exception->description : "";
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: %s%s%s", what, path,
                reason, *detail ? ": " : "", detail);
}

Image8 *image8_load(const char *path, GError **error)
{
    ensure_magick();
    ExceptionInfo *exception = AcquireExceptionInfo();
    ImageInfo *info = AcquireImageInfo();
    g_strlcpy(info->filename, path, sizeof info->filename);
    Image *image = ReadImage(info, exception);
    Image8 *out = NULL;

    if (!image || exception->severity >= ErrorException) {
        set_magick_error(error, exception, "cannot read", path);
    } else if (!(out = image8_new((int)image->columns, (int)image->rows))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot read %s: unsupported size %zux%zu", path,
                    (size_t)image->columns, (size_t)image->rows);
    } else if (!ExportImagePixels(image, 0, 0, image->columns, image->rows,
                                  "RGB", CharPixel, out->rgb, exception)) {
        set_magick_error(error, exception, "cannot decode pixels of", path);
        g_clear_pointer(&out, image8_free);
    }
    if (image)
        DestroyImageList(image);
    DestroyImageInfo(info);
    DestroyExceptionInfo(exception);
    return out;
}

Image8 *image8_jpeg_roundtrip(const Image8 *image, int quality, GError **error)
{
    ensure_magick();
    ExceptionInfo *exception = AcquireExceptionInfo();
    ImageInfo *info = AcquireImageInfo();
    Image *img = ConstituteImage((size_t)image->width, (size_t)image->height,
                                 "RGB", CharPixel, image->rgb, exception);
    Image *decoded = NULL;
    void *blob = NULL;
    size_t length = 0;
    Image8 *out = NULL;

    if (!img) {
        set_magick_error(error, exception, "cannot build image for", "JPEG round trip");
        goto out;
    }
    img->depth = 8;
    img->quality = (size_t)quality;
    info->quality = (size_t)quality;
    g_strlcpy(info->magick, "JPEG", sizeof info->magick);
    g_strlcpy(img->magick, "JPEG", sizeof img->magick);
    g_strlcpy(info->filename, "JPEG:roundtrip.jpg", sizeof info->filename);
    g_strlcpy(img->filename, "JPEG:roundtrip.jpg", sizeof img->filename);
    blob = ImageToBlob(info, img, &length, exception);
    if (!blob || length == 0) {
        set_magick_error(error, exception, "cannot encode", "JPEG round trip");
        goto out;
    }
    g_strlcpy(info->magick, "JPEG", sizeof info->magick);
    g_strlcpy(info->filename, "JPEG:roundtrip.jpg", sizeof info->filename);
    decoded = BlobToImage(info, blob, length, exception);
    if (!decoded || exception->severity >= ErrorException) {
        set_magick_error(error, exception, "cannot decode", "JPEG round trip");
        goto out;
    }
    if ((int)decoded->columns != image->width || (int)decoded->rows != image->height ||
        !(out = image8_new(image->width, image->height))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "JPEG round trip: bad size");
        goto out;
    }
    if (!ExportImagePixels(decoded, 0, 0, decoded->columns, decoded->rows, "RGB", CharPixel,
                           out->rgb, exception)) {
        set_magick_error(error, exception, "cannot export pixels of", "JPEG round trip");
        g_clear_pointer(&out, image8_free);
    }
out:
    if (blob)
        RelinquishMagickMemory(blob);
    if (decoded)
        DestroyImageList(decoded);
    if (img)
        DestroyImage(img);
    DestroyImageInfo(info);
    DestroyExceptionInfo(exception);
    return out;
}

gboolean image8_save_png(const Image8 *image, const char *path, GError **error)
{
    ensure_magick();
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", path, (int)getpid());
    ExceptionInfo *exception = AcquireExceptionInfo();
    ImageInfo *info = AcquireImageInfo();
    Image *img = ConstituteImage((size_t)image->width, (size_t)image->height,
                                 "RGB", CharPixel, image->rgb, exception);
    gboolean ok = FALSE;

    if (!img) {
        set_magick_error(error, exception, "cannot build image for", path);
        goto out;
    }
    img->depth = 8;
    /* The "PNG:" prefix picks the format whatever the temporary name ends in. */
    g_snprintf(info->filename, sizeof info->filename, "PNG:%s", tmp);
    g_snprintf(img->filename, sizeof img->filename, "PNG:%s", tmp);
#if SRGAN_MAGICK_MAJOR >= 7
    ok = WriteImage(info, img, exception) == MagickTrue;
#else
    ok = WriteImage(info, img) == MagickTrue;
    if (img->exception.severity >= ErrorException) {
        ok = FALSE;
        InheritException(exception, &img->exception);
    }
#endif
    if (!ok) {
        set_magick_error(error, exception, "cannot write", path);
        g_unlink(tmp);
        goto out;
    }
    if (g_rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot rename %s to %s: %s", tmp, path, g_strerror(e));
        g_unlink(tmp);
        ok = FALSE;
    }
out:
    if (img)
        DestroyImage(img);
    DestroyImageInfo(info);
    DestroyExceptionInfo(exception);
    return ok;
}
