/* srgan-preview.h — the dialog's live preview, shared by both plug-ins.
 *
 * The user pans a GimpDrawablePreview over the source at 100%; the square
 * in the middle of what it shows is upscaled by srgan_plugin_render() (the
 * same function as the final run) on a worker thread and drawn at 100% of
 * the result in a GimpPreviewArea beside it; a dashed outline on the source
 * preview marks that square.  A toggle swaps the result for
 * the original pixels enlarged by the same factor (nearest neighbour, so
 * the comparison shows what the network added).  Only GTK and libgimpwidgets
 * calls that GIMP 2.10 (GTK 2) and GIMP 3.0 (GTK 3) share are used here;
 * the layout lives in each plug-in's dialog code.
 */
#ifndef SRGAN_PREVIEW_H
#define SRGAN_PREVIEW_H

#include "srgan-common.h"   /* GEGL first: libgimpwidgets needs it */
#include <gtk/gtk.h>
#include <libgimpwidgets/gimpwidgets.h>

G_BEGIN_DECLS

typedef struct _SrganPreview SrganPreview;

/* `source` pans the drawable (GimpDrawablePreview); `result` is a
 * GimpPreviewArea of SRGAN_PLUGIN_PREVIEW_SIDE² pixels; `show_original`
 * toggles it; `status` says what is shown or what went wrong.
 * `drawable_buffer` is the drawable's buffer (read on the main thread
 * only).  `options` is read at each update and must outlive the preview. */
SrganPreview *srgan_preview_new(GimpPreview *source, GtkWidget *result,
                                GtkToggleButton *show_original,
                                GtkLabel *status,
                                GeglBuffer *drawable_buffer,
                                const SrganPluginOptions *options);

/* Recomputes the preview (call after an option changed). */
void srgan_preview_update(SrganPreview *preview);

/* Cancels a running computation and releases the preview. */
void srgan_preview_free(SrganPreview *preview);

G_END_DECLS

#endif /* SRGAN_PREVIEW_H */
