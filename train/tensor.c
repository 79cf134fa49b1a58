/* tensor.c — Tensor, Param and Scratch storage (see tensor.h). */
#include "tensor.h"

#include <string.h>

void tensor_reshape(Tensor *t, int c, int n, int h, int w)
{
    size_t need = (size_t)c * n * h * w;
    if (need > t->capacity) {
        g_free(t->data);
        t->data = g_new(float, need);
        t->capacity = need;
    }
    t->c = c;
    t->n = n;
    t->h = h;
    t->w = w;
}

void tensor_reshape_zero(Tensor *t, int c, int n, int h, int w)
{
    tensor_reshape(t, c, n, h, w);
    memset(t->data, 0, tensor_size(t) * sizeof(float));
}

void tensor_copy(Tensor *dst, const Tensor *src)
{
    tensor_reshape(dst, src->c, src->n, src->h, src->w);
    memcpy(dst->data, src->data, tensor_size(src) * sizeof(float));
}

void tensor_clear(Tensor *t)
{
    g_free(t->data);
    memset(t, 0, sizeof *t);
}

static void param_free(gpointer p)
{
    Param *param = p;
    g_free(param->name);
    g_free(param->value);
    g_free(param->grad);
    g_free(param->adam_m);
    g_free(param->adam_v);
    g_free(param);
}

void param_list_init(ParamList *list)
{
    list->params = g_ptr_array_new_with_free_func(param_free);
}

void param_list_clear(ParamList *list)
{
    if (list->params)
        g_ptr_array_unref(list->params);
    list->params = NULL;
}

Param *param_list_add(ParamList *list, gboolean trainable, int ndim,
                      const int *shape, const char *fmt, ...)
{
    Param *p = g_new0(Param, 1);
    va_list ap;
    va_start(ap, fmt);
    p->name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assert(ndim >= 1 && ndim <= 4);
    p->ndim = ndim;
    p->n = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->n *= (size_t)shape[i];
    }
    p->value = g_new0(float, p->n);
    if (trainable) {
        p->grad = g_new0(float, p->n);
        p->adam_m = g_new0(float, p->n);
        p->adam_v = g_new0(float, p->n);
    }
    g_ptr_array_add(list->params, p);
    return p;
}

Param *param_list_find(const ParamList *list, const char *name)
{
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

void param_list_zero_grad(ParamList *list)
{
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        if (p->grad)
            memset(p->grad, 0, p->n * sizeof(float));
    }
}

size_t param_list_count(const ParamList *list, gboolean trainable_only)
{
    size_t total = 0;
    for (guint i = 0; i < list->params->len; i++) {
        Param *p = g_ptr_array_index(list->params, i);
        if (!trainable_only || p->grad)
            total += p->n;
    }
    return total;
}

float *scratch_get(Scratch *s, size_t floats)
{
    if (floats > s->capacity) {
        g_free(s->data);
        s->data = g_new(float, floats);
        s->capacity = floats;
    }
    return s->data;
}

void scratch_clear(Scratch *s)
{
    g_free(s->data);
    s->data = NULL;
    s->capacity = 0;
}
