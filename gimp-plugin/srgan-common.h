/* srgan-common.h — everything the GIMP 3.0 and GIMP 2.10 plug-ins share.
 *
 * Nothing here includes libgimp: this is the part of the plug-in that talks
 * to libsrgan and GEGL only, so both plug-ins upscale pixels the same way.
 * The GIMP-specific files (srgan-gimp3.c, srgan-gimp2.c) own arguments,
 * dialogs, undo, resizing and progress; they call srgan_plugin_render() for
 * both the preview and the final result, so the two cannot drift apart.
 */
#ifndef SRGAN_COMMON_H
#define SRGAN_COMMON_H

#include <glib.h>
#include <gegl.h>
#include <srgan.h>

G_BEGIN_DECLS

#define SRGAN_PLUGIN_PROC    "plug-in-srgan"
#define SRGAN_PLUGIN_BINARY  "srgan"
#define SRGAN_PLUGIN_ROLE    "srgan"
#define SRGAN_PLUGIN_MENU    "<Image>/Filters/Enhance"

/* Limits of the user-visible options (also the PDB argument ranges). */
#define SRGAN_PLUGIN_TILE_MIN      0     /* 0 = let the core choose */
#define SRGAN_PLUGIN_TILE_MAX      2048

/* Side, in output pixels, of the preview's result square. */
#define SRGAN_PLUGIN_PREVIEW_SIDE  256

/* The model a run uses, as the PDB argument and the dialog give it: an
 * installed model's short name (see srgan_model_list()), or "file" for the
 * path in SrganPluginOptions.model_file.  The default, srgan-x4, honours
 * $SRGAN_MODEL like the core's default.  Older versions offered the
 * choices "x2", "x4" and "x8": they still stand for srgan-x2/x4/x8. */
#define SRGAN_PLUGIN_DEFAULT_MODEL "srgan-x4"
#define SRGAN_PLUGIN_MODEL_FILE    "file"

/* Largest halo the options accept (0 = the model's default).  Beyond a
 * model's receptive radius it changes nothing (the core clamps it); the
 * largest shipped radius, RRDBNet's, is about 350 source pixels. */
#define SRGAN_PLUGIN_HALO_MAX      1024

typedef struct {
    char *model;        /* short name, alias, "file" or a path; NULL or "" =
                           the default model; owned */
    char *model_file;   /* used when model is "file"; owned */
    int halo;           /* 0 = the model's default, else 1…SRGAN_PLUGIN_HALO_MAX */
    int tile_size;      /* 0 = automatic, else 16…SRGAN_PLUGIN_TILE_MAX */
    int threads;        /* 0 = automatic, else 1…SRGAN_THREADS_MAX */
    /* Bytes the core may use for its tile buffers (SrganParams.memory_limit);
     * 0 = the core's default.  Not a user option: the GIMP side sets it
     * from GIMP's tile cache size, see srgan_plugin_memory_limit(). */
    gsize memory_limit;
} SrganPluginOptions;

void srgan_plugin_options_clear(SrganPluginOptions *options);

/* Replaces options->model by a copy of `model` in canonical form (see
 * srgan_plugin_model_canonical()). */
void srgan_plugin_options_set_model(SrganPluginOptions *options, const char *model);

/* Whether the options' model is "file" (the path in model_file). */
gboolean srgan_plugin_options_use_file(const SrganPluginOptions *options);

/* The short name a model value stands for: "srgan-x4" for NULL, "" and
 * "x4", "srgan-x2" for "x2", "srgan-x8" for "x8"; anything else as it is.
 * The result is `model` itself or a constant. */
const char *srgan_plugin_model_canonical(const char *model);

/* Checks ranges and that a "file" choice names a file; a clear, translated
 * message in `error` otherwise. */
gboolean srgan_plugin_options_validate(const SrganPluginOptions *options,
                                       GError **error);

/* The file the options' model resolves to: model_file for "file", $SRGAN_MODEL
 * for the default when set, else the model found by name in the model
 * folders (srgan_model_find()).  NULL with a translated message naming the
 * installed models when there is no such model.  Free with g_free(). */
char *srgan_plugin_model_path(const SrganPluginOptions *options, GError **error);

/* Loads the model the options name, with a message that says which file
 * could not be used and why. */
SrganModel *srgan_plugin_load_model(const SrganPluginOptions *options,
                                    GError **error);

/* The scale (2, 4 or 8) of the options' model read from its header alone
 * (cheap: the dialog calls it on every change of model), or 0 with
 * `error` set. */
int srgan_plugin_model_scale(const SrganPluginOptions *options, GError **error);

/* What a model list shows for a model value (a name, as in
 * SrganPluginOptions.model): "display_name — description" from its
 * metadata, the description translated when it is a shipped model's; the
 * name when the metadata lacks them; "name (not found)" when there is no
 * such model.  Free with g_free(). */
char *srgan_plugin_model_label(const char *model);

/* The halo the core will read around each tile for these options: the
 * model's default, or the chosen one up to the model's receptive radius. */
int srgan_plugin_effective_halo(SrganModel *model, const SrganPluginOptions *options);

/* Translated description of the halo option (PDB argument and tooltip). */
const char *srgan_plugin_halo_blurb(void);

/* The core's memory budget for a GIMP whose tile cache (gimprc
 * `tile-cache-size`, in bytes) is `tile_cache_bytes`; 0 when unknown. */
gsize srgan_plugin_memory_limit(guint64 tile_cache_bytes);

/* Test hooks, read from the environment (GIMP passes its own environment
 * to plug-ins); the tests in tests/gimp use them, users never need them:
 *   SRGAN_TEST_FAIL_AFTER_TILES=N  every source read after the first N of
 *       this plug-in run fails, as a read error would: a layer that fails
 *       half-way, after others (or part of it) were already upscaled.
 *   SRGAN_TEST_PROGRESS_FILE=PATH  each progress update of the final
 *       upscale is written to PATH (replaced atomically), so that a test
 *       can wait until the upscale is under way instead of sleeping.
 * Without them set, both cost one getenv per run. */
void srgan_plugin_test_progress(double fraction);

/* Scale of the default (4×) model if it can be read, else 4: the menu
 * label follows it. */
int srgan_plugin_default_scale(void);

/* The menu label for a model scale, untranslated (a msgid: GIMP 2.10
 * translates it in the core with our domain, GIMP 3 plug-ins call _()). */
const char *srgan_plugin_menu_label_msgid(int scale);

/* The float layout and babl format the generator is fed for a buffer of
 * `format`: perceptual (R'G'B' / Y') floats, alpha kept when present,
 * in the buffer's own colour space. */
SrganPixels srgan_plugin_pixels_for_format(const Babl *format);
const Babl *srgan_plugin_float_format(SrganPixels pixels, const Babl *space_of);

/* Upscales `region` (source coordinates of `src`) through the model and
 * writes the result into `dst` at region × scale (output coordinates:
 * `dst` must cover them).  `src` must be safe to read from another thread
 * (an in-memory buffer, not a GIMP drawable's tile-backed buffer): the core
 * reads it from its worker threads.  The source pixels around the region
 * that influence it (the model's halo) are read too, so a small region
 * gives exactly the pixels the whole image would have there.
 * Used for the dialog preview and for the final result alike. */
gboolean srgan_plugin_render(SrganModel *model,
                             GeglBuffer *src,
                             const GeglRectangle *region,
                             GeglBuffer *dst,
                             const SrganPluginOptions *options,
                             SrganProgressFunc progress,
                             gpointer progress_data,
                             GCancellable *cancellable,
                             GError **error);

/* Everything srgan_plugin_render() would refuse for a whole `width`×`height`
 * buffer of `format` (the options, sizes, the tile buffers against
 * options->memory_limit), checked without computing anything, so that a
 * front end can refuse before it touches its image.  A memory refusal
 * says how to raise GIMP's budget. */
gboolean srgan_plugin_check(SrganModel *model, const Babl *format,
                            int width, int height,
                            const SrganPluginOptions *options,
                            GError **error);

/* An in-memory copy of `rect` of `drawable_buffer` (same format), safe to
 * hand to srgan_plugin_render() on any thread. */
GeglBuffer *srgan_plugin_copy_to_memory(GeglBuffer *drawable_buffer,
                                        const GeglRectangle *rect);

/* The part of the source the core reads for `region`: the region grown by
 * the halo (srgan_plugin_effective_halo()), clamped to `bounds`. */
GeglRectangle srgan_plugin_region_with_halo(SrganModel *model,
                                            const SrganPluginOptions *options,
                                            const GeglRectangle *region,
                                            const GeglRectangle *bounds);

/* Where the plug-in's message catalogs are: a "locale" folder beside the
 * plug-in binary (user installs), else the compiled-in locale directory. */
char *srgan_plugin_locale_dir(const char *progname);

G_END_DECLS

#endif /* SRGAN_COMMON_H */
