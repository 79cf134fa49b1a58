/* net.h — a generator as data: a list of operations on feature buffers
 * (private to libsrgan).
 *
 * Every family (SRResNet, RRDBNet, SRVGGNetCompact) is written down by a
 * builder (net-srresnet.c, net-rrdbnet.c, net-srvgg.c) as a short list of
 * operations, and one interpreter (generator.c) runs them all.  What the
 * tiler needs to know — the receptive radius, the high-resolution halo,
 * the multiply-adds per pixel, the buffer sizes — is derived from the list
 * here, not written out per family.
 *
 * Buffers are HWC feature maps.  Each has a channel count (its pixel
 * stride) and a level: its resolution in multiples of the input's (1, 2,
 * 4, 8).  An operation reads channels [0, n) of its source buffers and
 * writes channels [offset, offset + n) of its destination, so a dense
 * block concatenates by writing each conv's output next to its inputs in
 * one wide buffer.
 *
 * The list has two phases.  Operations before `hr_start` run once on the
 * whole tile (plus halo) at the input's resolution.  The rest — the
 * upsampling part, where buffers are 4 to 64 times larger — run on square
 * blocks of the tile, each with a small halo of its own (`hr_halo`), so
 * their memory stays bounded whatever the tile size.  A low-resolution
 * buffer that the second phase reads is copied, block by block, into a
 * block-sized shadow.
 */
#ifndef SRGAN_NET_H
#define SRGAN_NET_H

#include "conv.h"
#include <glib.h>

typedef enum {
    /* dst[offset..+cout) = scale·act(conv(src[0..cin)) + bias) + res[0..cout) */
    SRGAN_OP_CONV,
    /* dst[offset..+n) = scale·src[0..n) (+ res[0..n)): a scaled residual
     * add, or a copy without res; dst may be res (in place). */
    SRGAN_OP_ADD,
    /* dst = PixelShuffle(factor)(src): src channel c·r² + i·r + j goes to
     * channel c of output pixel (r·y + i, r·x + j).  dst may share src's
     * storage (see SrganBuffer.alias): it is done row by row in place. */
    SRGAN_OP_SHUFFLE,
    /* dst = src repeated factor × factor times (nearest neighbour). */
    SRGAN_OP_NEAREST,
} SrganOpKind;

typedef struct {
    SrganOpKind kind;
    int src, dst, res;      /* buffer indices; res = -1 for none */
    int offset;             /* first channel of dst written */
    int n;                  /* channels written (ADD, and cout for CONV) */
    int factor;             /* SHUFFLE, NEAREST */
    float scale;            /* CONV, ADD; 0 = 1 */
    SrganConv conv;         /* CONV */
    /* Where CONV's values come from in the weights file (weights/FORMAT.md):
     * "<name>.weight" and "<name>.bias"; BatchNorm "<bn>.*" folded in when
     * bn is set; PReLU slopes from act_tensor (each slope repeated
     * act_repeat times: an upsample stage's slopes act after the pixel
     * shuffle, on act_repeat conv channels each), or the fixed slope
     * act_slope when act_fixed (LeakyReLU). */
    char *name, *bn, *act_tensor;
    int act_repeat;
    gboolean act_fixed;
    float act_slope;
} SrganOp;

typedef struct {
    int channels;           /* floats per pixel */
    int level;              /* resolution in multiples of the input's */
    int alias;              /* -1, or a buffer whose storage this one shares
                               (the builder knows their lifetimes are disjoint,
                               or, for an in-place shuffle, that it is safe) */
    int shadow;             /* filled by srgan_net_finish(): for a low-res
                               buffer read by the second phase, its copy there */
    gboolean whole_tile;    /* filled by srgan_net_finish(): sized for the whole
                               tile (used in the first phase), else per block */
} SrganBuffer;

typedef struct {
    int n_ops, n_buffers;
    SrganOp *ops;
    SrganBuffer *buffers;
    int input;              /* the 3-channel input buffer (level 1) */
    int output;             /* the 3-channel image buffer (level = scale) */
    int hr_start;           /* first operation of the second phase */
    int scale;

    /* Derived by srgan_net_finish(). */
    int receptive_radius;   /* low-res pixels, rounded up */
    int hr_halo;            /* low-res pixels the second phase reaches around a block */
    double macs_per_pixel;  /* multiply-adds per low-res input pixel */
} SrganNet;

/* Building (used by the family builders). */
SrganNet *srgan_net_new(int scale);
int srgan_net_buffer(SrganNet *net, int channels, int level, int alias);
/* Adds a conv of cin → cout (k×k) whose weights are filled later from
 * "<name>.*"; returns it so the builder can set activation fields. */
SrganOp *srgan_net_conv(SrganNet *net, const char *name, int k, int cin, int cout,
                        int src, int dst, int offset, int res, float scale);
void srgan_net_add(SrganNet *net, int src, int res, int dst, int offset, int n, float scale);
void srgan_net_shuffle(SrganNet *net, int src, int dst, int factor);
void srgan_net_nearest(SrganNet *net, int src, int dst, int factor);
/* Marks the start of the second phase: the next operation is its first. */
void srgan_net_begin_hr(SrganNet *net);
/* Checks the list (buffer shapes, levels, channel ranges, phases) — a
 * builder bug is a g_error, not a user error — and derives the figures
 * above.  Allocates every conv's (zeroed) weights. */
void srgan_net_finish(SrganNet *net);
void srgan_net_free(SrganNet *net);

/* The conv op whose tensors are "<name>.*", or NULL. */
SrganOp *srgan_net_find_conv(SrganNet *net, const char *name);

/* Calls srgan_conv_prepare() on every conv (after their weights are set). */
void srgan_net_prepare(SrganNet *net);

#endif
