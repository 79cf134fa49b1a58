/* transpose.h — the trainer's CNHW ⇄ HWC transposes around the core's
 * convolution kernels (which take HWC images). */
#ifndef TRAIN_TRANSPOSE_H
#define TRAIN_TRANSPOSE_H

#include <glib.h>
#include <stddef.h>

/* dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols: a channel-major
 * image (rows = channels, cols = pixels) to pixel-major, or back.  Uses
 * 8×8 AVX register transposes where the CPU has AVX2. */
void transpose_floats(const float *src, size_t rows, size_t cols, size_t lds,
                      float *dst, size_t ldd);
/* The same in plain C (8×8 blocks, so that both sides stay in L1): what
 * other CPUs run and what the tests compare the AVX2 path with. */
void transpose_floats_portable(const float *src, size_t rows, size_t cols, size_t lds,
                               float *dst, size_t ldd);
/* Whether transpose_floats() uses AVX2 on this CPU. */
gboolean transpose_has_avx2(void);

#endif
