/* conv-wgrad.h — weight gradients of 3×3 stride-1 convolutions by
 * Winograd F(4×4, 3×3) (conv-wgrad.c), for conv2d.c. */
#ifndef TRAIN_CONV_WGRAD_H
#define TRAIN_CONV_WGRAD_H

#include "layers.h"

/* Whether conv_wgrad() can take this layer; core_winograd: the core runs
 * its F(4×4, 3×3) AVX2 kernel on this CPU (whose transforms it uses). */
gboolean conv_wgrad_applies(const Conv2d *conv, gboolean core_winograd);
/* conv->weight->grad += d(loss)/dW for the batch, from the layer's input
 * and output gradient (CNHW); scratch: the network's, worker_scratch: one
 * per worker (parallel.h). */
void conv_wgrad(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                Scratch *scratch, Scratch *worker_scratch);

#endif
