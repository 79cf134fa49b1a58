/* test-kernels.c — every kernel against a naive loop on random data.
 *
 * Convolutions: each shape the generator uses (9×9 3→C head, 3×3 C→C
 * blocks, 3×3 C→4C upsample, 9×9 C→3 tail) through srgan_conv_forward(),
 * both on the portable BLAS path (unprepared conv) and on whatever fast
 * kernel srgan_conv_prepare() picks for this CPU, against
 * srgan_conv_forward_ref(), with every epilogue variant, on odd sizes.
 * The reference itself is checked against a formula on an identity
 * kernel (PReLU) and a hand-computed 3×3 case.  Also: the in-place pixel
 * shuffle against PyTorch's definition, and the alpha bicubic against a
 * naive whole-image implementation of Keys' kernel.
 */
#include "test-util.h"
#include "conv.h"
#include "generator.h"
#include "pixels.h"

#include <math.h>
#include <string.h>

/* fp32 bounds: NMSE as ggml's test-backend-ops does, plus a max-abs bound
 * relative to the output's scale (Winograd kernels round a little more
 * than direct sums, both are far inside these). */
#define MAX_NMSE 1e-9
#define MAX_REL_ABS 1e-4

static float *random_floats(GRand *rand, size_t n, double lo, double hi)
{
    float *v = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)g_rand_double_range(rand, lo, hi);
    return v;
}

static void make_conv(SrganConv *conv, GRand *rand, int k, int cin, int cout, int prelu_count)
{
    memset(conv, 0, sizeof *conv);
    conv->ksize = k;
    conv->cin = cin;
    conv->cout = cout;
    const double limit = 1.5 / sqrt((double)k * k * cin);
    conv->weight = random_floats(rand, (size_t)k * k * cin * cout, -limit, limit);
    conv->bias = random_floats(rand, cout, -0.2, 0.2);
    conv->prelu_count = prelu_count;
    conv->prelu = prelu_count ? random_floats(rand, prelu_count, -0.3, 0.6) : NULL;
}

static void free_conv(SrganConv *conv)
{
    srgan_conv_release(conv);
    g_free(conv->weight);
    g_free(conv->bias);
    g_free(conv->prelu);
}

static void compare(const float *got, const float *want, size_t n, const char *what)
{
    double err = 0.0, norm = 0.0, worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)got[i] - want[i];
        err += d * d;
        norm += (double)want[i] * want[i];
        worst = MAX(worst, fabs(d));
        scale = MAX(scale, fabs(want[i]));
        g_assert_false(isnan(got[i]));
    }
    const double nmse = norm > 0 ? err / norm : err;
    if (nmse > MAX_NMSE || worst > MAX_REL_ABS * MAX(scale, 1.0))
        g_error("%s: NMSE %.3g (bound %.1g), max |Δ| %.3g (bound %.3g)",
                what, nmse, MAX_NMSE, worst, MAX_REL_ABS * MAX(scale, 1.0));
}

/* The generator sizes one workspace for its largest input and reuses it
 * for smaller ones: the figure may never shrink as the input grows. */
static void check_workspace_monotone(const SrganConv *conv, int max_h, int max_w)
{
    const size_t most = srgan_conv_workspace_floats(conv, max_h, max_w);
    for (int h = 1; h <= max_h; h += 1 + h / 3)
        for (int w = 1; w <= max_w; w += 1 + w / 5)
            if (srgan_conv_workspace_floats(conv, h, w) > most)
                g_error("conv %d×%d %d→%d (%s): workspace for %d×%d (%zu floats) exceeds "
                        "that for %d×%d (%zu)", conv->ksize, conv->ksize, conv->cin, conv->cout,
                        conv->fast ? "fast" : "portable", h, w,
                        srgan_conv_workspace_floats(conv, h, w), max_h, max_w, most);
}

/* One shape, all epilogue variants, both paths. */
static void check_conv_shape(int k, int cin, int cout, int h, int w, guint32 seed)
{
    GRand *rand = g_rand_new_with_seed(seed);
    const size_t n_in = (size_t)h * w * cin, n_out = (size_t)h * w * cout;
    g_autofree float *in = random_floats(rand, n_in, -1.0, 1.0);
    g_autofree float *residual = random_floats(rand, n_out, -1.0, 1.0);
    g_autofree float *want = g_new(float, n_out);
    g_autofree float *got = g_new(float, n_out);

    const int prelu_counts[] = { 0, 1, cout };
    for (guint p = 0; p < G_N_ELEMENTS(prelu_counts); p++)
        for (int with_residual = 0; with_residual <= 1; with_residual++)
            for (int prepared = 0; prepared <= 1; prepared++) {
                SrganConv conv;
                make_conv(&conv, rand, k, cin, cout, prelu_counts[p]);
                if (prepared)
                    srgan_conv_prepare(&conv);
                const SrganEpilogue ep = { .residual = with_residual ? residual : NULL };
                srgan_conv_forward_ref(&conv, in, h, w, want, &ep);
                g_autofree float *ws = g_new(float, srgan_conv_workspace_floats(&conv, h, w) + 1);
                for (size_t i = 0; i < n_out; i++)
                    got[i] = NAN;   /* every output must be written */
                srgan_conv_forward(&conv, in, h, w, got, &ep, ws);
                check_workspace_monotone(&conv, h + 40, w + 70);
                g_autofree char *what = g_strdup_printf(
                    "conv %d×%d %d→%d on %d×%d, prelu %d, residual %d, %s path",
                    k, k, cin, cout, h, w, prelu_counts[p], with_residual,
                    conv.fast ? "fast" : "portable");
                compare(got, want, n_out, what);
                free_conv(&conv);
            }
    g_rand_free(rand);
}

static const int sizes[][2] = { { 1, 1 }, { 1, 13 }, { 13, 1 }, { 7, 5 }, { 33, 17 } };

/* Copies channels [0, c) of n pixels `stride` floats apart into a packed
 * (n, c) array, or back. */
static void unpack(const float *wide, size_t stride, size_t n, int c, float *packed)
{
    for (size_t p = 0; p < n; p++)
        memcpy(packed + p * c, wide + p * stride, sizeof(float) * c);
}

static void pack_into(const float *packed, size_t n, int c, float *wide, size_t stride)
{
    for (size_t p = 0; p < n; p++)
        memcpy(wide + p * stride, packed + p * c, sizeof(float) * c);
}

/* Every float of a and b outside channels [c0, c1) of each `stride`-float
 * pixel is the same, bit for bit: a conv writing channels [c0, c1) of a
 * wide buffer must leave the rest alone. */
static void check_untouched(const float *a, const float *b, size_t n, size_t stride,
                            size_t c0, size_t c1, const char *what)
{
    for (size_t p = 0; p < n; p++)
        for (size_t c = 0; c < stride; c++)
            if ((c < c0 || c >= c1) && memcmp(&a[p * stride + c], &b[p * stride + c], sizeof(float)))
                g_error("%s: pixel %zu channel %zu changed (%g, was %g)", what, p, c,
                        a[p * stride + c], b[p * stride + c]);
}

/* One shape through the SrganEpilogue's layouts, on the portable path
 * (unprepared) and the fast one (prepared; portable again where no fast
 * kernel takes the shape), against the reference on packed buffers:
 *  - reading channels [0, cin) of pixels wider than cin (the other
 *    channels hold large values that would show if read);
 *  - writing channels [3, 3 + cout) of a wider buffer, whose other
 *    channels must stay as they were, bit for bit;
 *  - a residual with its own stride and offset, a scale ≠ 1;
 *  - one buffer read at channels [0, cin) and written at [cin + 2,
 *    cin + 2 + cout): the input channels must survive, bit for bit.
 * The reference itself must give the same bits on the wide buffers as on
 * packed ones.  all_variants FALSE: only the heaviest epilogue. */
static void check_conv_layout(int k, int cin, int cout, int h, int w, guint32 seed,
                              gboolean all_variants)
{
    GRand *rand = g_rand_new_with_seed(seed);
    const size_t n = (size_t)h * w;
    const size_t in_stride = cin + 5, out_off = 3, out_stride = cout + out_off + 2;
    const size_t res_off = 1, res_stride = cout + 7;
    const size_t shared_off = cin + 2, shared_stride = cin + cout + 5;
    g_autofree float *in = random_floats(rand, n * cin, -1.0, 1.0);
    g_autofree float *residual = random_floats(rand, n * cout, -1.0, 1.0);
    g_autofree float *wide_in = random_floats(rand, n * in_stride, 1e3, 1e4);
    g_autofree float *wide_res = random_floats(rand, n * res_stride, 1e3, 1e4);
    pack_into(in, n, cin, wide_in, in_stride);
    pack_into(residual, n, cout, wide_res + res_off, res_stride);
    g_autofree float *wide_in_copy = g_memdup2(wide_in, sizeof(float) * n * in_stride);
    g_autofree float *wide_out = g_new(float, n * out_stride);
    g_autofree float *wide_out_before = g_new(float, n * out_stride);
    g_autofree float *shared = g_new(float, n * shared_stride);
    g_autofree float *shared_before = g_new(float, n * shared_stride);
    g_autofree float *want = g_new(float, n * cout);
    g_autofree float *got = g_new(float, n * cout);

    const int prelu_counts[] = { 0, 1, cout };
    for (guint pc = 0; pc < G_N_ELEMENTS(prelu_counts); pc++)
        for (int variant = all_variants ? 0 : 3; variant < 4; variant++)
            for (int prepared = 0; prepared <= 1; prepared++) {
                const float scale = variant & 1 ? 0.2f : 0.0f;   /* 0: none */
                const gboolean with_residual = variant & 2;
                SrganConv conv;
                make_conv(&conv, rand, k, cin, cout, prelu_counts[pc]);
                if (prepared)
                    srgan_conv_prepare(&conv);
                g_autofree char *what = g_strdup_printf(
                    "conv %d×%d %d→%d on %d×%d, prelu %d, scale %g, residual %d, %s path, strided",
                    k, k, cin, cout, h, w, prelu_counts[pc], scale, with_residual,
                    conv.fast ? "fast" : "portable");
                const SrganEpilogue packed_ep = {
                    .scale = scale, .residual = with_residual ? residual : NULL,
                };
                srgan_conv_forward_ref(&conv, in, h, w, want, &packed_ep);

                SrganEpilogue ep = {
                    .in_stride = (int)in_stride, .out_stride = (int)out_stride, .scale = scale,
                    .residual = with_residual ? wide_res + res_off : NULL,
                    .residual_stride = (int)res_stride,
                };
                /* The channels written start as NaN: each must be written. */
                for (size_t i = 0; i < n * out_stride; i++)
                    wide_out[i] = (float)g_rand_double_range(rand, -5.0, 5.0);
                for (size_t p = 0; p < n; p++)
                    for (int c = 0; c < cout; c++)
                        wide_out[p * out_stride + out_off + c] = NAN;
                memcpy(wide_out_before, wide_out, sizeof(float) * n * out_stride);
                if (!prepared) {
                    /* The reference on the wide buffers: the same sums. */
                    srgan_conv_forward_ref(&conv, wide_in, h, w, wide_out + out_off, &ep);
                    unpack(wide_out + out_off, out_stride, n, cout, got);
                    g_assert_cmpmem(got, sizeof(float) * n * cout, want, sizeof(float) * n * cout);
                    check_untouched(wide_out, wide_out_before, n, out_stride, out_off,
                                    out_off + cout, "reference");
                    memcpy(wide_out, wide_out_before, sizeof(float) * n * out_stride);
                }
                g_autofree float *ws = g_new(float, srgan_conv_workspace_floats(&conv, h, w) + 1);
                srgan_conv_forward(&conv, wide_in, h, w, wide_out + out_off, &ep, ws);
                unpack(wide_out + out_off, out_stride, n, cout, got);
                compare(got, want, n * cout, what);
                check_untouched(wide_out, wide_out_before, n, out_stride, out_off,
                                out_off + cout, what);
                g_assert_cmpmem(wide_in, sizeof(float) * n * in_stride,
                                wide_in_copy, sizeof(float) * n * in_stride);

                /* Input and output in one buffer, disjoint channels. */
                for (size_t i = 0; i < n * shared_stride; i++)
                    shared[i] = (float)g_rand_double_range(rand, -5.0, 5.0);
                pack_into(in, n, cin, shared, shared_stride);
                memcpy(shared_before, shared, sizeof(float) * n * shared_stride);
                ep.in_stride = ep.out_stride = (int)shared_stride;
                srgan_conv_forward(&conv, shared, h, w, shared + shared_off, &ep, ws);
                unpack(shared + shared_off, shared_stride, n, cout, got);
                g_autofree char *what_shared = g_strconcat(what, ", one buffer", NULL);
                compare(got, want, n * cout, what_shared);
                check_untouched(shared, shared_before, n, shared_stride, shared_off,
                                shared_off + cout, what_shared);
                free_conv(&conv);
            }
    g_rand_free(rand);
}

/* Shapes of all three families (SRResNet, RRDBNet, SRVGGNetCompact) and
 * each path: portable im2col (cout ≥ 16) and scatter (cout < 16), and
 * the fast Winograd F43, Winograd split (9×9, and 3×3 with cout not a
 * multiple of 16) and direct kernels. */
static void test_conv_layouts(void)
{
    static const int shapes[][3] = {   /* k, cin, cout */
        { 3, 16, 16 },   /* im2col / F43 */
        { 3, 96, 32 },   /* RRDBNet dense conv: im2col / F43 */
        { 3, 64, 3 },    /* RRDBNet last conv: scatter / split, m = 1 */
        { 3, 8, 1 },     /* scatter / split, m = 1 */
        { 3, 16, 12 },   /* SRVGG ×2 last conv: scatter / split, m = 1, 2 groups */
        { 3, 16, 27 },   /* SRVGG ×3 last conv: im2col / split, m = 1, 4 groups */
        { 9, 16, 3 },    /* SRResNet tail: scatter / split, m = 3 */
        { 9, 3, 16 },    /* SRResNet head: im2col / direct */
        { 3, 3, 64 },    /* RRDBNet, SRVGG head: im2col / direct */
        { 3, 12, 64 },   /* RRDBNet ×2 head (pixel unshuffled): im2col / direct */
        { 1, 8, 16 },    /* 1×1: im2col only */
    };
    static const int layout_sizes[][2] = { { 1, 1 }, { 5, 7 }, { 13, 11 }, { 33, 17 } };
    for (guint s = 0; s < G_N_ELEMENTS(shapes); s++)
        for (guint i = 0; i < G_N_ELEMENTS(layout_sizes); i++)
            check_conv_layout(shapes[s][0], shapes[s][1], shapes[s][2],
                              layout_sizes[i][0], layout_sizes[i][1], 100 + 10 * s + i, TRUE);
    /* Wide enough for several row bands of the split path with m = 1 and
     * several row chunks of the scatter path. */
    check_conv_layout(3, 8, 3, 21, 4000, 199, FALSE);
}

static void test_conv_head(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        check_conv_shape(9, 3, 8, sizes[i][0], sizes[i][1], 90 + i);   /* narrow: scatter path */
        check_conv_shape(9, 3, 16, sizes[i][0], sizes[i][1], 10 + i);
        check_conv_shape(9, 3, 64, sizes[i][0], sizes[i][1], 20 + i);
    }
}

static void test_conv_block(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        check_conv_shape(3, 16, 16, sizes[i][0], sizes[i][1], 30 + i);
        check_conv_shape(3, 64, 64, sizes[i][0], sizes[i][1], 40 + i);
    }
    check_conv_shape(3, 8, 8, 9, 11, 45);   /* the smallest channel count the format allows */
}

static void test_conv_upsample(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        check_conv_shape(3, 16, 64, sizes[i][0], sizes[i][1], 50 + i);
        check_conv_shape(3, 64, 256, sizes[i][0], sizes[i][1], 60 + i);
    }
}

static void test_conv_tail(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        check_conv_shape(9, 16, 3, sizes[i][0], sizes[i][1], 70 + i);
        check_conv_shape(9, 64, 3, sizes[i][0], sizes[i][1], 80 + i);
    }
    check_conv_shape(9, 64, 3, 40, 70, 89);   /* several row chunks of the scatter path */
}

/* The reference against hand arithmetic: a 3×3 1→1 conv on a 2×2 image. */
static void test_conv_ref_by_hand(void)
{
    float weight[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, bias = 0.5f, slope = 0.25f;
    SrganConv conv = { .cin = 1, .cout = 1, .ksize = 3, .weight = weight, .bias = &bias,
                       .prelu = &slope, .prelu_count = 1 };
    const float in[4] = { 1, -2, 3, -4 }, residual[4] = { 10, 20, 30, 40 };
    float out[4];
    const SrganEpilogue ep = { .residual = residual };
    srgan_conv_forward_ref(&conv, in, 2, 2, out, &ep);
    /* out(0,0) sees in(0,0)·w[1][1] + in(0,1)·w[1][2] + in(1,0)·w[2][1] + in(1,1)·w[2][2]
     * = 1·5 - 2·6 + 3·8 - 4·9 = -19; + 0.5 = -18.5; PReLU → -4.625; + 10 = 5.375 */
    g_assert_cmpfloat_with_epsilon(out[0], 5.375f, 1e-6);
    /* out(1,1): in(0,0)·w[0][0] + in(0,1)·w[0][1] + in(1,0)·w[1][0] + in(1,1)·w[1][1]
     * = 1 - 4 + 12 - 20 = -11; + 0.5 = -10.5; → -2.625; + 40 = 37.375 */
    g_assert_cmpfloat_with_epsilon(out[3], 37.375f, 1e-6);
}

/* PReLU on its own: an identity 3×3 kernel, zero bias, so the output must
 * be x for x ≥ 0 and slope·x below, per channel. */
static void test_prelu(void)
{
    GRand *rand = g_rand_new_with_seed(7);
    const int c = 16, h = 5, w = 9;
    for (int prepared = 0; prepared <= 1; prepared++)
        for (int count = 1; count <= c; count += c - 1) {
            SrganConv conv = { .cin = c, .cout = c, .ksize = 3 };
            conv.weight = g_new0(float, 9 * c * c);
            conv.bias = g_new0(float, c);
            for (int i = 0; i < c; i++)
                conv.weight[(size_t)4 * c * c + (size_t)i * c + i] = 1.0f;   /* centre tap */
            conv.prelu_count = count;
            conv.prelu = random_floats(rand, count, 0.0, 0.9);
            if (prepared)
                srgan_conv_prepare(&conv);
            g_autofree float *in = random_floats(rand, (size_t)h * w * c, -1.0, 1.0);
            g_autofree float *out = g_new(float, (size_t)h * w * c);
            g_autofree float *ws = g_new(float, srgan_conv_workspace_floats(&conv, h, w) + 1);
            srgan_conv_forward(&conv, in, h, w, out, NULL, ws);
            for (int i = 0; i < h * w * c; i++) {
                const float slope = conv.prelu[count == 1 ? 0 : i % c];
                const float want = in[i] >= 0 ? in[i] : slope * in[i];
                g_assert_cmpfloat_with_epsilon(out[i], want, 1e-5);
            }
            free_conv(&conv);
        }
    g_rand_free(rand);
}

/* PyTorch PixelShuffle(2): out[c][2y+i][2x+j] = in[c·4 + i·2 + j][y][x]. */
static void test_pixel_shuffle(void)
{
    GRand *rand = g_rand_new_with_seed(11);
    const int shapes[][3] = { { 1, 1, 1 }, { 3, 5, 8 }, { 7, 2, 16 }, { 4, 9, 64 } };
    for (guint s = 0; s < G_N_ELEMENTS(shapes); s++) {
        const int h = shapes[s][0], w = shapes[s][1], c = shapes[s][2];
        const size_t n = (size_t)h * w * 4 * c;
        g_autofree float *in = random_floats(rand, n, -1, 1);
        g_autofree float *buf = g_memdup2(in, n * sizeof(float));
        g_autofree float *row = g_new(float, (size_t)w * 4 * c);
        srgan_pixel_shuffle2_inplace(buf, h, w, c, row);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            const float want = in[((size_t)y * w + x) * 4 * c + ch * 4 + i * 2 + j];
                            const float got = buf[((size_t)(2 * y + i) * 2 * w + (2 * x + j)) * c + ch];
                            g_assert_cmpfloat(got, ==, want);
                        }
    }
    g_rand_free(rand);
}

/* Keys (1981) eq. 15 with a = -0.5, written out piece by piece. */
static double keys(double t)
{
    t = fabs(t);
    if (t < 1)
        return 1.5 * t * t * t - 2.5 * t * t + 1;
    if (t < 2)
        return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2;
    return 0;
}

/* Naive bicubic ×s of a whole single-channel image, edges clamped. */
static float naive_bicubic(const float *img, int w, int h, int s, int X, int Y)
{
    const double u = (X + 0.5) / s - 0.5, v = (Y + 0.5) / s - 0.5;
    double sum = 0;
    for (int j = (int)floor(v) - 1; j <= (int)floor(v) + 2; j++)
        for (int i = (int)floor(u) - 1; i <= (int)floor(u) + 2; i++)
            sum += keys(u - i) * keys(v - j) * img[CLAMP(j, 0, h - 1) * w + CLAMP(i, 0, w - 1)];
    return (float)CLAMP(sum, 0.0, 1.0);
}

static void test_alpha_bicubic(void)
{
    g_assert_cmpfloat(srgan_bicubic_weight(0), ==, 1);
    g_assert_cmpfloat(fabs(srgan_bicubic_weight(1)), <, 1e-12);
    g_assert_cmpfloat(fabs(srgan_bicubic_weight(0.5) - keys(0.5)), <, 1e-12);
    g_assert_cmpfloat(fabs(srgan_bicubic_weight(1.5) - keys(1.5)), <, 1e-12);

    GRand *rand = g_rand_new_with_seed(13);
    const int w = 23, h = 17;
    /* Two channels (YA layout), alpha last. */
    g_autofree float *src = random_floats(rand, (size_t)w * h * 2, 0, 1);
    g_autofree float *alpha = g_new(float, (size_t)w * h);
    for (int i = 0; i < w * h; i++)
        alpha[i] = src[2 * i + 1];
    for (int s = 2; s <= 8; s *= 2) {
        /* Whole image. */
        g_autofree float *dst = g_new(float, (size_t)w * s * h * s * 2);
        srgan_alpha_upscale(src, 0, 0, w, h, 2, s, 0, 0, w * s, h * s, dst, 2);
        for (int Y = 0; Y < h * s; Y++)
            for (int X = 0; X < w * s; X++)
                g_assert_cmpfloat(fabs(dst[((size_t)Y * w * s + X) * 2 + 1]
                                       - naive_bicubic(alpha, w, h, s, X, Y)), <, 1e-5);
        /* A tile (5, 4, 9×7) read with a 2-pixel halo, as the tiler does. */
        const int tx = 5, ty = 4, tw = 9, th = 7;
        const int ex = tx - 2, ey = ty - 2, ew = tw + 4, eh = th + 4;
        g_autofree float *sub = g_new(float, (size_t)ew * eh * 2);
        for (int y = 0; y < eh; y++)
            memcpy(sub + (size_t)y * ew * 2, src + ((size_t)(ey + y) * w + ex) * 2, sizeof(float) * ew * 2);
        g_autofree float *part = g_new(float, (size_t)tw * s * th * s * 2);
        srgan_alpha_upscale(sub, ex, ey, ew, eh, 2, s, tx * s, ty * s, tw * s, th * s, part, 2);
        for (int Y = 0; Y < th * s; Y++)
            for (int X = 0; X < tw * s; X++)
                g_assert_cmpfloat(fabs(part[((size_t)Y * tw * s + X) * 2 + 1]
                                       - naive_bicubic(alpha, w, h, s, tx * s + X, ty * s + Y)), <, 1e-5);
    }
    /* Uniform alpha stays exactly uniform. */
    g_autofree float *flat = g_new(float, 16 * 4);
    for (int i = 0; i < 16 * 4; i++)
        flat[i] = i % 4 == 3 ? 0.75f : 0.1f;
    g_autofree float *up = g_new(float, 16 * 16 * 4);
    srgan_alpha_upscale(flat, 0, 0, 4, 4, 4, 4, 0, 0, 16, 16, up, 4);
    for (int i = 0; i < 16 * 16; i++)
        g_assert_cmpfloat(up[i * 4 + 3], ==, 0.75f);
    g_rand_free(rand);
}

/* The layout helpers: grey ↔ RGB and dropping alpha. */
static void test_layouts(void)
{
    g_assert_cmpint(srgan_pixels_channels(SRGAN_PIXELS_RGB), ==, 3);
    g_assert_cmpint(srgan_pixels_channels(SRGAN_PIXELS_RGBA), ==, 4);
    g_assert_cmpint(srgan_pixels_channels(SRGAN_PIXELS_Y), ==, 1);
    g_assert_cmpint(srgan_pixels_channels(SRGAN_PIXELS_YA), ==, 2);
    g_assert_cmpint(srgan_pixels_channels((SrganPixels)42), ==, 0);

    const float ya[4] = { 0.2f, 0.9f, 0.6f, 0.1f };
    float rgb[6], back[4] = { -1, -1, -1, -1 };
    srgan_pixels_to_rgb(SRGAN_PIXELS_YA, ya, 2, rgb);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpfloat(rgb[i], ==, 0.2f);
        g_assert_cmpfloat(rgb[3 + i], ==, 0.6f);
    }
    const float colour[6] = { 0.1f, 0.2f, 0.6f, 1.0f, 0.5f, 0.0f };
    srgan_pixels_from_rgb(SRGAN_PIXELS_YA, colour, 2, back);
    g_assert_cmpfloat_with_epsilon(back[0], 0.3f, 1e-6);
    g_assert_cmpfloat_with_epsilon(back[2], 0.5f, 1e-6);
    g_assert_cmpfloat(back[1], ==, -1);   /* alpha left alone */
    const float rgba[8] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f };
    srgan_pixels_to_rgb(SRGAN_PIXELS_RGBA, rgba, 2, rgb);
    const float want[6] = { 0.1f, 0.2f, 0.3f, 0.5f, 0.6f, 0.7f };
    for (int i = 0; i < 6; i++)
        g_assert_cmpfloat(rgb[i], ==, want[i]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kernels/conv-ref-by-hand", test_conv_ref_by_hand);
    g_test_add_func("/kernels/conv-head-9x9-3-to-C", test_conv_head);
    g_test_add_func("/kernels/conv-block-3x3-C-to-C", test_conv_block);
    g_test_add_func("/kernels/conv-upsample-3x3-C-to-4C", test_conv_upsample);
    g_test_add_func("/kernels/conv-tail-9x9-C-to-3", test_conv_tail);
    g_test_add_func("/kernels/conv-layouts", test_conv_layouts);
    g_test_add_func("/kernels/prelu", test_prelu);
    g_test_add_func("/kernels/pixel-shuffle", test_pixel_shuffle);
    g_test_add_func("/kernels/alpha-bicubic", test_alpha_bicubic);
    g_test_add_func("/kernels/layouts", test_layouts);
    return g_test_run();
}
