/* layers.h — forward and backward passes of the layers the trainer's three
 * networks (generator, discriminator, VGG19 features) are made of.
 *
 * Conventions: tensors are CNHW (tensor.h).  A forward writes `out`
 * (reshaping it); a backward takes the forward's input (and, where cheaper,
 * its output) plus d(loss)/d(out), ADDS the parameter gradients into
 * Param.grad, and OVERWRITES `din` with d(loss)/d(in).  `din` may be NULL
 * when nobody needs it (the first layer), which skips that work.
 */
#ifndef TRAIN_LAYERS_H
#define TRAIN_LAYERS_H

#include "tensor.h"
#include "rng.h"

/* ---- Convolution: k×k, zero padding k/2, stride 1 or 2 ------------------
 * By default the work is split by image over the trainer's workers
 * (parallel.h) and stride-1 forward and input-gradient passes run on the
 * core's fast kernels where it has one for the shape; the reference mode
 * (one thread, im2col + sgemm over the whole batch) is what the tests
 * compare it with. */
typedef struct Conv2dCache Conv2dCache;

typedef struct {
    int cin, cout, k, stride, pad;
    Param *weight;      /* (cout, cin, k, k) */
    Param *bias;        /* (cout) */
    /* The core kernels last built from weight and bias, reused while
     * those are unchanged (conv2d.c); owned, freed by conv2d_clear(). */
    Conv2dCache *cache;
} Conv2d;

void conv2d_init(Conv2d *conv, ParamList *params, const char *name,
                 int cin, int cout, int k, int stride);
/* The same with weight and bias as buffers (no gradient, no Adam): the
 * frozen VGG19.  Their values must be set before the first forward and
 * not change after it (the prepared kernels are kept without checking). */
void conv2d_init_frozen(Conv2d *conv, ParamList *params, const char *name,
                        int cin, int cout, int k, int stride);
void conv2d_clear(Conv2d *conv);
/* PyTorch's default: U(−1/√fan_in, 1/√fan_in) for weight and bias. */
void conv2d_randomize(Conv2d *conv, Rng *rng);
void conv2d_output_size(const Conv2d *conv, int h, int w, int *ho, int *wo);
void conv2d_forward(const Conv2d *conv, const Tensor *in, Tensor *out,
                    Scratch *scratch);
/* out = LeakyReLU(conv(in)) with that slope (0: ReLU), the activation
 * done in the convolution's epilogue where the core's kernel runs it. */
void conv2d_forward_leaky(const Conv2d *conv, const Tensor *in, Tensor *out,
                          float slope, Scratch *scratch);
/* For layers kept in a layout of their own (vgg-tall.c): out = the core's
 * kernel for LeakyReLU(conv(in)) (input_gradient FALSE) or for the input
 * gradient (TRUE, slope unused) over a "tall" HWC image: the batch's
 * images one under the other, k/2 rows of zeros between them, rows × w
 * pixels in all.  The rows facing the gaps get values too, which the
 * caller clears.  FALSE (nothing done) when the core has no kernel for it
 * or the reference mode is on. */
gboolean conv2d_run_tall(const Conv2d *conv, gboolean input_gradient, float slope,
                         const float *in, int rows, int w, float *out);
/* param_grads FALSE: a frozen layer (VGG), only din is computed. */
void conv2d_backward(const Conv2d *conv, const Tensor *in, const Tensor *dout,
                     Tensor *din, gboolean param_grads, Scratch *scratch);

/* Reference mode on or off for every later call; by default it is on when
 * SRGAN_TRAIN_REFERENCE is set (and not "0") in the environment. */
void conv2d_set_reference(gboolean reference);
gboolean conv2d_reference(void);
/* Which code runs the forward pass (input_gradient FALSE) or the input
 * gradient (TRUE) of this conv now: "reference", "winograd-f43",
 * "winograd-split", "direct" (the core's kernels), "im2col" or "narrow"
 * (threaded im2col + sgemm).  For tests and logs. */
const char *conv2d_path(const Conv2d *conv, gboolean input_gradient);
/* And the weight gradient's: "reference", "winograd-f43-wgrad" (Winograd
 * on the core's transforms, conv-wgrad.c), "im2col" or "narrow". */
const char *conv2d_weight_grad_path(const Conv2d *conv);

/* ---- BatchNorm2d: batch statistics in training, running ones in eval ---- */
typedef struct {
    int c;
    float eps, momentum;    /* 1e-5 and 0.1, PyTorch's defaults */
    Param *gamma, *beta;    /* "<name>.weight", "<name>.bias" */
    Param *running_mean, *running_var;  /* buffers */
    float *mean, *invstd;   /* the last training forward's statistics (c) */
} BatchNorm2d;

void batchnorm_init(BatchNorm2d *bn, ParamList *params, const char *name, int c);
void batchnorm_clear(BatchNorm2d *bn);
/* training TRUE: normalise by this batch's statistics and update the running
 * ones (unbiased variance, as PyTorch); FALSE: use the running ones. */
void batchnorm_forward(BatchNorm2d *bn, const Tensor *in, Tensor *out,
                       gboolean training);
/* Only valid after a training forward on the same `in`. */
void batchnorm_backward(const BatchNorm2d *bn, const Tensor *in,
                        const Tensor *dout, Tensor *din);
/* out = LeakyReLU(BN(in)) with that slope (> 0) in one pass, the
 * discriminator's pair; the normalised values are not kept.  The backward
 * takes that out and d(loss)/d(out). */
void batchnorm_leaky_forward(BatchNorm2d *bn, const Tensor *in, Tensor *out,
                             gboolean training, float slope);
void batchnorm_leaky_backward(const BatchNorm2d *bn, const Tensor *in, const Tensor *out,
                              const Tensor *dout, Tensor *din, float slope);

/* ---- PReLU: one slope per channel, or one shared (count 1) ------------- */
typedef struct {
    int count;
    Param *slope;       /* "<name>.weight" (count), initialised to 0.25 */
} PReLU;

void prelu_init(PReLU *prelu, ParamList *params, const char *name, int count);
void prelu_forward(const PReLU *prelu, const Tensor *in, Tensor *out);
void prelu_backward(const PReLU *prelu, const Tensor *in, const Tensor *dout,
                    Tensor *din);

/* ---- Parameter-free element-wise layers ------------------------------- */
/* LeakyReLU with a fixed slope (0.2 in the discriminator, 0 = ReLU).  The
 * backward works from the output: its sign is the input's. */
void leaky_relu_forward(float slope, const Tensor *in, Tensor *out);
void leaky_relu_backward(float slope, const Tensor *out, const Tensor *dout,
                         Tensor *din);
void tanh_forward(const Tensor *in, Tensor *out);
void tanh_backward(const Tensor *out, const Tensor *dout, Tensor *din);

/* ---- Re-arrangements ------------------------------------------------- */
/* PixelShuffle(2) as PyTorch: in channel c·4 + i·2 + j → out channel c at
 * row offset i, column offset j. */
void pixel_shuffle_forward(const Tensor *in, Tensor *out);
void pixel_shuffle_backward(const Tensor *dout, Tensor *din);
/* MaxPool 2×2, stride 2 (VGG); odd trailing rows/columns are dropped. */
void maxpool_forward(const Tensor *in, Tensor *out);
void maxpool_backward(const Tensor *in, const Tensor *dout, Tensor *din);

/* ---- Dense (fully connected) ----------------------------------------- */
/* Works on (features, samples) = a CNHW tensor with c = features, h = w = 1;
 * dense_flatten turns (C, N, H, W) into that, in PyTorch's (c, h, w) order. */
typedef struct {
    int in, out;
    Param *weight;      /* (out, in) */
    Param *bias;        /* (out) */
} Dense;

void dense_init(Dense *dense, ParamList *params, const char *name, int in, int out);
void dense_randomize(Dense *dense, Rng *rng);
void dense_forward(const Dense *dense, const Tensor *in, Tensor *out);
void dense_backward(const Dense *dense, const Tensor *in, const Tensor *dout,
                    Tensor *din);
void dense_flatten(const Tensor *in, Tensor *out);
void dense_unflatten(const Tensor *dflat, int c, int h, int w, Tensor *din);

#endif
