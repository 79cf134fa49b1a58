/* vgg.h — the frozen VGG19 feature extractor for the content loss
 * (Ledig et al. 2017, eq. 5): φ(i,j) is the feature map after the j-th
 * convolution's ReLU before the i-th max-pooling.  φ(5,4) (16 convs) is the
 * paper's SRGAN-VGG54, φ(2,2) (4 convs) its VGG22.
 *
 * Weights come from a safetensors file with tensors conv<b>_<i>.weight
 * (out, in, 3, 3) and conv<b>_<i>.bias for VGG19's blocks (2, 2, 4, 4, 4
 * convolutions); train/convert-vgg19.py makes one from torchvision's
 * vgg19 state dict.  Channel counts are read from the file, so tests use
 * small random VGG-shaped nets.  Input images are HR-range [−1, 1] and are
 * mapped to [0, 1] and normalised with ImageNet's mean and deviation, as
 * torchvision's VGG expects.
 */
#ifndef TRAIN_VGG_H
#define TRAIN_VGG_H

#include "layers.h"

#define VGG_MAX_CONVS 16

typedef struct {
    int n_convs;                    /* 4 for φ(2,2), 16 for φ(5,4) */
    ParamList params;               /* frozen: no gradients */
    Conv2d conv[VGG_MAX_CONVS];
    gboolean pool_before[VGG_MAX_CONVS];   /* a 2×2 max-pool precedes conv i */
    float feature_scale;            /* the paper's 1/12.75 */
    float relu_slope;               /* 0 (ReLU); tests make it linear */

    Tensor normalized;
    Tensor pooled[VGG_MAX_CONVS], act[VGG_MAX_CONVS];
    Tensor target, grad_a, grad_b;
    Scratch scratch;
    /* vgg-tall.c's buffers, and whether vgg_content_loss() may use it
     * (TRUE after loading; tests turn it off to compare) */
    gboolean use_tall;
    Scratch tall_input, tall_target, tall_grad[2];
    Scratch tall_act[VGG_MAX_CONVS], tall_pool[VGG_MAX_CONVS];
} Vgg;

/* layer: "22" or "54".  NULL with an error when the file does not hold a
 * VGG19 up to that layer. */
Vgg *vgg_load(const char *path, const char *layer, GError **error);
void vgg_free(Vgg *vgg);
/* Writes a VGG19-shaped file with random weights, widths scaled by
 * width/64 (tests). */
gboolean vgg_write_random(const char *path, int width, guint64 seed, GError **error);

/* Content loss mean((φ(sr) − φ(hr))²)·feature_scale², and its gradient
 * times `weight` written into dsr (reshaped like sr). */
double vgg_content_loss(Vgg *vgg, const Tensor *sr, const Tensor *hr,
                        float weight, Tensor *dsr);

/* The same in the core kernels' layout (vgg-tall.c), for vgg_content_loss():
 * FALSE, having computed nothing, when a convolution has no core kernel on
 * this CPU; otherwise the loss in *loss. */
gboolean vgg_tall_content_loss(Vgg *vgg, const Tensor *sr, const Tensor *hr, float weight,
                               Tensor *dsr, double *loss);

#endif
