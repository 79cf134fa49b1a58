/* resize.h — bicubic downscaling as MATLAB's imresize(I, 1/f, 'bicubic')
 * does it, the degradation SR papers train and evaluate with: Keys' cubic
 * (a = −0.5) stretched f times for antialiasing, weights normalised per
 * output sample, symmetric (mirror) image borders, rows resized before
 * columns.  The formulas follow MATLAB's documented imresize contributions
 * (kernel width 4f, sample centre u = x·f + 0.5·(1 − f) in 1-based
 * coordinates).  tests/trainer checks it against MATLAB-made Set5 LR images.
 */
#ifndef TRAIN_RESIZE_H
#define TRAIN_RESIZE_H

/* Output size of imresize for a 1/factor scale: ⌈size / factor⌉. */
int resize_output_size(int size, int factor);

/* src: width × height pixels of `channels` interleaved floats; dst:
 * resize_output_size(width) × resize_output_size(height) pixels, same
 * layout, not rounded or clamped. */
void resize_bicubic_down(const float *src, int width, int height, int channels,
                         int factor, float *dst);

/* imresize(I, factor, 'bicubic'): enlarges by an integer factor (no
 * antialiasing stretch when enlarging); dst is (width·factor) ×
 * (height·factor).  The baseline validation PSNR is compared with. */
void resize_bicubic_up(const float *src, int width, int height, int channels,
                       int factor, float *dst);

#endif
