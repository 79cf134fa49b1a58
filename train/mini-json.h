/* mini-json.h — a small strict JSON parser for safetensors headers: enough
 * of RFC 8259 to read objects, arrays, strings, integers and the literals.
 * Numbers with a fraction or exponent are kept as text. */
#ifndef TRAIN_MINI_JSON_H
#define TRAIN_MINI_JSON_H

#include <glib.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonKind;

typedef struct JsonValue JsonValue;
struct JsonValue {
    JsonKind kind;
    char *text;             /* STRING: the decoded text; NUMBER: as written */
    gint64 integer;         /* NUMBER without fraction/exponent */
    gboolean is_integer;
    GPtrArray *items;       /* ARRAY: JsonValue*; OBJECT: values, in order */
    GPtrArray *keys;        /* OBJECT: char*, parallel to items */
};

JsonValue *mini_json_parse(const char *text, gsize length, GError **error);
void mini_json_free(JsonValue *value);
const JsonValue *mini_json_get(const JsonValue *object, const char *key);

#endif
