/* test-train.c — the trainer end to end, small enough for CI:
 *
 *  1. SRResNet phase (MSE), a small generator, 300 steps on real photos
 *     (tests/data/photos, or synthetic ones when that folder is absent):
 *     the loss of the last 30 steps is well below that of the first 30.
 *  2. Its export loads in the core unchanged (srgan_model_load) with the
 *     right metadata, and srgan_upscale() gives what the trainer's own
 *     evaluation-mode forward pass gives, within 2e-3; the same for ×2
 *     with shared PReLU slopes and ×8 (a few steps each).
 *  3. SRGAN phase (discriminator, random tiny VGG φ(2,2), adversarial loss),
 *     initialised from step 1's checkpoint: the generator starts equal to
 *     the SRResNet, a few steps run with finite losses.
 *  4. Resume: 3 steps, checkpoint, 3 more; versus restoring the checkpoint
 *     into a fresh trainer and running 3 steps: every tensor, Adam moment
 *     and the losses of the last step agree within 1e-6.
 *  5. The default convolutions (core kernels, two workers) against the
 *     reference ones (im2col, one thread): the same first step within fp32
 *     rounding, for both phases (run_fast_equals_reference).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "srgan.h"
#include "batch.h"
#include "checkpoint.h"
#include "losses.h"
#include "layers.h"
#include "parallel.h"

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* A few 160×128 images with edges, gradients and texture, when no photo
 * folder is at hand (also `test-trainer-train --make-photos DIR` for
 * test-cli.sh). */
static char *synthesize_photos_in(const char *dir_in)
{
    char *dir = g_strdup(dir_in);
    g_mkdir(dir, 0755);
    Rng rng;
    rng_seed(&rng, 99);
    for (int i = 0; i < 4; i++) {
        GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, 160, 128);
        guint8 *px = gdk_pixbuf_get_pixels(pb);
        int stride = gdk_pixbuf_get_rowstride(pb);
        double fx = 0.05 + 0.2 * rng_uniform(&rng), fy = 0.05 + 0.2 * rng_uniform(&rng);
        for (int y = 0; y < 128; y++)
            for (int x = 0; x < 160; x++)
                for (int c = 0; c < 3; c++) {
                    double v = 0.5 + 0.3 * sin(fx * x * (c + 1) + fy * y) +
                               ((x / 16 + y / 16 + i) % 2 ? 0.15 : -0.15) +
                               0.05 * rng_normal(&rng);
                    px[y * stride + x * 3 + c] = (guint8)CLAMP(v * 255, 0, 255);
                }
        g_autofree char *path = g_strdup_printf("%s/synthetic-%d.png", dir, i);
        gdk_pixbuf_save(pb, path, "png", NULL, NULL);
        g_object_unref(pb);
    }
    return dir;
}

static char *synthesize_photos(void)
{
    g_autofree char *dir = tmp_path("photos");
    return synthesize_photos_in(dir);
}

static TrainOptions small_options(TrainPhase phase)
{
    TrainOptions opt = {0};
    opt.phase = phase;
    opt.gen = (GeneratorConfig){4, 2, 16, 16};
    opt.disc = (DiscriminatorConfig){8, 32, 32, 0.2f};
    opt.batch = 4;
    opt.crop = 32;
    opt.content = phase == PHASE_SRGAN ? CONTENT_VGG22 : CONTENT_MSE;
    opt.lr = 1e-3f;
    opt.adv_weight = 1e-3f;
    opt.seed = 7;
    return opt;
}

static gboolean check(gboolean ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    return ok;
}

/* ---- 1 + 2: SRResNet training, export, core ---------------------------- */

typedef struct {
    const float *rgb;   /* interleaved, w × h */
    int w, h;
    float *out;         /* interleaved, (w·s) × (h·s) */
    int ow;
} Image;

static gboolean read_rect(gpointer data, int x, int y, int w, int h, float *buf, GError **e)
{
    (void)e;
    Image *im = data;
    for (int r = 0; r < h; r++)
        memcpy(buf + (size_t)r * w * 3, im->rgb + ((size_t)(y + r) * im->w + x) * 3,
               (size_t)w * 3 * sizeof(float));
    return TRUE;
}

static gboolean write_rect(gpointer data, int x, int y, int w, int h, const float *buf,
                           GError **e)
{
    (void)e;
    Image *im = data;
    for (int r = 0; r < h; r++)
        memcpy(im->out + ((size_t)(y + r) * im->ow + x) * 3, buf + (size_t)r * w * 3,
               (size_t)w * 3 * sizeof(float));
    return TRUE;
}

static gboolean check_export_in_core(Trainer *t, const char *model_path)
{
    g_autoptr(GError) error = NULL;
    if (!export_generator(t->gen, model_path, "test-train", &error))
        return check(FALSE, error->message);
    g_autoptr(SrganModel) model = srgan_model_load(model_path, &error);
    if (!model) {
        printf("FAIL the core rejects the export: %s\n", error->message);
        return FALSE;
    }
    const GeneratorConfig *gc = &t->opt.gen;
    char what[160];
    g_snprintf(what, sizeof what, "the core loads the export: scale %d, %d blocks, %d channels, "
               "%s PReLU", gc->scale, gc->blocks, gc->channels,
               gc->prelu_count == 1 ? "shared" : "per-channel");
    gboolean ok = check(srgan_model_get_scale(model) == gc->scale &&
                        srgan_model_get_blocks(model) == gc->blocks &&
                        srgan_model_get_channels(model) == gc->channels, what);
    int s = gc->scale;

    /* 21×17 pixels of a photo; the trainer's forward in eval mode vs the core */
    int w = 21, h = 17;
    const Photo *p = g_ptr_array_index(t->photos->photos, 0);
    float *rgb = g_new(float, w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                rgb[(y * w + x) * 3 + c] = p->rgb[((size_t)(y + 20) * p->width + x + 20) * 3 + c] / 255.0f;
    Image im = {rgb, w, h, g_new0(float, (size_t)w * h * 3 * s * s), w * s};
    SrganParams params = srgan_params_default();
    params.threads = 2;
    params.tile_size = 16;   /* tiles and halos too */
    if (!srgan_upscale(model, w, h, SRGAN_PIXELS_RGB, read_rect, write_rect, &im, &params, &error)) {
        printf("FAIL srgan_upscale: %s\n", error->message);
        g_free(rgb);
        g_free(im.out);
        return FALSE;
    }
    Tensor lr = {0};
    tensor_reshape(&lr, 3, 1, h, w);
    batch_store(rgb, w, h, &lr, 0, 1.0f, 0.0f);
    const Tensor *sr = generator_forward(t->gen, &lr, FALSE);
    double worst = 0;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++) {
                float mine = CLAMP((sr->data[((size_t)c * h * s + y) * w * s + x] + 1.0f) * 0.5f, 0.0f, 1.0f);
                float core = im.out[((size_t)y * w * s + x) * 3 + c];
                worst = fmax(worst, fabs(mine - core));
            }
    g_snprintf(what, sizeof what, "x%d: srgan_upscale matches the trainer's forward pass (max diff %.2e)",
               s, worst);
    ok &= check(worst < 2e-3, what);
    tensor_clear(&lr);
    g_free(rgb);
    g_free(im.out);
    return ok;
}

static gboolean run_srresnet(const PhotoSet *photos, const char *ckpt, const char *model)
{
    g_autoptr(GError) error = NULL;
    TrainOptions opt = small_options(PHASE_SRRESNET);
    Trainer *t = trainer_new(&opt, photos, NULL, &error);
    if (!t)
        return check(FALSE, error->message);
    double first = 0, last = 0;
    const int steps = 300, window = 30;
    for (int i = 0; i < steps; i++) {
        StepStats st;
        trainer_step(t, &st);
        if (i < window)
            first += st.content / window;
        if (i >= steps - window)
            last += st.content / window;
    }
    char what[160];
    g_snprintf(what, sizeof what, "SRResNet MSE falls over %d steps: %.4f (first %d) -> %.4f (last %d)",
               steps, first, window, last, window);
    gboolean ok = check(isfinite(last) && last < 0.5 * first, what);
    ok &= check(checkpoint_save(t, ckpt, &error), "checkpoint saved");
    ok &= check_export_in_core(t, model);
    trainer_free(t);
    return ok;
}

/* The other scales and shared PReLU slopes: a few steps (so BatchNorm's
 * running statistics are not trivial), then the same export check. */
static gboolean check_other_exports(const PhotoSet *photos)
{
    static const GeneratorConfig configs[] = {{2, 1, 8, 1}, {8, 1, 8, 8}};
    gboolean ok = TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
        g_autoptr(GError) error = NULL;
        TrainOptions opt = small_options(PHASE_SRRESNET);
        opt.gen = configs[i];
        opt.crop = 64;
        Trainer *t = trainer_new(&opt, photos, NULL, &error);
        if (!t)
            return check(FALSE, error->message);
        StepStats st;
        for (int k = 0; k < 3; k++)
            trainer_step(t, &st);
        g_autofree char *path = g_strdup_printf("%s/x%d.safetensors", tmpdir, configs[i].scale);
        ok &= check_export_in_core(t, path);
        trainer_free(t);
    }
    return ok;
}

/* ---- 3: SRGAN phase from the SRResNet ---------------------------------- */

static Vgg *tiny_vgg(void)
{
    g_autofree char *path = tmp_path("vgg.safetensors");
    g_autoptr(GError) error = NULL;
    if (!vgg_write_random(path, 4, 3, &error))
        return NULL;
    return vgg_load(path, "22", &error);
}

static gboolean run_srgan(const PhotoSet *photos, const char *ckpt)
{
    g_autoptr(GError) error = NULL;
    TrainOptions opt = small_options(PHASE_SRGAN);
    Trainer *t = trainer_new(&opt, photos, tiny_vgg(), &error);
    if (!t)
        return check(FALSE, error->message);
    gboolean ok = check(checkpoint_init_generator(t, ckpt, &error), "srgan phase initialised from the SRResNet checkpoint");
    /* the generator now equals the checkpoint's */
    Trainer *ref = trainer_new(&(TrainOptions){.phase = PHASE_SRRESNET, .gen = opt.gen,
                                               .batch = 1, .crop = 32, .lr = 1e-3f}, photos, NULL, &error);
    ok &= checkpoint_restore(ref, ckpt, &error);
    gboolean same = TRUE;
    for (guint i = 0; i < t->gen->params.params->len; i++) {
        Param *a = g_ptr_array_index(t->gen->params.params, i);
        Param *b = g_ptr_array_index(ref->gen->params.params, i);
        same &= memcmp(a->value, b->value, a->n * sizeof(float)) == 0;
    }
    ok &= check(same, "generator weights and BN statistics equal the SRResNet's");
    trainer_free(ref);
    StepStats st = {0};
    for (int i = 0; i < 5; i++)
        trainer_step(t, &st);
    char what[160];
    g_snprintf(what, sizeof what, "srgan steps: content %.4f adversarial %.5f D %.4f (D(real) %.2f, D(fake) %.2f)",
               st.content, st.adversarial, st.d_loss, st.d_real, st.d_fake);
    ok &= check(isfinite(st.content) && isfinite(st.adversarial) && isfinite(st.d_loss) &&
                st.adversarial > 0 && st.d_loss > 0, what);
    trainer_free(t);
    return ok;
}

/* ---- 4: resume gives the same next steps ------------------------------- */

static gboolean params_equal(const ParamList *a, const ParamList *b, double *worst)
{
    for (guint i = 0; i < a->params->len; i++) {
        const Param *p = g_ptr_array_index(a->params, i);
        const Param *q = g_ptr_array_index(b->params, i);
        for (size_t k = 0; k < p->n; k++) {
            *worst = fmax(*worst, fabs(p->value[k] - q->value[k]));
            if (p->grad) {
                *worst = fmax(*worst, fabs(p->adam_m[k] - q->adam_m[k]));
                *worst = fmax(*worst, fabs(p->adam_v[k] - q->adam_v[k]));
            }
        }
    }
    return *worst <= 1e-6;
}

static gboolean run_resume(const PhotoSet *photos)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ckpt = tmp_path("resume.ckpt");
    TrainOptions opt = small_options(PHASE_SRGAN);
    Trainer *a = trainer_new(&opt, photos, tiny_vgg(), &error);
    StepStats sa = {0}, sb = {0};
    for (int i = 0; i < 3; i++)
        trainer_step(a, &sa);
    gboolean ok = checkpoint_save(a, ckpt, &error);
    for (int i = 0; i < 3; i++)
        trainer_step(a, &sa);

    TrainOptions opt_b = small_options(PHASE_SRGAN);
    opt_b.seed = 12345;   /* a different seed: everything must come from the checkpoint */
    ok &= checkpoint_read_options(ckpt, &opt_b, &error);
    Trainer *b = trainer_new(&opt_b, photos, tiny_vgg(), &error);
    ok &= checkpoint_restore(b, ckpt, &error);
    ok &= check(ok && b->step == 3, "resumed at step 3");
    for (int i = 0; i < 3; i++)
        trainer_step(b, &sb);
    double worst = 0;
    gboolean same = params_equal(&a->gen->params, &b->gen->params, &worst) &&
                    params_equal(&a->disc->params, &b->disc->params, &worst);
    double loss_diff = fabs(sa.content - sb.content) + fabs(sa.adversarial - sb.adversarial) +
                       fabs(sa.d_loss - sb.d_loss);
    char what[160];
    g_snprintf(what, sizeof what, "resume = uninterrupted: max tensor diff %.2e, loss diff %.2e after 3 more steps",
               worst, loss_diff);
    ok &= check(same && loss_diff <= 1e-6 && a->step == b->step, what);
    trainer_free(a);
    trainer_free(b);
    return ok;
}

/* ---- 5: the default convolutions give the reference's step ------------ */

/* ‖a − b‖ / ‖a‖ over the gradients of every trainable parameter. */
static double grad_difference(const ParamList *a, const ParamList *b)
{
    double diff = 0, norm = 0;
    for (guint i = 0; i < a->params->len; i++) {
        const Param *p = g_ptr_array_index(a->params, i);
        const Param *q = g_ptr_array_index(b->params, i);
        if (!p->grad)
            continue;
        for (size_t k = 0; k < p->n; k++) {
            diff += ((double)p->grad[k] - q->grad[k]) * ((double)p->grad[k] - q->grad[k]);
            norm += (double)p->grad[k] * p->grad[k];
        }
    }
    return sqrt(diff / fmax(norm, 1e-30));
}

static double relative(double a, double b)
{
    return fabs(a - b) / fmax(fabs(a), 1e-12);
}

/* The same step (same seed, data and weights) with the reference
 * convolutions on one thread and with the default ones on two workers:
 * losses within 1e-4 and every network's gradient within 1e-3 (relative),
 * the rounding of Winograd against a plain sum, not a different step; and
 * three more steps later, the losses still within 1e-2 (looser: Adam's
 * first steps move every weight by about lr·sign(gradient), so a gradient
 * that rounds to the other side of zero moves its weight by 2·lr). */
static gboolean run_fast_equals_reference(const PhotoSet *photos, TrainPhase phase)
{
    g_autoptr(GError) error = NULL;
    TrainOptions opt = small_options(phase);
    Trainer *t[2];
    StepStats st[2][2] = {{{0}}};
    for (int m = 0; m < 2; m++) {
        t[m] = trainer_new(&opt, photos, phase == PHASE_SRGAN ? tiny_vgg() : NULL, &error);
        if (!t[m])
            return check(FALSE, error->message);
    }
    for (int step = 0; step < 4; step++)
        for (int m = 0; m < 2; m++) {
            conv2d_set_reference(m == 0);
            train_set_threads(m == 0 ? 1 : 2);
            trainer_step(t[m], &st[step == 0 ? 0 : 1][m]);
            if (step == 0 && m == 1) {
                double g_gen = grad_difference(&t[0]->gen->params, &t[1]->gen->params);
                double g_disc = t[0]->disc ? grad_difference(&t[0]->disc->params,
                                                              &t[1]->disc->params) : 0;
                double l = fmax(relative(st[0][0].content, st[0][1].content),
                                fmax(relative(st[0][0].adversarial, st[0][1].adversarial),
                                     relative(st[0][0].d_loss, st[0][1].d_loss)));
                char what[200];
                g_snprintf(what, sizeof what, "%s step, default (2 workers) vs reference: "
                           "losses %.1e, generator gradient %.1e, discriminator gradient %.1e",
                           phase == PHASE_SRGAN ? "srgan" : "srresnet", l, g_gen, g_disc);
                if (!check(l <= 1e-4 && g_gen <= 1e-3 && g_disc <= 1e-3, what))
                    goto fail;
            }
        }
    double l = fmax(relative(st[1][0].content, st[1][1].content),
                    fmax(relative(st[1][0].adversarial, st[1][1].adversarial),
                         relative(st[1][0].d_loss, st[1][1].d_loss)));
    char what[160];
    g_snprintf(what, sizeof what, "%s: after 3 more steps the losses still agree (%.1e: "
               "content %.6f/%.6f, D %.6f/%.6f)", phase == PHASE_SRGAN ? "srgan" : "srresnet", l,
               st[1][0].content, st[1][1].content, st[1][0].d_loss, st[1][1].d_loss);
    gboolean ok = check(l <= 1e-2, what);
    conv2d_set_reference(FALSE);
    train_set_threads(1);
    trainer_free(t[0]);
    trainer_free(t[1]);
    return ok;
fail:
    conv2d_set_reference(FALSE);
    train_set_threads(1);
    trainer_free(t[0]);
    trainer_free(t[1]);
    return FALSE;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-photos") == 0) {
        g_free(synthesize_photos_in(argv[2]));
        return 0;
    }
    tmpdir = g_dir_make_tmp("srgan-train-test-XXXXXX", NULL);
    g_autofree char *photo_dir = NULL;
    if (argc > 1 && g_file_test(argv[1], G_FILE_TEST_IS_DIR))
        photo_dir = g_strdup(argv[1]);
    else
        photo_dir = synthesize_photos();
    printf("photos from %s\n", photo_dir);
    g_autoptr(GError) error = NULL;
    PhotoSet *photos = photo_set_load(photo_dir, 64, 0, &error);
    if (!photos) {
        printf("FAIL %s\n", error->message);
        return 1;
    }
    /* --max-side: every photo shrunk by the smallest integer factor that fits */
    PhotoSet *shrunk = photo_set_load(photo_dir, 16, 100, &error);
    gboolean fits = shrunk && shrunk->photos->len == photos->photos->len;
    for (guint i = 0; fits && i < photos->photos->len; i++) {
        const Photo *a = g_ptr_array_index(photos->photos, i);
        const Photo *b = g_ptr_array_index(shrunk->photos, i);
        int f = (MAX(a->width, a->height) + 99) / 100;
        fits = b->width == (a->width + f - 1) / f && b->height == (a->height + f - 1) / f &&
               MAX(b->width, b->height) <= 100;
    }
    check(fits, "photos larger than max_side are shrunk by an integer factor to fit");
    photo_set_free(shrunk);

    g_autofree char *ckpt = tmp_path("srresnet.ckpt");
    g_autofree char *model = tmp_path("model.safetensors");
    gboolean ok = fits;
    ok &= run_srresnet(photos, ckpt, model);
    ok &= check_other_exports(photos);
    ok &= run_srgan(photos, ckpt);
    ok &= run_resume(photos);
    ok &= run_fast_equals_reference(photos, PHASE_SRRESNET);
    ok &= run_fast_equals_reference(photos, PHASE_SRGAN);
    photo_set_free(photos);

    /* clean up the temporary folder */
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = tmp_path(name);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            GDir *sub = g_dir_open(path, 0, NULL);
            const char *s;
            while (sub && (s = g_dir_read_name(sub))) {
                g_autofree char *sp = g_build_filename(path, s, NULL);
                g_unlink(sp);
            }
            if (sub)
                g_dir_close(sub);
            g_rmdir(path);
        } else {
            g_unlink(path);
        }
    }
    if (d)
        g_dir_close(d);
    g_rmdir(tmpdir);
    printf(ok ? "trainer end-to-end test passed\n" : "TRAINER END-TO-END TEST FAILED\n");
    return ok ? 0 : 1;
}
