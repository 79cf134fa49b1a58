/* batchnorm.c — BatchNorm2d (Ioffe & Szegedy 2015) in training and
 * evaluation mode, with PyTorch's running-statistics rule:
 * running = (1 − momentum)·running + momentum·batch, variance unbiased. */
#include "layers.h"
#include "parallel.h"
#include "reduce.h"

#include <math.h>

void batchnorm_init(BatchNorm2d *bn, ParamList *params, const char *name, int c)
{
    bn->c = c;
    bn->eps = 1e-5f;
    bn->momentum = 0.1f;
    bn->gamma = param_list_add(params, TRUE, 1, &c, "%s.weight", name);
    bn->beta = param_list_add(params, TRUE, 1, &c, "%s.bias", name);
    bn->running_mean = param_list_add(params, FALSE, 1, &c, "%s.running_mean", name);
    bn->running_var = param_list_add(params, FALSE, 1, &c, "%s.running_var", name);
    for (int i = 0; i < c; i++) {
        bn->gamma->value[i] = 1.0f;
        bn->running_var->value[i] = 1.0f;
    }
    bn->mean = g_new0(float, c);
    bn->invstd = g_new0(float, c);
}

void batchnorm_clear(BatchNorm2d *bn)
{
    g_clear_pointer(&bn->mean, g_free);
    g_clear_pointer(&bn->invstd, g_free);
}

/* One work item per channel (parallel.h): channels are independent spans of
 * the CNHW tensor, so the workers share nothing and the sums come out as
 * on one thread.  With `leaky` a LeakyReLU follows the normalisation in the
 * same pass (the discriminator's BN + LeakyReLU): its output is never
 * stored, and its backward pass reads the sign of the activation, which is
 * the sign of the normalised value (slope > 0). */
typedef struct {
    BatchNorm2d *bn;
    const Tensor *in, *dout, *act;
    Tensor *out, *din;
    gboolean training, leaky;
    float slope;
} BnJob;

static void forward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    BnJob *job = data;
    BatchNorm2d *bn = job->bn;
    size_t m = (size_t)job->in->n * job->in->h * job->in->w;
    const float *x = job->in->data + c * m;
    float *y = job->out->data + c * m;
    float mean, invstd;
    if (job->training) {
        double mu = reduce_sum(x, m) / (double)m;
        double sq = reduce_squared_deviation(x, m, mu);
        double var = sq / (double)m;
        mean = (float)mu;
        invstd = (float)(1.0 / sqrt(var + bn->eps));
        bn->mean[c] = mean;
        bn->invstd[c] = invstd;
        double unbiased = m > 1 ? sq / (double)(m - 1) : var;
        float *rm = &bn->running_mean->value[c], *rv = &bn->running_var->value[c];
        *rm = (1.0f - bn->momentum) * *rm + bn->momentum * mean;
        *rv = (1.0f - bn->momentum) * *rv + bn->momentum * (float)unbiased;
    } else {
        mean = bn->running_mean->value[c];
        invstd = 1.0f / sqrtf(bn->running_var->value[c] + bn->eps);
    }
    float scale = bn->gamma->value[c] * invstd;
    float shift = bn->beta->value[c] - mean * scale;
    if (job->leaky) {
        float slope = job->slope;
        for (size_t i = 0; i < m; i++) {
            float v = x[i] * scale + shift;
            y[i] = v > 0.0f ? v : slope * v;
        }
    } else {
        for (size_t i = 0; i < m; i++)
            y[i] = x[i] * scale + shift;
    }
}

void batchnorm_forward(BatchNorm2d *bn, const Tensor *in, Tensor *out,
                       gboolean training)
{
    g_assert(in->c == bn->c);
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    BnJob job = {.bn = bn, .in = in, .out = out, .training = training};
    train_parallel_for_work(bn->c, tensor_size(in), forward_channel, &job);
}

void batchnorm_leaky_forward(BatchNorm2d *bn, const Tensor *in, Tensor *out,
                             gboolean training, float slope)
{
    g_assert(in->c == bn->c && slope > 0.0f);
    tensor_reshape(out, in->c, in->n, in->h, in->w);
    BnJob job = {.bn = bn, .in = in, .out = out, .training = training,
                 .leaky = TRUE, .slope = slope};
    train_parallel_for_work(bn->c, tensor_size(in), forward_channel, &job);
}

/* With x̂ = (x − μ)·σ⁻¹ and M elements per channel:
 * dγ = Σ dy·x̂, dβ = Σ dy, dx = γσ⁻¹/M · (M·dy − Σdy − x̂·Σ dy·x̂). */
static void backward_channel(void *data, int c, G_GNUC_UNUSED int worker)
{
    BnJob *job = data;
    const BatchNorm2d *bn = job->bn;
    size_t m = (size_t)job->in->n * job->in->h * job->in->w;
    const float *x = job->in->data + c * m;
    const float *dy = job->dout->data + c * m;
    /* with the LeakyReLU: dy is the activation's gradient, taken back
     * through it element by element as it is read (a select, so that the
     * loops vectorise) */
    const float *act = job->leaky ? job->act->data + c * m : NULL;
    const float slope = job->slope;
    float mean = bn->mean[c], invstd = bn->invstd[c];
    double sum_dy, sum_dy_dev;
    if (act) {
        double a[REDUCE_LANES] = {0}, b[REDUCE_LANES] = {0};
        size_t i = 0;
        for (; i + REDUCE_LANES <= m; i += REDUCE_LANES)
            for (int j = 0; j < REDUCE_LANES; j++) {
                float d = act[i + j] > 0.0f ? dy[i + j] : slope * dy[i + j];
                a[j] += d;
                b[j] += (double)d * ((double)x[i + j] - mean);
            }
        sum_dy = reduce_lanes(a);
        sum_dy_dev = reduce_lanes(b);
        for (; i < m; i++) {
            float d = act[i] > 0.0f ? dy[i] : slope * dy[i];
            sum_dy += d;
            sum_dy_dev += (double)d * ((double)x[i] - mean);
        }
    } else {
        reduce_sum_and_moment(dy, x, m, mean, &sum_dy, &sum_dy_dev);
    }
    double sum_dy_xhat = sum_dy_dev * invstd;
    bn->gamma->grad[c] += (float)sum_dy_xhat;
    bn->beta->grad[c] += (float)sum_dy;
    if (!job->din)
        return;
    float *dx = job->din->data + c * m;
    float k = bn->gamma->value[c] * invstd / (float)m;
    float mean_dy = (float)sum_dy, mean_dyx = (float)sum_dy_xhat, fm = (float)m;
    if (act) {
        for (size_t i = 0; i < m; i++) {
            float d = act[i] > 0.0f ? dy[i] : slope * dy[i];
            float xhat = (x[i] - mean) * invstd;
            dx[i] = k * (fm * d - mean_dy - xhat * mean_dyx);
        }
    } else {
        for (size_t i = 0; i < m; i++) {
            float xhat = (x[i] - mean) * invstd;
            dx[i] = k * (fm * dy[i] - mean_dy - xhat * mean_dyx);
        }
    }
}

void batchnorm_backward(const BatchNorm2d *bn, const Tensor *in,
                        const Tensor *dout, Tensor *din)
{
    if (din)
        tensor_reshape(din, in->c, in->n, in->h, in->w);
    /* the job's bn is not const only for the forward's statistics */
    BnJob job = {.bn = (BatchNorm2d *)bn, .in = in, .dout = dout, .din = din};
    train_parallel_for_work(bn->c, tensor_size(in), backward_channel, &job);
}

void batchnorm_leaky_backward(const BatchNorm2d *bn, const Tensor *in, const Tensor *out,
                              const Tensor *dout, Tensor *din, float slope)
{
    if (din)
        tensor_reshape(din, in->c, in->n, in->h, in->w);
    BnJob job = {.bn = (BatchNorm2d *)bn, .in = in, .dout = dout, .din = din,
                 .act = out, .leaky = TRUE, .slope = slope};
    train_parallel_for_work(bn->c, tensor_size(in), backward_channel, &job);
}
