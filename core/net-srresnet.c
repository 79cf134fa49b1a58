/* net-srresnet.c — SRGAN's generator (Ledig et al. 2017, fig. 4) as an
 * operation list:
 *   h = prelu(head9×9(x));  r = h;  r = r + conv2(prelu(conv1(r)))  per block
 *   r = body(r) [BN | PReLU] + h
 *   r = shuffle2(prelu(up_k(r)))  per stage (×2 each)
 *   image = tail9×9(r)
 * BatchNorm folds into the conv before it.  A stage's PReLU acts after the
 * pixel shuffle in the paper; with each slope repeated for the 4 conv
 * channels that become its channel it acts before it, in the conv's
 * epilogue: the same values, one pass less.  The shuffle runs in place.
 */
#include "model.h"

/* "<prefix>.prelu.weight": one slope, or one per channel. */
static void prelu(SrganOp *op, const char *tensor, const SrganSpec *spec, int repeat)
{
    op->act_tensor = g_strdup(tensor);
    op->act_repeat = spec->prelu_count == 1 ? 1 : repeat;
    op->conv.prelu_count = spec->prelu_count == 1 ? 1 : op->conv.cout;
}

SrganNet *srgan_net_build_srresnet(const SrganSpec *spec)
{
    const int c = spec->channels, s = spec->scale;
    SrganNet *net = srgan_net_new(s);
    const int in = srgan_net_buffer(net, 3, 1, -1);
    const int skip = srgan_net_buffer(net, c, 1, -1);
    const int feat[2] = { srgan_net_buffer(net, c, 1, -1), srgan_net_buffer(net, c, 1, -1) };
    const int temp = srgan_net_buffer(net, c, 1, in);   /* the input is dead by then */
    net->input = in;

    prelu(srgan_net_conv(net, "head.conv", 9, 3, c, in, skip, 0, -1, 1.0f),
          "head.prelu.weight", spec, 1);
    int r = skip;
    for (int b = 0; b < spec->n_blocks; b++) {
        char name[64], other[64];
        g_snprintf(name, sizeof name, "blocks.%d.conv1", b);
        g_snprintf(other, sizeof other, "blocks.%d.prelu.weight", b);
        SrganOp *conv1 = srgan_net_conv(net, name, 3, c, c, r, temp, 0, -1, 1.0f);
        prelu(conv1, other, spec, 1);
        if (spec->batchnorm)
            conv1->bn = g_strdup_printf("blocks.%d.bn1", b);
        /* conv2's output may not be its residual: alternate between two. */
        g_snprintf(name, sizeof name, "blocks.%d.conv2", b);
        SrganOp *conv2 = srgan_net_conv(net, name, 3, c, c, temp, feat[b % 2], 0, r, 1.0f);
        if (spec->batchnorm)
            conv2->bn = g_strdup_printf("blocks.%d.bn2", b);
        r = feat[b % 2];
    }
    SrganOp *body = srgan_net_conv(net, "body.conv", 3, c, c, r, temp, 0, skip, 1.0f);
    if (spec->tail == SRGAN_TAIL_CONV_BN)
        body->bn = g_strdup("body.bn");
    else
        prelu(body, "body.prelu.weight", spec, 1);

    srgan_net_begin_hr(net);
    int cur = temp, first_up = -1;
    for (int k = 0, level = 1; level < s; k++, level *= 2) {
        char name[64], slopes[64];
        g_snprintf(name, sizeof name, "up.%d.conv", k);
        g_snprintf(slopes, sizeof slopes, "up.%d.prelu.weight", k);
        const int up = srgan_net_buffer(net, 4 * c, level, -1);
        const int shuffled = srgan_net_buffer(net, c, 2 * level, up);
        prelu(srgan_net_conv(net, name, 3, c, 4 * c, cur, up, 0, -1, 1.0f), slopes, spec, 4);
        srgan_net_shuffle(net, up, shuffled, 2);
        if (first_up < 0)
            first_up = up;
        cur = shuffled;
    }
    /* With two or more stages the first stage's buffer is dead by now. */
    const int image = srgan_net_buffer(net, 3, s, s >= 4 ? first_up : -1);
    srgan_net_conv(net, "tail.conv", 9, c, 3, cur, image, 0, -1, 1.0f);
    net->output = image;
    srgan_net_finish(net);
    return net;
}
