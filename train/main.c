/* main.c — srgan-train: command line, the training loop, progress, periodic
 * validation and checkpoints, and a clean stop on SIGINT/SIGTERM (the
 * handler only sets a flag; the loop saves a checkpoint after the step in
 * progress and exits with status 130). */
#include "checkpoint.h"
#include "layers.h"
#include "parallel.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    char *phase, *data, *val, *checkpoint, *init, *export_path, *content, *vgg;
    gboolean resume, export_only, shared_prelu, reference_kernels;
    gint64 steps, lr_decay_step, checkpoint_every, val_every, log_every, seed;
    int batch, crop, scale, blocks, channels, d_channels, d_dense, val_side, threads, max_side;
    double lr, adv_weight;
} Args;

/* The option strings, freed on every way out of main() (g_auto). */
static void args_clear(Args *a)
{
    g_free(a->phase);
    g_free(a->data);
    g_free(a->val);
    g_free(a->checkpoint);
    g_free(a->init);
    g_free(a->export_path);
    g_free(a->content);
    g_free(a->vgg);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Args, args_clear)

static GOptionEntry *option_entries(Args *a)
{
    GOptionEntry entries[] = {
        {"phase", 0, 0, G_OPTION_ARG_STRING, &a->phase, "srresnet (MSE pre-training, default) or srgan", "PHASE"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &a->data, "folder of PNG/JPEG training photos", "DIR"},
        {"max-side", 0, 0, G_OPTION_ARG_INT, &a->max_side, "shrink training photos larger than this by an integer factor (bicubic) when loading (default: keep)", "PX"},
        {"val", 0, 0, G_OPTION_ARG_FILENAME, &a->val, "folder of held-out photos for validation PSNR", "DIR"},
        {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &a->checkpoint, "checkpoint file (default srgan-train.ckpt)", "FILE"},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &a->resume, "continue from --checkpoint", NULL},
        {"init", 0, 0, G_OPTION_ARG_FILENAME, &a->init, "srgan phase: start the generator from this SRResNet checkpoint or export", "FILE"},
        {"export", 0, 0, G_OPTION_ARG_FILENAME, &a->export_path, "write the generator for libsrgan here at each checkpoint and at the end", "FILE"},
        {"export-only", 0, 0, G_OPTION_ARG_NONE, &a->export_only, "export --checkpoint to --export and exit", NULL},
        {"steps", 0, 0, G_OPTION_ARG_INT64, &a->steps, "total steps (default 100000)", "N"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &a->batch, "crops per step (default 16)", "N"},
        {"crop", 0, 0, G_OPTION_ARG_INT, &a->crop, "HR crop side (default 96)", "PX"},
        {"scale", 0, 0, G_OPTION_ARG_INT, &a->scale, "2, 4 (default) or 8", "S"},
        {"blocks", 0, 0, G_OPTION_ARG_INT, &a->blocks, "residual blocks (default 16)", "B"},
        {"channels", 0, 0, G_OPTION_ARG_INT, &a->channels, "feature channels (default 64)", "C"},
        {"shared-prelu", 0, 0, G_OPTION_ARG_NONE, &a->shared_prelu, "one PReLU slope per layer instead of one per channel", NULL},
        {"d-channels", 0, 0, G_OPTION_ARG_INT, &a->d_channels, "discriminator's first width (default 64)", "C"},
        {"d-dense", 0, 0, G_OPTION_ARG_INT, &a->d_dense, "discriminator's dense width (default 1024)", "N"},
        {"content", 0, 0, G_OPTION_ARG_STRING, &a->content, "mse, vgg22 or vgg54 (default: mse for srresnet, vgg54 for srgan)", "LOSS"},
        {"vgg", 0, 0, G_OPTION_ARG_FILENAME, &a->vgg, "VGG19 weights (train/convert-vgg19.py)", "FILE"},
        {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &a->lr, "Adam learning rate (default 1e-4)", "LR"},
        {"lr-decay-step", 0, 0, G_OPTION_ARG_INT64, &a->lr_decay_step, "from this step on lr/10 (default: half way for srgan, never for srresnet; -1 never)", "N"},
        {"adv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &a->adv_weight, "adversarial loss weight (default 1e-3)", "W"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &a->seed, "random seed (default 1)", "N"},
        {"checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &a->checkpoint_every, "steps between checkpoints (default 1000)", "N"},
        {"val-every", 0, 0, G_OPTION_ARG_INT64, &a->val_every, "steps between validations (default 1000)", "N"},
        {"val-side", 0, 0, G_OPTION_ARG_INT, &a->val_side, "largest validation crop side (default 256)", "PX"},
        {"log-every", 0, 0, G_OPTION_ARG_INT64, &a->log_every, "steps between progress lines (default 10)", "N"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &a->threads, "worker threads (default: all cores)", "N"},
        {"reference-kernels", 0, 0, G_OPTION_ARG_NONE, &a->reference_kernels, "one thread, im2col + sgemm for every convolution (slow; for comparisons)", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    return g_memdup2(entries, sizeof entries);
}

static void format_duration(double seconds, char *buf, size_t size)
{
    if (seconds < 0 || seconds > 1e9) {
        g_snprintf(buf, size, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        g_snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else
        g_snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
}

static gboolean save(const Trainer *t, const Args *a, GError **error)
{
    if (!checkpoint_save(t, a->checkpoint, error))
        return FALSE;
    if (a->export_path) {
        g_autofree char *source = g_strdup_printf("srgan-train, %s phase, step %" G_GINT64_FORMAT,
                                                  t->opt.phase == PHASE_SRGAN ? "srgan" : "srresnet",
                                                  t->step);
        if (!export_generator(t->gen, a->export_path, source, error))
            return FALSE;
    }
    return TRUE;
}

static int fail(GError *error)
{
    g_printerr("srgan-train: %s\n", error->message);
    g_error_free(error);
    return 1;
}

int main(int argc, char **argv)
{
    g_auto(Args) a = {.steps = 100000, .batch = 16, .crop = 96, .scale = 4, .blocks = 16,
              .channels = 64, .d_channels = 64, .d_dense = 1024, .lr = 1e-4,
              .lr_decay_step = 0, .adv_weight = 1e-3, .seed = 1, .checkpoint_every = 1000,
              .val_every = 1000, .val_side = 256, .log_every = 10};
    g_autofree GOptionEntry *entries = option_entries(&a);
    GOptionContext *ctx = g_option_context_new("- train an SRResNet/SRGAN generator for libsrgan");
    g_option_context_set_summary(ctx,
        "The recipe of Ledig et al. 2017: --phase srresnet (MSE) first, then\n"
        "--phase srgan --init <srresnet checkpoint> --vgg vgg19.safetensors.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_option_context_free(ctx);
        return fail(error);
    }
    g_option_context_free(ctx);
    if (!a.checkpoint)
        a.checkpoint = g_strdup("srgan-train.ckpt");
    /* The trainer's own workers split every convolution by image; BLAS
     * inside them runs on one thread, or its threads would spin beside
     * ours on the same cores. */
    openblas_set_num_threads(1);
    train_set_threads(a.threads);
    if (a.reference_kernels)
        conv2d_set_reference(TRUE);

    TrainOptions opt = {0};
    if (!a.phase || strcmp(a.phase, "srresnet") == 0)
        opt.phase = PHASE_SRRESNET;
    else if (strcmp(a.phase, "srgan") == 0)
        opt.phase = PHASE_SRGAN;
    else
        return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "--phase %s: expected srresnet or srgan", a.phase));
    opt.gen = (GeneratorConfig){a.scale, a.blocks, a.channels,
                                a.shared_prelu ? 1 : a.channels};
    opt.disc = (DiscriminatorConfig){a.d_channels, a.d_dense, a.crop, 0.2f};
    opt.batch = a.batch;
    opt.crop = a.crop;
    opt.lr = (float)a.lr;
    opt.adv_weight = (float)a.adv_weight;
    opt.seed = (guint64)a.seed;

    TrainPhase asked = opt.phase;
    if ((a.resume || a.export_only) &&
        !checkpoint_read_options(a.checkpoint, &opt, &error))
        return fail(error);
    if (a.resume && a.phase && asked != opt.phase)
        return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "%s is a %s checkpoint; --resume continues it in that phase "
                                "(to start the srgan phase from an SRResNet, use --init)",
                                a.checkpoint, opt.phase == PHASE_SRGAN ? "srgan" : "srresnet"));
    if (a.export_only) {
        if (!a.export_path)
            return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                    "--export-only needs --export FILE"));
        Generator *gen = generator_new(&opt.gen);
        Trainer shell = {.opt = opt, .gen = gen};
        gboolean ok = checkpoint_init_generator(&shell, a.checkpoint, &error) &&
                      export_generator(gen, a.export_path, "srgan-train export", &error);
        generator_free(gen);
        if (!ok)
            return fail(error);
        printf("exported %s to %s\n", a.checkpoint, a.export_path);
        return 0;
    }

    if (!a.content)
        opt.content = opt.phase == PHASE_SRGAN ? CONTENT_VGG54 : CONTENT_MSE;
    else if (strcmp(a.content, "mse") == 0)
        opt.content = CONTENT_MSE;
    else if (strcmp(a.content, "vgg22") == 0)
        opt.content = CONTENT_VGG22;
    else if (strcmp(a.content, "vgg54") == 0)
        opt.content = CONTENT_VGG54;
    else
        return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "--content %s: expected mse, vgg22 or vgg54", a.content));
    if (a.lr_decay_step < 0)
        opt.lr_decay_step = 0;
    else if (a.lr_decay_step > 0)
        opt.lr_decay_step = a.lr_decay_step;
    else
        opt.lr_decay_step = opt.phase == PHASE_SRGAN ? a.steps / 2 : 0;
    if (a.batch < 1 || a.steps < 0 || a.checkpoint_every < 1 || a.val_every < 1 ||
        a.log_every < 1 || a.val_side < 16 || a.max_side < 0)
        return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "--batch, --checkpoint-every, --val-every and --log-every "
                                "must be positive, --val-side at least 16"));
    if (!a.data)
        return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "--data DIR is required (a folder of PNG/JPEG photos)"));
    if (opt.phase == PHASE_SRGAN && !a.init && !a.resume)
        g_printerr("srgan-train: warning: srgan phase without --init: the paper starts "
                   "from a trained SRResNet\n");

    Vgg *vgg = NULL;
    if (opt.content != CONTENT_MSE) {
        if (!a.vgg)
            return fail(g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                    "--content vgg22/vgg54 needs --vgg FILE "
                                    "(see train/convert-vgg19.py)"));
        vgg = vgg_load(a.vgg, opt.content == CONTENT_VGG22 ? "22" : "54", &error);
        if (!vgg)
            return fail(error);
    }
    PhotoSet *photos = photo_set_load(a.data, opt.crop, a.max_side, &error);
    if (!photos) {
        vgg_free(vgg);
        return fail(error);
    }
    PhotoSet *val = NULL;
    if (a.val) {
        val = photo_set_load(a.val, 8 * opt.gen.scale, 0, &error);
        if (!val) {
            vgg_free(vgg);
            photo_set_free(photos);
            return fail(error);
        }
    }
    printf("srgan-train: %u training photos (%.0f MB), %u validation photos\n",
           photos->photos->len, photos->bytes / 1e6, val ? val->photos->len : 0);

    Trainer *t = trainer_new(&opt, photos, vgg, &error);
    int status = 0;
    if (!t) {
        vgg_free(vgg);
        status = fail(error);
        goto out;
    }
    if (a.resume) {
        if (!checkpoint_restore(t, a.checkpoint, &error)) {
            status = fail(error);
            goto out;
        }
        printf("resumed %s at step %" G_GINT64_FORMAT "\n", a.checkpoint, t->step);
    } else if (a.init) {
        if (!checkpoint_init_generator(t, a.init, &error)) {
            status = fail(error);
            goto out;
        }
        printf("generator initialised from %s\n", a.init);
    }
    printf("generator: x%d, %d blocks, %d channels, %zu parameters%s\n", opt.gen.scale,
           opt.gen.blocks, opt.gen.channels, param_list_count(&t->gen->params, TRUE),
           t->disc ? "" : "; phase srresnet");
    if (t->disc)
        printf("discriminator: %zu parameters; content loss %s, adversarial weight %g\n",
               param_list_count(&t->disc->params, TRUE),
               opt.content == CONTENT_MSE ? "MSE" : opt.content == CONTENT_VGG22 ? "VGG22" : "VGG54",
               opt.adv_weight);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    gint64 start_step = t->step;
    gint64 start_time = g_get_monotonic_time();
    double content_sum = 0, adv_sum = 0, d_sum = 0;
    double val_psnr = 0, val_bicubic = 0;   /* the last validation, 0: none yet */
    /* A terminal gets one status line updated in place; a file or pipe
     * gets plain lines every --log-every steps (what a log wants). */
    const gboolean on_terminal = isatty(fileno(stdout));
    int logged = 0;
    while (t->step < a.steps && !stop_requested) {
        StepStats st;
        trainer_step(t, &st);
        content_sum += st.content;
        adv_sum += st.adversarial;
        d_sum += st.d_loss;
        logged++;
        double elapsed = (g_get_monotonic_time() - start_time) / 1e6;
        double rate = (t->step - start_step) / fmax(elapsed, 1e-9);
        char eta[32], last_val[64] = "";
        format_duration((a.steps - t->step) / fmax(rate, 1e-9), eta, sizeof eta);
        if (val_psnr > 0)
            g_snprintf(last_val, sizeof last_val, "  val %.2f dB (bicubic %.2f)",
                       val_psnr, val_bicubic);
        if (on_terminal) {
            /* one line, redrawn in place every step (steps take tenths
             * of a second at least, so this is not a flood) */
            printf("\r\033[Kstep %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  content %.5f",
                   t->step, a.steps, st.content);
            if (t->disc)
                printf("  adv %.4f  D %.4f", st.adversarial, st.d_loss);
            printf("  %.3f step/s  ETA %s%s", rate, eta, last_val);
            fflush(stdout);
        } else if (t->step % a.log_every == 0 || t->step == a.steps) {
            printf("step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  content %.5f", t->step,
                   a.steps, content_sum / logged);
            if (t->disc)
                printf("  adv %.4f  D %.4f (D(real) %.2f D(fake) %.2f)", adv_sum / logged,
                       d_sum / logged, st.d_real, st.d_fake);
            printf("  lr %.0e  %.3f step/s  ETA %s%s\n", trainer_learning_rate(t), rate, eta,
                   last_val);
            fflush(stdout);
        }
        if (t->step % a.log_every == 0 || t->step == a.steps) {
            content_sum = adv_sum = d_sum = 0;
            logged = 0;
        }
        if (val && (t->step % a.val_every == 0 || t->step == a.steps)) {
            val_psnr = trainer_validate(t, val, a.val_side, &val_bicubic);
            /* a line of its own too, so the curve stays in the scrollback
             * (the status line is cleared first and redrawn next step) */
            printf("%sstep %" G_GINT64_FORMAT "  validation PSNR %.3f dB (bicubic %.3f dB, %u photos)\n",
                   on_terminal ? "\r\033[K" : "", t->step, val_psnr, val_bicubic,
                   val->photos->len);
            fflush(stdout);
        }
        if (t->step % a.checkpoint_every == 0 && t->step < a.steps) {
            if (!save(t, &a, &error)) {
                status = fail(error);
                goto out;
            }
        }
    }
    if (on_terminal)
        printf("\n");
    if (!save(t, &a, &error)) {
        status = fail(error);
        goto out;
    }
    if (stop_requested) {
        printf("interrupted: checkpoint saved to %s at step %" G_GINT64_FORMAT
               "; continue with --resume\n", a.checkpoint, t->step);
        status = 130;
    } else {
        printf("done: %" G_GINT64_FORMAT " steps; checkpoint %s%s%s\n", t->step, a.checkpoint,
               a.export_path ? ", model " : "", a.export_path ? a.export_path : "");
    }
out:
    trainer_free(t);
    photo_set_free(photos);
    photo_set_free(val);
    return status;
}
