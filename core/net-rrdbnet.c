/* net-rrdbnet.c — ESRGAN's RRDBNet (Wang et al. 2018; the Real-ESRGAN
 * x4plus generator) as an operation list:
 *   f = conv_first(x)
 *   t = f;  per RRDB:  t = t + 0.2 · rdb3(rdb2(rdb1(t)))
 *     rdb(y):  y1 = lrelu(conv1(y)),  y2 = lrelu(conv2([y, y1])),  …,
 *              y5 = conv5([y, y1, y2, y3, y4]);  out = y + 0.2 · y5
 *   t = conv_body(t) + f
 *   t = lrelu(conv_up1(nearest2(t)));  t = lrelu(conv_up2(nearest2(t)))
 *   image = conv_last(lrelu(conv_hr(t)))
 * LeakyReLU slope 0.2 everywhere (fixed by the family, not stored).
 *
 * The concatenations cost no copies: each dense block works in one buffer
 * of C + 4G channels, its input in channels [0, C) and each conv writing
 * its G channels right after what it reads.  conv5 writes the block's
 * result (with the 0.2-scaled residual fused in) into channels [0, C) of
 * the other such buffer, where the next block reads it.  Memory per input
 * pixel: two dense buffers, the long skip and the RRDB's input:
 * 2(C + 4G) + 2C floats (512 for x4plus).
 */
#include "model.h"

#define LRELU_SLOPE 0.2f
#define RESIDUAL_SCALE 0.2f

static SrganOp *lrelu(SrganOp *op)
{
    op->act_fixed = TRUE;
    op->act_slope = LRELU_SLOPE;
    return op;
}

SrganNet *srgan_net_build_rrdbnet(const SrganSpec *spec)
{
    const int c = spec->channels, g = spec->growth, wide = c + 4 * g;
    SrganNet *net = srgan_net_new(spec->scale);
    const int in = srgan_net_buffer(net, 3, 1, -1);
    const int block_in = srgan_net_buffer(net, c, 1, in);   /* the input is dead by then */
    const int first = srgan_net_buffer(net, c, 1, -1);
    const int dense[2] = { srgan_net_buffer(net, wide, 1, -1), srgan_net_buffer(net, wide, 1, -1) };
    net->input = in;

    srgan_net_conv(net, "conv_first", 3, 3, c, in, dense[0], 0, -1, 1.0f);
    srgan_net_add(net, dense[0], -1, first, 0, c, 1.0f);        /* the long skip */
    for (int i = 0; i < spec->n_blocks; i++) {
        srgan_net_add(net, dense[0], -1, block_in, 0, c, 1.0f); /* kept for the RRDB's residual */
        int cur = 0;
        for (int j = 1; j <= 3; j++) {
            char name[64];
            for (int k = 1; k <= 4; k++) {
                g_snprintf(name, sizeof name, "body.%d.rdb%d.conv%d", i, j, k);
                const int cin = c + (k - 1) * g;
                lrelu(srgan_net_conv(net, name, 3, cin, g, dense[cur], dense[cur], cin, -1, 1.0f));
            }
            g_snprintf(name, sizeof name, "body.%d.rdb%d.conv5", i, j);
            srgan_net_conv(net, name, 3, wide, c, dense[cur], dense[1 - cur], 0, dense[cur],
                           RESIDUAL_SCALE);
            cur = 1 - cur;
        }
        /* Three blocks leave the result in dense[1]; the next RRDB reads dense[0]. */
        srgan_net_add(net, dense[cur], block_in, dense[0], 0, c, RESIDUAL_SCALE);
    }
    const int trunk = block_in;
    srgan_net_conv(net, "conv_body", 3, c, c, dense[0], trunk, 0, first, 1.0f);

    srgan_net_begin_hr(net);
    const int near1 = srgan_net_buffer(net, c, 2, -1);
    const int up1 = srgan_net_buffer(net, c, 2, -1);
    const int near2 = srgan_net_buffer(net, c, 4, -1);
    const int up2 = srgan_net_buffer(net, c, 4, -1);
    const int hr = srgan_net_buffer(net, c, 4, near2);     /* near2 is dead once up2 ran */
    const int image = srgan_net_buffer(net, 3, 4, up1);    /* so is up1 */
    srgan_net_nearest(net, trunk, near1, 2);
    lrelu(srgan_net_conv(net, "conv_up1", 3, c, c, near1, up1, 0, -1, 1.0f));
    srgan_net_nearest(net, up1, near2, 2);
    lrelu(srgan_net_conv(net, "conv_up2", 3, c, c, near2, up2, 0, -1, 1.0f));
    lrelu(srgan_net_conv(net, "conv_hr", 3, c, c, up2, hr, 0, -1, 1.0f));
    srgan_net_conv(net, "conv_last", 3, c, 3, hr, image, 0, -1, 1.0f);
    net->output = image;
    srgan_net_finish(net);
    return net;
}
