/* activations.c — PReLU (He et al. 2015), LeakyReLU/ReLU and tanh. */
#include "layers.h"
#include "parallel.h"
#include "reduce.h"

#include <math.h>

void prelu_init(PReLU *prelu, ParamList *params, const char *name, int count)
{
    prelu->count = count;
    prelu->slope = param_list_add(params, TRUE, 1, &count, "%s.weight", name);
    for (int i = 0; i < count; i++)
        prelu->slope->value[i] = 0.25f;   /* PyTorch's and He et al.'s start */
}

/* One work item per channel (parallel.h); with a shared slope each
 * channel's share of its gradient is kept apart and added in channel order
 * afterwards, as the one-thread loop adds them. */
typedef struct {
    const PReLU *prelu;
    const Tensor *in, *dout;
    Tensor *out, *din;
    double *da;     /* (c) each channel's slope gradient */
} PreluJob;

static void prelu_forward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    PreluJob *job = data;
    size_t m = (size_t)job->in->n * job->in->h * job->in->w;
    float a = job->prelu->slope->value[job->prelu->count == 1 ? 0 : c];
    const float *x = job->in->data + c * m;
    float *y = job->out->data + c * m;
    for (size_t i = 0; i < m; i++)
        y[i] = x[i] > 0.0f ? x[i] : a * x[i];
}

void prelu_forward(const PReLU *prelu, const Tensor *in, Tensor *out)
{
    g_assert(prelu->count == 1 || prelu->count == in->c);
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    PreluJob job = {.prelu = prelu, .in = in, .out = out};
    train_parallel_for_work(in->c, tensor_size(in), prelu_forward_channel, &job);
}

static void prelu_backward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    PreluJob *job = data;
    size_t m = (size_t)job->in->n * job->in->h * job->in->w;
    float a = job->prelu->slope->value[job->prelu->count == 1 ? 0 : c];
    const float *x = job->in->data + c * m;
    const float *dy = job->dout->data + c * m;
    /* da = Σ_{x ≤ 0} dy·x, in reduce.h's independent lanes */
    double acc[REDUCE_LANES] = {0};
    size_t i = 0;
    for (; i + REDUCE_LANES <= m; i += REDUCE_LANES)
        for (int j = 0; j < REDUCE_LANES; j++) {
            float neg = x[i + j] < 0.0f ? x[i + j] : 0.0f;   /* a select, no branch */
            acc[j] += (double)dy[i + j] * neg;
        }
    double da = reduce_lanes(acc);
    for (; i < m; i++)
        if (x[i] <= 0.0f)
            da += (double)dy[i] * x[i];
    job->da[c] = da;
    if (job->din) {
        float *dx = job->din->data + c * m;
        for (size_t i = 0; i < m; i++)
            dx[i] = x[i] > 0.0f ? dy[i] : a * dy[i];
    }
}

void prelu_backward(const PReLU *prelu, const Tensor *in, const Tensor *dout,
                    Tensor *din)
{
    if (din)
        tensor_reshape(din, in->c, in->n, in->h, in->w);
    g_autofree double *da = g_new(double, in->c);
    PreluJob job = {.prelu = prelu, .in = in, .dout = dout, .din = din, .da = da};
    train_parallel_for_work(in->c, tensor_size(in), prelu_backward_channel, &job);
    for (int c = 0; c < in->c; c++)
        prelu->slope->grad[prelu->count == 1 ? 0 : c] += (float)da[c];
}

/* The element-wise layers below also go one channel per work item. */
typedef struct {
    float slope;
    const Tensor *in, *dout;
    Tensor *out;
} ElementJob;

static size_t channel_floats(const Tensor *t)
{
    return (size_t)t->n * t->h * t->w;
}

static void leaky_forward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    ElementJob *job = data;
    size_t m = channel_floats(job->in);
    const float *x = job->in->data + c * m;
    float *y = job->out->data + c * m;
    const float slope = job->slope;   /* a local: the loop then vectorises */
    for (size_t i = 0; i < m; i++)
        y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

void leaky_relu_forward(float slope, const Tensor *in, Tensor *out)
{
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    ElementJob job = {.slope = slope, .in = in, .out = out};
    train_parallel_for_work(in->c, tensor_size(in), leaky_forward_channel, &job);
}

/* in: the forward's output; out: din (may be dout itself). */
static void leaky_backward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    ElementJob *job = data;
    size_t m = channel_floats(job->in);
    const float *y = job->in->data + c * m;
    const float *dy = job->dout->data + c * m;
    float *dx = job->out->data + c * m;
    const float slope = job->slope;
    for (size_t i = 0; i < m; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : slope * dy[i];
}

void leaky_relu_backward(float slope, const Tensor *out, const Tensor *dout,
                         Tensor *din)
{
    tensor_reshape(din, out->c, out->n, out->h, out->w);
    ElementJob job = {.slope = slope, .in = out, .dout = dout, .out = din};
    train_parallel_for_work(out->c, tensor_size(out), leaky_backward_channel, &job);
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
