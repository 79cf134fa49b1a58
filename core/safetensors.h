/* safetensors.h — the safetensors container, validated (private).
 *
 * A file is 8 bytes of little-endian header length N, N bytes of JSON
 * header, then the tensor bytes.  srgan_safetensors_parse() checks all of
 * it before anyone touches a tensor: the header length against the file
 * and SRGAN_SAFETENSORS_MAX_HEADER, the JSON, every entry's dtype (F32 or
 * F16), shape (element count × element size must equal the byte span, with
 * overflow-checked arithmetic) and data_offsets (inside the file, sorted
 * they must tile the data area exactly: no overlap, no gap, nothing left
 * over), and that __metadata__, when present, maps strings to strings.
 * Duplicate tensor names are rejected by the JSON parser.
 *
 * The result points into the caller's buffer, which must outlive it.
 */
#ifndef SRGAN_SAFETENSORS_H
#define SRGAN_SAFETENSORS_H

#include <glib.h>

#define SRGAN_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)  /* bytes of JSON */
#define SRGAN_SAFETENSORS_MAX_DIMS 8

typedef struct {
    const char *name;               /* owned by the container */
    int n_dims;
    gint64 shape[SRGAN_SAFETENSORS_MAX_DIMS];
    gsize n_elements;               /* product of shape (1 for a scalar) */
    int element_size;               /* 4 (F32) or 2 (F16) */
    const guint8 *data;             /* n_elements little-endian values, unaligned */
} SrganTensor;

typedef struct {
    char *source_name;              /* for messages */
    GPtrArray *tensors;             /* SrganTensor*, in header order */
    GHashTable *by_name;            /* name → SrganTensor* */
    GHashTable *metadata;           /* char* → char*; empty if no __metadata__ */
    gboolean has_metadata;
} SrganSafetensors;

/* Validates and indexes a safetensors file held in data[0..size).  `name`
 * (a path, usually) prefixes error messages.  Errors are SRGAN_ERROR:
 * _TRUNCATED (file shorter than the header says), _HEADER (header length
 * or JSON), _METADATA (__metadata__ not an object of strings), _TENSOR
 * (entry malformed: dtype, shape, offsets). */
SrganSafetensors *srgan_safetensors_parse(const guint8 *data, gsize size,
                                          const char *name, GError **error);
void srgan_safetensors_free(SrganSafetensors *st);

const SrganTensor *srgan_safetensors_get(const SrganSafetensors *st, const char *name);

/* Only the header: its length against `size`, the JSON and __metadata__;
 * the tensors are not indexed (srgan_safetensors_get() finds none).  For
 * reading a model's description without reading its weights. */
SrganSafetensors *srgan_safetensors_parse_header(const guint8 *data, gsize size,
                                                 const char *name, GError **error);

/* 8 + the header length the first 8 bytes give (what
 * srgan_safetensors_parse_header() needs), or 0 when under 8 bytes are
 * given or the length is over the limit. */
gsize srgan_safetensors_header_end(const guint8 *data, gsize size);

/* Copies a tensor's elements to dst (n_elements floats), converting from
 * little-endian F32 or F16 to the host's floats. */
void srgan_tensor_read_f32(const SrganTensor *tensor, float *dst);

/* "(64, 3, 9, 9)" — the shape for messages.  Free with g_free(). */
char *srgan_tensor_shape_string(const SrganTensor *tensor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrganSafetensors, srgan_safetensors_free)

#endif
