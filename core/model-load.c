/* model-load.c — safetensors file → SrganModel.
 *
 * Three passes, nothing trusted before it has been checked:
 *  1. the container (safetensors.c): header, dtypes, shapes, offsets;
 *  2. __metadata__ against weights/FORMAT.md: every key's value and range,
 *     which fixes the architecture and so the exact set of tensors and
 *     their shapes; any missing, unknown or wrong-shape tensor is an error;
 *  3. filling the model: PyTorch's (out, in, kh, kw) weights become the
 *     kernels' (kh, kw, in, out), BatchNorm (eval mode, running stats) is
 *     folded into the convolution before it, PReLU slopes are attached.
 * The file is read into memory only while loading: the model owns
 * converted copies, so the file may change or vanish afterwards.
 */
#include "model.h"

#include <math.h>
#include <string.h>


#include "json.h"
#include "safetensors.h"

#define DEFAULT_BN_EPS 1e-5

typedef SrganSpec Spec;

/* ---- __metadata__ -------------------------------------------------------- */

static gboolean G_GNUC_PRINTF(3, 4)
metadata_error(GError **error, const char *name, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA, "%s: __metadata__ %s", name, reason);
    return FALSE;
}

static const char *
require_key(GHashTable *meta, const char *key, const char *expected,
            const char *name, GError **error)
{
    const char *value = g_hash_table_lookup(meta, key);
    if (!value)
        metadata_error(error, name, "lacks the key \"%s\" (expected %s)", key, expected);
    return value;
}

/* Index of value among the NULL-terminated choices, or -1 with an error. */
static int
parse_choice(GHashTable *meta, const char *key, const char *const *choices,
             const char *name, GError **error)
{
    g_autoptr(GString) list = g_string_new(NULL);
    for (int i = 0; choices[i]; i++)
        g_string_append_printf(list, "%s\"%s\"", i ? " or " : "", choices[i]);
    const char *value = require_key(meta, key, list->str, name, error);
    if (!value)
        return -1;
    for (int i = 0; choices[i]; i++)
        if (strcmp(value, choices[i]) == 0)
            return i;
    g_autofree char *got = srgan_json_shorten(value);
    metadata_error(error, name, "\"%s\" is \"%s\", expected %s", key, got, list->str);
    return -1;
}

/* A plain decimal integer in [lo, hi]: digits only, no sign or spaces. */
static gboolean
parse_int(GHashTable *meta, const char *key, int lo, int hi, int *out,
          const char *name, GError **error)
{
    g_autofree char *expected = g_strdup_printf("an integer from %d to %d", lo, hi);
    const char *value = require_key(meta, key, expected, name, error);
    if (!value)
        return FALSE;
    gint64 n = 0;
    gsize len = strlen(value);
    gboolean ok = len > 0 && len <= 9;
    for (gsize i = 0; ok && i < len; i++) {
        if (!g_ascii_isdigit(value[i]))
            ok = FALSE;
        else
            n = n * 10 + (value[i] - '0');
    }
    if (!ok || n < lo || n > hi) {
        g_autofree char *got = srgan_json_shorten(value);
        return metadata_error(error, name, "\"%s\" is \"%s\", expected %s", key, got, expected);
    }
    *out = (int)n;
    return TRUE;
}

static gboolean
parse_spec(const SrganSafetensors *st, Spec *spec, GError **error)
{
    const char *name = st->source_name;
    GHashTable *meta = st->metadata;

    if (!st->has_metadata) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA,
                    "%s: has no __metadata__, so it is not an srgan weights file (see weights/FORMAT.md)",
                    name);
        return FALSE;
    }
    const char *format = require_key(meta, "format", "\"srgan-generator\"", name, error);
    if (!format)
        return FALSE;
    if (strcmp(format, "srgan-generator") != 0) {
        g_autofree char *got = srgan_json_shorten(format);
        return metadata_error(error, name, "\"format\" is \"%s\", expected \"srgan-generator\"", got);
    }
    const char *version = require_key(meta, "format_version", "\"1\"", name, error);
    if (!version)
        return FALSE;
    if (strcmp(version, "1") != 0) {
        g_autofree char *got = srgan_json_shorten(version);
        return metadata_error(error, name, "\"format_version\" is \"%s\"; this srgan reads version \"1\"", got);
    }

    static const char *const families[] = { "srresnet", "rrdbnet", "srvgg", NULL };
    static const char *const scales[] = { "2", "4", "8", NULL };
    static const char *const scale_4[] = { "4", NULL };
    static const char *const prelus[] = { "shared", "per-channel", NULL };
    static const char *const booleans[] = { "false", "true", NULL };
    static const char *const tails[] = { "conv-bn", "conv-prelu", NULL };
    static const char *const outputs[] = { "identity", "tanh", NULL };
    static const char *const identity[] = { "identity", NULL };
    static const char *const ranges[] = { "0,1", "-1,1", NULL };
    static const char *const range_01[] = { "0,1", NULL };
    static const char *const activations[] = { "prelu", NULL };

    memset(spec, 0, sizeof *spec);
    const int family = parse_choice(meta, "family", families, name, error);
    if (family < 0)
        return FALSE;
    spec->family = (SrganFamily)family;
    const gboolean srresnet = spec->family == SRGAN_FAMILY_SRRESNET;

    /* RRDBNet at scales other than 4 unshuffles its input (basicsr's x2plus);
     * not supported, so refused by name. */
    int scale = parse_choice(meta, "scale", spec->family == SRGAN_FAMILY_RRDBNET ? scale_4 : scales,
                             name, error);
    if (scale < 0)
        return FALSE;
    spec->scale = spec->family == SRGAN_FAMILY_RRDBNET ? 4 : 2 << scale;
    if (!parse_int(meta, "blocks", 1, srresnet ? SRGAN_MAX_BLOCKS : SRGAN_MAX_DEEP_BLOCKS,
                   &spec->n_blocks, name, error) ||
        !parse_int(meta, "channels", 8, 256, &spec->channels, name, error))
        return FALSE;
    if (spec->family == SRGAN_FAMILY_RRDBNET
        && !parse_int(meta, "growth", 8, 256, &spec->growth, name, error))
        return FALSE;
    if (spec->family == SRGAN_FAMILY_SRVGG) {
        if (parse_choice(meta, "activation", activations, name, error) < 0)
            return FALSE;
        spec->prelu_count = spec->channels;
    }
    if (srresnet) {
        int prelu = parse_choice(meta, "prelu", prelus, name, error);
        if (prelu < 0)
            return FALSE;
        spec->prelu_count = prelu == 0 ? 1 : spec->channels;
        int bn = parse_choice(meta, "batchnorm", booleans, name, error);
        if (bn < 0)
            return FALSE;
        spec->batchnorm = bn == 1;
        int tail = parse_choice(meta, "tail", tails, name, error);
        if (tail < 0)
            return FALSE;
        spec->tail = tail == 0 ? SRGAN_TAIL_CONV_BN : SRGAN_TAIL_CONV_PRELU;
    }
    int output = parse_choice(meta, "output", srresnet ? outputs : identity, name, error);
    if (output < 0)
        return FALSE;
    spec->output = output == 0 ? SRGAN_OUTPUT_IDENTITY : SRGAN_OUTPUT_TANH;
    int range = parse_choice(meta, "input_range", srresnet ? ranges : range_01, name, error);
    if (range < 0)
        return FALSE;
    spec->input_lo = range == 0 ? 0.0f : -1.0f;
    spec->input_hi = 1.0f;

    spec->bn_eps = DEFAULT_BN_EPS;
    const char *eps = g_hash_table_lookup(meta, "bn_eps");
    if (eps) {
        char *end = NULL;
        double v = *eps ? g_ascii_strtod(eps, &end) : NAN;
        /* An epsilon outside (0, 1] is a corrupt file, not a choice. */
        if (!end || *end != '\0' || !isfinite(v) || v <= 0.0 || v > 1.0) {
            g_autofree char *got = srgan_json_shorten(eps);
            return metadata_error(error, name, "\"bn_eps\" is \"%s\", expected a number in (0, 1]", got);
        }
        spec->bn_eps = v;
    }
    return TRUE;
}

/* ---- The tensor set ------------------------------------------------------ */

typedef struct {
    char *name;
    int n_dims;
    gint64 shape[4];
} Expected;

static void
expected_free(Expected *e)
{
    g_free(e->name);
    g_free(e);
}

static void
expect(GPtrArray *list, int n_dims, gint64 d0, gint64 d1, gint64 d2, gint64 d3,
       const char *format, ...) G_GNUC_PRINTF(7, 8);

static void
expect(GPtrArray *list, int n_dims, gint64 d0, gint64 d1, gint64 d2, gint64 d3,
       const char *format, ...)
{
    Expected *e = g_new0(Expected, 1);
    va_list args;
    va_start(args, format);
    e->name = g_strdup_vprintf(format, args);
    va_end(args);
    e->n_dims = n_dims;
    e->shape[0] = d0;
    e->shape[1] = d1;
    e->shape[2] = d2;
    e->shape[3] = d3;
    g_ptr_array_add(list, e);
}

static void
expect_bn(GPtrArray *list, const char *prefix, gint64 c)
{
    static const char *const fields[] = { "weight", "bias", "running_mean", "running_var" };
    for (int i = 0; i < 4; i++)
        expect(list, 1, c, 0, 0, 0, "%s.%s", prefix, fields[i]);
}

/* Every tensor the network's convs name, per weights/FORMAT.md. */
static GPtrArray *
expected_tensors(const SrganNet *net)
{
    GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)expected_free);
    g_autoptr(GHashTable) slopes = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        if (op->kind != SRGAN_OP_CONV)
            continue;
        const SrganConv *c = &op->conv;
        expect(list, 4, c->cout, c->cin, c->ksize, c->ksize, "%s.weight", op->name);
        expect(list, 1, c->cout, 0, 0, 0, "%s.bias", op->name);
        if (op->bn)
            expect_bn(list, op->bn, c->cout);
        /* SRResNet's shared-slope files name one slope tensor once per conv. */
        if (op->act_tensor && g_hash_table_add(slopes, op->act_tensor))
            expect(list, 1, c->prelu_count / op->act_repeat, 0, 0, 0, "%s", op->act_tensor);
    }
    return list;
}

static char *
expected_shape_string(const Expected *e)
{
    GString *s = g_string_new("(");
    for (int d = 0; d < e->n_dims; d++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, d ? ", " : "", e->shape[d]);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Exactly the expected names, each with its expected shape. */
static gboolean
check_tensor_set(const SrganSafetensors *st, const Spec *spec, const SrganNet *net, GError **error)
{
    static const char *const family_names[] = { "srresnet", "rrdbnet", "srvgg" };
    const char *name = st->source_name;
    g_autoptr(GPtrArray) expected = expected_tensors(net);
    g_autoptr(GHashTable) wanted = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *arch = g_strdup_printf("a %d×, %d-block, %d-channel %s",
                                            spec->scale, spec->n_blocks, spec->channels,
                                            family_names[spec->family]);

    guint missing = 0;
    const char *first_missing = NULL;
    for (guint i = 0; i < expected->len; i++) {
        const Expected *e = g_ptr_array_index(expected, i);
        g_hash_table_add(wanted, e->name);
        if (!srgan_safetensors_get(st, e->name) && missing++ == 0)
            first_missing = e->name;
    }
    if (missing) {
        g_autofree char *more = missing > 1 ? g_strdup_printf(" and %u more", missing - 1) : g_strdup("");
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                    "%s: missing tensor \"%s\"%s, needed by %s as its __metadata__ describes",
                    name, first_missing, more, arch);
        return FALSE;
    }

    /* Report the alphabetically first unknown name, so messages are stable. */
    g_autoptr(GPtrArray) unknown = g_ptr_array_new();
    for (guint i = 0; i < st->tensors->len; i++) {
        const SrganTensor *t = g_ptr_array_index(st->tensors, i);
        if (!g_hash_table_contains(wanted, t->name))
            g_ptr_array_add(unknown, (gpointer)t->name);
    }
    if (unknown->len) {
        g_ptr_array_sort(unknown, compare_names);
        g_autofree char *first = srgan_json_shorten(g_ptr_array_index(unknown, 0));
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                    "%s: unknown tensor \"%s\" (%u unknown in all): not part of %s as its __metadata__ describes",
                    name, first, unknown->len, arch);
        return FALSE;
    }

    for (guint i = 0; i < expected->len; i++) {
        const Expected *e = g_ptr_array_index(expected, i);
        const SrganTensor *t = srgan_safetensors_get(st, e->name);
        gboolean same = t->n_dims == e->n_dims;
        for (int d = 0; same && d < e->n_dims; d++)
            same = t->shape[d] == e->shape[d];
        if (!same) {
            g_autofree char *got = srgan_tensor_shape_string(t);
            g_autofree char *want = expected_shape_string(e);
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                        "%s: tensor \"%s\" has shape %s, expected %s for %s",
                        name, e->name, got, want, arch);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- Filling the model --------------------------------------------------- */

/* The tensor's values as host floats, all finite; NULL with an error. */
static float *
read_values(const SrganSafetensors *st, const char *tensor_name, GError **error)
{
    const SrganTensor *t = srgan_safetensors_get(st, tensor_name);
    float *v = g_new(float, MAX(t->n_elements, 1));
    srgan_tensor_read_f32(t, v);
    for (gsize i = 0; i < t->n_elements; i++) {
        if (!isfinite(v[i])) {
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                        "%s: tensor \"%s\" element %" G_GSIZE_FORMAT " is %s, expected a finite number",
                        st->source_name, tensor_name, i, isnan(v[i]) ? "NaN" : "infinite");
            g_free(v);
            return NULL;
        }
    }
    return v;
}

/* conv->weight/bias from "<prefix>.weight" (out, in, kh, kw) and
 * "<prefix>.bias", with "<bn>.*" folded in when bn is not NULL:
 *   s = γ / √(var + eps),  w' = w·s,  b' = (b − mean)·s + β. */
static gboolean
fill_conv(SrganConv *conv, const SrganSafetensors *st, const char *prefix,
          const char *bn, double eps, GError **error)
{
    g_autofree char *wname = g_strdup_printf("%s.weight", prefix);
    g_autofree char *bname = g_strdup_printf("%s.bias", prefix);
    g_autofree float *w = read_values(st, wname, error);
    if (!w)
        return FALSE;
    g_autofree float *b = read_values(st, bname, error);
    if (!b)
        return FALSE;

    const int cout = conv->cout, cin = conv->cin, k = conv->ksize;
    g_autofree double *scale = g_new(double, cout);
    g_autofree double *shift = g_new(double, cout);
    if (bn) {
        g_autofree char *n_gamma = g_strdup_printf("%s.weight", bn);
        g_autofree char *n_beta = g_strdup_printf("%s.bias", bn);
        g_autofree char *n_mean = g_strdup_printf("%s.running_mean", bn);
        g_autofree char *n_var = g_strdup_printf("%s.running_var", bn);
        g_autofree float *gamma = read_values(st, n_gamma, error);
        g_autofree float *beta = gamma ? read_values(st, n_beta, error) : NULL;
        g_autofree float *mean = beta ? read_values(st, n_mean, error) : NULL;
        g_autofree float *var = mean ? read_values(st, n_var, error) : NULL;
        if (!var)
            return FALSE;
        for (int o = 0; o < cout; o++) {
            if (var[o] < 0.0f) {
                g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                            "%s: tensor \"%s\" element %d is %g, but a variance cannot be negative",
                            st->source_name, n_var, o, var[o]);
                return FALSE;
            }
            scale[o] = gamma[o] / sqrt((double)var[o] + eps);
            shift[o] = ((double)b[o] - mean[o]) * scale[o] + beta[o];
        }
    } else {
        for (int o = 0; o < cout; o++) {
            scale[o] = 1.0;
            shift[o] = b[o];
        }
    }

    for (int o = 0; o < cout; o++) {
        conv->bias[o] = (float)shift[o];
        for (int i = 0; i < cin; i++)
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++)
                    conv->weight[(((gsize)y * k + x) * cin + i) * cout + o] =
                        (float)(w[(((gsize)o * cin + i) * k + y) * k + x] * scale[o]);
    }
    for (int o = 0; o < cout; o++) {
        if (!isfinite(conv->bias[o])) {
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                        "%s: folding \"%s\" into \"%s\" overflows float at channel %d",
                        st->source_name, bn ? bn : prefix, prefix, o);
            return FALSE;
        }
    }
    for (gsize j = 0; j < (gsize)k * k * cin * cout; j++) {
        if (!isfinite(conv->weight[j])) {
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_TENSOR,
                        "%s: folding \"%s\" into \"%s\" overflows float",
                        st->source_name, bn ? bn : prefix, prefix);
            return FALSE;
        }
    }
    return TRUE;
}

/* conv->prelu from the slopes tensor.  When the conv has `repeat` times
 * more slopes than the tensor (an upsample stage: slopes act after the
 * pixel shuffle), conv channel c*repeat + j gets slope c. */
static gboolean
fill_prelu(SrganConv *conv, const SrganSafetensors *st, const char *tensor_name,
           int repeat, GError **error)
{
    g_autofree float *s = read_values(st, tensor_name, error);
    if (!s)
        return FALSE;
    if (conv->prelu_count == 1) {
        conv->prelu[0] = s[0];
        return TRUE;
    }
    for (int c = 0; c < conv->prelu_count; c++)
        conv->prelu[c] = s[c / repeat];
    return TRUE;
}

static gboolean
fill_model(SrganModel *m, const SrganSafetensors *st, const Spec *spec, GError **error)
{
    for (int i = 0; i < m->net->n_ops; i++) {
        SrganOp *op = &m->net->ops[i];
        if (op->kind != SRGAN_OP_CONV)
            continue;
        if (!fill_conv(&op->conv, st, op->name, op->bn, spec->bn_eps, error))
            return FALSE;
        if (op->act_tensor && !fill_prelu(&op->conv, st, op->act_tensor, op->act_repeat, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- Entry points -------------------------------------------------------- */

SrganModel *
srgan_model_load_from_data(const void *data, gsize size, const char *name, GError **error)
{
    g_return_val_if_fail(data != NULL || size == 0, NULL);
    if (!name)
        name = "weights data";

    g_autoptr(SrganSafetensors) st = srgan_safetensors_parse(data, size, name, error);
    if (!st)
        return NULL;
    Spec spec;
    if (!parse_spec(st, &spec, error))
        return NULL;
    g_autoptr(SrganModel) model = srgan_model_new(&spec);
    if (!check_tensor_set(st, &spec, model->net, error) || !fill_model(model, st, &spec, error))
        return NULL;

    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, st->metadata);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_hash_table_insert(model->metadata, g_strdup(key), g_strdup(value));

    srgan_model_prepare(model);
    return g_steal_pointer(&model);
}

SrganModel *
srgan_model_load(const char *name_or_path, GError **error)
{
    g_autofree char *default_path = name_or_path ? NULL : srgan_default_model_path();
    g_autofree char *path = srgan_model_find(name_or_path ? name_or_path : default_path, error);
    if (!path)
        return NULL;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO,
                    "\"%s\" is a directory, not an srgan weights file", path);
        return NULL;
    }

    /* A FIFO or device would block or mislead the mapping below. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO,
                    "\"%s\" is not a regular file, so not an srgan weights file", path);
        return NULL;
    }

    /* Read, not mapped: a file truncated or rewritten while we read it
     * gives short or odd data (which the checks catch), never SIGBUS. */
    g_autoptr(GError) local = NULL;
    g_autofree char *contents = NULL;
    gsize length = 0;
    if (!g_file_get_contents(path, &contents, &length, &local)) {
        gboolean gone = g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        g_set_error(error, SRGAN_ERROR, gone ? SRGAN_ERROR_MODEL_NOT_FOUND : SRGAN_ERROR_MODEL_IO,
                    "cannot read model file \"%s\": %s", path, local->message);
        return NULL;
    }
    return srgan_model_load_from_data(contents, length, path, error);
}
