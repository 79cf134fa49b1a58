/* conv-winograd-avx2.c — 3×3 convolution by Winograd F(4×4, 3×3) with AVX2
 * and FMA (Lavin & Gray 2016), for the generator's C→C and C→4C layers.
 *
 * Direct 3×3 convolution costs 9 multiply-adds per output pixel and channel
 * pair; F(4×4, 3×3) costs 36/16 = 2.25, plus input and output transforms
 * that are linear in the channel count (not its square).  Layout is HWC,
 * so every transform works on 8 channels per AVX register.
 *
 * For a block of tiles:
 *   1. V[p][t][ci] = (Bᵀ d B)[p], the 36 transformed points of each 6×6
 *      input tile (zero padding outside the image, as the PyTorch model);
 *   2. per block of 16 output channels, 36 small GEMMs
 *      M[p][t][co] = Σ_ci V[p][t][ci] · U[p][ci][co], U = G g Gᵀ packed
 *      by srgan_winograd_f43_pack();
 *   3. out = Aᵀ M A, then bias, PReLU and the residual, clipped to the image.
 * Blocks are small enough for V and M to stay in L2, so the kernel streams
 * only the input, the weights and the output.
 *
 * The output grid may start outside the input (origin_y, origin_x < 0):
 * the 9×9 tail is computed as nine 3×3 pieces on a grid grown by 3
 * pixels, which srgan_split_gather_avx2() (at the end of this file) shifts
 * and adds; 3×3 convs with outputs F43's blocks of 16 do not divide go
 * through the same gather as one piece, in bands of rows (origin_y > 0).
 *
 * Pixels are read and written with the run's strides (a prefix of wider
 * input pixels, a channel range of wider output ones); neither buffer is
 * ever scratch, so input and output may be disjoint channels of one.
 *
 * Compiled with -mavx2 -mfma; conv-fast.c calls it only on CPUs that have
 * both.  Transform matrices: Lavin & Gray, section 4 (points 0, ±1, ±2, ∞);
 * checked against direct convolution by tests/core/test-conv-fast.c.
 */
#include <immintrin.h>
#include <string.h>
#include "conv-fast-private.h"

#define NT SRGAN_WINO_TILES_PER_BLOCK
#define NP SRGAN_WINO_POINTS
#define OB SRGAN_WINO_COUT_BLOCK

size_t
srgan_winograd_f43_workspace_floats(int cin)
{
    return (size_t)NP * NT * cin        /* V */
         + (size_t)NP * NT * OB         /* M */
         + (size_t)NP * cin;            /* one zero-padded border tile */
}

/* One dimension of Bᵀ d: the 6 transformed values of 6 inputs. */
static inline void
input_transform_1d(__m256 d0, __m256 d1, __m256 d2, __m256 d3, __m256 d4, __m256 d5,
                   __m256 t[6])
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
                 five = _mm256_set1_ps(5.0f);
    t[0] = _mm256_fmadd_ps(four, d0, _mm256_fnmadd_ps(five, d2, d4));
    t[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d1, d2), _mm256_add_ps(d3, d4));
    t[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));
    t[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));
    t[4] = _mm256_fnmadd_ps(two, _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));
    t[5] = _mm256_fmadd_ps(four, d1, _mm256_fnmadd_ps(five, d3, d5));
}

/* Bᵀ d B for 8 channels of one 6×6 tile.  src: element (0, 0) of the tile,
 * rows rs floats apart, columns cs apart; dst: point 0, points ps apart. */
static inline void
input_transform_tile(const float *src, ptrdiff_t rs, ptrdiff_t cs,
                     float *dst, ptrdiff_t ps)
{
    __m256 rows[6][6];
    for (int r = 0; r < 6; r++) {
        const float *s = src + r * rs;
        input_transform_1d(_mm256_loadu_ps(s), _mm256_loadu_ps(s + cs),
                           _mm256_loadu_ps(s + 2 * cs), _mm256_loadu_ps(s + 3 * cs),
                           _mm256_loadu_ps(s + 4 * cs), _mm256_loadu_ps(s + 5 * cs),
                           rows[r]);
    }
    for (int j = 0; j < 6; j++) {
        __m256 col[6];
        input_transform_1d(rows[0][j], rows[1][j], rows[2][j],
                           rows[3][j], rows[4][j], rows[5][j], col);
        for (int i = 0; i < 6; i++)
            _mm256_storeu_ps(dst + (i * 6 + j) * ps, col[i]);
    }
}

/* One dimension of Aᵀ m: 4 outputs from 6 transformed values. */
static inline void
output_transform_1d(__m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4, __m256 m5,
                    __m256 y[4])
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
                 eight = _mm256_set1_ps(8.0f);
    __m256 a = _mm256_add_ps(m1, m2), b = _mm256_sub_ps(m1, m2);
    __m256 c = _mm256_add_ps(m3, m4), d = _mm256_sub_ps(m3, m4);
    y[0] = _mm256_add_ps(_mm256_add_ps(m0, a), c);
    y[1] = _mm256_fmadd_ps(two, d, b);
    y[2] = _mm256_fmadd_ps(four, c, a);
    y[3] = _mm256_fmadd_ps(eight, d, _mm256_add_ps(b, m5));
}

/* 6 tiles × 16 output channels of one point's GEMM: c = a · b with
 * a (6, k) rows k floats apart, b (k, 16), c (6, 16). */
static inline void
gemm_6x16(const float *a, int k, const float *b, float *c)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < k; i++) {
        __m256 b0 = _mm256_loadu_ps(b + i * OB), b1 = _mm256_loadu_ps(b + i * OB + 8);
        __m256 x;
        x = _mm256_broadcast_ss(a + i);
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + k + i);
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2 * k + i);
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3 * k + i);
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4 * k + i);
        c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5 * k + i);
        c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    _mm256_storeu_ps(c + 0 * OB, c00); _mm256_storeu_ps(c + 0 * OB + 8, c01);
    _mm256_storeu_ps(c + 1 * OB, c10); _mm256_storeu_ps(c + 1 * OB + 8, c11);
    _mm256_storeu_ps(c + 2 * OB, c20); _mm256_storeu_ps(c + 2 * OB + 8, c21);
    _mm256_storeu_ps(c + 3 * OB, c30); _mm256_storeu_ps(c + 3 * OB + 8, c31);
    _mm256_storeu_ps(c + 4 * OB, c40); _mm256_storeu_ps(c + 4 * OB + 8, c41);
    _mm256_storeu_ps(c + 5 * OB, c50); _mm256_storeu_ps(c + 5 * OB + 8, c51);
}

/* Transforms the input tile under output tile (ty, tx) into V (all cin
 * channels, points ps floats apart).  Output pixel (0, 0) sits at input
 * pixel (origin_y, origin_x); input pixels are `stride` floats apart, of
 * which the first cin are read. */
static void
transform_input(const SrganWinogradRun *run, int ty, int tx, float *v, ptrdiff_t ps,
                float *border)
{
    const float *in = run->in;
    const int h = run->h, w = run->w, cin = run->cin;
    const size_t stride = (size_t)run->in_stride;
    int y0 = run->origin_y + ty * SRGAN_WINO_OUT - 1, x0 = run->origin_x + tx * SRGAN_WINO_OUT - 1;
    const float *src;
    ptrdiff_t rs, cs;
    if (y0 >= 0 && x0 >= 0 && y0 + SRGAN_WINO_IN <= h && x0 + SRGAN_WINO_IN <= w) {
        src = in + ((size_t)y0 * w + x0) * stride;
        rs = (ptrdiff_t)(w * stride);
        cs = (ptrdiff_t)stride;
    } else {
        /* The image border: copy what exists, zeros for the padding. */
        for (int r = 0; r < SRGAN_WINO_IN; r++)
            for (int c = 0; c < SRGAN_WINO_IN; c++) {
                float *d = border + (r * SRGAN_WINO_IN + c) * cin;
                int y = y0 + r, x = x0 + c;
                if (y >= 0 && y < h && x >= 0 && x < w)
                    memcpy(d, in + ((size_t)y * w + x) * stride, sizeof(float) * cin);
                else
                    memset(d, 0, sizeof(float) * cin);
            }
        src = border;
        rs = (ptrdiff_t)SRGAN_WINO_IN * cin;
        cs = cin;
    }
    for (int c = 0; c < cin; c += 8)
        input_transform_tile(src + c, rs, cs, v + c, ps);
}

/* Aᵀ M A for tile (ty, tx) and output channels co..co+15, then the
 * epilogue, written only where the tile lies inside the image. */
static void
transform_output(const float *m, const SrganWinogradRun *run, int ty, int tx, int co)
{
    const int w = run->out_w;
    const size_t out_stride = (size_t)run->out_stride, res_stride = (size_t)run->residual_stride;
    const float *residual = run->residual;
    float *out = run->out;
    int oy0 = ty * SRGAN_WINO_OUT, ox0 = tx * SRGAN_WINO_OUT;
    int ny = run->out_h - oy0 < SRGAN_WINO_OUT ? run->out_h - oy0 : SRGAN_WINO_OUT;
    int nx = w - ox0 < SRGAN_WINO_OUT ? w - ox0 : SRGAN_WINO_OUT;
    for (int half = 0; half < OB; half += 8) {
        const float *mh = m + half;
        __m256 rows[4][6];
        for (int j = 0; j < 6; j++) {
            __m256 col[4];
            output_transform_1d(_mm256_loadu_ps(mh + (0 * 6 + j) * NT * OB),
                                _mm256_loadu_ps(mh + (1 * 6 + j) * NT * OB),
                                _mm256_loadu_ps(mh + (2 * 6 + j) * NT * OB),
                                _mm256_loadu_ps(mh + (3 * 6 + j) * NT * OB),
                                _mm256_loadu_ps(mh + (4 * 6 + j) * NT * OB),
                                _mm256_loadu_ps(mh + (5 * 6 + j) * NT * OB), col);
            for (int i = 0; i < 4; i++)
                rows[i][j] = col[i];
        }
        int c = co + half;
        __m256 bias = run->bias ? _mm256_loadu_ps(run->bias + c) : _mm256_setzero_ps();
        __m256 slope = run->slope ? _mm256_loadu_ps(run->slope + c) : _mm256_setzero_ps();
        __m256 zero = _mm256_setzero_ps();
        const int scaled = run->scale != 1.0f;
        __m256 scale = _mm256_set1_ps(run->scale);
        for (int i = 0; i < ny; i++) {
            __m256 y[4];
            output_transform_1d(rows[i][0], rows[i][1], rows[i][2],
                                rows[i][3], rows[i][4], rows[i][5], y);
            for (int j = 0; j < nx; j++) {
                size_t p = (size_t)(oy0 + i) * w + ox0 + j;
                __m256 v = _mm256_add_ps(y[j], bias);
                if (run->slope)  /* prelu(v) = max(v, 0) + slope · min(v, 0) */
                    v = _mm256_fmadd_ps(slope, _mm256_min_ps(v, zero), _mm256_max_ps(v, zero));
                /* Both tests are the same every time: predicted, and
                 * scale == 1 stays bit for bit the unscaled sum. */
                if (scaled && residual)
                    v = _mm256_fmadd_ps(v, scale, _mm256_loadu_ps(residual + p * res_stride + c));
                else if (scaled)
                    v = _mm256_mul_ps(v, scale);
                else if (residual)
                    v = _mm256_add_ps(v, _mm256_loadu_ps(residual + p * res_stride + c));
                _mm256_storeu_ps(out + p * out_stride + c, v);
            }
        }
    }
}

void
srgan_winograd_f43_run_avx2(const SrganWinogradRun *run)
{
    const int cin = run->cin, cout = run->cout;
    const int tiles_x = (run->out_w + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    const int tiles_y = (run->out_h + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    const int n_tiles = tiles_x * tiles_y;
    float *v = run->workspace;                  /* (36, NT, cin) */
    float *m = v + (size_t)NP * NT * cin;       /* (36, NT, 16) */
    float *border = m + (size_t)NP * NT * OB;   /* (6, 6, cin) */

    for (int first = 0; first < n_tiles; first += NT) {
        int count = n_tiles - first < NT ? n_tiles - first : NT;
        int rows = (count + SRGAN_WINO_ROWS - 1) / SRGAN_WINO_ROWS * SRGAN_WINO_ROWS;
        for (int t = 0; t < count; t++) {
            int tile = first + t;
            transform_input(run, tile / tiles_x, tile % tiles_x, v + (size_t)t * cin,
                            (ptrdiff_t)NT * cin, border);
        }
        /* The micro-kernel works on 6 tiles: pad the last block with zeros
         * (their products are computed and never read). */
        for (int t = count; t < rows; t++)
            for (int p = 0; p < NP; p++)
                memset(v + ((size_t)p * NT + t) * cin, 0, sizeof(float) * cin);

        for (int co = 0; co < cout; co += OB) {
            const float *u = run->packed + (size_t)co * NP * cin;
            for (int p = 0; p < NP; p++)
                for (int r = 0; r < rows; r += SRGAN_WINO_ROWS)
                    gemm_6x16(v + ((size_t)p * NT + r) * cin, cin,
                              u + (size_t)p * cin * OB, m + ((size_t)p * NT + r) * OB);
            for (int t = 0; t < count; t++) {
                int tile = first + t;
                transform_output(m + (size_t)t * OB, run, tile / tiles_x, tile % tiles_x, co);
            }
        }
    }
}

/* ---- the weight gradient's transforms (the trainer's) ----------------------
 * dW = Gᵀ [Σ_tiles (A U Aᵀ) ⊙ (Bᵀ D B)] G, U a 4×4 tile of the output
 * gradient and D the 6×6 input tile under it: the F(4×4, 3×3) identity
 * differentiated with respect to the kernel (conv-wgrad in the trainer). */
void
srgan_winograd_f43_input_tiles_avx2(const float *in, int h, int w, int cin, int t0, int t1,
                                    float *v, size_t point_stride, float *border)
{
    const SrganWinogradRun run = {.cin = cin, .in = in, .in_stride = cin, .h = h, .w = w};
    const int tiles_x = (w + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    for (int t = t0; t < t1; t++)
        transform_input(&run, t / tiles_x, t % tiles_x, v + (size_t)(t - t0) * cin,
                        (ptrdiff_t)point_stride, border);
}

/* One dimension of A u: 6 values from the 4 of an output-gradient tile
 * (A = the output transform's Aᵀ, transposed). */
static inline void
grad_transform_1d(__m256 u0, __m256 u1, __m256 u2, __m256 u3, __m256 t[6])
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
                 eight = _mm256_set1_ps(8.0f);
    __m256 even = _mm256_add_ps(u0, u2), odd = _mm256_add_ps(u1, u3);
    __m256 even4 = _mm256_fmadd_ps(four, u2, u0), odd8 = _mm256_fmadd_ps(eight, u3, _mm256_mul_ps(two, u1));
    t[0] = u0;
    t[1] = _mm256_add_ps(even, odd);
    t[2] = _mm256_sub_ps(even, odd);
    t[3] = _mm256_add_ps(even4, odd8);
    t[4] = _mm256_sub_ps(even4, odd8);
    t[5] = u3;
}

void
srgan_winograd_f43_grad_tiles_avx2(const float *dout, int h, int w, int c, int t0, int t1,
                                   float *u, size_t point_stride)
{
    const int tiles_x = (w + SRGAN_WINO_OUT - 1) / SRGAN_WINO_OUT;
    const __m256 zero = _mm256_setzero_ps();
    for (int t = t0; t < t1; t++) {
        const int y0 = t / tiles_x * SRGAN_WINO_OUT, x0 = t % tiles_x * SRGAN_WINO_OUT;
        float *dst = u + (size_t)(t - t0) * c;
        for (int ch = 0; ch < c; ch += 8) {
            __m256 rows[4][6];
            for (int r = 0; r < 4; r++) {
                __m256 x[4];
                for (int j = 0; j < 4; j++)   /* zero past the image's edge */
                    x[j] = y0 + r < h && x0 + j < w
                         ? _mm256_loadu_ps(dout + ((size_t)(y0 + r) * w + x0 + j) * c + ch) : zero;
                grad_transform_1d(x[0], x[1], x[2], x[3], rows[r]);
            }
            for (int j = 0; j < 6; j++) {
                __m256 col[6];
                grad_transform_1d(rows[0][j], rows[1][j], rows[2][j], rows[3][j], col);
                for (int i = 0; i < 6; i++)
                    _mm256_storeu_ps(dst + (size_t)(i * 6 + j) * point_stride + ch, col[i]);
            }
        }
    }
}

void
srgan_split_gather_avx2(const float *pieces, int piece_stride, int m, int cout,
                        int h, int w, const float *bias, const float *slope,
                        const SrganFastIo *io, float *out)
{
    /* Output channels go 8 at a time (one group for m > 1, where cout ≤
     * 7).  In a group's 8-float load the lanes past cout hold the next
     * piece's outputs, padding or (at the very end) the workspace that
     * follows the pieces, and are never stored. */
    const int pw = w + 3 * (m - 1);
    const int groups = (cout + 7) / 8;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 zero = _mm256_setzero_ps();
    __m256i keep[SRGAN_SPLIT_GATHER_MAX_COUT / 8];
    __m256 b[SRGAN_SPLIT_GATHER_MAX_COUT / 8], s[SRGAN_SPLIT_GATHER_MAX_COUT / 8];
    for (int g = 0; g < groups; g++) {
        keep[g] = _mm256_cmpgt_epi32(_mm256_set1_epi32(cout - 8 * g), lane);
        b[g] = _mm256_maskload_ps(bias + 8 * g, keep[g]);
        s[g] = slope ? _mm256_maskload_ps(slope + 8 * g, keep[g]) : zero;
    }
    const __m256 scale = _mm256_set1_ps(io->scale);
    const int scaled = io->scale != 1.0f;
    const float *residual = io->residual;
    const size_t out_stride = (size_t)io->out_stride, res_stride = (size_t)io->residual_stride;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int g = 0; g < groups; g++) {
                __m256 v = b[g];
                for (int a = 0; a < m; a++) {
                    const float *row = pieces + ((size_t)(y + 3 * a) * pw + x) * piece_stride
                                       + (size_t)a * m * cout + 8 * g;
                    for (int bb = 0; bb < m; bb++)
                        v = _mm256_add_ps(v, _mm256_loadu_ps(row + (size_t)3 * bb * piece_stride
                                                             + bb * cout));
                }
                const size_t at = (size_t)y * w + x;
                if (slope)
                    v = _mm256_fmadd_ps(s[g], _mm256_min_ps(v, zero), _mm256_max_ps(v, zero));
                if (scaled)
                    v = _mm256_mul_ps(v, scale);
                /* Masked: the lanes past cout may be another feature map's
                 * channels (of the same buffer, even) or past the end. */
                if (residual)
                    v = _mm256_add_ps(v, _mm256_maskload_ps(residual + at * res_stride + 8 * g,
                                                            keep[g]));
                _mm256_maskstore_ps(out + at * out_stride + 8 * g, keep[g], v);
            }
}
