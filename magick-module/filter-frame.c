/* filter-frame.c — one frame through libsrgan's tiled upscaler.
 *
 * The core asks for source rectangles and hands back finished result
 * rectangles; both go straight between ImageMagick's pixel cache and the
 * core's per-tile float buffers (ExportImagePixels / ImportImagePixels), so
 * no float copy of the whole image — let alone of the 4× result — is made.
 * The core calls the callbacks from its worker threads but never two at a
 * time, and nothing else touches these two images meanwhile, so the pixel
 * cache is used by one thread at a time.  Progress runs on this thread. */
#include "filter-frame.h"

#include <string.h>

#define SRGAN_PROGRESS_TAG "Srgan/Image"
/* Progress is per frame, as ImageMagick's own operators report it, in 5%
 * steps.  The command line's -monitor prints only offsets that are
 * multiples of 50 (and the last one, extent-1), so the steps are 50 apart
 * out of 1001: 0, 50, … 1000 read as 0%, 5%, … 100%. */
#define PROGRESS_STRIDE 50
#define PROGRESS_STEPS 20
#define PROGRESS_EXTENT (PROGRESS_STRIDE * PROGRESS_STEPS + 1)

typedef struct {
    const Image *source;          /* pixels read from here (maybe a converted clone) */
    Image *result;                /* the `scale`× image being filled */
    const Image *monitored;       /* the caller's frame: carries the progress monitor */
    const char *read_map;         /* ExportImagePixels map: "RGB", "RGBA", "R", "RA" */
    const char *write_map;        /* ImportImagePixels map: "RGB", "RGBA", "I", "IA" */
    ExceptionInfo *callback_exception;  /* filled on worker threads, read after */
    MagickOffsetType last_offset;       /* last progress step reported */
} FrameJob;

static gboolean read_source(gpointer user_data, int x, int y, int width, int height,
                            float *buf, GError **error)
{
    FrameJob *job = user_data;
    if (ExportImagePixels(job->source, x, y, (size_t) width, (size_t) height, job->read_map,
                          FloatPixel, buf, job->callback_exception) == MagickFalse) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                    "could not read source pixels %dx%d%+d%+d from ImageMagick",
                    width, height, x, y);
        return FALSE;
    }
    return TRUE;
}

static gboolean write_result(gpointer user_data, int x, int y, int width, int height,
                             const float *buf, GError **error)
{
    FrameJob *job = user_data;
    if (magick_import_pixels(job->result, x, y, (size_t) width, (size_t) height,
                             job->write_map, buf, job->callback_exception) == MagickFalse) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                    "could not store result pixels %dx%d%+d%+d in ImageMagick",
                    width, height, x, y);
        return FALSE;
    }
    return TRUE;
}

static gboolean report_progress(gpointer user_data, double fraction)
{
    FrameJob *job = user_data;
    MagickOffsetType offset = PROGRESS_STRIDE * (MagickOffsetType) (fraction * PROGRESS_STEPS);
    job->last_offset = offset;
    return SetImageProgress(job->monitored, SRGAN_PROGRESS_TAG, offset, PROGRESS_EXTENT)
        != MagickFalse;
}

/* Refuses a result that ImageMagick's resource policy (policy.xml, -limit)
 * would not allow, before allocating it, and says how to allow it. */
static MagickBooleanType check_resource_limits(const Image *frame, size_t columns, size_t rows,
                                               int scale, ExceptionInfo *exception)
{
    const struct {
        ResourceType type;
        const char *name;
        MagickSizeType value;
    } needs[] = {
        { WidthResource, "width", (MagickSizeType) columns },
        { HeightResource, "height", (MagickSizeType) rows },
        { AreaResource, "area", (MagickSizeType) columns * rows },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(needs); i++) {
        MagickSizeType limit = GetMagickResourceLimit(needs[i].type);
        if (needs[i].value <= limit)
            continue;
        /* ImageError, as ImageMagick's own "width or height exceeds limit":
         * ResourceLimitError is not severe enough to fail `convert`. */
        ThrowMagickException(exception, GetMagickModule(), ImageError,
                             "srgan: result exceeds a resource limit",
                             "`%s': the %d× result is %zux%zu, its %s %" G_GUINT64_FORMAT
                             " is over the %s limit %" G_GUINT64_FORMAT
                             "; raise it with -limit %s %" G_GUINT64_FORMAT
                             " or in policy.xml, or shrink the image first",
                             frame->filename, scale, columns, rows, needs[i].name,
                             (guint64) needs[i].value, needs[i].name, (guint64) limit,
                             needs[i].name, (guint64) needs[i].value);
        return MagickFalse;
    }
    return MagickTrue;
}

/* Worker threads: the srgan:threads define (0 = one per core), but never
 * more than ImageMagick's thread limit, which -limit thread, policy.xml,
 * MAGICK_THREAD_LIMIT and OMP_NUM_THREADS set for its own operators: a
 * user who keeps ImageMagick to one core means this filter too. */
static int worker_threads(const FilterOptions *options)
{
    const MagickSizeType limit = GetMagickResourceLimit(ThreadResource);
    const MagickSizeType wanted = options->threads != 0 ? (MagickSizeType) options->threads
                                                        : (MagickSizeType) g_get_num_processors();
    /* ImageMagick itself treats a limit of 0 as 1. */
    return (int) CLAMP(MIN(wanted, limit), 1, SRGAN_THREADS_MAX);
}

/* The core's budget for its tile buffers: ImageMagick's memory limit
 * (-limit memory, policy.xml, MAGICK_MEMORY_LIMIT), which the user set to
 * bound what ImageMagick takes.  An automatic tile size and thread count
 * shrink to fit it; an explicit srgan:tile that cannot is refused before
 * anything is allocated.  ImageMagick's own pixel cache (the source and
 * result images) is not part of it: ImageMagick keeps that under the same
 * limit itself, by moving images to memory-mapped or disk storage when it
 * is reached.  Subtracting what the cache already holds instead would make
 * the budget depend on how many frames were done before, and fail frames
 * late in a long file that the first frames upscaled fine.  No limit
 * (`-limit memory unlimited`) leaves the core's default. */
static gsize memory_budget(void)
{
    const MagickSizeType limit = GetMagickResourceLimit(MemoryResource);
    if (limit >= MagickResourceInfinity)
        return 0;
    return (gsize) MIN(MAX(limit, 1), (MagickSizeType) G_MAXSIZE);
}

static MagickBooleanType is_grey_colorspace(ColorspaceType colorspace)
{
    return colorspace == GRAYColorspace || colorspace == LinearGRAYColorspace;
}

/* The network was trained on sRGB photos: anything else is converted first
 * (on a clone, so the caller's frame stays untouched if we fail later). */
static Image *source_in_srgb(const Image *frame, MagickBooleanType *grey,
                             ExceptionInfo *exception)
{
    *grey = is_grey_colorspace(frame->colorspace);
    if (frame->colorspace == sRGBColorspace || frame->colorspace == GRAYColorspace)
        return ReferenceImage((Image *) frame);
    Image *converted = CloneImage(frame, 0, 0, MagickTrue, exception);
    if (converted == NULL)
        return NULL;
    if (magick_transform_colorspace(converted, *grey ? GRAYColorspace : sRGBColorspace,
                                    exception) == MagickFalse) {
        DestroyImage(converted);
        return NULL;
    }
    /* An embedded ICC profile describes the old colourspace (CMYK, Lab…):
     * it would be wrong for the converted pixels. */
    (void) DeleteImageProfile(converted, "icc");
    (void) DeleteImageProfile(converted, "icm");
    return converted;
}

/* Carries the core's error into ImageMagick, with the pixel-cache detail
 * when a callback failed. */
static void throw_core_error(const GError *error, const FrameJob *job, ExceptionInfo *exception)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        ThrowMagickException(exception, GetMagickModule(), FilterError, "srgan: cancelled",
                             "`%s': the progress monitor stopped the upscale; the image "
                             "is left unchanged", job->monitored->filename);
        return;
    }
    const ExceptionType severity = FilterError;
    if (g_error_matches(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT)) {
        /* The core names the limit and a tile size that fits; say where
         * the limit comes from here. */
        ThrowMagickException(exception, GetMagickModule(), severity,
                             "srgan: over the memory limit",
                             "`%s': %s. The limit is ImageMagick's memory resource: raise "
                             "it with -limit memory or in policy.xml, or choose a smaller "
                             "srgan:tile", job->monitored->filename, error->message);
        return;
    }
    if (job->callback_exception->severity != UndefinedException)
        ThrowMagickException(exception, GetMagickModule(), severity, "srgan: upscale failed",
                             "`%s': %s: %s", job->monitored->filename, error->message,
                             job->callback_exception->reason != NULL
                                 ? job->callback_exception->reason : "");
    else
        ThrowMagickException(exception, GetMagickModule(), severity, "srgan: upscale failed",
                             "`%s': %s", job->monitored->filename, error->message);
}

Image *filter_upscale_frame(const Image *frame, SrganModel *model,
                            const FilterOptions *options, ExceptionInfo *exception)
{
    const int scale = srgan_model_get_scale(model);
    if (frame->columns == 0 || frame->rows == 0 ||
        frame->columns > SRGAN_MAX_SIDE || frame->rows > SRGAN_MAX_SIDE) {
        ThrowMagickException(exception, GetMagickModule(), ImageError, "srgan: unsupported size",
                             "`%s': %zux%zu (each side must be 1 to %d pixels)",
                             frame->filename, frame->columns, frame->rows, SRGAN_MAX_SIDE);
        return NULL;
    }
    const size_t columns = frame->columns * (size_t) scale;
    const size_t rows = frame->rows * (size_t) scale;
    if (check_resource_limits(frame, columns, rows, scale, exception) == MagickFalse)
        return NULL;

    MagickBooleanType grey = MagickFalse;
    Image *source = source_in_srgb(frame, &grey, exception);
    if (source == NULL)
        return NULL;
    const MagickBooleanType alpha = magick_image_has_alpha(source);

    Image *result = CloneImage(source, columns, rows, MagickTrue, exception);
    if (result == NULL || magick_set_direct_class(result, exception) == MagickFalse) {
        if (result != NULL)
            DestroyImage(result);
        DestroyImage(source);
        return NULL;
    }

    FrameJob job = {
        .source = source,
        .result = result,
        .monitored = frame,
        .read_map = grey ? (alpha ? "RA" : "R") : (alpha ? "RGBA" : "RGB"),
        .write_map = grey ? (alpha ? "IA" : "I") : (alpha ? "RGBA" : "RGB"),
        .callback_exception = AcquireExceptionInfo(),
    };
    const SrganPixels layout = grey ? (alpha ? SRGAN_PIXELS_YA : SRGAN_PIXELS_Y)
                                    : (alpha ? SRGAN_PIXELS_RGBA : SRGAN_PIXELS_RGB);
    SrganParams params = srgan_params_default();
    params.tile_size = options->tile_size;
    params.threads = worker_threads(options);
    params.halo = options->halo;
    params.memory_limit = memory_budget();
    params.progress = report_progress;
    params.progress_data = &job;

    GError *error = NULL;
    gboolean ok = SetImageProgress(frame, SRGAN_PROGRESS_TAG, 0, PROGRESS_EXTENT) != MagickFalse;
    if (!ok)
        g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    else
        ok = srgan_upscale(model, (int) source->columns, (int) source->rows, layout,
                           read_source, write_result, &job, &params, &error);
    if (!ok) {
        throw_core_error(error, &job, exception);
        g_error_free(error);
        DestroyExceptionInfo(job.callback_exception);
        DestroyImage(result);
        DestroyImage(source);
        return NULL;
    }
    DestroyExceptionInfo(job.callback_exception);
    DestroyImage(source);
    /* The monitor ends its line at the last step; the work is done, so a
     * "stop" answer here changes nothing. */
    if (job.last_offset != PROGRESS_EXTENT - 1)
        (void) SetImageProgress(frame, SRGAN_PROGRESS_TAG, PROGRESS_EXTENT - 1, PROGRESS_EXTENT);

    /* Same picture, `scale` times the pixels: geometry and density follow,
     * so it prints at the same physical size.  A 1-bit or palette source
     * now holds continuous tones: keep at least 8 bits, grey stays grey. */
    result->page.width = frame->page.width * (size_t) scale;
    result->page.height = frame->page.height * (size_t) scale;
    result->page.x = frame->page.x * scale;
    result->page.y = frame->page.y * scale;
    magick_scale_resolution(result, (double) scale);
    if (result->depth < 8)
        result->depth = 8;
    result->type = grey ? magick_grey_type(alpha) : UndefinedType;
    return result;
}
