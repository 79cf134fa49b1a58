/* srgan-gimp2.c — Filters → Enhance → SRGAN 4x… for GIMP 2.10 (libgimp-2.0).
 *
 * The GIMP 2.10 half of the plug-in: PDB registration with positional
 * arguments, last values through gimp_get_data/gimp_set_data, the dialog
 * (GTK 2), and the commit into the image.  Pixels are upscaled by
 * srgan-common.c, exactly as in the GIMP 3 plug-in.
 *
 * All or nothing: every check comes first (image mode, the drawable, the
 * options, the model, the size of the canvas and of every layer once
 * scaled); then the upscale is computed into a new buffer, within the
 * memory budget derived from GIMP's tile cache.  The image is touched only
 * after it succeeded, inside one undo group: the image is scaled with GIMP's
 * cubic interpolation (canvas, other layers, masks, channels and paths stay
 * aligned), then the chosen layer's pixels are replaced by the SRGAN result
 * through its shadow buffer.  A failed check, a failed upscale or a cancel
 * (GIMP kills the plug-in) leaves the image exactly as it was.
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <locale.h>
#include <string.h>

#include "srgan-common.h"
#include "srgan-intl.h"
#include "srgan-options-ui.h"
#include "srgan-preview.h"

/* What gimp_set_data() keeps between runs (plain data, fixed size).  Data
 * of another size or version (an older plug-in's, in the same GIMP
 * session) is ignored. */
#define SAVED_OPTIONS_VERSION 2
typedef struct {
    gint32 version;
    gint32 tile_size;
    gint32 threads;
    gint32 halo;
    gchar model[256];
    gchar model_file[4096];
} SavedOptions;

static void query(void);
static void run(const gchar *name, gint nparams, const GimpParam *param,
                gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN()

static void
setup_i18n(void)
{
    g_autofree char *dir = srgan_plugin_locale_dir(gimp_get_progname());

    bindtextdomain(GETTEXT_PACKAGE, dir);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}

static void
query(void)
{
    static const GimpParamDef args[] = {
        { GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }" },
        { GIMP_PDB_IMAGE, "image", "Input image" },
        { GIMP_PDB_DRAWABLE, "drawable", "The layer to upscale with SRGAN (other layers are scaled with cubic interpolation)" },
        { GIMP_PDB_STRING, "model", "Short name of an installed model (\"srgan-x4\", the default, also \"\"; \"realesrgan-x4plus\"; ...: the file name without .safetensors; \"x2\", \"x4\", \"x8\" stand for srgan-x2/x4/x8), or the path of a .safetensors model" },
        { GIMP_PDB_INT32, "tile-size", "Low-resolution pixels per tile side, 16-2048; 0 = automatic" },
        { GIMP_PDB_INT32, "threads", "Worker threads, 1-256; 0 = one per CPU core" },
    };
    g_autofree char *dir = srgan_plugin_locale_dir(gimp_get_progname());

    gimp_plugin_domain_register(GETTEXT_PACKAGE, dir);
    gimp_install_procedure(SRGAN_PLUGIN_PROC,
                           N_("Upscale the image with the SRGAN super-resolution network"),
                           "Upscales the whole image by the model's scale (4x by default). "
                           "The chosen layer goes through SRGAN (Ledig et al., CVPR 2017); "
                           "the canvas and the other layers are scaled with cubic interpolation. "
                           "One undo step.",
                           "srgan authors", "srgan authors", "2026",
                           srgan_plugin_menu_label_msgid(srgan_plugin_default_scale()),
                           "RGB*, GRAY*",
                           GIMP_PLUGIN, G_N_ELEMENTS(args), 0, args, NULL);
    gimp_plugin_menu_register(SRGAN_PLUGIN_PROC, SRGAN_PLUGIN_MENU);
}

/* ---- Options <-> PDB / saved data -------------------------------------- */

static gboolean
load_saved(SavedOptions *saved)
{
    return gimp_get_data_size(SRGAN_PLUGIN_PROC) == (gint) sizeof *saved &&
           gimp_get_data(SRGAN_PLUGIN_PROC, saved) &&
           saved->version == SAVED_OPTIONS_VERSION;
}

static void
options_from_saved(SrganPluginOptions *options, const SavedOptions *saved)
{
    g_autofree char *model = g_strndup(saved->model, sizeof saved->model);

    srgan_plugin_options_set_model(options, model);
    options->tile_size = saved->tile_size;
    options->threads = saved->threads;
    options->halo = saved->halo;
    g_free(options->model_file);
    options->model_file = saved->model_file[0] ? g_strndup(saved->model_file, sizeof saved->model_file)
                                               : NULL;
}

static void
options_to_saved(const SrganPluginOptions *options, SavedOptions *saved)
{
    memset(saved, 0, sizeof *saved);
    saved->version = SAVED_OPTIONS_VERSION;
    saved->tile_size = options->tile_size;
    saved->threads = options->threads;
    saved->halo = options->halo;
    g_strlcpy(saved->model, srgan_plugin_model_canonical(options->model), sizeof saved->model);
    if (options->model_file != NULL)
        g_strlcpy(saved->model_file, options->model_file, sizeof saved->model_file);
}

/* ---- Dialog ------------------------------------------------------------ */

static void
on_options_changed(gpointer preview)
{
    srgan_preview_update(preview);
}

static gboolean
show_dialog(gint32 drawable_id, SrganPluginOptions *options)
{
    gimp_ui_init(SRGAN_PLUGIN_BINARY, FALSE);

    GtkWidget *dialog = gimp_dialog_new(_("SRGAN super-resolution"), SRGAN_PLUGIN_ROLE,
                                        NULL, 0, gimp_standard_help_func, SRGAN_PLUGIN_PROC,
                                        _("_Cancel"), GTK_RESPONSE_CANCEL,
                                        _("_OK"), GTK_RESPONSE_OK,
                                        NULL);
    gtk_dialog_set_alternative_button_order(GTK_DIALOG(dialog), GTK_RESPONSE_OK,
                                            GTK_RESPONSE_CANCEL, -1);
    gimp_window_set_transient(GTK_WINDOW(dialog));

    GtkWidget *main_vbox = gtk_vbox_new(FALSE, 12);
    gtk_container_set_border_width(GTK_CONTAINER(main_vbox), 12);
    gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))),
                       main_vbox, TRUE, TRUE, 0);

    /* Original (pannable) | SRGAN result at 100%. */
    GtkWidget *hbox = gtk_hbox_new(FALSE, 12);
    gtk_box_pack_start(GTK_BOX(main_vbox), hbox, TRUE, TRUE, 0);

    GtkWidget *source = gimp_drawable_preview_new_from_drawable_id(drawable_id);
    GtkWidget *source_frame = gimp_frame_new(_("Original — drag to choose the region"));
    gtk_container_add(GTK_CONTAINER(source_frame), source);
    gtk_box_pack_start(GTK_BOX(hbox), source_frame, TRUE, TRUE, 0);

    GtkWidget *result_vbox = gtk_vbox_new(FALSE, 6);
    GtkWidget *result_frame = gimp_frame_new(_("SRGAN result at 100%"));
    GtkWidget *area = gimp_preview_area_new();
    gtk_container_add(GTK_CONTAINER(result_frame), result_vbox);
    gtk_box_pack_start(GTK_BOX(result_vbox), area, FALSE, FALSE, 0);
    GtkWidget *toggle = gtk_check_button_new_with_mnemonic(
        _("Show the _original, enlarged without interpolation"));
    gtk_box_pack_start(GTK_BOX(result_vbox), toggle, FALSE, FALSE, 0);
    GtkWidget *status = gtk_label_new("");
    gtk_label_set_line_wrap(GTK_LABEL(status), TRUE);
    gtk_widget_set_size_request(status, SRGAN_PLUGIN_PREVIEW_SIDE, -1);
    gtk_box_pack_start(GTK_BOX(result_vbox), status, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(hbox), result_frame, FALSE, FALSE, 0);

    GeglBuffer *buffer = gimp_drawable_get_buffer(drawable_id);
    SrganPreview *preview = srgan_preview_new(GIMP_PREVIEW(source), area,
                                              GTK_TOGGLE_BUTTON(toggle), GTK_LABEL(status),
                                              buffer, options);
    g_object_unref(buffer);

    /* Options (shared with GIMP 3): they edit `options` in place. */
    gint32 image_id = gimp_item_get_image(drawable_id);
    SrganOptionsUi *options_ui = srgan_options_ui_new(options, gimp_image_width(image_id),
                                                      gimp_image_height(image_id),
                                                      on_options_changed, preview);
    gtk_box_pack_start(GTK_BOX(main_vbox), srgan_options_ui_get_widget(options_ui),
                       FALSE, FALSE, 0);

    gtk_widget_show_all(dialog);
    srgan_preview_update(preview);

    gboolean ok = (gimp_dialog_run(GIMP_DIALOG(dialog)) == GTK_RESPONSE_OK);

    srgan_preview_free(preview);
    gtk_widget_destroy(dialog);
    srgan_options_ui_free(options_ui);
    return ok;
}

/* ---- The upscale ------------------------------------------------------- */

static gboolean
on_progress(gpointer user_data, double fraction)
{
    (void) user_data;
    gimp_progress_update(fraction);
    srgan_plugin_test_progress(fraction);
    return TRUE;   /* a cancel in GIMP kills the plug-in: nothing to undo */
}

/* Refuses, before anything is changed, a layer (chosen or not: the whole
 * image is scaled) that would exceed GIMP's size limit once scaled; layer
 * groups are walked into, since their children are scaled too. */
static gboolean
check_layer_sizes(const gint *items, int n, int scale, GError **error)
{
    for (int i = 0; i < n; i++) {
        int w = gimp_drawable_width(items[i]), h = gimp_drawable_height(items[i]);

        if ((gint64) w * scale > GIMP_MAX_IMAGE_SIZE || (gint64) h * scale > GIMP_MAX_IMAGE_SIZE) {
            g_autofree char *name = gimp_item_get_name(items[i]);

            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_TOO_LARGE,
                        _("The layer “%s” (%d×%d) would be larger than GIMP's limit of "
                          "%d pixels per side once scaled %d×."),
                        name, w, h, GIMP_MAX_IMAGE_SIZE, scale);
            return FALSE;
        }
        if (gimp_item_is_group(items[i])) {
            gint n_children = 0;
            g_autofree gint *children = gimp_item_get_children(items[i], &n_children);

            if (!check_layer_sizes(children, n_children, scale, error))
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
upscale(gint32 image_id, gint32 drawable_id, const SrganPluginOptions *options,
        GError **error)
{
    if (gimp_image_base_type(image_id) == GIMP_INDEXED) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                            _("SRGAN works on RGB and grayscale images. Convert this "
                              "indexed image with Image → Mode → RGB first."));
        return FALSE;
    }
    if (!gimp_item_is_layer(drawable_id) || gimp_item_is_group(drawable_id)) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                            _("SRGAN upscales a layer: select a layer (not a layer "
                              "group, a mask or a channel)."));
        return FALSE;
    }
    if (!srgan_plugin_options_validate(options, error))
        return FALSE;

    g_autoptr(SrganModel) model = srgan_plugin_load_model(options, error);
    if (model == NULL)
        return FALSE;

    int scale = srgan_model_get_scale(model);
    int image_w = gimp_image_width(image_id), image_h = gimp_image_height(image_id);
    int w = gimp_drawable_width(drawable_id), h = gimp_drawable_height(drawable_id);

    if ((gint64) image_w * scale > GIMP_MAX_IMAGE_SIZE ||
        (gint64) image_h * scale > GIMP_MAX_IMAGE_SIZE ||
        (gint64) w * scale > GIMP_MAX_IMAGE_SIZE ||
        (gint64) h * scale > GIMP_MAX_IMAGE_SIZE) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_TOO_LARGE,
                    _("The result would be larger than GIMP's limit of %d pixels per side."),
                    GIMP_MAX_IMAGE_SIZE);
        return FALSE;
    }
    gint n_layers = 0;
    g_autofree gint *layers = gimp_image_get_layers(image_id, &n_layers);
    if (!check_layer_sizes(layers, n_layers, scale, error))
        return FALSE;
    /* The core's own checks (tile buffers against the memory budget above
     * all), before anything is computed. */
    if (!srgan_plugin_check(model, gimp_drawable_get_format(drawable_id), w, h, options, error))
        return FALSE;

    gimp_progress_init(_("SRGAN super-resolution"));

    /* Compute into a new buffer; the image is not touched yet. */
    GeglRectangle extent = { 0, 0, w, h };
    GeglRectangle out_extent = { 0, 0, w * scale, h * scale };
    GeglBuffer *layer_buffer = gimp_drawable_get_buffer(drawable_id);
    g_autoptr(GeglBuffer) src = srgan_plugin_copy_to_memory(layer_buffer, &extent);
    g_autoptr(GeglBuffer) dst = gegl_buffer_new(&out_extent,
                                                gegl_buffer_get_format(layer_buffer));
    g_object_unref(layer_buffer);

    if (!srgan_plugin_render(model, src, &extent, dst, options,
                             on_progress, NULL, NULL, error))
        return FALSE;

    /* Commit: one undo group. */
    gimp_image_undo_group_start(image_id);
    gimp_context_push();
    gimp_context_set_interpolation(GIMP_INTERPOLATION_CUBIC);
    gboolean scaled = gimp_image_scale(image_id, image_w * scale, image_h * scale);
    gimp_context_pop();

    gboolean ok = scaled &&
                  gimp_drawable_width(drawable_id) == w * scale &&
                  gimp_drawable_height(drawable_id) == h * scale;
    if (ok) {
        GeglBuffer *shadow = gimp_drawable_get_shadow_buffer(drawable_id);
        gegl_buffer_copy(dst, NULL, GEGL_ABYSS_NONE, shadow, NULL);
        gegl_buffer_flush(shadow);
        g_object_unref(shadow);
        gimp_drawable_merge_shadow(drawable_id, TRUE);
        gimp_drawable_update(drawable_id, 0, 0, w * scale, h * scale);
    }
    gimp_image_undo_group_end(image_id);
    gimp_progress_update(1.0);

    if (!ok) {
        g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                            _("GIMP could not scale the image; use Edit → Undo to "
                              "restore it."));
        return FALSE;
    }
    return TRUE;
}

static void
run(const gchar *name, gint nparams, const GimpParam *param,
    gint *nreturn_vals, GimpParam **return_vals)
{
    static GimpParam values[2];
    static char *message;
    GimpRunMode run_mode = param[0].data.d_int32;
    SrganPluginOptions options = { 0 };
    SavedOptions saved;
    g_autoptr(GError) error = NULL;
    GimpPDBStatusType status = GIMP_PDB_SUCCESS;
    (void) name;

    setlocale(LC_ALL, "");
    setup_i18n();
    gegl_init(NULL, NULL);

    *nreturn_vals = 1;
    *return_vals = values;
    values[0].type = GIMP_PDB_STATUS;

    gint32 image_id = param[1].data.d_image;
    gint32 drawable_id = param[2].data.d_drawable;

    switch (run_mode) {
    case GIMP_RUN_INTERACTIVE:
        if (load_saved(&saved))
            options_from_saved(&options, &saved);
        if (!show_dialog(drawable_id, &options))
            status = GIMP_PDB_CANCEL;
        break;
    case GIMP_RUN_NONINTERACTIVE:
        if (nparams < 3) {
            status = GIMP_PDB_CALLING_ERROR;
            break;
        }
        /* A name, an alias, "" for the default, or a file's path
         * (srgan_plugin_model_path() tells them apart). */
        srgan_plugin_options_set_model(&options, nparams > 3 ? param[3].data.d_string : NULL);
        options.tile_size = nparams > 4 ? param[4].data.d_int32 : 0;
        options.threads = nparams > 5 ? param[5].data.d_int32 : 0;
        break;
    case GIMP_RUN_WITH_LAST_VALS:
        if (load_saved(&saved))
            options_from_saved(&options, &saved);
        break;
    default:
        status = GIMP_PDB_CALLING_ERROR;
    }

    options.memory_limit = memory_limit_from_gimprc();
    if (status == GIMP_PDB_SUCCESS) {
        if (upscale(image_id, drawable_id, &options, &error)) {
            if (run_mode != GIMP_RUN_NONINTERACTIVE)
                gimp_displays_flush();
            if (run_mode == GIMP_RUN_INTERACTIVE) {
                options_to_saved(&options, &saved);
                gimp_set_data(SRGAN_PLUGIN_PROC, &saved, sizeof saved);
            }
        } else {
            status = GIMP_PDB_EXECUTION_ERROR;
            g_free(message);
            message = g_strdup(error->message);
            *nreturn_vals = 2;
            values[1].type = GIMP_PDB_STRING;
            values[1].data.d_string = message;
        }
    }
    values[0].data.d_status = status;
    srgan_plugin_options_clear(&options);
}
