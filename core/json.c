/* json.c — strict, bounded JSON parser for safetensors headers.
 *
 * A recursive-descent parser over a (pointer, length) buffer: every read
 * goes through peek()/the `end` bound, so a header that lies about itself
 * can at worst produce an error.  Recursion is capped at
 * SRGAN_JSON_MAX_DEPTH.  The grammar is RFC 8259's, with no extensions
 * (no comments, no trailing commas, no NaN, no single quotes).
 */
#include "json.h"

#include <string.h>
#include <stdlib.h>
#include <errno.h>

#include "srgan.h"

typedef struct {
    const char *text;
    gsize pos;
    gsize len;
    gsize n_values;
    const char *what;
    GError **error;
} Parser;

static gboolean fail(Parser *p, gsize at, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
fail(Parser *p, gsize at, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(p->error, SRGAN_ERROR, SRGAN_ERROR_MODEL_HEADER,
                "%s: JSON header is malformed at byte %" G_GSIZE_FORMAT " of the header: %s",
                p->what, at, reason);
    return FALSE;
}

/* The next byte, or -1 at the end of the buffer. */
static int
peek(const Parser *p)
{
    return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static void
skip_whitespace(Parser *p)
{
    for (;;) {
        int c = peek(p);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        p->pos++;
    }
}

static const char *
describe_byte(int c, char buf[16])
{
    if (c < 0)
        return "end of header";
    if (c >= 0x21 && c < 0x7f)
        g_snprintf(buf, 16, "'%c'", c);
    else
        g_snprintf(buf, 16, "byte 0x%02x", (unsigned)c);
    return buf;
}

static gboolean
expect_literal(Parser *p, const char *word)
{
    gsize n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return fail(p, p->pos, "expected '%s'", word);
    p->pos += n;
    return TRUE;
}

static SrganJson *
new_value(SrganJsonType type, gsize offset)
{
    SrganJson *v = g_new0(SrganJson, 1);
    v->type = type;
    v->offset = offset;
    return v;
}

/* Four hex digits after "\u"; returns -1 (with the error set) on failure. */
static long
parse_hex4(Parser *p)
{
    if (p->len - p->pos < 4) {
        fail(p, p->pos, "\\u escape needs 4 hex digits");
        return -1;
    }
    long code = 0;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p->text[p->pos + i]);
        if (d < 0) {
            fail(p, p->pos + i, "\\u escape needs 4 hex digits");
            return -1;
        }
        code = code * 16 + d;
    }
    p->pos += 4;
    return code;
}

/* Parses a string starting at the opening quote; returns it NUL-terminated. */
static char *
parse_string_raw(Parser *p)
{
    gsize start = p->pos;
    p->pos++;  /* the opening quote, checked by the caller */
    g_autoptr(GString) out = g_string_new(NULL);

    for (;;) {
        int c = peek(p);
        if (c < 0) {
            fail(p, start, "string is not terminated");
            return NULL;
        }
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail(p, p->pos, "control character 0x%02x inside a string", (unsigned)c);
            return NULL;
        }
        if (c != '\\') {
            /* Copy a run of plain bytes; UTF-8 is validated at the end. */
            gsize run = p->pos;
            while (run < p->len) {
                unsigned char b = (unsigned char)p->text[run];
                if (b == '"' || b == '\\' || b < 0x20)
                    break;
                run++;
            }
            g_string_append_len(out, p->text + p->pos, (gssize)(run - p->pos));
            p->pos = run;
            continue;
        }

        gsize escape_at = p->pos;
        p->pos++;
        int e = peek(p);
        p->pos++;
        switch (e) {
        case '"':  g_string_append_c(out, '"'); break;
        case '\\': g_string_append_c(out, '\\'); break;
        case '/':  g_string_append_c(out, '/'); break;
        case 'b':  g_string_append_c(out, '\b'); break;
        case 'f':  g_string_append_c(out, '\f'); break;
        case 'n':  g_string_append_c(out, '\n'); break;
        case 'r':  g_string_append_c(out, '\r'); break;
        case 't':  g_string_append_c(out, '\t'); break;
        case 'u': {
            long code = parse_hex4(p);
            if (code < 0)
                return NULL;
            if (code >= 0xDC00 && code <= 0xDFFF) {
                fail(p, escape_at, "lone low surrogate \\u%04lX", code);
                return NULL;
            }
            if (code >= 0xD800 && code <= 0xDBFF) {
                /* A high surrogate must be followed by "\u" + low surrogate. */
                if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u') {
                    fail(p, escape_at, "high surrogate \\u%04lX without a low surrogate", code);
                    return NULL;
                }
                p->pos += 2;
                long low = parse_hex4(p);
                if (low < 0)
                    return NULL;
                if (low < 0xDC00 || low > 0xDFFF) {
                    fail(p, escape_at, "high surrogate \\u%04lX followed by \\u%04lX", code, low);
                    return NULL;
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            if (code == 0) {
                /* Names and metadata become C strings: an embedded NUL
                 * would silently truncate them, so refuse it here. */
                fail(p, escape_at, "\\u0000 is not allowed in strings");
                return NULL;
            }
            g_string_append_unichar(out, (gunichar)code);
            break;
        }
        default: {
            char buf[16];
            fail(p, escape_at, "invalid escape \\ followed by %s", describe_byte(e, buf));
            return NULL;
        }
        }
    }

    const char *bad = NULL;
    if (!g_utf8_validate_len(out->str, out->len, &bad)) {
        fail(p, start, "string is not valid UTF-8 (at its byte %" G_GSIZE_FORMAT ")",
             (gsize)(bad - out->str));
        return NULL;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static SrganJson *
parse_number(Parser *p)
{
    gsize start = p->pos;
    gboolean integral = TRUE;

    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p)))
            p->pos++;
    } else {
        fail(p, start, "number has no digits");
        return NULL;
    }
    if (peek(p) == '.') {
        integral = FALSE;
        p->pos++;
        if (!is_digit(peek(p))) {
            fail(p, p->pos, "number needs a digit after '.'");
            return NULL;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = FALSE;
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p))) {
            fail(p, p->pos, "number needs a digit in its exponent");
            return NULL;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }

    /* The grammar above has delimited the number: convert a NUL-terminated
     * copy so strtod/strtoll cannot run past the buffer. */
    g_autofree char *copy = g_strndup(p->text + start, p->pos - start);
    SrganJson *v = new_value(SRGAN_JSON_NUMBER, start);
    v->number.value = g_ascii_strtod(copy, NULL);
    if (integral) {
        char *end = NULL;
        errno = 0;
        gint64 n = g_ascii_strtoll(copy, &end, 10);
        if (errno == 0 && end && *end == '\0') {
            v->number.is_integer = TRUE;
            v->number.integer = n;
        }
    }
    return v;
}

static SrganJson *parse_value(Parser *p, int depth);

static SrganJson *
parse_array(Parser *p, int depth)
{
    SrganJson *v = new_value(SRGAN_JSON_ARRAY, p->pos);
    v->array = g_ptr_array_new_with_free_func((GDestroyNotify)srgan_json_free);
    p->pos++;  /* '[' */
    skip_whitespace(p);
    if (peek(p) == ']') {
        p->pos++;
        return v;
    }
    for (;;) {
        SrganJson *item = parse_value(p, depth + 1);
        if (!item) {
            srgan_json_free(v);
            return NULL;
        }
        g_ptr_array_add(v->array, item);
        skip_whitespace(p);
        int c = peek(p);
        p->pos++;
        if (c == ']')
            return v;
        if (c != ',') {
            char buf[16];
            fail(p, p->pos - 1, "expected ',' or ']' in array, got %s", describe_byte(c, buf));
            srgan_json_free(v);
            return NULL;
        }
    }
}

static void
member_free(SrganJsonMember *m)
{
    g_free(m->key);
    srgan_json_free(m->value);
    g_free(m);
}

static SrganJson *
parse_object(Parser *p, int depth)
{
    SrganJson *v = new_value(SRGAN_JSON_OBJECT, p->pos);
    v->object = g_ptr_array_new_with_free_func((GDestroyNotify)member_free);
    /* Keys seen so far, to reject duplicates (safetensors names must be
     * unique; a JSON library would silently keep the last one). */
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    p->pos++;  /* '{' */
    skip_whitespace(p);
    if (peek(p) == '}') {
        p->pos++;
        return v;
    }
    for (;;) {
        skip_whitespace(p);
        gsize key_at = p->pos;
        if (peek(p) != '"') {
            char buf[16];
            fail(p, p->pos, "expected a string key in object, got %s", describe_byte(peek(p), buf));
            goto error;
        }
        char *key = parse_string_raw(p);
        if (!key)
            goto error;
        if (g_hash_table_contains(seen, key)) {
            g_autofree char *shown = srgan_json_shorten(key);
            fail(p, key_at, "duplicate key \"%s\"", shown);
            g_free(key);
            goto error;
        }
        skip_whitespace(p);
        if (peek(p) != ':') {
            char buf[16];
            g_autofree char *shown = srgan_json_shorten(key);
            fail(p, p->pos, "expected ':' after key \"%s\", got %s", shown, describe_byte(peek(p), buf));
            g_free(key);
            goto error;
        }
        p->pos++;
        SrganJson *value = parse_value(p, depth + 1);
        if (!value) {
            g_free(key);
            goto error;
        }
        SrganJsonMember *m = g_new(SrganJsonMember, 1);
        m->key = key;
        m->value = value;
        g_ptr_array_add(v->object, m);
        g_hash_table_add(seen, key);

        skip_whitespace(p);
        int c = peek(p);
        p->pos++;
        if (c == '}')
            return v;
        if (c != ',') {
            char buf[16];
            fail(p, p->pos - 1, "expected ',' or '}' in object, got %s", describe_byte(c, buf));
            goto error;
        }
    }
error:
    g_clear_pointer(&seen, g_hash_table_unref);  /* before the keys it points to */
    srgan_json_free(v);
    return NULL;
}

static SrganJson *
parse_value(Parser *p, int depth)
{
    if (depth > SRGAN_JSON_MAX_DEPTH) {
        fail(p, p->pos, "nested deeper than %d levels", SRGAN_JSON_MAX_DEPTH);
        return NULL;
    }
    if (++p->n_values > SRGAN_JSON_MAX_VALUES) {
        fail(p, p->pos, "more than %d values", SRGAN_JSON_MAX_VALUES);
        return NULL;
    }
    skip_whitespace(p);
    gsize at = p->pos;
    int c = peek(p);
    switch (c) {
    case '{':
        return parse_object(p, depth);
    case '[':
        return parse_array(p, depth);
    case '"': {
        char *s = parse_string_raw(p);
        if (!s)
            return NULL;
        SrganJson *v = new_value(SRGAN_JSON_STRING, at);
        v->string = s;
        return v;
    }
    case 't':
    case 'f': {
        gboolean b = c == 't';
        if (!expect_literal(p, b ? "true" : "false"))
            return NULL;
        SrganJson *v = new_value(SRGAN_JSON_BOOL, at);
        v->boolean = b;
        return v;
    }
    case 'n':
        if (!expect_literal(p, "null"))
            return NULL;
        return new_value(SRGAN_JSON_NULL, at);
    default:
        if (c == '-' || is_digit(c))
            return parse_number(p);
        {
            char buf[16];
            fail(p, at, "expected a value, got %s", describe_byte(c, buf));
        }
        return NULL;
    }
}

SrganJson *
srgan_json_parse(const char *text, gsize len, const char *what, GError **error)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    Parser p = { .text = text, .pos = 0, .len = len, .what = what ? what : "JSON", .error = error };

    SrganJson *root = parse_value(&p, 0);
    if (!root)
        return NULL;
    skip_whitespace(&p);
    if (p.pos != p.len) {
        char buf[16];
        fail(&p, p.pos, "unexpected %s after the JSON value", describe_byte(peek(&p), buf));
        srgan_json_free(root);
        return NULL;
    }
    return root;
}

void
srgan_json_free(SrganJson *value)
{
    if (!value)
        return;
    switch (value->type) {
    case SRGAN_JSON_STRING:
        g_free(value->string);
        break;
    case SRGAN_JSON_ARRAY:
        g_ptr_array_unref(value->array);
        break;
    case SRGAN_JSON_OBJECT:
        g_ptr_array_unref(value->object);
        break;
    default:
        break;
    }
    g_free(value);
}

const SrganJson *
srgan_json_object_get(const SrganJson *object, const char *key)
{
    if (!object || object->type != SRGAN_JSON_OBJECT)
        return NULL;
    for (guint i = 0; i < object->object->len; i++) {
        const SrganJsonMember *m = g_ptr_array_index(object->object, i);
        if (strcmp(m->key, key) == 0)
            return m->value;
    }
    return NULL;
}

const char *
srgan_json_type_name(SrganJsonType type)
{
    switch (type) {
    case SRGAN_JSON_NULL:   return "null";
    case SRGAN_JSON_BOOL:   return "a boolean";
    case SRGAN_JSON_NUMBER: return "a number";
    case SRGAN_JSON_STRING: return "a string";
    case SRGAN_JSON_ARRAY:  return "an array";
    case SRGAN_JSON_OBJECT: return "an object";
    }
    return "an unknown value";
}

char *
srgan_json_shorten(const char *text)
{
    if (g_utf8_strlen(text, 65) <= 64)
        return g_strdup(text);
    g_autofree char *head = g_utf8_substring(text, 0, 64);
    return g_strdup_printf("%s…", head);
}
