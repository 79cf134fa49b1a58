/* photos.c — photo decoding with GdkPixbuf (see photos.h). */
#include "photos.h"
#include "imresize.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

void photo_free(Photo *photo)
{
    if (!photo)
        return;
    g_free(photo->path);
    g_free(photo->rgb);
    g_free(photo);
}

Photo *photo_load(const char *path, GError **error)
{
    GdkPixbuf *raw = gdk_pixbuf_new_from_file(path, error);
    if (!raw)
        return NULL;
    GdkPixbuf *pixbuf = gdk_pixbuf_apply_embedded_orientation(raw);
    g_object_unref(raw);
    if (gdk_pixbuf_get_colorspace(pixbuf) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pixbuf) != 8) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: only 8-bit RGB images are supported", path);
        g_object_unref(pixbuf);
        return NULL;
    }
    Photo *photo = g_new0(Photo, 1);
    photo->path = g_strdup(path);
    photo->width = gdk_pixbuf_get_width(pixbuf);
    photo->height = gdk_pixbuf_get_height(pixbuf);
    int stride = gdk_pixbuf_get_rowstride(pixbuf);
    int nch = gdk_pixbuf_get_n_channels(pixbuf);
    const guint8 *pixels = gdk_pixbuf_read_pixels(pixbuf);
    photo->rgb = g_new(guint8, (size_t)photo->width * photo->height * 3);
    for (int y = 0; y < photo->height; y++) {
        const guint8 *row = pixels + (size_t)y * stride;
        guint8 *dst = photo->rgb + (size_t)y * photo->width * 3;
        for (int x = 0; x < photo->width; x++)
            memcpy(dst + 3 * x, row + nch * x, 3);
    }
    g_object_unref(pixbuf);
    return photo;
}

static gboolean is_photo_name(const char *name)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);
    return g_str_has_suffix(lower, ".png") || g_str_has_suffix(lower, ".jpg") ||
           g_str_has_suffix(lower, ".jpeg");
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void photo_set_free(PhotoSet *set)
{
    if (!set)
        return;
    g_ptr_array_unref(set->photos);
    g_free(set);
}

/* Shrinks photo in place by an integer factor (see photo_set_load). */
static void photo_shrink(Photo *photo, int factor)
{
    size_t n = (size_t)photo->width * photo->height * 3;
    float *src = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        src[i] = photo->rgb[i];
    int w = imresize_output_side(photo->width, 1.0 / factor);
    int h = imresize_output_side(photo->height, 1.0 / factor);
    float *dst = g_new(float, (size_t)w * h * 3);
    imresize_bicubic_float(src, photo->width, photo->height, 3, 1.0 / factor, dst);
    g_free(photo->rgb);
    photo->rgb = g_new(guint8, (size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        photo->rgb[i] = (guint8)CLAMP(dst[i] + 0.5f, 0.0f, 255.0f);
    photo->width = w;
    photo->height = h;
    g_free(src);
    g_free(dst);
}

PhotoSet *photo_set_load(const char *dir, int min_side, int max_side, GError **error)
{
    GDir *d = g_dir_open(dir, 0, error);
    if (!d)
        return NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (is_photo_name(name))
            g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);

    PhotoSet *set = g_new0(PhotoSet, 1);
    set->photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        g_autoptr(GError) local = NULL;
        Photo *photo = photo_load(path, &local);
        if (!photo) {
            g_printerr("srgan-train: skipping %s: %s\n", path, local->message);
            continue;
        }
        int longest = MAX(photo->width, photo->height);
        if (max_side > 0 && longest > max_side)
            photo_shrink(photo, (longest + max_side - 1) / max_side);
        if (photo->width < min_side || photo->height < min_side) {
            g_printerr("srgan-train: skipping %s: %d×%d is smaller than %d×%d\n",
                       path, photo->width, photo->height, min_side, min_side);
            photo_free(photo);
            continue;
        }
        set->bytes += (guint64)photo->width * photo->height * 3;
        g_ptr_array_add(set->photos, photo);
    }
    if (set->photos->len == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: no PNG or JPEG photo of at least %d×%d pixels", dir,
                    min_side, min_side);
        photo_set_free(set);
        return NULL;
    }
    return set;
}
