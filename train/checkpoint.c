/* checkpoint.c — checkpoints and export (see checkpoint.h). */
#include "checkpoint.h"
#include "safetensors-io.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKPOINT_FORMAT "srgan-train-checkpoint"

static void add_params(StWriter *w, const ParamList *list, const char *prefix,
                       GPtrArray *names)
{
    for (guint i = 0; i < list->params->len; i++) {
        const Param *p = g_ptr_array_index(list->params, i);
        char *name = g_strdup_printf("%s%s", prefix, p->name);
        g_ptr_array_add(names, name);
        st_writer_add(w, name, p->ndim, p->shape, p->value);
        if (p->grad) {
            char *m = g_strdup_printf("%s.adam_m", name);
            char *v = g_strdup_printf("%s.adam_v", name);
            g_ptr_array_add(names, m);
            g_ptr_array_add(names, v);
            st_writer_add(w, m, p->ndim, p->shape, p->adam_m);
            st_writer_add(w, v, p->ndim, p->shape, p->adam_v);
        }
    }
}

static void meta_int(StWriter *w, const char *key, gint64 value)
{
    char buf[32];
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, value);
    st_writer_metadata(w, key, buf);
}

gboolean checkpoint_save(const Trainer *t, const char *path, GError **error)
{
    g_autoptr(StWriter) w = st_writer_new();
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    st_writer_metadata(w, "format", CHECKPOINT_FORMAT);
    st_writer_metadata(w, "format_version", "1");
    st_writer_metadata(w, "phase", t->opt.phase == PHASE_SRGAN ? "srgan" : "srresnet");
    meta_int(w, "scale", t->opt.gen.scale);
    meta_int(w, "blocks", t->opt.gen.blocks);
    meta_int(w, "channels", t->opt.gen.channels);
    meta_int(w, "prelu_count", t->opt.gen.prelu_count);
    meta_int(w, "crop", t->opt.crop);
    if (t->disc) {
        meta_int(w, "d_channels", t->opt.disc.base_channels);
        meta_int(w, "d_dense", t->opt.disc.dense);
    }
    meta_int(w, "step", t->step);
    meta_int(w, "adam_g_t", t->adam_g.t);
    meta_int(w, "adam_d_t", t->adam_d.t);
    char rng[80];
    g_snprintf(rng, sizeof rng, "%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x%016"
               G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x",
               t->data_rng.s[0], t->data_rng.s[1], t->data_rng.s[2], t->data_rng.s[3]);
    st_writer_metadata(w, "data_rng", rng);
    add_params(w, &t->gen->params, "g.", names);
    if (t->disc)
        add_params(w, &t->disc->params, "d.", names);
    return st_writer_write(w, path, error);
}

static gboolean meta_get_int(const StFile *f, const char *key, gint64 min, gint64 max,
                             gint64 *out, GError **error)
{
    const char *s = st_file_metadata(f, key);
    if (!s || !g_ascii_string_to_signed(s, 10, min, max, out, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: metadata %s is %s (expected %" G_GINT64_FORMAT "–%"
                    G_GINT64_FORMAT ")", st_file_path(f), key, s ? s : "missing", min, max);
        return FALSE;
    }
    return TRUE;
}

static StFile *open_checkpoint(const char *path, GError **error)
{
    StFile *f = st_file_open(path, error);
    if (f && g_strcmp0(st_file_metadata(f, "format"), CHECKPOINT_FORMAT) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is not an srgan-train checkpoint (format %s)", path,
                    st_file_metadata(f, "format") ? st_file_metadata(f, "format") : "missing");
        st_file_free(f);
        return NULL;
    }
    return f;
}

gboolean checkpoint_read_options(const char *path, TrainOptions *opt, GError **error)
{
    g_autoptr(StFile) f = open_checkpoint(path, error);
    if (!f)
        return FALSE;
    gint64 scale, blocks, channels, prelu, crop;
    if (!meta_get_int(f, "scale", 2, 8, &scale, error) ||
        !meta_get_int(f, "blocks", 1, 32, &blocks, error) ||
        !meta_get_int(f, "channels", 8, 256, &channels, error) ||
        !meta_get_int(f, "prelu_count", 1, 256, &prelu, error) ||
        !meta_get_int(f, "crop", 8, 4096, &crop, error))
        return FALSE;
    opt->gen = (GeneratorConfig){(int)scale, (int)blocks, (int)channels, (int)prelu};
    opt->crop = (int)crop;
    opt->phase = g_strcmp0(st_file_metadata(f, "phase"), "srgan") == 0 ? PHASE_SRGAN
                                                                       : PHASE_SRRESNET;
    if (opt->phase == PHASE_SRGAN) {
        gint64 dc, dd;
        if (!meta_get_int(f, "d_channels", 1, 1024, &dc, error) ||
            !meta_get_int(f, "d_dense", 1, 65536, &dd, error))
            return FALSE;
        opt->disc.base_channels = (int)dc;
        opt->disc.dense = (int)dd;
        opt->disc.crop = (int)crop;
    }
    return TRUE;
}

static gboolean read_params(const StFile *f, ParamList *list, const char *prefix,
                            gboolean with_adam, GError **error)
{
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        g_autofree char *name = g_strdup_printf("%s%s", prefix, p->name);
        if (!st_file_read(f, name, p->ndim, p->shape, p->value, p->n, error))
            return FALSE;
        if (with_adam && p->grad) {
            g_autofree char *m = g_strdup_printf("%s.adam_m", name);
            g_autofree char *v = g_strdup_printf("%s.adam_v", name);
            if (!st_file_read(f, m, p->ndim, p->shape, p->adam_m, p->n, error) ||
                !st_file_read(f, v, p->ndim, p->shape, p->adam_v, p->n, error))
                return FALSE;
        }
    }
    return TRUE;
}

gboolean checkpoint_restore(Trainer *t, const char *path, GError **error)
{
    g_autoptr(StFile) f = open_checkpoint(path, error);
    if (!f)
        return FALSE;
    gint64 step, adam_g, adam_d;
    if (!meta_get_int(f, "step", 0, G_MAXINT64, &step, error) ||
        !meta_get_int(f, "adam_g_t", 0, G_MAXINT64, &adam_g, error) ||
        !meta_get_int(f, "adam_d_t", 0, G_MAXINT64, &adam_d, error))
        return FALSE;
    const char *rng = st_file_metadata(f, "data_rng");
    Rng state;
    gboolean rng_ok = rng && strlen(rng) == 64;
    for (int i = 0; rng_ok && i < 4; i++) {
        char word[17];
        memcpy(word, rng + 16 * i, 16);
        word[16] = 0;
        guint64 v;
        rng_ok = g_ascii_string_to_unsigned(word, 16, 0, G_MAXUINT64, &v, NULL);
        state.s[i] = v;
    }
    if (!rng_ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: metadata data_rng is missing or malformed", path);
        return FALSE;
    }
    if (!read_params(f, &t->gen->params, "g.", TRUE, error))
        return FALSE;
    if (t->disc && !read_params(f, &t->disc->params, "d.", TRUE, error))
        return FALSE;
    t->step = step;
    t->adam_g.t = adam_g;
    t->adam_d.t = adam_d;
    t->data_rng = state;
    return TRUE;
}

gboolean checkpoint_init_generator(Trainer *t, const char *path, GError **error)
{
    g_autoptr(StFile) f = st_file_open(path, error);
    if (!f)
        return FALSE;
    const char *format = st_file_metadata(f, "format");
    const char *prefix;
    if (g_strcmp0(format, CHECKPOINT_FORMAT) == 0) {
        prefix = "g.";
    } else if (g_strcmp0(format, "srgan-generator") == 0) {
        if (g_strcmp0(st_file_metadata(f, "batchnorm"), "true") != 0 ||
            g_strcmp0(st_file_metadata(f, "tail"), "conv-bn") != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "%s: the trainer needs a generator with batchnorm and a "
                        "conv-bn tail (the paper's)", path);
            return FALSE;
        }
        prefix = "";
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is neither an srgan-train checkpoint nor an srgan-generator", path);
        return FALSE;
    }
    /* Every tensor is read into a copy first, so a mismatch changes nothing. */
    g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func(g_free);
    ParamList *list = &t->gen->params;
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        g_autofree char *name = g_strdup_printf("%s%s", prefix, p->name);
        float *copy = g_new(float, p->n);
        g_ptr_array_add(copies, copy);
        if (!st_file_read(f, name, p->ndim, p->shape, copy, p->n, error))
            return FALSE;
    }
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        memcpy(p->value, g_ptr_array_index(copies, i), p->n * sizeof(float));
    }
    return TRUE;
}

gboolean export_generator(const Generator *gen, const char *path,
                          const char *source, GError **error)
{
    g_autoptr(StWriter) w = st_writer_new();
    char buf[32];
    st_writer_metadata(w, "format", "srgan-generator");
    st_writer_metadata(w, "format_version", "1");
    st_writer_metadata(w, "family", "srresnet");
    g_snprintf(buf, sizeof buf, "%d", gen->config.scale);
    st_writer_metadata(w, "scale", buf);
    g_snprintf(buf, sizeof buf, "%d", gen->config.blocks);
    st_writer_metadata(w, "blocks", buf);
    g_snprintf(buf, sizeof buf, "%d", gen->config.channels);
    st_writer_metadata(w, "channels", buf);
    st_writer_metadata(w, "prelu", gen->config.prelu_count == 1 ? "shared" : "per-channel");
    st_writer_metadata(w, "batchnorm", "true");
    st_writer_metadata(w, "bn_eps", "1e-5");
    st_writer_metadata(w, "tail", "conv-bn");
    st_writer_metadata(w, "output", "tanh");
    st_writer_metadata(w, "input_range", "0,1");
    if (source)
        st_writer_metadata(w, "source", source);
    for (guint i = 0; i < gen->params.params->len; i++) {
        const Param *p = g_ptr_array_index(gen->params.params, i);
        st_writer_add(w, p->name, p->ndim, p->shape, p->value);
    }
    return st_writer_write(w, path, error);
}
