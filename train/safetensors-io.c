/* safetensors-io.c — safetensors reader and atomic writer (see the header). */
#include "safetensors-io.h"
#include "json.h"   /* the core's parser (core/json.h) */

#include <gio/gio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADER ((gsize)100 << 20)

static void st_tensor_free(gpointer p)
{
    StTensor *t = p;
    g_free(t->name);
    g_free(t);
}

void st_file_free(StFile *file)
{
    if (!file)
        return;
    if (file->mapped)
        g_mapped_file_unref(file->mapped);
    if (file->metadata)
        g_hash_table_unref(file->metadata);
    if (file->tensors)
        g_ptr_array_unref(file->tensors);
    g_free(file->path);
    g_free(file);
}

static gboolean bad(GError **error, const char *path, const char *what)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, what);
    return FALSE;
}

static gboolean parse_tensor(StFile *file, const char *name, const SrganJson *v,
                             GError **error)
{
    const SrganJson *dtype = srgan_json_object_get(v, "dtype");
    const SrganJson *shape = srgan_json_object_get(v, "shape");
    const SrganJson *offsets = srgan_json_object_get(v, "data_offsets");
    g_autofree char *what = NULL;
    if (!dtype || dtype->type != SRGAN_JSON_STRING || strcmp(dtype->string, "F32") != 0)
        what = g_strdup_printf("tensor %s: dtype must be F32", name);
    else if (!shape || shape->type != SRGAN_JSON_ARRAY || shape->array->len > ST_MAX_DIMS)
        what = g_strdup_printf("tensor %s: bad shape", name);
    else if (!offsets || offsets->type != SRGAN_JSON_ARRAY || offsets->array->len != 2)
        what = g_strdup_printf("tensor %s: bad data_offsets", name);
    if (what)
        return bad(error, file->path, what);

    StTensor *t = g_new0(StTensor, 1);
    t->name = g_strdup(name);
    t->ndim = (int)shape->array->len;
    guint64 count = 1;
    for (int i = 0; i < t->ndim; i++) {
        const SrganJson *d = g_ptr_array_index(shape->array, i);
        if (d->type != SRGAN_JSON_NUMBER || !d->number.is_integer ||
            d->number.integer < 0 || d->number.integer > G_MAXINT32) {
            st_tensor_free(t);
            what = g_strdup_printf("tensor %s: bad dimension", name);
            return bad(error, file->path, what);
        }
        t->shape[i] = d->number.integer;
        count *= (guint64)d->number.integer;
        if (count > file->data_size) {
            st_tensor_free(t);
            what = g_strdup_printf("tensor %s: larger than the file", name);
            return bad(error, file->path, what);
        }
    }
    const SrganJson *b = g_ptr_array_index(offsets->array, 0);
    const SrganJson *e = g_ptr_array_index(offsets->array, 1);
    if (b->type != SRGAN_JSON_NUMBER || e->type != SRGAN_JSON_NUMBER ||
        !b->number.is_integer || !e->number.is_integer || b->number.integer < 0 ||
        e->number.integer < b->number.integer ||
        (guint64)e->number.integer > file->data_size ||
        (guint64)(e->number.integer - b->number.integer) != count * 4) {
        st_tensor_free(t);
        what = g_strdup_printf("tensor %s: data_offsets do not match its shape "
                               "or run past the end of the file", name);
        return bad(error, file->path, what);
    }
    t->begin = (gsize)b->number.integer;
    t->end = (gsize)e->number.integer;
    g_ptr_array_add(file->tensors, t);
    return TRUE;
}

StFile *st_file_open(const char *path, GError **error)
{
    g_autoptr(StFile) file = g_new0(StFile, 1);
    file->path = g_strdup(path);
    file->mapped = g_mapped_file_new(path, FALSE, error);
    if (!file->mapped)
        return NULL;
    const guint8 *bytes = (const guint8 *)g_mapped_file_get_contents(file->mapped);
    gsize size = g_mapped_file_get_length(file->mapped);
    if (size < 8) {
        bad(error, path, "too short for a safetensors file");
        return NULL;
    }
    guint64 header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = header_len << 8 | bytes[i];
    if (header_len > MAX_HEADER || header_len > size - 8) {
        bad(error, path, "header length runs past the end of the file");
        return NULL;
    }
    file->data = bytes + 8 + header_len;
    file->data_size = size - 8 - header_len;
    /* The parser's messages already name `path` and the byte at fault;
     * the trainer reports bad files as G_IO_ERROR_INVALID_DATA. */
    g_autoptr(GError) json_error = NULL;
    g_autoptr(SrganJson) root = srgan_json_parse((const char *)bytes + 8, header_len, path,
                                                 &json_error);
    if (!root) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, json_error->message);
        return NULL;
    }
    file->metadata = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    file->tensors = g_ptr_array_new_with_free_func(st_tensor_free);
    gboolean ok = root->type == SRGAN_JSON_OBJECT;
    if (!ok)
        bad(error, path, "header is not a JSON object");
    for (guint i = 0; ok && i < root->object->len; i++) {
        const SrganJsonMember *member = g_ptr_array_index(root->object, i);
        const char *key = member->key;
        const SrganJson *v = member->value;
        if (strcmp(key, "__metadata__") == 0) {
            if (v->type != SRGAN_JSON_OBJECT) {
                ok = bad(error, path, "__metadata__ is not an object");
                break;
            }
            for (guint j = 0; j < v->object->len; j++) {
                const SrganJsonMember *entry = g_ptr_array_index(v->object, j);
                if (entry->value->type != SRGAN_JSON_STRING) {
                    ok = bad(error, path, "__metadata__ values must be strings");
                    break;
                }
                g_hash_table_replace(file->metadata, g_strdup(entry->key),
                                     g_strdup(entry->value->string));
            }
        } else if (v->type != SRGAN_JSON_OBJECT) {
            ok = bad(error, path, "a tensor entry is not an object");
        } else {
            ok = parse_tensor(file, key, v, error);
        }
    }
    if (!ok)
        return NULL;
    return g_steal_pointer(&file);
}

const StTensor *st_file_find(const StFile *file, const char *name)
{
    for (guint i = 0; i < file->tensors->len; i++) {
        const StTensor *t = g_ptr_array_index(file->tensors, i);
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

const char *st_file_metadata(const StFile *file, const char *key)
{
    return g_hash_table_lookup(file->metadata, key);
}

gboolean st_file_read(const StFile *file, const char *name, int ndim,
                      const int *shape, float *dst, gsize count, GError **error)
{
    const StTensor *t = st_file_find(file, name);
    if (!t) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: tensor %s is missing", file->path, name);
        return FALSE;
    }
    gboolean shape_ok = (t->end - t->begin) == count * 4;
    if (ndim > 0) {
        shape_ok = shape_ok && t->ndim == ndim;
        for (int i = 0; shape_ok && i < ndim; i++)
            shape_ok = t->shape[i] == shape[i];
    }
    if (!shape_ok) {
        GString *got = g_string_new(NULL), *want = g_string_new(NULL);
        for (int i = 0; i < t->ndim; i++)
            g_string_append_printf(got, "%s%" G_GINT64_FORMAT, i ? "," : "", t->shape[i]);
        if (ndim > 0)
            for (int i = 0; i < ndim; i++)
                g_string_append_printf(want, "%s%d", i ? "," : "", shape[i]);
        else
            g_string_append_printf(want, "%zu elements", (size_t)count);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: tensor %s has shape (%s), expected (%s)",
                    file->path, name, got->str, want->str);
        g_string_free(got, TRUE);
        g_string_free(want, TRUE);
        return FALSE;
    }
    /* Data need not be 4-byte aligned in the file: copy bytewise. */
    memcpy(dst, file->data + t->begin, count * 4);
    if (G_BYTE_ORDER == G_BIG_ENDIAN)
        for (gsize i = 0; i < count; i++) {
            guint32 u;
            memcpy(&u, &dst[i], 4);
            u = GUINT32_SWAP_LE_BE(u);
            memcpy(&dst[i], &u, 4);
        }
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
