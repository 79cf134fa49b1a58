/* net.c — building an operation list and deriving what the tiler needs
 * from it: receptive radius, high-resolution halo, multiply-adds, and the
 * shadows of low-resolution buffers that the second phase reads.
 */
#include "net.h"

#include <string.h>

#define INITIAL_CAPACITY 64

typedef struct {
    SrganNet net;
    int op_capacity, buffer_capacity;
} NetBuilder;

SrganNet *srgan_net_new(int scale)
{
    NetBuilder *b = g_new0(NetBuilder, 1);
    b->op_capacity = b->buffer_capacity = INITIAL_CAPACITY;
    b->net.ops = g_new0(SrganOp, b->op_capacity);
    b->net.buffers = g_new0(SrganBuffer, b->buffer_capacity);
    b->net.scale = scale;
    b->net.hr_start = -1;
    b->net.input = b->net.output = -1;
    return &b->net;
}

int srgan_net_buffer(SrganNet *net, int channels, int level, int alias)
{
    NetBuilder *b = (NetBuilder *)net;
    if (net->n_buffers == b->buffer_capacity) {
        b->buffer_capacity *= 2;
        net->buffers = g_renew(SrganBuffer, net->buffers, b->buffer_capacity);
    }
    net->buffers[net->n_buffers] = (SrganBuffer){
        .channels = channels, .level = level, .alias = alias, .shadow = -1,
    };
    return net->n_buffers++;
}

static SrganOp *append(SrganNet *net, SrganOpKind kind, int src, int dst, int res)
{
    NetBuilder *b = (NetBuilder *)net;
    if (net->n_ops == b->op_capacity) {
        b->op_capacity *= 2;
        net->ops = g_renew(SrganOp, net->ops, b->op_capacity);
    }
    SrganOp *op = &net->ops[net->n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->src = src;
    op->dst = dst;
    op->res = res;
    return op;
}

SrganOp *srgan_net_conv(SrganNet *net, const char *name, int k, int cin, int cout,
                        int src, int dst, int offset, int res, float scale)
{
    SrganOp *op = append(net, SRGAN_OP_CONV, src, dst, res);
    op->offset = offset;
    op->n = cout;
    op->scale = scale;
    op->conv.ksize = k;
    op->conv.cin = cin;
    op->conv.cout = cout;
    op->name = g_strdup(name);
    op->act_repeat = 1;
    return op;
}

void srgan_net_add(SrganNet *net, int src, int res, int dst, int offset, int n, float scale)
{
    SrganOp *op = append(net, SRGAN_OP_ADD, src, dst, res);
    op->offset = offset;
    op->n = n;
    op->scale = scale;
}

void srgan_net_shuffle(SrganNet *net, int src, int dst, int factor)
{
    append(net, SRGAN_OP_SHUFFLE, src, dst, -1)->factor = factor;
}

void srgan_net_nearest(SrganNet *net, int src, int dst, int factor)
{
    append(net, SRGAN_OP_NEAREST, src, dst, -1)->factor = factor;
}

void srgan_net_begin_hr(SrganNet *net)
{
    net->hr_start = net->n_ops;
}

/* ---- checks -------------------------------------------------------------- */

static void check_op(const SrganNet *net, int i)
{
    const SrganOp *op = &net->ops[i];
    const SrganBuffer *src = &net->buffers[op->src], *dst = &net->buffers[op->dst];
    const SrganBuffer *res = op->res >= 0 ? &net->buffers[op->res] : NULL;
    const gboolean hr = i >= net->hr_start;

    /* The first phase runs at the input's resolution only. */
    if (!hr && (src->level != 1 || dst->level != 1))
        g_error("net op %d: a first-phase operation on a level-%d buffer", i, MAX(src->level, dst->level));
    switch (op->kind) {
    case SRGAN_OP_CONV:
        if (op->conv.cin > src->channels || op->offset + op->n > dst->channels
            || src->level != dst->level || (res && (res->level != dst->level || res->channels < op->n)))
            g_error("net op %d (%s): shapes do not fit its buffers", i, op->name);
        if (op->src == op->dst && op->offset < op->conv.cin)
            g_error("net op %d (%s): writes channels it reads", i, op->name);
        break;
    case SRGAN_OP_ADD:
        if (op->n > src->channels || op->offset + op->n > dst->channels
            || src->level != dst->level || (res && (res->level != dst->level || res->channels < op->n)))
            g_error("net op %d: add shapes do not fit its buffers", i);
        break;
    case SRGAN_OP_SHUFFLE:
        if (src->channels != dst->channels * op->factor * op->factor
            || dst->level != src->level * op->factor)
            g_error("net op %d: pixel shuffle shapes do not fit its buffers", i);
        break;
    case SRGAN_OP_NEAREST:
        if (src->channels != dst->channels || dst->level != src->level * op->factor)
            g_error("net op %d: nearest shapes do not fit its buffers", i);
        break;
    }
}

/* ---- derived figures ------------------------------------------------------ */

/* Receptive radius of `output`, in units of 1/scale low-res pixel (exact
 * integers: a k×k conv at level L reaches (k/2)/L low-res pixels), over the
 * operations [first, n_ops).  Buffers start at radius 0.  A write at
 * channel offset 0 replaces what the buffer held (what it held there is
 * dead or rewritten before it is read); a write further in adds to it. */
static int radius_units(const SrganNet *net, int first)
{
    g_autofree int *r = g_new0(int, net->n_buffers);
    for (int i = first; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        int v = r[op->src];
        if (op->kind == SRGAN_OP_CONV)
            v += op->conv.ksize / 2 * (net->scale / net->buffers[op->src].level);
        if (op->res >= 0)
            v = MAX(v, r[op->res]);
        r[op->dst] = op->offset == 0 ? v : MAX(r[op->dst], v);
    }
    return r[net->output];
}

static void derive(SrganNet *net)
{
    const int s = net->scale;
    net->receptive_radius = (radius_units(net, 0) + s - 1) / s;
    net->hr_halo = (radius_units(net, net->hr_start) + s - 1) / s;
    net->macs_per_pixel = 0.0;
    for (int i = 0; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        if (op->kind != SRGAN_OP_CONV)
            continue;
        const double level = net->buffers[op->src].level;
        net->macs_per_pixel += (double)op->conv.ksize * op->conv.ksize * op->conv.cin
                               * op->conv.cout * level * level;
    }
}

/* Second-phase operations read low-res buffers through block-sized copies. */
static void add_shadows(SrganNet *net)
{
    const int n_before = net->n_buffers;
    for (int i = net->hr_start; i < net->n_ops; i++) {
        SrganOp *op = &net->ops[i];
        int *reads[2] = { &op->src, op->res >= 0 ? &op->res : NULL };
        for (int j = 0; j < 2; j++) {
            if (!reads[j])
                continue;
            const int b = *reads[j];
            gboolean written_in_hr = FALSE;
            for (int k = net->hr_start; k < i; k++)
                written_in_hr |= net->ops[k].dst == b;
            if (written_in_hr || net->buffers[b].level != 1 || b >= n_before)
                continue;
            if (net->buffers[b].shadow < 0) {
                const int shadow = srgan_net_buffer(net, net->buffers[b].channels, 1, -1);
                net->buffers[b].shadow = shadow;
            }
            *reads[j] = net->buffers[b].shadow;
        }
    }
}

static void alloc_conv(SrganConv *conv, const SrganOp *op)
{
    const int k = conv->ksize;
    conv->weight = g_new0(float, (gsize)k * k * conv->cin * conv->cout);
    conv->bias = g_new0(float, conv->cout);
    if (op->act_tensor || op->act_fixed) {
        conv->prelu_count = op->act_fixed ? 1 : conv->prelu_count;
        g_assert(conv->prelu_count == 1 || conv->prelu_count == conv->cout);
        conv->prelu = g_new0(float, conv->prelu_count);
        if (op->act_fixed)
            conv->prelu[0] = op->act_slope;
    }
}

/* Which buffers live for the whole tile, and that aliases agree. */
static void mark_storage(SrganNet *net)
{
    net->buffers[net->input].whole_tile = TRUE;
    for (int i = 0; i < net->hr_start; i++) {
        const SrganOp *op = &net->ops[i];
        net->buffers[op->src].whole_tile = net->buffers[op->dst].whole_tile = TRUE;
        if (op->res >= 0)
            net->buffers[op->res].whole_tile = TRUE;
    }
    for (int b = 0; b < net->n_buffers; b++) {
        const SrganBuffer *buf = &net->buffers[b];
        if (buf->alias >= 0 && (buf->alias >= b || net->buffers[buf->alias].alias >= 0
                                || net->buffers[buf->alias].whole_tile != buf->whole_tile))
            g_error("net buffer %d: aliases buffer %d of another phase, or an alias", b, buf->alias);
    }
}

void srgan_net_finish(SrganNet *net)
{
    if (net->hr_start < 0 || net->input < 0 || net->output < 0)
        g_error("net: no second phase, input or output");
    if (net->buffers[net->output].channels != 3 || net->buffers[net->output].level != net->scale)
        g_error("net: the output buffer is not a 3-channel image at the model's scale");
    for (int i = 0; i < net->n_ops; i++)
        check_op(net, i);
    derive(net);
    add_shadows(net);
    mark_storage(net);
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == SRGAN_OP_CONV)
            alloc_conv(&net->ops[i].conv, &net->ops[i]);
}

void srgan_net_free(SrganNet *net)
{
    if (!net)
        return;
    for (int i = 0; i < net->n_ops; i++) {
        SrganOp *op = &net->ops[i];
        if (op->kind != SRGAN_OP_CONV)
            continue;
        srgan_conv_release(&op->conv);
        g_free(op->conv.weight);
        g_free(op->conv.bias);
        g_free(op->conv.prelu);
        g_free(op->name);
        g_free(op->bn);
        g_free(op->act_tensor);
    }
    g_free(net->ops);
    g_free(net->buffers);
    g_free((NetBuilder *)net);
}

SrganOp *srgan_net_find_conv(SrganNet *net, const char *name)
{
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == SRGAN_OP_CONV && strcmp(net->ops[i].name, name) == 0)
            return &net->ops[i];
    return NULL;
}

/* Winograd keeps 36 transformed values per 9 weights.  For a model like
 * RRDBNet x4plus (16.7 M weights) those copies alone would be 268 MB; past
 * this size the convs transform their weights on every call instead (about
 * 1 % slower on a full tile, memory 4× smaller). */
#define PACKED_WEIGHTS_BUDGET ((size_t)64 << 20)

void srgan_net_prepare(SrganNet *net)
{
    size_t packed = 0;
    for (int i = 0; i < net->n_ops; i++)
        if (net->ops[i].kind == SRGAN_OP_CONV && net->ops[i].conv.ksize == 3)
            packed += sizeof(float) * 36 * net->ops[i].conv.cin * net->ops[i].conv.cout;
    for (int i = 0; i < net->n_ops; i++) {
        if (net->ops[i].kind != SRGAN_OP_CONV)
            continue;
        if (packed > PACKED_WEIGHTS_BUDGET)
            srgan_conv_prepare_per_call(&net->ops[i].conv);
        else
            srgan_conv_prepare(&net->ops[i].conv);
    }
}
