/* generator.c — the interpreter: runs a model's operation list (net.h) on
 * one tile.
 *
 * First phase: the input is mapped to the network's range (lo + span·x)
 * into the input buffer, and the operations before net->hr_start run once
 * on the whole tile + halo.  Second phase (the upsampling part, where
 * buffers are 4 to 64 times larger): the crop is cut into square blocks of
 * R × R low-res pixels; for each, the low-res buffers the phase reads are
 * copied (block + hr_halo, clipped) into their shadows, the remaining
 * operations run on that window, and the block's part of the output buffer
 * is mapped (identity or (tanh + 1)/2), clamped to [0,1] and written out.
 * R is the largest block whose biggest buffer stays within HR_BLOCK_FLOATS,
 * so the second phase's memory is bounded whatever the tile size.
 */
#include "generator.h"

#include <math.h>
#include <string.h>

/* Floats of the largest second-phase buffer (12 MB). */
#define HR_BLOCK_FLOATS ((size_t)3 << 20)

struct SrganGeneratorScratch {
    int max_h, max_w;       /* largest input it was sized for (tile + halo) */
    int hr_block;           /* R: crop pixels per side of a second-phase block */
    int n_buffers;
    float **buf;            /* per buffer; aliases share their target's storage */
    float **owned;          /* per buffer: its allocation, NULL for aliases */
    float *row_tmp;         /* one source row of an in-place pixel shuffle */
    float *workspace;       /* the largest srgan_conv_workspace_floats() */
};

/* ---- sizes ------------------------------------------------------------- */

int srgan_generator_receptive_radius(const SrganModel *model)
{
    return model->net->receptive_radius;
}

typedef struct {
    int hr_block;
    int block_h, block_w;   /* largest second-phase window, low-res pixels */
    size_t *storage;        /* floats per buffer that owns storage (0 for aliases) */
    size_t row_tmp, workspace;
} ScratchSizes;

static int storage_owner(const SrganNet *net, int b)
{
    return net->buffers[b].alias >= 0 ? net->buffers[b].alias : b;
}

/* Floats per low-res pixel of a second-phase buffer. */
static size_t per_pixel(const SrganBuffer *b)
{
    return (size_t)b->channels * b->level * b->level;
}

static ScratchSizes scratch_sizes(const SrganModel *model, int max_h, int max_w)
{
    const SrganNet *net = model->net;
    const int hh = net->hr_halo;
    ScratchSizes z = { .storage = g_new0(size_t, net->n_buffers) };

    size_t widest = 1;   /* the largest second-phase buffer, per low-res pixel */
    for (int b = 0; b < net->n_buffers; b++)
        if (!net->buffers[b].whole_tile)
            widest = MAX(widest, per_pixel(&net->buffers[b]));
    int r = 8;
    while ((size_t)(r + 1 + 2 * hh) * (r + 1 + 2 * hh) * widest <= HR_BLOCK_FLOATS)
        r++;
    z.hr_block = MIN(r, MAX(max_h, max_w));
    z.block_h = MIN(z.hr_block + 2 * hh, max_h);
    z.block_w = MIN(z.hr_block + 2 * hh, max_w);

    for (int b = 0; b < net->n_buffers; b++) {
        const SrganBuffer *buf = &net->buffers[b];
        const size_t floats = buf->whole_tile ? (size_t)max_h * max_w * buf->channels
                                              : (size_t)z.block_h * z.block_w * per_pixel(buf);
        const int owner = storage_owner(net, b);
        z.storage[owner] = MAX(z.storage[owner], floats);
    }
    for (int i = 0; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        const SrganBuffer *src = &net->buffers[op->src];
        const int h = i < net->hr_start ? max_h : z.block_h * src->level;
        const int w = i < net->hr_start ? max_w : z.block_w * src->level;
        if (op->kind == SRGAN_OP_CONV)
            z.workspace = MAX(z.workspace, srgan_conv_workspace_floats(&op->conv, h, w));
        else if (op->kind == SRGAN_OP_SHUFFLE)
            z.row_tmp = MAX(z.row_tmp, (size_t)w * src->channels);
    }
    return z;
}

int srgan_generator_hr_block(const SrganModel *model, int max_h, int max_w)
{
    ScratchSizes z = scratch_sizes(model, max_h, max_w);
    g_free(z.storage);
    return z.hr_block;
}

size_t srgan_generator_scratch_bytes(const SrganModel *model, int max_h, int max_w)
{
    ScratchSizes z = scratch_sizes(model, max_h, max_w);
    size_t floats = z.row_tmp + z.workspace;
    for (int b = 0; b < model->net->n_buffers; b++)
        floats += z.storage[b];
    g_free(z.storage);
    return floats * sizeof(float);
}

void srgan_generator_scratch_free(SrganGeneratorScratch *scratch)
{
    if (!scratch)
        return;
    for (int b = 0; scratch->owned && b < scratch->n_buffers; b++)
        g_free(scratch->owned[b]);
    g_free(scratch->owned);
    g_free(scratch->buf);
    g_free(scratch->row_tmp);
    g_free(scratch->workspace);
    g_free(scratch);
}

static gboolean try_alloc(float **buf, size_t floats, const char *what, GError **error)
{
    *buf = g_try_malloc(MAX(floats, 1) * sizeof(float));
    if (*buf)
        return TRUE;
    g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_NO_MEMORY,
                "Out of memory allocating the %s buffer (%zu bytes)",
                what, floats * sizeof(float));
    return FALSE;
}

SrganGeneratorScratch *srgan_generator_scratch_new(const SrganModel *model,
                                                   int max_h, int max_w,
                                                   GError **error)
{
    const SrganNet *net = model->net;
    ScratchSizes z = scratch_sizes(model, max_h, max_w);
    g_autoptr(SrganGeneratorScratch) scratch = g_new0(SrganGeneratorScratch, 1);
    scratch->max_h = max_h;
    scratch->max_w = max_w;
    scratch->hr_block = z.hr_block;
    scratch->n_buffers = net->n_buffers;
    scratch->buf = g_new0(float *, net->n_buffers);
    scratch->owned = g_new0(float *, net->n_buffers);
    gboolean ok = TRUE;
    for (int b = 0; ok && b < net->n_buffers; b++)
        if (net->buffers[b].alias < 0)
            ok = try_alloc(&scratch->owned[b], z.storage[b], "feature", error);
    ok = ok && try_alloc(&scratch->row_tmp, z.row_tmp, "shuffle row", error)
            && try_alloc(&scratch->workspace, z.workspace, "convolution workspace", error);
    g_free(z.storage);
    if (!ok)
        return NULL;
    for (int b = 0; b < net->n_buffers; b++)
        scratch->buf[b] = scratch->owned[storage_owner(net, b)];
    return g_steal_pointer(&scratch);
}

/* ---- operations ------------------------------------------------------- */

void srgan_pixel_shuffle_inplace(float *buf, int h, int w, int c, int r, float *row_tmp)
{
    const size_t row = (size_t)w * r * r * c;
    for (int y = 0; y < h; y++) {
        float *src_row = buf + y * row;
        memcpy(row_tmp, src_row, row * sizeof(float));
        /* Output rows r·y … r·y + r − 1 (each r·w × c) occupy exactly this span. */
        for (int i = 0; i < r; i++) {
            float *dst = src_row + (size_t)i * r * w * c;
            for (int x = 0; x < w; x++)
                for (int j = 0; j < r; j++) {
                    float *d = dst + ((size_t)r * x + j) * c;
                    const float *s = row_tmp + (size_t)x * r * r * c + i * r + j;
                    for (int ch = 0; ch < c; ch++)
                        d[ch] = s[(size_t)ch * r * r];
                }
        }
    }
}

static void pixel_shuffle(const float *src, int h, int w, int c, int r, float *dst)
{
    for (int y = 0; y < h; y++)
        for (int i = 0; i < r; i++) {
            float *d = dst + ((size_t)(r * y + i) * r * w) * c;
            for (int x = 0; x < w; x++) {
                const float *s = src + ((size_t)y * w + x) * r * r * c + i * r;
                for (int j = 0; j < r; j++, d += c)
                    for (int ch = 0; ch < c; ch++)
                        d[ch] = s[(size_t)ch * r * r + j];
            }
        }
}

static void nearest(const float *src, int h, int w, int c, int r, float *dst)
{
    for (int y = 0; y < h * r; y++) {
        float *d = dst + (size_t)y * w * r * c;
        const float *row = src + (size_t)(y / r) * w * c;
        for (int x = 0; x < w; x++)
            for (int j = 0; j < r; j++, d += c)
                memcpy(d, row + (size_t)x * c, sizeof(float) * c);
    }
}

/* dst[offset..+n) = scale·src[0..n) (+ res[0..n)), pixel by pixel. */
static void scaled_add(const SrganNet *net, const SrganOp *op, float *const *buf, size_t pixels)
{
    const int sc = net->buffers[op->src].channels, dc = net->buffers[op->dst].channels;
    const int rc = op->res >= 0 ? net->buffers[op->res].channels : 0, n = op->n;
    const float scale = op->scale != 0.0f ? op->scale : 1.0f;
    const float *src = buf[op->src], *res = op->res >= 0 ? buf[op->res] : NULL;
    float *dst = buf[op->dst] + op->offset;
    for (size_t p = 0; p < pixels; p++) {
        float *restrict d = dst + p * dc;
        const float *restrict s = src + p * sc;
        if (res) {
            const float *restrict q = res + p * rc;
            for (int c = 0; c < n; c++)
                d[c] = scale * s[c] + q[c];
        } else if (scale == 1.0f) {
            memmove(d, s, sizeof(float) * n);
        } else {
            for (int c = 0; c < n; c++)
                d[c] = scale * s[c];
        }
    }
}

/* Runs op on buffers whose level-1 size is h × w. */
static void run_op(const SrganNet *net, const SrganOp *op, SrganGeneratorScratch *scratch,
                   int h, int w)
{
    float *const *buf = scratch->buf;
    const SrganBuffer *src = &net->buffers[op->src], *dst = &net->buffers[op->dst];
    const int sh = h * src->level, sw = w * src->level;
    switch (op->kind) {
    case SRGAN_OP_CONV: {
        const SrganEpilogue ep = {
            .in_stride = src->channels, .out_stride = dst->channels, .scale = op->scale,
            .residual = op->res >= 0 ? buf[op->res] : NULL,
            .residual_stride = op->res >= 0 ? net->buffers[op->res].channels : 0,
        };
        srgan_conv_forward(&op->conv, buf[op->src], sh, sw, buf[op->dst] + op->offset, &ep,
                           scratch->workspace);
        break;
    }
    case SRGAN_OP_ADD:
        scaled_add(net, op, buf, (size_t)sh * sw);
        break;
    case SRGAN_OP_SHUFFLE:
        if (buf[op->src] == buf[op->dst])
            srgan_pixel_shuffle_inplace(buf[op->dst], sh, sw, dst->channels, op->factor,
                                        scratch->row_tmp);
        else
            pixel_shuffle(buf[op->src], sh, sw, dst->channels, op->factor, buf[op->dst]);
        break;
    case SRGAN_OP_NEAREST:
        nearest(buf[op->src], sh, sw, src->channels, op->factor, buf[op->dst]);
        break;
    }
}

/* ---- the forward pass ------------------------------------------------- */

/* The second phase for the crop block (bx, by, bw, bh) of an h × w input;
 * writes its rows of `out` (out_stride floats per row, the block at (ox, oy)
 * high-res pixels into it). */
static void run_block(const SrganModel *model, SrganGeneratorScratch *scratch,
                      int h, int w, int bx, int by, int bw, int bh,
                      float *out, size_t out_stride, int ox, int oy)
{
    const SrganNet *net = model->net;
    const int s = model->scale, hh = net->hr_halo;
    /* The block plus its halo, clipped to the input. */
    const int x0 = MAX(0, bx - hh), x1 = MIN(w, bx + bw + hh);
    const int y0 = MAX(0, by - hh), y1 = MIN(h, by + bh + hh);
    const int win_w = x1 - x0, win_h = y1 - y0;

    for (int b = 0; b < net->n_buffers; b++) {
        const int shadow = net->buffers[b].shadow;
        if (shadow < 0)
            continue;
        const size_t c = net->buffers[b].channels;
        for (int y = y0; y < y1; y++)
            memcpy(scratch->buf[shadow] + (size_t)(y - y0) * win_w * c,
                   scratch->buf[b] + ((size_t)y * w + x0) * c, sizeof(float) * win_w * c);
    }
    for (int i = net->hr_start; i < net->n_ops; i++)
        run_op(net, &net->ops[i], scratch, win_h, win_w);

    /* Keep the block (not its halo), map to [0,1], clamp. */
    const float *image = scratch->buf[net->output];
    const int skip_x = (bx - x0) * s, skip_y = (by - y0) * s;
    for (int y = 0; y < bh * s; y++) {
        const float *src = image + ((size_t)(y + skip_y) * win_w * s + skip_x) * 3;
        float *dst = out + (size_t)(oy + y) * out_stride + (size_t)ox * 3;
        for (int i = 0; i < bw * s * 3; i++) {
            float v = src[i];
            if (model->output == SRGAN_OUTPUT_TANH)
                v = (tanhf(v) + 1.0f) * 0.5f;
            dst[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
        }
    }
}

void srgan_generator_run(const SrganModel *model, SrganGeneratorScratch *scratch,
                         const float *in, int h, int w,
                         int crop_x, int crop_y, int crop_w, int crop_h,
                         float *out)
{
    g_return_if_fail(h <= scratch->max_h && w <= scratch->max_w);
    g_return_if_fail(crop_x >= 0 && crop_y >= 0 && crop_x + crop_w <= w && crop_y + crop_h <= h);
    const SrganNet *net = model->net;

    float *mapped = scratch->buf[net->input];
    const float lo = model->input_lo, span = model->input_hi - model->input_lo;
    for (size_t i = 0; i < (size_t)h * w * 3; i++)
        mapped[i] = lo + span * in[i];
    for (int i = 0; i < net->hr_start; i++)
        run_op(net, &net->ops[i], scratch, h, w);

    const int s = model->scale, step = scratch->hr_block;
    const size_t out_stride = (size_t)crop_w * s * 3;
    for (int by = 0; by < crop_h; by += step)
        for (int bx = 0; bx < crop_w; bx += step)
            run_block(model, scratch, h, w, crop_x + bx, crop_y + by,
                      MIN(step, crop_w - bx), MIN(step, crop_h - by),
                      out, out_stride, bx * s, by * s);
}
