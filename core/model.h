/* model.h — the in-memory generator (private to libsrgan).
 *
 * The loader (model-load.c) fills this from a safetensors file: tensors are
 * converted from PyTorch's (out, in, kh, kw) to the kernels' (kh, kw, in,
 * out) layout, BatchNorm is folded into the preceding convolution, and
 * PReLU slopes are attached to the convolution they follow.  Once loaded a
 * model never changes, so threads share it freely.
 */
#ifndef SRGAN_MODEL_H
#define SRGAN_MODEL_H

#include "srgan.h"
#include "conv.h"

typedef enum {
    SRGAN_TAIL_CONV_BN,     /* paper: conv3×3 + BN, then + long skip */
    SRGAN_TAIL_CONV_PRELU,  /* leftthomas weights: conv3×3 + PReLU, then + long skip */
} SrganTail;

typedef enum {
    SRGAN_OUTPUT_IDENTITY,  /* network output is the [0,1] image */
    SRGAN_OUTPUT_TANH,      /* image = (tanh(x) + 1) / 2 */
} SrganOutput;

#define SRGAN_MAX_BLOCKS 32
#define SRGAN_MAX_STAGES 3   /* 8× */

typedef struct {
    SrganConv conv1;        /* 3×3 C→C, BN folded, PReLU attached */
    SrganConv conv2;        /* 3×3 C→C, BN folded, no activation; + block input */
} SrganResBlock;

struct _SrganModel {
    gint ref_count;
    int scale;              /* 2, 4 or 8 */
    int n_stages;           /* log2(scale) */
    int n_blocks;
    int channels;
    SrganTail tail;
    SrganOutput output;
    float input_lo, input_hi;   /* the network sees lo + (hi-lo)*pixel */

    SrganConv head;             /* 9×9 3→C + PReLU */
    SrganResBlock *blocks;      /* n_blocks of them */
    SrganConv body;             /* 3×3 C→C (+BN folded | +PReLU); + head output */
    /* 3×3 C→4C; pixel shuffle ×2 follows.  PyTorch's PixelShuffle maps conv
     * channel c*4 + i*2 + j to output channel c at offset (i, j); per-channel
     * PReLU slopes are expanded to the 4C conv channels so the activation
     * can run before the shuffle. */
    SrganConv up[SRGAN_MAX_STAGES];
    SrganConv out;              /* 9×9 C→3, no activation */

    GHashTable *metadata;       /* char* → char*, from __metadata__ */
};

/* An empty model of the given shape with zeroed, allocated tensors (and
 * prelu arrays of prelu_count slopes): tests and the trainer fill it. */
SrganModel *srgan_model_new_empty(int scale, int n_blocks, int channels,
                                  int prelu_count, SrganTail tail,
                                  SrganOutput output);

/* Calls srgan_conv_prepare() on every convolution (after filling weights). */
void srgan_model_prepare(SrganModel *model);

#endif
