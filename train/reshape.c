/* reshape.c — pixel shuffle (Shi et al. 2016) and 2×2 max pooling. */
#include "layers.h"
#include "parallel.h"

#include <string.h>

void pixel_shuffle_forward(const Tensor *in, Tensor *out)
{
    g_assert(in->c % 4 == 0);
    int c_out = in->c / 4, n = in->n, h = in->h, w = in->w;
    tensor_reshape(out, c_out, n, 2 * h, 2 * w);
    size_t in_plane = (size_t)n * h * w, out_plane = (size_t)n * 4 * h * w;
    for (int c = 0; c < c_out; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                const float *src = in->data + (size_t)(c * 4 + i * 2 + j) * in_plane;
                float *dst = out->data + c * out_plane;
                for (int s = 0; s < n; s++)
                    for (int y = 0; y < h; y++) {
                        const float *srow = src + ((size_t)s * h + y) * w;
                        float *drow = dst + ((size_t)s * 2 * h + 2 * y + i) * 2 * w + j;
                        for (int x = 0; x < w; x++)
                            drow[2 * x] = srow[x];
                    }
            }
}

void pixel_shuffle_backward(const Tensor *dout, Tensor *din)
{
    int c_out = dout->c, n = dout->n, h = dout->h / 2, w = dout->w / 2;
    tensor_reshape(din, c_out * 4, n, h, w);
    size_t in_plane = (size_t)n * h * w, out_plane = (size_t)n * 4 * h * w;
    for (int c = 0; c < c_out; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                float *dst = din->data + (size_t)(c * 4 + i * 2 + j) * in_plane;
                const float *src = dout->data + c * out_plane;
                for (int s = 0; s < n; s++)
                    for (int y = 0; y < h; y++) {
                        float *drow = dst + ((size_t)s * h + y) * w;
                        const float *srow = src + ((size_t)s * 2 * h + 2 * y + i) * 2 * w + j;
                        for (int x = 0; x < w; x++)
                            drow[x] = srow[2 * x];
                    }
            }
}

/* One work item per channel (parallel.h). */
typedef struct {
    const Tensor *in, *dout;
    Tensor *out;
} PoolJob;

static void maxpool_forward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    PoolJob *job = data;
    const Tensor *in = job->in;
    int ho = in->h / 2, wo = in->w / 2;
    for (int p = c * in->n; p < (c + 1) * in->n; p++) {
        const float *src = in->data + (size_t)p * in->h * in->w;
        float *dst = job->out->data + (size_t)p * ho * wo;
        for (int y = 0; y < ho; y++)
            for (int x = 0; x < wo; x++) {
                const float *a = src + (size_t)(2 * y) * in->w + 2 * x;
                const float *b = a + in->w;
                float m = MAX(MAX(a[0], a[1]), MAX(b[0], b[1]));
                dst[y * wo + x] = m;
            }
    }
}

void maxpool_forward(const Tensor *in, Tensor *out)
{
    tensor_reshape(out, in->c, in->n, in->h / 2, in->w / 2);
    PoolJob job = {.in = in, .out = out};
    train_parallel_for_work(in->c, tensor_size(in), maxpool_forward_channel, &job);
}

/* The gradient goes to the first maximum of each window (row-major), the
 * same element a strict '>' scan picks. */
static void maxpool_backward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    PoolJob *job = data;
    const Tensor *in = job->in;
    int ho = in->h / 2, wo = in->w / 2;
    for (int p = c * in->n; p < (c + 1) * in->n; p++) {
        const float *src = in->data + (size_t)p * in->h * in->w;
        float *dsrc = job->out->data + (size_t)p * in->h * in->w;
        const float *dy = job->dout->data + (size_t)p * ho * wo;
        memset(dsrc, 0, sizeof(float) * in->h * in->w);
        for (int y = 0; y < ho; y++)
            for (int x = 0; x < wo; x++) {
                size_t base = (size_t)(2 * y) * in->w + 2 * x;
                size_t cand[4] = {base, base + 1, base + in->w, base + in->w + 1};
                size_t best = cand[0];
                for (int k = 1; k < 4; k++)
                    if (src[cand[k]] > src[best])
                        best = cand[k];
                dsrc[best] += dy[y * wo + x];
            }
    }
}

void maxpool_backward(const Tensor *in, const Tensor *dout, Tensor *din)
{
    tensor_reshape(din, in->c, in->n, in->h, in->w);
    PoolJob job = {.in = in, .dout = dout, .out = din};
    train_parallel_for_work(in->c, tensor_size(in), maxpool_backward_channel, &job);
}
