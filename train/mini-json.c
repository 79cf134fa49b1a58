/* mini-json.c — recursive-descent JSON parser (see mini-json.h). */
#include "mini-json.h"

#include <gio/gio.h>

#include <string.h>

#define MAX_DEPTH 32

typedef struct {
    const char *p, *end;
    GError **error;
} Parser;

static gboolean fail(Parser *ps, const char *what)
{
    if (ps->error && !*ps->error)
        g_set_error(ps->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "bad JSON header: %s", what);
    return FALSE;
}

static void skip_space(Parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

void mini_json_free(JsonValue *v)
{
    if (!v)
        return;
    g_free(v->text);
    if (v->items)
        g_ptr_array_unref(v->items);
    if (v->keys)
        g_ptr_array_unref(v->keys);
    g_free(v);
}

static JsonValue *parse_value(Parser *ps, int depth);

static char *parse_string(Parser *ps)
{
    if (ps->p >= ps->end || *ps->p != '"') {
        fail(ps, "expected a string");
        return NULL;
    }
    ps->p++;
    GString *s = g_string_new(NULL);
    while (ps->p < ps->end && *ps->p != '"') {
        char ch = *ps->p++;
        if ((unsigned char)ch < 0x20) {
            fail(ps, "control character in string");
            return g_string_free(s, TRUE), NULL;
        }
        if (ch != '\\') {
            g_string_append_c(s, ch);
            continue;
        }
        if (ps->p >= ps->end)
            break;
        ch = *ps->p++;
        switch (ch) {
        case '"': case '\\': case '/': g_string_append_c(s, ch); break;
        case 'b': g_string_append_c(s, '\b'); break;
        case 'f': g_string_append_c(s, '\f'); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'u': {
            if (ps->end - ps->p < 4) {
                fail(ps, "short \\u escape");
                return g_string_free(s, TRUE), NULL;
            }
            char hex[5] = {ps->p[0], ps->p[1], ps->p[2], ps->p[3], 0};
            char *endp;
            gunichar u = (gunichar)strtoul(hex, &endp, 16);
            if (*endp) {
                fail(ps, "bad \\u escape");
                return g_string_free(s, TRUE), NULL;
            }
            ps->p += 4;
            g_string_append_unichar(s, u);   /* surrogates are not joined: names are ASCII */
            break;
        }
        default:
            fail(ps, "unknown escape");
            return g_string_free(s, TRUE), NULL;
        }
    }
    if (ps->p >= ps->end) {
        fail(ps, "unterminated string");
        return g_string_free(s, TRUE), NULL;
    }
    ps->p++;
    return g_string_free(s, FALSE);
}

static JsonValue *parse_container(Parser *ps, int depth, gboolean object)
{
    JsonValue *v = g_new0(JsonValue, 1);
    v->kind = object ? JSON_OBJECT : JSON_ARRAY;
    v->items = g_ptr_array_new_with_free_func((GDestroyNotify)mini_json_free);
    if (object)
        v->keys = g_ptr_array_new_with_free_func(g_free);
    ps->p++;
    skip_space(ps);
    char close = object ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        skip_space(ps);
        if (object) {
            char *key = parse_string(ps);
            if (!key)
                goto error;
            g_ptr_array_add(v->keys, key);
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                fail(ps, "expected ':'");
                goto error;
            }
            ps->p++;
        }
        JsonValue *item = parse_value(ps, depth + 1);
        if (!item)
            goto error;
        g_ptr_array_add(v->items, item);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return v;
        }
        fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto error;
    }
error:
    mini_json_free(v);
    return NULL;
}

static JsonValue *parse_value(Parser *ps, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(ps, "nested too deeply");
        return NULL;
    }
    skip_space(ps);
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end");
        return NULL;
    }
    char ch = *ps->p;
    if (ch == '{' || ch == '[')
        return parse_container(ps, depth, ch == '{');
    if (ch == '"') {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        JsonValue *v = g_new0(JsonValue, 1);
        v->kind = JSON_STRING;
        v->text = s;
        return v;
    }
    static const struct { const char *word; JsonKind kind; } literals[] = {
        {"true", JSON_BOOL}, {"false", JSON_BOOL}, {"null", JSON_NULL}};
    for (size_t i = 0; i < G_N_ELEMENTS(literals); i++) {
        size_t len = strlen(literals[i].word);
        if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, literals[i].word, len) == 0) {
            ps->p += len;
            JsonValue *v = g_new0(JsonValue, 1);
            v->kind = literals[i].kind;
            v->integer = literals[i].word[0] == 't';
            return v;
        }
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        const char *start = ps->p;
        gboolean integer = TRUE;
        if (*ps->p == '-')
            ps->p++;
        while (ps->p < ps->end && strchr("0123456789.eE+-", *ps->p)) {
            if (strchr(".eE", *ps->p))
                integer = FALSE;
            ps->p++;
        }
        JsonValue *v = g_new0(JsonValue, 1);
        v->kind = JSON_NUMBER;
        v->text = g_strndup(start, ps->p - start);
        v->is_integer = integer && strlen(v->text) <= 18;
        if (v->is_integer)
            v->integer = g_ascii_strtoll(v->text, NULL, 10);
        return v;
    }
    fail(ps, "unexpected character");
    return NULL;
}

JsonValue *mini_json_parse(const char *text, gsize length, GError **error)
{
    Parser ps = {text, text + length, error};
    JsonValue *v = parse_value(&ps, 0);
    if (!v)
        return NULL;
    skip_space(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "trailing characters");
        mini_json_free(v);
        return NULL;
    }
    return v;
}

const JsonValue *mini_json_get(const JsonValue *object, const char *key)
{
    if (!object || object->kind != JSON_OBJECT)
        return NULL;
    for (guint i = 0; i < object->keys->len; i++)
        if (strcmp(g_ptr_array_index(object->keys, i), key) == 0)
            return g_ptr_array_index(object->items, i);
    return NULL;
}
