/* safetensors-io.c — safetensors reader and atomic writer (see the header). */
#include "safetensors-io.h"
#include "safetensors.h"   /* the core's validated container (core/) */

#include <gio/gio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

G_STATIC_ASSERT(ST_MAX_DIMS == SRGAN_SAFETENSORS_MAX_DIMS);

struct StFile {
    GMappedFile *mapped;
    SrganSafetensors *st;   /* points into `mapped` */
    char *path;
};

void st_file_free(StFile *file)
{
    if (!file)
        return;
    srgan_safetensors_free(file->st);
    if (file->mapped)
        g_mapped_file_unref(file->mapped);
    g_free(file->path);
    g_free(file);
}

StFile *st_file_open(const char *path, GError **error)
{
    g_autoptr(StFile) file = g_new0(StFile, 1);
    file->path = g_strdup(path);
    file->mapped = g_mapped_file_new(path, FALSE, error);
    if (!file->mapped)
        return NULL;
    /* The core's loader validates the container (header, dtypes, shapes,
     * offsets); its messages already name `path`.  The trainer reports bad
     * files as G_IO_ERROR_INVALID_DATA. */
    g_autoptr(GError) parse_error = NULL;
    file->st = srgan_safetensors_parse((const guint8 *)g_mapped_file_get_contents(file->mapped),
                                       g_mapped_file_get_length(file->mapped), path,
                                       &parse_error);
    if (!file->st) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, parse_error->message);
        return NULL;
    }
    return g_steal_pointer(&file);
}

gboolean st_file_shape(const StFile *file, const char *name, int *ndim,
                       gint64 shape[ST_MAX_DIMS])
{
    const SrganTensor *t = srgan_safetensors_get(file->st, name);
    if (!t)
        return FALSE;
    *ndim = t->n_dims;
    memcpy(shape, t->shape, sizeof(gint64) * t->n_dims);
    return TRUE;
}

const char *st_file_metadata(const StFile *file, const char *key)
{
    return g_hash_table_lookup(file->st->metadata, key);
}

const char *st_file_path(const StFile *file)
{
    return file->path;
}

gboolean st_file_read(const StFile *file, const char *name, int ndim,
                      const int *shape, float *dst, gsize count, GError **error)
{
    const SrganTensor *t = srgan_safetensors_get(file->st, name);
    if (!t) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: tensor %s is missing", file->path, name);
        return FALSE;
    }
    gboolean shape_ok = t->n_elements == count;
    if (ndim > 0) {
        shape_ok = shape_ok && t->n_dims == ndim;
        for (int i = 0; shape_ok && i < ndim; i++)
            shape_ok = t->shape[i] == shape[i];
    }
    if (!shape_ok) {
        g_autofree char *got = srgan_tensor_shape_string(t);
        GString *want = g_string_new(NULL);
        if (ndim > 0)
            for (int i = 0; i < ndim; i++)
                g_string_append_printf(want, "%s%d", i ? ", " : "", shape[i]);
        else
            g_string_append_printf(want, "%zu elements", (size_t)count);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: tensor %s has shape %s, expected (%s)",
                    file->path, name, got, want->str);
        g_string_free(want, TRUE);
        return FALSE;
    }
    srgan_tensor_read_f32(t, dst);
    return TRUE;
}

/* ---- writer ------------------------------------------------------------ */

typedef struct {
    char *name;
    int ndim;
    int shape[ST_MAX_DIMS];
    const float *data;
    gsize count;
} PendingTensor;

struct StWriter {
    GPtrArray *keys, *values;   /* metadata, in insertion order */
    GArray *tensors;            /* PendingTensor */
};

StWriter *st_writer_new(void)
{
    StWriter *w = g_new0(StWriter, 1);
    w->keys = g_ptr_array_new_with_free_func(g_free);
    w->values = g_ptr_array_new_with_free_func(g_free);
    w->tensors = g_array_new(FALSE, TRUE, sizeof(PendingTensor));
    return w;
}

void st_writer_free(StWriter *w)
{
    if (!w)
        return;
    for (guint i = 0; i < w->tensors->len; i++)
        g_free(g_array_index(w->tensors, PendingTensor, i).name);
    g_array_unref(w->tensors);
    g_ptr_array_unref(w->keys);
    g_ptr_array_unref(w->values);
    g_free(w);
}

void st_writer_metadata(StWriter *w, const char *key, const char *value)
{
    g_ptr_array_add(w->keys, g_strdup(key));
    g_ptr_array_add(w->values, g_strdup(value));
}

void st_writer_add(StWriter *w, const char *name, int ndim, const int *shape,
                   const float *data)
{
    PendingTensor t = {g_strdup(name), ndim, {0}, data, 1};
    g_assert(ndim >= 0 && ndim <= ST_MAX_DIMS);
    for (int i = 0; i < ndim; i++) {
        t.shape[i] = shape[i];
        t.count *= (gsize)shape[i];
    }
    g_array_append_val(w->tensors, t);
}

static void append_json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            g_string_append_printf(out, "\\%c", ch);
        else if (ch < 0x20)
            g_string_append_printf(out, "\\u%04x", ch);
        else
            g_string_append_c(out, (char)ch);
    }
    g_string_append_c(out, '"');
}

static GString *build_header(StWriter *w)
{
    GString *h = g_string_new("{");
    if (w->keys->len) {
        g_string_append(h, "\"__metadata__\":{");
        for (guint i = 0; i < w->keys->len; i++) {
            if (i)
                g_string_append_c(h, ',');
            append_json_string(h, g_ptr_array_index(w->keys, i));
            g_string_append_c(h, ':');
            append_json_string(h, g_ptr_array_index(w->values, i));
        }
        g_string_append_c(h, '}');
    }
    gsize offset = 0;
    for (guint i = 0; i < w->tensors->len; i++) {
        PendingTensor *t = &g_array_index(w->tensors, PendingTensor, i);
        if (i || w->keys->len)
            g_string_append_c(h, ',');
        append_json_string(h, t->name);
        g_string_append(h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++)
            g_string_append_printf(h, "%s%d", d ? "," : "", t->shape[d]);
        g_string_append_printf(h, "],\"data_offsets\":[%zu,%zu]}",
                               (size_t)offset, (size_t)(offset + t->count * 4));
        offset += t->count * 4;
    }
    g_string_append_c(h, '}');
    /* Pad with spaces so the data section starts 8-byte aligned. */
    while (h->len % 8)
        g_string_append_c(h, ' ');
    return h;
}

gboolean st_writer_write(StWriter *w, const char *path, GError **error)
{
    g_autoptr(GString) header = build_header(w);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    /* 0666 less the umask, like any new file (g_mkstemp would give 0600) */
    int fd = g_mkstemp_full(tmp, O_WRONLY, 0666);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot create a temporary file beside %s: %s", path, g_strerror(e));
        return FALSE;
    }
    FILE *f = fdopen(fd, "wb");
    guint8 len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (guint8)((guint64)header->len >> (8 * i));
    gboolean ok = f && fwrite(len, 1, 8, f) == 8 &&
                  fwrite(header->str, 1, header->len, f) == header->len;
    for (guint i = 0; ok && i < w->tensors->len; i++) {
        PendingTensor *t = &g_array_index(w->tensors, PendingTensor, i);
        if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
            ok = fwrite(t->data, 4, t->count, f) == t->count;
        } else {
            for (gsize k = 0; ok && k < t->count; k++) {
                guint32 u;
                memcpy(&u, &t->data[k], 4);
                u = GUINT32_TO_LE(u);
                ok = fwrite(&u, 4, 1, f) == 1;
            }
        }
    }
    int e = errno;
    if (f) {
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            ok = FALSE, e = errno;
        if (fclose(f) != 0 && ok)
            ok = FALSE, e = errno;
    } else {
        close(fd);
    }
    if (ok && rename(tmp, path) != 0)
        ok = FALSE, e = errno;
    if (!ok) {
        unlink(tmp);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot write %s: %s", path, g_strerror(e));
    }
    return ok;
}
