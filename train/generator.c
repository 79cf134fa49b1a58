/* generator.c — SRResNet forward/backward (see generator.h).
 *
 *   h = prelu(head(x)); r = h
 *   each block: r = r + bn2(conv2(prelu(bn1(conv1(r)))))
 *   t = bn(body(r)) + h
 *   each stage: t = prelu(shuffle2(up(t)))
 *   y = tanh(tail(t))
 */
#include "generator.h"

#include <string.h>

G_DEFINE_QUARK(srgan-train-error-quark, train_error)

gboolean generator_config_check(const GeneratorConfig *config, GError **error)
{
    if (config->scale != 2 && config->scale != 4 && config->scale != 8) {
        g_set_error(error, train_error_quark(), 0,
                    "scale %d is not supported (2, 4 or 8)", config->scale);
        return FALSE;
    }
    if (config->blocks < 1 || config->blocks > 32) {
        g_set_error(error, train_error_quark(), 0,
                    "%d residual blocks: expected 1 to 32", config->blocks);
        return FALSE;
    }
    if (config->channels < 8 || config->channels > 256) {
        g_set_error(error, train_error_quark(), 0,
                    "%d channels: expected 8 to 256", config->channels);
        return FALSE;
    }
    if (config->prelu_count != 1 && config->prelu_count != config->channels) {
        g_set_error(error, train_error_quark(), 0,
                    "PReLU slopes must be 1 (shared) or %d (per channel), not %d",
                    config->channels, config->prelu_count);
        return FALSE;
    }
    return TRUE;
}

Generator *generator_new(const GeneratorConfig *config)
{
    Generator *gen = g_new0(Generator, 1);
    gen->config = *config;
    gen->stages = config->scale == 2 ? 1 : config->scale == 4 ? 2 : 3;
    int c = config->channels, pc = config->prelu_count;
    ParamList *p = &gen->params;
    param_list_init(p);

    conv2d_init(&gen->head, p, "head.conv", 3, c, 9, 1);
    prelu_init(&gen->head_prelu, p, "head.prelu", pc);
    gen->blocks = g_new0(GenBlock, config->blocks);
    for (int i = 0; i < config->blocks; i++) {
        GenBlock *b = &gen->blocks[i];
        char name[64];
        g_snprintf(name, sizeof name, "blocks.%d.conv1", i);
        conv2d_init(&b->conv1, p, name, c, c, 3, 1);
        g_snprintf(name, sizeof name, "blocks.%d.bn1", i);
        batchnorm_init(&b->bn1, p, name, c);
        g_snprintf(name, sizeof name, "blocks.%d.prelu", i);
        prelu_init(&b->prelu, p, name, pc);
        g_snprintf(name, sizeof name, "blocks.%d.conv2", i);
        conv2d_init(&b->conv2, p, name, c, c, 3, 1);
        g_snprintf(name, sizeof name, "blocks.%d.bn2", i);
        batchnorm_init(&b->bn2, p, name, c);
    }
    conv2d_init(&gen->body, p, "body.conv", c, c, 3, 1);
    batchnorm_init(&gen->body_bn, p, "body.bn", c);
    for (int k = 0; k < gen->stages; k++) {
        char name[64];
        g_snprintf(name, sizeof name, "up.%d.conv", k);
        conv2d_init(&gen->up[k], p, name, c, 4 * c, 3, 1);
        g_snprintf(name, sizeof name, "up.%d.prelu", k);
        prelu_init(&gen->up_prelu[k], p, name, pc);
    }
    conv2d_init(&gen->tail, p, "tail.conv", c, 3, 9, 1);
    return gen;
}

void generator_free(Generator *gen)
{
    if (!gen)
        return;
    for (int i = 0; i < gen->config.blocks; i++) {
        GenBlock *b = &gen->blocks[i];
        conv2d_clear(&b->conv1);
        conv2d_clear(&b->conv2);
        batchnorm_clear(&b->bn1);
        batchnorm_clear(&b->bn2);
        tensor_clear(&b->c1);
        tensor_clear(&b->b1);
        tensor_clear(&b->p1);
        tensor_clear(&b->c2);
        tensor_clear(&b->out);
    }
    g_free(gen->blocks);
    conv2d_clear(&gen->head);
    conv2d_clear(&gen->body);
    for (int k = 0; k < 3; k++)
        conv2d_clear(&gen->up[k]);
    conv2d_clear(&gen->tail);
    batchnorm_clear(&gen->body_bn);
    Tensor *owned[] = {&gen->head_out, &gen->head_act, &gen->body_out,
                       &gen->body_bn_out, &gen->skip_sum, &gen->tail_out,
                       &gen->output, &gen->grad_a, &gen->grad_b, &gen->grad_skip};
    for (size_t i = 0; i < G_N_ELEMENTS(owned); i++)
        tensor_clear(owned[i]);
    for (int k = 0; k < 3; k++) {
        tensor_clear(&gen->up_out[k]);
        tensor_clear(&gen->up_shuffled[k]);
        tensor_clear(&gen->up_act[k]);
    }
    scratch_clear(&gen->scratch);
    param_list_clear(&gen->params);
    g_free(gen);
}

void generator_randomize(Generator *gen, Rng *rng)
{
    conv2d_randomize(&gen->head, rng);
    for (int i = 0; i < gen->config.blocks; i++) {
        conv2d_randomize(&gen->blocks[i].conv1, rng);
        conv2d_randomize(&gen->blocks[i].conv2, rng);
    }
    conv2d_randomize(&gen->body, rng);
    for (int k = 0; k < gen->stages; k++)
        conv2d_randomize(&gen->up[k], rng);
    conv2d_randomize(&gen->tail, rng);
}

static void add_into(Tensor *out, const Tensor *a, const Tensor *b)
{
    tensor_reshape(out, a->c, a->n, a->h, a->w);
    size_t n = tensor_size(a);
    for (size_t i = 0; i < n; i++)
        out->data[i] = a->data[i] + b->data[i];
}

static void accumulate(Tensor *dst, const Tensor *src)
{
    size_t n = tensor_size(src);
    for (size_t i = 0; i < n; i++)
        dst->data[i] += src->data[i];
}

const Tensor *generator_forward(Generator *gen, const Tensor *lr, gboolean training)
{
    g_assert(lr->c == 3);
    Scratch *s = &gen->scratch;
    gen->input = lr;
    conv2d_forward(&gen->head, lr, &gen->head_out, s);
    prelu_forward(&gen->head_prelu, &gen->head_out, &gen->head_act);

    const Tensor *r = &gen->head_act;
    for (int i = 0; i < gen->config.blocks; i++) {
        GenBlock *b = &gen->blocks[i];
        conv2d_forward(&b->conv1, r, &b->c1, s);
        batchnorm_forward(&b->bn1, &b->c1, &b->b1, training);
        prelu_forward(&b->prelu, &b->b1, &b->p1);
        conv2d_forward(&b->conv2, &b->p1, &b->c2, s);
        /* bn2's output goes straight into the sum: nothing needs it later */
        batchnorm_forward(&b->bn2, &b->c2, &b->out, training);
        accumulate(&b->out, r);
        r = &b->out;
    }
    conv2d_forward(&gen->body, r, &gen->body_out, s);
    batchnorm_forward(&gen->body_bn, &gen->body_out, &gen->body_bn_out, training);
    add_into(&gen->skip_sum, &gen->body_bn_out, &gen->head_act);

    const Tensor *t = &gen->skip_sum;
    for (int k = 0; k < gen->stages; k++) {
        conv2d_forward(&gen->up[k], t, &gen->up_out[k], s);
        pixel_shuffle_forward(&gen->up_out[k], &gen->up_shuffled[k]);
        prelu_forward(&gen->up_prelu[k], &gen->up_shuffled[k], &gen->up_act[k]);
        t = &gen->up_act[k];
    }
    conv2d_forward(&gen->tail, t, &gen->tail_out, s);
    tanh_forward(&gen->tail_out, &gen->output);
    return &gen->output;
}

void generator_backward(Generator *gen, const Tensor *dout)
{
    Scratch *s = &gen->scratch;
    Tensor *ga = &gen->grad_a, *gb = &gen->grad_b;
    int stages = gen->stages;
    const Tensor *tail_in = stages ? &gen->up_act[stages - 1] : &gen->skip_sum;

    tanh_backward(&gen->output, dout, ga);
    conv2d_backward(&gen->tail, tail_in, ga, gb, TRUE, s);
    for (int k = stages - 1; k >= 0; k--) {
        /* gb = d/d(up_act[k]) */
        prelu_backward(&gen->up_prelu[k], &gen->up_shuffled[k], gb, ga);
        pixel_shuffle_backward(ga, gb);
        const Tensor *in = k ? &gen->up_act[k - 1] : &gen->skip_sum;
        conv2d_backward(&gen->up[k], in, gb, ga, TRUE, s);
        Tensor *tmp = ga; ga = gb; gb = tmp;   /* gb = d/d(in) */
    }
    /* gb = d/d(skip_sum): it flows to body_bn_out and to head_act */
    tensor_copy(&gen->grad_skip, gb);
    int nb = gen->config.blocks;
    const Tensor *body_in = nb ? &gen->blocks[nb - 1].out : &gen->head_act;
    batchnorm_backward(&gen->body_bn, &gen->body_out, gb, ga);
    conv2d_backward(&gen->body, body_in, ga, gb, TRUE, s);
    /* gb = d/d(r) after the last block */
    for (int i = nb - 1; i >= 0; i--) {
        GenBlock *b = &gen->blocks[i];
        const Tensor *r_in = i ? &gen->blocks[i - 1].out : &gen->head_act;
        batchnorm_backward(&b->bn2, &b->c2, gb, ga);
        /* c2 and p1 are dead once their layers' backward has read them, so
         * they hold the branch's gradients: a backward consumes its forward. */
        conv2d_backward(&b->conv2, &b->p1, ga, &b->c2, TRUE, s);
        prelu_backward(&b->prelu, &b->b1, &b->c2, ga);
        batchnorm_backward(&b->bn1, &b->c1, ga, &b->p1);
        conv2d_backward(&b->conv1, r_in, &b->p1, ga, TRUE, s);
        /* d/d(r_in) = d/d(r_out) (identity skip) + through the branch */
        accumulate(gb, ga);
    }
    /* gb = d/d(head_act) from the blocks; add the long skip's share */
    accumulate(gb, &gen->grad_skip);
    prelu_backward(&gen->head_prelu, &gen->head_out, gb, ga);
    conv2d_backward(&gen->head, gen->input, ga, NULL, TRUE, s);
}
