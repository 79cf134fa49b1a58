/* vgg-tall.c — VGG19's content loss in the core kernels' own layout.
 *
 * vgg.c's path keeps VGG19's activations channel-major like the rest of
 * the trainer, so each of its 16 convolutions, in each of a step's three
 * passes (φ(hr), φ(sr) and the gradient), transposes its input to the
 * core's pixel-major layout and its output back: about a gigabyte of
 * memory traffic per SRGAN step.  VGG19 is frozen and made of nothing but
 * 3×3 convolutions, ReLUs and 2×2 max-pooling, all as easy pixel-major, so
 * here the whole network stays in the "tall" HWC layout the core kernels
 * are run on (conv2d_run_tall): the batch's images one under the other,
 * one row of zeros between them.  The convolutions write values into those
 * gap rows too, which are cleared after each (they are the next layer's
 * zero padding).  Only the input and the final gradient are transposed.
 * The arithmetic is the same as vgg.c's; the tests compare the two.
 */
#include "vgg.h"
#include "parallel.h"
#include "transpose.h"

#include <string.h>

#define GAP 1   /* zero rows between images: a 3×3 conv reads one past the edge */

/* A batch of n images h × w with c channels in the tall layout. */
typedef struct {
    float *data;
    int n, h, w, c;
} Tall;

static int tall_rows(const Tall *t)
{
    return t->n * (t->h + GAP) - GAP;
}

static size_t tall_floats(const Tall *t)
{
    return (size_t)tall_rows(t) * t->w * t->c;
}

static float *tall_image(const Tall *t, int n)
{
    return t->data + (size_t)n * (t->h + GAP) * t->w * t->c;
}

static Tall tall_on(Scratch *s, int n, int h, int w, int c)
{
    Tall t = {NULL, n, h, w, c};
    t.data = scratch_get(s, tall_floats(&t));
    return t;
}

/* Zeroes the gap rows (after a convolution wrote into them). */
static void clear_gaps(const Tall *t)
{
    size_t row = (size_t)t->w * t->c;
    for (int n = 0; n + 1 < t->n; n++)
        memset(tall_image(t, n) + (size_t)t->h * row, 0, GAP * row * sizeof(float));
}

/* ---- input: [−1, 1] CNHW → ImageNet-normalised tall HWC ------------------ */
typedef struct {
    const Tensor *image;
    Tall out;
    const float *k, *b;
} InputJob;

static void input_item(void *data, int n, G_GNUC_UNUSED int worker)
{
    InputJob *job = data;
    const Tensor *img = job->image;
    size_t hw = (size_t)img->h * img->w;
    float *dst = tall_image(&job->out, n);
    transpose_floats(img->data + n * hw, 3, hw, (size_t)img->n * hw, dst, 3);
    for (size_t p = 0; p < hw; p++)
        for (int c = 0; c < 3; c++)
            dst[p * 3 + c] = dst[p * 3 + c] * job->k[c] + job->b[c];
    if (n + 1 < img->n)
        memset(dst + hw * 3, 0, GAP * (size_t)img->w * 3 * sizeof(float));
}

/* ---- 2×2 max pooling, forward and backward, one image per item ---------- */
typedef struct {
    Tall in, out;           /* backward: in = the pooled layer's input, out its gradient */
    const float *grad;      /* backward: the pooled output's gradient (tall) */
} PoolJob;

static void pool_item(void *data, int n, G_GNUC_UNUSED int worker)
{
    PoolJob *job = data;
    const Tall *in = &job->in, *out = &job->out;
    const float *src = tall_image(in, n);
    float *dst = tall_image(out, n);
    size_t c = (size_t)in->c, row = (size_t)in->w * c;
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++) {
            const float *a = src + (size_t)(2 * y) * row + (size_t)(2 * x) * c;
            const float *b = a + row;
            float *d = dst + ((size_t)y * out->w + x) * c;
            for (size_t ch = 0; ch < c; ch++)
                d[ch] = MAX(MAX(a[ch], a[ch + c]), MAX(b[ch], b[ch + c]));
        }
    if (n + 1 < out->n)
        memset(dst + (size_t)out->h * out->w * c, 0, GAP * (size_t)out->w * c * sizeof(float));
}

/* The gradient goes to the first maximum of each window in row-major
 * order, as maxpool_backward() (reshape.c) gives it. */
static void unpool_item(void *data, int n, G_GNUC_UNUSED int worker)
{
    PoolJob *job = data;
    const Tall *in = &job->in;
    int ho = in->h / 2, wo = in->w / 2;
    const float *src = tall_image(in, n);
    const float *dy = job->grad + (size_t)n * (ho + GAP) * wo * in->c;
    float *dx = tall_image(&job->out, n);
    size_t c = (size_t)in->c, row = (size_t)in->w * c;
    memset(dx, 0, (size_t)(n + 1 < in->n ? in->h + GAP : in->h) * row * sizeof(float));
    for (int y = 0; y < ho; y++)
        for (int x = 0; x < wo; x++) {
            size_t base = (size_t)(2 * y) * row + (size_t)(2 * x) * c;
            size_t cand[4] = {base, base + c, base + row, base + row + c};
            const float *g = dy + ((size_t)y * wo + x) * c;
            for (size_t ch = 0; ch < c; ch++) {
                size_t best = cand[0] + ch;
                for (int k = 1; k < 4; k++)
                    if (src[cand[k] + ch] > src[best])
                        best = cand[k] + ch;
                dx[best] += g[ch];
            }
        }
}

/* ---- ReLU backward in place, by bands of rows ----------------------------- */
typedef struct {
    const float *act;
    float *grad;
    size_t count, per_item;
    float slope;
} ReluJob;

static void relu_item(void *data, int item, G_GNUC_UNUSED int worker)
{
    ReluJob *job = data;
    size_t a = (size_t)item * job->per_item, b = MIN(job->count, a + job->per_item);
    for (size_t i = a; i < b; i++)
        if (!(job->act[i] > 0.0f))
            job->grad[i] *= job->slope;
}

static void relu_backward(const Tall *act, float *grad, float slope)
{
    ReluJob job = {act->data, grad, tall_floats(act), 0, slope};
    int items = 4 * train_threads();
    job.per_item = (job.count + items - 1) / items;
    train_parallel_for_work(items, job.count, relu_item, &job);
}

/* ---- the network ------------------------------------------------------------ */
/* φ(image) into vgg->tall_act[last]; every activation kept.  FALSE when a
 * convolution has no core kernel (nothing useful done then). */
static gboolean forward(Vgg *vgg, const Tensor *image, Tall *acts, Tall *pools)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    float k[3], b[3];
    for (int c = 0; c < 3; c++) {
        k[c] = 0.5f / std[c];
        b[c] = (0.5f - mean[c]) / std[c];
    }
    InputJob in_job = {image, tall_on(&vgg->tall_input, image->n, image->h, image->w, 3), k, b};
    train_parallel_for(image->n, input_item, &in_job);
    Tall in = in_job.out;
    for (int i = 0; i < vgg->n_convs; i++) {
        if (vgg->pool_before[i]) {
            PoolJob job = {in, tall_on(&vgg->tall_pool[i], in.n, in.h / 2, in.w / 2, in.c), NULL};
            train_parallel_for(in.n, pool_item, &job);
            pools[i] = in = job.out;
        }
        Tall out = tall_on(&vgg->tall_act[i], in.n, in.h, in.w, vgg->conv[i].cout);
        if (!conv2d_run_tall(&vgg->conv[i], FALSE, vgg->relu_slope, in.data, tall_rows(&in),
                             in.w, out.data))
            return FALSE;
        clear_gaps(&out);
        acts[i] = in = out;
    }
    return TRUE;
}

gboolean vgg_tall_content_loss(Vgg *vgg, const Tensor *sr, const Tensor *hr, float weight,
                               Tensor *dsr, double *loss)
{
    Tall acts[VGG_MAX_CONVS], pools[VGG_MAX_CONVS];
    int last = vgg->n_convs - 1;
    if (!forward(vgg, hr, acts, pools))
        return FALSE;
    size_t count = tall_floats(&acts[last]);
    float *target = scratch_get(&vgg->tall_target, count);
    memcpy(target, acts[last].data, count * sizeof(float));
    forward(vgg, sr, acts, pools);

    /* mean((s·a − s·b)²) over the real pixels (the gaps are 0 in both) */
    float s = vgg->feature_scale;
    size_t real = (size_t)acts[last].n * acts[last].h * acts[last].w * acts[last].c;
    float *g = scratch_get(&vgg->tall_grad[0], count);
    const float *a = acts[last].data;
    double sum = 0.0;
    float kg = 2.0f * weight * s * s / (float)real;
    for (size_t i = 0; i < count; i++) {
        float d = a[i] - target[i];
        sum += (double)d * d;
        g[i] = kg * d;
    }
    *loss = sum / (double)real * s * s;
    if (!dsr)
        return TRUE;

    int which = 0;
    for (int i = last; i >= 0; i--) {
        relu_backward(&acts[i], g, vgg->relu_slope);
        Tall in = vgg->pool_before[i] ? pools[i] : i ? acts[i - 1] : (Tall){NULL, sr->n, sr->h, sr->w, 3};
        float *dx = scratch_get(&vgg->tall_grad[1 - which], (size_t)tall_rows(&in) * in.w * in.c);
        conv2d_run_tall(&vgg->conv[i], TRUE, 0.0f, g, tall_rows(&in), in.w, dx);
        Tall dx_tall = {dx, in.n, in.h, in.w, in.c};
        clear_gaps(&dx_tall);
        which = 1 - which;
        g = dx;
        if (vgg->pool_before[i]) {
            const Tall *pin = &acts[i - 1];
            float *up = scratch_get(&vgg->tall_grad[1 - which], tall_floats(pin));
            PoolJob job = {*pin, {up, pin->n, pin->h, pin->w, pin->c}, g};
            train_parallel_for(pin->n, unpool_item, &job);
            which = 1 - which;
            g = up;
        }
    }
    /* g = d/d(normalized input), tall HWC → d/d(sr), CNHW */
    static const float std[3] = {0.229f, 0.224f, 0.225f};
    tensor_reshape(dsr, 3, sr->n, sr->h, sr->w);
    size_t hw = (size_t)sr->h * sr->w;
    Tall gin = {g, sr->n, sr->h, sr->w, 3};
    for (int n = 0; n < sr->n; n++)
        transpose_floats(tall_image(&gin, n), hw, 3, 3, dsr->data + n * hw, (size_t)sr->n * hw);
    for (int c = 0; c < 3; c++) {
        float kc = 0.5f / std[c];
        float *plane = dsr->data + (size_t)c * sr->n * hw;
        for (size_t i = 0; i < (size_t)sr->n * hw; i++)
            plane[i] *= kc;
    }
    return TRUE;
}
