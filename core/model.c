/* model.c — SrganModel lifetime, getters and the default model paths.
 *
 * Loading (safetensors → model) lives in model-load.c; this file only
 * knows the model's shape: how to allocate it, walk its convolutions, free
 * it, and derive the figures the tiler and benchmarks need (halo, MACs).
 */
#include "model.h"

#include <math.h>

/* ---- Walking the convolutions ----------------------------------------- */

typedef void (*ConvFunc)(SrganConv *conv, gpointer user_data);

static void
for_each_conv(SrganModel *model, ConvFunc func, gpointer user_data)
{
    func(&model->head, user_data);
    for (int i = 0; i < model->n_blocks; i++) {
        func(&model->blocks[i].conv1, user_data);
        func(&model->blocks[i].conv2, user_data);
    }
    func(&model->body, user_data);
    for (int k = 0; k < model->n_stages; k++)
        func(&model->up[k], user_data);
    func(&model->out, user_data);
}

/* ---- Lifetime ----------------------------------------------------------- */

static void
conv_alloc(SrganConv *conv, int ksize, int cin, int cout, int prelu_count)
{
    conv->ksize = ksize;
    conv->cin = cin;
    conv->cout = cout;
    conv->weight = g_new0(float, (gsize)ksize * ksize * cin * cout);
    conv->bias = g_new0(float, cout);
    conv->prelu_count = prelu_count;
    conv->prelu = prelu_count > 0 ? g_new0(float, prelu_count) : NULL;
    conv->fast = NULL;
}

static void
conv_free(SrganConv *conv, gpointer user_data)
{
    (void)user_data;
    srgan_conv_release(conv);
    g_clear_pointer(&conv->weight, g_free);
    g_clear_pointer(&conv->bias, g_free);
    g_clear_pointer(&conv->prelu, g_free);
}

SrganModel *
srgan_model_new_empty(int scale, int n_blocks, int channels, int prelu_count,
                      SrganTail tail, SrganOutput output)
{
    g_return_val_if_fail(scale == 2 || scale == 4 || scale == 8, NULL);
    g_return_val_if_fail(n_blocks >= 1 && n_blocks <= SRGAN_MAX_BLOCKS, NULL);
    g_return_val_if_fail(channels >= 1 && channels <= 4096, NULL);
    g_return_val_if_fail(prelu_count == 1 || prelu_count == channels, NULL);

    SrganModel *m = g_new0(SrganModel, 1);
    m->ref_count = 1;
    m->scale = scale;
    m->n_stages = scale == 2 ? 1 : scale == 4 ? 2 : 3;
    m->n_blocks = n_blocks;
    m->channels = channels;
    m->tail = tail;
    m->output = output;
    m->input_lo = 0.0f;
    m->input_hi = 1.0f;

    const int c = channels;
    conv_alloc(&m->head, 9, 3, c, prelu_count);
    m->blocks = g_new0(SrganResBlock, n_blocks);
    for (int i = 0; i < n_blocks; i++) {
        conv_alloc(&m->blocks[i].conv1, 3, c, c, prelu_count);
        conv_alloc(&m->blocks[i].conv2, 3, c, c, 0);
    }
    conv_alloc(&m->body, 3, c, c, tail == SRGAN_TAIL_CONV_PRELU ? prelu_count : 0);
    /* Per-channel slopes of an upsample stage act after the pixel shuffle;
     * expanded to the 4C conv channels (see model.h) they act before it. */
    for (int k = 0; k < m->n_stages; k++)
        conv_alloc(&m->up[k], 3, c, 4 * c, prelu_count == 1 ? 1 : 4 * c);
    conv_alloc(&m->out, 9, c, 3, 0);

    m->metadata = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return m;
}

static void
conv_prepare(SrganConv *conv, gpointer user_data)
{
    (void)user_data;
    srgan_conv_prepare(conv);
}

void
srgan_model_prepare(SrganModel *model)
{
    g_return_if_fail(model != NULL);
    for_each_conv(model, conv_prepare, NULL);
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
    for_each_conv(model, conv_free, NULL);
    g_free(model->blocks);
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
    return model->n_blocks;
}

int
srgan_model_get_channels(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    return model->channels;
}

/* The receptive radius of one output pixel, in low-res pixels, rounded up.
 * A k×k conv at 2^s times the input resolution reaches k/2 pixels of that
 * resolution, i.e. (k/2) / 2^s low-res pixels.  Counted in units of
 * 1/scale low-res pixel so the sum stays an exact integer:
 *   head 9×9 at LR: 4;  each block: 1 + 1;  body: 1;  upsample stage s (at
 *   2^s): 1/2^s;  tail 9×9 at full resolution: 4/scale. */
int
srgan_model_get_halo(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0);
    const int s = model->scale;
    int units = 4 * s + 2 * model->n_blocks * s + s;
    for (int k = 0; k < model->n_stages; k++)
        units += s >> k;
    units += 4;
    return (units + s - 1) / s;
}

static double
conv_macs(const SrganConv *conv, int resolution)
{
    return (double)conv->ksize * conv->ksize * conv->cin * conv->cout *
           (double)resolution * resolution;
}

/* Each conv costs k·k·cin·cout multiply-adds per pixel of its own
 * resolution, which has resolution² pixels per low-res pixel. */
double
srgan_model_get_macs_per_pixel(const SrganModel *model)
{
    g_return_val_if_fail(model != NULL, 0.0);
    double macs = conv_macs(&model->head, 1);
    for (int i = 0; i < model->n_blocks; i++)
        macs += conv_macs(&model->blocks[i].conv1, 1) + conv_macs(&model->blocks[i].conv2, 1);
    macs += conv_macs(&model->body, 1);
    for (int k = 0; k < model->n_stages; k++)
        macs += conv_macs(&model->up[k], 1 << k);
    macs += conv_macs(&model->out, model->scale);
    return macs;
}

const char *
srgan_model_get_metadata(const SrganModel *model, const char *key)
{
    g_return_val_if_fail(model != NULL, NULL);
    g_return_val_if_fail(key != NULL, NULL);
    return g_hash_table_lookup(model->metadata, key);
}

/* ---- Paths -------------------------------------------------------------- */

char *
srgan_installed_model_path(int scale)
{
    g_autofree char *file = g_strdup_printf("srgan-x%d.safetensors", scale);
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
