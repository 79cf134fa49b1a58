/* conv-s2.h — 3×3 stride-2 convolutions (pad 1) by a direct AVX2 + FMA
 * kernel, forward and input gradient (conv-s2.c), for conv2d.c.  The
 * tensors are CNHW; the work is spread over the trainer's workers. */
#ifndef TRAIN_CONV_S2_H
#define TRAIN_CONV_S2_H

#include "layers.h"

/* Whether the layer's forward pass (input_gradient FALSE) or its input
 * gradient can run here: 3×3, stride 2, and 16 | cout (forward) or
 * 16 | cin (input gradient). */
gboolean conv_s2_applies(const Conv2d *conv, gboolean input_gradient);
/* The kernel's layout of the layer's weights, 9·cin·cout floats; the
 * output channels are cut into `parts`, of which this fills `part`, so
 * that workers can share it. */
void conv_s2_pack(const Conv2d *conv, gboolean input_gradient, int part, int parts,
                  float *packed);
/* out = the layer (bias included) applied to in. */
void conv_s2_forward(const Conv2d *conv, const float *packed, const Tensor *in, Tensor *out,
                     Scratch *worker_scratch);
/* din (cin channels, h × w: the layer's input size) = d(loss)/d(in) for
 * the output gradient dout. */
void conv_s2_input_gradient(const Conv2d *conv, const float *packed, const Tensor *dout,
                            Tensor *din, int h, int w, Scratch *worker_scratch);

#endif
