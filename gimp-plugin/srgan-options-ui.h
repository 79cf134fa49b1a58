/* srgan-options-ui.h — the options part of the dialog, shared by both
 * plug-ins.
 *
 * Model: every installed model (srgan_model_list()) by its display name and
 * what it is good for, then "Model file…" with a file chooser beside it; a
 * line under it says the chosen model's scale and the size the image will
 * have.  Tile size, Threads and Halo: a spin button each, with an
 * "Automatic" check button that stands for 0 (a bare 0 in a spin button
 * says nothing to a new user).  Like srgan-preview.c, only calls that
 * GTK 2 (GIMP 2.10) and GTK 3 (GIMP 3.0) share are used, apart from the
 * table/grid and the label alignment.
 */
#ifndef SRGAN_OPTIONS_UI_H
#define SRGAN_OPTIONS_UI_H

#include "srgan-common.h"   /* GEGL first: libgimpwidgets needs it */
#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _SrganOptionsUi SrganOptionsUi;

/* Called after the user changed `options` through the widgets. */
typedef void (*SrganOptionsChanged)(gpointer user_data);

/* Widgets that edit `options` in place (it must outlive them) and call
 * `changed` after each edit.  image_width × image_height is the image's
 * size, for the line that says what it becomes. */
SrganOptionsUi *srgan_options_ui_new(SrganPluginOptions *options,
                                     int image_width, int image_height,
                                     SrganOptionsChanged changed,
                                     gpointer user_data);

/* The table (GTK 2) or grid (GTK 3) to pack into the dialog. */
GtkWidget *srgan_options_ui_get_widget(SrganOptionsUi *ui);

/* Shows `options` again after something else changed them (GIMP 3's
 * Reset and Load Saved Settings buttons); `changed` is not called. */
void srgan_options_ui_refresh(SrganOptionsUi *ui);

/* Frees the state.  Call it after the dialog was destroyed: the widgets'
 * handlers use it until then. */
void srgan_options_ui_free(SrganOptionsUi *ui);

G_END_DECLS

#endif /* SRGAN_OPTIONS_UI_H */
