/* srgan-options-ui.c — the dialog's option widgets (see srgan-options-ui.h). */
#include "srgan-options-ui.h"
#include "srgan-intl.h"

#include <string.h>

enum { COLUMN_ID, COLUMN_LABEL, N_COLUMNS };

/* Value a spin button starts from when "Automatic" is unchecked and the
 * option was 0: the tile size the core often picks, and a halo that hides
 * seams for SRResNet. */
#define MANUAL_TILE_SIZE 256
#define MANUAL_HALO      32

/* A count where 0 means automatic: a spin button for 1… and a check button
 * "Automatic" that disables it and stands for 0.  While it is automatic the
 * spin button shows no number, since none is used (the library picks one
 * for each image). */
typedef struct {
    SrganOptionsUi *ui;
    int *target;
    int min, max;
    GtkWidget *box;
    GtkSpinButton *spin;
    GtkToggleButton *automatic;
} AutoSpin;

struct _SrganOptionsUi {
    SrganPluginOptions *options;
    int image_width, image_height;
    SrganOptionsChanged changed;
    gpointer user_data;
    gboolean refreshing;        /* widgets set from options: no callbacks */
    GtkWidget *table;
    GtkComboBox *model_combo;
    GtkListStore *models;
    GtkWidget *file_button;
    GtkLabel *scale_label;
    AutoSpin tile, threads, halo;
};

/* ---- Layout (GTK 2 table, GTK 3 grid) ------------------------------------ */

static GtkWidget *
table_new(int rows)
{
#if GTK_MAJOR_VERSION >= 3
    GtkWidget *grid = gtk_grid_new();
    (void) rows;
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    return grid;
#else
    GtkWidget *table = gtk_table_new(rows, 2, FALSE);
    gtk_table_set_row_spacings(GTK_TABLE(table), 6);
    gtk_table_set_col_spacings(GTK_TABLE(table), 12);
    return table;
#endif
}

static GtkWidget *
hbox_new(void)
{
#if GTK_MAJOR_VERSION >= 3
    return gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
#else
    return gtk_hbox_new(FALSE, 12);
#endif
}

static void
label_align_left(GtkWidget *label)
{
#if GTK_MAJOR_VERSION >= 3
    gtk_label_set_xalign(GTK_LABEL(label), 0.0);
#else
    gtk_misc_set_alignment(GTK_MISC(label), 0.0, 0.5);
#endif
}

/* Row `row`: a label with a mnemonic for `target` (none when `text` is
 * NULL), then `widget`, which takes the rest of the width. */
static void
table_attach(GtkWidget *table, int row, const char *text, GtkWidget *widget,
             GtkWidget *target)
{
    GtkWidget *label = NULL;

    if (text != NULL) {
        label = gtk_label_new_with_mnemonic(text);
        label_align_left(label);
        gtk_label_set_mnemonic_widget(GTK_LABEL(label), target);
    }
#if GTK_MAJOR_VERSION >= 3
    if (label != NULL)
        gtk_grid_attach(GTK_GRID(table), label, 0, row, 1, 1);
    gtk_widget_set_hexpand(widget, TRUE);
    gtk_grid_attach(GTK_GRID(table), widget, 1, row, 1, 1);
#else
    if (label != NULL)
        gtk_table_attach(GTK_TABLE(table), label, 0, 1, row, row + 1,
                         GTK_FILL, GTK_FILL, 0, 0);
    gtk_table_attach(GTK_TABLE(table), widget, 1, 2, row, row + 1,
                     GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
#endif
}

/* ---- Model --------------------------------------------------------------- */

static void
notify_changed(SrganOptionsUi *ui)
{
    if (ui->changed != NULL)
        ui->changed(ui->user_data);
}

/* "Enlarges 4×: …" for the chosen model, or why it cannot be used. */
static void
update_scale_label(SrganOptionsUi *ui)
{
    g_autoptr(GError) error = NULL;
    int scale = srgan_plugin_model_scale(ui->options, &error);
    g_autofree char *text = NULL;

    if (scale == 0)
        text = g_strdup(error->message);
    else
        text = g_strdup_printf(_("Enlarges %d×: the image becomes %d × %d pixels."),
                               scale, ui->image_width * scale, ui->image_height * scale);
    gtk_label_set_text(ui->scale_label, text);
}

static void
insert_model(SrganOptionsUi *ui, int position, const char *model)
{
    g_autofree char *label = srgan_plugin_model_label(model);

    gtk_list_store_insert_with_values(ui->models, NULL, position,
                                      COLUMN_ID, model, COLUMN_LABEL, label, -1);
}

/* The installed models, the default first even when it is only reachable
 * through $SRGAN_MODEL (or missing: the list then says so), and the
 * "Model file…" entry last. */
static void
fill_models(SrganOptionsUi *ui)
{
    g_auto(GStrv) names = srgan_model_list();

    if (!g_strv_contains((const char *const *) names, SRGAN_PLUGIN_DEFAULT_MODEL))
        insert_model(ui, -1, SRGAN_PLUGIN_DEFAULT_MODEL);
    for (int i = 0; names[i] != NULL; i++)
        insert_model(ui, -1, names[i]);
    gtk_list_store_insert_with_values(ui->models, NULL, -1,
                                      COLUMN_ID, SRGAN_PLUGIN_MODEL_FILE,
                                      COLUMN_LABEL, _("Model file…"), -1);
}

/* Selects the options' model, adding it above "Model file…" when it is
 * not in the list (a name given by a script, a model since removed), so
 * that the dialog never shows another model than the one that will run. */
static void
select_model(SrganOptionsUi *ui)
{
    GtkTreeModel *model = GTK_TREE_MODEL(ui->models);
    const char *want = srgan_plugin_model_canonical(ui->options->model);
    GtkTreeIter iter;
    int rows = 0;

    for (gboolean ok = gtk_tree_model_get_iter_first(model, &iter); ok;
         ok = gtk_tree_model_iter_next(model, &iter), rows++) {
        g_autofree char *id = NULL;

        gtk_tree_model_get(model, &iter, COLUMN_ID, &id, -1);
        if (g_strcmp0(id, want) == 0) {
            gtk_combo_box_set_active_iter(ui->model_combo, &iter);
            return;
        }
    }
    insert_model(ui, rows - 1, want);
    gtk_combo_box_set_active(ui->model_combo, rows - 1);
}

static void
on_model_changed(GtkComboBox *combo, SrganOptionsUi *ui)
{
    GtkTreeIter iter;
    g_autofree char *id = NULL;

    if (ui->refreshing || !gtk_combo_box_get_active_iter(combo, &iter))
        return;
    gtk_tree_model_get(GTK_TREE_MODEL(ui->models), &iter, COLUMN_ID, &id, -1);
    srgan_plugin_options_set_model(ui->options, id);
    gtk_widget_set_sensitive(ui->file_button, srgan_plugin_options_use_file(ui->options));
    update_scale_label(ui);
    notify_changed(ui);
}

static void
on_file_set(GtkFileChooser *chooser, SrganOptionsUi *ui)
{
    if (ui->refreshing)
        return;
    g_free(ui->options->model_file);
    ui->options->model_file = gtk_file_chooser_get_filename(chooser);
    update_scale_label(ui);
    notify_changed(ui);
}

static GtkWidget *
model_combo_new(SrganOptionsUi *ui)
{
    GtkCellRenderer *renderer = gtk_cell_renderer_text_new();

    ui->models = gtk_list_store_new(N_COLUMNS, G_TYPE_STRING, G_TYPE_STRING);
    fill_models(ui);
    GtkWidget *combo = gtk_combo_box_new_with_model(GTK_TREE_MODEL(ui->models));

    gtk_cell_layout_pack_start(GTK_CELL_LAYOUT(combo), renderer, TRUE);
    gtk_cell_layout_add_attribute(GTK_CELL_LAYOUT(combo), renderer, "text", COLUMN_LABEL);
    gtk_widget_set_tooltip_text(combo,
        _("The installed models, each with what it is good for; “Model file…” "
          "uses any srgan .safetensors file."));
    ui->model_combo = GTK_COMBO_BOX(combo);
    return combo;
}

static GtkWidget *
file_button_new(SrganOptionsUi *ui)
{
    GtkWidget *button = gtk_file_chooser_button_new(_("Choose an SRGAN model file"),
                                                    GTK_FILE_CHOOSER_ACTION_OPEN);
    GtkFileFilter *filter = gtk_file_filter_new();

    gtk_file_filter_set_name(filter, _("SRGAN models (*.safetensors)"));
    gtk_file_filter_add_pattern(filter, "*.safetensors");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(button), filter);
    ui->file_button = button;
    return button;
}

/* ---- Automatic counts ---------------------------------------------------- */

/* Redraws the spin button's text (set_value emits "output" even when the
 * value stays the same). */
static void
auto_spin_redraw(AutoSpin *a)
{
    gtk_spin_button_set_value(a->spin, gtk_spin_button_get_value(a->spin));
}

static void
auto_spin_show(AutoSpin *a, int manual)
{
    int value = *a->target;

    gtk_toggle_button_set_active(a->automatic, value == 0);
    gtk_spin_button_set_value(a->spin, value != 0 ? CLAMP(value, a->min, a->max) : manual);
    gtk_widget_set_sensitive(GTK_WIDGET(a->spin), value != 0);
    auto_spin_redraw(a);
}

static gboolean
on_spin_output(GtkSpinButton *spin, AutoSpin *a)
{
    if (!gtk_toggle_button_get_active(a->automatic))
        return FALSE;   /* GTK prints the number */
    gtk_entry_set_text(GTK_ENTRY(spin), "");
    return TRUE;
}

/* Keeps the hidden number when GTK reads the (empty) text back. */
static gint
on_spin_input(GtkSpinButton *spin, gdouble *new_value, AutoSpin *a)
{
    if (!gtk_toggle_button_get_active(a->automatic))
        return FALSE;   /* GTK parses the text */
    *new_value = gtk_spin_button_get_value(spin);
    return TRUE;
}

static void
on_automatic_toggled(GtkToggleButton *button, AutoSpin *a)
{
    gboolean automatic = gtk_toggle_button_get_active(button);

    if (a->ui->refreshing)
        return;
    gtk_widget_set_sensitive(GTK_WIDGET(a->spin), !automatic);
    auto_spin_redraw(a);
    *a->target = automatic ? 0 : gtk_spin_button_get_value_as_int(a->spin);
    notify_changed(a->ui);
}

static void
on_spin_changed(GtkSpinButton *spin, AutoSpin *a)
{
    if (a->ui->refreshing || gtk_toggle_button_get_active(a->automatic))
        return;
    *a->target = gtk_spin_button_get_value_as_int(spin);
    notify_changed(a->ui);
}

static GtkWidget *
auto_spin_init(AutoSpin *a, SrganOptionsUi *ui, int *target, int min, int max,
               int manual, const char *tooltip)
{
    *a = (AutoSpin){ .ui = ui, .target = target, .min = min, .max = max };
    a->box = hbox_new();
    a->spin = GTK_SPIN_BUTTON(gtk_spin_button_new_with_range(min, max, 1));
    gtk_spin_button_set_numeric(a->spin, TRUE);
    gtk_entry_set_width_chars(GTK_ENTRY(a->spin), 6);
    a->automatic = GTK_TOGGLE_BUTTON(gtk_check_button_new_with_label(_("Automatic")));
    gtk_box_pack_start(GTK_BOX(a->box), GTK_WIDGET(a->spin), FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(a->box), GTK_WIDGET(a->automatic), FALSE, FALSE, 0);
    gtk_widget_set_tooltip_text(a->box, tooltip);
    g_signal_connect(a->spin, "output", G_CALLBACK(on_spin_output), a);
    g_signal_connect(a->spin, "input", G_CALLBACK(on_spin_input), a);
    auto_spin_show(a, manual);
    g_signal_connect(a->automatic, "toggled", G_CALLBACK(on_automatic_toggled), a);
    g_signal_connect(a->spin, "value-changed", G_CALLBACK(on_spin_changed), a);
    return a->box;
}

static int
manual_threads(void)
{
    return CLAMP((int) g_get_num_processors(), 1, SRGAN_THREADS_MAX);
}

/* ---- Public -------------------------------------------------------------- */

SrganOptionsUi *
srgan_options_ui_new(SrganPluginOptions *options, int image_width, int image_height,
                     SrganOptionsChanged changed, gpointer user_data)
{
    SrganOptionsUi *ui = g_new0(SrganOptionsUi, 1);

    ui->options = options;
    ui->image_width = image_width;
    ui->image_height = image_height;
    ui->changed = changed;
    ui->user_data = user_data;
    ui->table = table_new(6);

    GtkWidget *combo = model_combo_new(ui);
    table_attach(ui->table, 0, _("_Model"), combo, combo);
    GtkWidget *file_button = file_button_new(ui);
    table_attach(ui->table, 1, _("Model _file"), file_button, file_button);
    GtkWidget *scale_label = gtk_label_new("");
    label_align_left(scale_label);
    gtk_label_set_line_wrap(GTK_LABEL(scale_label), TRUE);
    ui->scale_label = GTK_LABEL(scale_label);
    table_attach(ui->table, 2, NULL, scale_label, NULL);

    GtkWidget *tile = auto_spin_init(&ui->tile, ui, &options->tile_size, SRGAN_TILE_SIZE_MIN,
        SRGAN_PLUGIN_TILE_MAX, MANUAL_TILE_SIZE,
        _("Low-resolution pixels per tile side (16 to 2048); 0 = automatic. "
          "Trades memory for speed, never quality."));
    table_attach(ui->table, 3, _("_Tile size"), tile, GTK_WIDGET(ui->tile.spin));
    GtkWidget *threads = auto_spin_init(&ui->threads, ui, &options->threads, 1,
        SRGAN_THREADS_MAX, manual_threads(), _("Worker threads; 0 = one per CPU core"));
    table_attach(ui->table, 4, _("T_hreads"), threads, GTK_WIDGET(ui->threads.spin));
    GtkWidget *halo = auto_spin_init(&ui->halo, ui, &options->halo, 1, SRGAN_PLUGIN_HALO_MAX,
                                     MANUAL_HALO, srgan_plugin_halo_blurb());
    table_attach(ui->table, 5, _("Ha_lo"), halo, GTK_WIDGET(ui->halo.spin));

    srgan_options_ui_refresh(ui);
    g_signal_connect(combo, "changed", G_CALLBACK(on_model_changed), ui);
    g_signal_connect(file_button, "file-set", G_CALLBACK(on_file_set), ui);
    gtk_widget_show_all(ui->table);
    return ui;
}

GtkWidget *
srgan_options_ui_get_widget(SrganOptionsUi *ui)
{
    return ui->table;
}

void
srgan_options_ui_refresh(SrganOptionsUi *ui)
{
    ui->refreshing = TRUE;
    select_model(ui);
    if (ui->options->model_file != NULL)
        gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(ui->file_button),
                                      ui->options->model_file);
    else
        gtk_file_chooser_unselect_all(GTK_FILE_CHOOSER(ui->file_button));
    gtk_widget_set_sensitive(ui->file_button, srgan_plugin_options_use_file(ui->options));
    auto_spin_show(&ui->tile, MANUAL_TILE_SIZE);
    auto_spin_show(&ui->threads, manual_threads());
    auto_spin_show(&ui->halo, MANUAL_HALO);
    update_scale_label(ui);
    ui->refreshing = FALSE;
}

void
srgan_options_ui_free(SrganOptionsUi *ui)
{
    if (ui == NULL)
        return;
    g_clear_object(&ui->models);
    g_free(ui);
}
