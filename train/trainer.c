/* trainer.c — the training step of each phase (see trainer.h). */
#include "trainer.h"
#include "batch.h"
#include "losses.h"
#include "imresize.h"

#include <math.h>

Trainer *trainer_new(const TrainOptions *opt, const PhotoSet *photos, Vgg *vgg,
                     GError **error)
{
    if (!generator_config_check(&opt->gen, error))
        return NULL;
    if (opt->crop % opt->gen.scale != 0 || opt->crop / opt->gen.scale < 4) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "crop %d must be a multiple of the scale %d, at least 4× it",
                    opt->crop, opt->gen.scale);
        return NULL;
    }
    if (opt->content != CONTENT_MSE && !vgg) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "the VGG content loss needs VGG19 weights (--vgg FILE)");
        return NULL;
    }
    Trainer *t = g_new0(Trainer, 1);
    t->opt = *opt;
    t->photos = photos;
    t->vgg = vgg;
    Rng init;
    rng_seed(&init, opt->seed);
    t->gen = generator_new(&opt->gen);
    generator_randomize(t->gen, &init);
    if (opt->phase == PHASE_SRGAN) {
        t->opt.disc.crop = opt->crop;
        t->disc = discriminator_new(&t->opt.disc);
        discriminator_randomize(t->disc, &init);
    }
    adam_init(&t->adam_g);
    adam_init(&t->adam_d);
    rng_seed(&t->data_rng, opt->seed ^ 0x5eed5eed5eed5eedULL);
    return t;
}

void trainer_free(Trainer *t)
{
    if (!t)
        return;
    generator_free(t->gen);
    discriminator_free(t->disc);
    vgg_free(t->vgg);
    tensor_clear(&t->lr);
    tensor_clear(&t->hr);
    tensor_clear(&t->grad_sr);
    tensor_clear(&t->grad_adv);
    tensor_clear(&t->dlogits);
    g_free(t);
}

float trainer_learning_rate(const Trainer *t)
{
    if (t->opt.lr_decay_step > 0 && t->step >= t->opt.lr_decay_step)
        return t->opt.lr * 0.1f;
    return t->opt.lr;
}

/* Content loss of sr against hr; its gradient goes into t->grad_sr. */
static double content_loss(Trainer *t, const Tensor *sr)
{
    if (t->opt.content == CONTENT_MSE)
        return mse_loss(sr, &t->hr, 1.0f, &t->grad_sr, FALSE);
    return vgg_content_loss(t->vgg, sr, &t->hr, 1.0f, &t->grad_sr);
}

static double mean_sigmoid(const Tensor *logits)
{
    double s = 0;
    for (size_t i = 0; i < tensor_size(logits); i++)
        s += 1.0 / (1.0 + exp(-logits->data[i]));
    return s / (double)tensor_size(logits);
}

void trainer_step(Trainer *t, StepStats *stats)
{
    *stats = (StepStats){0};
    float lr = trainer_learning_rate(t);
    batch_sample(t->photos, &t->data_rng, t->opt.batch, t->opt.crop, t->opt.gen.scale,
                 &t->lr, &t->hr);
    const Tensor *sr = generator_forward(t->gen, &t->lr, TRUE);

    if (t->disc) {
        /* Discriminator: −log D(hr) − log(1 − D(G(lr))), G's output held fixed. */
        param_list_zero_grad(&t->disc->params);
        const Tensor *real = discriminator_forward(t->disc, &t->hr);
        stats->d_real = mean_sigmoid(real);
        stats->d_loss = bce_logits_loss(real, 1.0f, 1.0f, &t->dlogits, FALSE);
        discriminator_backward(t->disc, &t->dlogits, NULL, TRUE);
        const Tensor *fake = discriminator_forward(t->disc, sr);
        stats->d_fake = mean_sigmoid(fake);
        stats->d_loss += bce_logits_loss(fake, 0.0f, 1.0f, &t->dlogits, FALSE);
        discriminator_backward(t->disc, &t->dlogits, NULL, TRUE);
        adam_step(&t->adam_d, &t->disc->params, lr);
    }

    param_list_zero_grad(&t->gen->params);
    stats->content = content_loss(t, sr);
    if (t->disc) {
        /* Generator's adversarial term through the just-updated D; only the
         * gradient with respect to the image is needed (what the cheap
         * dense/BN parameter gradients collect here is zeroed before D's
         * next update). */
        const Tensor *fake = discriminator_forward(t->disc, sr);
        stats->adversarial = bce_logits_loss(fake, 1.0f, t->opt.adv_weight, &t->dlogits, FALSE);
        discriminator_backward(t->disc, &t->dlogits, &t->grad_adv, FALSE);
        size_t n = tensor_size(&t->grad_sr);
        for (size_t i = 0; i < n; i++)
            t->grad_sr.data[i] += t->grad_adv.data[i];
    }
    generator_backward(t->gen, &t->grad_sr);
    adam_step(&t->adam_g, &t->gen->params, lr);
    t->step++;
}

/* PSNR of a planar (3, h, w) image in [0, 1], rounded to 8 bits as a user
 * would get it, against hr, with `shave` pixels left out at each border. */
static double psnr_shaved(const float *img, const float *hr, int h, int w, int shave)
{
    double se = 0.0;
    size_t count = 0;
    for (int c = 0; c < 3; c++)
        for (int y = shave; y < h - shave; y++)
            for (int x = shave; x < w - shave; x++) {
                size_t k = ((size_t)c * h + y) * w + x;
                float v = roundf(CLAMP(img[k], 0.0f, 1.0f) * 255.0f) / 255.0f;
                double d = v - hr[k];
                se += d * d;
                count++;
            }
    double mse = count ? se / (double)count : 0.0;
    return 10.0 * log10(1.0 / fmax(mse, 1e-12));
}

double trainer_validate(Trainer *t, const PhotoSet *val, int max_side, double *bicubic)
{
    int scale = t->opt.gen.scale;
    Tensor lr = {0}, hr = {0};
    double total = 0.0, total_bicubic = 0.0;
    for (guint i = 0; i < val->photos->len; i++) {
        batch_center(g_ptr_array_index(val->photos, i), max_side, scale, &lr, &hr);
        size_t plane = (size_t)hr.h * hr.w, lr_plane = (size_t)lr.h * lr.w;
        float *img = g_new(float, 3 * plane);
        const Tensor *sr = generator_forward(t->gen, &lr, FALSE);
        for (size_t k = 0; k < 3 * plane; k++)
            img[k] = (sr->data[k] + 1.0f) * 0.5f;          /* [−1, 1] → [0, 1] */
        total += psnr_shaved(img, hr.data, hr.h, hr.w, scale);

        float *lr_rgb = g_new(float, 3 * lr_plane), *up = g_new(float, 3 * plane);
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < lr_plane; p++)
                lr_rgb[p * 3 + c] = lr.data[c * lr_plane + p];
        imresize_bicubic_float(lr_rgb, lr.w, lr.h, 3, scale, up);
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < plane; p++)
                img[c * plane + p] = up[p * 3 + c];
        total_bicubic += psnr_shaved(img, hr.data, hr.h, hr.w, scale);
        g_free(lr_rgb);
        g_free(up);
        g_free(img);
    }
    tensor_clear(&lr);
    tensor_clear(&hr);
    if (bicubic)
        *bicubic = total_bicubic / val->photos->len;
    return total / val->photos->len;
}
