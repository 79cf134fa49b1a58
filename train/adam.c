/* adam.c — the Adam update (Kingma & Ba 2015, algorithm 1). */
#include "adam.h"
#include "parallel.h"

#include <math.h>

void adam_init(Adam *adam)
{
    adam->beta1 = 0.9f;
    adam->beta2 = 0.999f;
    adam->eps = 1e-8f;
    adam->t = 0;
}

/* One work item per parameter array (parallel.h): each is updated on its
 * own, so the result is the one-thread result. */
typedef struct {
    const Adam *adam;
    ParamList *params;
    float step, inv_sqrt_c2;
} AdamJob;

static void update_param(void *data, int i, G_GNUC_UNUSED int worker)
{
    AdamJob *job = data;
    Param *p = g_ptr_array_index(job->params->params, i);
    if (!p->grad)
        return;
    float b1 = job->adam->beta1, b2 = job->adam->beta2, eps = job->adam->eps;
    float step = job->step, inv_sqrt_c2 = job->inv_sqrt_c2;
    for (size_t k = 0; k < p->n; k++) {
        float g = p->grad[k];
        float m = p->adam_m[k] = b1 * p->adam_m[k] + (1.0f - b1) * g;
        float v = p->adam_v[k] = b2 * p->adam_v[k] + (1.0f - b2) * g * g;
        p->value[k] -= step * m / (sqrtf(v) * inv_sqrt_c2 + eps);
    }
}

void adam_step(Adam *adam, ParamList *params, float lr)
{
    adam->t++;
    double c1 = 1.0 - pow(adam->beta1, (double)adam->t);
    double c2 = 1.0 - pow(adam->beta2, (double)adam->t);
    /* lr·m̂/(√v̂ + ε) with m̂ = m/c1, v̂ = v/c2 */
    AdamJob job = {adam, params, (float)(lr / c1), (float)(1.0 / sqrt(c2))};
    train_parallel_for((int)params->params->len, update_param, &job);
}
