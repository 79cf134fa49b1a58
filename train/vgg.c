/* vgg.c — VGG19 features φ(2,2)/φ(5,4), forward and input gradient. */
#include "vgg.h"
#include "losses.h"
#include "safetensors-io.h"

#include <gio/gio.h>
#include <string.h>

/* VGG19 (Simonyan & Zisserman 2015, configuration E): convolutions per block. */
static const int block_convs[5] = {2, 2, 4, 4, 4};
static const int block_width[5] = {64, 128, 256, 512, 512};
/* torchvision's ImageNet normalisation */
static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};

static void conv_name(int index, char *buf, size_t size)
{
    int b = 0, i = index;
    while (i >= block_convs[b])
        i -= block_convs[b++];
    g_snprintf(buf, size, "conv%d_%d", b + 1, i + 1);
}

static gboolean first_in_block(int index)
{
    int i = index;
    for (int b = 0; b < 5; b++) {
        if (i == 0)
            return TRUE;
        if (i < block_convs[b])
            return FALSE;
        i -= block_convs[b];
    }
    return FALSE;
}

Vgg *vgg_load(const char *path, const char *layer, GError **error)
{
    int n_convs;
    if (g_strcmp0(layer, "22") == 0)
        n_convs = 4;
    else if (g_strcmp0(layer, "54") == 0)
        n_convs = 16;
    else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "VGG layer %s: expected 22 or 54", layer ? layer : "(none)");
        return NULL;
    }
    g_autoptr(StFile) file = st_file_open(path, error);
    if (!file)
        return NULL;
    Vgg *vgg = g_new0(Vgg, 1);
    vgg->n_convs = n_convs;
    vgg->feature_scale = 1.0f / 12.75f;
    vgg->use_tall = TRUE;
    param_list_init(&vgg->params);
    int cin = 3;
    for (int i = 0; i < n_convs; i++) {
        char name[32], wname[48], bname[48];
        conv_name(i, name, sizeof name);
        g_snprintf(wname, sizeof wname, "%s.weight", name);
        g_snprintf(bname, sizeof bname, "%s.bias", name);
        int ndim = 0;
        gint64 shape[ST_MAX_DIMS];
        if (!st_file_shape(file, wname, &ndim, shape) || ndim != 4 || shape[1] != cin ||
            shape[2] != 3 || shape[3] != 3 || shape[0] < 1 || shape[0] > 4096) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: %s is missing or not (out, %d, 3, 3)", path, wname, cin);
            vgg_free(vgg);
            return NULL;
        }
        int cout = (int)shape[0];
        Conv2d *c = &vgg->conv[i];
        conv2d_init_frozen(c, &vgg->params, name, cin, cout, 3, 1);
        if (!st_file_read(file, wname, 4, c->weight->shape, c->weight->value, c->weight->n, error) ||
            !st_file_read(file, bname, 1, &cout, c->bias->value, cout, error)) {
            vgg_free(vgg);
            return NULL;
        }
        vgg->pool_before[i] = i > 0 && first_in_block(i);
        cin = cout;
    }
    return vgg;
}

void vgg_free(Vgg *vgg)
{
    if (!vgg)
        return;
    for (int i = 0; i < VGG_MAX_CONVS; i++) {
        conv2d_clear(&vgg->conv[i]);
        tensor_clear(&vgg->pooled[i]);
        tensor_clear(&vgg->act[i]);
    }
    tensor_clear(&vgg->normalized);
    tensor_clear(&vgg->target);
    tensor_clear(&vgg->grad_a);
    tensor_clear(&vgg->grad_b);
    scratch_clear(&vgg->scratch);
    scratch_clear(&vgg->tall_input);
    scratch_clear(&vgg->tall_target);
    for (int i = 0; i < 2; i++)
        scratch_clear(&vgg->tall_grad[i]);
    for (int i = 0; i < VGG_MAX_CONVS; i++) {
        scratch_clear(&vgg->tall_act[i]);
        scratch_clear(&vgg->tall_pool[i]);
    }
    param_list_clear(&vgg->params);
    g_free(vgg);
}

gboolean vgg_write_random(const char *path, int width, guint64 seed, GError **error)
{
    Rng rng;
    rng_seed(&rng, seed);
    g_autoptr(StWriter) w = st_writer_new();
    st_writer_metadata(w, "format", "vgg19-features");
    g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func(g_free);
    int cin = 3, index = 0;
    for (int b = 0; b < 5; b++)
        for (int i = 0; i < block_convs[b]; i++, index++) {
            int cout = MAX(1, block_width[b] * width / 64);
            char name[48];
            conv_name(index, name, sizeof name);
            Conv2d conv = {0};
            ParamList tmp;
            param_list_init(&tmp);
            conv2d_init(&conv, &tmp, name, cin, cout, 3, 1);
            conv2d_randomize(&conv, &rng);
            /* Kaiming-like gain keeps random features from fading with depth. */
            for (size_t k = 0; k < conv.weight->n; k++)
                conv.weight->value[k] *= 2.4f;
            float *wcopy = g_memdup2(conv.weight->value, conv.weight->n * 4);
            float *bcopy = g_memdup2(conv.bias->value, conv.bias->n * 4);
            g_ptr_array_add(buffers, wcopy);
            g_ptr_array_add(buffers, bcopy);
            st_writer_add(w, conv.weight->name, 4, conv.weight->shape, wcopy);
            st_writer_add(w, conv.bias->name, 1, conv.bias->shape, bcopy);
            conv2d_clear(&conv);
            param_list_clear(&tmp);
            cin = cout;
        }
    return st_writer_write(w, path, error);
}

/* φ(image) into vgg->act[n_convs − 1]; keeps every activation. */
static const Tensor *vgg_forward(Vgg *vgg, const Tensor *image)
{
    g_assert(image->c == 3);
    Tensor *x = &vgg->normalized;
    tensor_reshape(x, 3, image->n, image->h, image->w);
    size_t plane = (size_t)image->n * image->h * image->w;
    for (int c = 0; c < 3; c++) {
        float k = 0.5f / imagenet_std[c];
        float b = (0.5f - imagenet_mean[c]) / imagenet_std[c];
        for (size_t i = 0; i < plane; i++)
            x->data[c * plane + i] = image->data[c * plane + i] * k + b;
    }
    const Tensor *in = x;
    for (int i = 0; i < vgg->n_convs; i++) {
        if (vgg->pool_before[i]) {
            maxpool_forward(in, &vgg->pooled[i]);
            in = &vgg->pooled[i];
        }
        /* ReLU fused: the backward needs only the output's sign */
        conv2d_forward_leaky(&vgg->conv[i], in, &vgg->act[i], vgg->relu_slope,
                             &vgg->scratch);
        in = &vgg->act[i];
    }
    return in;
}

double vgg_content_loss(Vgg *vgg, const Tensor *sr, const Tensor *hr,
                        float weight, Tensor *dsr)
{
    double tall_loss;
    if (vgg->use_tall && vgg_tall_content_loss(vgg, sr, hr, weight, dsr, &tall_loss))
        return tall_loss;
    int last = vgg->n_convs - 1;
    float s = vgg->feature_scale;
    tensor_copy(&vgg->target, vgg_forward(vgg, hr));
    vgg_forward(vgg, sr);
    /* mean((s·a − s·b)²) = s²·mean((a − b)²); gradient s²·2(a − b)/n */
    double loss = mse_loss(&vgg->act[last], &vgg->target, weight * s * s,
                           &vgg->grad_a, FALSE) * s * s;
    if (!dsr)
        return loss;
    Tensor *ga = &vgg->grad_a, *gb = &vgg->grad_b;
    for (int i = last; i >= 0; i--) {
        leaky_relu_backward(vgg->relu_slope, &vgg->act[i], ga, ga);
        const Tensor *in = vgg->pool_before[i] ? &vgg->pooled[i]
                         : i ? &vgg->act[i - 1] : &vgg->normalized;
        conv2d_backward(&vgg->conv[i], in, ga, gb, FALSE, &vgg->scratch);
        if (vgg->pool_before[i]) {
            const Tensor *pin = &vgg->act[i - 1];
            maxpool_backward(pin, gb, ga);
        } else {
            Tensor *tmp = ga; ga = gb; gb = tmp;
        }
    }
    /* ga = d/d(normalized) → d/d(sr) */
    tensor_reshape(dsr, 3, sr->n, sr->h, sr->w);
    size_t plane = (size_t)sr->n * sr->h * sr->w;
    for (int c = 0; c < 3; c++) {
        float k = 0.5f / imagenet_std[c];
        for (size_t i = 0; i < plane; i++)
            dsr->data[c * plane + i] = ga->data[c * plane + i] * k;
    }
    return loss;
}
