/* photos.h — a folder of training or validation photos, decoded once with
 * GdkPixbuf (PNG, JPEG and whatever loaders are installed) and kept as
 * 8-bit RGB.  Files are taken in name order so that a seed gives the same
 * crops on every machine.  Alpha is dropped; EXIF orientation is applied. */
#ifndef TRAIN_PHOTOS_H
#define TRAIN_PHOTOS_H

#include <glib.h>

typedef struct {
    char *path;
    int width, height;
    guint8 *rgb;        /* width × height × 3, rows packed */
} Photo;

typedef struct {
    GPtrArray *photos;  /* Photo* */
    guint64 bytes;      /* memory the pixels take */
} PhotoSet;

/* Loads every .png/.jpg/.jpeg in `dir` at least min_side pixels on both
 * sides; unreadable or smaller files are skipped with a warning on stderr.
 * max_side > 0: a photo with a longer side is first shrunk by the smallest
 * integer factor that brings it within max_side (MATLAB-style bicubic, as
 * for LR images), which saves memory on big wallpapers and gives crops
 * more detail.  NULL with an error when the folder cannot be read or
 * nothing usable is in it. */
PhotoSet *photo_set_load(const char *dir, int min_side, int max_side, GError **error);
void photo_set_free(PhotoSet *set);

/* One photo, for tests and tools; NULL with an error. */
Photo *photo_load(const char *path, GError **error);
void photo_free(Photo *photo);

#endif
