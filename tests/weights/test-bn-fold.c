/* test-bn-fold.c — the loader's BatchNorm folding, transposition and PReLU
 * attachment against a naive, unfolded computation on random data.
 *
 * For random weights (test-builder.c) of several architectures, every
 * convolution of the loaded model is run on a random input two ways:
 *   expected: PyTorch's layout straight from the file, conv + bias, then
 *             BatchNorm in eval mode ((y − mean)/√(var + eps)·γ + β), then
 *             PReLU with the file's slopes (after the pixel shuffle for an
 *             upsample stage), all in double;
 *   got:      the model's folded (kh, kw, in, out) weights and bias through a
 *             plain loop here, and through libsrgan's srgan_conv_forward_ref;
 * and must agree within 1e-5 (relative to the magnitude of the outputs).
 */
#include <math.h>
#include <string.h>

#include "model.h"
#include "conv.h"
#include "test-builder.h"

#define H 6
#define W 7

typedef struct {
    const float *weight;    /* (cout, cin, k, k), PyTorch layout */
    const float *bias;      /* (cout) */
    const float *gamma, *beta, *mean, *var;   /* NULL when no BN */
    const float *slopes;    /* NULL, or 1 or `slope_count` slopes */
    int slope_count;
    int slope_repeat;       /* conv channels per slope channel (4 after a pixel shuffle) */
} RawConv;

static const float *
values(TestModel *m, const char *name)
{
    TestTensor *t = test_model_find(m, name);
    g_assert_nonnull(t);
    return t->values;
}

static RawConv
raw_conv(TestModel *m, const char *prefix, const char *bn, const char *prelu, int repeat)
{
    RawConv r = { 0 };
    g_autofree char *w = g_strdup_printf("%s.weight", prefix);
    g_autofree char *b = g_strdup_printf("%s.bias", prefix);
    r.weight = values(m, w);
    r.bias = values(m, b);
    if (bn) {
        g_autofree char *g = g_strdup_printf("%s.weight", bn);
        g_autofree char *be = g_strdup_printf("%s.bias", bn);
        g_autofree char *mu = g_strdup_printf("%s.running_mean", bn);
        g_autofree char *v = g_strdup_printf("%s.running_var", bn);
        r.gamma = values(m, g);
        r.beta = values(m, be);
        r.mean = values(m, mu);
        r.var = values(m, v);
    }
    if (prelu) {
        r.slopes = values(m, prelu);
        r.slope_count = (int)test_model_find(m, prelu)->n_values;
    }
    r.slope_repeat = repeat;
    return r;
}

static double
prelu(double x, double slope)
{
    return x >= 0 ? x : x * slope;
}

/* One output value the slow way, from the file's tensors. */
static double
expected_at(const RawConv *r, const SrganConv *shape, double eps, const float *in, int y, int x, int o)
{
    const int k = shape->ksize, cin = shape->cin, half = k / 2;
    double acc = r->bias[o];
    for (int i = 0; i < cin; i++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int sy = y + ky - half, sx = x + kx - half;
                if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                    continue;
                acc += (double)r->weight[((o * cin + i) * k + ky) * k + kx] *
                       in[(sy * W + sx) * cin + i];
            }
    if (r->gamma)
        acc = (acc - r->mean[o]) / sqrt((double)r->var[o] + eps) * r->gamma[o] + r->beta[o];
    if (r->slopes)
        acc = prelu(acc, r->slope_count == 1 ? r->slopes[0] : r->slopes[o / r->slope_repeat]);
    return acc;
}

/* The same value from the model's folded weights, with a loop of our own. */
static double
folded_at(const SrganConv *c, const float *in, int y, int x, int o)
{
    const int k = c->ksize, half = k / 2;
    double acc = c->bias[o];
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int sy = y + ky - half, sx = x + kx - half;
            if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                continue;
            for (int i = 0; i < c->cin; i++)
                acc += (double)c->weight[((ky * k + kx) * c->cin + i) * c->cout + o] *
                       in[(sy * W + sx) * c->cin + i];
        }
    if (c->prelu)
        acc = prelu(acc, c->prelu_count == 1 ? c->prelu[0] : c->prelu[o]);
    return acc;
}

static void
check_conv(const char *what, const SrganConv *c, const RawConv *r, double eps, guint32 seed)
{
    GRand *rand = g_rand_new_with_seed(seed);
    g_autofree float *in = g_new(float, H * W * c->cin);
    for (int i = 0; i < H * W * c->cin; i++)
        in[i] = (float)g_rand_double_range(rand, -1.0, 1.0);
    g_rand_free(rand);

    g_autofree float *ref = g_new(float, H * W * c->cout);
    srgan_conv_forward_ref(c, in, H, W, ref, NULL);

    double worst = 0.0, magnitude = 1.0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int o = 0; o < c->cout; o++) {
                double want = expected_at(r, c, eps, in, y, x, o);
                double mine = folded_at(c, in, y, x, o);
                double lib = ref[(y * W + x) * c->cout + o];
                magnitude = MAX(magnitude, fabs(want));
                worst = MAX(worst, MAX(fabs(want - mine), fabs(want - lib)));
            }
    if (worst > 1e-5 * magnitude)
        g_error("%s: folded conv differs from the unfolded one by %g (outputs up to %g)",
                what, worst, magnitude);
}

static void
check_architecture(const TestArch *arch)
{
    g_autoptr(TestModel) tm = test_model_new(arch);
    const double eps = 1e-3;   /* not the default, so bn_eps is proven read */
    test_model_set_meta(tm, "bn_eps", "\"1e-3\"");
    g_autoptr(GBytes) bytes = test_model_serialize(tm);
    gsize size;
    const void *data = g_bytes_get_data(bytes, &size);
    g_autoptr(GError) error = NULL;
    g_autoptr(SrganModel) m = srgan_model_load_from_data(data, size, "random", &error);
    g_assert_no_error(error);
    g_assert_nonnull(m);

    g_assert_cmpint(m->scale, ==, arch->scale);
    g_assert_cmpint(m->spec.n_blocks, ==, arch->blocks);
    g_assert_cmpint(m->spec.channels, ==, arch->channels);
    g_assert_cmpint(m->spec.tail, ==, arch->tail_bn ? SRGAN_TAIL_CONV_BN : SRGAN_TAIL_CONV_PRELU);
    g_assert_cmpint(m->output, ==, arch->output_tanh ? SRGAN_OUTPUT_TANH : SRGAN_OUTPUT_IDENTITY);
    g_assert_cmpfloat(m->input_lo, ==, arch->input_minus_one ? -1.0f : 0.0f);
    g_assert_cmpfloat(m->input_hi, ==, 1.0f);
    g_assert_cmpstr(srgan_model_get_metadata(m, "source"), ==, "tests/weights/test-builder.c (random)");
    g_assert_cmpstr(srgan_model_get_metadata(m, "bn_eps"), ==, "1e-3");

    const int c = arch->channels, p = arch->per_channel ? c : 1;
    guint32 seed = 100;

    RawConv head = raw_conv(tm, "head.conv", NULL, "head.prelu.weight", 1);
    const SrganConv *m_head = srgan_model_get_conv(m, "head.conv");
    g_assert_cmpint(m_head->prelu_count, ==, p);
    check_conv("head", m_head, &head, eps, seed++);

    for (int i = 0; i < arch->blocks; i++) {
        g_autofree char *conv1 = g_strdup_printf("blocks.%d.conv1", i);
        g_autofree char *conv2 = g_strdup_printf("blocks.%d.conv2", i);
        g_autofree char *bn1 = g_strdup_printf("blocks.%d.bn1", i);
        g_autofree char *bn2 = g_strdup_printf("blocks.%d.bn2", i);
        g_autofree char *slope = g_strdup_printf("blocks.%d.prelu.weight", i);
        RawConv r1 = raw_conv(tm, conv1, arch->batchnorm ? bn1 : NULL, slope, 1);
        RawConv r2 = raw_conv(tm, conv2, arch->batchnorm ? bn2 : NULL, NULL, 1);
        const SrganConv *m_conv1 = srgan_model_get_conv(m, conv1);
        const SrganConv *m_conv2 = srgan_model_get_conv(m, conv2);
        g_assert_nonnull(m_conv1->prelu);
        g_assert_null(m_conv2->prelu);
        check_conv(conv1, m_conv1, &r1, eps, seed++);
        check_conv(conv2, m_conv2, &r2, eps, seed++);
    }

    RawConv body = arch->tail_bn ? raw_conv(tm, "body.conv", "body.bn", NULL, 1)
                                 : raw_conv(tm, "body.conv", NULL, "body.prelu.weight", 1);
    const SrganConv *m_body = srgan_model_get_conv(m, "body.conv");
    if (arch->tail_bn)
        g_assert_null(m_body->prelu);
    else
        g_assert_cmpint(m_body->prelu_count, ==, p);
    check_conv("body", m_body, &body, eps, seed++);

    for (int k = 0; 2 << k <= m->scale; k++) {
        g_autofree char *conv = g_strdup_printf("up.%d.conv", k);
        g_autofree char *slope = g_strdup_printf("up.%d.prelu.weight", k);
        RawConv r = raw_conv(tm, conv, NULL, slope, 4);
        const SrganConv *m_up = srgan_model_get_conv(m, conv);
        g_assert_cmpint(m_up->cout, ==, 4 * c);
        /* Per-channel slopes act after the shuffle: conv channel c*4 + j
         * feeds output channel c, so it carries slope c. */
        g_assert_cmpint(m_up->prelu_count, ==, p == 1 ? 1 : 4 * c);
        if (p > 1)
            for (int ch = 0; ch < 4 * c; ch++)
                g_assert_cmpfloat(m_up->prelu[ch], ==, values(tm, slope)[ch / 4]);
        check_conv(conv, m_up, &r, eps, seed++);
    }

    RawConv tail = raw_conv(tm, "tail.conv", NULL, NULL, 1);
    const SrganConv *m_tail = srgan_model_get_conv(m, "tail.conv");
    g_assert_null(m_tail->prelu);
    g_assert_cmpint(m_tail->cout, ==, 3);
    check_conv("tail", m_tail, &tail, eps, seed++);

    /* Without BN the weights are a pure permutation: bit-exact. */
    const float *raw = values(tm, "head.conv.weight");
    for (int o = 0; o < c; o++)
        for (int i = 0; i < 3; i++)
            for (int y = 0; y < 9; y++)
                for (int x = 0; x < 9; x++)
                    g_assert_cmpfloat(srgan_model_get_conv(m, "head.conv")->weight[((y * 9 + x) * 3 + i) * c + o], ==,
                                      raw[((o * 3 + i) * 9 + y) * 9 + x]);
}

static void
test_paper_layout(void)
{
    /* The paper's variant: BN everywhere, conv+BN tail, per-channel slopes. */
    TestArch a = { .scale = 4, .blocks = 2, .channels = 8, .per_channel = TRUE,
                   .batchnorm = TRUE, .tail_bn = TRUE, .output_tanh = FALSE,
                   .input_minus_one = TRUE, .seed = 1 };
    check_architecture(&a);
}

static void
test_leftthomas_layout(void)
{
    /* The shipped weights' variant: shared slopes, conv+PReLU tail, tanh. */
    TestArch a = { .scale = 2, .blocks = 1, .channels = 16, .per_channel = FALSE,
                   .batchnorm = TRUE, .tail_bn = FALSE, .output_tanh = TRUE, .seed = 2 };
    check_architecture(&a);
}

static void
test_no_batchnorm(void)
{
    TestArch a = { .scale = 8, .blocks = 1, .channels = 8, .per_channel = TRUE,
                   .batchnorm = FALSE, .tail_bn = FALSE, .output_tanh = FALSE, .seed = 3 };
    check_architecture(&a);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/weights/bn-fold/paper-layout", test_paper_layout);
    g_test_add_func("/weights/bn-fold/leftthomas-layout", test_leftthomas_layout);
    g_test_add_func("/weights/bn-fold/no-batchnorm", test_no_batchnorm);
    return g_test_run();
}
