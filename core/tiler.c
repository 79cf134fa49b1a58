/* tiler.c — srgan_upscale(): cut the region into tiles, run them on
 * threads, report progress, honour cancel.
 *
 * Each tile is read with a halo of srgan_model_get_halo() source pixels
 * (clipped to the image), so its result does not depend on where the tile
 * boundaries are: tiled output equals untiled output.
 *
 * Threading: all threads form one team that works on one tile at a time
 * (generator.c cuts each operation into bands of rows, and the upsampling
 * part into blocks, between them), so the tile's buffers exist once and a
 * tile can use the whole memory budget: bigger tiles, less halo work.
 * Member 0 takes the next tile index (*allocate*), reads it, and after
 * the team's *work* writes it and tells the caller's thread through a
 * queue, where *progress* runs (as in libvips' iofuncs/threadpool.c).
 * read and write run under one mutex, so callbacks never overlap.  Cancel
 * and errors only raise a flag; member 0 looks at it between tiles and
 * before each write, so nothing is written once a cancel was seen.
 *
 * Layouts other than RGB are handled per tile by pixels.c, from the same
 * tile + halo read: colour through the generator, alpha through bicubic.
 */
#include "generator.h"
#include "pixels.h"
#include "tiler.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Memory the automatic tile size aims for: 384 MB for all threads'
 * buffers together, shared out between them, so that a 3000×3000 upscale
 * stays under 512 MB of peak RSS with the model and the caller's buffers.
 * Big tiles matter: each tile recomputes its halo, so the work grows as
 * ((tile + 2·halo) / tile)²; docs/speed.md has the figures.  Many-core
 * machines stay within the same bound (smaller tiles, more halo work). */
#define AUTO_TILE_BYTES_TOTAL ((size_t)384 << 20)

void srgan_params_init(SrganParams *params, gsize struct_size)
{
    g_return_if_fail(params != NULL);
    /* Auto tile, threads, halo and memory; whole image; nothing else. */
    memset(params, 0, MIN(struct_size, sizeof *params));
    params->struct_size = struct_size;
}

/* The caller's params as this library's structure: fields past the
 * caller's struct_size (added after it was compiled) keep their defaults. */
static gboolean read_params(const SrganParams *given, SrganParams *p, GError **error)
{
    srgan_params_init(p, sizeof *p);
    if (!given)
        return TRUE;
    if (given->struct_size < G_STRUCT_OFFSET(SrganParams, halo)
        || given->struct_size > ((gsize)1 << 16)) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT,
                    "SrganParams.struct_size is %" G_GSIZE_FORMAT ": start from srgan_params_default()",
                    given->struct_size);
        return FALSE;
    }
    memcpy(p, given, MIN(given->struct_size, sizeof *p));
    p->struct_size = sizeof *p;
    return TRUE;
}

/* ---- the job shared by all workers ------------------------------------- */

typedef struct {
    SrganModel *model;
    SrganPixels pixels;
    int channels;
    int width, height;           /* source image */
    int rx, ry, rw, rh;          /* region */
    int tile_w, tile_h;          /* tile size (the last ones in a row/column are smaller) */
    int halo;
    int tiles_x, tiles_y;
    SrganReadFunc read;
    SrganWriteFunc write;
    gpointer user_data;
    GCancellable *cancellable;

    GMutex io_lock;              /* serialises read/write; guards `stop` changes by cancel */
    GMutex state_lock;           /* guards next_tile and error */
    int next_tile;
    GError *error;               /* the first error */
    gint stop;                   /* atomic: error or cancel seen */
    gint cancelled;              /* atomic */
    GAsyncQueue *done;           /* worker → caller messages */

    int members;                 /* threads in the team */
    size_t hr_floats;            /* the second phase's block budget (generator.h) */
    struct Team *team;           /* the tile's buffers; member 0's fields below */
    int current;                 /* the tile the team works on; −1: stop */
} Job;

enum { MSG_TILE_DONE = 1, MSG_WORKER_EXIT = 2 };

/* The team's buffers, sized once for the largest tile. */
typedef struct Team {
    SrganGeneratorScratch *scratch;
    float *src;      /* (tile+2·halo)² × channels: what the reader fills */
    float *rgb;      /* (tile+2·halo)² × 3: generator input (unless the layout is RGB) */
    float *out_rgb;  /* (tile·s)² × 3: generator output */
    float *out;      /* (tile·s)² × channels: the writer's rectangle (unless RGB) */
    /* The current tile, set by member 0 before the team meets. */
    int tx, ty, tw, th;          /* the tile, source pixels */
    int ex, ey, ew, eh;          /* with its halo, clipped */
} Team;

static void record_error(Job *job, GError *error)
{
    g_mutex_lock(&job->state_lock);
    if (job->error == NULL)
        job->error = error;
    else
        g_error_free(error);
    g_mutex_unlock(&job->state_lock);
    g_atomic_int_set(&job->stop, 1);
}

static gboolean should_stop(Job *job)
{
    if (g_cancellable_is_cancelled(job->cancellable)) {
        g_atomic_int_set(&job->cancelled, 1);
        g_atomic_int_set(&job->stop, 1);
    }
    return g_atomic_int_get(&job->stop);
}

/* The extent (tile + halo, clipped) a tile needs, and its largest size. */
static void ext_size(const Job *job, int *max_h, int *max_w)
{
    *max_w = MIN(MIN(job->tile_w, job->rw) + 2 * job->halo, job->width);
    *max_h = MIN(MIN(job->tile_h, job->rh) + 2 * job->halo, job->height);
}

/* Bytes of the team's buffers for tiles of `tile` (the crop) whose extent
 * is at most ext_h × ext_w. */
static size_t team_bytes(const SrganModel *model, SrganPixels pixels, int members,
                         size_t hr_floats, int tile, int ext_h, int ext_w)
{
    const int s = model->scale, ch = srgan_pixels_channels(pixels);
    const size_t ext = (size_t)ext_h * ext_w, out = (size_t)tile * s * tile * s;
    return srgan_generator_scratch_bytes(model, ext_h, ext_w, members, hr_floats)
         + sizeof(float) * (ext * (ch + 3) + out * (3 + ch));
}

static void team_free(Team *t)
{
    if (!t)
        return;
    srgan_generator_scratch_free(t->scratch);
    g_free(t->src);
    g_free(t->rgb);
    g_free(t->out_rgb);
    g_free(t->out);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Team, team_free)

static Team *team_new(Job *job, GError **error)
{
    int max_h, max_w;
    ext_size(job, &max_h, &max_w);
    const int s = job->model->scale;
    const size_t ext = (size_t)max_h * max_w;
    const size_t out = (size_t)MIN(job->tile_h, job->rh) * s * MIN(job->tile_w, job->rw) * s;

    g_autoptr(Team) t = g_new0(Team, 1);
    t->scratch = srgan_generator_scratch_new(job->model, max_h, max_w, job->members,
                                             job->hr_floats, error);
    if (!t->scratch)
        return NULL;
    t->src = g_try_malloc(ext * job->channels * sizeof(float));
    t->out_rgb = g_try_malloc(out * 3 * sizeof(float));
    if (job->pixels != SRGAN_PIXELS_RGB) {
        t->rgb = g_try_malloc(ext * 3 * sizeof(float));
        t->out = g_try_malloc(out * job->channels * sizeof(float));
    }
    if (!t->src || !t->out_rgb || (job->pixels != SRGAN_PIXELS_RGB && (!t->rgb || !t->out))) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_NO_MEMORY,
                    "Out of memory allocating tile buffers for %d×%d tiles", max_w, max_h);
        return NULL;
    }
    return g_steal_pointer(&t);
}

/* Allocate: the next tile index, or -1 when done or stopping. */
static int next_tile(Job *job)
{
    int index = -1;
    g_mutex_lock(&job->state_lock);
    if (!should_stop(job) && job->next_tile < job->tiles_x * job->tiles_y)
        index = job->next_tile++;
    g_mutex_unlock(&job->state_lock);
    return index;
}

/* Member 0, before the team's work: tile `index` and its halo into
 * job->team, read and converted.  FALSE with error set on failure; TRUE
 * with *go FALSE when a stop was seen. */
static gboolean read_tile(Job *job, int index, gboolean *go, GError **error)
{
    Team *t = job->team;
    const int halo = job->halo;
    /* The tile, in source coordinates, and with its halo, clipped to the image. */
    t->tx = job->rx + (index % job->tiles_x) * job->tile_w;
    t->ty = job->ry + (index / job->tiles_x) * job->tile_h;
    t->tw = MIN(job->tile_w, job->rx + job->rw - t->tx);
    t->th = MIN(job->tile_h, job->ry + job->rh - t->ty);
    t->ex = MAX(0, t->tx - halo);
    t->ey = MAX(0, t->ty - halo);
    t->ew = MIN(job->width, t->tx + t->tw + halo) - t->ex;
    t->eh = MIN(job->height, t->ty + t->th + halo) - t->ey;
    gboolean ok = TRUE;

    g_mutex_lock(&job->io_lock);
    if (!should_stop(job)) {
        GError *local = NULL;
        ok = job->read(job->user_data, t->ex, t->ey, t->ew, t->eh, t->src, &local);
        if (!ok && local == NULL)
            local = g_error_new(SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                                "The read callback failed for the %d×%d rectangle at (%d, %d)",
                                t->ew, t->eh, t->ex, t->ey);
        if (!ok) {
            g_propagate_error(error, local);
            /* Raised before the lock is released, so that a thread waiting
             * on it does not call the callbacks again after a failure. */
            g_atomic_int_set(&job->stop, 1);
        } else {
            g_clear_error(&local);
        }
    }
    g_mutex_unlock(&job->io_lock);
    *go = ok && !should_stop(job);
    if (*go && job->pixels != SRGAN_PIXELS_RGB)
        srgan_pixels_to_rgb(job->pixels, t->src, (size_t)t->ew * t->eh, t->rgb);
    return ok;
}

/* Member 0, after the team's work: the result into the caller's layout
 * and to the writer.  FALSE with error set on failure. */
static gboolean write_tile(Job *job, GError **error)
{
    Team *t = job->team;
    const int s = job->model->scale;
    const float *result = t->out_rgb;
    if (job->pixels != SRGAN_PIXELS_RGB) {
        srgan_pixels_from_rgb(job->pixels, t->out_rgb, (size_t)t->tw * s * t->th * s, t->out);
        if (srgan_pixels_has_alpha(job->pixels))
            srgan_alpha_upscale(t->src, t->ex, t->ey, t->ew, t->eh, job->channels, s,
                                t->tx * s, t->ty * s, t->tw * s, t->th * s, t->out, job->channels);
        result = t->out;
    }

    gboolean ok = TRUE;
    g_mutex_lock(&job->io_lock);
    if (!should_stop(job)) {
        GError *local = NULL;
        ok = job->write(job->user_data, t->tx * s, t->ty * s, t->tw * s, t->th * s, result, &local);
        if (!ok && local == NULL)
            local = g_error_new(SRGAN_ERROR, SRGAN_ERROR_CALLBACK,
                                "The write callback failed for the %d×%d rectangle at (%d, %d)",
                                t->tw * s, t->th * s, t->tx * s, t->ty * s);
        if (!ok) {
            g_propagate_error(error, local);
            /* Raised before the lock is released, so that a thread waiting
             * on it does not call the callbacks again after a failure. */
            g_atomic_int_set(&job->stop, 1);
        } else {
            g_clear_error(&local);
        }
    }
    g_mutex_unlock(&job->io_lock);
    return ok;
}

/* One member of the team: tile after tile, until none is left or a stop.
 * Member 0 allocates, reads and writes; all meet before and after the
 * work, so every member sees the same tile. */
static void member_loop(gpointer data, gpointer user_data)
{
    Job *job = user_data;
    Team *t = job->team;
    const int m = GPOINTER_TO_INT(data) - 1;
    for (;;) {
        if (m == 0) {
            GError *error = NULL;
            gboolean go = FALSE;
            const int index = next_tile(job);
            if (index >= 0 && !read_tile(job, index, &go, &error))
                record_error(job, error);
            job->current = go ? index : -1;
        }
        if (!srgan_generator_sync(t->scratch) || job->current < 0)
            break;
        const float *rgb = job->pixels == SRGAN_PIXELS_RGB ? t->src : t->rgb;
        if (!srgan_generator_run(job->model, t->scratch, m, rgb, t->eh, t->ew,
                                 t->tx - t->ex, t->ty - t->ey, t->tw, t->th, t->out_rgb)
            || !srgan_generator_sync(t->scratch))
            break;
        if (m == 0) {
            GError *error = NULL;
            if (!write_tile(job, &error))
                record_error(job, error);
            else
                g_async_queue_push(job->done, GINT_TO_POINTER(MSG_TILE_DONE));
        }
    }
    g_async_queue_push(job->done, GINT_TO_POINTER(MSG_WORKER_EXIT));
}

/* ---- argument checks ------------------------------------------------- */

static gboolean invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean invalid(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, SRGAN_ERROR, SRGAN_ERROR_INVALID_ARGUMENT, message);
    return FALSE;
}

static gboolean check_arguments(SrganModel *model, int width, int height, SrganPixels pixels,
                                const SrganParams *p, GError **error)
{
    if (model == NULL)
        return invalid(error, "No model given");
    if (width < 1 || width > SRGAN_MAX_SIDE)
        return invalid(error, "Image width %d is out of range (1 to %d)", width, SRGAN_MAX_SIDE);
    if (height < 1 || height > SRGAN_MAX_SIDE)
        return invalid(error, "Image height %d is out of range (1 to %d)", height, SRGAN_MAX_SIDE);
    if (srgan_pixels_channels(pixels) == 0)
        return invalid(error, "Unknown pixel layout %d", (int)pixels);
    if (p->tile_size != 0 && (p->tile_size < SRGAN_TILE_SIZE_MIN || p->tile_size > SRGAN_TILE_SIZE_MAX))
        return invalid(error, "Tile size %d is out of range (%d to %d, or 0 for automatic)",
                       p->tile_size, SRGAN_TILE_SIZE_MIN, SRGAN_TILE_SIZE_MAX);
    if (p->threads < 0 || p->threads > SRGAN_THREADS_MAX)
        return invalid(error, "Thread count %d is out of range (1 to %d, or 0 for all cores)",
                       p->threads, SRGAN_THREADS_MAX);
    if (p->region_width < 0 || p->region_height < 0)
        return invalid(error, "Region size %d×%d is negative", p->region_width, p->region_height);
    if (p->region_width > 0 && p->region_height > 0) {
        if (p->region_x < 0 || p->region_y < 0
            || p->region_x > width - p->region_width || p->region_y > height - p->region_height)
            return invalid(error, "Region %d×%d at (%d, %d) is not inside the %d×%d image",
                           p->region_width, p->region_height, p->region_x, p->region_y,
                           width, height);
    }
    return TRUE;
}

/* Bytes the team's buffers take for tile × tile tiles. */
static size_t tile_bytes(const Job *job, int tile)
{
    Job probe = *job;
    probe.tile_w = probe.tile_h = tile;
    int max_h, max_w;
    ext_size(&probe, &max_h, &max_w);
    return team_bytes(job->model, job->pixels, job->members, job->hr_floats,
                      MIN(tile, MAX(job->rw, job->rh)), max_h, max_w);
}

/* The largest tile (a multiple of 8 from 16, at most `cap`) whose buffers
 * fit `budget`; 0 when not even the smallest does. */
static int largest_tile(const Job *job, size_t budget, int cap)
{
    int tile = 0;
    for (int t = SRGAN_TILE_SIZE_MIN; t <= cap; t += 8) {
        if (tile_bytes(job, t) > budget)
            break;
        tile = t;
        if (t >= job->rw && t >= job->rh)
            break;   /* one tile already covers the region */
    }
    return tile;
}

/* What the caller allows when it says nothing: half the physical memory,
 * and half the address space where a limit (ulimit -v) is set, so that an
 * oversized request is refused here rather than by the OOM killer or a
 * failed allocation half-way. */
static gsize default_memory_limit(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    gsize limit = pages > 0 && page > 0 ? (gsize)pages * (gsize)page / 2 : (gsize)4 << 30;
    struct rlimit as;
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
        limit = MIN(limit, (gsize)as.rlim_cur / 2);
    return limit;
}

/* "64.0 MiB", with a plain space (GLib uses a no-break space, which
 * terminals without UTF-8 and ImageMagick's messages mangle). */
static char *format_bytes(gsize bytes)
{
    g_autofree char *text = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
    g_auto(GStrv) parts = g_strsplit(text, "\u00a0", -1);
    return g_strjoinv(" ", parts);
}

static double work_ratio(const Job *job);

/* The budget is shared between the tile (the first phase's buffers, whose
 * halo each tile recomputes) and each thread's second-phase blocks (which
 * recompute a halo of their own): try a few splits and keep the one with
 * the least work.  Sets job->hr_floats; returns the tile (0: none fits). */
static int best_tiling(Job *job, size_t budget)
{
    static const size_t choices[] = { (size_t)1 << 20, (size_t)2 << 20, (size_t)3 << 20,
                                      (size_t)4 << 20, (size_t)6 << 20, (size_t)8 << 20,
                                      (size_t)12 << 20, (size_t)16 << 20, (size_t)24 << 20 };
    int best_tile = 0;
    size_t best_floats = SRGAN_HR_FLOATS_DEFAULT;
    double best_work = 0.0;
    for (guint i = 0; i < G_N_ELEMENTS(choices); i++) {
        job->hr_floats = choices[i];
        const int tile = largest_tile(job, budget, SRGAN_TILE_SIZE_MAX);
        if (!tile)
            continue;
        job->tile_w = job->tile_h = tile;
        job->tiles_x = (job->rw + tile - 1) / tile;
        job->tiles_y = (job->rh + tile - 1) / tile;
        const double work = work_ratio(job);
        if (!best_tile || work < best_work - 1e-9) {
            best_tile = tile;
            best_floats = choices[i];
            best_work = work;
        }
    }
    job->hr_floats = best_floats;
    return best_tile;
}

/* Checks the arguments and fills in the job's region, halo, tile size
 * and thread count: everything srgan_upscale() decides before it reads a
 * pixel.  Fails before any allocation when the buffers cannot fit the
 * memory limit. */
static gboolean plan_job(Job *job, SrganModel *model, int width, int height, SrganPixels pixels,
                         const SrganParams *p, int *threads_out, GError **error)
{
    *job = (Job){
        .model = model, .pixels = pixels, .channels = srgan_pixels_channels(pixels),
        .width = width, .height = height,
        .rx = 0, .ry = 0, .rw = width, .rh = height,
        .cancellable = p->cancellable,
    };
    if (p->region_width > 0 && p->region_height > 0) {
        job->rx = p->region_x;
        job->ry = p->region_y;
        job->rw = p->region_width;
        job->rh = p->region_height;
    }
    const int s = srgan_model_get_scale(model);
    if ((gint64)job->rw * s * job->rh * s > SRGAN_MAX_OUTPUT_PIXELS
        || (gint64)width * s > G_MAXINT || (gint64)height * s > G_MAXINT) {
        g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_TOO_LARGE,
                    "The %d×%d result (scale %d) exceeds the limit of %" G_GINT64_FORMAT " pixels",
                    job->rw * s, job->rh * s, s, (gint64)SRGAN_MAX_OUTPUT_PIXELS);
        return FALSE;
    }
    /* More halo than the receptive radius changes nothing but the work. */
    const int radius = srgan_generator_receptive_radius(model);
    job->halo = MIN(p->halo > 0 ? p->halo : srgan_model_get_halo(model), radius);

    const int threads = p->threads ? p->threads : (int)g_get_num_processors();
    job->members = CLAMP(threads, 1, SRGAN_THREADS_MAX);
    job->hr_floats = SRGAN_HR_FLOATS_DEFAULT;
    const gsize limit = p->memory_limit ? p->memory_limit : default_memory_limit();
    g_autofree char *limit_text = format_bytes(limit);
    if (p->tile_size) {
        job->tile_w = job->tile_h = p->tile_size;
        /* Fewer threads (each has buffers of its own) rather than more
         * memory than allowed. */
        while (job->members > 1 && tile_bytes(job, p->tile_size) > limit)
            job->members--;
        const size_t need_bytes = tile_bytes(job, p->tile_size);
        if (need_bytes > limit) {
            g_autofree char *need = format_bytes(need_bytes);
            const int fits = largest_tile(job, limit, p->tile_size);
            if (fits)
                g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT,
                            "Tile size %d needs %s of buffers, more than the memory limit of %s; "
                            "tile size %d fits (or 0 for automatic)",
                            p->tile_size, need, limit_text, fits);
            else
                g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT,
                            "Tile size %d needs %s of buffers, more than the memory limit of %s, "
                            "and even the smallest tile (%d) does not fit",
                            p->tile_size, need, limit_text, SRGAN_TILE_SIZE_MIN);
            return FALSE;
        }
    } else {
        const size_t budget = MIN(AUTO_TILE_BYTES_TOTAL, limit);
        while (job->members > 1 && tile_bytes(job, SRGAN_TILE_SIZE_MIN) > budget)
            job->members--;
        const int tile = best_tiling(job, budget);
        if (!tile) {
            g_autofree char *need = format_bytes(tile_bytes(job, SRGAN_TILE_SIZE_MIN));
            g_set_error(error, SRGAN_ERROR, SRGAN_ERROR_MEMORY_LIMIT,
                        "Even the smallest tile (%d) needs %s of buffers, more than the memory limit of %s",
                        SRGAN_TILE_SIZE_MIN, need, limit_text);
            return FALSE;
        }
        job->tile_w = job->tile_h = tile;
    }
    job->tiles_x = (job->rw + job->tile_w - 1) / job->tile_w;
    job->tiles_y = (job->rh + job->tile_h - 1) / job->tile_h;
    *threads_out = job->members;
    return TRUE;
}

/* Multiply-adds of the tiled run against the untiled one: each tile runs
 * the first phase on its extent (tile + halo, clipped) and the second on
 * blocks of its crop, each with the second phase's halo. */
static double work_ratio(const Job *job)
{
    const SrganNet *net = job->model->net;
    double lr_macs = 0.0, hr_macs = 0.0;
    for (int i = 0; i < net->n_ops; i++) {
        const SrganOp *op = &net->ops[i];
        if (op->kind != SRGAN_OP_CONV)
            continue;
        const double level = net->buffers[op->src].level;
        const double macs = (double)op->conv.ksize * op->conv.ksize * op->conv.cin * op->conv.cout
                            * level * level;
        *(i < net->hr_start ? &lr_macs : &hr_macs) += macs;
    }
    int max_h, max_w;
    ext_size(job, &max_h, &max_w);
    const int step = srgan_generator_hr_block(job->model, max_h, max_w, job->hr_floats);
    const int hh = net->hr_halo;
    double lr_area = 0.0, hr_area = 0.0;
    for (int ty = job->ry; ty < job->ry + job->rh; ty += job->tile_h)
        for (int tx = job->rx; tx < job->rx + job->rw; tx += job->tile_w) {
            const int tw = MIN(job->tile_w, job->rx + job->rw - tx);
            const int th = MIN(job->tile_h, job->ry + job->rh - ty);
            const int ex = MAX(0, tx - job->halo), ey = MAX(0, ty - job->halo);
            const int ew = MIN(job->width, tx + tw + job->halo) - ex;
            const int eh = MIN(job->height, ty + th + job->halo) - ey;
            lr_area += (double)ew * eh;
            for (int by = ty; by < ty + th; by += step)
                for (int bx = tx; bx < tx + tw; bx += step) {
                    const int x0 = MAX(ex, bx - hh), x1 = MIN(ex + ew, MIN(bx + step, tx + tw) + hh);
                    const int y0 = MAX(ey, by - hh), y1 = MIN(ey + eh, MIN(by + step, ty + th) + hh);
                    hr_area += (double)(x1 - x0) * (y1 - y0);
                }
        }
    return (lr_macs * lr_area + hr_macs * hr_area) / ((lr_macs + hr_macs) * job->rw * job->rh);
}

/* What every entry point does first: the caller's params read as this
 * library's (into *p), every argument checked, the job planned. */
static gboolean prepare(Job *job, SrganModel *model, int width, int height, SrganPixels pixels,
                        const SrganParams *params, SrganParams *p, int *threads, GError **error)
{
    return read_params(params, p, error)
        && check_arguments(model, width, height, pixels, p, error)
        && plan_job(job, model, width, height, pixels, p, threads, error);
}

gboolean srgan_tiler_plan(SrganModel *model, int width, int height, SrganPixels pixels,
                          const SrganParams *params, SrganTilePlan *plan, GError **error)
{
    SrganParams p;
    Job job;
    int threads = 0;
    if (!prepare(&job, model, width, height, pixels, params, &p, &threads, error))
        return FALSE;
    int max_h, max_w;
    ext_size(&job, &max_h, &max_w);
    *plan = (SrganTilePlan){
        .tile_w = job.tile_w, .tile_h = job.tile_h, .halo = job.halo, .threads = threads,
        .tiles_x = job.tiles_x, .tiles_y = job.tiles_y,
        .bytes = tile_bytes(&job, MAX(job.tile_w, job.tile_h)),
        .work_ratio = work_ratio(&job),
    };
    return TRUE;
}

gboolean srgan_upscale_check(SrganModel *model, int width, int height,
                             SrganPixels pixels, const SrganParams *params,
                             int *tile_size, int *threads, GError **error)
{
    SrganParams p;
    Job job;
    int n_threads = 0;
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    if (!prepare(&job, model, width, height, pixels, params, &p, &n_threads, error))
        return FALSE;
    if (tile_size)
        *tile_size = MAX(job.tile_w, job.tile_h);
    if (threads)
        *threads = n_threads;
    return TRUE;
}

gboolean srgan_upscale(SrganModel *model, int width, int height,
                       SrganPixels pixels,
                       SrganReadFunc read, SrganWriteFunc write,
                       gpointer user_data, const SrganParams *params,
                       GError **error)
{
    SrganParams params_copy;
    const SrganParams *p = &params_copy;
    Job job;
    int threads = 0;
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    if (model != NULL && (read == NULL || write == NULL))
        return invalid(error, "The %s callback is NULL", read == NULL ? "read" : "write");
    if (!prepare(&job, model, width, height, pixels, params, &params_copy, &threads, error))
        return FALSE;
    job.read = read;
    job.write = write;
    job.user_data = user_data;
    const int n_tiles = job.tiles_x * job.tiles_y;
    g_debug("upscale %d×%d region of %d×%d: tiles %d×%d, halo %d, %d×%d tiles, %d thread(s)",
            job.rw, job.rh, width, height, job.tile_w, job.tile_h, job.halo,
            job.tiles_x, job.tiles_y, threads);

    /* Everything is allocated here, before any callback runs. */
    g_autoptr(Team) team = team_new(&job, error);
    if (!team)
        return FALSE;
    job.team = team;
    g_mutex_init(&job.io_lock);
    g_mutex_init(&job.state_lock);
    job.done = g_async_queue_new();

    GError *pool_error = NULL;
    GThreadPool *pool = g_thread_pool_new(member_loop, &job, job.members, TRUE, &pool_error);
    int running = 0;
    if (pool) {
        for (int i = 0; i < job.members; i++)
            if (g_thread_pool_push(pool, GINT_TO_POINTER(i + 1), &pool_error))
                running++;
            else
                break;
    }
    if (pool_error) {
        record_error(&job, pool_error);
        /* An incomplete team would wait for its missing members forever. */
        srgan_generator_abort(team->scratch);
    }

    /* Progress, on this thread, until every member has left. */
    int finished = 0;
    while (running > 0) {
        const int msg = GPOINTER_TO_INT(g_async_queue_pop(job.done));
        if (msg == MSG_WORKER_EXIT) {
            running--;
            continue;
        }
        finished++;
        /* Hold io_lock so no write happens while progress decides, and
         * none after it said stop. */
        g_mutex_lock(&job.io_lock);
        if (!should_stop(&job) && p->progress
            && !p->progress(p->progress_data, (double)finished / n_tiles)) {
            g_atomic_int_set(&job.cancelled, 1);
            g_atomic_int_set(&job.stop, 1);
        }
        g_mutex_unlock(&job.io_lock);
    }
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);

    g_async_queue_unref(job.done);
    g_mutex_clear(&job.io_lock);
    g_mutex_clear(&job.state_lock);

    if (job.error) {
        g_propagate_error(error, job.error);
        return FALSE;
    }
    if (g_atomic_int_get(&job.cancelled) || finished < n_tiles) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Upscaling was cancelled");
        return FALSE;
    }
    return TRUE;
}
