/* activations.c — PReLU (He et al. 2015), LeakyReLU/ReLU and tanh. */
#include "layers.h"

#include <math.h>

void prelu_init(PReLU *prelu, ParamList *params, const char *name, int count)
{
    prelu->count = count;
    prelu->slope = param_list_add(params, TRUE, 1, &count, "%s.weight", name);
    for (int i = 0; i < count; i++)
        prelu->slope->value[i] = 0.25f;   /* PyTorch's and He et al.'s start */
}

void prelu_forward(const PReLU *prelu, const Tensor *in, Tensor *out)
{
    g_assert(prelu->count == 1 || prelu->count == in->c);
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    size_t m = (size_t)in->n * in->h * in->w;
    for (int c = 0; c < in->c; c++) {
        float a = prelu->slope->value[prelu->count == 1 ? 0 : c];
        const float *x = in->data + c * m;
        float *y = out->data + c * m;
        for (size_t i = 0; i < m; i++)
            y[i] = x[i] > 0.0f ? x[i] : a * x[i];
    }
}

void prelu_backward(const PReLU *prelu, const Tensor *in, const Tensor *dout,
                    Tensor *din)
{
    size_t m = (size_t)in->n * in->h * in->w;
    if (din)
        tensor_reshape(din, in->c, in->n, in->h, in->w);
    for (int c = 0; c < in->c; c++) {
        int s = prelu->count == 1 ? 0 : c;
        float a = prelu->slope->value[s];
        const float *x = in->data + c * m;
        const float *dy = dout->data + c * m;
        double da = 0.0;
        for (size_t i = 0; i < m; i++)
            if (x[i] <= 0.0f)
                da += dy[i] * x[i];
        prelu->slope->grad[s] += (float)da;
        if (din) {
            float *dx = din->data + c * m;
            for (size_t i = 0; i < m; i++)
                dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i];
        }
    }
}

void leaky_relu_forward(float slope, const Tensor *in, Tensor *out)
{
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    size_t n = tensor_size(in);
    for (size_t i = 0; i < n; i++) {
        float x = in->data[i];
        out->data[i] = x > 0.0f ? x : slope * x;
    }
}

void leaky_relu_backward(float slope, const Tensor *out, const Tensor *dout,
                         Tensor *din)
{
    tensor_reshape(din, out->c, out->n, out->h, out->w);
    size_t n = tensor_size(out);
    for (size_t i = 0; i < n; i++)
        din->data[i] = out->data[i] > 0.0f ? dout->data[i] : slope * dout->data[i];
}

void tanh_forward(const Tensor *in, Tensor *out)
{
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    size_t n = tensor_size(in);
    for (size_t i = 0; i < n; i++)
        out->data[i] = tanhf(in->data[i]);
}

void tanh_backward(const Tensor *out, const Tensor *dout, Tensor *din)
{
    tensor_reshape(din, out->c, out->n, out->h, out->w);
    size_t n = tensor_size(out);
    for (size_t i = 0; i < n; i++) {
        float y = out->data[i];
        din->data[i] = dout->data[i] * (1.0f - y * y);
    }
}
