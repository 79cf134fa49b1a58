/* losses.h — the training losses and their gradients (Ledig et al. 2017,
 * eq. 3–6).  Each returns the loss and writes d(loss)/d(input) scaled by
 * `weight` into `grad` (which must already have the input's shape when
 * `accumulate` is TRUE, and is then added to). */
#ifndef TRAIN_LOSSES_H
#define TRAIN_LOSSES_H

#include "tensor.h"

/* mean((a − b)²) over every element; the gradient is with respect to a. */
double mse_loss(const Tensor *a, const Tensor *b, float weight,
                Tensor *grad, gboolean accumulate);

/* Binary cross-entropy on logits z (one per sample, a (1, N, 1, 1) tensor):
 * mean over samples of −[t·log σ(z) + (1 − t)·log(1 − σ(z))], computed as
 * softplus so that confident logits do not overflow.  target 1 gives the
 * generator's adversarial loss −log D(G(x)); the discriminator's loss is
 * the target-1 loss on real crops plus the target-0 loss on generated ones. */
double bce_logits_loss(const Tensor *logits, float target, float weight,
                       Tensor *grad, gboolean accumulate);

#endif
