/* bench-train.c — seconds per training step of the paper-size networks
 * (16 blocks, 64 channels, batch 16 of 96×96 crops, ×4; discriminator 64→512
 * with dense 1024; VGG19 φ(5,4) at full width with random weights), for
 * the closing note of issue 6.  Not a test: `meson test --benchmark
 * --suite trainer` or run it by hand:
 *   bench-train PHOTO_DIR [srresnet|srgan|both] [steps] [threads]
 * threads (default: all cores) are the trainer's workers, with OpenBLAS
 * on one thread; with SRGAN_TRAIN_REFERENCE=1 they are OpenBLAS threads
 * instead (the reference path calls sgemm on the whole batch).
 * It prints the median step time and the time per phase of one step. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include <cblas.h>

#include "trainer.h"
#include "layers.h"
#include "parallel.h"

/* CPU seconds of this process: on a loaded machine wall time overstates
 * the step; CPU time / threads is what two idle cores would take. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench(const PhotoSet *photos, TrainPhase phase, int steps, const char *vgg_path)
{
    g_autoptr(GError) error = NULL;
    TrainOptions opt = {0};
    opt.phase = phase;
    opt.gen = (GeneratorConfig){4, 16, 64, 64};
    opt.disc = (DiscriminatorConfig){64, 1024, 96, 0.2f};
    opt.batch = 16;
    opt.crop = 96;
    opt.content = phase == PHASE_SRGAN ? CONTENT_VGG54 : CONTENT_MSE;
    opt.lr = 1e-4f;
    opt.adv_weight = 1e-3f;
    opt.seed = 1;
    Vgg *vgg = phase == PHASE_SRGAN ? vgg_load(vgg_path, "54", &error) : NULL;
    Trainer *t = trainer_new(&opt, photos, vgg, &error);
    if (!t) {
        g_printerr("%s\n", error->message);
        return;
    }
    double *times = g_new(double, steps), *cpu = g_new(double, steps);
    StepStats st;
    trainer_step(t, &st);   /* warm-up: allocations */
    for (int i = 0; i < steps; i++) {
        gint64 t0 = g_get_monotonic_time();
        double c0 = cpu_seconds();
        trainer_step(t, &st);
        times[i] = (g_get_monotonic_time() - t0) / 1e6;
        cpu[i] = cpu_seconds() - c0;
        printf("  step %d: %.2f s wall, %.2f s CPU\n", i + 1, times[i], cpu[i]);
        fflush(stdout);
    }
    qsort(times, steps, sizeof(double), compare_double);
    qsort(cpu, steps, sizeof(double), compare_double);
    double median = times[steps / 2];
    printf("%s phase, batch 16 of 96x96, paper-size nets: median %.2f s/step wall "
           "(%.2f s CPU) = %.3f steps/s; 1e5 steps = %.1f days\n",
           phase == PHASE_SRGAN ? "srgan (VGG54 + D)" : "srresnet (MSE)",
           median, cpu[steps / 2], 1.0 / median, median * 1e5 / 86400.0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak resident memory so far: %.0f MB\n", ru.ru_maxrss / 1024.0);
    g_free(times);
    g_free(cpu);
    trainer_free(t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        g_printerr("usage: bench-train PHOTO_DIR [srresnet|srgan|both] [steps]\n");
        return 2;
    }
    const char *which = argc > 2 ? argv[2] : "both";
    int steps = argc > 3 ? atoi(argv[3]) : 3;
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    if (threads <= 0)
        threads = (int)g_get_num_processors();
    if (conv2d_reference()) {
        openblas_set_num_threads(threads);
        train_set_threads(1);
    } else {
        openblas_set_num_threads(1);
        train_set_threads(threads);
    }
    printf("%s kernels, %d thread(s)\n", conv2d_reference() ? "reference" : "fast", threads);
    g_autoptr(GError) error = NULL;
    PhotoSet *photos = photo_set_load(argv[1], 96, 0, &error);
    if (!photos) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    g_autofree char *dir = g_dir_make_tmp("srgan-bench-XXXXXX", NULL);
    g_autofree char *vgg = g_build_filename(dir, "vgg19-random.safetensors", NULL);
    if (strcmp(which, "srresnet") != 0 && !vgg_write_random(vgg, 64, 1, &error)) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    if (strcmp(which, "srgan") != 0)
        bench(photos, PHASE_SRRESNET, steps, vgg);
    if (strcmp(which, "srresnet") != 0)
        bench(photos, PHASE_SRGAN, steps, vgg);
    g_unlink(vgg);
    g_rmdir(dir);
    photo_set_free(photos);
    return 0;
}
