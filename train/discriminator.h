/* discriminator.h — the SRGAN discriminator (Ledig et al. 2017, fig. 4):
 * eight conv3×3 layers, channels base·{1,1,2,2,4,4,8,8} (base 64: 64→512),
 * stride 2 on every second one, BatchNorm on all but the first,
 * LeakyReLU(0.2); dense 1024, LeakyReLU(0.2), dense 1.  It returns the
 * logit; the sigmoid lives in the loss (bce_logits_loss) for stability. */
#ifndef TRAIN_DISCRIMINATOR_H
#define TRAIN_DISCRIMINATOR_H

#include "layers.h"

#define DISC_CONVS 8

typedef struct {
    int base_channels;  /* 64 in the paper */
    int dense;          /* 1024 in the paper */
    int crop;           /* HR crop side the dense layer is sized for */
    float leak;         /* LeakyReLU slope, 0.2 in the paper */
} DiscriminatorConfig;

typedef struct {
    DiscriminatorConfig config;
    ParamList params;
    Conv2d conv[DISC_CONVS];
    BatchNorm2d bn[DISC_CONVS];     /* bn[0] unused */
    Dense fc1, fc2;
    int final_c, final_h, final_w;

    const Tensor *input;
    Tensor conv_out[DISC_CONVS], act[DISC_CONVS];
    Tensor flat, fc1_out, fc1_act, logits;
    Tensor grad_a, grad_b;
    Scratch scratch;
} Discriminator;

Discriminator *discriminator_new(const DiscriminatorConfig *config);
void discriminator_free(Discriminator *disc);
void discriminator_randomize(Discriminator *disc, Rng *rng);
/* image: (3, N, crop, crop) in [−1, 1] → logits (1, N, 1, 1). */
const Tensor *discriminator_forward(Discriminator *disc, const Tensor *image);
/* Writes d(loss)/d(image) into din when non-NULL; adds the parameter
 * gradients when param_grads (the generator's step only needs din, and
 * skipping the convolutions' weight gradients saves a third of the pass). */
void discriminator_backward(Discriminator *disc, const Tensor *dlogits, Tensor *din,
                            gboolean param_grads);

#endif
