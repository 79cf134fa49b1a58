/* losses.c — pixel/feature MSE and binary cross-entropy on logits. */
#include "losses.h"

#include <math.h>

double mse_loss(const Tensor *a, const Tensor *b, float weight,
                Tensor *grad, gboolean accumulate)
{
    size_t n = tensor_size(a);
    g_assert(n == tensor_size(b));
    if (grad && !accumulate)
        tensor_reshape_zero(grad, a->c, a->n, a->h, a->w);
    double sum = 0.0;
    float k = 2.0f * weight / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = a->data[i] - b->data[i];
        sum += (double)d * d;
        if (grad)
            grad->data[i] += k * d;
    }
    return sum / (double)n;
}

/* softplus(x) = log(1 + eˣ), stable for large |x|. */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double bce_logits_loss(const Tensor *logits, float target, float weight,
                       Tensor *grad, gboolean accumulate)
{
    size_t n = tensor_size(logits);
    if (grad && !accumulate)
        tensor_reshape_zero(grad, logits->c, logits->n, logits->h, logits->w);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double z = logits->data[i];
        /* −t·log σ(z) − (1−t)·log σ(−z) = t·softplus(−z) + (1−t)·softplus(z) */
        sum += target * softplus(-z) + (1.0 - target) * softplus(z);
        if (grad) {
            double sigma = 1.0 / (1.0 + exp(-z));
            grad->data[i] += (float)(weight * (sigma - target) / (double)n);
        }
    }
    return sum / (double)n;
}
