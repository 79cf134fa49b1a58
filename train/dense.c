/* dense.c — fully connected layer on (features, samples) tensors. */
#include "layers.h"
#include "parallel.h"

#include <cblas.h>
#include <math.h>

void dense_init(Dense *dense, ParamList *params, const char *name, int in, int out)
{
    dense->in = in;
    dense->out = out;
    dense->weight = param_list_add(params, TRUE, 2, (int[]){out, in}, "%s.weight", name);
    dense->bias = param_list_add(params, TRUE, 1, &out, "%s.bias", name);
}

void dense_randomize(Dense *dense, Rng *rng)
{
    float bound = 1.0f / sqrtf((float)dense->in);
    for (size_t i = 0; i < dense->weight->n; i++)
        dense->weight->value[i] = (float)(2.0 * rng_uniform(rng) - 1.0) * bound;
    for (size_t i = 0; i < dense->bias->n; i++)
        dense->bias->value[i] = (float)(2.0 * rng_uniform(rng) - 1.0) * bound;
}

/* The three products are split into row ranges on the workers (each with
 * single-threaded BLAS): the discriminator's first dense layer is 19 M
 * weights, tens of milliseconds per product on one core. */
#define DENSE_PARTS_PER_WORKER 2

typedef struct {
    const Dense *dense;
    const Tensor *in, *dout;
    Tensor *out, *din;
    int parts;
} DenseJob;

/* Rows [*r0, *r1) of `total` for piece `part` of `parts`; FALSE when empty. */
static gboolean part_rows(int total, int part, int parts, int *r0, int *r1)
{
    *r0 = (int)((gint64)total * part / parts);
    *r1 = (int)((gint64)total * (part + 1) / parts);
    return *r1 > *r0;
}

static int dense_parts(void)
{
    return DENSE_PARTS_PER_WORKER * train_threads();
}

/* out rows [o0, o1) = W rows [o0, o1) · X + bias */
static void forward_part(void *data, int part, G_GNUC_UNUSED int worker)
{
    DenseJob *job = data;
    const Dense *d = job->dense;
    int n = job->in->n, o0, o1;
    if (!part_rows(d->out, part, job->parts, &o0, &o1))
        return;
    for (int o = o0; o < o1; o++)
        for (int s = 0; s < n; s++)
            job->out->data[(size_t)o * n + s] = d->bias->value[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o1 - o0, n, d->in,
                1.0f, d->weight->value + (size_t)o0 * d->in, d->in, job->in->data, n,
                1.0f, job->out->data + (size_t)o0 * n, n);
}

void dense_forward(const Dense *dense, const Tensor *in, Tensor *out)
{
    g_assert(in->c == dense->in && in->h == 1 && in->w == 1);
    tensor_reshape(out, dense->out, in->n, 1, 1);
    DenseJob job = {.dense = dense, .in = in, .out = out, .parts = dense_parts()};
    train_parallel_for(job.parts, forward_part, &job);
}

/* dW rows [o0, o1) += dY rows [o0, o1) · Xᵀ, and their bias gradient */
static void weight_grad_part(void *data, int part, G_GNUC_UNUSED int worker)
{
    DenseJob *job = data;
    const Dense *d = job->dense;
    int n = job->in->n, o0, o1;
    if (!part_rows(d->out, part, job->parts, &o0, &o1))
        return;
    for (int o = o0; o < o1; o++) {
        double sum = 0.0;
        for (int s = 0; s < n; s++)
            sum += job->dout->data[(size_t)o * n + s];
        d->bias->grad[o] += (float)sum;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, o1 - o0, d->in, n,
                1.0f, job->dout->data + (size_t)o0 * n, n, job->in->data, n,
                1.0f, d->weight->grad + (size_t)o0 * d->in, d->in);
}

/* dX rows [i0, i1) = (W columns [i0, i1))ᵀ · dY */
static void input_grad_part(void *data, int part, G_GNUC_UNUSED int worker)
{
    DenseJob *job = data;
    const Dense *d = job->dense;
    int n = job->in->n, i0, i1;
    if (!part_rows(d->in, part, job->parts, &i0, &i1))
        return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i1 - i0, n, d->out,
                1.0f, d->weight->value + i0, d->in, job->dout->data, n,
                0.0f, job->din->data + (size_t)i0 * n, n);
}

void dense_backward(const Dense *dense, const Tensor *in, const Tensor *dout,
                    Tensor *din)
{
    DenseJob job = {.dense = dense, .in = in, .dout = dout, .din = din,
                    .parts = dense_parts()};
    train_parallel_for(job.parts, weight_grad_part, &job);
    if (din) {
        tensor_reshape(din, dense->in, in->n, 1, 1);
        train_parallel_for(job.parts, input_grad_part, &job);
    }
}

void dense_flatten(const Tensor *in, Tensor *out)
{
    int hw = in->h * in->w, n = in->n;
    tensor_reshape(out, in->c * hw, n, 1, 1);
    for (int c = 0; c < in->c; c++)
        for (int s = 0; s < n; s++)
            for (int p = 0; p < hw; p++)
                out->data[((size_t)c * hw + p) * n + s] =
                    in->data[((size_t)c * n + s) * hw + p];
}

void dense_unflatten(const Tensor *dflat, int c, int h, int w, Tensor *din)
{
    int hw = h * w, n = dflat->n;
    tensor_reshape(din, c, n, h, w);
    for (int ch = 0; ch < c; ch++)
        for (int s = 0; s < n; s++)
            for (int p = 0; p < hw; p++)
                din->data[((size_t)ch * n + s) * hw + p] =
                    dflat->data[((size_t)ch * hw + p) * n + s];
}
