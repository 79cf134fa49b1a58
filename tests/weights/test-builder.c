/* test-builder.c — small srgan weights files for tests (see test-builder.h). */
#include "test-builder.h"

#include <string.h>

static void
tensor_free(TestTensor *t)
{
    g_free(t->name);
    g_free(t->dtype);
    g_free(t->values);
    g_free(t);
}

void
test_model_free(TestModel *model)
{
    if (!model)
        return;
    g_ptr_array_unref(model->tensors);
    g_ptr_array_unref(model->meta_keys);
    g_ptr_array_unref(model->meta_values);
    g_free(model->metadata_raw);
    g_free(model);
}

/* A small deterministic generator (xorshift32), so files are the same on
 * every run and every machine. */
static float
next_random(guint32 *state, float lo, float hi)
{
    guint32 x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return lo + (hi - lo) * (float)((x >> 8) / 16777216.0);
}

TestTensor *
test_model_add(TestModel *model, const char *name, int n_dims, const gint64 *shape)
{
    TestTensor *t = g_new0(TestTensor, 1);
    t->name = g_strdup(name);
    t->dtype = g_strdup("F32");
    t->n_dims = n_dims;
    t->n_values = 1;
    for (int d = 0; d < n_dims; d++) {
        t->shape[d] = shape[d];
        t->n_values *= (gsize)shape[d];
    }
    t->values = g_new(float, MAX(t->n_values, 1));
    /* Variances must be positive; everything else may have either sign. */
    gboolean variance = g_str_has_suffix(name, "running_var");
    for (gsize i = 0; i < t->n_values; i++)
        t->values[i] = variance ? next_random(&model->rng, 0.2f, 2.0f)
                                : next_random(&model->rng, -0.5f, 0.5f);
    g_ptr_array_add(model->tensors, t);
    return t;
}

static void
add_conv(TestModel *m, const char *prefix, gint64 cout, gint64 cin, gint64 k)
{
    g_autofree char *w = g_strdup_printf("%s.weight", prefix);
    g_autofree char *b = g_strdup_printf("%s.bias", prefix);
    gint64 ws[4] = { cout, cin, k, k };
    test_model_add(m, w, 4, ws);
    test_model_add(m, b, 1, &cout);
}

static void
add_vector(TestModel *m, gint64 n, const char *name)
{
    test_model_add(m, name, 1, &n);
}

static void
add_bn(TestModel *m, const char *prefix, gint64 c)
{
    static const char *const fields[] = { "weight", "bias", "running_mean", "running_var" };
    for (int i = 0; i < 4; i++) {
        g_autofree char *name = g_strdup_printf("%s.%s", prefix, fields[i]);
        add_vector(m, c, name);
    }
}

void
test_model_set_meta(TestModel *model, const char *key, const char *raw_json)
{
    for (guint i = 0; i < model->meta_keys->len; i++) {
        if (strcmp(g_ptr_array_index(model->meta_keys, i), key) == 0) {
            g_ptr_array_remove_index(model->meta_keys, i);
            g_ptr_array_remove_index(model->meta_values, i);
            break;
        }
    }
    if (raw_json) {
        g_ptr_array_add(model->meta_keys, g_strdup(key));
        g_ptr_array_add(model->meta_values, g_strdup(raw_json));
    }
}

const char *
test_model_get_meta(TestModel *model, const char *key)
{
    for (guint i = 0; i < model->meta_keys->len; i++)
        if (strcmp(g_ptr_array_index(model->meta_keys, i), key) == 0)
            return g_ptr_array_index(model->meta_values, i);
    return NULL;
}

static void
set_meta_string(TestModel *m, const char *key, const char *value)
{
    g_autofree char *json = g_strdup_printf("\"%s\"", value);
    test_model_set_meta(m, key, json);
}

TestModel *
test_model_new(const TestArch *a)
{
    TestModel *m = g_new0(TestModel, 1);
    m->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)tensor_free);
    m->meta_keys = g_ptr_array_new_with_free_func(g_free);
    m->meta_values = g_ptr_array_new_with_free_func(g_free);
    m->rng = a->seed ? a->seed : 12345u;

    char buf[32];
    set_meta_string(m, "format", "srgan-generator");
    set_meta_string(m, "format_version", "1");
    set_meta_string(m, "family", "srresnet");
    g_snprintf(buf, sizeof buf, "%d", a->scale);
    set_meta_string(m, "scale", buf);
    g_snprintf(buf, sizeof buf, "%d", a->blocks);
    set_meta_string(m, "blocks", buf);
    g_snprintf(buf, sizeof buf, "%d", a->channels);
    set_meta_string(m, "channels", buf);
    set_meta_string(m, "prelu", a->per_channel ? "per-channel" : "shared");
    set_meta_string(m, "batchnorm", a->batchnorm ? "true" : "false");
    set_meta_string(m, "tail", a->tail_bn ? "conv-bn" : "conv-prelu");
    set_meta_string(m, "output", a->output_tanh ? "tanh" : "identity");
    set_meta_string(m, "input_range", a->input_minus_one ? "-1,1" : "0,1");
    set_meta_string(m, "source", "tests/weights/test-builder.c (random)");

    const gint64 c = a->channels, p = a->per_channel ? a->channels : 1;
    int stages = a->scale == 2 ? 1 : a->scale == 4 ? 2 : 3;
    add_conv(m, "head.conv", c, 3, 9);
    add_vector(m, p, "head.prelu.weight");
    for (int i = 0; i < a->blocks; i++) {
        char prefix[64];
        g_snprintf(prefix, sizeof prefix, "blocks.%d.conv1", i);
        add_conv(m, prefix, c, c, 3);
        if (a->batchnorm) {
            g_snprintf(prefix, sizeof prefix, "blocks.%d.bn1", i);
            add_bn(m, prefix, c);
        }
        g_snprintf(prefix, sizeof prefix, "blocks.%d.prelu.weight", i);
        add_vector(m, p, prefix);
        g_snprintf(prefix, sizeof prefix, "blocks.%d.conv2", i);
        add_conv(m, prefix, c, c, 3);
        if (a->batchnorm) {
            g_snprintf(prefix, sizeof prefix, "blocks.%d.bn2", i);
            add_bn(m, prefix, c);
        }
    }
    add_conv(m, "body.conv", c, c, 3);
    if (a->tail_bn)
        add_bn(m, "body.bn", c);
    else
        add_vector(m, p, "body.prelu.weight");
    for (int k = 0; k < stages; k++) {
        char prefix[64];
        g_snprintf(prefix, sizeof prefix, "up.%d.conv", k);
        add_conv(m, prefix, 4 * c, c, 3);
        g_snprintf(prefix, sizeof prefix, "up.%d.prelu.weight", k);
        add_vector(m, p, prefix);
    }
    add_conv(m, "tail.conv", 3, c, 9);
    return m;
}

/* The metadata and tensors every family shares. */
static TestModel *
new_model(const char *family, int scale, int blocks, int channels, guint32 seed)
{
    TestModel *m = g_new0(TestModel, 1);
    m->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)tensor_free);
    m->meta_keys = g_ptr_array_new_with_free_func(g_free);
    m->meta_values = g_ptr_array_new_with_free_func(g_free);
    m->rng = seed ? seed : 12345u;
    char buf[32];
    set_meta_string(m, "format", "srgan-generator");
    set_meta_string(m, "format_version", "1");
    set_meta_string(m, "family", family);
    g_snprintf(buf, sizeof buf, "%d", scale);
    set_meta_string(m, "scale", buf);
    g_snprintf(buf, sizeof buf, "%d", blocks);
    set_meta_string(m, "blocks", buf);
    g_snprintf(buf, sizeof buf, "%d", channels);
    set_meta_string(m, "channels", buf);
    set_meta_string(m, "input_range", "0,1");
    set_meta_string(m, "output", "identity");
    set_meta_string(m, "source", "tests/weights/test-builder.c (random)");
    return m;
}

TestModel *
test_model_new_rrdbnet(int blocks, int channels, int growth, guint32 seed)
{
    TestModel *m = new_model("rrdbnet", 4, blocks, channels, seed);
    char buf[32];
    g_snprintf(buf, sizeof buf, "%d", growth);
    set_meta_string(m, "growth", buf);
    const gint64 c = channels, g = growth;
    add_conv(m, "conv_first", c, 3, 3);
    for (int i = 0; i < blocks; i++)
        for (int j = 1; j <= 3; j++)
            for (int k = 1; k <= 5; k++) {
                g_snprintf(buf, sizeof buf, "body.%d.rdb%d.conv%d", i, j, k);
                add_conv(m, buf, k < 5 ? g : c, c + (k - 1) * g, 3);
            }
    add_conv(m, "conv_body", c, c, 3);
    add_conv(m, "conv_up1", c, c, 3);
    add_conv(m, "conv_up2", c, c, 3);
    add_conv(m, "conv_hr", c, c, 3);
    add_conv(m, "conv_last", 3, c, 3);
    return m;
}

TestModel *
test_model_new_srvgg(int scale, int blocks, int channels, guint32 seed)
{
    TestModel *m = new_model("srvgg", scale, blocks, channels, seed);
    set_meta_string(m, "activation", "prelu");
    const gint64 c = channels;
    char buf[32];
    add_conv(m, "body.0", c, 3, 3);
    add_vector(m, c, "body.1.weight");
    for (int n = 1; n <= blocks; n++) {
        g_snprintf(buf, sizeof buf, "body.%d", 2 * n);
        add_conv(m, buf, c, c, 3);
        g_snprintf(buf, sizeof buf, "body.%d.weight", 2 * n + 1);
        add_vector(m, c, buf);
    }
    g_snprintf(buf, sizeof buf, "body.%d", 2 * blocks + 2);
    add_conv(m, buf, 3 * scale * scale, c, 3);
    return m;
}

void
test_model_set_dtype(TestModel *model, const char *suffix, const char *dtype)
{
    for (guint i = 0; i < model->tensors->len; i++) {
        TestTensor *t = g_ptr_array_index(model->tensors, i);
        if (g_str_has_suffix(t->name, suffix)) {
            g_free(t->dtype);
            t->dtype = g_strdup(dtype);
        }
    }
}

/* float → IEEE binary16, rounding to nearest even; NaN and infinities kept,
 * overflow to infinity (what a converter writing F16 would produce). */
static guint16
float_to_half(float f)
{
    guint32 x;
    memcpy(&x, &f, 4);
    const guint16 sign = (guint16)((x >> 16) & 0x8000);
    const guint32 exponent = (x >> 23) & 0xff, mantissa = x & 0x7fffff;
    if (exponent == 0xff)
        return sign | 0x7c00 | (mantissa ? 0x200 : 0);
    const int e = (int)exponent - 127 + 15;
    if (e >= 31)
        return sign | 0x7c00;
    if (e <= 0) {                   /* subnormal half, or zero */
        if (e < -10)
            return sign;
        const guint32 m = mantissa | 0x800000;
        const int shift = 14 - e;
        guint32 half = m >> shift, rest = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return sign | (guint16)half;
    }
    guint32 half = ((guint32)e << 10) | (mantissa >> 13), rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
        half++;                     /* may carry into the exponent: still right */
    return sign | (guint16)half;
}

TestTensor *
test_model_find(TestModel *model, const char *name)
{
    for (guint i = 0; i < model->tensors->len; i++) {
        TestTensor *t = g_ptr_array_index(model->tensors, i);
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

void
test_model_remove(TestModel *model, const char *name)
{
    TestTensor *t = test_model_find(model, name);
    g_assert_nonnull(t);
    g_ptr_array_remove(model->tensors, t);
}

static GBytes *
assemble(const char *header, gsize header_len, const void *data, gsize data_len)
{
    GByteArray *out = g_byte_array_sized_new(8 + header_len + data_len);
    guint8 len_le[8];
    guint64 n = header_len;
    for (int i = 0; i < 8; i++)
        len_le[i] = (guint8)(n >> (8 * i));
    g_byte_array_append(out, len_le, 8);
    g_byte_array_append(out, (const guint8 *)header, (guint)header_len);
    if (data_len)
        g_byte_array_append(out, data, (guint)data_len);
    return g_byte_array_free_to_bytes(out);
}

GBytes *
test_file_with_header(const char *header, const void *data, gsize data_len)
{
    return assemble(header, strlen(header), data, data_len);
}

GBytes *
test_model_serialize(TestModel *model)
{
    g_autoptr(GString) h = g_string_new("{");
    g_autoptr(GByteArray) data = g_byte_array_new();
    gboolean first = TRUE;

    if (model->metadata_raw) {
        g_string_append_printf(h, "\"__metadata__\":%s", model->metadata_raw);
        first = FALSE;
    } else if (!model->no_metadata) {
        g_string_append(h, "\"__metadata__\":{");
        for (guint i = 0; i < model->meta_keys->len; i++)
            g_string_append_printf(h, "%s\"%s\":%s", i ? "," : "",
                                   (const char *)g_ptr_array_index(model->meta_keys, i),
                                   (const char *)g_ptr_array_index(model->meta_values, i));
        g_string_append_c(h, '}');
        first = FALSE;
    }
    for (guint i = 0; i < model->tensors->len; i++) {
        TestTensor *t = g_ptr_array_index(model->tensors, i);
        const gboolean half = strcmp(t->dtype, "F16") == 0;
        gint64 begin = data->len, end = data->len + (half ? 2 : 4) * (gint64)t->n_values;
        for (gsize k = 0; k < t->n_values; k++) {
            if (half) {
                guint16 bits = GUINT16_TO_LE(float_to_half(t->values[k]));
                g_byte_array_append(data, (const guint8 *)&bits, 2);
                continue;
            }
            guint32 bits;
            memcpy(&bits, &t->values[k], 4);
            bits = GUINT32_TO_LE(bits);
            g_byte_array_append(data, (const guint8 *)&bits, 4);
        }
        if (t->custom_offsets) {
            begin = t->begin;
            end = t->end;
        }
        g_string_append_printf(h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", first ? "" : ",",
                               t->name, t->dtype);
        for (int d = 0; d < t->n_dims; d++)
            g_string_append_printf(h, "%s%" G_GINT64_FORMAT, d ? "," : "", t->shape[d]);
        g_string_append_printf(h, "],\"data_offsets\":[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]}",
                               begin, end);
        first = FALSE;
    }
    g_string_append_c(h, '}');
    return assemble(h->str, h->len, data->data, data->len);
}
