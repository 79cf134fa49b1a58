/* generator.h — the SRResNet generator (Ledig et al. 2017, fig. 4) with
 * forward and backward passes for training.  Parameter names are exactly
 * the tensor names of weights/FORMAT.md, so export writes them as they are.
 *
 * The trained variant is the paper's: BatchNorm in the residual blocks, a
 * conv3×3 + BN tail before the long skip, PReLU per channel (or shared),
 * and a tanh output that approximates HR scaled to [−1, 1] from LR in
 * [0, 1] (metadata output=tanh, input_range=0,1).
 */
#ifndef TRAIN_GENERATOR_H
#define TRAIN_GENERATOR_H

#include "layers.h"

typedef struct {
    int scale;          /* 2, 4 or 8 */
    int blocks;         /* residual blocks, 1–32 (paper: 16) */
    int channels;       /* feature channels, 8–256 (paper: 64) */
    int prelu_count;    /* 1 = shared slopes, else = channels (paper) */
} GeneratorConfig;

typedef struct {
    Conv2d conv1, conv2;
    BatchNorm2d bn1, bn2;
    PReLU prelu;
    /* activations of the last forward, kept for backward */
    Tensor c1, b1, p1, c2, out;
} GenBlock;

typedef struct {
    GeneratorConfig config;
    int stages;             /* log2(scale) */
    ParamList params;

    Conv2d head;            /* 9×9, 3 → C */
    PReLU head_prelu;
    GenBlock *blocks;
    Conv2d body;            /* 3×3, C → C */
    BatchNorm2d body_bn;
    Conv2d up[3];           /* 3×3, C → 4C, then shuffle ×2, then PReLU */
    PReLU up_prelu[3];
    Conv2d tail;            /* 9×9, C → 3, then tanh */

    /* activations of the last forward */
    const Tensor *input;    /* borrowed: must live until backward */
    Tensor head_out, head_act, body_out, body_bn_out, skip_sum;
    Tensor up_out[3], up_shuffled[3], up_act[3];
    Tensor tail_out, output;
    /* gradients flowing back, reused between calls */
    Tensor grad_a, grad_b, grad_skip;
    Scratch scratch;
} Generator;

/* FALSE with a message for a configuration the core could not load. */
gboolean generator_config_check(const GeneratorConfig *config, GError **error);
Generator *generator_new(const GeneratorConfig *config);
void generator_free(Generator *gen);
void generator_randomize(Generator *gen, Rng *rng);

/* lr: (3, N, h, w) in [0, 1].  Returns the (3, N, h·s, w·s) output in
 * [−1, 1] (owned by gen).  training: BatchNorm on batch statistics. */
const Tensor *generator_forward(Generator *gen, const Tensor *lr, gboolean training);
/* Adds d(loss)/d(parameters) for d(loss)/d(output) = dout; only after a
 * training forward. */
void generator_backward(Generator *gen, const Tensor *dout);

#endif
