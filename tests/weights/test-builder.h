/* test-builder.h — builds small srgan weights files in memory for tests.
 *
 * A TestModel is a list of tensors (name, dtype, shape, float values) and
 * __metadata__ entries (key, raw JSON value text, so tests can also write
 * non-strings).  test_model_new() makes a valid model of any architecture
 * with seeded random values; tests then break it in one precise way and
 * serialise it.  This is an independent writer: it shares no code with the
 * loader it tests.
 */
#ifndef SRGAN_TEST_BUILDER_H
#define SRGAN_TEST_BUILDER_H

#include <glib.h>

typedef struct {
    char *name;
    char *dtype;            /* "F32" unless a test changes it */
    int n_dims;
    gint64 shape[4];
    float *values;          /* n_values floats, written as the tensor's data */
    gsize n_values;
    gboolean custom_offsets;  /* write begin/end below instead of the real ones */
    gint64 begin, end;
} TestTensor;

typedef struct {
    GPtrArray *tensors;     /* TestTensor*, in file order */
    GPtrArray *meta_keys;   /* char* */
    GPtrArray *meta_values; /* char*: raw JSON text, e.g. "\"4\"" */
    gboolean no_metadata;   /* omit __metadata__ entirely */
    char *metadata_raw;     /* when set, the whole __metadata__ value, verbatim */
    guint32 rng;            /* state of the seeded random values */
} TestModel;

typedef struct {
    int scale, blocks, channels;
    gboolean per_channel;   /* prelu: per-channel, else shared */
    gboolean batchnorm;
    gboolean tail_bn;       /* tail conv-bn, else conv-prelu */
    gboolean output_tanh;
    gboolean input_minus_one;  /* input_range -1,1, else 0,1 */
    guint32 seed;
} TestArch;

TestModel *test_model_new(const TestArch *arch);
/* The other families (weights/FORMAT.md), random weights, all F32. */
TestModel *test_model_new_rrdbnet(int blocks, int channels, int growth, guint32 seed);
TestModel *test_model_new_srvgg(int scale, int blocks, int channels, guint32 seed);
/* Sets the dtype ("F32" or "F16", or anything, to test the check) of every
 * tensor whose name ends in `suffix` ("" for all).  F16 tensors are
 * written as binary16, rounded to nearest (NaN and infinities kept). */
void test_model_set_dtype(TestModel *model, const char *suffix, const char *dtype);
void test_model_free(TestModel *model);

TestTensor *test_model_find(TestModel *model, const char *name);
void test_model_remove(TestModel *model, const char *name);
/* Adds a tensor of the given shape with random values. */
TestTensor *test_model_add(TestModel *model, const char *name, int n_dims, const gint64 *shape);
/* Sets (or with raw_json NULL removes) a __metadata__ entry. */
void test_model_set_meta(TestModel *model, const char *key, const char *raw_json);
/* A string metadata value, or NULL. */
const char *test_model_get_meta(TestModel *model, const char *key);

/* The safetensors file: header length, header JSON, data. */
GBytes *test_model_serialize(TestModel *model);

/* Same file but with the header text replaced by `header` (data kept). */
GBytes *test_file_with_header(const char *header, const void *data, gsize data_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestModel, test_model_free)

#endif
