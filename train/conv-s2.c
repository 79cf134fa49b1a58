/* conv-s2.c — see conv-s2.h.
 *
 * The discriminator's four 3×3 stride-2 convolutions were a quarter of an
 * SRGAN step on im2col + sgemm: the column matrix is 9× the input, written
 * and read back for every pass, and sgemm reached about half of the FMA
 * peak on it.  Here each image is gathered once into a zero-padded HWC
 * copy (transpose.h), and a register tile of 6 output pixels × 16 output
 * channels (12 accumulators) sweeps the reduction straight from it: per
 * input channel of a tap, two weight vectors and six broadcasts feed 12
 * FMAs, like a GEMM micro-kernel whose left operand is read in place.
 *
 * Forward, pad 1:
 *   out(oy, ox) = b + Σ_{ky,kx} W[ky][kx] · in(2oy + ky − 1, 2ox + kx − 1).
 * Input gradient, by the parity (py, px) of the input pixel: the input row
 * 2a + py is read by kernel row ky = 1 of output row a when py = 0, and by
 * ky = 0 of output row a + 1 and ky = 2 of output row a when py = 1 (the
 * same for columns), so
 *   din(2a + py, 2b + px) = Σ_{(ky,dy) ∈ R(py), (kx,dx) ∈ R(px)} W[ky][kx]ᵀ · dout(a + dy, b + dx)
 * with R(0) = {(1, 0)}, R(1) = {(0, 1), (2, 0)}: four stride-1
 * convolutions of dout with 1, 2, 2 and 4 taps, 9 in all, the same
 * multiply-adds as the forward pass.  Rows and columns of dout past its
 * end are zero padding.
 *
 * The weight gradient stays on im2col + sgemm (conv2d.c).
 */
#include "conv-s2.h"
#include "parallel.h"
#include "transpose.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CONV_S2_X86 1
#include <immintrin.h>
#endif

#define PIXELS 6   /* output pixels per tile */
#define LANES 16   /* output channels per tile (two AVX vectors) */

/* AVX2 and FMA, and SRGAN_NO_FAST_KERNELS not set (as the core decides). */
static gboolean conv_s2_cpu_ok(void)
{
#ifdef CONV_S2_X86
    const char *off = g_getenv("SRGAN_NO_FAST_KERNELS");
    if (off && *off && strcmp(off, "0") != 0)
        return FALSE;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return FALSE;
#endif
}

gboolean conv_s2_applies(const Conv2d *conv, gboolean input_gradient)
{
    if (conv->k != 3 || conv->stride != 2 || conv->pad != 1)
        return FALSE;
    /* the tile's 16 lanes are output channels: the layer's, or for the
     * input gradient its input channels */
    int lanes = input_gradient ? conv->cin : conv->cout;
    return lanes % LANES == 0 && conv_s2_cpu_ok();
}

void conv_s2_pack(const Conv2d *conv, gboolean input_gradient, int part, int parts,
                  float *packed)
{
    const int cin = conv->cin, cout = conv->cout;
    const float *w = conv->weight->value;
    int c0 = (int)((gint64)cout * part / parts), c1 = (int)((gint64)cout * (part + 1) / parts);
    for (int co = c0; co < c1; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int t = 0; t < 9; t++) {
                float v = w[((size_t)co * cin + ci) * 9 + t];
                if (input_gradient)   /* [ci / 16][t][co][ci % 16] */
                    packed[(((size_t)ci / LANES * 9 + t) * cout + co) * LANES + ci % LANES] = v;
                else                  /* [co / 16][t][ci][co % 16] */
                    packed[(((size_t)co / LANES * 9 + t) * cin + ci) * LANES + co % LANES] = v;
            }
}

#ifdef CONV_S2_X86
/* acc = Σ_t Σ_{k < depth} src[t][p][k] · wt[t][k][0..15] for p < PIXELS:
 * the tap's first pixel is src + off[t], pixel p lies p·step floats
 * further, and the tap's weights for reduction channel k are the 16 floats
 * at w[t] + k·pitch. */
__attribute__((target("avx2,fma")))
static inline void tile(const float *src, const size_t *off, const float *const *w, int taps,
                        int depth, size_t step, size_t pitch, __m256 acc[PIXELS][2])
{
    /* twelve named accumulators: in an array GCC keeps them in memory */
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (int t = 0; t < taps; t++) {
        const float *s = src + off[t], *wt = w[t];
        for (int k = 0; k < depth; k++, s++, wt += pitch) {
            __m256 w0 = _mm256_loadu_ps(wt), w1 = _mm256_loadu_ps(wt + 8), v;
#define S2_FMA(p, lo, hi)                                   \
            v = _mm256_broadcast_ss(s + (p) * step);        \
            lo = _mm256_fmadd_ps(v, w0, lo);                \
            hi = _mm256_fmadd_ps(v, w1, hi);
            S2_FMA(0, a00, a01) S2_FMA(1, a10, a11) S2_FMA(2, a20, a21)
            S2_FMA(3, a30, a31) S2_FMA(4, a40, a41) S2_FMA(5, a50, a51)
#undef S2_FMA
        }
    }
    acc[0][0] = a00, acc[0][1] = a01, acc[1][0] = a10, acc[1][1] = a11;
    acc[2][0] = a20, acc[2][1] = a21, acc[3][0] = a30, acc[3][1] = a31;
    acc[4][0] = a40, acc[4][1] = a41, acc[5][0] = a50, acc[5][1] = a51;
}

/* Stores the first n pixels of the tile, pixel p at dst + p·step, plus
 * bias (NULL: none). */
__attribute__((target("avx2,fma")))
static inline void store(__m256 acc[PIXELS][2], int n, const float *bias, float *dst,
                         size_t step)
{
    __m256 b0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    __m256 b1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    for (int p = 0; p < n; p++) {
        _mm256_storeu_ps(dst + p * step, _mm256_add_ps(acc[p][0], b0));
        _mm256_storeu_ps(dst + p * step + 8, _mm256_add_ps(acc[p][1], b1));
    }
}
#endif

/* ---- the work items: one band of rows of one image each ----------------- */

typedef struct {
    const Conv2d *conv;
    const float *packed;
    const float *src;          /* CNHW: in (forward) or dout (input gradient) */
    float *dst;                /* CNHW: out or din */
    int batch, h, w, ho, wo;   /* the layer's input and output sizes */
    int bands, band_rows;      /* per image; rows of out (forward) or of dout */
    Scratch *worker_scratch;
} S2Job;

static int round_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

/* Rows [y0, y1) of image n of the CNHW tensor (c channels of rows × cols)
 * into padded HWC rows of pitch `pitch` pixels, row y at padded row
 * y − y0 + top and column x at x + left; everything else zero. */
static void gather_rows(const float *src, int c, int n, int batch, int rows, int cols,
                        int y0, int y1, int top, int left, int pad_rows, int pitch,
                        float *padded)
{
    memset(padded, 0, sizeof(float) * (size_t)pad_rows * pitch * c);
    size_t plane = (size_t)batch * rows * cols;
    for (int y = MAX(0, y0); y < MIN(rows, y1); y++)
        transpose_floats(src + ((size_t)n * rows + y) * cols, (size_t)c, (size_t)cols, plane,
                         padded + ((size_t)(y - y0 + top) * pitch + left) * c, (size_t)c);
}

/* The HWC rows [y0, y0 + count) of image n (c channels, pixels of
 * `cols`) back into the CNHW tensor. */
static void scatter_rows(const float *hwc, int c, int n, int batch, int rows, int cols,
                         int y0, int count, float *dst)
{
    transpose_floats(hwc, (size_t)count * cols, (size_t)c, (size_t)c,
                     dst + ((size_t)n * rows + y0) * cols, (size_t)batch * rows * cols);
}

#ifdef CONV_S2_X86
__attribute__((target("avx2,fma")))
static void forward_item(void *data, int item, int worker)
{
    const S2Job *job = data;
    const int cin = job->conv->cin, cout = job->conv->cout;
    const int n = item / job->bands, oy0 = item % job->bands * job->band_rows;
    const int oy1 = MIN(job->ho, oy0 + job->band_rows), rows = oy1 - oy0;
    if (rows <= 0)
        return;
    /* padded row r, column j: input pixel (2·oy0 − 1 + r, j − 1); the last
     * tile of a row may run past the row's end (computed, not stored) */
    const int pitch = 2 * round_up(job->wo, PIXELS) + 1, pad_rows = 2 * rows + 1;
    size_t in_floats = (size_t)pad_rows * pitch * cin;
    float *padded = scratch_get(&job->worker_scratch[worker],
                                in_floats + (size_t)rows * job->wo * cout);
    float *out = padded + in_floats;
    gather_rows(job->src, cin, n, job->batch, job->h, job->w, 2 * oy0 - 1, 2 * oy1, 0, 1,
                pad_rows, pitch, padded);
    size_t off[9];
    for (int t = 0; t < 9; t++)
        off[t] = ((size_t)(t / 3) * pitch + t % 3) * cin;
    /* the 16 output channels' weights stay in cache across the band */
    for (int co = 0; co < cout; co += LANES) {
        const float *w[9];
        for (int t = 0; t < 9; t++)
            w[t] = job->packed + ((size_t)co / LANES * 9 + t) * cin * LANES;
        for (int oy = 0; oy < rows; oy++)
            for (int ox = 0; ox < job->wo; ox += PIXELS) {
                __m256 acc[PIXELS][2];
                tile(padded + ((size_t)2 * oy * pitch + 2 * ox) * cin, off, w, 9, cin,
                     2 * (size_t)cin, LANES, acc);
                store(acc, MIN(PIXELS, job->wo - ox), job->conv->bias->value + co,
                      out + ((size_t)oy * job->wo + ox) * cout + co, cout);
            }
    }
    scatter_rows(out, cout, n, job->batch, job->ho, job->wo, oy0, rows, job->dst);
}

/* Item: rows [2·a0, 2·a1) of din (a: rows of dout). */
__attribute__((target("avx2,fma")))
static void input_gradient_item(void *data, int item, int worker)
{
    const S2Job *job = data;
    const int cin = job->conv->cin, cout = job->conv->cout;
    const int n = item / job->bands, a0 = item % job->bands * job->band_rows;
    const int y0 = 2 * a0, y1 = MIN(job->h, 2 * (a0 + job->band_rows));
    if (y1 <= y0)
        return;
    const int arows = (y1 - y0 + 1) / 2;   /* dout rows a0 … a0 + arows − 1 */
    /* b: the columns of one parity, x = 2b + px < w */
    const int bw = (job->w + 1) / 2;
    const int pitch = round_up(bw, PIXELS) + 1, pad_rows = arows + 1;
    size_t in_floats = (size_t)pad_rows * pitch * cout;
    float *padded = scratch_get(&job->worker_scratch[worker],
                                in_floats + (size_t)(y1 - y0) * job->w * cin);
    float *din = padded + in_floats;
    gather_rows(job->src, cout, n, job->batch, job->ho, job->wo, a0, a0 + pad_rows, 0, 0,
                pad_rows, pitch, padded);
    /* R(0) = {(k 1, d 0)}, R(1) = {(k 0, d 1), (k 2, d 0)} */
    static const int tap_k[2][2] = {{1, -1}, {0, 2}}, tap_d[2][2] = {{0, 0}, {1, 0}};
    for (int ci = 0; ci < cin; ci += LANES)
        for (int py = 0; py < 2; py++)
            for (int px = 0; px < 2; px++) {
                size_t off[4];
                const float *w[4];
                int taps = 0;
                for (int i = 0; i <= py; i++)
                    for (int j = 0; j <= px; j++, taps++) {
                        int t = tap_k[py][i] * 3 + tap_k[px][j];
                        off[taps] = ((size_t)tap_d[py][i] * pitch + tap_d[px][j]) * cout;
                        w[taps] = job->packed + ((size_t)ci / LANES * 9 + t) * cout * LANES;
                    }
                const int bn = (job->w - px + 1) / 2;   /* columns of this parity */
                for (int a = 0; 2 * a + py < y1 - y0; a++)
                    for (int b = 0; b < bn; b += PIXELS) {
                        __m256 acc[PIXELS][2];
                        tile(padded + ((size_t)a * pitch + b) * cout, off, w, taps, cout,
                             (size_t)cout, LANES, acc);
                        store(acc, MIN(PIXELS, bn - b), NULL,
                              din + ((size_t)(2 * a + py) * job->w + 2 * b + px) * cin + ci,
                              2 * (size_t)cin);
                    }
            }
    scatter_rows(din, cin, n, job->batch, job->h, job->w, y0, y1 - y0, job->dst);
}
#endif

/* Bands per image: enough items for every worker to get a few. */
static int plan_bands(S2Job *job, int rows)
{
    int want = MAX(1, (4 * train_threads() + job->batch - 1) / job->batch);
    job->band_rows = MAX(1, (rows + want - 1) / want);
    return (rows + job->band_rows - 1) / job->band_rows;
}

void conv_s2_forward(const Conv2d *conv, const float *packed, const Tensor *in, Tensor *out,
                     Scratch *worker_scratch)
{
#ifdef CONV_S2_X86
    S2Job job = {.conv = conv, .packed = packed, .src = in->data, .batch = in->n,
                 .h = in->h, .w = in->w, .worker_scratch = worker_scratch};
    conv2d_output_size(conv, in->h, in->w, &job.ho, &job.wo);
    tensor_reshape(out, conv->cout, in->n, job.ho, job.wo);
    job.dst = out->data;
    job.bands = plan_bands(&job, job.ho);
    train_parallel_for(in->n * job.bands, forward_item, &job);
#else
    (void)conv, (void)packed, (void)in, (void)out, (void)worker_scratch;
    g_assert_not_reached();
#endif
}

void conv_s2_input_gradient(const Conv2d *conv, const float *packed, const Tensor *dout,
                            Tensor *din, int h, int w, Scratch *worker_scratch)
{
#ifdef CONV_S2_X86
    S2Job job = {.conv = conv, .packed = packed, .src = dout->data, .batch = dout->n,
                 .h = h, .w = w, .ho = dout->h, .wo = dout->w,
                 .worker_scratch = worker_scratch};
    tensor_reshape(din, conv->cin, dout->n, h, w);
    job.dst = din->data;
    job.bands = plan_bands(&job, (h + 1) / 2);
    train_parallel_for(dout->n * job.bands, input_gradient_item, &job);
#else
    (void)conv, (void)packed, (void)dout, (void)din, (void)h, (void)w, (void)worker_scratch;
    g_assert_not_reached();
#endif
}
