/* safetensors.c — validate and index a safetensors container.
 *
 * Format: https://github.com/huggingface/safetensors (README, "Format").
 * The checks follow the format's own rules (the byte buffer is entirely
 * indexed, without holes) plus our own: every tensor is F32 or F16 (F16
 * is converted when read, so shipped models can be half the size), and
 * nothing is trusted until all of it has been checked.
 */
#include "safetensors.h"

#include <string.h>

#include "json.h"
#include "srgan.h"

typedef struct {
    SrganTensor *tensor;
    guint64 begin, end;             /* data_offsets, relative to the data area */
} Span;

static int
compare_spans(gconstpointer a, gconstpointer b)
{
    const Span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->tensor->name, y->tensor->name);
}

static void
tensor_free(SrganTensor *t)
{
    g_free((char *)t->name);
    g_free(t);
}

void
srgan_safetensors_free(SrganSafetensors *st)
{
    if (!st)
        return;
    g_clear_pointer(&st->by_name, g_hash_table_unref);
    g_clear_pointer(&st->tensors, g_ptr_array_unref);
    g_clear_pointer(&st->metadata, g_hash_table_unref);
    g_free(st->source_name);
    g_free(st);
}

/* __metadata__: an object whose values are all strings. */
static gboolean
read_metadata(SrganSafetensors *st, const SrganJson *meta, GError **error)
{
    if (meta->type != SRGAN_JSON_OBJECT) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA,
                    "%s: __metadata__ must be an object of strings, got %s",
                    st->source_name, srgan_json_type_name(meta->type));
        return FALSE;
    }
    for (guint i = 0; i < meta->object->len; i++) {
        const SrganJsonMember *m = g_ptr_array_index(meta->object, i);
        if (m->value->type != SRGAN_JSON_STRING) {
            g_autofree char *key = srgan_json_shorten(m->key);
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA,
                        "%s: __metadata__ value for \"%s\" must be a string, got %s",
                        st->source_name, key, srgan_json_type_name(m->value->type));
            return FALSE;
        }
        g_hash_table_insert(st->metadata, g_strdup(m->key), g_strdup(m->value->string));
    }
    st->has_metadata = TRUE;
    return TRUE;
}

static gboolean G_GNUC_PRINTF(4, 5)
tensor_error(GError **error, const SrganSafetensors *st, const char *name,
             const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    g_autofree char *shown = srgan_json_shorten(name);
    g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR, "%s: tensor \"%s\" %s",
                st->source_name, shown, reason);
    return FALSE;
}

/* One header entry: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}. */
static gboolean
read_entry(SrganSafetensors *st, const char *name, const SrganJson *entry,
           Span *span, GError **error)
{
    if (entry->type != SRGAN_JSON_OBJECT)
        return tensor_error(error, st, name, "must be an object, got %s",
                            srgan_json_type_name(entry->type));
    for (guint i = 0; i < entry->object->len; i++) {
        const SrganJsonMember *m = g_ptr_array_index(entry->object, i);
        if (strcmp(m->key, "dtype") != 0 && strcmp(m->key, "shape") != 0 &&
            strcmp(m->key, "data_offsets") != 0)
        {
            g_autofree char *field = srgan_json_shorten(m->key);
            return tensor_error(error, st, name, "has an unknown field \"%s\"", field);
        }
    }

    const SrganJson *dtype = srgan_json_object_get(entry, "dtype");
    const SrganJson *shape = srgan_json_object_get(entry, "shape");
    const SrganJson *offsets = srgan_json_object_get(entry, "data_offsets");
    if (!dtype || !shape || !offsets)
        return tensor_error(error, st, name, "lacks \"%s\"",
                            !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    if (dtype->type != SRGAN_JSON_STRING)
        return tensor_error(error, st, name, "dtype must be a string, got %s",
                            srgan_json_type_name(dtype->type));
    if (strcmp(dtype->string, "F32") == 0) {
        span->tensor->element_size = 4;
    } else if (strcmp(dtype->string, "F16") == 0) {
        span->tensor->element_size = 2;
    } else {
        g_autofree char *got = srgan_json_shorten(dtype->string);
        return tensor_error(error, st, name, "has dtype %s, expected F32 or F16", got);
    }

    SrganTensor *t = span->tensor;
    if (shape->type != SRGAN_JSON_ARRAY)
        return tensor_error(error, st, name, "shape must be an array, got %s",
                            srgan_json_type_name(shape->type));
    if (shape->array->len > SRGAN_SAFETENSORS_MAX_DIMS)
        return tensor_error(error, st, name, "has %u dimensions, at most %d are supported",
                            shape->array->len, SRGAN_SAFETENSORS_MAX_DIMS);
    t->n_dims = (int)shape->array->len;
    guint64 elements = 1;
    for (int d = 0; d < t->n_dims; d++) {
        const SrganJson *dim = g_ptr_array_index(shape->array, d);
        if (dim->type != SRGAN_JSON_NUMBER || !dim->number.is_integer || dim->number.integer < 0)
            return tensor_error(error, st, name,
                                "shape entry %d must be a non-negative integer", d);
        t->shape[d] = dim->number.integer;
        if (!g_uint64_checked_mul(&elements, elements, (guint64)dim->number.integer))
            return tensor_error(error, st, name, "has a shape whose element count overflows");
    }
    guint64 bytes;
    if (!g_uint64_checked_mul(&bytes, elements, (guint64)t->element_size) || elements > G_MAXSIZE)
        return tensor_error(error, st, name, "has a shape whose byte size overflows");
    t->n_elements = (gsize)elements;

    if (offsets->type != SRGAN_JSON_ARRAY || offsets->array->len != 2)
        return tensor_error(error, st, name, "data_offsets must be an array of 2 integers");
    for (int k = 0; k < 2; k++) {
        const SrganJson *o = g_ptr_array_index(offsets->array, k);
        if (o->type != SRGAN_JSON_NUMBER || !o->number.is_integer || o->number.integer < 0)
            return tensor_error(error, st, name,
                                "data_offsets[%d] must be a non-negative integer", k);
    }
    span->begin = (guint64)((const SrganJson *)g_ptr_array_index(offsets->array, 0))->number.integer;
    span->end = (guint64)((const SrganJson *)g_ptr_array_index(offsets->array, 1))->number.integer;
    if (span->end < span->begin)
        return tensor_error(error, st, name,
                            "has data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] that end before they begin",
                            span->begin, span->end);
    if (span->end - span->begin != bytes) {
        g_autofree char *shape_text = srgan_tensor_shape_string(t);
        return tensor_error(error, st, name,
                            "has shape %s (%" G_GUINT64_FORMAT " bytes of %s) but data_offsets span %" G_GUINT64_FORMAT " bytes",
                            shape_text, bytes, t->element_size == 2 ? "F16" : "F32",
                            span->end - span->begin);
    }
    return TRUE;
}

/* With header_only, data holds at least the length and the header; tensor
 * entries are not read (srgan_safetensors_parse_header()). */
static SrganSafetensors *
parse(const guint8 *data, gsize size, gboolean header_only, const char *name, GError **error)
{
    g_return_val_if_fail(data != NULL || size == 0, NULL);
    if (!name)
        name = "safetensors data";

    if (size < 8) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TRUNCATED,
                    "%s: file is %" G_GSIZE_FORMAT " bytes, too short for the 8-byte header length of a safetensors file",
                    name, size);
        return NULL;
    }
    guint64 header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = (header_len << 8) | data[i];
    if (header_len > SRGAN_SAFETENSORS_MAX_HEADER) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_HEADER,
                    "%s: header length %" G_GUINT64_FORMAT " bytes exceeds the limit of %u bytes (not a weights file?)",
                    name, header_len, SRGAN_SAFETENSORS_MAX_HEADER);
        return NULL;
    }
    if (header_len > size - 8) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TRUNCATED,
                    "%s: header length says %" G_GUINT64_FORMAT " bytes but only %" G_GSIZE_FORMAT " follow (truncated file?)",
                    name, header_len, size - 8);
        return NULL;
    }
    if (header_len < 2) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_HEADER,
                    "%s: header length %" G_GUINT64_FORMAT " is too small for a JSON object",
                    name, header_len);
        return NULL;
    }

    g_autoptr(SrganJson) header = srgan_json_parse((const char *)data + 8, (gsize)header_len, name, error);
    if (!header)
        return NULL;
    if (header->type != SRGAN_JSON_OBJECT) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_HEADER,
                    "%s: JSON header must be an object, got %s", name,
                    srgan_json_type_name(header->type));
        return NULL;
    }

    g_autoptr(SrganSafetensors) st = g_new0(SrganSafetensors, 1);
    st->source_name = g_strdup(name);
    st->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)tensor_free);
    st->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    st->metadata = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    if (header_only) {
        const SrganJson *meta = srgan_json_object_get(header, "__metadata__");
        if (meta && !read_metadata(st, meta, error))
            return NULL;
        return g_steal_pointer(&st);
    }

    const guint8 *area = data + 8 + header_len;
    guint64 area_size = size - 8 - header_len;
    g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));

    for (guint i = 0; i < header->object->len; i++) {
        const SrganJsonMember *m = g_ptr_array_index(header->object, i);
        if (strcmp(m->key, "__metadata__") == 0) {
            if (!read_metadata(st, m->value, error))
                return NULL;
            continue;
        }
        SrganTensor *t = g_new0(SrganTensor, 1);
        t->name = g_strdup(m->key);
        g_ptr_array_add(st->tensors, t);
        Span span = { .tensor = t };
        if (!read_entry(st, m->key, m->value, &span, error))
            return NULL;
        g_array_append_val(spans, span);
    }

    /* Sorted by offset, the spans must tile [0, area_size) exactly. */
    g_array_sort(spans, compare_spans);
    guint64 expected_begin = 0;
    for (guint i = 0; i < spans->len; i++) {
        const Span *s = &g_array_index(spans, Span, i);
        if (s->begin < expected_begin) {
            const Span *prev = &g_array_index(spans, Span, i - 1);
            g_autofree char *other = srgan_json_shorten(prev->tensor->name);
            tensor_error(error, st, s->tensor->name,
                         "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] overlap those of \"%s\" [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                         s->begin, s->end, other, prev->begin, prev->end);
            return NULL;
        }
        if (s->end > area_size) {
            g_autofree char *shown = srgan_json_shorten(s->tensor->name);
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TRUNCATED,
                        "%s: tensor \"%s\" data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] run past the %" G_GUINT64_FORMAT " bytes of tensor data (truncated file?)",
                        name, shown, s->begin, s->end, area_size);
            return NULL;
        }
        if (s->begin > expected_begin) {
            tensor_error(error, st, s->tensor->name,
                         "data_offsets begin at %" G_GUINT64_FORMAT ", leaving a gap after byte %" G_GUINT64_FORMAT,
                         s->begin, expected_begin);
            return NULL;
        }
        s->tensor->data = area + s->begin;
        expected_begin = s->end;
    }
    if (expected_begin != area_size) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                    "%s: %" G_GUINT64_FORMAT " bytes after the last tensor belong to no tensor",
                    name, area_size - expected_begin);
        return NULL;
    }

    for (guint i = 0; i < st->tensors->len; i++) {
        SrganTensor *t = g_ptr_array_index(st->tensors, i);
        g_hash_table_insert(st->by_name, (gpointer)t->name, t);
    }
    return g_steal_pointer(&st);
}

SrganSafetensors *
srgan_safetensors_parse(const guint8 *data, gsize size, const char *name, GError **error)
{
    return parse(data, size, FALSE, name, error);
}

SrganSafetensors *
srgan_safetensors_parse_header(const guint8 *data, gsize size, const char *name, GError **error)
{
    return parse(data, size, TRUE, name, error);
}

gsize
srgan_safetensors_header_end(const guint8 *data, gsize size)
{
    if (size < 8)
        return 0;
    guint64 header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = (header_len << 8) | data[i];
    return header_len > SRGAN_SAFETENSORS_MAX_HEADER ? 0 : (gsize)(8 + header_len);
}

const SrganTensor *
srgan_safetensors_get(const SrganSafetensors *st, const char *name)
{
    return g_hash_table_lookup(st->by_name, name);
}

/* IEEE 754 binary16 → binary32, exactly (every half is a float). */
static float
half_to_float(guint16 h)
{
    const guint32 sign = (guint32)(h >> 15) << 31;
    guint32 exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0x1f) {                 /* infinity or NaN */
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {             /* normal: rebias 15 → 127 */
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {             /* ±0 */
        bits = sign;
    } else {                                /* subnormal: normalise */
        exponent = 113;
        while (!(mantissa & 0x400)) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void
srgan_tensor_read_f32(const SrganTensor *tensor, float *dst)
{
    if (tensor->element_size == 2) {
        for (gsize i = 0; i < tensor->n_elements; i++) {
            guint16 half;
            memcpy(&half, tensor->data + 2 * i, 2);
            dst[i] = half_to_float(GUINT16_FROM_LE(half));
        }
        return;
    }
    for (gsize i = 0; i < tensor->n_elements; i++) {
        guint32 bits;
        memcpy(&bits, tensor->data + 4 * i, 4);
        bits = GUINT32_FROM_LE(bits);
        memcpy(&dst[i], &bits, 4);
    }
}

char *
srgan_tensor_shape_string(const SrganTensor *tensor)
{
    GString *s = g_string_new("(");
    for (int d = 0; d < tensor->n_dims; d++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, d ? ", " : "", tensor->shape[d]);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}
