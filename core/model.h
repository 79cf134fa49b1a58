/* model.h — the in-memory generator (private to libsrgan).
 *
 * A model is its __metadata__ (the SrganSpec: family and shape) plus the
 * operation list its family's builder writes from that spec (net.h).  The
 * loader (model-load.c) then fills each conv of the list from the tensors
 * the conv names: PyTorch's (out, in, kh, kw) weights become the kernels'
 * (kh, kw, in, out), BatchNorm is folded into the conv before it, PReLU
 * slopes are attached.  Once loaded a model never changes, so threads share
 * it freely.
 */
#ifndef SRGAN_MODEL_H
#define SRGAN_MODEL_H

#include "srgan.h"
#include "conv.h"
#include "net.h"

typedef enum {
    SRGAN_FAMILY_SRRESNET,  /* SRGAN's generator (Ledig et al. 2017) */
    SRGAN_FAMILY_RRDBNET,   /* ESRGAN / Real-ESRGAN (Wang et al. 2018, 2021) */
    SRGAN_FAMILY_SRVGG,     /* Real-ESRGAN's SRVGGNetCompact */
} SrganFamily;

typedef enum {
    SRGAN_TAIL_CONV_BN,     /* paper: conv3×3 + BN, then + long skip */
    SRGAN_TAIL_CONV_PRELU,  /* leftthomas weights: conv3×3 + PReLU, then + long skip */
} SrganTail;

typedef enum {
    SRGAN_OUTPUT_IDENTITY,  /* network output is the [0,1] image */
    SRGAN_OUTPUT_TANH,      /* image = (tanh(x) + 1) / 2 */
} SrganOutput;

#define SRGAN_MAX_BLOCKS 32         /* srresnet residual blocks */
#define SRGAN_MAX_DEEP_BLOCKS 64    /* rrdbnet RRDBs, srvgg body convs */

/* The architecture __metadata__ describes (weights/FORMAT.md). */
typedef struct {
    SrganFamily family;
    int scale;              /* 2, 4 or 8 */
    int n_blocks;           /* srresnet: residual blocks; rrdbnet: RRDBs; srvgg: body convs */
    int channels;           /* feature channels */
    int growth;             /* rrdbnet: channels each dense conv adds */
    int prelu_count;        /* srresnet, srvgg: 1 (shared) or channels */
    gboolean batchnorm;     /* srresnet: residual blocks carry bn1/bn2 */
    double bn_eps;
    SrganTail tail;         /* srresnet */
    SrganOutput output;
    float input_lo, input_hi;   /* the network sees lo + (hi-lo)*pixel */
} SrganSpec;

struct _SrganModel {
    gint ref_count;
    SrganSpec spec;
    int scale;              /* = spec.scale */
    SrganOutput output;     /* = spec.output */
    float input_lo, input_hi;
    SrganNet *net;
    int default_halo;       /* what srgan_model_get_halo() returns */
    GHashTable *metadata;   /* char* → char*, from __metadata__ */
};

/* Family builders: the operation list for a spec (net-srresnet.c,
 * net-rrdbnet.c, net-srvgg.c), finished, with zeroed weights. */
SrganNet *srgan_net_build_srresnet(const SrganSpec *spec);
SrganNet *srgan_net_build_rrdbnet(const SrganSpec *spec);
SrganNet *srgan_net_build_srvgg(const SrganSpec *spec);

/* A model of the spec with zeroed weights (the loader fills them). */
SrganModel *srgan_model_new(const SrganSpec *spec);

/* An SRResNet of the given shape with zeroed weights (and prelu arrays of
 * prelu_count slopes): tests and tools fill it through srgan_model_get_conv(). */
SrganModel *srgan_model_new_empty(int scale, int n_blocks, int channels,
                                  int prelu_count, SrganTail tail,
                                  SrganOutput output);

/* The conv whose tensors are "<name>.*" (weights/FORMAT.md), e.g.
 * "blocks.0.conv1" or "body.3.rdb2.conv5", or NULL. */
SrganConv *srgan_model_get_conv(SrganModel *model, const char *name);

/* Calls srgan_conv_prepare() on every convolution (after filling weights). */
void srgan_model_prepare(SrganModel *model);

#endif
