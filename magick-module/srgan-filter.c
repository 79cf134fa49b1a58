/* srgan-filter.c — the ImageMagick filter module "srgan".
 *
 *     magick in.png [-define srgan:model=NAME|FILE] [-define srgan:tile=N]
 *                   [-define srgan:threads=N] [-define srgan:halo=N]
 *                   -process srgan out.png
 *
 * ImageMagick finds srgan.la in its filter folder (or MAGICK_CODER_FILTER_PATH
 * / MAGICK_FILTER_MODULE_PATH), opens srgan.so with libltdl, calls
 * srganImage() once for the whole image list and closes the module again:
 * nothing may outlive the call.  Every frame is upscaled first and the list
 * is changed only when all of them succeeded, so an error or a cancel
 * leaves the caller's images exactly as they were. */
#include <assert.h>
#include <string.h>

#include <srgan.h>

#include "filter-frame.h"
#include "filter-options.h"
#include "magick-compat.h"

ModuleExport size_t srganImage(Image **images, const int argc, const char **argv,
                               ExceptionInfo *exception);

/* "a, b and c" of the installed models' names, or a sentence saying there
 * are none: a name that is not found is most often a typo of one of them. */
static char *installed_models_text(void)
{
    g_auto(GStrv) names = srgan_model_list();
    const guint n = g_strv_length(names);
    if (n == 0)
        return g_strdup("no models are installed in the model folders");
    if (n == 1)
        return g_strdup_printf("the installed model is %s", names[0]);
    g_autofree char *head = g_strjoinv(", ", names);
    /* Replace the last ", " by " and ". */
    char *last = g_strrstr(head, ", ");
    *last = '\0';
    return g_strdup_printf("installed models are %s and %s", head, names[n - 1]);
}

static SrganModel *load_model(const FilterOptions *options, ExceptionInfo *exception)
{
    GError *error = NULL;
    SrganModel *model = srgan_model_load(options->model_path, &error);
    if (model == NULL) {
        char *path = options->model_path != NULL ? g_strdup(options->model_path)
                                                 : srgan_default_model_path();
        /* A short name that was not found: say which names there are. */
        const gboolean is_name = options->model_path != NULL &&
                                 strchr(options->model_path, G_DIR_SEPARATOR) == NULL &&
                                 !g_str_has_suffix(options->model_path, ".safetensors");
        char *installed = is_name && g_error_matches(error, SRGAN_ERROR,
                                                     SRGAN_ERROR_MODEL_NOT_FOUND)
                              ? installed_models_text() : NULL;
        ThrowMagickException(exception, GetMagickModule(), ModuleError,
                             "srgan: cannot load the model",
                             "`%s': %s%s%s (choose a model with -define srgan:model=NAME "
                             "or =FILE, or the SRGAN_MODEL environment variable)",
                             path, error->message, installed != NULL ? "; " : "",
                             installed != NULL ? installed : "");
        g_free(installed);
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
                             "-define srgan:model=NAME, srgan:tile=N, srgan:threads=N "
                             "or srgan:halo=N",
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
