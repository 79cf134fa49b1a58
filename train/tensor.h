/* tensor.h — activations, parameters and scratch space of the trainer.
 *
 * Every activation is a Tensor in CNHW order: channel-major, then sample,
 * row, column.  With that layout a whole batch's convolution is one matrix
 * product, out(C_out, N·H·W) = W(C_out, C_in·k·k) × im2col(in), and
 * BatchNorm's per-channel statistics run over one contiguous span.
 */
#ifndef TRAIN_TENSOR_H
#define TRAIN_TENSOR_H

#include <glib.h>
#include <stddef.h>

typedef struct {
    int c, n, h, w;
    float *data;        /* c·n·h·w floats, CNHW; owned */
    size_t capacity;    /* floats allocated, ≥ c·n·h·w */
} Tensor;

static inline size_t tensor_size(const Tensor *t)
{
    return (size_t)t->c * t->n * t->h * t->w;
}

/* Gives `t` the shape (c, n, h, w), reallocating only when it grows; the
 * contents are unspecified afterwards. */
void tensor_reshape(Tensor *t, int c, int n, int h, int w);
/* Same, and sets every element to zero. */
void tensor_reshape_zero(Tensor *t, int c, int n, int h, int w);
void tensor_copy(Tensor *dst, const Tensor *src);
void tensor_clear(Tensor *t);   /* frees the data, keeps the struct */

/* A named array the optimiser updates (trainable) or a buffer that is only
 * saved and exported (BatchNorm running statistics: grad == NULL).  Names
 * are the exported tensor names (weights/FORMAT.md for the generator). */
typedef struct {
    char *name;
    int ndim;
    int shape[4];       /* PyTorch order, e.g. conv (out, in, kh, kw) */
    size_t n;
    float *value;
    float *grad;        /* NULL for buffers */
    float *adam_m, *adam_v;   /* Adam moments, NULL for buffers */
} Param;

/* All parameters of one network, in a fixed order. */
typedef struct {
    GPtrArray *params;  /* Param*, owned */
} ParamList;

void param_list_init(ParamList *list);
void param_list_clear(ParamList *list);
Param *param_list_add(ParamList *list, gboolean trainable, int ndim,
                      const int *shape, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
Param *param_list_find(const ParamList *list, const char *name);
void param_list_zero_grad(ParamList *list);
size_t param_list_count(const ParamList *list, gboolean trainable_only);

/* Scratch floats shared by the layers of one network (im2col columns and
 * the like), grown on demand and never shrunk. */
typedef struct {
    float *data;
    size_t capacity;
} Scratch;

float *scratch_get(Scratch *s, size_t floats);
void scratch_clear(Scratch *s);

#endif
