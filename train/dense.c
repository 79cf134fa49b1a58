/* dense.c — fully connected layer on (features, samples) tensors. */
#include "layers.h"

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

void dense_forward(const Dense *dense, const Tensor *in, Tensor *out)
{
    g_assert(in->c == dense->in && in->h == 1 && in->w == 1);
    int n = in->n;
    tensor_reshape(out, dense->out, n, 1, 1);
    for (int o = 0; o < dense->out; o++)
        for (int s = 0; s < n; s++)
            out->data[(size_t)o * n + s] = dense->bias->value[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dense->out, n, dense->in,
                1.0f, dense->weight->value, dense->in, in->data, n,
                1.0f, out->data, n);
}

void dense_backward(const Dense *dense, const Tensor *in, const Tensor *dout,
                    Tensor *din)
{
    int n = in->n;
    for (int o = 0; o < dense->out; o++) {
        double sum = 0.0;
        for (int s = 0; s < n; s++)
            sum += dout->data[(size_t)o * n + s];
        dense->bias->grad[o] += (float)sum;
    }
    /* dW(out, in) += dY(out, n) · Xᵀ */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, dense->out, dense->in, n,
                1.0f, dout->data, n, in->data, n, 1.0f, dense->weight->grad, dense->in);
    if (din) {
        tensor_reshape(din, dense->in, n, 1, 1);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dense->in, n, dense->out,
                    1.0f, dense->weight->value, dense->in, dout->data, n,
                    0.0f, din->data, n);
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
