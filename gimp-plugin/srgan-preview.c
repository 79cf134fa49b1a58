/* srgan-preview.c — the dialog's live preview (see srgan-preview.h).
 *
 * GIMP drawables are read on the main thread only (their buffers talk to
 * GIMP over the plug-in pipe); the worker thread gets an in-memory copy of
 * the region plus the model's halo.  A newer update cancels the older
 * computation, and a finished job that is no longer the newest is dropped. */
#include "srgan-preview.h"
#include "srgan-intl.h"

#include <string.h>

struct _SrganPreview {
    gatomicrefcount ref;
    gboolean dead;                  /* the dialog is gone: draw nothing */
    GimpPreview *source;
    GtkWidget *result;
    GtkToggleButton *show_original;
    GtkLabel *status;
    GeglBuffer *drawable_buffer;
    const SrganPluginOptions *options;
    char *model_path;               /* the cached model's file */
    SrganModel *model;
    GCancellable *cancellable;      /* of the newest job */
    GtkWidget *source_area;         /* the source preview's drawing area */
    GeglRectangle region;           /* source region of the newest job */
    gboolean has_region;
    /* Last finished preview, R'G'B'A u8, shown_w × shown_h. */
    guint8 *result_pixels;
    guint8 *original_pixels;
    int shown_w, shown_h;
};

typedef struct {
    SrganModel *model;
    GeglBuffer *crop;       /* region + halo, in memory */
    GeglRectangle region;   /* source coordinates */
    GeglBuffer *dst;        /* region × scale, output coordinates */
    SrganPluginOptions options;
} PreviewJob;

static SrganPreview *
preview_ref(SrganPreview *preview)
{
    g_atomic_ref_count_inc(&preview->ref);
    return preview;
}

static void
preview_unref(SrganPreview *preview)
{
    if (!g_atomic_ref_count_dec(&preview->ref))
        return;
    g_clear_object(&preview->cancellable);
    g_clear_object(&preview->drawable_buffer);
    g_clear_pointer(&preview->model, srgan_model_unref);
    g_free(preview->model_path);
    g_free(preview->result_pixels);
    g_free(preview->original_pixels);
    g_free(preview);
}

static void
job_free(gpointer data)
{
    PreviewJob *job = data;

    g_clear_pointer(&job->model, srgan_model_unref);
    g_clear_object(&job->crop);
    g_clear_object(&job->dst);
    srgan_plugin_options_clear(&job->options);
    g_free(job);
}

static void
set_status(SrganPreview *preview, const char *text)
{
    gtk_label_set_text(preview->status, text);
}

static void
draw(SrganPreview *preview)
{
    GimpPreviewArea *area = GIMP_PREVIEW_AREA(preview->result);
    gboolean original = gtk_toggle_button_get_active(preview->show_original);
    const guint8 *pixels = original ? preview->original_pixels
                                    : preview->result_pixels;

    gimp_preview_area_fill(area, 0, 0, SRGAN_PLUGIN_PREVIEW_SIDE,
                           SRGAN_PLUGIN_PREVIEW_SIDE, 0x80, 0x80, 0x80);
    if (pixels != NULL)
        gimp_preview_area_draw(area, 0, 0, preview->shown_w, preview->shown_h,
                               GIMP_RGBA_IMAGE, pixels, preview->shown_w * 4);
}

static void
forget_pixels(SrganPreview *preview)
{
    g_clear_pointer(&preview->result_pixels, g_free);
    g_clear_pointer(&preview->original_pixels, g_free);
    draw(preview);
}

/* The original region enlarged by `scale` with nearest neighbour: every
 * source pixel becomes a scale × scale block, nothing invented. */
static guint8 *
enlarge_nearest(GeglBuffer *crop, const GeglRectangle *region, int scale)
{
    int w = region->width, h = region->height;
    g_autofree guint8 *small = g_malloc((gsize) w * h * 4);
    guint8 *big = g_malloc((gsize) w * scale * h * scale * 4);

    gegl_buffer_get(crop, region, 1.0, babl_format("R'G'B'A u8"), small,
                    GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
    for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < w * scale; x++)
            memcpy(big + ((gsize) y * w * scale + x) * 4,
                   small + ((gsize) (y / scale) * w + x / scale) * 4, 4);
    return big;
}

static void
render_in_thread(GTask *task, gpointer source_object, gpointer task_data,
                 GCancellable *cancellable)
{
    PreviewJob *job = task_data;
    GError *error = NULL;
    (void) source_object;

    if (srgan_plugin_render(job->model, job->crop, &job->region, job->dst,
                            &job->options, NULL, NULL, cancellable, &error))
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, error);
}

static void
render_done(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
    SrganPreview *preview = user_data;
    GTask *task = G_TASK(result);
    PreviewJob *job = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    (void) source_object;

    if (preview->dead || g_task_get_cancellable(task) != preview->cancellable) {
        preview_unref(preview);        /* superseded, or the dialog closed */
        return;
    }
    if (!g_task_propagate_boolean(task, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            forget_pixels(preview);
            set_status(preview, error->message);
        }
        preview_unref(preview);
        return;
    }

    int scale = srgan_model_get_scale(job->model);
    GeglRectangle out = { job->region.x * scale, job->region.y * scale,
                          job->region.width * scale,
                          job->region.height * scale };

    g_free(preview->result_pixels);
    preview->result_pixels = g_malloc((gsize) out.width * out.height * 4);
    gegl_buffer_get(job->dst, &out, 1.0, babl_format("R'G'B'A u8"),
                    preview->result_pixels, GEGL_AUTO_ROWSTRIDE,
                    GEGL_ABYSS_NONE);
    g_free(preview->original_pixels);
    preview->original_pixels = enlarge_nearest(job->crop, &job->region, scale);
    preview->shown_w = out.width;
    preview->shown_h = out.height;
    draw(preview);

    g_autofree char *text =
        g_strdup_printf(_("Region %d×%d at (%d, %d), shown at 100%% (%d×%d)"),
                        job->region.width, job->region.height,
                        job->region.x, job->region.y, out.width, out.height);
    set_status(preview, text);
    preview_unref(preview);
}

/* Loads the model the options name, keeping the last one while the file
 * stays the same (the preview updates on every pan). */
static SrganModel *
current_model(SrganPreview *preview, GError **error)
{
    g_autofree char *path = srgan_plugin_model_path(preview->options, error);

    if (path == NULL)
        return NULL;
    if (preview->model == NULL || g_strcmp0(path, preview->model_path) != 0) {
        g_clear_pointer(&preview->model, srgan_model_unref);
        g_clear_pointer(&preview->model_path, g_free);
        preview->model = srgan_plugin_load_model(preview->options, error);
        if (preview->model == NULL)
            return NULL;
        preview->model_path = g_steal_pointer(&path);
    }
    return preview->model;
}

/* Outlines the upscaled region on the source preview (black and white,
 * visible on any image). */
static void
outline_region(SrganPreview *preview, cairo_t *cr)
{
    int x0, y0, x1, y1;

    if (!preview->has_region)
        return;
    gimp_preview_transform(preview->source, preview->region.x, preview->region.y, &x0, &y0);
    gimp_preview_transform(preview->source, preview->region.x + preview->region.width,
                           preview->region.y + preview->region.height, &x1, &y1);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x0 + 0.5, y0 + 0.5, x1 - x0 - 1, y1 - y0 - 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_stroke_preserve(cr);
    double dash = 4.0;
    cairo_set_dash(cr, &dash, 1, 0);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_stroke(cr);
}

#if GTK_MAJOR_VERSION >= 3
static gboolean
on_source_draw(GtkWidget *widget, cairo_t *cr, gpointer user_data)
{
    (void) widget;
    outline_region(user_data, cr);
    return FALSE;
}
#define SOURCE_DRAW_SIGNAL "draw"
#else
static gboolean
on_source_draw(GtkWidget *widget, GdkEventExpose *event, gpointer user_data)
{
    cairo_t *cr = gdk_cairo_create(gtk_widget_get_window(widget));
    (void) event;
    outline_region(user_data, cr);
    cairo_destroy(cr);
    return FALSE;
}
#define SOURCE_DRAW_SIGNAL "expose-event"
#endif

void
srgan_preview_update(SrganPreview *preview)
{
    g_autoptr(GError) error = NULL;
    SrganModel *model;

    if (preview->cancellable != NULL)
        g_cancellable_cancel(preview->cancellable);
    g_clear_object(&preview->cancellable);

    if (!srgan_plugin_options_validate(preview->options, &error) ||
        (model = current_model(preview, &error)) == NULL) {
        forget_pixels(preview);
        set_status(preview, error->message);
        return;
    }

    /* The square in the middle of what the source preview shows. */
    const GeglRectangle *bounds = gegl_buffer_get_extent(preview->drawable_buffer);
    int scale = srgan_model_get_scale(model);
    int side = MAX(1, SRGAN_PLUGIN_PREVIEW_SIDE / scale);
    int px, py, pw, ph;

    gimp_preview_get_position(preview->source, &px, &py);
    gimp_preview_get_size(preview->source, &pw, &ph);

    GeglRectangle region;
    region.width = MIN(side, bounds->width);
    region.height = MIN(side, bounds->height);
    region.x = CLAMP(px + (pw - region.width) / 2, bounds->x,
                     bounds->x + bounds->width - region.width);
    region.y = CLAMP(py + (ph - region.height) / 2, bounds->y,
                     bounds->y + bounds->height - region.height);

    preview->region = region;
    preview->has_region = TRUE;
    gtk_widget_queue_draw(preview->source_area);

    GeglRectangle crop_rect = srgan_plugin_region_with_halo(model, preview->options,
                                                             &region, bounds);
    GeglRectangle out = { region.x * scale, region.y * scale,
                          region.width * scale, region.height * scale };
    const Babl *format = gegl_buffer_get_format(preview->drawable_buffer);
    PreviewJob *job = g_new0(PreviewJob, 1);

    job->model = srgan_model_ref(model);
    job->crop = srgan_plugin_copy_to_memory(preview->drawable_buffer, &crop_rect);
    job->region = region;
    job->dst = gegl_buffer_new(&out, srgan_plugin_float_format(
                                   srgan_plugin_pixels_for_format(format), format));
    job->options = *preview->options;
    job->options.model = g_strdup(preview->options->model);
    job->options.model_file = g_strdup(preview->options->model_file);

    preview->cancellable = g_cancellable_new();
    set_status(preview, _("Computing the preview…"));

    GTask *task = g_task_new(NULL, preview->cancellable, render_done,
                             preview_ref(preview));
    g_task_set_task_data(task, job, job_free);
    g_task_run_in_thread(task, render_in_thread);
    g_object_unref(task);
}

static void
on_toggled(GtkToggleButton *button, gpointer user_data)
{
    (void) button;
    draw(user_data);
}

SrganPreview *
srgan_preview_new(GimpPreview *source, GtkWidget *result,
                  GtkToggleButton *show_original, GtkLabel *status,
                  GeglBuffer *drawable_buffer,
                  const SrganPluginOptions *options)
{
    SrganPreview *preview = g_new0(SrganPreview, 1);

    g_atomic_ref_count_init(&preview->ref);
    preview->source = source;
    preview->result = result;
    preview->show_original = show_original;
    preview->status = status;
    preview->drawable_buffer = g_object_ref(drawable_buffer);
    preview->options = options;

    gtk_widget_set_size_request(result, SRGAN_PLUGIN_PREVIEW_SIDE,
                                SRGAN_PLUGIN_PREVIEW_SIDE);
    /* The frame is often wider than the square (its check button's label):
     * draw the square centred instead of leaving the rest of a wider
     * area undrawn (black in GIMP 3). */
    gimp_preview_area_set_max_size(GIMP_PREVIEW_AREA(result), SRGAN_PLUGIN_PREVIEW_SIDE,
                                   SRGAN_PLUGIN_PREVIEW_SIDE);
    g_signal_connect_swapped(source, "invalidated",
                             G_CALLBACK(srgan_preview_update), preview);
    g_signal_connect(show_original, "toggled", G_CALLBACK(on_toggled), preview);
    preview->source_area = gimp_preview_get_area(source);
    g_signal_connect_after(preview->source_area, SOURCE_DRAW_SIGNAL,
                           G_CALLBACK(on_source_draw), preview);
    return preview;
}

void
srgan_preview_free(SrganPreview *preview)
{
    if (preview == NULL)
        return;
    g_signal_handlers_disconnect_by_data(preview->source, preview);
    g_signal_handlers_disconnect_by_data(preview->show_original, preview);
    g_signal_handlers_disconnect_by_data(preview->source_area, preview);
    if (preview->cancellable != NULL)
        g_cancellable_cancel(preview->cancellable);
    preview->dead = TRUE;
    preview_unref(preview);
}
