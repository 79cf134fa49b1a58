/* discriminator.c — forward/backward of the SRGAN discriminator.  It is
 * always run in training mode (batch statistics), as in the paper's
 * training; it is never exported. */
#include "discriminator.h"

Discriminator *discriminator_new(const DiscriminatorConfig *config)
{
    Discriminator *disc = g_new0(Discriminator, 1);
    disc->config = *config;
    param_list_init(&disc->params);
    static const int mult[DISC_CONVS] = {1, 1, 2, 2, 4, 4, 8, 8};
    int cin = 3, h = config->crop, w = config->crop;
    for (int i = 0; i < DISC_CONVS; i++) {
        int cout = config->base_channels * mult[i];
        char name[32];
        g_snprintf(name, sizeof name, "conv.%d", i);
        conv2d_init(&disc->conv[i], &disc->params, name, cin, cout, 3, i % 2 ? 2 : 1);
        conv2d_output_size(&disc->conv[i], h, w, &h, &w);
        if (i > 0) {
            g_snprintf(name, sizeof name, "bn.%d", i);
            batchnorm_init(&disc->bn[i], &disc->params, name, cout);
        }
        cin = cout;
    }
    disc->final_c = cin;
    disc->final_h = h;
    disc->final_w = w;
    dense_init(&disc->fc1, &disc->params, "fc1", cin * h * w, config->dense);
    dense_init(&disc->fc2, &disc->params, "fc2", config->dense, 1);
    return disc;
}

void discriminator_free(Discriminator *disc)
{
    if (!disc)
        return;
    for (int i = 0; i < DISC_CONVS; i++) {
        conv2d_clear(&disc->conv[i]);
        if (i > 0)
            batchnorm_clear(&disc->bn[i]);
        tensor_clear(&disc->conv_out[i]);
        tensor_clear(&disc->act[i]);
    }
    tensor_clear(&disc->flat);
    tensor_clear(&disc->fc1_out);
    tensor_clear(&disc->fc1_act);
    tensor_clear(&disc->logits);
    tensor_clear(&disc->grad_a);
    tensor_clear(&disc->grad_b);
    scratch_clear(&disc->scratch);
    param_list_clear(&disc->params);
    g_free(disc);
}

void discriminator_randomize(Discriminator *disc, Rng *rng)
{
    for (int i = 0; i < DISC_CONVS; i++)
        conv2d_randomize(&disc->conv[i], rng);
    dense_randomize(&disc->fc1, rng);
    dense_randomize(&disc->fc2, rng);
}

const Tensor *discriminator_forward(Discriminator *disc, const Tensor *image)
{
    g_assert(image->c == 3 && image->h == disc->config.crop && image->w == disc->config.crop);
    disc->input = image;
    const Tensor *x = image;
    for (int i = 0; i < DISC_CONVS; i++) {
        conv2d_forward(&disc->conv[i], x, &disc->conv_out[i], &disc->scratch);
        if (i > 0)
            batchnorm_leaky_forward(&disc->bn[i], &disc->conv_out[i], &disc->act[i], TRUE,
                                    disc->config.leak);
        else
            leaky_relu_forward(disc->config.leak, &disc->conv_out[i], &disc->act[i]);
        x = &disc->act[i];
    }
    dense_flatten(x, &disc->flat);
    dense_forward(&disc->fc1, &disc->flat, &disc->fc1_out);
    leaky_relu_forward(disc->config.leak, &disc->fc1_out, &disc->fc1_act);
    dense_forward(&disc->fc2, &disc->fc1_act, &disc->logits);
    return &disc->logits;
}

void discriminator_backward(Discriminator *disc, const Tensor *dlogits, Tensor *din,
                            gboolean param_grads)
{
    Tensor *ga = &disc->grad_a, *gb = &disc->grad_b;
    dense_backward(&disc->fc2, &disc->fc1_act, dlogits, ga);
    leaky_relu_backward(disc->config.leak, &disc->fc1_act, ga, gb);
    dense_backward(&disc->fc1, &disc->flat, gb, ga);
    dense_unflatten(ga, disc->final_c, disc->final_h, disc->final_w, gb);
    for (int i = DISC_CONVS - 1; i >= 0; i--) {
        /* gb = d/d(act[i]); then ga = d/d(conv_out[i]) */
        if (i > 0)
            batchnorm_leaky_backward(&disc->bn[i], &disc->conv_out[i], &disc->act[i], gb, ga,
                                     disc->config.leak);
        else
            leaky_relu_backward(disc->config.leak, &disc->act[i], gb, ga);
        const Tensor *in = i ? &disc->act[i - 1] : disc->input;
        Tensor *dst = i ? gb : din;
        conv2d_backward(&disc->conv[i], in, ga, dst, param_grads, &disc->scratch);
    }
}
