/* batch.c — random crops, augmentation and LR synthesis (see batch.h). */
#include "batch.h"
#include "imresize.h"

#include <math.h>

void batch_store(const float *rgb, int width, int height, Tensor *t, int sample,
                 float mul, float add)
{
    size_t plane = (size_t)t->n * t->h * t->w;
    for (int c = 0; c < 3; c++) {
        float *dst = t->data + c * plane + (size_t)sample * width * height;
        for (size_t p = 0; p < (size_t)width * height; p++)
            dst[p] = rgb[p * 3 + c] * mul + add;
    }
}

/* LR of an HR crop in [0, 1]: downscale, round to 8 bits, clamp. */
static void make_lr(const float *hr, int side_w, int side_h, int scale, float *lr)
{
    imresize_bicubic_float(hr, side_w, side_h, 3, 1.0 / scale, lr);
    size_t n = (size_t)(side_w / scale) * (side_h / scale) * 3;
    for (size_t i = 0; i < n; i++)
        lr[i] = CLAMP(roundf(lr[i] * 255.0f), 0.0f, 255.0f) / 255.0f;
}

void batch_sample(const PhotoSet *photos, Rng *rng, int batch, int crop, int scale,
                  Tensor *lr, Tensor *hr)
{
    int lr_side = crop / scale;
    tensor_reshape(hr, 3, batch, crop, crop);
    tensor_reshape(lr, 3, batch, lr_side, lr_side);
    float *hr_rgb = g_new(float, (size_t)crop * crop * 3);
    float *lr_rgb = g_new(float, (size_t)lr_side * lr_side * 3);
    for (int s = 0; s < batch; s++) {
        const Photo *p = g_ptr_array_index(photos->photos,
                                           rng_below(rng, photos->photos->len));
        int x0 = (int)rng_below(rng, (guint32)(p->width - crop + 1));
        int y0 = (int)rng_below(rng, (guint32)(p->height - crop + 1));
        guint32 symmetry = rng_below(rng, 8);
        gboolean transpose = symmetry & 1, flip_x = symmetry & 2, flip_y = symmetry & 4;
        for (int y = 0; y < crop; y++)
            for (int x = 0; x < crop; x++) {
                /* transpose + flips give all 4 rotations and their mirrors */
                int sx = transpose ? y : x, sy = transpose ? x : y;
                if (flip_x)
                    sx = crop - 1 - sx;
                if (flip_y)
                    sy = crop - 1 - sy;
                const guint8 *src = p->rgb + ((size_t)(y0 + sy) * p->width + x0 + sx) * 3;
                float *dst = hr_rgb + ((size_t)y * crop + x) * 3;
                for (int c = 0; c < 3; c++)
                    dst[c] = src[c] / 255.0f;
            }
        make_lr(hr_rgb, crop, crop, scale, lr_rgb);
        batch_store(hr_rgb, crop, crop, hr, s, 2.0f, -1.0f);
        batch_store(lr_rgb, lr_side, lr_side, lr, s, 1.0f, 0.0f);
    }
    g_free(hr_rgb);
    g_free(lr_rgb);
}

void batch_center(const Photo *photo, int max_side, int scale, Tensor *lr, Tensor *hr)
{
    int side = MIN(MIN(photo->width, photo->height), max_side);
    side -= side % scale;
    int x0 = (photo->width - side) / 2, y0 = (photo->height - side) / 2;
    int lr_side = side / scale;
    tensor_reshape(hr, 3, 1, side, side);
    tensor_reshape(lr, 3, 1, lr_side, lr_side);
    float *hr_rgb = g_new(float, (size_t)side * side * 3);
    float *lr_rgb = g_new(float, (size_t)lr_side * lr_side * 3);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int c = 0; c < 3; c++)
                hr_rgb[((size_t)y * side + x) * 3 + c] =
                    photo->rgb[((size_t)(y0 + y) * photo->width + x0 + x) * 3 + c] / 255.0f;
    make_lr(hr_rgb, side, side, scale, lr_rgb);
    batch_store(hr_rgb, side, side, hr, 0, 1.0f, 0.0f);
    batch_store(lr_rgb, lr_side, lr_side, lr, 0, 1.0f, 0.0f);
    g_free(hr_rgb);
    g_free(lr_rgb);
}
