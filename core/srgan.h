/* srgan.h — public API of libsrgan, the SRGAN 4× super-resolution core.
 *
 * libsrgan runs the generator network of "Photo-Realistic Single Image
 * Super-Resolution Using a Generative Adversarial Network" (Ledig et al.,
 * CVPR 2017) on the CPU, tile by tile, so that an image of any size is
 * upscaled in memory bounded by the tile size.  The GIMP plug-in, the
 * ImageMagick filter module, the evaluation tool and the trainer all call
 * this API.
 *
 * Basic usage:
 *
 *     g_autoptr(GError) error = NULL;
 *     g_autoptr(SrganModel) model = srgan_model_load(NULL, &error);  // default 4× weights
 *     if (!model) { g_printerr("%s\n", error->message); return 1; }
 *
 *     SrganParams params = srgan_params_default();
 *     params.progress = on_progress;                 // optional
 *     if (!srgan_upscale(model, width, height, SRGAN_PIXELS_RGBA,
 *                        read_rect, write_rect, my_image, &params, &error))
 *         ... error->domain is SRGAN_ERROR or G_IO_ERROR (G_IO_ERROR_CANCELLED) ...
 *
 * The caller owns the pixels: the core asks `read_rect` for rectangles of
 * the source (always inside the image) and hands finished rectangles of the
 * result to `write_rect`.  Pixels are 32-bit floats in [0,1], interleaved
 * (RGB, RGBA, Y or YA), rows packed tightly, colour not premultiplied by
 * alpha.
 *
 * Thread safety: an SrganModel is immutable after loading; one model may be
 * used by any number of srgan_upscale() calls at once, from any threads.
 * Within one call, `read_rect` and `write_rect` run on worker threads but
 * never two at a time (the core serialises them), and `progress` always runs
 * on the thread that called srgan_upscale().  The library keeps no global
 * mutable state.
 */
#ifndef SRGAN_H
#define SRGAN_H

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- Errors ------------------------------------------------------------ */

#define SRGAN_ERROR (srgan_error_quark())
GQuark srgan_error_quark(void);

/* Each failure has its own code; the GError message says what, where, and
 * got-versus-expected.  A cancelled upscale reports G_IO_ERROR_CANCELLED in
 * the G_IO_ERROR domain instead. */
typedef enum {
    SRGAN_ERROR_MODEL_NOT_FOUND,   /* no file at the path, or no default installed */
    SRGAN_ERROR_MODEL_IO,          /* the file could not be read or mapped */
    SRGAN_ERROR_MODEL_TRUNCATED,   /* shorter than its header says */
    SRGAN_ERROR_MODEL_HEADER,      /* header length or JSON is malformed */
    SRGAN_ERROR_MODEL_METADATA,    /* __metadata__ missing, unknown or out of range */
    SRGAN_ERROR_MODEL_TENSOR,      /* tensor missing, unknown, bad dtype/shape/offset */
    SRGAN_ERROR_INVALID_ARGUMENT,  /* bad size, region, format, tile or thread count */
    SRGAN_ERROR_TOO_LARGE,         /* result exceeds the core's size limit */
    SRGAN_ERROR_NO_MEMORY,         /* a tile's buffers could not be allocated */
    SRGAN_ERROR_CALLBACK,          /* read/write callback failed without a GError */
    SRGAN_ERROR_MEMORY_LIMIT,      /* the tile buffers would exceed the memory limit;
                                      the message names the limit and a tile size that fits */
} SrganErrorCode;

/* ---- Model ------------------------------------------------------------- */

/* A generator loaded from a safetensors file (see weights/FORMAT.md for the
 * tensor names and __metadata__ keys).  Three families run in the same
 * interpreter: "srresnet" (SRGAN's generator, the default), "rrdbnet"
 * (ESRGAN / Real-ESRGAN) and "srvgg" (Real-ESRGAN's compact net); the
 * `family` metadata key says which.  BatchNorm is folded into the
 * convolutions and F16 tensors are converted at load time; the model owns
 * all its values, so the file may change or vanish after loading.
 * Reference counted. */
typedef struct _SrganModel SrganModel;

/* Loads and validates a model.  `name_or_path` is a path to a file, or the
 * short name of an installed model ("srgan-x4", "realesrgan-x4plus": the
 * file name without ".safetensors"), looked up as srgan_model_find() says.
 * NULL means the default model: $SRGAN_MODEL if set, else srgan-x4 (see
 * srgan_default_model_path()).  Every header field, dtype, shape and offset
 * is checked before any tensor is read; a corrupt, truncated or hostile
 * file gives NULL and an SRGAN_ERROR, never a crash.
 * Returns a new reference, or NULL with `error` set. */
SrganModel *srgan_model_load(const char *name_or_path, GError **error);

/* Same as srgan_model_load() on a file already in memory (used by the
 * fuzzer and by tools that embed weights).  `data` is copied from; the
 * caller keeps ownership.  `name` is used in error messages only. */
SrganModel *srgan_model_load_from_data(const void *data, gsize size,
                                       const char *name, GError **error);

/* The path srgan_model_load(NULL, …) would use: $SRGAN_MODEL when set,
 * else <datadir>/srgan/srgan-x4.safetensors.  Free with g_free(). */
char *srgan_default_model_path(void);

/* Path of a shipped model for a scale (2, 4 or 8) in the installed data
 * directory, whether or not it exists.  Free with g_free(). */
char *srgan_installed_model_path(int scale);

/* The file a model name stands for.  A name holding a directory separator
 * or ending in ".safetensors", or naming an existing file, is a path and is
 * returned as it is.  Otherwise "<name>.safetensors" is looked for in the
 * model folders, in this order: each folder of $SRGAN_MODEL_DIR (separated
 * by ':'), <user data dir>/srgan (~/.local/share/srgan), and the installed
 * data directory.  NULL with SRGAN_ERROR_MODEL_NOT_FOUND (listing the
 * folders searched) when there is no such model.  Free with g_free(). */
char *srgan_model_find(const char *name_or_path, GError **error);

/* Short names of the models in the model folders (see srgan_model_find()),
 * each once (the first folder wins), sorted, the default "srgan-x4" first
 * when present.  Only files whose header reads as an srgan model are
 * listed.  Never NULL.  Free with g_strfreev(). */
char **srgan_model_list(void);

/* The __metadata__ of a model file (char* → char*), reading only its
 * header: cheap enough for a menu of every installed model.  Keys of
 * interest: "family", "scale", "display_name" (e.g. "Real-ESRGAN x4plus"),
 * "description" (one line: what it is good for).  Checks the container and
 * the metadata's format keys, not the tensors.  NULL with an SRGAN_ERROR on
 * failure.  Free with g_hash_table_unref(). */
GHashTable *srgan_model_read_metadata(const char *name_or_path, GError **error);

SrganModel *srgan_model_ref(SrganModel *model);
void srgan_model_unref(SrganModel *model);

int srgan_model_get_scale(const SrganModel *model);      /* 2, 4 or 8 */
int srgan_model_get_blocks(const SrganModel *model);     /* residual blocks / RRDBs / body convs */
int srgan_model_get_channels(const SrganModel *model);   /* feature channels */
/* "srresnet", "rrdbnet" or "srvgg".  Owned by the model. */
const char *srgan_model_get_family(const SrganModel *model);
/* Low-resolution pixels on each side of an output pixel that influence it
 * (the receptive radius, derived from the network's operations). */
int srgan_model_get_receptive_radius(const SrganModel *model);
/* The halo the tiler adds around each tile by default, in low-resolution
 * pixels.  For srresnet and srvgg it is the receptive radius, so tiled
 * output equals untiled output.  RRDBNet's radius (about 350 pixels) would
 * make tiles mostly halo, so it gets a measured default whose error is
 * published in docs/quality.md; SrganParams.halo overrides it. */
int srgan_model_get_halo(const SrganModel *model);
/* Multiply-adds per low-resolution input pixel (for GFLOP/s figures). */
double srgan_model_get_macs_per_pixel(const SrganModel *model);
/* The `__metadata__` value for `key`, or NULL.  Owned by the model. */
const char *srgan_model_get_metadata(const SrganModel *model, const char *key);

/* ---- Upscaling --------------------------------------------------------- */

/* Pixel layouts the reader supplies and the writer receives. */
typedef enum {
    SRGAN_PIXELS_RGB,   /* 3 floats */
    SRGAN_PIXELS_RGBA,  /* 4 floats: colour through the generator, alpha
                           upscaled with bicubic interpolation, recombined */
    SRGAN_PIXELS_Y,     /* 1 float: grey goes through the generator as RGB,
                           comes back as the mean of R, G and B */
    SRGAN_PIXELS_YA,    /* 2 floats: grey as above, alpha as for RGBA */
} SrganPixels;

/* Floats per pixel of a layout (3, 4, 1 or 2). */
int srgan_pixels_channels(SrganPixels pixels);

/* Fill `buf` with the source rectangle (x, y, width, height), which always
 * lies inside the image: width*height pixels, rows packed, channels as the
 * SrganPixels layout says.  Return FALSE (ideally with `error` set) to stop
 * the upscale. */
typedef gboolean (*SrganReadFunc)(gpointer user_data, int x, int y,
                                  int width, int height, float *buf,
                                  GError **error);

/* Receive a finished rectangle of the result, in output coordinates (the
 * full upscaled image, not the region): values clamped to [0,1].  The
 * rectangles of one call never overlap and together cover the region ×
 * scale exactly once.  Return FALSE to stop the upscale. */
typedef gboolean (*SrganWriteFunc)(gpointer user_data, int x, int y,
                                   int width, int height, const float *buf,
                                   GError **error);

/* Called on the caller's thread after each finished tile with the fraction
 * done in [0,1].  Return FALSE to cancel (as if `cancellable` fired). */
typedef gboolean (*SrganProgressFunc)(gpointer user_data, double fraction);

/* Options of srgan_upscale().  Always start from srgan_params_default(),
 * which records the size of the structure your program was compiled with
 * (struct_size): fields added in later versions keep their defaults when
 * an older program calls a newer library. */
typedef struct {
    gsize struct_size;  /* set by srgan_params_default(); do not change */
    int tile_size;      /* low-res pixels per tile side, 16 to 4096; 0 = pick
                           one that keeps each thread's buffers near 64 MB */
    int threads;        /* worker threads, up to 256; 0 = number of CPU cores */
    /* Part of the source to upscale, in source pixels; width or height 0
     * means the whole image.  Pixels around it (up to the halo) are still
     * read, so a region's result equals that part of the whole result:
     * this is what a preview uses. */
    int region_x, region_y, region_width, region_height;
    SrganProgressFunc progress;   /* optional */
    gpointer progress_data;
    GCancellable *cancellable;    /* optional; checked between tiles */
    /* Low-res pixels of context read around each tile; 0 = the model's
     * default (srgan_model_get_halo()).  More than the receptive radius
     * changes nothing; less makes tiles faster but their seams visible. */
    int halo;
    /* Bytes all threads' tile buffers together may use; 0 = the core's
     * default (half the physical memory, less under a smaller address-space
     * limit).  An automatic tile size and thread count shrink to fit it; an
     * explicit tile size that cannot fit even on one thread is refused with
     * SRGAN_ERROR_MEMORY_LIMIT before anything is allocated.  Front ends
     * pass their host's limit here (ImageMagick's memory resource, GIMP's
     * tile cache). */
    gsize memory_limit;
} SrganParams;

/* Fills *params with the defaults, for a structure of struct_size bytes
 * (use srgan_params_default(), which passes the right size). */
void srgan_params_init(SrganParams *params, gsize struct_size);

/* Defaults: automatic tile size, threads, halo and memory, whole image, no
 * progress.  Inline, so that struct_size is the caller's sizeof. */
static inline SrganParams srgan_params_default(void)
{
    SrganParams params;
    srgan_params_init(&params, sizeof params);
    return params;
}

/* Largest source side accepted, and the largest output in pixels (the
 * writer's problem is its own; this only rejects sizes whose arithmetic
 * would overflow). */
#define SRGAN_MAX_SIDE 1000000
#define SRGAN_MAX_OUTPUT_PIXELS (G_GINT64_CONSTANT(1) << 40)

/* The ranges of SrganParams.tile_size (besides 0) and .threads (besides
 * 0), for front ends that check options before calling the core. */
#define SRGAN_TILE_SIZE_MIN 16
#define SRGAN_TILE_SIZE_MAX 4096
#define SRGAN_THREADS_MAX 256

/* Upscales a width×height source by srgan_model_get_scale().  Tiles are
 * cut with a halo (SrganParams.halo, by default srgan_model_get_halo()):
 * for srresnet and srvgg models it covers the receptive field, so the
 * result does not depend on tile size or thread count; for rrdbnet the
 * default halo keeps tiled output within the error docs/quality.md
 * publishes.  Cancel (cancellable or progress returning FALSE) is honoured
 * between tiles: the call returns FALSE with G_IO_ERROR_CANCELLED and
 * `write` is not called again.  A failing callback stops the call with its
 * error.  Returns TRUE when every output rectangle was written. */
gboolean srgan_upscale(SrganModel *model, int width, int height,
                       SrganPixels pixels,
                       SrganReadFunc read, SrganWriteFunc write,
                       gpointer user_data, const SrganParams *params,
                       GError **error);

/* Checks everything srgan_upscale() would check before reading a pixel
 * (arguments, sizes, the memory the tiles need against the limit) without
 * running anything.  A front end that must not touch its image unless the
 * upscale can run (GIMP's undo step) calls this first.  Also gives the
 * tile size and thread count srgan_upscale() would use (either may be NULL). */
gboolean srgan_upscale_check(SrganModel *model, int width, int height,
                             SrganPixels pixels, const SrganParams *params,
                             int *tile_size, int *threads, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SrganModel, srgan_model_unref)

G_END_DECLS

#endif /* SRGAN_H */
