/* srgan-filter.c — the ImageMagick filter module "srgan".
 *
 *     magick in.png [-define srgan:model=FILE] [-define srgan:tile=N]
 *                   [-define srgan:threads=N] -process srgan out.png
 *
 * ImageMagick finds srgan.la in its filter folder (or MAGICK_CODER_FILTER_PATH
 * / MAGICK_FILTER_MODULE_PATH), opens srgan.so with libltdl, calls
 * srganImage() once for the whole image list and closes the module again:
 * nothing may outlive the call.  Every frame is upscaled first and the list
 * is changed only when all of them succeeded, so an error or a cancel
 * leaves the caller's images exactly as they were. */
#include <assert.h>

#include <srgan.h>

#include "filter-frame.h"
#include "filter-options.h"
#include "magick-compat.h"

ModuleExport size_t srganImage(Image **images, const int argc, const char **argv,
                               ExceptionInfo *exception);

static SrganModel *load_model(const FilterOptions *options, ExceptionInfo *exception)
{
    GError *error = NULL;
    SrganModel *model = srgan_model_load(options->model_path, &error);
    if (model == NULL) {
        char *path = options->model_path != NULL ? g_strdup(options->model_path)
                                                 : srgan_default_model_path();
        ThrowMagickException(exception, GetMagickModule(), ModuleError,
                             "srgan: cannot load the model",
                             "`%s': %s (choose a model with -define srgan:model=FILE "
                             "or the SRGAN_MODEL environment variable)", path, error->message);
        g_free(path);
        g_error_free(error);
    }
    return model;
}

ModuleExport size_t srganImage(Image **images, const int argc, const char **argv,
                               ExceptionInfo *exception)
{
    assert(images != NULL);
    assert(*images != NULL);
    assert((*images)->signature == MagickCoreSignature);

    if (argc > 0) {
        ThrowMagickException(exception, GetMagickModule(), OptionError,
                             "srgan: unexpected argument",
                             "`%s': the srgan filter takes no arguments; use "
                             "-define srgan:model=FILE, srgan:tile=N or srgan:threads=N",
                             argv[0]);
        return MagickImageFilterSignature;
    }

    FilterOptions options;
    if (filter_options_parse(*images, &options, exception) == MagickFalse)
        return MagickImageFilterSignature;
    SrganModel *model = load_model(&options, exception);
    if (model == NULL) {
        filter_options_clear(&options);
        return MagickImageFilterSignature;
    }

    size_t count = 0;
    for (const Image *frame = *images; frame != NULL; frame = GetNextImageInList(frame))
        count++;
    Image **results = g_new0(Image *, count);
    MagickBooleanType status = MagickTrue;
    size_t index = 0;
    for (const Image *frame = *images; frame != NULL && status != MagickFalse;
         frame = GetNextImageInList(frame), index++) {
        results[index] = filter_upscale_frame(frame, model, &options, exception);
        status = results[index] != NULL ? MagickTrue : MagickFalse;
    }

    if (status != MagickFalse) {
        /* Swap every frame for its result, keeping the list order. */
        Image *frame = *images;
        for (index = 0; index < count; index++) {
            Image *next = GetNextImageInList(frame);
            Image *slot = frame;
            ReplaceImageInList(&slot, results[index]);
            frame = next;
        }
        *images = results[0];
    } else {
        for (index = 0; index < count; index++)
            if (results[index] != NULL)
                DestroyImage(results[index]);
    }
    g_free(results);
    srgan_model_unref(model);
    filter_options_clear(&options);
    return MagickImageFilterSignature;
}
