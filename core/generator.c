/* generator.c — the interpreter: runs a model's operation list (net.h) on
 * one tile, with a team of threads.
 *
 * First phase: the input is mapped to the network's range (lo + span·x)
 * into the input buffer, and the operations before net->hr_start run once
 * on the whole tile + halo, each cut into bands of rows that the team's
 * threads compute at once (a conv writes only its band: conv.h), with a
 * barrier between operations.  Second phase (the upsampling part, where
 * buffers are 4 to 64 times larger): the crop is cut into square blocks
 * of R × R low-res pixels, dealt out to the threads; for each, the
 * low-res buffers the phase reads are copied (block + hr_halo, clipped)
 * into the thread's own shadows, the remaining operations run on that
 * window in the thread's own buffers, and the block's part of the output
 * buffer is mapped (identity or (tanh + 1)/2), clamped to [0,1] and
 * written out.  R is the largest block whose biggest buffer stays within
 * the caller's hr_floats, so the second phase's memory is bounded whatever
 * the tile size (the tiler picks hr_floats and the tile together: bigger
 * blocks recompute less of their own halo).
 *
 * One team shares one tile: the tile's first-phase buffers exist once,
 * however many threads work on it, so a tile can be as large as the whole
 * memory budget allows, and the halo each tile recomputes costs less
 * (docs/speed.md).
 */
#include "generator.h"

#include <math.h>
#include <string.h>


/* Rows of a first-phase band are a multiple of this: the Winograd
 * kernel's output tile, so bands cut no tile in two. */
#define BAND_ALIGN 4

/* ---- the team's barrier ------------------------------------------------ */

typedef struct {
    GMutex lock;
    GCond turn;
    int size, waiting;
    guint generation;
    gboolean aborted;
} Barrier;

/* Waits until all `size` members arrived; FALSE once aborted. */
static gboolean barrier_wait(Barrier *b)
{
    if (b->size <= 1)
        return TRUE;
    g_mutex_lock(&b->lock);
    const guint generation = b->generation;
    if (++b->waiting == b->size) {
        b->waiting = 0;
        b->generation++;
        g_cond_broadcast(&b->turn);
    } else {
        while (generation == b->generation && !b->aborted)
            g_cond_wait(&b->turn, &b->lock);
    }
    const gboolean ok = !b->aborted;
    g_mutex_unlock(&b->lock);
    return ok;
}

typedef struct {
    float **buf;            /* per buffer: whole-tile ones point to the team's */
    float **owned;          /* this member's allocations (second-phase owners) */
    float *row_tmp;         /* one source row of an in-place pixel shuffle */
    float *workspace;       /* the largest srgan_conv_workspace_floats() */
} Member;

struct SrganGeneratorScratch {
    int max_h, max_w;       /* largest input it was sized for (tile + halo) */
    int hr_block;           /* R: crop pixels per side of a second-phase block */
    int n_buffers, n_members;
    float **shared;         /* whole-tile storage, per owner buffer (NULL otherwise) */
    Member *members;
    Barrier barrier;
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
    size_t shared, member;  /* floats: the team's whole-tile buffers; one member's */
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

static ScratchSizes scratch_sizes(const SrganModel *model, int max_h, int max_w, size_t hr_floats)
{
    const SrganNet *net = model->net;
    const int hh = net->hr_halo;
    ScratchSizes z = { .storage = g_new0(size_t, net->n_buffers) };

    size_t widest = 1;   /* the largest second-phase buffer, per low-res pixel */
    for (int b = 0; b < net->n_buffers; b++)
        if (!net->buffers[b].whole_tile)
            widest = MAX(widest, per_pixel(&net->buffers[b]));
    int r = 8;
    while ((size_t)(r + 1 + 2 * hh) * (r + 1 + 2 * hh) * widest <= hr_floats
           && r < MAX(max_h, max_w))
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
    for (int b = 0; b < net->n_buffers; b++)
        *(net->buffers[b].whole_tile ? &z.shared : &z.member) += z.storage[b];
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
    z.member += z.row_tmp + z.workspace;
    return z;
}

int srgan_generator_hr_block(const SrganModel *model, int max_h, int max_w, size_t hr_floats)
{
    ScratchSizes z = scratch_sizes(model, max_h, max_w, hr_floats);
    g_free(z.storage);
    return z.hr_block;
}

size_t srgan_generator_scratch_bytes(const SrganModel *model, int max_h, int max_w, int members,
                                     size_t hr_floats)
{
    ScratchSizes z = scratch_sizes(model, max_h, max_w, hr_floats);
    g_free(z.storage);
    return sizeof(float) * (z.shared + (size_t)members * z.member);
}

void srgan_generator_scratch_free(SrganGeneratorScratch *scratch)
{
    if (!scratch)
        return;
    for (int m = 0; scratch->members && m < scratch->n_members; m++) {
        Member *member = &scratch->members[m];
        for (int b = 0; member->owned && b < scratch->n_buffers; b++)
            g_free(member->owned[b]);
        g_free(member->owned);
        g_free(member->buf);
        g_free(member->row_tmp);
        g_free(member->workspace);
    }
    for (int b = 0; scratch->shared && b < scratch->n_buffers; b++)
        g_free(scratch->shared[b]);
    g_free(scratch->shared);
    g_free(scratch->members);
    g_mutex_clear(&scratch->barrier.lock);
    g_cond_clear(&scratch->barrier.turn);
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
                                                   int max_h, int max_w, int members,
                                                   size_t hr_floats, GError **error)
{
    const SrganNet *net = model->net;
    g_return_val_if_fail(members >= 1, NULL);
    ScratchSizes z = scratch_sizes(model, max_h, max_w, hr_floats);
    g_autoptr(SrganGeneratorScratch) scratch = g_new0(SrganGeneratorScratch, 1);
    g_mutex_init(&scratch->barrier.lock);
    g_cond_init(&scratch->barrier.turn);
    scratch->barrier.size = members;
    scratch->max_h = max_h;
    scratch->max_w = max_w;
    scratch->hr_block = z.hr_block;
    scratch->n_buffers = net->n_buffers;
    scratch->n_members = members;
    scratch->shared = g_new0(float *, net->n_buffers);
    scratch->members = g_new0(Member, members);
    gboolean ok = TRUE;
    for (int b = 0; ok && b < net->n_buffers; b++)
        if (net->buffers[b].alias < 0 && net->buffers[b].whole_tile)
            ok = try_alloc(&scratch->shared[b], z.storage[b], "feature", error);
    for (int m = 0; ok && m < members; m++) {
        Member *member = &scratch->members[m];
        member->buf = g_new0(float *, net->n_buffers);
        member->owned = g_new0(float *, net->n_buffers);
        for (int b = 0; ok && b < net->n_buffers; b++)
            if (net->buffers[b].alias < 0 && !net->buffers[b].whole_tile)
                ok = try_alloc(&member->owned[b], z.storage[b], "upsampling", error);
        ok = ok && try_alloc(&member->row_tmp, z.row_tmp, "shuffle row", error)
                && try_alloc(&member->workspace, z.workspace, "convolution workspace", error);
        for (int b = 0; ok && b < net->n_buffers; b++) {
            const int owner = storage_owner(net, b);
            member->buf[b] = net->buffers[b].whole_tile ? scratch->shared[owner] : member->owned[owner];
        }
    }
    g_free(z.storage);
    if (!ok)
        return NULL;
    return g_steal_pointer(&scratch);
}

int srgan_generator_scratch_members(const SrganGeneratorScratch *scratch)
{
    return scratch->n_members;
}

void srgan_generator_abort(SrganGeneratorScratch *scratch)
{
    g_mutex_lock(&scratch->barrier.lock);
    scratch->barrier.aborted = TRUE;
    g_cond_broadcast(&scratch->barrier.turn);
    g_mutex_unlock(&scratch->barrier.lock);
}

gboolean srgan_generator_sync(SrganGeneratorScratch *scratch)
{
    return barrier_wait(&scratch->barrier);
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

/* dst[offset..+n) = scale·src[0..n) (+ res[0..n)), pixel by pixel, for
 * `pixels` pixels from the given first ones. */
static void scaled_add(const SrganNet *net, const SrganOp *op, const float *src, float *dst_buf,
                       const float *res, size_t pixels)
{
    const int sc = net->buffers[op->src].channels, dc = net->buffers[op->dst].channels;
    const int rc = op->res >= 0 ? net->buffers[op->res].channels : 0, n = op->n;
    const float scale = op->scale != 0.0f ? op->scale : 1.0f;
    float *dst = dst_buf + op->offset;
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

/* Member `m`'s band of rows [*y0, *y1) of an h-row first-phase buffer. */
static void band(int h, int m, int members, int *y0, int *y1)
{
    const int rows = (h + members - 1) / members;
    const int step = (rows + BAND_ALIGN - 1) / BAND_ALIGN * BAND_ALIGN;
    *y0 = MIN(h, m * step);
    *y1 = MIN(h, *y0 + step);
}

/* Runs rows [y0, y1) of op on buffers whose level-1 size is h × w (the
 * whole op when y0 = 0 and y1 = h·level). */
static void run_op(const SrganNet *net, const SrganOp *op, Member *member,
                   int h, int w, int y0, int y1)
{
    float *const *buf = member->buf;
    const SrganBuffer *src = &net->buffers[op->src], *dst = &net->buffers[op->dst];
    const int sh = h * src->level, sw = w * src->level;
    switch (op->kind) {
    case SRGAN_OP_CONV: {
        const SrganEpilogue ep = {
            .in_stride = src->channels, .out_stride = dst->channels, .scale = op->scale,
            .residual = op->res >= 0 ? buf[op->res] : NULL,
            .residual_stride = op->res >= 0 ? net->buffers[op->res].channels : 0,
        };
        srgan_conv_forward_rows(&op->conv, buf[op->src], sh, sw, buf[op->dst] + op->offset, &ep,
                                member->workspace, y0, y1);
        break;
    }
    case SRGAN_OP_ADD: {
        /* Row band: shift every buffer to row y0 (strides are per pixel). */
        const size_t skip = (size_t)y0 * sw;
        float *shifted[3];
        const int ids[3] = { op->src, op->dst, op->res };
        for (int k = 0; k < 3; k++)
            shifted[k] = ids[k] >= 0 ? buf[ids[k]] + skip * net->buffers[ids[k]].channels : NULL;
        scaled_add(net, op, shifted[0], shifted[1], shifted[2], (size_t)(y1 - y0) * sw);
        break;
    }
    case SRGAN_OP_SHUFFLE:
        if (buf[op->src] == buf[op->dst])
            srgan_pixel_shuffle_inplace(buf[op->dst], sh, sw, dst->channels, op->factor,
                                        member->row_tmp);
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
static void run_block(const SrganModel *model, Member *member,
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
            memcpy(member->buf[shadow] + (size_t)(y - y0) * win_w * c,
                   member->buf[b] + ((size_t)y * w + x0) * c, sizeof(float) * win_w * c);
    }
    for (int i = net->hr_start; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        run_op(net, op, member, win_h, win_w, 0, win_h * net->buffers[op->src].level);
    }

    /* Keep the block (not its halo), map to [0,1], clamp. */
    const float *image = member->buf[net->output];
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

gboolean srgan_generator_run(const SrganModel *model, SrganGeneratorScratch *scratch, int m,
                             const float *in, int h, int w,
                             int crop_x, int crop_y, int crop_w, int crop_h,
                             float *out)
{
    g_return_val_if_fail(h <= scratch->max_h && w <= scratch->max_w, FALSE);
    g_return_val_if_fail(crop_x >= 0 && crop_y >= 0 && crop_x + crop_w <= w && crop_y + crop_h <= h, FALSE);
    g_return_val_if_fail(m >= 0 && m < scratch->n_members, FALSE);
    const SrganNet *net = model->net;
    const int members = scratch->n_members;
    Member *member = &scratch->members[m];

    int y0, y1;
    band(h, m, members, &y0, &y1);
    float *mapped = member->buf[net->input];
    const float lo = model->input_lo, span = model->input_hi - model->input_lo;
    for (size_t i = (size_t)y0 * w * 3; i < (size_t)y1 * w * 3; i++)
        mapped[i] = lo + span * in[i];
    if (!barrier_wait(&scratch->barrier))
        return FALSE;
    for (int i = 0; i < net->hr_start; i++) {
        run_op(net, &net->ops[i], member, h, w, y0, y1);
        if (!barrier_wait(&scratch->barrier))
            return FALSE;
    }

    const int s = model->scale, step = scratch->hr_block;
    const size_t out_stride = (size_t)crop_w * s * 3;
    int k = 0;
    for (int by = 0; by < crop_h; by += step)
        for (int bx = 0; bx < crop_w; bx += step, k++)
            if (k % members == m)
                run_block(model, member, h, w, crop_x + bx, crop_y + by,
                          MIN(step, crop_w - bx), MIN(step, crop_h - by),
                          out, out_stride, bx * s, by * s);
    return TRUE;
}
