/* conv-fast.c — placeholder until the fast kernels land (issue 5): declines
 * every convolution, so conv.c takes its portable path. */
#include "conv-fast.h"

SrganConvFast *srgan_conv_fast_prepare(const SrganConv *conv) { (void)conv; return NULL; }
void srgan_conv_fast_free(SrganConvFast *fast) { (void)fast; }
size_t srgan_conv_fast_workspace_floats(const SrganConv *conv, int h, int w)
{ (void)conv; (void)h; (void)w; return 0; }
void srgan_conv_fast_forward(const SrganConv *conv, const float *in, int h, int w,
                             float *out, const SrganEpilogue *ep, float *workspace)
{ (void)conv; (void)in; (void)h; (void)w; (void)out; (void)ep; (void)workspace; }
