/* image8.h — 8-bit RGB images for the evaluation tool.
 *
 * Everything the quality tools measure is 8-bit, as the standard SR
 * benchmark protocol is: the HR photo, the LR image (rounded to 8 bits),
 * and each upscaled result (rounded to 8 bits, as a saved PNG would be).
 * Pixels are interleaved R, G, B, rows packed tightly.
 */
#ifndef SRGAN_QUALITY_IMAGE8_H
#define SRGAN_QUALITY_IMAGE8_H

#include <glib.h>
#include <gio/gio.h>

typedef struct {
    int width;
    int height;
    guint8 *rgb;   /* (height, width, 3) */
} Image8;

/* A new image with uninitialised pixels, or NULL if the size is absurd. */
Image8 *image8_new(int width, int height);
void image8_free(Image8 *image);

/* Copy of the rectangle (x, y, width, height), which must lie inside. */
Image8 *image8_crop(const Image8 *image, int x, int y, int width, int height);

/* MATLAB's imresize(image, scale, 'bicubic') on the uint8 image, the
 * standard SR benchmark degradation (core/imresize.h says exactly what is
 * reproduced): e.g. 0.25 makes the ×4 LR image, 4.0 the ×4 bicubic
 * upscale.  The output side is ceil(side * scale), as in MATLAB.  NULL if
 * the output would be empty or absurdly large. */
Image8 *image8_resize_bicubic(const Image8 *image, double scale);

/* Reads any file MagickCore can decode, converted to 8-bit RGB (grey is
 * replicated, alpha dropped).  NULL with `error` set on failure. */
Image8 *image8_load(const char *path, GError **error);

/* The image after a round trip through a JPEG file of the given quality
 * (1–100), encoded and decoded in memory by MagickCore with ImageMagick's
 * defaults, as `convert in.png -quality Q out.jpg` would (4:2:0 chroma
 * below quality 90).  NULL with `error` set on failure. */
Image8 *image8_jpeg_roundtrip(const Image8 *image, int quality, GError **error);

/* Writes a PNG.  The file appears whole or not at all: it is written to a
 * temporary name beside `path` and renamed. */
gboolean image8_save_png(const Image8 *image, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Image8, image8_free)

#endif
