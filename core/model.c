/* model.c — SrganModel lifetime, getters, and finding model files.
 *
 * Loading (safetensors → model) lives in model-load.c and the network's
 * shape in the family builders (net-*.c); this file holds the model
 * together and answers questions about it.
 */
#include "model.h"

#include <string.h>

#include "safetensors.h"

/* RRDBNet's receptive field (about 350 low-res pixels) would make tiles
 * mostly halo.  This halo keeps tiled output within the error published in
 * docs/quality.md ("Tiles for deep nets"): at least 50 dB PSNR against the
 * whole-image result on the committed photos. */
#define RRDBNET_DEFAULT_HALO 32

/* ---- Lifetime ----------------------------------------------------------- */

SrganModel *
srgan_model_new(const SrganSpec *spec)
{
    SrganModel *m = g_new0(SrganModel, 1);
    m->ref_count = 1;
    m->spec = *spec;
    m->scale = spec->scale;
    m->output = spec->output;
    m->input_lo = spec->input_lo;
    m->input_hi = spec->input_hi;
    switch (spec->family) {
    case SRGAN_FAMILY_SRRESNET:
        m->net = srgan_net_build_srresnet(spec);
        break;
    case SRGAN_FAMILY_RRDBNET:
        m->net = srgan_net_build_rrdbnet(spec);
        break;
    case SRGAN_FAMILY_SRVGG:
        m->net = srgan_net_build_srvgg(spec);
        break;
    }
    m->default_halo = spec->family == SRGAN_FAMILY_RRDBNET
                      ? MIN(RRDBNET_DEFAULT_HALO, m->net->receptive_radius)
                      : m->net->receptive_radius;
    m->metadata = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return m;
}

SrganModel *
srgan_model_new_empty(int scale, int n_blocks, int channels, int prelu_count,
                      SrganTail tail, SrganOutput output)
{
    g_return_val_if_fail(scale == 2 || scale == 4 || scale == 8, NULL);
    g_return_val_if_fail(n_blocks >= 1 && n_blocks <= SRGAN_MAX_BLOCKS, NULL);
    g_return_val_if_fail(channels >= 1 && channels <= 4096, NULL);
    g_return_val_if_fail(prelu_count == 1 || prelu_count == channels, NULL);
    const SrganSpec spec = {
        .family = SRGAN_FAMILY_SRRESNET, .scale = scale, .n_blocks = n_blocks,
        .channels = channels, .prelu_count = prelu_count, .batchnorm = FALSE,
        .bn_eps = 1e-5, .tail = tail, .output = output, .input_lo = 0.0f, .input_hi = 1.0f,
    };
    return srgan_model_new(&spec);
}

SrganConv *
srgan_model_get_conv(SrganModel *model, const char *name)
{
    g_return_val_if_fail(model != NULL && name != NULL, NULL);
    SrganOp *op = srgan_net_find_conv(model->net, name);
    return op ? &op->conv : NULL;
}

void
srgan_model_prepare(SrganModel *model)
{
    g_return_if_fail(model != NULL);
    srgan_net_prepare(model->net);
}

SrganModel *
srgan_model_ref(SrganModel *model)
{
    g_return_val_if_fail(model != NULL, NULL);
    g_atomic_int_inc(&model->ref_count);
    return model;
}

void
srgan_model_unref(SrganModel *model)
{
    if (!model || !g_atomic_int_dec_and_test(&model->ref_count))
        return;
    srgan_net_free(model->net);
    g_clear_pointer(&model->metadata, g_hash_table_unref);
    g_free(model);
}

/* ---- Getters ------------------------------------------------------------ */

int
srgan_model_get_scale(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->scale;
}

int
srgan_model_get_blocks(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->spec.n_blocks;
}

int
srgan_model_get_channels(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->spec.channels;
}

const char *
srgan_model_get_family(const SrganModel *model)
{
    static const char *const names[] = { "srresnet", "rrdbnet", "srvgg" };
    g_return_val_if_fail(model != NULL, NULL);
    return names[model->spec.family];
}

int
srgan_model_get_receptive_radius(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->net->receptive_radius;
}

int
srgan_model_get_halo(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->default_halo;
}

double
srgan_model_get_macs_per_pixel(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0.0);
    return model->net->macs_per_pixel;
}

const char *
srgan_model_get_metadata(const SrganModel *model, const char *key)
{
    g_return_val_if_fail(model != NULL, NULL);
    g_return_val_if_fail(key != NULL, NULL);
    return g_hash_table_lookup(model->metadata, key);
}

/* ---- Finding models ------------------------------------------------------- */

#define MODEL_SUFFIX ".safetensors"
#define DEFAULT_MODEL_NAME "srgan-x4"

char *
srgan_installed_model_path(int scale)
{
    g_autofree char *file = g_strdup_printf("srgan-x%d" MODEL_SUFFIX, scale);
    return g_build_filename(SRGAN_DATADIR, file, NULL);
}

char *
srgan_default_model_path(void)
{
    const char *env = g_getenv("SRGAN_MODEL");
    if (env && *env)
        return g_strdup(env);
    return srgan_installed_model_path(4);
}

/* The model folders, in search order (see srgan_model_find()). */
static GPtrArray *
model_dirs(void)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    const char *env = g_getenv("SRGAN_MODEL_DIR");
    if (env && *env) {
        g_auto(GStrv) parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
        for (int i = 0; parts[i]; i++)
            if (*parts[i])
                g_ptr_array_add(dirs, g_strdup(parts[i]));
    }
    g_ptr_array_add(dirs, g_build_filename(g_get_user_data_dir(), "srgan", NULL));
    g_ptr_array_add(dirs, g_strdup(SRGAN_DATADIR));
    return dirs;
}

static gboolean
is_path(const char *name)
{
    return strchr(name, G_DIR_SEPARATOR) != NULL || g_str_has_suffix(name, MODEL_SUFFIX)
           || g_file_test(name, G_FILE_TEST_EXISTS);
}

char *
srgan_model_find(const char *name_or_path, GError **error)
{
    g_return_val_if_fail(name_or_path != NULL, NULL);
    if (*name_or_path == '\0') {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND, "empty model name");
        return NULL;
    }
    if (is_path(name_or_path)) {
        if (!g_file_test(name_or_path, G_FILE_TEST_EXISTS)) {
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND,
                        "no model file at \"%s\": set the SRGAN_MODEL environment variable "
                        "to the path of an srgan weights file (such as srgan-x4.safetensors), "
                        "or give an installed model's name",
                        name_or_path);
            return NULL;
        }
        return g_strdup(name_or_path);
    }
    g_autoptr(GPtrArray) dirs = model_dirs();
    g_autofree char *file = g_strconcat(name_or_path, MODEL_SUFFIX, NULL);
    for (guint i = 0; i < dirs->len; i++) {
        char *candidate = g_build_filename(g_ptr_array_index(dirs, i), file, NULL);
        if (g_file_test(candidate, G_FILE_TEST_IS_REGULAR))
            return candidate;
        g_free(candidate);
    }
    g_ptr_array_add(dirs, NULL);
    g_autofree char *searched = g_strjoinv(", ", (char **)dirs->pdata);
    g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_NOT_FOUND,
                "no model named \"%s\": looked for %s in %s", name_or_path, file, searched);
    return NULL;
}

/* The header bytes of a file (length + JSON), read without the tensors. */
static guint8 *
read_header(const char *path, gsize *size, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileInputStream) in = g_file_read(file, NULL, &local);
    guint8 head[8];
    gsize got = 0;
    if (in)
        g_input_stream_read_all(G_INPUT_STREAM(in), head, 8, &got, NULL, &local);
    if (local) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO,
                    "cannot read model file \"%s\": %s", path, local->message);
        return NULL;
    }
    const gsize end = srgan_safetensors_header_end(head, got);
    if (end == 0) {
        /* Let the parser say what is wrong with these bytes. */
        g_autoptr(SrganSafetensors) st = srgan_safetensors_parse_header(head, got, path, error);
        if (st)
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_HEADER, "%s: no header", path);
        return NULL;
    }
    guint8 *data = g_malloc(end);
    memcpy(data, head, 8);
    g_input_stream_read_all(G_INPUT_STREAM(in), data + 8, end - 8, &got, NULL, &local);
    if (local) {
        g_free(data);
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_IO,
                    "cannot read model file \"%s\": %s", path, local->message);
        return NULL;
    }
    *size = 8 + got;
    return data;
}

GHashTable *
srgan_model_read_metadata(const char *name_or_path, GError **error)
{
    g_autofree char *path = srgan_model_find(name_or_path, error);
    if (!path)
        return NULL;
    gsize size = 0;
    g_autofree guint8 *data = read_header(path, &size, error);
    if (!data)
        return NULL;
    g_autoptr(SrganSafetensors) st = srgan_safetensors_parse_header(data, size, path, error);
    if (!st)
        return NULL;
    const char *format = g_hash_table_lookup(st->metadata, "format");
    if (!format || strcmp(format, "srgan-generator") != 0) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA,
                    "%s: __metadata__ has no \"format\": \"srgan-generator\", so it is not an "
                    "srgan weights file (see weights/FORMAT.md)", path);
        return NULL;
    }
    return g_hash_table_ref(st->metadata);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    /* The default model first, the rest alphabetically. */
    const gboolean x_default = strcmp(x, DEFAULT_MODEL_NAME) == 0;
    const gboolean y_default = strcmp(y, DEFAULT_MODEL_NAME) == 0;
    if (x_default != y_default)
        return x_default ? -1 : 1;
    return strcmp(x, y);
}

char **
srgan_model_list(void)
{
    g_autoptr(GPtrArray) dirs = model_dirs();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < dirs->len; i++) {
        const char *dir_path = g_ptr_array_index(dirs, i);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *entry;
        while (dir && (entry = g_dir_read_name(dir))) {
            if (!g_str_has_suffix(entry, MODEL_SUFFIX))
                continue;
            g_autofree char *name = g_strndup(entry, strlen(entry) - strlen(MODEL_SUFFIX));
            if (g_hash_table_contains(seen, name))
                continue;
            g_autofree char *path = g_build_filename(dir_path, entry, NULL);
            g_autoptr(GHashTable) meta = srgan_model_read_metadata(path, NULL);
            if (!meta)
                continue;
            g_hash_table_add(seen, g_strdup(name));
            g_ptr_array_add(names, g_steal_pointer(&name));
        }
    }
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}
