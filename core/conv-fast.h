/* conv-fast.h — optional fast convolution kernels (private to libsrgan).
 *
 * conv.c asks these first and falls back to its portable OpenBLAS path when
 * they decline (return NULL / FALSE).  A fast kernel must match
 * srgan_conv_forward_ref() within the bounds tests/core/test-kernels.c sets,
 * and must choose itself at run time from the CPU's features, so one binary
 * runs on any x86-64 (and any other architecture, where it declines).
 */
#ifndef SRGAN_CONV_FAST_H
#define SRGAN_CONV_FAST_H

#include <glib.h>
#include "conv.h"

/* Prepared weights for the best fast kernel for this conv on this CPU, or
 * NULL if none applies (then conv.c uses its portable path). */
SrganConvFast *srgan_conv_fast_prepare(const SrganConv *conv);
/* The same, except that a Winograd kernel transforms the conv's weights
 * into the workspace on every call instead of keeping the transformed copy
 * (36/9 = 4× the weights): for models whose copies would not fit in
 * memory.  `conv` must outlive the result. */
SrganConvFast *srgan_conv_fast_prepare_per_call(const SrganConv *conv);
void srgan_conv_fast_free(SrganConvFast *fast);

/* Scratch floats srgan_conv_fast_forward() needs for an h×w input. */
size_t srgan_conv_fast_workspace_floats(const SrganConv *conv, int h, int w);

/* Same contract as srgan_conv_forward(); only called when conv->fast. */
void srgan_conv_fast_forward(const SrganConv *conv, const float *in, int h, int w,
                             float *out, const SrganEpilogue *ep, float *workspace);

#endif
