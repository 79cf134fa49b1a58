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
    int cin, cout, ksize;   /* ksize: 3 or 9 */
    float *weight;          /* (ksize, ksize, cin, cout): BN already folded in */
    float *bias;            /* (cout) */
    float *prelu;           /* NULL, or slopes applied after bias */
    int prelu_count;        /* 1 (shared) or cout */
    SrganConvFast *fast;    /* NULL until srgan_conv_prepare(); owned */
} SrganConv;

/* What happens after the convolution, in this order:
 * out = prelu(conv(in) + bias) when conv->prelu, then + residual when set. */
typedef struct {
    const float *residual;  /* NULL or (h, w, cout), may not alias out */
} SrganEpilogue;

/* Builds conv->fast for the best kernel on this CPU (may leave it NULL). */
void srgan_conv_prepare(SrganConv *conv);
void srgan_conv_release(SrganConv *conv);

/* Scratch floats srgan_conv_forward() needs for an h×w input. */
size_t srgan_conv_workspace_floats(const SrganConv *conv, int h, int w);

/* out (h, w, cout) = conv(in (h, w, cin)) with the epilogue.  in and out
 * may not alias.  workspace: srgan_conv_workspace_floats() floats. */
void srgan_conv_forward(const SrganConv *conv, const float *in, int h, int w,
                        float *out, const SrganEpilogue *ep, float *workspace);

/* The plain reference (direct loops, no BLAS): what tests compare against. */
void srgan_conv_forward_ref(const SrganConv *conv, const float *in, int h, int w,
                            float *out, const SrganEpilogue *ep);

#endif
