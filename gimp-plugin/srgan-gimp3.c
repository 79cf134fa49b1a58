/* srgan-gimp3.c — Filters → Enhance → SRGAN 4x… for GIMP 3.0 (libgimp-3.0).
 *
 * The GIMP 3 half of the plug-in: a GimpPlugIn subclass that declares each
 * argument once (model, model-file, tile-size, threads, halo) and reads
 * them through the GimpProcedureConfig, so the dialog, Script-Fu and
 * "repeat last" share one path and last values are remembered by GIMP.
 * The model is a string, an installed model's short name: a choice
 * argument would freeze the list of models at the time GIMP queried the
 * plug-in, and a script could not name a model installed since.  Pixels are
 * upscaled by srgan-common.c, exactly as in the GIMP 2.10 plug-in.
 *
 * All or nothing: every check comes first (image mode, the layers chosen,
 * the options, the model, the size of the canvas and of every layer once
 * scaled); then every chosen layer is upscaled into a new buffer, within
 * the memory budget derived from GIMP's tile cache.  Only when all of that
 * succeeded is the image touched, inside one undo group: it is scaled with
 * GIMP's cubic interpolation (canvas, other layers, masks, channels and
 * paths stay aligned), then each chosen layer's pixels are replaced by its
 * SRGAN result through the shadow buffer.  A failed check, a failed layer
 * (even the last one, half-way) or a cancel (GIMP kills the plug-in) leaves
 * the image as it was.
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "srgan-common.h"
#include "srgan-intl.h"
#include "srgan-options-ui.h"
#include "srgan-preview.h"

#define SRGAN_TYPE_PLUG_IN (srgan_plug_in_get_type())
G_DECLARE_FINAL_TYPE(SrganPlugIn, srgan_plug_in, SRGAN, PLUG_IN, GimpPlugIn)

struct _SrganPlugIn {
    GimpPlugIn parent_instance;
};

G_DEFINE_TYPE(SrganPlugIn, srgan_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN(SRGAN_TYPE_PLUG_IN)

static GimpValueArray *srgan_run(GimpProcedure *procedure, GimpRunMode run_mode,
                                 GimpImage *image, GimpDrawable **drawables,
                                 GimpProcedureConfig *config, gpointer run_data);

/* ---- Plug-in class ----------------------------------------------------- */

static GList *
srgan_query_procedures(GimpPlugIn *plug_in)
{
    (void) plug_in;
    return g_list_append(NULL, g_strdup(SRGAN_PLUGIN_PROC));
}

/* Catalogs beside the binary (a user's own plug-ins folder) are GIMP 3's
 * convention; a system install keeps them in the shared locale folder,
 * which GIMP will not accept as catalog_dir, so we bind that ourselves. */
static gboolean
srgan_set_i18n(GimpPlugIn *plug_in, const gchar *procedure_name,
               gchar **gettext_domain, gchar **catalog_dir)
{
    g_autofree char *dir = srgan_plugin_locale_dir(gimp_get_progname());
    g_autofree char *progdir = g_path_get_dirname(gimp_get_progname());
    (void) plug_in;
    (void) procedure_name;

    if (g_str_has_prefix(dir, progdir)) {
        *gettext_domain = g_strdup(GETTEXT_PACKAGE);
        *catalog_dir = g_strdup("locale");
        return TRUE;
    }
    bindtextdomain(GETTEXT_PACKAGE, dir);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    return FALSE;
}

static GimpProcedure *
srgan_create_procedure(GimpPlugIn *plug_in, const gchar *name)
{
    if (g_strcmp0(name, SRGAN_PLUGIN_PROC) != 0)
        return NULL;

    GimpProcedure *procedure =
        gimp_image_procedure_new(plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN,
                                 srgan_run, NULL, NULL);

    gimp_procedure_set_image_types(procedure, "RGB*, GRAY*");
    gimp_procedure_set_sensitivity_mask(procedure,
                                        GIMP_PROCEDURE_SENSITIVE_DRAWABLE |
                                        GIMP_PROCEDURE_SENSITIVE_DRAWABLES);
    gimp_procedure_set_menu_label(procedure,
                                  _(srgan_plugin_menu_label_msgid(srgan_plugin_default_scale())));
    gimp_procedure_add_menu_path(procedure, SRGAN_PLUGIN_MENU);
    gimp_procedure_set_documentation(procedure,
        _("Upscale the image with the SRGAN super-resolution network"),
        _("Upscales the whole image by the model's scale (4× by default). "
          "The chosen layers go through SRGAN (Ledig et al., CVPR 2017); the "
          "canvas and the other layers are scaled with cubic interpolation. "
          "One undo step."),
        name);
    gimp_procedure_set_attribution(procedure, "srgan authors", "srgan authors", "2026");

    gimp_procedure_add_string_argument(procedure, "model", _("_Model"),
        _("Short name of an installed model (\"srgan-x4\", the default; "
          "\"realesrgan-x4plus\"; …: the file name without .safetensors), or "
          "\"file\" to use model-file. \"x2\", \"x4\", \"x8\" stand for "
          "srgan-x2, srgan-x4, srgan-x8."),
        SRGAN_PLUGIN_DEFAULT_MODEL, G_PARAM_READWRITE);
    gimp_procedure_add_file_argument(procedure, "model-file", _("Model _file"),
        _("An SRGAN model (.safetensors), used when model is \"file\""),
        GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL, G_PARAM_READWRITE);
    gimp_procedure_add_int_argument(procedure, "tile-size", _("_Tile size"),
        _("Low-resolution pixels per tile side (16 to 2048); 0 = automatic. "
          "Trades memory for speed, never quality."),
        SRGAN_PLUGIN_TILE_MIN, SRGAN_PLUGIN_TILE_MAX, 0, G_PARAM_READWRITE);
    gimp_procedure_add_int_argument(procedure, "threads", _("T_hreads"),
        _("Worker threads; 0 = one per CPU core"),
        0, SRGAN_THREADS_MAX, 0, G_PARAM_READWRITE);
    gimp_procedure_add_int_argument(procedure, "halo", _("Ha_lo"), srgan_plugin_halo_blurb(),
        0, SRGAN_PLUGIN_HALO_MAX, 0, G_PARAM_READWRITE);
    return procedure;
}

static void
srgan_plug_in_class_init(SrganPlugInClass *klass)
{
    GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS(klass);

    plug_in_class->query_procedures = srgan_query_procedures;
    plug_in_class->create_procedure = srgan_create_procedure;
    plug_in_class->set_i18n = srgan_set_i18n;
}

static void
srgan_plug_in_init(SrganPlugIn *self)
{
    (void) self;
}

/* ---- Options from the config ------------------------------------------- */

static void
options_from_config(SrganPluginOptions *options, GimpProcedureConfig *config)
{
    g_autoptr(GFile) file = NULL;
    g_autofree char *model = NULL;

    srgan_plugin_options_clear(options);
    g_object_get(config, "model", &model, "model-file", &file,
                 "tile-size", &options->tile_size, "threads", &options->threads,
                 "halo", &options->halo, NULL);
    srgan_plugin_options_set_model(options, model);
    options->model_file = file ? g_file_get_path(file) : NULL;
}

/* The dialog edits its own SrganPluginOptions; this writes them back. */
static void
options_to_config(const SrganPluginOptions *options, GimpProcedureConfig *config)
{
    g_autoptr(GFile) file = options->model_file ? g_file_new_for_path(options->model_file) : NULL;

    g_object_set(config, "model", srgan_plugin_model_canonical(options->model),
                 "model-file", file, "tile-size", options->tile_size,
                 "threads", options->threads, "halo", options->halo, NULL);
}

/* ---- Dialog ------------------------------------------------------------ */

typedef struct {
    SrganPluginOptions options;
    GimpProcedureConfig *config;
    SrganPreview *preview;
    SrganOptionsUi *options_ui;
} DialogState;

/* The config changed from outside the option widgets (the dialog's Reset
 * and Load Saved Settings buttons): show its values. */
static void
on_config_changed(GObject *config, GParamSpec *pspec, DialogState *state)
{
    (void) config;
    (void) pspec;
    options_from_config(&state->options, state->config);
    srgan_options_ui_refresh(state->options_ui);
    srgan_preview_update(state->preview);
}

/* The user changed an option: store it in the config (which GIMP keeps as
 * the last values) without hearing it back, and redo the preview. */
static void
on_options_changed(gpointer user_data)
{
    DialogState *state = user_data;

    g_signal_handlers_block_by_func(state->config, on_config_changed, state);
    options_to_config(&state->options, state->config);
    g_signal_handlers_unblock_by_func(state->config, on_config_changed, state);
    srgan_preview_update(state->preview);
}

static gboolean
show_dialog(GimpProcedure *procedure, GimpProcedureConfig *config,
            GimpImage *image, GimpDrawable *drawable)
{
    DialogState state = { .config = config };

    gimp_ui_init(SRGAN_PLUGIN_BINARY);
    options_from_config(&state.options, config);

    GtkWidget *dialog = gimp_procedure_dialog_new(procedure, config,
                                                  _("SRGAN super-resolution"));

    /* Original (pannable) | SRGAN result at 100%, above the options. */
    GtkWidget *hbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_container_set_border_width(GTK_CONTAINER(hbox), 12);

    GtkWidget *source = gimp_drawable_preview_new_from_drawable(drawable);
    GtkWidget *source_frame = gimp_frame_new(_("Original — drag to choose the region"));
    gtk_container_add(GTK_CONTAINER(source_frame), source);
    gtk_box_pack_start(GTK_BOX(hbox), source_frame, TRUE, TRUE, 0);

    GtkWidget *result_frame = gimp_frame_new(_("SRGAN result at 100%"));
    GtkWidget *result_vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_container_add(GTK_CONTAINER(result_frame), result_vbox);
    GtkWidget *area = gimp_preview_area_new();
    gtk_box_pack_start(GTK_BOX(result_vbox), area, FALSE, FALSE, 0);
    GtkWidget *toggle = gtk_check_button_new_with_mnemonic(
        _("Show the _original, enlarged without interpolation"));
    gtk_box_pack_start(GTK_BOX(result_vbox), toggle, FALSE, FALSE, 0);
    GtkWidget *status = gtk_label_new("");
    gtk_label_set_line_wrap(GTK_LABEL(status), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(status), 36);
    gtk_box_pack_start(GTK_BOX(result_vbox), status, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), result_frame, FALSE, FALSE, 0);

    GtkWidget *content = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_box_pack_start(GTK_BOX(content), hbox, TRUE, TRUE, 0);
    gtk_box_reorder_child(GTK_BOX(content), hbox, 0);
    gtk_widget_show_all(hbox);

    /* Our own option widgets instead of gimp_procedure_dialog_fill(): the
     * model list is read from the model folders each time, and 0 shows as
     * "Automatic"; they edit state.options, which on_options_changed()
     * writes back to the config. */
    state.options_ui = srgan_options_ui_new(&state.options, gimp_image_get_width(image),
                                            gimp_image_get_height(image),
                                            on_options_changed, &state);
    GtkWidget *options_widget = srgan_options_ui_get_widget(state.options_ui);
    gtk_container_set_border_width(GTK_CONTAINER(options_widget), 12);
    gtk_box_pack_start(GTK_BOX(content), options_widget, FALSE, FALSE, 0);
    gtk_box_reorder_child(GTK_BOX(content), options_widget, 1);

    GeglBuffer *buffer = gimp_drawable_get_buffer(drawable);
    state.preview = srgan_preview_new(GIMP_PREVIEW(source), area,
                                      GTK_TOGGLE_BUTTON(toggle), GTK_LABEL(status),
                                      buffer, &state.options);
    g_object_unref(buffer);
    g_signal_connect(config, "notify", G_CALLBACK(on_config_changed), &state);

    srgan_preview_update(state.preview);
    gboolean ok = gimp_procedure_dialog_run(GIMP_PROCEDURE_DIALOG(dialog));

    g_signal_handlers_disconnect_by_data(config, &state);
    srgan_preview_free(state.preview);
    gtk_widget_destroy(dialog);
    srgan_options_ui_free(state.options_ui);
    srgan_plugin_options_clear(&state.options);
    return ok;
}

/* ---- The upscale ------------------------------------------------------- */

typedef struct {
    int layer, layers;
} ProgressSpan;

static gboolean
on_progress(gpointer user_data, double fraction)
{
    ProgressSpan *span = user_data;

    double overall = (span->layer + fraction) / span->layers;

    gimp_progress_update(overall);
    srgan_plugin_test_progress(overall);
    return TRUE;   /* a cancel in GIMP kills the plug-in: nothing to undo */
}

static gboolean
check_drawables(GimpImage *image, GimpDrawable **drawables, int n, GError **error)
{
    if (gimp_image_get_base_type(image) == GIMP_INDEXED) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                            _("SRGAN works on RGB and grayscale images. Convert this "
                              "indexed image with Image → Mode → RGB first."));
        return FALSE;
    }
    if (n == 0) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                            _("No layer is selected."));
        return FALSE;
    }
    for (int i = 0; i < n; i++) {
        if (!GIMP_IS_LAYER(drawables[i]) || gimp_item_is_group(GIMP_ITEM(drawables[i]))) {
            g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                                _("SRGAN upscales a layer: select a layer (not a layer "
                                  "group, a mask or a channel)."));
            return FALSE;
        }
    }
    return TRUE;
}

/* Refuses, before anything is changed, a layer (chosen or not: the whole
 * image is scaled) that would exceed GIMP's size limit once scaled; layer
 * groups are walked into, since their children are scaled too.  A layer
 * may be larger than the canvas, so the canvas check alone is not enough. */
static gboolean
check_layer_sizes(GimpItem **items, int scale, GError **error)
{
    for (int i = 0; items != NULL && items[i] != NULL; i++) {
        GimpDrawable *drawable = GIMP_DRAWABLE(items[i]);
        int w = gimp_drawable_get_width(drawable), h = gimp_drawable_get_height(drawable);

        if ((gint64) w * scale > GIMP_MAX_IMAGE_SIZE || (gint64) h * scale > GIMP_MAX_IMAGE_SIZE) {
            g_autofree char *name = gimp_item_get_name(items[i]);

            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_TOO_LARGE,
                        _("The layer “%s” (%d×%d) would be larger than GIMP's limit of "
                          "%d pixels per side once scaled %d×."),
                        name, w, h, GIMP_MAX_IMAGE_SIZE, scale);
            return FALSE;
        }
        if (gimp_item_is_group(items[i])) {
            g_autofree GimpItem **children = gimp_item_get_children(items[i]);

            if (!check_layer_sizes(children, scale, error))
                return FALSE;
        }
    }
    return TRUE;
}

/* The core's memory budget from GIMP's tile cache size (gimprc
 * tile-cache-size; GIMP answers with its default when gimprc has none). */
static gsize
memory_limit_from_gimprc(void)
{
    g_autofree char *value = gimp_gimprc_query("tile-cache-size");
    guint64 bytes = 0;

    if (value == NULL || !gimp_memsize_deserialize(value, &bytes))
        return 0;
    return srgan_plugin_memory_limit(bytes);
}

static gboolean
upscale(GimpImage *image, GimpDrawable **drawables, const SrganPluginOptions *options,
        GError **error)
{
    int n = 0;

    while (drawables != NULL && drawables[n] != NULL)
        n++;
    if (!check_drawables(image, drawables, n, error) ||
        !srgan_plugin_options_validate(options, error))
        return FALSE;

    g_autoptr(SrganModel) model = srgan_plugin_load_model(options, error);
    if (model == NULL)
        return FALSE;

    int scale = srgan_model_get_scale(model);
    int image_w = gimp_image_get_width(image), image_h = gimp_image_get_height(image);

    if ((gint64) image_w * scale > GIMP_MAX_IMAGE_SIZE ||
        (gint64) image_h * scale > GIMP_MAX_IMAGE_SIZE) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_TOO_LARGE,
                    _("The result would be larger than GIMP's limit of %d pixels per side."),
                    GIMP_MAX_IMAGE_SIZE);
        return FALSE;
    }
    g_autofree GimpLayer **layers = gimp_image_get_layers(image);
    if (!check_layer_sizes((GimpItem **) layers, scale, error))
        return FALSE;
    /* The core's own checks (tile buffers against the memory budget
     * above all) for every chosen layer, before the first is computed. */
    for (int i = 0; i < n; i++) {
        if (!srgan_plugin_check(model, gimp_drawable_get_format(drawables[i]),
                                gimp_drawable_get_width(drawables[i]),
                                gimp_drawable_get_height(drawables[i]), options, error))
            return FALSE;
    }

    gimp_progress_init(_("SRGAN super-resolution"));

    /* Compute every layer into a new buffer; the image is not touched yet. */
    g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func(g_object_unref);
    for (int i = 0; i < n; i++) {
        int w = gimp_drawable_get_width(drawables[i]);
        int h = gimp_drawable_get_height(drawables[i]);
        GeglRectangle extent = { 0, 0, w, h };
        GeglRectangle out_extent = { 0, 0, w * scale, h * scale };
        GeglBuffer *layer_buffer = gimp_drawable_get_buffer(drawables[i]);
        g_autoptr(GeglBuffer) src = srgan_plugin_copy_to_memory(layer_buffer, &extent);
        GeglBuffer *dst = gegl_buffer_new(&out_extent, gegl_buffer_get_format(layer_buffer));
        ProgressSpan span = { i, n };

        g_object_unref(layer_buffer);
        g_ptr_array_add(results, dst);
        if (!srgan_plugin_render(model, src, &extent, dst, options,
                                 on_progress, &span, NULL, error))
            return FALSE;
    }

    /* Commit: one undo group.  Nothing below can fail on an image that
     * passed the checks above: scaling by a whole factor gives every layer
     * exactly `scale` times its size. */
    gimp_image_undo_group_start(image);
    gimp_context_push();
    gimp_context_set_interpolation(GIMP_INTERPOLATION_CUBIC);
    gboolean ok = gimp_image_scale(image, image_w * scale, image_h * scale);
    gimp_context_pop();

    for (int i = 0; ok && i < n; i++) {
        GeglBuffer *dst = g_ptr_array_index(results, i);
        const GeglRectangle *out = gegl_buffer_get_extent(dst);

        if (gimp_drawable_get_width(drawables[i]) != out->width ||
            gimp_drawable_get_height(drawables[i]) != out->height) {
            ok = FALSE;
            break;
        }
        GeglBuffer *shadow = gimp_drawable_get_shadow_buffer(drawables[i]);
        gegl_buffer_copy(dst, NULL, GEGL_ABYSS_NONE, shadow, NULL);
        gegl_buffer_flush(shadow);
        g_object_unref(shadow);
        gimp_drawable_merge_shadow(drawables[i], TRUE);
        gimp_drawable_update(drawables[i], 0, 0, out->width, out->height);
    }
    gimp_image_undo_group_end(image);
    gimp_progress_update(1.0);

    if (!ok) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                            _("GIMP could not scale the image; use Edit → Undo to "
                              "restore it."));
        return FALSE;
    }
    return TRUE;
}

static GimpValueArray *
srgan_run(GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
          GimpDrawable **drawables, GimpProcedureConfig *config, gpointer run_data)
{
    SrganPluginOptions options = { 0 };
    GError *error = NULL;
    (void) run_data;

    gegl_init(NULL, NULL);

    if (run_mode == GIMP_RUN_INTERACTIVE) {
        if (drawables == NULL || drawables[0] == NULL)
            return gimp_procedure_new_return_values(procedure, GIMP_PDB_CALLING_ERROR, NULL);
        if (!show_dialog(procedure, config, image, drawables[0]))
            return gimp_procedure_new_return_values(procedure, GIMP_PDB_CANCEL, NULL);
    }

    options_from_config(&options, config);
    options.memory_limit = memory_limit_from_gimprc();
    gboolean ok = upscale(image, drawables, &options, &error);
    srgan_plugin_options_clear(&options);

    if (!ok)
        return gimp_procedure_new_return_values(procedure, GIMP_PDB_EXECUTION_ERROR, error);
    if (run_mode != GIMP_RUN_NONINTERACTIVE)
        gimp_displays_flush();
    return gimp_procedure_new_return_values(procedure, GIMP_PDB_SUCCESS, NULL);
}
