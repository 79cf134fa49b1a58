/* net-srvgg.c — Real-ESRGAN's SRVGGNetCompact (realesr-general-x4v3) as an
 * operation list:
 *   y = prelu(body.0(x));  y = prelu(body.2n(y))  for n = 1 … B
 *   image = PixelShuffle(s)(body.2B+2(y)) + nearest_s(x)
 * Every conv runs at the input's resolution; the second phase only
 * rearranges and adds, so its halo is 0 and the receptive radius is B + 2.
 */
#include "model.h"

static SrganOp *prelu(SrganOp *op, int index)
{
    op->act_tensor = g_strdup_printf("body.%d.weight", index);
    op->conv.prelu_count = op->conv.cout;
    return op;
}

SrganNet *srgan_net_build_srvgg(const SrganSpec *spec)
{
    const int c = spec->channels, s = spec->scale, last = 2 * spec->n_blocks + 2;
    SrganNet *net = srgan_net_new(s);
    const int in = srgan_net_buffer(net, 3, 1, -1);
    const int feat[2] = { srgan_net_buffer(net, c, 1, -1), srgan_net_buffer(net, c, 1, -1) };
    const int lr_image = srgan_net_buffer(net, 3 * s * s, 1, -1);
    net->input = in;

    prelu(srgan_net_conv(net, "body.0", 3, 3, c, in, feat[0], 0, -1, 1.0f), 1);
    int cur = 0;
    for (int n = 1; n <= spec->n_blocks; n++) {
        char name[32];
        g_snprintf(name, sizeof name, "body.%d", 2 * n);
        prelu(srgan_net_conv(net, name, 3, c, c, feat[cur], feat[1 - cur], 0, -1, 1.0f), 2 * n + 1);
        cur = 1 - cur;
    }
    char name[32];
    g_snprintf(name, sizeof name, "body.%d", last);
    srgan_net_conv(net, name, 3, c, 3 * s * s, feat[cur], lr_image, 0, -1, 1.0f);

    srgan_net_begin_hr(net);
    const int image = srgan_net_buffer(net, 3, s, -1);
    const int base = srgan_net_buffer(net, 3, s, -1);
    srgan_net_shuffle(net, lr_image, image, s);
    srgan_net_nearest(net, in, base, s);
    srgan_net_add(net, base, image, image, 0, 3, 1.0f);
    net->output = image;
    srgan_net_finish(net);
    return net;
}
