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

/* conv->weight, bias and prelu hold new values (same shape, same kernel):
 * transform them into conv->fast again, in place.  The work is cut into
 * `parts` independent pieces (by input channel) and this does piece
 * `part`, so that a caller with threads (the trainer, whose weights change
 * every step) can spread it; the pieces of one refresh must all be done
 * before the conv runs. */
void srgan_conv_fast_refresh(const SrganConv *conv, int part, int parts);

/* Scratch floats srgan_conv_fast_forward() needs for an h×w input. */
size_t srgan_conv_fast_workspace_floats(const SrganConv *conv, int h, int w);

/* Output rows [y0, y1) only (srgan_conv_forward_rows()). */
void srgan_conv_fast_forward_rows(const SrganConv *conv, const float *in, int h, int w,
                                  float *out, const SrganEpilogue *ep, float *workspace,
                                  int y0, int y1);

/* Same contract as srgan_conv_forward(); only called when conv->fast. */
void srgan_conv_fast_forward(const SrganConv *conv, const float *in, int h, int w,
                             float *out, const SrganEpilogue *ep, float *workspace);

#endif
