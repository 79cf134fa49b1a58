/* test-malformed.c — every way a weights file can be wrong gives the right
 * SRGAN_ERROR code and a message that names the problem; none crashes.
 *
 * Each case starts from a valid tiny model (test-builder.c) and breaks one
 * thing.  It is loaded twice: from memory (srgan_model_load_from_data) and
 * from a file (srgan_model_load, the mmap path).  The untouched model must
 * load, so each failure is caused by its one change.
 *
 *   test-malformed                  run the cases
 *   test-malformed --write-corpus D write every case's file into D (the
 *                                   fuzzer's seed corpus)
 */
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "srgan.h"
#include "test-builder.h"

static const TestArch base_arch = {
    .scale = 2, .blocks = 1, .channels = 8, .per_channel = FALSE,
    .batchnorm = TRUE, .tail_bn = FALSE, .output_tanh = TRUE, .seed = 7,
};

/* ---- Helpers that break a model in one way ------------------------------- */

static GBytes *
serialize_base(void (*mutate)(TestModel *m))
{
    g_autoptr(TestModel) m = test_model_new(&base_arch);
    if (mutate)
        mutate(m);
    return test_model_serialize(m);
}

/* Raw-byte cases. */
static GBytes *file_empty(void) { return g_bytes_new("", 0); }
static GBytes *file_five_bytes(void) { return g_bytes_new("\x10\0\0\0\0", 5); }

static GBytes *
file_huge_header_length(void)
{
    static const guint8 bytes[16] = { 0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}' };
    return g_bytes_new(bytes, sizeof bytes);
}

static GBytes *
file_header_past_end(void)
{
    static const guint8 bytes[12] = { 100, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ' };
    return g_bytes_new(bytes, sizeof bytes);
}

static GBytes *
file_truncated(void)
{
    g_autoptr(GBytes) whole = serialize_base(NULL);
    return g_bytes_new_from_bytes(whole, 0, g_bytes_get_size(whole) - 100);
}

static GBytes *
file_trailing_bytes(void)
{
    g_autoptr(GBytes) whole = serialize_base(NULL);
    gsize n;
    const guint8 *d = g_bytes_get_data(whole, &n);
    guint8 *copy = g_malloc0(n + 4);
    memcpy(copy, d, n);
    return g_bytes_new_take(copy, n + 4);
}

#define HEADER_CASE(fn, text) \
    static GBytes *fn(void) { return test_file_with_header(text, NULL, 0); }
HEADER_CASE(json_missing_value, "{\"a\":}")
HEADER_CASE(json_trailing_comma, "{\"a\":{},}")
HEADER_CASE(json_unterminated, "{\"abc")
HEADER_CASE(json_bad_escape, "{\"a\\q\":{}}")
HEADER_CASE(json_control_char, "{\"a\tb\":{}}")
HEADER_CASE(json_bad_utf8, "{\"\xc3\x28\":{}}")
HEADER_CASE(json_lone_surrogate, "{\"\\udc00\":{}}")
HEADER_CASE(json_nul_escape, "{\"a\\u0000b\":{}}")
HEADER_CASE(json_garbage_after, "{} x")
HEADER_CASE(json_not_object, "[1,2]")
HEADER_CASE(json_bad_literal, "{\"__metadata__\":nul}")
HEADER_CASE(json_bad_number, "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}")

static GBytes *
json_too_many_values(void)
{
    g_autoptr(GString) s = g_string_new("{\"a\":[");
    for (int i = 0; i < (1 << 20) + 1; i++)
        g_string_append(s, i ? ",0" : "0");
    g_string_append(s, "]}");
    return test_file_with_header(s->str, NULL, 0);
}

static GBytes *
json_too_deep(void)
{
    g_autoptr(GString) s = g_string_new("{\"a\":");
    for (int i = 0; i < 200; i++)
        g_string_append_c(s, '[');
    for (int i = 0; i < 200; i++)
        g_string_append_c(s, ']');
    g_string_append_c(s, '}');
    return test_file_with_header(s->str, NULL, 0);
}

HEADER_CASE(entry_not_object, "{\"x\":5}")
HEADER_CASE(entry_unknown_field, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}")
HEADER_CASE(entry_no_dtype, "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}")
HEADER_CASE(entry_negative_dim, "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}")
HEADER_CASE(entry_fraction_dim, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}")
HEADER_CASE(entry_too_many_dims, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}")
HEADER_CASE(entry_overflow, "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}")
HEADER_CASE(entry_offsets_three, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}")
HEADER_CASE(entry_offsets_huge, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}")

/* Model mutations. */
static void mut_dtype(TestModel *m) { g_free(test_model_find(m, "head.conv.bias")->dtype);
                                      test_model_find(m, "head.conv.bias")->dtype = g_strdup("BF16"); }
static void mut_shape_same_size(TestModel *m)
{
    TestTensor *t = test_model_find(m, "head.conv.weight");
    t->shape[2] = 3;
    t->shape[3] = 27;
}
static void mut_shape_span(TestModel *m) { test_model_find(m, "head.conv.weight")->shape[3] = 8; }
static void mut_overlap(TestModel *m)
{
    TestTensor *t = test_model_find(m, "head.conv.bias");
    t->custom_offsets = TRUE;
    t->begin = 0;
    t->end = 32;
}
static void mut_out_of_range(TestModel *m)
{
    TestTensor *t = test_model_find(m, "tail.conv.bias");  /* the last tensor */
    t->custom_offsets = TRUE;
    t->begin = G_GINT64_CONSTANT(1) << 40;
    t->end = t->begin + 12;
}
static void mut_reversed(TestModel *m)
{
    TestTensor *t = test_model_find(m, "tail.conv.bias");
    t->custom_offsets = TRUE;
    t->begin = 100;
    t->end = 88;
}
static void mut_gap(TestModel *m)
{
    /* tail.conv.bias is last: move it 4 bytes later, removing its own last
     * element so the file length still matches. */
    TestTensor *t = test_model_find(m, "tail.conv.bias");
    t->shape[0] = 2;
    t->n_values = 3;  /* data written: 3 floats = the 4-byte gap + 2 floats */
    t->custom_offsets = TRUE;
    gint64 total = 0;
    for (guint i = 0; i + 1 < m->tensors->len; i++)
        total += 4 * (gint64)((TestTensor *)g_ptr_array_index(m->tensors, i))->n_values;
    t->begin = total + 4;
    t->end = total + 12;
}
static void mut_missing(TestModel *m) { test_model_remove(m, "blocks.0.bn1.running_var"); }
static void mut_unknown(TestModel *m) { gint64 one = 1; test_model_add(m, "extra.weight", 1, &one); }
static void mut_duplicate(TestModel *m) { gint64 c = 8; test_model_add(m, "head.conv.bias", 1, &c); }
static void mut_no_metadata(TestModel *m) { m->no_metadata = TRUE; }
static void mut_metadata_array(TestModel *m) { m->metadata_raw = g_strdup("[\"srgan-generator\"]"); }
static void mut_metadata_number(TestModel *m) { test_model_set_meta(m, "blocks", "1"); }
static void mut_metadata_null(TestModel *m) { test_model_set_meta(m, "source", "null"); }
static void mut_nan(TestModel *m) { test_model_find(m, "blocks.0.conv2.weight")->values[5] = NAN; }
static void mut_inf(TestModel *m) { test_model_find(m, "up.0.prelu.weight")->values[0] = INFINITY; }
static void mut_negative_var(TestModel *m) { test_model_find(m, "blocks.0.bn2.running_var")->values[3] = -1.0f; }
static void mut_per_channel_shape(TestModel *m) { test_model_set_meta(m, "prelu", "\"per-channel\""); }
static void mut_channels_mismatch(TestModel *m) { test_model_set_meta(m, "channels", "\"16\""); }
static void mut_blocks_mismatch(TestModel *m) { test_model_set_meta(m, "blocks", "\"2\""); }
static void mut_scale_mismatch(TestModel *m) { test_model_set_meta(m, "scale", "\"4\""); }
static void mut_tail_mismatch(TestModel *m) { test_model_set_meta(m, "tail", "\"conv-bn\""); }
static void mut_batchnorm_mismatch(TestModel *m) { test_model_set_meta(m, "batchnorm", "\"false\""); }

typedef struct {
    const char *label;
    GBytes *(*raw)(void);               /* the whole file, or */
    void (*mutate)(TestModel *m);       /* a change to the base model, or */
    const char *meta_key;               /* a __metadata__ change (value NULL: remove) */
    const char *meta_value;
    int code;                           /* expected SrganErrorCode, -1: loads */
    const char *needle;                 /* expected in the message */
    TestModel *(*base)(void);           /* the model mutated; NULL: base_arch's srresnet */
} Case;

/* The other families' bases: one RRDB, two body convs. */
static TestModel *rrdb(void) { return test_model_new_rrdbnet(1, 8, 8, 77); }
static TestModel *rrdb_f16(void)
{
    TestModel *m = rrdb();
    test_model_set_dtype(m, ".weight", "F16");
    return m;
}
static TestModel *srvgg(void) { return test_model_new_srvgg(4, 2, 8, 78); }
static void mut_rrdb_missing(TestModel *m) { test_model_remove(m, "body.0.rdb2.conv3.bias"); }
static void mut_rrdb_unknown(TestModel *m)
{
    gint64 shape[4] = { 8, 8, 3, 3 };
    test_model_add(m, "body.1.rdb1.conv1.weight", 4, shape);
}
static void mut_rrdb_shape(TestModel *m)
{
    TestTensor *t = test_model_find(m, "body.0.rdb3.conv5.weight");
    t->shape[0] = 40;
    t->shape[1] = 8;
}
static void mut_rrdb_nan(TestModel *m) { test_model_find(m, "conv_up2.weight")->values[7] = NAN; }
static void mut_rrdb_inf(TestModel *m) { test_model_find(m, "body.0.rdb1.conv4.weight")->values[0] = 1e6f; }
static void mut_rrdb_f16_span(TestModel *m) { test_model_find(m, "conv_last.weight")->shape[0] = 4; }
static void mut_srvgg_missing(TestModel *m) { test_model_remove(m, "body.3.weight"); }
static void mut_srvgg_scale(TestModel *m) { test_model_set_meta(m, "scale", "\"2\""); }

#define E(c) SRGAN_ERROR_MODEL_##c
static const Case cases[] = {
    { "valid", NULL, NULL, NULL, NULL, -1, NULL, NULL },
    { "empty-file", file_empty, NULL, NULL, NULL, E(TRUNCATED), "is 0 bytes", NULL },
    { "five-bytes", file_five_bytes, NULL, NULL, NULL, E(TRUNCATED), "too short for the 8-byte header length", NULL },
    { "header-length-huge", file_huge_header_length, NULL, NULL, NULL, E(HEADER), "exceeds the limit", NULL },
    { "header-past-end", file_header_past_end, NULL, NULL, NULL, E(TRUNCATED), "header length says 100 bytes but only 4 follow", NULL },
    { "truncated-data", file_truncated, NULL, NULL, NULL, E(TRUNCATED), "run past the", NULL },
    { "trailing-bytes", file_trailing_bytes, NULL, NULL, NULL, E(TENSOR), "4 bytes after the last tensor", NULL },
    { "json-missing-value", json_missing_value, NULL, NULL, NULL, E(HEADER), "at byte 5 of the header: expected a value, got '}'", NULL },
    { "json-trailing-comma", json_trailing_comma, NULL, NULL, NULL, E(HEADER), "expected a string key", NULL },
    { "json-unterminated", json_unterminated, NULL, NULL, NULL, E(HEADER), "string is not terminated", NULL },
    { "json-bad-escape", json_bad_escape, NULL, NULL, NULL, E(HEADER), "invalid escape", NULL },
    { "json-control-char", json_control_char, NULL, NULL, NULL, E(HEADER), "control character 0x09", NULL },
    { "json-bad-utf8", json_bad_utf8, NULL, NULL, NULL, E(HEADER), "not valid UTF-8", NULL },
    { "json-lone-surrogate", json_lone_surrogate, NULL, NULL, NULL, E(HEADER), "lone low surrogate", NULL },
    { "json-nul-escape", json_nul_escape, NULL, NULL, NULL, E(HEADER), "\\u0000 is not allowed", NULL },
    { "json-garbage-after", json_garbage_after, NULL, NULL, NULL, E(HEADER), "after the JSON value", NULL },
    { "json-not-object", json_not_object, NULL, NULL, NULL, E(HEADER), "must be an object, got an array", NULL },
    { "json-bad-literal", json_bad_literal, NULL, NULL, NULL, E(HEADER), "expected 'null'", NULL },
    { "json-leading-zero", json_bad_number, NULL, NULL, NULL, E(HEADER), "expected ',' or ']'", NULL },
    { "json-too-deep", json_too_deep, NULL, NULL, NULL, E(HEADER), "nested deeper than 64 levels", NULL },
    { "json-too-many-values", json_too_many_values, NULL, NULL, NULL, E(HEADER), "more than 1048576 values", NULL },
    { "entry-not-object", entry_not_object, NULL, NULL, NULL, E(TENSOR), "tensor \"x\" must be an object", NULL },
    { "entry-unknown-field", entry_unknown_field, NULL, NULL, NULL, E(TENSOR), "unknown field \"extra\"", NULL },
    { "entry-no-dtype", entry_no_dtype, NULL, NULL, NULL, E(TENSOR), "tensor \"x\" lacks \"dtype\"", NULL },
    { "entry-negative-dim", entry_negative_dim, NULL, NULL, NULL, E(TENSOR), "shape entry 0 must be a non-negative integer", NULL },
    { "entry-fraction-dim", entry_fraction_dim, NULL, NULL, NULL, E(TENSOR), "shape entry 0 must be a non-negative integer", NULL },
    { "entry-too-many-dims", entry_too_many_dims, NULL, NULL, NULL, E(TENSOR), "has 9 dimensions", NULL },
    { "entry-shape-overflow", entry_overflow, NULL, NULL, NULL, E(TENSOR), "overflows", NULL },
    { "entry-offsets-three", entry_offsets_three, NULL, NULL, NULL, E(TENSOR), "data_offsets must be an array of 2 integers", NULL },
    { "entry-offsets-huge", entry_offsets_huge, NULL, NULL, NULL, E(TENSOR), "data_offsets[1] must be a non-negative integer", NULL },
    { "wrong-dtype", NULL, mut_dtype, NULL, NULL, E(TENSOR), "tensor \"head.conv.bias\" has dtype BF16, expected F32 or F16", NULL },
    { "wrong-shape", NULL, mut_shape_same_size, NULL, NULL, E(TENSOR), "tensor \"head.conv.weight\" has shape (8, 3, 3, 27), expected (8, 3, 9, 9)", NULL },
    { "shape-vs-offsets", NULL, mut_shape_span, NULL, NULL, E(TENSOR), "has shape (8, 3, 9, 8) (6912 bytes of F32) but data_offsets span 7776 bytes", NULL },
    { "offsets-overlap", NULL, mut_overlap, NULL, NULL, E(TENSOR), "overlap those of", NULL },
    { "offsets-out-of-range", NULL, mut_out_of_range, NULL, NULL, E(TRUNCATED), "tensor \"tail.conv.bias\" data_offsets [1099511627776, 1099511627788] run past", NULL },
    { "offsets-reversed", NULL, mut_reversed, NULL, NULL, E(TENSOR), "end before they begin", NULL },
    { "offsets-gap", NULL, mut_gap, NULL, NULL, E(TENSOR), "leaving a gap", NULL },
    { "missing-tensor", NULL, mut_missing, NULL, NULL, E(TENSOR), "missing tensor \"blocks.0.bn1.running_var\"", NULL },
    { "unknown-tensor", NULL, mut_unknown, NULL, NULL, E(TENSOR), "unknown tensor \"extra.weight\"", NULL },
    { "duplicate-name", NULL, mut_duplicate, NULL, NULL, E(HEADER), "duplicate key \"head.conv.bias\"", NULL },
    { "nan-weight", NULL, mut_nan, NULL, NULL, E(TENSOR), "tensor \"blocks.0.conv2.weight\" element 5 is NaN", NULL },
    { "inf-slope", NULL, mut_inf, NULL, NULL, E(TENSOR), "tensor \"up.0.prelu.weight\" element 0 is infinite", NULL },
    { "negative-variance", NULL, mut_negative_var, NULL, NULL, E(TENSOR), "\"blocks.0.bn2.running_var\" element 3 is -1", NULL },
    { "prelu-count-vs-metadata", NULL, mut_per_channel_shape, NULL, NULL, E(TENSOR), "tensor \"head.prelu.weight\" has shape (1), expected (8)", NULL },
    { "channels-vs-tensors", NULL, mut_channels_mismatch, NULL, NULL, E(TENSOR), "tensor \"head.conv.weight\" has shape (8, 3, 9, 9), expected (16, 3, 9, 9)", NULL },
    { "blocks-vs-tensors", NULL, mut_blocks_mismatch, NULL, NULL, E(TENSOR), "missing tensor \"blocks.1.conv1.weight\"", NULL },
    { "scale-vs-tensors", NULL, mut_scale_mismatch, NULL, NULL, E(TENSOR), "missing tensor \"up.1.conv.weight\"", NULL },
    { "tail-vs-tensors", NULL, mut_tail_mismatch, NULL, NULL, E(TENSOR), "missing tensor \"body.bn.weight\"", NULL },
    { "batchnorm-vs-tensors", NULL, mut_batchnorm_mismatch, NULL, NULL, E(TENSOR), "unknown tensor \"blocks.0.bn1.bias\"", NULL },
    { "no-metadata", NULL, mut_no_metadata, NULL, NULL, E(METADATA), "has no __metadata__", NULL },
    { "metadata-not-object", NULL, mut_metadata_array, NULL, NULL, E(METADATA), "__metadata__ must be an object of strings, got an array", NULL },
    { "metadata-number", NULL, mut_metadata_number, NULL, NULL, E(METADATA), "value for \"blocks\" must be a string, got a number", NULL },
    { "metadata-null", NULL, mut_metadata_null, NULL, NULL, E(METADATA), "value for \"source\" must be a string, got null", NULL },
    { "format-missing", NULL, NULL, "format", NULL, E(METADATA), "lacks the key \"format\"", NULL },
    { "format-unknown", NULL, NULL, "format", "\"other-net\"", E(METADATA), "\"format\" is \"other-net\", expected \"srgan-generator\"", NULL },
    { "format-version", NULL, NULL, "format_version", "\"2\"", E(METADATA), "\"format_version\" is \"2\"", NULL },
    { "family", NULL, NULL, "family", "\"esrgan\"", E(METADATA), "\"family\" is \"esrgan\", expected \"srresnet\"", NULL },
    { "scale-3", NULL, NULL, "scale", "\"3\"", E(METADATA), "\"scale\" is \"3\", expected \"2\" or \"4\" or \"8\"", NULL },
    { "scale-missing", NULL, NULL, "scale", NULL, E(METADATA), "lacks the key \"scale\"", NULL },
    { "blocks-0", NULL, NULL, "blocks", "\"0\"", E(METADATA), "\"blocks\" is \"0\", expected an integer from 1 to 32", NULL },
    { "blocks-33", NULL, NULL, "blocks", "\"33\"", E(METADATA), "\"blocks\" is \"33\"", NULL },
    { "blocks-sign", NULL, NULL, "blocks", "\"+1\"", E(METADATA), "\"blocks\" is \"+1\"", NULL },
    { "blocks-empty", NULL, NULL, "blocks", "\"\"", E(METADATA), "\"blocks\" is \"\"", NULL },
    { "channels-4", NULL, NULL, "channels", "\"4\"", E(METADATA), "\"channels\" is \"4\", expected an integer from 8 to 256", NULL },
    { "channels-huge", NULL, NULL, "channels", "\"99999999999\"", E(METADATA), "\"channels\" is \"99999999999\"", NULL },
    { "prelu", NULL, NULL, "prelu", "\"none\"", E(METADATA), "\"prelu\" is \"none\", expected \"shared\" or \"per-channel\"", NULL },
    { "batchnorm", NULL, NULL, "batchnorm", "\"yes\"", E(METADATA), "\"batchnorm\" is \"yes\"", NULL },
    { "tail", NULL, NULL, "tail", "\"conv\"", E(METADATA), "\"tail\" is \"conv\", expected \"conv-bn\" or \"conv-prelu\"", NULL },
    { "tail-missing", NULL, NULL, "tail", NULL, E(METADATA), "lacks the key \"tail\"", NULL },
    { "output", NULL, NULL, "output", "\"sigmoid\"", E(METADATA), "\"output\" is \"sigmoid\"", NULL },
    { "input-range", NULL, NULL, "input_range", "\"0,255\"", E(METADATA), "\"input_range\" is \"0,255\"", NULL },
    { "bn-eps-negative", NULL, NULL, "bn_eps", "\"-1\"", E(METADATA), "\"bn_eps\" is \"-1\"", NULL },
    { "bn-eps-text", NULL, NULL, "bn_eps", "\"small\"", E(METADATA), "\"bn_eps\" is \"small\"", NULL },
    { "bn-eps-nan", NULL, NULL, "bn_eps", "\"nan\"", E(METADATA), "\"bn_eps\" is \"nan\"", NULL },
    { "bn-eps-ok", NULL, NULL, "bn_eps", "\"0.001\"", -1, NULL, NULL },
    { "extra-metadata-kept", NULL, NULL, "comment", "\"caf\\u00e9 \\ud83d\\ude00\"", -1, NULL, NULL },
    /* RRDBNet and SRVGGNetCompact: the same checks, their own tensors. */
    { "rrdbnet-valid", NULL, NULL, NULL, NULL, -1, NULL, rrdb },
    { "rrdbnet-f16-valid", NULL, NULL, NULL, NULL, -1, NULL, rrdb_f16 },
    { "rrdbnet-missing", NULL, mut_rrdb_missing, NULL, NULL, E(TENSOR), "missing tensor \"body.0.rdb2.conv3.bias\"", rrdb },
    { "rrdbnet-unknown", NULL, mut_rrdb_unknown, NULL, NULL, E(TENSOR), "unknown tensor \"body.1.rdb1.conv1.weight\"", rrdb },
    { "rrdbnet-wrong-shape", NULL, mut_rrdb_shape, NULL, NULL, E(TENSOR), "tensor \"body.0.rdb3.conv5.weight\" has shape (40, 8, 3, 3), expected (8, 40, 3, 3) for a 4×, 1-block, 8-channel rrdbnet", rrdb },
    { "rrdbnet-f16-nan", NULL, mut_rrdb_nan, NULL, NULL, E(TENSOR), "tensor \"conv_up2.weight\" element 7 is NaN", rrdb_f16 },
    { "rrdbnet-f16-overflow", NULL, mut_rrdb_inf, NULL, NULL, E(TENSOR), "tensor \"body.0.rdb1.conv4.weight\" element 0 is infinite", rrdb_f16 },
    { "rrdbnet-f16-span", NULL, mut_rrdb_f16_span, NULL, NULL, E(TENSOR), "has shape (4, 8, 3, 3) (576 bytes of F16) but data_offsets span 432 bytes", rrdb_f16 },
    { "rrdbnet-scale-2", NULL, NULL, "scale", "\"2\"", E(METADATA), "\"scale\" is \"2\", expected \"4\"", rrdb },
    { "rrdbnet-growth-missing", NULL, NULL, "growth", NULL, E(METADATA), "lacks the key \"growth\"", rrdb },
    { "rrdbnet-blocks-65", NULL, NULL, "blocks", "\"65\"", E(METADATA), "expected an integer from 1 to 64", rrdb },
    { "rrdbnet-output-tanh", NULL, NULL, "output", "\"tanh\"", E(METADATA), "\"output\" is \"tanh\", expected \"identity\"", rrdb },
    { "srvgg-valid", NULL, NULL, NULL, NULL, -1, NULL, srvgg },
    { "srvgg-missing", NULL, mut_srvgg_missing, NULL, NULL, E(TENSOR), "missing tensor \"body.3.weight\"", srvgg },
    { "srvgg-scale-vs-tensors", NULL, mut_srvgg_scale, NULL, NULL, E(TENSOR), "tensor \"body.6.weight\" has shape (48, 8, 3, 3), expected (12, 8, 3, 3)", srvgg },
    { "srvgg-activation", NULL, NULL, "activation", "\"relu\"", E(METADATA), "\"activation\" is \"relu\", expected \"prelu\"", srvgg },
    { "srvgg-input-range", NULL, NULL, "input_range", "\"-1,1\"", E(METADATA), "\"input_range\" is \"-1,1\", expected \"0,1\"", srvgg },
};
#undef E

static GBytes *
make_case(const Case *c)
{
    if (c->raw)
        return c->raw();
    g_autoptr(TestModel) m = c->base ? c->base() : test_model_new(&base_arch);
    if (c->mutate)
        c->mutate(m);
    if (c->meta_key)
        test_model_set_meta(m, c->meta_key, c->meta_value);
    return test_model_serialize(m);
}

static void
check_result(const Case *c, SrganModel *model, GError *error, const char *name)
{
    if (c->code < 0) {
        g_assert_no_error(error);
        g_assert_nonnull(model);
        return;
    }
    g_assert_null(model);
    g_assert_error(error, SRGAN_ERROR, c->code);
    if (!strstr(error->message, c->needle) || !strstr(error->message, name))
        g_error("case %s: message \"%s\" lacks \"%s\" or the file name \"%s\"",
                c->label, error->message, c->needle, name);
}

static void
test_case(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(GBytes) bytes = make_case(c);
    gsize size;
    const void *d = g_bytes_get_data(bytes, &size);

    /* From memory: a private copy, so ASan would flag any read past it. */
    g_autofree void *copy = g_memdup2(d, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load_from_data(copy, size, c->label, &error);
    check_result(c, model, error, c->label);
    if (model && g_str_equal(c->label, "extra-metadata-kept"))
        g_assert_cmpstr(srgan_model_get_metadata(model, "comment"), ==, "caf\xc3\xa9 \xf0\x9f\x98\x80");
    if (model && g_str_equal(c->label, "bn-eps-ok"))
        g_assert_cmpstr(srgan_model_get_metadata(model, "bn_eps"), ==, "0.001");

    /* From a file: the mmap path. */
    g_autoptr(GError) file_error = NULL;
    g_autofree char *dir = g_dir_make_tmp("srgan-malformed-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_autofree char *path = g_build_filename(dir, "model.safetensors", NULL);
    g_assert_true(g_file_set_contents(path, d, (gssize)size, NULL));
    g_autoptr(SrganModel) from_file = srgan_model_load(path, &file_error);
    check_result(c, from_file, file_error, path);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_directory(void)
{
    g_autofree char *dir = g_dir_make_tmp("srgan-dir-XXXXXX", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(dir, &error);
    g_assert_null(model);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO);
    g_assert_nonnull(strstr(error->message, "is a directory"));
    g_assert_nonnull(strstr(error->message, dir));
    g_rmdir(dir);
}

static void
test_not_regular_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load("/dev/null", &error);
    g_assert_null(model);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO);
    g_assert_nonnull(strstr(error->message, "not a regular file"));
}

static void
test_missing_file(void)
{
    const char *path = "/nonexistent/srgan/no-such-model.safetensors";
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(path, &error);
    g_assert_null(model);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, "SRGAN_MODEL"));

    /* The default path honours $SRGAN_MODEL, so the same error names it. */
    g_setenv("SRGAN_MODEL", path, TRUE);
    g_autoptr(GError) default_error = NULL;
    g_autoptr(SrganModel) by_default = srgan_model_load(NULL, &default_error);
    g_assert_null(by_default);
    g_assert_error(default_error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND);
    g_assert_nonnull(strstr(default_error->message, path));
    g_unsetenv("SRGAN_MODEL");
}

static void
test_unreadable_file(void)
{
    if (geteuid() == 0) {
        g_test_skip("root reads any file");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("srgan-perm-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "locked.safetensors", NULL);
    g_assert_true(g_file_set_contents(path, "x", 1, NULL));
    g_chmod(path, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) model = srgan_model_load(path, &error);
    g_assert_null(model);
    g_assert_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO);
    g_unlink(path);
    g_rmdir(dir);
}

static int
write_corpus(const char *dir)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_printerr("cannot create %s\n", dir);
        return 1;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GBytes) bytes = make_case(&cases[i]);
        g_autofree char *file = g_strdup_printf("%02u-%s.safetensors", (unsigned)i, cases[i].label);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        gsize size;
        const char *d = g_bytes_get_data(bytes, &size);
        if (size > 65536)
            continue;  /* the fuzzer's -max_len: bigger seeds only slow it down */
        g_autoptr(GError) error = NULL;
        if (!g_file_set_contents(path, d ? d : "", (gssize)size, &error)) {
            g_printerr("%s\n", error->message);
            return 1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);

    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = g_strdup_printf("/weights/malformed/%s", cases[i].label);
        g_test_add_data_func(name, &cases[i], test_case);
    }
    g_test_add_func("/weights/malformed/directory", test_directory);
    g_test_add_func("/weights/malformed/missing-file", test_missing_file);
    g_test_add_func("/weights/malformed/not-regular-file", test_not_regular_file);
    g_test_add_func("/weights/malformed/unreadable-file", test_unreadable_file);
    return g_test_run();
}
