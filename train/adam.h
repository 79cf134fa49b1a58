/* adam.h — Adam (Kingma & Ba 2015) with bias correction; the paper uses
 * β1 = 0.9 (β2 = 0.999 and ε = 1e-8 are the usual defaults). */
#ifndef TRAIN_ADAM_H
#define TRAIN_ADAM_H

#include "tensor.h"

typedef struct {
    float beta1, beta2, eps;
    gint64 t;           /* updates done so far; saved in checkpoints */
} Adam;

void adam_init(Adam *adam);
/* One update of every trainable parameter of `params` from its grad. */
void adam_step(Adam *adam, ParamList *params, float lr);

#endif
