/* transpose.c — see transpose.h.
 *
 * The trainer keeps activations channel-major (CNHW) and the core's kernels
 * want pixel-major (HWC), so every convolution on them is framed by two
 * transposes of the whole batch.  A loop that walks one side contiguously
 * writes the other a whole row apart per element: for 512 channels that is
 * a cache line per float, and it ran at a few GB/s, about an eighth of an
 * SRGAN step.  Blocks of 8×8 keep both sides' eight lines in L1, and with
 * AVX2 a block is 8 loads, 24 shuffles and 8 stores.  The blocks go down
 * strips of 32 source columns, so that each source row is read 128 bytes
 * (two whole cache lines) at a time and each destination row is written
 * from start to end in one pass. */
#include "transpose.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRANSPOSE_X86 1
#include <immintrin.h>
#endif

#define BLOCK 8
#define STRIP 32   /* source columns per pass down the rows */

/* The part of a block outside the 8×8 grid, element by element. */
static void transpose_scalar(const float *src, size_t i0, size_t i1, size_t j0, size_t j1,
                             size_t lds, float *dst, size_t ldd)
{
    for (size_t i = i0; i < i1; i++)
        for (size_t j = j0; j < j1; j++)
            dst[j * ldd + i] = src[i * lds + j];
}

void transpose_floats_portable(const float *src, size_t rows, size_t cols, size_t lds,
                               float *dst, size_t ldd)
{
    for (size_t s0 = 0; s0 < cols; s0 += STRIP) {
        size_t s1 = MIN(cols, s0 + STRIP);
        for (size_t i0 = 0; i0 < rows; i0 += BLOCK) {
            size_t i1 = MIN(rows, i0 + BLOCK);
            for (size_t j0 = s0; j0 < s1; j0 += BLOCK)
                transpose_scalar(src, i0, i1, j0, MIN(s1, j0 + BLOCK), lds, dst, ldd);
        }
    }
}

#ifdef TRANSPOSE_X86
__attribute__((target("avx2")))
static inline void transpose_8x8_avx2(const float *src, size_t lds, float *dst, size_t ldd)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    /* pairs of rows interleaved, then pairs of pairs, then the 128-bit halves */
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

__attribute__((target("avx2")))
static void transpose_avx2(const float *src, size_t rows, size_t cols, size_t lds,
                           float *dst, size_t ldd)
{
    size_t rows8 = rows / BLOCK * BLOCK, cols8 = cols / BLOCK * BLOCK;
    for (size_t s0 = 0; s0 < cols8; s0 += STRIP) {
        size_t s1 = MIN(cols8, s0 + STRIP);
        for (size_t i0 = 0; i0 < rows8; i0 += BLOCK)
            for (size_t j0 = s0; j0 < s1; j0 += BLOCK)
                transpose_8x8_avx2(src + i0 * lds + j0, lds, dst + j0 * ldd + i0, ldd);
    }
    /* the edges: columns past the last whole block, rows past the last one */
    transpose_scalar(src, 0, rows8, cols8, cols, lds, dst, ldd);
    transpose_scalar(src, rows8, rows, 0, cols, lds, dst, ldd);
}
#endif

gboolean transpose_has_avx2(void)
{
#ifdef TRANSPOSE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return FALSE;
#endif
}

void transpose_floats(const float *src, size_t rows, size_t cols, size_t lds,
                      float *dst, size_t ldd)
{
#ifdef TRANSPOSE_X86
    if (transpose_has_avx2()) {
        transpose_avx2(src, rows, cols, lds, dst, ldd);
        return;
    }
#endif
    transpose_floats_portable(src, rows, cols, lds, dst, ldd);
}
