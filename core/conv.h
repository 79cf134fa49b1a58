/* conv.h — the convolution kernels of the generator (private to libsrgan).
 *
 * Activations are HWC: height × width × channels floats, channels fastest.
 * Convolutions are stride 1 with 'same' zero padding (k/2 on each side), as
 * in the PyTorch model, so an image border behaves exactly as in the
 * untiled network.  Every kernel has a plain reference in conv-ref.c; fast
 * paths (conv-fast*.c) must match it (tests/core/test-kernels.c) and are
 * picked at run time by the CPU's features.
 */
#ifndef SRGAN_CONV_H
#define SRGAN_CONV_H

#include <stddef.h>

typedef struct SrganConvFast SrganConvFast;  /* kernel-specific prepared weights */

typedef struct {
    int cin, cout, ksize;   /* ksize: odd, 1 to 9 */
    float *weight;          /* (ksize, ksize, cin, cout): BN already folded in */
    float *bias;            /* (cout) */
    float *prelu;           /* NULL, or slopes applied after bias */
    int prelu_count;        /* 1 (shared) or cout */
    SrganConvFast *fast;    /* NULL until srgan_conv_prepare(); owned */
} SrganConv;

/* How a convolution reads and writes its buffers, and what happens after
 * it.  Zero-initialised means: packed input and output, no scale, no
 * residual.  The strides let one buffer hold several feature maps side by
 * side (RRDBNet's dense blocks concatenate by writing into channel offsets
 * of one buffer): a conv may read channels [0, cin) of a wide buffer and
 * write its cout channels at an offset of another (or of the same one, when
 * the channel ranges are disjoint).
 *
 * out = scale · prelu(conv(in) + bias) + residual, in this order; prelu
 * only when conv->prelu, residual only when set. */
typedef struct {
    int in_stride;          /* floats from one input pixel to the next; 0 = cin */
    int out_stride;         /* floats from one output pixel to the next; 0 = cout */
    float scale;            /* multiplies the activated result; 0 = 1 */
    const float *residual;  /* NULL or (h, w) pixels of residual_stride floats;
                               may not overlap the channels written */
    int residual_stride;    /* 0 = cout */
} SrganEpilogue;

/* Builds conv->fast for the best kernel on this CPU (may leave it NULL). */
void srgan_conv_prepare(SrganConv *conv);
/* The same, but a Winograd kernel transforms the weights on every call
 * rather than keeping a transformed copy 4× their size (see conv-fast.h). */
void srgan_conv_prepare_per_call(SrganConv *conv);
void srgan_conv_release(SrganConv *conv);

/* Scratch floats srgan_conv_forward() needs for an h×w input. */
size_t srgan_conv_workspace_floats(const SrganConv *conv, int h, int w);

/* out (h, w, cout) = conv(in (h, w, cin)) with the epilogue (NULL: all
 * defaults).  The channels read and the channels written may not overlap
 * (they may share a buffer).  workspace: srgan_conv_workspace_floats()
 * floats. */
void srgan_conv_forward(const SrganConv *conv, const float *in, int h, int w,
                        float *out, const SrganEpilogue *ep, float *workspace);

/* The plain reference (direct loops, no BLAS): what tests compare against. */
void srgan_conv_forward_ref(const SrganConv *conv, const float *in, int h, int w,
                            float *out, const SrganEpilogue *ep);

#endif
