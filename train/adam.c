/* adam.c — the Adam update (Kingma & Ba 2015, algorithm 1). */
#include "adam.h"

#include <math.h>

void adam_init(Adam *adam)
{
    adam->beta1 = 0.9f;
    adam->beta2 = 0.999f;
    adam->eps = 1e-8f;
    adam->t = 0;
}

void adam_step(Adam *adam, ParamList *params, float lr)
{
    adam->t++;
    double c1 = 1.0 - pow(adam->beta1, (double)adam->t);
    double c2 = 1.0 - pow(adam->beta2, (double)adam->t);
    /* lr·m̂/(√v̂ + ε) with m̂ = m/c1, v̂ = v/c2 */
    float step = (float)(lr / c1);
    float inv_sqrt_c2 = (float)(1.0 / sqrt(c2));
    float b1 = adam->beta1, b2 = adam->beta2;
    for (guint i = 0; i < params->params->len; i++) {
        Param *p = g_ptr_array_index(params->params, i);
        if (!p->grad)
            continue;
        for (size_t k = 0; k < p->n; k++) {
            float g = p->grad[k];
            float m = p->adam_m[k] = b1 * p->adam_m[k] + (1.0f - b1) * g;
            float v = p->adam_v[k] = b2 * p->adam_v[k] + (1.0f - b2) * g * g;
            p->value[k] -= step * m / (sqrtf(v) * inv_sqrt_c2 + adam->eps);
        }
    }
}
