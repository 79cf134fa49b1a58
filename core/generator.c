/* generator.c — the SRResNet forward pass on one tile.
 *
 * The network (weights/FORMAT.md, Ledig et al. 2017 fig. 4):
 *   x  = lo + (hi-lo)·pixel
 *   h  = prelu(head9×9(x))                                   C channels
 *   r  = h;  r = r + conv2(prelu(conv1(r)))   for each block  (BN folded)
 *   r  = body(r) [+ prelu] + h
 *   r  = prelu(shuffle2(up_k(r)))             for each stage  (×2 each)
 *   y  = output(tail9×9(r)), clamped to [0,1]; output = identity or (tanh+1)/2
 * The stages' PReLU runs in the conv's epilogue, before the shuffle, with
 * each slope repeated for the 4 conv channels that become its channel
 * (model.h): the same values, one pass less.
 *
 * Memory: the low-resolution part needs four C-channel maps of the whole
 * input (the long skip, the block ping-pong, the conv temp).  The upsample
 * stages are the expensive part in memory (4C channels at 2× and 4× the
 * resolution), so they run on square blocks of the crop, each with its own
 * small halo (hr_halo low-res pixels), and their buffers stay bounded by a
 * constant whatever the tile size.  Per block the up convs write their 4C
 * output and the pixel shuffle rearranges it in place, row by row.
 */
#include "generator.h"

#include <math.h>
#include <string.h>

/* Floats of the largest upsample buffer of one block (12 MB). */
#define HR_BLOCK_FLOATS ((size_t)3 << 20)

struct SrganGeneratorScratch {
    int max_h, max_w;       /* largest input it was sized for (tile + halo) */
    int hr_block;           /* R: crop pixels per side of an upsample block */
    int hr_halo;            /* low-res pixels around a block the up stages see */
    float *skip;            /* (max_h, max_w, C): head output, the long skip */
    float *feat[3];         /* (max_h, max_w, C) each: residual ping-pong and conv temp;
                               feat[2] first holds the mapped input (max_h, max_w, 3) */
    float *hr_big;          /* (R+2hh)·2^n square × C: the last stage's output */
    float *hr_small;        /* the other stages' outputs and the tail's (3 channels) */
    float *shuffle_row;     /* one pre-shuffle row: (R+2hh)·2^(n-1) × 4C */
    float *workspace;       /* the largest srgan_conv_workspace_floats() */
};

/* ---- sizes ------------------------------------------------------------- */

/* Receptive radius of the upsample stages and the tail, in low-res pixels
 * (fractional: stage k runs at 2^k times the resolution). */
static double upsample_radius(const SrganModel *model)
{
    double radius = 0.0;
    for (int k = 0; k < model->n_stages; k++)
        radius += (model->up[k].ksize / 2) / (double)(1 << k);
    return radius + (model->out.ksize / 2) / (double)model->scale;
}

int srgan_generator_receptive_radius(const SrganModel *model)
{
    int radius = model->head.ksize / 2 + model->body.ksize / 2;
    for (int b = 0; b < model->n_blocks; b++)
        radius += model->blocks[b].conv1.ksize / 2 + model->blocks[b].conv2.ksize / 2;
    return radius + (int)ceil(upsample_radius(model));
}

typedef struct {
    size_t lr_map;          /* floats of one C-channel low-res map */
    size_t input;           /* floats of the mapped 3-channel input */
    int hr_block, hr_halo;
    size_t hr_big, hr_small, shuffle_row, workspace;
} ScratchSizes;

static ScratchSizes scratch_sizes(const SrganModel *model, int max_h, int max_w)
{
    ScratchSizes z = { 0 };
    const int c = model->channels, n = model->n_stages, s = model->scale;
    const size_t pixels = (size_t)max_h * max_w;
    z.lr_map = pixels * c;
    z.input = pixels * 3;
    z.hr_halo = (int)ceil(upsample_radius(model));

    /* The largest R whose last-stage buffer fits the budget, but no bigger
     * than the input itself: the crop never is. */
    int r = 8;
    while ((size_t)(r + 1 + 2 * z.hr_halo) * (r + 1 + 2 * z.hr_halo) * s * s * c <= HR_BLOCK_FLOATS)
        r++;
    z.hr_block = MIN(r, MAX(max_h, max_w));
    const int side = MIN(z.hr_block + 2 * z.hr_halo, MAX(max_h, max_w));  /* low-res block + halo */
    const size_t side_px = (size_t)side * side;
    z.hr_big = side_px * s * s * c;
    z.hr_small = MAX(side_px * (s / 2) * (s / 2) * c, side_px * s * s * 3);
    z.shuffle_row = (size_t)side * (s / 2) * 4 * c;

    size_t ws = 0;
    ws = MAX(ws, srgan_conv_workspace_floats(&model->head, max_h, max_w));
    for (int b = 0; b < model->n_blocks; b++) {
        ws = MAX(ws, srgan_conv_workspace_floats(&model->blocks[b].conv1, max_h, max_w));
        ws = MAX(ws, srgan_conv_workspace_floats(&model->blocks[b].conv2, max_h, max_w));
    }
    ws = MAX(ws, srgan_conv_workspace_floats(&model->body, max_h, max_w));
    for (int k = 0; k < n; k++)
        ws = MAX(ws, srgan_conv_workspace_floats(&model->up[k], side << k, side << k));
    ws = MAX(ws, srgan_conv_workspace_floats(&model->out, side * s, side * s));
    z.workspace = ws;
    return z;
}

size_t srgan_generator_scratch_bytes(const SrganModel *model, int max_h, int max_w)
{
    const ScratchSizes z = scratch_sizes(model, max_h, max_w);
    return sizeof(float) * (4 * z.lr_map + z.hr_big + z.hr_small + z.shuffle_row + z.workspace);
}

void srgan_generator_scratch_free(SrganGeneratorScratch *scratch)
{
    if (!scratch)
        return;
    g_free(scratch->skip);
    for (int i = 0; i < 3; i++)
        g_free(scratch->feat[i]);
    g_free(scratch->hr_big);
    g_free(scratch->hr_small);
    g_free(scratch->shuffle_row);
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
    const ScratchSizes z = scratch_sizes(model, max_h, max_w);
    g_autoptr(SrganGeneratorScratch) scratch = g_new0(SrganGeneratorScratch, 1);
    scratch->max_h = max_h;
    scratch->max_w = max_w;
    scratch->hr_block = z.hr_block;
    scratch->hr_halo = z.hr_halo;
    if (!try_alloc(&scratch->skip, z.lr_map, "skip", error)
        || !try_alloc(&scratch->feat[0], z.lr_map, "feature", error)
        || !try_alloc(&scratch->feat[1], z.lr_map, "feature", error)
        || !try_alloc(&scratch->feat[2], MAX(z.lr_map, z.input), "feature", error)
        || !try_alloc(&scratch->hr_big, z.hr_big, "upsample", error)
        || !try_alloc(&scratch->hr_small, z.hr_small, "upsample", error)
        || !try_alloc(&scratch->shuffle_row, z.shuffle_row, "shuffle row", error)
        || !try_alloc(&scratch->workspace, z.workspace, "convolution workspace", error))
        return NULL;
    return g_steal_pointer(&scratch);
}

/* ---- the forward pass ------------------------------------------------- */

void srgan_pixel_shuffle2_inplace(float *buf, int h, int w, int c, float *row_tmp)
{
    const size_t row = (size_t)w * 4 * c;
    for (int y = 0; y < h; y++) {
        float *src_row = buf + y * row;
        memcpy(row_tmp, src_row, row * sizeof(float));
        /* Output rows 2y and 2y+1 (each 2w × c) occupy exactly this span. */
        for (int i = 0; i < 2; i++) {
            float *dst = src_row + (size_t)i * 2 * w * c;
            for (int x = 0; x < w; x++)
                for (int j = 0; j < 2; j++) {
                    float *d = dst + ((size_t)2 * x + j) * c;
                    const float *s = row_tmp + (size_t)x * 4 * c + i * 2 + j;
                    for (int ch = 0; ch < c; ch++)
                        d[ch] = s[(size_t)ch * 4];
                }
        }
    }
}

/* Up stages and tail for the crop block (bx, by, bw, bh) of the body
 * output `feat` (h × w × C); writes its rows of `out` (out_stride floats
 * per row, block at (ox, oy) high-res pixels into it). */
static void run_upsample_block(const SrganModel *model, SrganGeneratorScratch *scratch,
                               const float *feat, int h, int w,
                               int bx, int by, int bw, int bh,
                               float *out, size_t out_stride, int ox, int oy)
{
    const int c = model->channels, n = model->n_stages, s = model->scale;
    const int hh = scratch->hr_halo;
    /* The block plus its halo, clipped to the input. */
    const int x0 = MAX(0, bx - hh), x1 = MIN(w, bx + bw + hh);
    const int y0 = MAX(0, by - hh), y1 = MIN(h, by + bh + hh);
    int bh_cur = y1 - y0, bw_cur = x1 - x0;

    /* Stage k's output goes to hr_big when n-1-k is even, so the last
     * stage (the biggest) always lands there. */
    float *stage_in = (n % 2 == 0) ? scratch->hr_big : scratch->hr_small;
    for (int y = y0; y < y1; y++)
        memcpy(stage_in + (size_t)(y - y0) * bw_cur * c,
               feat + ((size_t)y * w + x0) * c, sizeof(float) * bw_cur * c);

    for (int k = 0; k < n; k++) {
        float *stage_out = ((n - 1 - k) % 2 == 0) ? scratch->hr_big : scratch->hr_small;
        srgan_conv_forward(&model->up[k], stage_in, bh_cur, bw_cur, stage_out,
                           NULL, scratch->workspace);
        srgan_pixel_shuffle2_inplace(stage_out, bh_cur, bw_cur, c, scratch->shuffle_row);
        bh_cur *= 2;
        bw_cur *= 2;
        stage_in = stage_out;
    }

    float *image = scratch->hr_small;   /* hr_big holds the tail's input */
    srgan_conv_forward(&model->out, stage_in, bh_cur, bw_cur, image, NULL, scratch->workspace);

    /* Keep the block (not its halo), map to [0,1], clamp. */
    const int skip_x = (bx - x0) * s, skip_y = (by - y0) * s;
    for (int y = 0; y < bh * s; y++) {
        const float *src = image + ((size_t)(y + skip_y) * bw_cur + skip_x) * 3;
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

    const size_t pixels = (size_t)h * w;
    float *mapped = scratch->feat[2];
    const float lo = model->input_lo, span = model->input_hi - model->input_lo;
    for (size_t i = 0; i < pixels * 3; i++)
        mapped[i] = lo + span * in[i];

    float *skip = scratch->skip, *ws = scratch->workspace;
    srgan_conv_forward(&model->head, mapped, h, w, skip, NULL, ws);

    /* Residual blocks: r → r + conv2(conv1(r)), starting from the skip.
     * conv2's output may not alias its residual input, so the result
     * alternates between feat[0] and feat[1]; feat[2] holds conv1's. */
    const float *r = skip;
    float *temp = scratch->feat[2];
    for (int b = 0; b < model->n_blocks; b++) {
        float *next = scratch->feat[b % 2];
        const SrganEpilogue add_r = { .residual = r };
        srgan_conv_forward(&model->blocks[b].conv1, r, h, w, temp, NULL, ws);
        srgan_conv_forward(&model->blocks[b].conv2, temp, h, w, next, &add_r, ws);
        r = next;
    }
    /* Body conv + long skip; `temp` is free again. */
    const SrganEpilogue add_skip = { .residual = skip };
    srgan_conv_forward(&model->body, r, h, w, temp, &add_skip, ws);

    const int s = model->scale, step = scratch->hr_block;
    const size_t out_stride = (size_t)crop_w * s * 3;
    for (int by = 0; by < crop_h; by += step)
        for (int bx = 0; bx < crop_w; bx += step)
            run_upsample_block(model, scratch, temp, h, w,
                               crop_x + bx, crop_y + by,
                               MIN(step, crop_w - bx), MIN(step, crop_h - by),
                               out, out_stride, bx * s, by * s);
}
