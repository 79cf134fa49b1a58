/* test-util.c — see test-util.h. */
#include "test-util.h"

#include <math.h>
#include <string.h>

TestImage *test_image_new(int width, int height, int channels)
{
    TestImage *image = g_new0(TestImage, 1);
    image->width = width;
    image->height = height;
    image->channels = channels;
    image->data = g_new0(float, (size_t)width * height * channels);
    return image;
}

void test_image_free(TestImage *image)
{
    if (!image)
        return;
    g_free(image->data);
    g_free(image);
}

void test_image_fill(TestImage *image, guint32 seed, int alpha_channel)
{
    GRand *rand = g_rand_new_with_seed(seed);
    const double cx = image->width * 0.45, cy = image->height * 0.55;
    const double radius = MIN(image->width, image->height) * 0.35;
    for (int y = 0; y < image->height; y++)
        for (int x = 0; x < image->width; x++)
            for (int c = 0; c < image->channels; c++) {
                float *v = image->data + ((size_t)y * image->width + x) * image->channels + c;
                if (c == alpha_channel) {
                    const double d = hypot(x - cx, y - cy);
                    *v = d < radius ? 1.0f : (d < radius + 2 ? 0.5f : 0.0f);
                } else {
                    const double smooth = 0.5 + 0.3 * sin(0.21 * x + 1.3 * c) * cos(0.17 * y - 0.5 * c);
                    *v = (float)CLAMP(smooth + g_rand_double_range(rand, -0.15, 0.15), 0.0, 1.0);
                }
            }
    g_rand_free(rand);
}

static void fill_conv(SrganConv *conv, GRand *rand, double bias_offset)
{
    const size_t n = (size_t)conv->ksize * conv->ksize * conv->cin * conv->cout;
    const double limit = 1.2 / sqrt((double)conv->ksize * conv->ksize * conv->cin);
    for (size_t i = 0; i < n; i++)
        conv->weight[i] = (float)g_rand_double_range(rand, -limit, limit);
    for (int o = 0; o < conv->cout; o++)
        conv->bias[o] = (float)(bias_offset + g_rand_double_range(rand, -0.05, 0.05));
    if (conv->prelu) {
        /* Per-channel slopes of an upsample stage come in groups of four
         * (one C slope expanded to its 4 conv channels, see model.h). */
        const gboolean grouped = conv->prelu_count > 1 && conv->cout == 4 * conv->cin;
        for (int i = 0; i < conv->prelu_count; i++)
            conv->prelu[i] = grouped && i % 4 ? conv->prelu[i - i % 4]
                                              : (float)g_rand_double_range(rand, 0.0, 0.5);
    }
}

SrganModel *test_random_model(int scale, int blocks, int channels, int prelu_count,
                              SrganTail tail, SrganOutput output, guint32 seed)
{
    SrganModel *model = srgan_model_new_empty(scale, blocks, channels, prelu_count, tail, output);
    GRand *rand = g_rand_new_with_seed(seed);
    /* In the order of the network, so a seed gives the same model as before. */
    fill_conv(srgan_model_get_conv(model, "head.conv"), rand, 0.0);
    for (int b = 0; b < blocks; b++) {
        g_autofree char *conv1 = g_strdup_printf("blocks.%d.conv1", b);
        g_autofree char *conv2 = g_strdup_printf("blocks.%d.conv2", b);
        fill_conv(srgan_model_get_conv(model, conv1), rand, 0.0);
        fill_conv(srgan_model_get_conv(model, conv2), rand, 0.0);
    }
    fill_conv(srgan_model_get_conv(model, "body.conv"), rand, 0.0);
    for (int k = 0; 2 << k <= scale; k++) {
        g_autofree char *up = g_strdup_printf("up.%d.conv", k);
        fill_conv(srgan_model_get_conv(model, up), rand, 0.0);
    }
    fill_conv(srgan_model_get_conv(model, "tail.conv"), rand, output == SRGAN_OUTPUT_IDENTITY ? 0.5 : 0.0);
    g_rand_free(rand);
    srgan_model_prepare(model);
    return model;
}

char *test_source_path(const char *relative)
{
    const char *root = g_getenv("SRGAN_SOURCE_ROOT");
    return g_build_filename(root ? root : ".", relative, NULL);
}

/* Marks a callback as running; notes it if another one already was. */
static void enter(TestIO *io)
{
    if (!g_atomic_int_compare_and_exchange(&io->inside, 0, 1))
        io->overlapped = TRUE;
    g_usleep(50);   /* widen the window an overlap would need */
}

static void leave(TestIO *io)
{
    g_atomic_int_set(&io->inside, 0);
}

gboolean test_read(gpointer user_data, int x, int y, int width, int height,
                   float *buf, GError **error)
{
    TestIO *io = user_data;
    const TestImage *src = io->src;
    enter(io);
    io->reads++;
    g_assert_true(x >= 0 && y >= 0 && width > 0 && height > 0);
    g_assert_true(x + width <= src->width && y + height <= src->height);
    if (io->fail_read_at && io->reads == io->fail_read_at) {
        if (io->fail_with_error)
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "test reader fails on call %d", io->reads);
        leave(io);
        return FALSE;
    }
    for (int r = 0; r < height; r++)
        memcpy(buf + (size_t)r * width * src->channels,
               src->data + ((size_t)(y + r) * src->width + x) * src->channels,
               sizeof(float) * width * src->channels);
    leave(io);
    return TRUE;
}

gboolean test_write(gpointer user_data, int x, int y, int width, int height,
                    const float *buf, GError **error)
{
    TestIO *io = user_data;
    TestImage *dst = io->dst;
    enter(io);
    io->writes++;
    g_assert_true(x >= 0 && y >= 0 && width > 0 && height > 0);
    g_assert_true(x + width <= dst->width && y + height <= dst->height);
    if (io->fail_write_at && io->writes == io->fail_write_at) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "test writer fails on call %d", io->writes);
        leave(io);
        return FALSE;
    }
    for (int r = 0; r < height; r++) {
        memcpy(dst->data + ((size_t)(y + r) * dst->width + x) * dst->channels,
               buf + (size_t)r * width * dst->channels,
               sizeof(float) * width * dst->channels);
        for (int c = 0; c < width; c++)
            io->written[(size_t)(y + r) * dst->width + x + c]++;
    }
    for (size_t i = 0; i < (size_t)width * height * dst->channels; i++)
        g_assert_true(buf[i] >= 0.0f && buf[i] <= 1.0f);
    leave(io);
    return TRUE;
}

TestImage *test_upscale(SrganModel *model, const TestImage *src, SrganPixels pixels,
                        const SrganParams *params, TestIO *io_out, GError **error)
{
    const int s = srgan_model_get_scale(model);
    TestIO io = { .src = src };
    if (io_out) {
        io.fail_read_at = io_out->fail_read_at;
        io.fail_with_error = io_out->fail_with_error;
        io.fail_write_at = io_out->fail_write_at;
    }
    g_autoptr(TestImage) dst = test_image_new(src->width * s, src->height * s, src->channels);
    io.dst = dst;
    io.written = g_new0(guint8, (size_t)dst->width * dst->height);
    gboolean ok = srgan_upscale(model, src->width, src->height, pixels,
                                test_read, test_write, &io, params, error);
    g_assert_false(io.overlapped);
    if (ok) {
        /* Every pixel of the region × s exactly once, nothing else. */
        int rx = 0, ry = 0, rw = src->width, rh = src->height;
        if (params && params->region_width > 0 && params->region_height > 0) {
            rx = params->region_x; ry = params->region_y;
            rw = params->region_width; rh = params->region_height;
        }
        for (int y = 0; y < dst->height; y++)
            for (int x = 0; x < dst->width; x++) {
                const gboolean inside = x >= rx * s && x < (rx + rw) * s && y >= ry * s && y < (ry + rh) * s;
                g_assert_cmpint(io.written[(size_t)y * dst->width + x], ==, inside ? 1 : 0);
            }
    }
    g_free(io.written);
    io.written = NULL;
    io.dst = NULL;
    if (io_out)
        *io_out = io;
    return ok ? g_steal_pointer(&dst) : NULL;
}

double test_max_abs_diff_rect(const TestImage *a, const TestImage *b, int x, int y, int w, int h)
{
    g_assert_cmpint(a->width, ==, b->width);
    g_assert_cmpint(a->height, ==, b->height);
    g_assert_cmpint(a->channels, ==, b->channels);
    double worst = 0.0;
    for (int r = y; r < y + h; r++)
        for (size_t i = ((size_t)r * a->width + x) * a->channels;
             i < ((size_t)r * a->width + x + w) * a->channels; i++) {
            const double d = fabs((double)a->data[i] - b->data[i]);
            if (!(d <= worst))   /* NaN counts as worst */
                worst = isnan(d) ? INFINITY : d;
        }
    return worst;
}

double test_max_abs_diff(const TestImage *a, const TestImage *b)
{
    return test_max_abs_diff_rect(a, b, 0, 0, a->width, a->height);
}
