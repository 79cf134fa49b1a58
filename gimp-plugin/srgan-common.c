/* srgan-common.c — the GIMP-independent half of the plug-ins: options,
 * model choice by name, pixel formats, and the one render function that turns a
 * GeglBuffer region into its SRGAN upscale (preview and result alike). */
#include "srgan-common.h"
#include "srgan-intl.h"

#include <string.h>

/* ---- Options ----------------------------------------------------------- */

const char *
srgan_plugin_model_canonical(const char *model)
{
    if (model == NULL || model[0] == '\0' || strcmp(model, "x4") == 0)
        return SRGAN_PLUGIN_DEFAULT_MODEL;
    if (strcmp(model, "x2") == 0)
        return "srgan-x2";
    if (strcmp(model, "x8") == 0)
        return "srgan-x8";
    return model;
}

void
srgan_plugin_options_set_model(SrganPluginOptions *options, const char *model)
{
    char *copy = g_strdup(srgan_plugin_model_canonical(model));

    g_free(options->model);
    options->model = copy;
}

void
srgan_plugin_options_clear(SrganPluginOptions *options)
{
    g_clear_pointer(&options->model, g_free);
    g_clear_pointer(&options->model_file, g_free);
}

gboolean
srgan_plugin_options_use_file(const SrganPluginOptions *options)
{
    return g_strcmp0(options->model, SRGAN_PLUGIN_MODEL_FILE) == 0;
}

gboolean
srgan_plugin_options_validate(const SrganPluginOptions *options, GError **error)
{
    if (options->tile_size != 0 &&
        (options->tile_size < SRGAN_TILE_SIZE_MIN || options->tile_size > SRGAN_PLUGIN_TILE_MAX)) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                    _("Tile size %d is out of range: use 0 (automatic) or 16 to %d."),
                    options->tile_size, SRGAN_PLUGIN_TILE_MAX);
        return FALSE;
    }
    if (options->threads < 0 || options->threads > SRGAN_THREADS_MAX) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                    _("Thread count %d is out of range: use 0 (automatic) or 1 to %d."),
                    options->threads, SRGAN_THREADS_MAX);
        return FALSE;
    }
    if (options->halo < 0 || options->halo > SRGAN_PLUGIN_HALO_MAX) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                    _("Halo %d is out of range: use 0 (automatic) or 1 to %d."),
                    options->halo, SRGAN_PLUGIN_HALO_MAX);
        return FALSE;
    }
    if (srgan_plugin_options_use_file(options) &&
        (options->model_file == NULL || options->model_file[0] == '\0')) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                            _("No model file was chosen."));
        return FALSE;
    }
    return TRUE;
}

/* "a, b, c" of the installed models, for messages about a name that is
 * not among them (most often a typo, or a model not installed yet). */
static char *
installed_models_text(void)
{
    g_auto(GStrv) names = srgan_model_list();

    if (names[0] == NULL)
        /* TRANSLATORS: the list of installed models, when there is none. */
        return g_strdup(_("none"));
    return g_strjoinv(", ", names);
}

/* A model value that is a file's path rather than a name (as the core
 * tells them apart, less its test for an existing file: a missing file
 * should be reported as a file, not as an unknown name). */
static gboolean
looks_like_path(const char *model)
{
    return strchr(model, G_DIR_SEPARATOR) != NULL || g_str_has_suffix(model, ".safetensors");
}

char *
srgan_plugin_model_path(const SrganPluginOptions *options, GError **error)
{
    if (srgan_plugin_options_use_file(options)) {
        if (options->model_file == NULL || options->model_file[0] == '\0') {
            g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                                _("No model file was chosen."));
            return NULL;
        }
        return g_strdup(options->model_file);
    }

    const char *name = srgan_plugin_model_canonical(options->model);
    const char *env = g_getenv("SRGAN_MODEL");

    /* Like the core's default model: $SRGAN_MODEL replaces srgan-x4. */
    if (strcmp(name, SRGAN_PLUGIN_DEFAULT_MODEL) == 0 && env != NULL && env[0] != '\0')
        return g_strdup(env);
    if (looks_like_path(name))
        return g_strdup(name);

    g_autoptr(GError) local = NULL;
    char *path = srgan_model_find(name, &local);

    if (path == NULL) {
        g_autofree char *installed = installed_models_text();

        g_set_error(error, local->domain, local->code,
                    _("There is no model named “%s” (installed models: %s). %s"),
                    name, installed, local->message);
    }
    return path;
}

SrganModel *
srgan_plugin_load_model(const SrganPluginOptions *options, GError **error)
{
    g_autofree char *path = srgan_plugin_model_path(options, error);
    g_autoptr(GError) local = NULL;

    if (path == NULL)
        return NULL;

    SrganModel *model = srgan_model_load(path, &local);

    if (model == NULL) {
        g_set_error(error, local->domain, local->code,
                    _("Could not use the model file “%s”: %s"),
                    path, local->message);
    }
    return model;
}

gsize
srgan_plugin_memory_limit(guint64 tile_cache_bytes)
{
    /* tile-cache-size is how much memory the user lets GIMP keep pixels in
     * before it swaps (by default half of the RAM).  The plug-in runs beside
     * that cache, holding its own copy of the layer and of the result, so
     * the network's buffers get half of it: with GIMP's defaults, a quarter
     * of the RAM.  A tiny cache still leaves the core 16 MiB, enough for
     * small automatic tiles, rather than a budget no tile fits in. */
    if (tile_cache_bytes == 0)
        return 0;
    guint64 limit = MAX(tile_cache_bytes / 2, (guint64) 16 << 20);
    return (gsize) MIN(limit, (guint64) G_MAXSIZE);
}

void
srgan_plugin_test_progress(double fraction)
{
    const char *path = g_getenv("SRGAN_TEST_PROGRESS_FILE");

    if (path != NULL && path[0] != '\0') {
        char text[G_ASCII_DTOSTR_BUF_SIZE];

        g_ascii_formatd(text, sizeof text, "%.4f\n", fraction);
        (void) g_file_set_contents(path, text, -1, NULL);
    }
}

/* SRGAN_TEST_FAIL_AFTER_TILES (see srgan-common.h): -1 when unset. */
static gint64
test_fail_after_reads(void)
{
    static gint64 after;
    static gsize once;

    if (g_once_init_enter(&once)) {
        const char *value = g_getenv("SRGAN_TEST_FAIL_AFTER_TILES");

        after = -1;
        if (value != NULL && !g_ascii_string_to_signed(value, 10, 0, G_MAXINT, &after, NULL))
            after = -1;
        g_once_init_leave(&once, 1);
    }
    return after;
}

int
srgan_plugin_model_scale(const SrganPluginOptions *options, GError **error)
{
    g_autofree char *path = srgan_plugin_model_path(options, error);
    g_autoptr(GError) local = NULL;

    if (path == NULL)
        return 0;

    g_autoptr(GHashTable) metadata = srgan_model_read_metadata(path, &local);
    const char *scale = metadata ? g_hash_table_lookup(metadata, "scale") : NULL;

    if (metadata == NULL) {
        g_set_error(error, local->domain, local->code,
                    _("Could not use the model file “%s”: %s"),
                    path, local->message);
        return 0;
    }
    /* The loader accepts 2, 4 and 8 only; anything else fails at load. */
    if (g_strcmp0(scale, "2") == 0 || g_strcmp0(scale, "4") == 0 || g_strcmp0(scale, "8") == 0)
        return scale[0] - '0';
    g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MODEL_METADATA,
                _("Could not use the model file “%s”: %s"),
                path, "no scale of 2, 4 or 8 in its metadata");
    return 0;
}

/* The descriptions the shipped models carry in their metadata (weights/),
 * listed here so that the catalogs translate them; other models'
 * descriptions are shown as their files write them. */
static const char *const shipped_descriptions[] G_GNUC_UNUSED = {
    N_("Clean or downscaled images: sharp detail"),
    N_("JPEG-compressed or noisy photos: removes artefacts"),
    N_("Fast, light denoising of real photos"),
};

char *
srgan_plugin_model_label(const char *model)
{
    /* Resolved as a run would (srgan-x4 honours $SRGAN_MODEL). */
    SrganPluginOptions options = { .model = (char *) model };
    g_autofree char *path = srgan_plugin_model_path(&options, NULL);

    if (path == NULL)
        return g_strdup_printf(_("%s (not found)"), model);

    g_autoptr(GHashTable) metadata = srgan_model_read_metadata(path, NULL);
    const char *display = metadata ? g_hash_table_lookup(metadata, "display_name") : NULL;
    const char *description = metadata ? g_hash_table_lookup(metadata, "description") : NULL;

    if (display == NULL || display[0] == '\0')
        display = model;
    if (description == NULL || description[0] == '\0')
        return g_strdup(display);
    /* TRANSLATORS: a model in the model list: its name, then what it is
       good for (for example "SRGAN 4× — Clean or downscaled images"). */
    return g_strdup_printf(_("%s — %s"), display, _(description));
}

int
srgan_plugin_effective_halo(SrganModel *model, const SrganPluginOptions *options)
{
    if (options->halo > 0)
        return MIN(options->halo, srgan_model_get_receptive_radius(model));
    return srgan_model_get_halo(model);
}

const char *
srgan_plugin_halo_blurb(void)
{
    return _("Source pixels of context read around each tile (1 to 1024); "
             "0 = automatic, the model's default. Less is faster but can leave "
             "seams between tiles; more than the model reaches changes nothing.");
}

int
srgan_plugin_default_scale(void)
{
    SrganPluginOptions options = { .model = NULL };
    int scale = srgan_plugin_model_scale(&options, NULL);

    return scale ? scale : 4;
}

const char *
srgan_plugin_menu_label_msgid(int scale)
{
    /* One literal per scale so that each is a msgid of its own. */
    switch (scale) {
    case 2: return N_("_SRGAN 2x…");
    case 8: return N_("_SRGAN 8x…");
    default: return N_("_SRGAN 4x…");
    }
}

/* ---- Formats ----------------------------------------------------------- */

SrganPixels
srgan_plugin_pixels_for_format(const Babl *format)
{
    /* Grey formats have one colour component, RGB three; indexed images are
     * refused by the GIMP side before they get here. */
    int components = babl_format_get_n_components(format);
    gboolean alpha = babl_format_has_alpha(format);

    if (components - (alpha ? 1 : 0) == 1)
        return alpha ? SRGAN_PIXELS_YA : SRGAN_PIXELS_Y;
    return alpha ? SRGAN_PIXELS_RGBA : SRGAN_PIXELS_RGB;
}

const Babl *
srgan_plugin_float_format(SrganPixels pixels, const Babl *space_of)
{
    /* Perceptual (gamma-encoded) values: the generator was trained on
     * ordinary sRGB-encoded photos, not on linear light. */
    static const char *const names[] = {
        [SRGAN_PIXELS_RGB] = "R'G'B' float",
        [SRGAN_PIXELS_RGBA] = "R'G'B'A float",
        [SRGAN_PIXELS_Y] = "Y' float",
        [SRGAN_PIXELS_YA] = "Y'A float",
    };
    return babl_format_with_space(names[pixels], space_of);
}

/* ---- Rendering --------------------------------------------------------- */

/* What the read/write callbacks need: the core sees `src`'s extent as its
 * whole image, with (0,0) at the extent's corner. */
typedef struct {
    GeglBuffer *src;
    GeglRectangle src_extent;
    GeglBuffer *dst;
    const Babl *float_format;
    int scale;
} RenderJob;

static gboolean
read_rect(gpointer user_data, int x, int y, int width, int height,
          float *buf, GError **error)
{
    RenderJob *job = user_data;
    GeglRectangle rect = { job->src_extent.x + x, job->src_extent.y + y,
                           width, height };
    static gint reads;   /* of this plug-in process, for the test hook */

    if (test_fail_after_reads() >= 0 &&
        g_atomic_int_add(&reads, 1) >= test_fail_after_reads()) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                    "test hook SRGAN_TEST_FAIL_AFTER_TILES=%" G_GINT64_FORMAT
                    ": reading source pixels %d,%d %d×%d failed",
                    test_fail_after_reads(), x, y, width, height);
        return FALSE;
    }
    gegl_buffer_get(job->src, &rect, 1.0, job->float_format, buf,
                    GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
    return TRUE;
}

static gboolean
write_rect(gpointer user_data, int x, int y, int width, int height,
           const float *buf, GError **error)
{
    RenderJob *job = user_data;
    GeglRectangle rect = { job->src_extent.x * job->scale + x,
                           job->src_extent.y * job->scale + y,
                           width, height };
    (void) error;

    gegl_buffer_set(job->dst, &rect, 0, job->float_format, buf,
                    GEGL_AUTO_ROWSTRIDE);
    return TRUE;
}

/* The core's parameters for the options (tile size, threads, memory). */
static SrganParams
params_for_options(const SrganPluginOptions *options)
{
    SrganParams params = srgan_params_default();

    params.tile_size = options->tile_size;
    params.threads = options->threads;
    params.halo = options->halo;
    params.memory_limit = options->memory_limit;
    return params;
}

/* The core's English message about the memory limit, with the GIMP
 * setting it comes from. */
static void
explain_memory_limit(GError **error)
{
    if (error != NULL && g_error_matches(*error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT)) {
        GError *explained = g_error_new(SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT,
            _("%s. The plug-in may use half of GIMP's tile cache (Edit → Preferences → "
              "System Resources); choose a smaller tile size, or 0 (automatic)."),
            (*error)->message);

        g_clear_error(error);
        g_propagate_error(error, explained);
    }
}

gboolean
srgan_plugin_check(SrganModel *model, const Babl *format, int width, int height,
                   const SrganPluginOptions *options, GError **error)
{
    SrganParams params = params_for_options(options);

    if (!srgan_plugin_options_validate(options, error))
        return FALSE;
    if (!srgan_upscale_check(model, width, height, srgan_plugin_pixels_for_format(format),
                             &params, NULL, NULL, error)) {
        explain_memory_limit(error);
        return FALSE;
    }
    return TRUE;
}

gboolean
srgan_plugin_render(SrganModel *model, GeglBuffer *src,
                    const GeglRectangle *region, GeglBuffer *dst,
                    const SrganPluginOptions *options,
                    SrganProgressFunc progress, gpointer progress_data,
                    GCancellable *cancellable, GError **error)
{
    const Babl *src_format = gegl_buffer_get_format(src);
    SrganPixels pixels = srgan_plugin_pixels_for_format(src_format);
    RenderJob job = {
        .src = src,
        .src_extent = *gegl_buffer_get_extent(src),
        .dst = dst,
        .float_format = srgan_plugin_float_format(pixels, src_format),
        .scale = srgan_model_get_scale(model),
    };
    GeglRectangle inside;

    if (!srgan_plugin_options_validate(options, error))
        return FALSE;
    if (!gegl_rectangle_intersect(&inside, region, &job.src_extent) ||
        !gegl_rectangle_equal(&inside, region)) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                    _("The region %d,%d %d×%d lies outside the source."),
                    region->x, region->y, region->width, region->height);
        return FALSE;
    }

    SrganParams params = params_for_options(options);
    params.region_x = region->x - job.src_extent.x;
    params.region_y = region->y - job.src_extent.y;
    params.region_width = region->width;
    params.region_height = region->height;
    params.progress = progress;
    params.progress_data = progress_data;
    params.cancellable = cancellable;

    if (!srgan_upscale(model, job.src_extent.width, job.src_extent.height,
                       pixels, read_rect, write_rect, &job, &params, error)) {
        explain_memory_limit(error);
        return FALSE;
    }
    return TRUE;
}

GeglBuffer *
srgan_plugin_copy_to_memory(GeglBuffer *drawable_buffer,
                            const GeglRectangle *rect)
{
    GeglBuffer *copy = gegl_buffer_new(rect,
                                       gegl_buffer_get_format(drawable_buffer));

    gegl_buffer_copy(drawable_buffer, rect, GEGL_ABYSS_NONE, copy, rect);
    return copy;
}

GeglRectangle
srgan_plugin_region_with_halo(SrganModel *model, const SrganPluginOptions *options,
                              const GeglRectangle *region, const GeglRectangle *bounds)
{
    int halo = srgan_plugin_effective_halo(model, options);
    GeglRectangle grown = { region->x - halo, region->y - halo,
                            region->width + 2 * halo,
                            region->height + 2 * halo };
    GeglRectangle clamped;

    gegl_rectangle_intersect(&clamped, &grown, bounds);
    return clamped;
}

char *
srgan_plugin_locale_dir(const char *progname)
{
    if (progname != NULL) {
        g_autofree char *dir = g_path_get_dirname(progname);
        g_autofree char *beside = g_build_filename(dir, "locale", NULL);

        if (g_file_test(beside, G_FILE_TEST_IS_DIR))
            return g_steal_pointer(&beside);
    }
    return g_strdup(SRGAN_LOCALEDIR);
}
