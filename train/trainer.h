/* trainer.h — one training run: the networks, optimisers, data and the
 * step of each phase of the paper's recipe (Ledig et al. 2017, sec. 3.2):
 *
 *   srresnet: generator alone, content loss only (MSE, or VGG φ(i,j));
 *   srgan:    generator initialised from an SRResNet, alternating with the
 *             discriminator; generator loss = content + adv_weight·(−log D(G(x)))
 *             with content = VGG φ(5,4) by default (SRGAN-VGG54).
 */
#ifndef TRAIN_TRAINER_H
#define TRAIN_TRAINER_H

#include "adam.h"
#include "discriminator.h"
#include "generator.h"
#include "photos.h"
#include "vgg.h"

typedef enum { PHASE_SRRESNET, PHASE_SRGAN } TrainPhase;
typedef enum { CONTENT_MSE, CONTENT_VGG22, CONTENT_VGG54 } ContentLoss;

typedef struct {
    TrainPhase phase;
    GeneratorConfig gen;
    DiscriminatorConfig disc;   /* srgan phase only */
    int batch;                  /* 16 in the paper */
    int crop;                   /* HR crop side, 96 in the paper */
    ContentLoss content;
    float lr;                   /* 1e-4 */
    gint64 lr_decay_step;       /* from this step on lr/10 (0: never) */
    float adv_weight;           /* 1e-3 */
    guint64 seed;
} TrainOptions;

typedef struct {
    double content;             /* MSE or VGG loss of the generator */
    double adversarial;         /* −log D(G(x)), srgan phase */
    double d_loss;              /* discriminator BCE, srgan phase */
    double d_real, d_fake;      /* mean D(x) on real and generated crops */
} StepStats;

typedef struct {
    TrainOptions opt;
    Generator *gen;
    Discriminator *disc;        /* NULL in the srresnet phase */
    Vgg *vgg;                   /* NULL for the MSE content loss; owned */
    Adam adam_g, adam_d;
    Rng data_rng;               /* crops and augmentation: checkpointed */
    gint64 step;                /* steps done */
    const PhotoSet *photos;     /* borrowed */
    Tensor lr, hr, grad_sr, grad_adv, dlogits;
} Trainer;

/* Builds randomly initialised networks (seeded by opt->seed).  Takes
 * ownership of vgg (may be NULL when content is MSE). */
Trainer *trainer_new(const TrainOptions *opt, const PhotoSet *photos, Vgg *vgg,
                     GError **error);
void trainer_free(Trainer *trainer);
float trainer_learning_rate(const Trainer *trainer);
/* One optimisation step on a fresh batch. */
void trainer_step(Trainer *trainer, StepStats *stats);
/* Mean PSNR (dB, 8-bit RGB, `scale` pixels shaved at the borders) of the
 * generator in evaluation mode on the centre squares (≤ max_side) of the
 * photos of `val`; *bicubic gets the same for MATLAB-style bicubic
 * upscaling of the same LR, the baseline to beat. */
double trainer_validate(Trainer *trainer, const PhotoSet *val, int max_side,
                        double *bicubic);

#endif
