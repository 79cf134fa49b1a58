/* test-util.h — shared helpers of the core tests: random models, in-memory
 * images with reader/writer callbacks that check the tiler's promises
 * (callbacks never overlap, every output pixel written exactly once). */
#ifndef SRGAN_TEST_UTIL_H
#define SRGAN_TEST_UTIL_H

#include "srgan.h"
#include "model.h"

typedef struct {
    int width, height, channels;
    float *data;                 /* height × width × channels */
} TestImage;

TestImage *test_image_new(int width, int height, int channels);
void test_image_free(TestImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestImage, test_image_free)

/* Smooth gradients plus noise, all channels in [0,1]; alpha (when
 * `alpha_channel` ≥ 0) gets a hard-edged disc so bicubic has work to do. */
void test_image_fill(TestImage *image, guint32 seed, int alpha_channel);

/* Random weights for a model of this shape (values keep activations O(1)),
 * prepared for the fast kernels. */
SrganModel *test_random_model(int scale, int blocks, int channels, int prelu_count,
                              SrganTail tail, SrganOutput output, guint32 seed);

/* A model file from the source tree (path relative to it): the root comes
 * from $SRGAN_SOURCE_ROOT, which tests/core/meson.build sets. */
char *test_source_path(const char *relative);

/* State of one srgan_upscale() into memory. */
typedef struct {
    const TestImage *src;
    TestImage *dst;              /* width·s × height·s × channels */
    guint8 *written;             /* per output pixel: times written */
    int reads, writes;
    gint inside;                 /* atomic: a callback is running */
    gboolean overlapped;         /* two callbacks ran at once */
    int fail_read_at;            /* 1-based read call that fails; 0 never */
    gboolean fail_with_error;    /* …with a GError (else without) */
    int fail_write_at;
} TestIO;

gboolean test_read(gpointer user_data, int x, int y, int width, int height,
                   float *buf, GError **error);
gboolean test_write(gpointer user_data, int x, int y, int width, int height,
                    const float *buf, GError **error);

/* Upscales src into a new image (NULL + error on failure); io (optional)
 * receives the bookkeeping. */
TestImage *test_upscale(SrganModel *model, const TestImage *src, SrganPixels pixels,
                        const SrganParams *params, TestIO *io_out, GError **error);

/* max |a - b| over the rectangle (x, y, w, h) of both images. */
double test_max_abs_diff_rect(const TestImage *a, const TestImage *b, int x, int y, int w, int h);
double test_max_abs_diff(const TestImage *a, const TestImage *b);

#endif
