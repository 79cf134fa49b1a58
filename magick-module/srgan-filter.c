/* srgan-filter.c — the ImageMagick filter module "srgan".
 *
 *     magick in.png [-define srgan:model=NAME|FILE] [-define srgan:tile=N]
 *                   [-define srgan:threads=N] [-define srgan:halo=N]
 *                   -process srgan out.png
 *
 * ImageMagick finds srgan.la in its filter folder (or MAGICK_CODER_FILTER_PATH
 * / MAGICK_FILTER_MODULE_PATH), opens srgan.so with libltdl, calls
 * srganImage() once for the whole image list and closes the module again:
 * nothing may outlive the call.
 *
 * Frames are replaced one at a time: as soon as a frame is upscaled its
 * result takes the frame's place in the list, so the module's own working
 * memory (the core's tile buffers, a colour-converted copy) is that of one
 * frame however long the file is.  The list itself must end up holding
 * every upscaled frame for the writer, as after any ImageMagick operator.
 * The replaced originals are kept aside, unlinked, until the last frame is
 * done: they are the input (1/scale² of the output), and they let an error
 * or a cancel in frame k put frames 0…k-1 back, so the caller's list is
 * left exactly as it was — the same Image pointers — never half upscaled. */
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

/* Puts `replacement` (a detached image) where `image` is in its list and
 * detaches `image` without destroying it: ReplaceImageInList() would
 * destroy it, and the original is needed to undo the swap on failure. */
static void swap_in_list(Image *image, Image *replacement)
{
    replacement->previous = image->previous;
    replacement->next = image->next;
    if (replacement->previous != NULL)
        replacement->previous->next = replacement;
    if (replacement->next != NULL)
        replacement->next->previous = replacement;
    image->previous = NULL;
    image->next = NULL;
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

    /* Upscale and swap in each frame as it is done, keeping the original
     * aside (see the top of this file). */
    g_autoptr(GPtrArray) originals = g_ptr_array_new();
    g_autoptr(GPtrArray) results = g_ptr_array_new();
    MagickBooleanType status = MagickTrue;
    Image *frame = *images;
    while (frame != NULL) {
        Image *next = GetNextImageInList(frame);
        Image *result = filter_upscale_frame(frame, model, &options, exception);
        if (result == NULL) {
            status = MagickFalse;
            break;
        }
        swap_in_list(frame, result);
        g_ptr_array_add(originals, frame);
        g_ptr_array_add(results, result);
        frame = next;
    }
    for (guint i = 0; i < originals->len; i++) {
        Image *original = g_ptr_array_index(originals, i);
        Image *result = g_ptr_array_index(results, i);
        if (status != MagickFalse) {
            DestroyImage(original);
        } else {
            swap_in_list(result, original);
            DestroyImage(result);
        }
    }
    if (status != MagickFalse)
        *images = g_ptr_array_index(results, 0);   /* it took the place of *images */

    srgan_model_unref(model);
    filter_options_clear(&options);
    return MagickImageFilterSignature;
}
