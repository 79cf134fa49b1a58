/* test-gradcheck.c — every layer's and loss's backward pass against central
 * finite differences (issue 6: relative error ≤ 1e-2 in fp32), plus the
 * chunked im2col convolution against a direct loop, and whole-network
 * checks of the generator, the discriminator and the VGG content loss.
 *
 * The convolution checks run in every mode of conv2d.c (the reference
 * im2col path; the default path on one and on two workers) over shapes
 * chosen so that every kernel the core has on this CPU (Winograd F43,
 * Winograd split, direct) takes a forward and an input gradient; the test
 * fails if one of them was never reached while the CPU has it.  The
 * network checks run in the reference mode and in the default mode on two
 * workers; in the default mode the difference quotients are taken with the
 * reference forward, so they measure the exact gradient rather than
 * Winograd's rounding (larger than a direct sum's, and amplified by the
 * 1/(2·eps) of the quotient through a dozen layers). */
#include <string.h>
#include <glib/gstdio.h>

#include "gradcheck.h"
#include "layers.h"
#include "transpose.h"
#include "losses.h"
#include "generator.h"
#include "discriminator.h"
#include "vgg.h"
#include "parallel.h"

#define TOL 1e-2

typedef struct Case Case;
struct Case {
    const char *name;
    void (*forward)(Case *c);
    void (*backward)(Case *c);   /* dout = c->weights */
    Tensor in, out, weights, din;
    ParamList params;
    Scratch scratch;
    Conv2d conv;
    BatchNorm2d bn;
    PReLU prelu;
    Dense dense;
    float slope;
    Tensor tmp, tmp2;
};

static Rng rng;

/* Convolution paths reached by check_conv (conv2d_path names). */
static GHashTable *paths_seen;
/* Default mode: difference quotients of the network checks in reference
 * mode (see the top). */
static gboolean fd_reference;

static double loss_in_mode(double (*loss)(void *), void *ctx)
{
    gboolean was = conv2d_reference();
    if (fd_reference)
        conv2d_set_reference(TRUE);
    double value = loss(ctx);
    conv2d_set_reference(was);
    return value;
}

static void fill_normal(Tensor *t, float scale)
{
    for (size_t i = 0; i < tensor_size(t); i++)
        t->data[i] = rng_normal(&rng) * scale;
}

/* Values kept ≥ margin away from 0, so ±eps never crosses a kink. */
static void fill_away_from_zero(Tensor *t, float margin)
{
    for (size_t i = 0; i < tensor_size(t); i++) {
        float v = rng_normal(&rng);
        t->data[i] = v >= 0 ? v + margin : v - margin;
    }
}

static double weighted_sum(const Tensor *out, const Tensor *w)
{
    double s = 0.0;
    for (size_t i = 0; i < tensor_size(out); i++)
        s += (double)out->data[i] * w->data[i];
    return s;
}

static double case_loss(void *ctx)
{
    Case *c = ctx;
    c->forward(c);
    return weighted_sum(&c->out, &c->weights);
}

static gboolean run_case(Case *c, float eps)
{
    gboolean ok = TRUE;
    c->forward(c);
    tensor_reshape(&c->weights, c->out.c, c->out.n, c->out.h, c->out.w);
    fill_normal(&c->weights, 1.0f);
    if (c->params.params)
        param_list_zero_grad(&c->params);
    c->backward(c);
    char what[96];
    g_snprintf(what, sizeof what, "%s d/d(input)", c->name);
    ok &= gradcheck(what, case_loss, c, c->in.data, c->din.data, tensor_size(&c->in),
                    eps, TOL, 200, &rng);
    for (guint i = 0; c->params.params && i < c->params.params->len; i++) {
        Param *p = g_ptr_array_index(c->params.params, i);
        if (!p->grad)
            continue;
        g_snprintf(what, sizeof what, "%s d/d(%s)", c->name, p->name);
        ok &= gradcheck(what, case_loss, c, p->value, p->grad, p->n, eps, TOL, 200, &rng);
    }
    return ok;
}

static void case_clear(Case *c)
{
    tensor_clear(&c->in);
    tensor_clear(&c->out);
    tensor_clear(&c->weights);
    tensor_clear(&c->din);
    tensor_clear(&c->tmp);
    tensor_clear(&c->tmp2);
    scratch_clear(&c->scratch);
    conv2d_clear(&c->conv);
    if (c->params.params)
        param_list_clear(&c->params);
    batchnorm_clear(&c->bn);
}

/* ---- layer cases ------------------------------------------------------ */

static void conv_fwd(Case *c) { conv2d_forward(&c->conv, &c->in, &c->out, &c->scratch); }
static void conv_bwd(Case *c) { conv2d_backward(&c->conv, &c->in, &c->weights, &c->din, TRUE, &c->scratch); }

static gboolean check_conv(int cin, int cout, int k, int stride, int h, int w)
{
    Case c = {0};
    char name[96];
    c.forward = conv_fwd;
    c.backward = conv_bwd;
    param_list_init(&c.params);
    conv2d_init(&c.conv, &c.params, "conv", cin, cout, k, stride);
    const char *fwd = conv2d_path(&c.conv, FALSE), *bwd = conv2d_path(&c.conv, TRUE);
    const char *wgrad = conv2d_weight_grad_path(&c.conv);
    g_hash_table_add(paths_seen, (gpointer)fwd);
    g_hash_table_add(paths_seen, (gpointer)bwd);
    g_hash_table_add(paths_seen, (gpointer)wgrad);
    g_snprintf(name, sizeof name, "conv%dx%d/s%d %d->%d [%s/%s/%s, %d thr]", k, k, stride,
               cin, cout, fwd, bwd, wgrad, train_threads());
    c.name = name;
    conv2d_randomize(&c.conv, &rng);
    tensor_reshape(&c.in, cin, 2, h, w);
    fill_normal(&c.in, 1.0f);
    gboolean ok = run_case(&c, 1e-2f);
    case_clear(&c);
    return ok;
}

static void bn_fwd(Case *c) { batchnorm_forward(&c->bn, &c->in, &c->out, TRUE); }
static void bn_bwd(Case *c) { batchnorm_backward(&c->bn, &c->in, &c->weights, &c->din); }

/* A 3-channel BatchNorm with γ and β away from their defaults. */
static void bn_case_init(Case *c)
{
    param_list_init(&c->params);
    batchnorm_init(&c->bn, &c->params, "bn", 3);
    for (int i = 0; i < 3; i++) {
        c->bn.gamma->value[i] = 0.5f + rng_normal(&rng) * 0.3f;
        c->bn.beta->value[i] = rng_normal(&rng) * 0.3f;
    }
}

static gboolean check_batchnorm(void)
{
    Case c = {.name = "batchnorm (training)", .forward = bn_fwd, .backward = bn_bwd};
    bn_case_init(&c);
    tensor_reshape(&c.in, 3, 2, 4, 5);
    fill_normal(&c.in, 2.0f);
    gboolean ok = run_case(&c, 1e-2f);

    /* The running statistics follow PyTorch's rule after one more forward. */
    float before = c.bn.running_mean->value[0];
    bn_fwd(&c);
    size_t m = 2 * 4 * 5;
    double mean = 0;
    for (size_t i = 0; i < m; i++)
        mean += c.in.data[i];
    mean /= m;
    float expect = 0.9f * before + 0.1f * (float)mean;
    if (fabsf(c.bn.running_mean->value[0] - expect) > 1e-5f) {
        printf("FAIL batchnorm running mean %g, expected %g\n",
               c.bn.running_mean->value[0], expect);
        ok = FALSE;
    }
    case_clear(&c);
    return ok;
}

/* BatchNorm and LeakyReLU fused (the discriminator's pair): finite
 * differences, and the same values as the two layers one after the other,
 * on channels of 2·5·7 = 70 values (8-lane sums plus a tail). */
static void bn_leaky_fwd(Case *c) { batchnorm_leaky_forward(&c->bn, &c->in, &c->out, TRUE, 0.2f); }
static void bn_leaky_bwd(Case *c)
{
    batchnorm_leaky_backward(&c->bn, &c->in, &c->out, &c->weights, &c->din, 0.2f);
}

static gboolean check_batchnorm_leaky(void)
{
    Case c = {.name = "batchnorm + leaky relu", .forward = bn_leaky_fwd,
              .backward = bn_leaky_bwd};
    bn_case_init(&c);
    tensor_reshape(&c.in, 3, 2, 5, 7);
    fill_normal(&c.in, 2.0f);
    /* a smaller step than elsewhere: γ and β move every normalised value,
     * and with ±1e-2 some of the 210 cross the LeakyReLU's kink at 0 */
    gboolean ok = run_case(&c, 1e-3f);

    /* against batchnorm_forward/backward and leaky_relu_forward/backward */
    Tensor bn_out = {0}, act = {0}, dact = {0}, dbn = {0}, din = {0};
    tensor_reshape(&dact, 3, 2, 5, 7);
    fill_normal(&dact, 1.0f);
    param_list_zero_grad(&c.params);
    batchnorm_forward(&c.bn, &c.in, &bn_out, TRUE);
    leaky_relu_forward(0.2f, &bn_out, &act);
    leaky_relu_backward(0.2f, &act, &dact, &dbn);
    batchnorm_backward(&c.bn, &c.in, &dbn, &din);
    float dgamma = c.bn.gamma->grad[1], dbeta = c.bn.beta->grad[1];
    param_list_zero_grad(&c.params);
    batchnorm_leaky_forward(&c.bn, &c.in, &c.out, TRUE, 0.2f);
    batchnorm_leaky_backward(&c.bn, &c.in, &c.out, &dact, &c.din, 0.2f);
    double worst = fmax(fabsf(c.bn.gamma->grad[1] - dgamma), fabsf(c.bn.beta->grad[1] - dbeta));
    for (size_t i = 0; i < tensor_size(&act); i++) {
        worst = fmax(worst, fabsf(c.out.data[i] - act.data[i]));
        worst = fmax(worst, fabsf(c.din.data[i] - din.data[i]));
    }
    gboolean same = worst < 1e-5;
    printf("%s batchnorm + leaky relu fused vs one after the other: worst difference %.1e\n",
           same ? "ok  " : "FAIL", worst);
    tensor_clear(&bn_out);
    tensor_clear(&act);
    tensor_clear(&dact);
    tensor_clear(&dbn);
    tensor_clear(&din);
    case_clear(&c);
    return ok && same;
}

static void prelu_fwd(Case *c) { prelu_forward(&c->prelu, &c->in, &c->out); }
static void prelu_bwd(Case *c) { prelu_backward(&c->prelu, &c->in, &c->weights, &c->din); }

static gboolean check_prelu(int count)
{
    Case c = {.name = count == 1 ? "prelu (shared)" : "prelu (per channel)",
              .forward = prelu_fwd, .backward = prelu_bwd};
    param_list_init(&c.params);
    prelu_init(&c.prelu, &c.params, "prelu", count);
    for (int i = 0; i < count; i++)
        c.prelu.slope->value[i] = 0.1f + 0.1f * i;
    tensor_reshape(&c.in, 4, 2, 3, 3);
    fill_away_from_zero(&c.in, 0.05f);
    gboolean ok = run_case(&c, 1e-2f);
    case_clear(&c);
    return ok;
}

static void leaky_fwd(Case *c) { leaky_relu_forward(c->slope, &c->in, &c->out); }
static void leaky_bwd(Case *c) { leaky_relu_backward(c->slope, &c->out, &c->weights, &c->din); }
static void tanh_fwd(Case *c) { tanh_forward(&c->in, &c->out); }
static void tanh_bwd(Case *c) { tanh_backward(&c->out, &c->weights, &c->din); }
static void shuffle_fwd(Case *c) { pixel_shuffle_forward(&c->in, &c->out); }
static void shuffle_bwd(Case *c) { pixel_shuffle_backward(&c->weights, &c->din); }
static void pool_fwd(Case *c) { maxpool_forward(&c->in, &c->out); }
static void pool_bwd(Case *c) { maxpool_backward(&c->in, &c->weights, &c->din); }

static gboolean check_elementwise(const char *name, void (*fwd)(Case *),
                                  void (*bwd)(Case *), float slope, int ch)
{
    Case c = {.name = name, .forward = fwd, .backward = bwd, .slope = slope};
    tensor_reshape(&c.in, ch, 2, 4, 6);
    fill_away_from_zero(&c.in, 0.05f);
    gboolean ok = run_case(&c, 1e-2f);
    case_clear(&c);
    return ok;
}

static gboolean check_maxpool(void)
{
    Case c = {.name = "maxpool 2x2", .forward = pool_fwd, .backward = pool_bwd};
    tensor_reshape(&c.in, 2, 2, 5, 6);   /* odd height: the last row is dropped */
    /* distinct values 0.1 apart: ±eps never changes a window's maximum */
    size_t n = tensor_size(&c.in);
    for (size_t i = 0; i < n; i++)
        c.in.data[i] = 0.1f * (float)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_below(&rng, (guint32)(i + 1));
        float t = c.in.data[i]; c.in.data[i] = c.in.data[j]; c.in.data[j] = t;
    }
    gboolean ok = run_case(&c, 1e-2f);
    case_clear(&c);
    return ok;
}

static gboolean check_pixel_shuffle_layout(void)
{
    /* PyTorch's order: in channel c·4 + i·2 + j lands at (2y + i, 2x + j). */
    Tensor in = {0}, out = {0};
    tensor_reshape(&in, 8, 1, 2, 3);
    for (size_t i = 0; i < tensor_size(&in); i++)
        in.data[i] = (float)i;
    pixel_shuffle_forward(&in, &out);
    gboolean ok = out.c == 2 && out.h == 4 && out.w == 6;
    for (int c = 0; ok && c < 2; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 6; x++) {
                int src_c = c * 4 + (y % 2) * 2 + (x % 2);
                float want = in.data[(src_c * 2 + y / 2) * 3 + x / 2];
                if (out.data[(c * 4 + y) * 6 + x] != want)
                    ok = FALSE;
            }
    printf("%s pixel shuffle layout\n", ok ? "ok  " : "FAIL");
    tensor_clear(&in);
    tensor_clear(&out);
    return ok;
}

static void dense_fwd(Case *c)
{
    dense_flatten(&c->in, &c->tmp);
    dense_forward(&c->dense, &c->tmp, &c->out);
}
static void dense_bwd(Case *c)
{
    dense_backward(&c->dense, &c->tmp, &c->weights, &c->tmp2);
    dense_unflatten(&c->tmp2, c->in.c, c->in.h, c->in.w, &c->din);
}

static gboolean check_dense(void)
{
    Case c = {.name = "flatten + dense", .forward = dense_fwd, .backward = dense_bwd};
    param_list_init(&c.params);
    dense_init(&c.dense, &c.params, "fc", 3 * 2 * 2, 5);
    dense_randomize(&c.dense, &rng);
    tensor_reshape(&c.in, 3, 4, 2, 2);
    fill_normal(&c.in, 1.0f);
    gboolean ok = run_case(&c, 1e-2f);
    case_clear(&c);
    return ok;
}

/* ---- large convolutions: chunked, against a direct loop ---------------
 * Big enough that the im2col columns come in several chunks: the forward
 * pass is compared with a direct loop at sampled pixels, and the backward
 * pass with the adjoint identities ⟨W∗x, y⟩ = ⟨x, dx⟩ = ⟨W, dW⟩ for
 * dout = y (bias left out), which hold for any y. */
static gboolean check_conv_large(int cin, int cout, int k, int stride, int n, int h, int w)
{
    ParamList params;
    param_list_init(&params);
    Conv2d conv;
    conv2d_init(&conv, &params, "big", cin, cout, k, stride);
    conv2d_randomize(&conv, &rng);
    Tensor in = {0}, out = {0}, dout = {0}, din = {0};
    Scratch s = {0};
    tensor_reshape(&in, cin, n, h, w);
    fill_normal(&in, 1.0f);
    conv2d_forward(&conv, &in, &out, &s);
    int pad = k / 2, ho = out.h, wo = out.w;
    double max_err = 0.0;
    for (int co = 0; co < cout; co += 1 + cout / 4)
        for (int b = 0; b < n; b++)
            for (int y = 0; y < ho; y += 5)
                for (int x = 0; x < wo; x += 7) {
                    double acc = conv.bias->value[co];
                    for (int ci = 0; ci < cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = y * stride + ky - pad, ix = x * stride + kx - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                acc += (double)conv.weight->value[((co * cin + ci) * k + ky) * k + kx] *
                                       in.data[((size_t)(ci * n + b) * h + iy) * w + ix];
                            }
                    double got = out.data[((size_t)(co * n + b) * ho + y) * wo + x];
                    max_err = fmax(max_err, fabs(got - acc));
                }
    tensor_reshape(&dout, cout, n, ho, wo);
    fill_normal(&dout, 1.0f);
    param_list_zero_grad(&params);
    conv2d_backward(&conv, &in, &dout, &din, TRUE, &s);
    double out_y = 0, x_dx = 0, w_dw = 0;
    size_t plane = (size_t)n * ho * wo;
    for (int co = 0; co < cout; co++)
        for (size_t p = 0; p < plane; p++)
            out_y += (double)(out.data[co * plane + p] - conv.bias->value[co]) * dout.data[co * plane + p];
    for (size_t i = 0; i < tensor_size(&in); i++)
        x_dx += (double)in.data[i] * din.data[i];
    for (size_t i = 0; i < conv.weight->n; i++)
        w_dw += (double)conv.weight->value[i] * conv.weight->grad[i];
    double adj = fmax(fabs(out_y - x_dx), fabs(out_y - w_dw)) / fabs(out_y);
    gboolean ok = max_err < 1e-3 && adj < 1e-4;
    printf("%s conv%dx%d/s%d %d->%d on %dx%dx%d [%s/%s/%s]: forward vs direct %.1e, adjoint identities %.1e\n",
           ok ? "ok  " : "FAIL", k, k, stride, cin, cout, n, h, w, conv2d_path(&conv, FALSE),
           conv2d_path(&conv, TRUE), conv2d_weight_grad_path(&conv), max_err, adj);
    tensor_clear(&in);
    tensor_clear(&out);
    tensor_clear(&dout);
    tensor_clear(&din);
    scratch_clear(&s);
    conv2d_clear(&conv);
    param_list_clear(&params);
    return ok;
}

/* ---- losses ----------------------------------------------------------- */
typedef struct {
    Tensor a, b, grad;
    float target;
    gboolean bce;
} LossCase;

static double loss_case(void *ctx)
{
    LossCase *l = ctx;
    return l->bce ? bce_logits_loss(&l->a, l->target, 1.0f, NULL, FALSE)
                  : mse_loss(&l->a, &l->b, 1.0f, NULL, FALSE);
}

static gboolean check_losses(void)
{
    gboolean ok = TRUE;
    LossCase l = {0};
    tensor_reshape(&l.a, 3, 2, 3, 3);
    tensor_reshape(&l.b, 3, 2, 3, 3);
    fill_normal(&l.a, 1.0f);
    fill_normal(&l.b, 1.0f);
    mse_loss(&l.a, &l.b, 1.0f, &l.grad, FALSE);
    ok &= gradcheck("mse loss", loss_case, &l, l.a.data, l.grad.data, tensor_size(&l.a),
                    1e-2f, TOL, 200, &rng);
    l.bce = TRUE;
    tensor_reshape(&l.a, 1, 6, 1, 1);
    fill_normal(&l.a, 3.0f);
    for (int t = 0; t <= 1; t++) {
        l.target = (float)t;
        bce_logits_loss(&l.a, l.target, 1.0f, &l.grad, FALSE);
        ok &= gradcheck(t ? "bce logits loss (real, -log D)" : "bce logits loss (fake)",
                        loss_case, &l, l.a.data, l.grad.data, 6, 1e-2f, TOL, 200, &rng);
    }
    /* −log σ(z) for a hugely confident wrong logit stays finite. */
    l.a.data[0] = -200.0f;
    tensor_reshape(&l.a, 1, 1, 1, 1);
    double big = bce_logits_loss(&l.a, 1.0f, 1.0f, NULL, FALSE);
    gboolean finite = isfinite(big) && fabs(big - 200.0) < 1e-6;
    printf("%s bce of logit -200 = %.6f (expected 200)\n", finite ? "ok  " : "FAIL", big);
    ok &= finite;
    tensor_clear(&l.a);
    tensor_clear(&l.b);
    tensor_clear(&l.grad);
    return ok;
}

/* ---- whole networks --------------------------------------------------- */
/* The activations' kinks are checked layer by layer above; in a whole
 * network ±eps crosses some of them and swamps what these checks are for,
 * the wiring between layers.  So the networks here run with linear
 * activations (slope 1). */

/* A convolution's bias right before BatchNorm cancels out: its true
 * gradient is zero, so that is what is checked. */
static gboolean check_cancelled_bias(const char *what, const Param *p)
{
    double norm = 0;
    for (size_t k = 0; k < p->n; k++)
        norm += (double)p->grad[k] * p->grad[k];
    gboolean ok = sqrt(norm) < 1e-3;
    printf("%s %-40s |grad| %.2e (zero: BatchNorm follows)\n", ok ? "ok  " : "FAIL", what, sqrt(norm));
    return ok;
}

static gboolean bias_before_bn(const char *name)
{
    return (g_str_has_prefix(name, "blocks.") && g_str_has_suffix(name, ".bias") &&
            strstr(name, ".conv")) ||
           strcmp(name, "body.conv.bias") == 0 ||
           (g_str_has_prefix(name, "conv.") && strcmp(name, "conv.0.bias") != 0 &&
            g_str_has_suffix(name, ".bias"));
}

typedef struct {
    Generator *gen;
    Tensor lr, weights;
} GenCase;

static double gen_loss(void *ctx)
{
    GenCase *g = ctx;
    return weighted_sum(generator_forward(g->gen, &g->lr, TRUE), &g->weights);
}

static double gen_loss_fd(void *ctx)
{
    return loss_in_mode(gen_loss, ctx);
}

static gboolean check_generator(int scale)
{
    GeneratorConfig config = {scale, 2, 8, 8};
    GenCase g = {.gen = generator_new(&config)};
    generator_randomize(g.gen, &rng);
    for (guint i = 0; i < g.gen->params.params->len; i++) {
        Param *p = g_ptr_array_index(g.gen->params.params, i);
        if (g_str_has_suffix(p->name, "prelu.weight"))
            for (size_t k = 0; k < p->n; k++)
                p->value[k] = 1.0f;
    }
    tensor_reshape(&g.lr, 3, 2, 5, 6);
    for (size_t i = 0; i < tensor_size(&g.lr); i++)
        g.lr.data[i] = (float)rng_uniform(&rng);
    const Tensor *out = generator_forward(g.gen, &g.lr, TRUE);
    gboolean ok = out->c == 3 && out->h == 5 * scale && out->w == 6 * scale;
    tensor_reshape(&g.weights, out->c, out->n, out->h, out->w);
    fill_normal(&g.weights, 1.0f);
    param_list_zero_grad(&g.gen->params);
    generator_backward(g.gen, &g.weights);
    for (guint i = 0; i < g.gen->params.params->len; i++) {
        Param *p = g_ptr_array_index(g.gen->params.params, i);
        if (!p->grad)
            continue;
        char what[96];
        g_snprintf(what, sizeof what, "generator x%d %s", scale, p->name);
        if (bias_before_bn(p->name)) {
            ok &= check_cancelled_bias(what, p);
            continue;
        }
        /* fp32 forward through ~12 layers: sample 12 coordinates each */
        ok &= gradcheck(what, gen_loss_fd, &g, p->value, p->grad, p->n, 1e-3f, TOL, 12, &rng);
    }
    generator_free(g.gen);
    tensor_clear(&g.lr);
    tensor_clear(&g.weights);
    return ok;
}

typedef struct {
    Discriminator *disc;
    Tensor image, din;
    float target;
} DiscCase;

static double disc_loss(void *ctx)
{
    DiscCase *d = ctx;
    return bce_logits_loss(discriminator_forward(d->disc, &d->image), d->target, 1.0f, NULL, FALSE);
}

static double disc_loss_fd(void *ctx)
{
    return loss_in_mode(disc_loss, ctx);
}

static gboolean check_discriminator(void)
{
    DiscriminatorConfig config = {.base_channels = 4, .dense = 16, .crop = 32, .leak = 1.0f};
    DiscCase d = {.disc = discriminator_new(&config), .target = 1.0f};
    discriminator_randomize(d.disc, &rng);
    tensor_reshape(&d.image, 3, 4, 32, 32);
    fill_normal(&d.image, 0.5f);
    Tensor grad = {0};
    bce_logits_loss(discriminator_forward(d.disc, &d.image), 1.0f, 1.0f, &grad, FALSE);
    param_list_zero_grad(&d.disc->params);
    discriminator_backward(d.disc, &grad, &d.din, TRUE);
    gboolean ok = gradcheck("discriminator + bce d/d(image)", disc_loss_fd, &d, d.image.data,
                            d.din.data, tensor_size(&d.image), 3e-2f, TOL, 40, &rng);
    for (guint i = 0; i < d.disc->params.params->len; i++) {
        Param *p = g_ptr_array_index(d.disc->params.params, i);
        if (!p->grad)
            continue;
        char what[96];
        g_snprintf(what, sizeof what, "discriminator %s", p->name);
        if (bias_before_bn(p->name)) {
            ok &= check_cancelled_bias(what, p);
            continue;
        }
        ok &= gradcheck(what, disc_loss_fd, &d, p->value, p->grad, p->n, 1e-2f, TOL, 12, &rng);
    }
    discriminator_free(d.disc);
    tensor_clear(&d.image);
    tensor_clear(&d.din);
    tensor_clear(&grad);
    return ok;
}

typedef struct {
    Vgg *vgg;
    Tensor sr, hr, dsr;
} VggCase;

static double vgg_loss(void *ctx)
{
    VggCase *v = ctx;
    return vgg_content_loss(v->vgg, &v->sr, &v->hr, 1.0f, NULL);
}

static double vgg_loss_fd(void *ctx)
{
    return loss_in_mode(vgg_loss, ctx);
}

static gboolean check_vgg(const char *layer, const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "vgg-random.safetensors", NULL);
    g_autoptr(GError) error = NULL;
    if (!vgg_write_random(path, 4, 7, &error)) {
        printf("FAIL writing a random VGG: %s\n", error->message);
        return FALSE;
    }
    VggCase v = {.vgg = vgg_load(path, layer, &error)};
    if (!v.vgg) {
        printf("FAIL loading the random VGG: %s\n", error->message);
        return FALSE;
    }
    /* φ(5,4) sits after four poolings: 32×32 leaves it 2×2.  Through 16
     * random ReLU layers ±eps flips so many units that the difference
     * quotient stops measuring the gradient, so the deep check runs with
     * linear units (ReLU's own backward is checked above and in φ(2,2)). */
    int side = layer[0] == '5' ? 32 : 16;
    if (layer[0] == '5')
        v.vgg->relu_slope = 1.0f;
    tensor_reshape(&v.sr, 3, 2, side, side);
    tensor_reshape(&v.hr, 3, 2, side, side);
    fill_normal(&v.sr, 0.5f);
    fill_normal(&v.hr, 0.5f);
    vgg_content_loss(v.vgg, &v.sr, &v.hr, 1.0f, &v.dsr);
    char what[64];
    g_snprintf(what, sizeof what, "vgg phi(%c,%c) content loss d/d(sr)", layer[0], layer[1]);
    gboolean ok = gradcheck_directional(what, vgg_loss_fd, &v, v.sr.data, v.dsr.data,
                                        tensor_size(&v.sr), 3e-3f, TOL, 8, &rng);
    vgg_free(v.vgg);
    tensor_clear(&v.sr);
    tensor_clear(&v.hr);
    tensor_clear(&v.dsr);
    return ok;
}

/* The CNHW ⇄ HWC transposes around the core's kernels: the AVX2 blocks
 * (where the CPU has them) and the portable ones against the definition,
 * on shapes with partial 8×8 blocks and strides wider than a row. */
static gboolean check_transposes(void)
{
    const size_t shapes[][4] = {{3, 9216, 16 * 9216, 3}, {64, 37, 80, 64}, {13, 29, 31, 17},
                                {8, 8, 8, 8}, {1, 5, 5, 1}, {17, 1, 1, 20}};
    gboolean ok = TRUE;
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        size_t rows = shapes[s][0], cols = shapes[s][1], lds = shapes[s][2], ldd = shapes[s][3];
        float *src = g_new(float, rows * lds), *a = g_new0(float, cols * ldd),
              *b = g_new0(float, cols * ldd);
        for (size_t i = 0; i < rows * lds; i++)
            src[i] = (float)rng_uniform(&rng);
        transpose_floats(src, rows, cols, lds, a, ldd);
        transpose_floats_portable(src, rows, cols, lds, b, ldd);
        size_t bad = 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                bad += a[j * ldd + i] != src[i * lds + j] || b[j * ldd + i] != src[i * lds + j];
        printf("%s transpose %zux%zu (strides %zu, %zu)%s: %zu wrong\n", bad ? "FAIL" : "ok  ",
               rows, cols, lds, ldd, transpose_has_avx2() ? ", AVX2 and portable" : "", bad);
        ok &= bad == 0;
        g_free(src);
        g_free(a);
        g_free(b);
    }
    return ok;
}

/* VGG19's three ways to the same loss and gradient: the reference
 * (im2col, ReLU apart), the default channel-major one (the core's kernels
 * with the ReLU fused) and vgg-tall.c's (the core's layout throughout),
 * with real ReLUs and odd sides (pooling drops the last row/column). */
static gboolean check_vgg_layouts(const char *layer, const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "vgg-random.safetensors", NULL);
    g_autoptr(GError) error = NULL;
    Vgg *vgg = vgg_write_random(path, 16, 9, &error) ? vgg_load(path, layer, &error) : NULL;
    if (!vgg) {
        printf("FAIL random VGG: %s\n", error->message);
        return FALSE;
    }
    Tensor sr = {0}, hr = {0}, grad[3] = {{0}};
    tensor_reshape(&sr, 3, 3, 35, 33);
    tensor_reshape(&hr, 3, 3, 35, 33);
    fill_normal(&sr, 0.5f);
    fill_normal(&hr, 0.5f);
    double loss[3];
    conv2d_set_reference(TRUE);
    vgg->use_tall = FALSE;
    loss[0] = vgg_content_loss(vgg, &sr, &hr, 1.0f, &grad[0]);
    conv2d_set_reference(FALSE);
    loss[1] = vgg_content_loss(vgg, &sr, &hr, 1.0f, &grad[1]);
    vgg->use_tall = TRUE;
    loss[2] = vgg_content_loss(vgg, &sr, &hr, 1.0f, &grad[2]);
    gboolean ok = TRUE;
    const char *names[3] = {"reference", "channel-major", "tall"};
    for (int k = 1; k < 3; k++) {
        double gmax = 0, dmax = 0;
        for (size_t i = 0; i < tensor_size(&sr); i++) {
            gmax = fmax(gmax, fabs(grad[0].data[i]));
            dmax = fmax(dmax, fabs(grad[k].data[i] - grad[0].data[i]));
        }
        double lrel = fabs(loss[k] - loss[0]) / fabs(loss[0]), grel = dmax / gmax;
        gboolean good = lrel < 1e-4 && grel < 1e-3;
        printf("%s vgg phi(%c,%c) %s vs %s: loss rel.err %.1e, gradient %.1e of its largest\n",
               good ? "ok  " : "FAIL", layer[0], layer[1], names[k], names[0], lrel, grel);
        ok &= good;
    }
    vgg_free(vgg);
    tensor_clear(&sr);
    tensor_clear(&hr);
    for (int k = 0; k < 3; k++)
        tensor_clear(&grad[k]);
    return ok;
}

typedef struct {
    const char *name;
    gboolean reference;
    int threads;
} Mode;

static const Mode modes[] = {
    {"reference (im2col, one thread)", TRUE, 1},
    {"default, 1 worker", FALSE, 1},
    {"default, 2 workers", FALSE, 2},
};

static void set_mode(const Mode *m)
{
    printf("-- convolutions: %s\n", m->name);
    conv2d_set_reference(m->reference);
    train_set_threads(m->threads);
}

static gboolean check_convs(void)
{
    gboolean ok = TRUE;
    ok &= check_conv(3, 4, 3, 1, 5, 6);
    ok &= check_conv(3, 4, 3, 2, 7, 6);
    ok &= check_conv(2, 3, 9, 1, 6, 7);
    ok &= check_conv(6, 3, 9, 1, 6, 7);   /* narrow: the output-side path */
    ok &= check_conv(5, 2, 3, 1, 4, 9);
    /* the core's kernels: F43 both ways (16 → 16), F43 forward and split
     * input gradient (8 → 16), direct forward and split input gradient
     * (3 → 16, 3×3 and 9×9), split forward (16 → 8, 9×9 16 → 3), and the
     * stride 2 (direct-s2 where 16 divides the outputs, im2col weight
     * gradients) with a batch spread over the workers */
    ok &= check_conv(16, 16, 3, 1, 9, 10);
    ok &= check_conv(8, 16, 3, 1, 7, 5);
    ok &= check_conv(3, 16, 3, 1, 6, 7);
    ok &= check_conv(3, 16, 9, 1, 6, 7);
    ok &= check_conv(16, 8, 3, 1, 6, 5);
    ok &= check_conv(16, 3, 9, 1, 6, 7);
    ok &= check_conv(16, 16, 3, 2, 9, 8);
    ok &= check_conv(8, 32, 3, 2, 7, 13);   /* direct-s2 forward, im2col input gradient */
    ok &= check_conv_large(64, 3, 9, 1, 2, 132, 133);   /* narrow path, 2 chunks */
    ok &= check_conv_large(32, 32, 3, 1, 2, 130, 131);  /* im2col / Winograd, 2 chunks */
    ok &= check_conv_large(64, 64, 3, 2, 3, 48, 50);    /* the discriminator's stride 2 */
    ok &= check_conv_large(32, 48, 3, 2, 2, 27, 25);    /* odd sizes, part tiles */
    return ok;
}

static gboolean check_networks(const char *dir)
{
    gboolean ok = TRUE;
    ok &= check_generator(2);
    ok &= check_generator(4);
    ok &= check_discriminator();
    ok &= check_vgg("22", dir);
    ok &= check_vgg("54", dir);
    return ok;
}

int main(void)
{
    rng_seed(&rng, 12345);
    paths_seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *dir = g_dir_make_tmp("srgan-gradcheck-XXXXXX", NULL);
    gboolean ok = TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        set_mode(&modes[i]);
        ok &= check_convs();
    }
    /* every kernel of the core's fast set, if the CPU has it at all */
    if (g_hash_table_contains(paths_seen, "winograd-f43")) {
        const char *kernels[] = {"winograd-f43", "winograd-split", "direct", "im2col", "narrow",
                                 "winograd-f43-wgrad", "direct-s2"};
        for (size_t i = 0; i < G_N_ELEMENTS(kernels); i++) {
            gboolean seen = g_hash_table_contains(paths_seen, kernels[i]);
            printf("%s convolution path %s %s\n", seen ? "ok  " : "FAIL", kernels[i],
                   seen ? "checked" : "never reached");
            ok &= seen;
        }
    } else {
        printf("ok   this CPU has no fast kernels: the default path is threaded im2col\n");
    }
    ok &= check_transposes();
    set_mode(&modes[2]);
    ok &= check_vgg_layouts("22", dir);
    ok &= check_vgg_layouts("54", dir);
    set_mode(&modes[0]);
    ok &= check_batchnorm();
    ok &= check_batchnorm_leaky();
    ok &= check_prelu(1);
    ok &= check_prelu(4);
    ok &= check_elementwise("leaky relu 0.2", leaky_fwd, leaky_bwd, 0.2f, 3);
    ok &= check_elementwise("relu", leaky_fwd, leaky_bwd, 0.0f, 3);
    ok &= check_elementwise("tanh", tanh_fwd, tanh_bwd, 0.0f, 3);
    ok &= check_elementwise("pixel shuffle", shuffle_fwd, shuffle_bwd, 0.0f, 8);
    ok &= check_pixel_shuffle_layout();
    ok &= check_maxpool();
    ok &= check_dense();
    ok &= check_losses();
    ok &= check_networks(dir);
    set_mode(&modes[2]);
    fd_reference = TRUE;
    ok &= check_networks(dir);
    fd_reference = FALSE;
    g_hash_table_destroy(paths_seen);
    g_autofree char *vgg_path = g_build_filename(dir, "vgg-random.safetensors", NULL);
    g_unlink(vgg_path);
    g_rmdir(dir);
    printf(ok ? "all gradient checks passed\n" : "SOME GRADIENT CHECKS FAILED\n");
    return ok ? 0 : 1;
}
