/* json.h — a strict, bounded JSON parser for safetensors headers (private).
 *
 * Parses RFC 8259 JSON from a buffer of known length into a small tree.  It
 * never reads past `len`, limits nesting depth, rejects duplicate object
 * keys, unescaped control characters, invalid UTF-8, lone surrogates and
 * "\u0000" (so every string is also a valid C string), and reports the byte
 * position (from the start of the text) of the first problem.  Depth and
 * value count are capped, so memory stays proportional to sane input.  Errors are
 * SRGAN_ERROR_MODEL_HEADER.
 */
#ifndef SRGAN_JSON_H
#define SRGAN_JSON_H

#include <glib.h>

/* Deeper nesting than this is refused before the C stack could suffer;
 * a safetensors header needs 3 levels. */
#define SRGAN_JSON_MAX_DEPTH 64
/* More values than this are refused: each costs ~100 bytes of tree for as
 * little as 2 bytes of text ("[]"), and a real header has a few thousand. */
#define SRGAN_JSON_MAX_VALUES (1 << 20)

typedef enum {
    SRGAN_JSON_NULL,
    SRGAN_JSON_BOOL,
    SRGAN_JSON_NUMBER,
    SRGAN_JSON_STRING,
    SRGAN_JSON_ARRAY,
    SRGAN_JSON_OBJECT,
} SrganJsonType;

typedef struct SrganJson SrganJson;

typedef struct {
    char *key;              /* NUL-terminated UTF-8 */
    SrganJson *value;
} SrganJsonMember;

struct SrganJson {
    SrganJsonType type;
    gsize offset;           /* byte position of the value in the text */
    union {
        gboolean boolean;
        struct {
            double value;
            /* TRUE when written without fraction or exponent and it fits
             * in a gint64; then `integer` holds it exactly. */
            gboolean is_integer;
            gint64 integer;
        } number;
        char *string;       /* NUL-terminated UTF-8 */
        GPtrArray *array;   /* SrganJson* elements, in order */
        GPtrArray *object;  /* SrganJsonMember*, in file order, keys unique */
    };
};

/* Parses the whole of text[0..len) as one JSON value (surrounding
 * whitespace allowed).  `what` names the text in error messages. */
SrganJson *srgan_json_parse(const char *text, gsize len, const char *what,
                            GError **error);
void srgan_json_free(SrganJson *value);

/* The member value for `key` of an object, or NULL. */
const SrganJson *srgan_json_object_get(const SrganJson *object, const char *key);

/* A type with its article, for messages ("a string", "an object", …). */
const char *srgan_json_type_name(SrganJsonType type);

/* A string for an error message: a hostile header may hold megabytes in
 * one string, so at most its first 64 characters, then "…".  g_free(). */
char *srgan_json_shorten(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrganJson, srgan_json_free)

#endif
