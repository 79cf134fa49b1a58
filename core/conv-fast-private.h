/* conv-fast-private.h — what the fast-kernel files share (private to
 * conv-fast.c and the kernels it dispatches to).
 *
 * conv-fast.c checks the CPU, packs the weights (portable C) and calls a
 * kernel; the kernel files (conv-*-avx2.c) are compiled with -mavx2 -mfma
 * and hold nothing but code that runs after that check.
 */
#ifndef SRGAN_CONV_FAST_PRIVATE_H
#define SRGAN_CONV_FAST_PRIVATE_H

#include <stddef.h>
#include "conv.h"

typedef enum {
    SRGAN_FAST_WINOGRAD_F43,   /* 3×3, cin % 8 == 0, cout % 16 == 0 */
    SRGAN_FAST_WINOGRAD_SPLIT, /* k = 3m (3, 9, 15), cin % 8 == 0, m²·cout ≤ 64 (the 9×9
                                  tail; m = 1: 3×3 with cout not a multiple of 16) */
    SRGAN_FAST_DIRECT,         /* odd k, cin ≤ 4 or (≤ 16 and % 8 != 0), cout % 16 == 0
                                  (the 9×9 head; RRDBNet's 12→64 head at ×2) */
} SrganFastKind;

/* Winograd F(4×4, 3×3) (Lavin & Gray 2016, "Fast Algorithms for
 * Convolutional Neural Networks"): each 4×4 output tile comes from a 6×6
 * input tile through 36 element-wise products in the transformed domain. */
#define SRGAN_WINO_OUT 4            /* output tile side */
#define SRGAN_WINO_IN 6             /* input tile side */
#define SRGAN_WINO_POINTS 36        /* transformed points per tile */
#define SRGAN_WINO_COUT_BLOCK 16    /* output channels per GEMM pass (2 AVX vectors) */
#define SRGAN_WINO_ROWS 6           /* tiles per GEMM micro-kernel call */
/* Tiles transformed together: their transformed inputs (36 × tiles × cin
 * floats) and one output block's products stay in a 512 KB L2 cache. */
#define SRGAN_WINO_TILES_PER_BLOCK 24

#define SRGAN_SPLIT_MAX_COUT 64     /* m²·cout, before padding to 16 */

struct SrganConvFast {
    SrganFastKind kind;
    int cin, cout, ksize;
    float *bias;    /* (cout) */
    float *slope;   /* (cout) PReLU slopes, one per channel, or NULL */
    /* WINOGRAD_F43: (cout/16, 36, cin, 16), G g Gᵀ per output block;
     * WINOGRAD_SPLIT: the same for the split_cout-channel 3×3 conv;
     * DIRECT: the (k, k, cin, cout) weights as they are. */
    float *weight;
    int split_cout;  /* WINOGRAD_SPLIT: m²·cout rounded up to 16 */
    /* WINOGRAD_F43 packed on every call (weight NULL): the conv's own
     * (3, 3, cin, cout) weights, transformed into the workspace. */
    const float *source;
};

/* Floats of scratch the Winograd kernel needs (independent of the image). */
size_t srgan_winograd_f43_workspace_floats(int cin);
/* U = G g Gᵀ for every (cin, cout) pair, from (3, 3, cin, cout) weights,
 * into the (cout/16, 36, cin, 16) layout above. */
void srgan_winograd_f43_pack(const float *weight, int cin, int cout, float *packed);

/* One Winograd convolution: out (out_h, out_w, cout) where output pixel
 * (y, x) is the 3×3 'same' convolution of in (h, w, cin) at input pixel
 * (y + origin_y, x + origin_x), zero outside the input; then + bias (or
 * nothing when NULL), PReLU (when slope), × scale, + residual (when not
 * NULL).  Strides are in floats per pixel and all must be set (no zero
 * defaults here); the kernel reads only channels [0, cin) of the input and
 * writes only [0, cout) of the output, and never uses either as scratch,
 * so out may be in + an offset past cin. */
typedef struct {
    const float *packed;        /* srgan_winograd_f43_pack() output */
    int cin, cout;
    const float *in;
    int in_stride;
    int h, w;
    int origin_y, origin_x, out_h, out_w;
    float *out;
    int out_stride;
    const float *bias, *slope, *residual;
    int residual_stride;
    float scale;                /* 1: none */
    float *workspace;           /* srgan_winograd_f43_workspace_floats(cin) */
} SrganWinogradRun;

/* The epilogue of a fast kernel, its defaults filled in by conv-fast.c. */
typedef struct {
    int in_stride, out_stride, residual_stride;
    float scale;
    const float *residual;
} SrganFastIo;

/* Kernels.  They need AVX2 and FMA: call them only after checking. */
void srgan_winograd_f43_run_avx2(const SrganWinogradRun *run);
/* The weight gradient of a 3×3 'same' convolution by F(4×4, 3×3), for the
 * trainer: the transformed tiles of its input and of its output gradient.
 * Tiles are the output's 4×4 tiles, row-major, ceil(w/4) to a row; tile t
 * of [t0, t1) goes to v (or u) + (t − t0)·channels, point p another
 * p·point_stride floats on.  HWC images, channels % 8 == 0.
 * input_tiles: Bᵀ d B of the 6×6 input under each tile (zero padding
 * outside), border: 36·cin floats of scratch; grad_tiles: A g Aᵀ of each
 * 4×4 tile of the output gradient (zero past the image). */
void srgan_winograd_f43_input_tiles_avx2(const float *in, int h, int w, int cin, int t0, int t1,
                                         float *v, size_t point_stride, float *border);
void srgan_winograd_f43_grad_tiles_avx2(const float *dout, int h, int w, int c, int t0, int t1,
                                        float *u, size_t point_stride);

/* DIRECT: scratch floats, and the kernel (needs AVX2 and FMA). */
#define SRGAN_DIRECT_MAX_CIN 4
#define SRGAN_DIRECT_MAX_ODD_CIN 16  /* for cin % 8 != 0, which Winograd declines */
size_t srgan_direct_workspace_floats(int cin, int k, int h, int w);
/* Output rows [y0, y1) of the h × w convolution (out: the whole image). */
void srgan_direct_forward_avx2(const struct SrganConvFast *fast, const float *in, int h, int w,
                               int y0, int y1,
                               float *out, const SrganFastIo *io, float *workspace);

/* WINOGRAD_SPLIT's second step, for cout ≤ 64: out[y][x][o] = epilogue(bias[o]
 * + Σ_{a,b<m} pieces[y + 3a][x + 3b][(a·m + b)·cout + o]), pieces being
 * (h + 3(m−1), w + 3(m−1), piece_stride) with at least 7 readable floats
 * after them; the epilogue as in SrganWinogradRun (io's strides resolved,
 * its in_stride unused).  Writes only channels [0, cout) of out. */
#define SRGAN_SPLIT_GATHER_MAX_COUT 64
void srgan_split_gather_avx2(const float *pieces, int piece_stride, int m, int cout,
                             int h, int w, const float *bias, const float *slope,
                             const SrganFastIo *io, float *out);

#endif
