/* srgan-eval — measures SRGAN against bicubic on the standard SR protocol.
 *
 * For every HR photo given (files, or folders of them):
 *   1. crop to a multiple of the scale (top-left kept, MATLAB's modcrop);
 *   2. make the LR image with MATLAB-style bicubic imresize (core/imresize.h);
 *   3. upscale it with bicubic imresize and with libsrgan;
 *   4. measure luma PSNR and SSIM of both against the HR photo, with a
 *      border of `scale` pixels cut (metrics.h);
 * then print a table, per image and mean.  Optionally write side-by-side
 * crops (bicubic | srgan | original), write the means to a summary file,
 * or compare the means with a summary written earlier (the regression
 * test on the committed photos does that).
 *
 * --model may be given several times (models of the same scale, e.g. the
 * three 4x families): every model upscales the same LR image, the table
 * gets one PSNR/SSIM pair per model and the side-by-side crops one panel
 * per model (bicubic | model 1 | model 2 | … | original).
 *
 * --degrade-jpeg=Q adds a "real photo" degradation after step 2: the LR
 * image goes through a JPEG file of quality Q (in memory, MagickCore)
 * before bicubic and the models upscale it.
 *
 *   srgan-eval --model weights/srgan-x4.safetensors tests/data/photos
 *   srgan-eval --sides out/ --summary x4.ini ../shared/data/benchmark/set5
 *   srgan-eval --check tests/quality/photos-x4.ini tests/data/photos
 *   srgan-eval --degrade-jpeg 60 --model weights/srgan-x4.safetensors \
 *       --model weights/realesrgan-x4plus.safetensors \
 *       --model weights/realesr-general-x4v3.safetensors --sides out/ photo.png
 *
 * Exit status: 0 done (and, with --check, no regression); 1 an input,
 * the model or the check failed; 2 a bad command line.  Every error is one
 * line on standard error, "srgan-eval: <what is wrong>".
 */
#include "image8.h"
#include "metrics.h"
#include "srgan.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_GROUP "srgan-eval"
#define MAX_MODELS 8

typedef struct {
    char **model_paths;  /* NULL: the default model */
    char *sides_dir;
    char *summary_path;
    char *check_path;
    double tolerance;
    int crop_size;
    int zoom;
    int threads;
    int tile_size;
    int bicubic_scale;   /* --bicubic-only: no model, this scale */
    int degrade_jpeg;    /* 0: none; else the JPEG quality applied to the LR image */
    gboolean bicubic_only;
    char **inputs;
} Options;

typedef struct {
    double bicubic_psnr, bicubic_ssim;
    double psnr[MAX_MODELS], ssim[MAX_MODELS];   /* per model, in --model order */
} Scores;

/* The models under test, in --model order. */
typedef struct {
    int count;
    SrganModel *model[MAX_MODELS];
    char *name[MAX_MODELS];       /* file name without .safetensors */
    char *file[MAX_MODELS];       /* file name */
    double seconds[MAX_MODELS];   /* time spent upscaling, all images */
} Models;

/* ---- libsrgan callbacks: 8-bit LR in, 8-bit SR out ----------------------- */

typedef struct {
    const Image8 *source;
    Image8 *result;
} UpscaleJob;

static gboolean read_lr(gpointer user_data, int x, int y, int width, int height,
                        float *buf, GError **error)
{
    (void)error;
    const UpscaleJob *job = user_data;
    for (int r = 0; r < height; r++) {
        const guint8 *in = job->source->rgb + ((gsize)(y + r) * job->source->width + x) * 3;
        float *out = buf + (gsize)r * width * 3;
        for (int k = 0; k < width * 3; k++)
            out[k] = in[k] / 255.0f;
    }
    return TRUE;
}

/* The result is rounded to 8 bits, as saving it to a PNG would. */
static gboolean write_sr(gpointer user_data, int x, int y, int width, int height,
                         const float *buf, GError **error)
{
    (void)error;
    UpscaleJob *job = user_data;
    for (int r = 0; r < height; r++) {
        const float *in = buf + (gsize)r * width * 3;
        guint8 *out = job->result->rgb + ((gsize)(y + r) * job->result->width + x) * 3;
        for (int k = 0; k < width * 3; k++)
            out[k] = (guint8)lrintf(CLAMP(in[k], 0.0f, 1.0f) * 255.0f);
    }
    return TRUE;
}

static Image8 *upscale_srgan(SrganModel *model, const Image8 *lr, const Options *opt,
                             GError **error)
{
    int scale = srgan_model_get_scale(model);
    g_autoptr(Image8) result = image8_new(lr->width * scale, lr->height * scale);
    if (!result) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no memory for a %dx%d result",
                    lr->width * scale, lr->height * scale);
        return NULL;
    }
    UpscaleJob job = { lr, result };
    SrganParams params = srgan_params_default();
    params.threads = opt->threads;
    params.tile_size = opt->tile_size;
    if (!srgan_upscale(model, lr->width, lr->height, SRGAN_PIXELS_RGB, read_lr, write_sr,
                       &job, &params, error))
        return NULL;
    return g_steal_pointer(&result);
}

/* ---- side-by-side crops --------------------------------------------------- */

/* Top-left corner of the size×size window of `hr` with the most luma
 * gradient energy: the detail a reader wants to compare, picked without
 * looking at either result. */
static void pick_detail_window(const Image8 *hr, int size, int *best_x, int *best_y)
{
    g_autofree double *y = metrics_luma(hr);
    int w = hr->width, h = hr->height;
    /* Summed-area table of squared gradients, (h+1, w+1). */
    g_autofree double *sat = g_new0(double, (gsize)(w + 1) * (h + 1));
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            double gx = c + 1 < w ? y[(gsize)r * w + c + 1] - y[(gsize)r * w + c] : 0.0;
            double gy = r + 1 < h ? y[(gsize)(r + 1) * w + c] - y[(gsize)r * w + c] : 0.0;
            sat[(gsize)(r + 1) * (w + 1) + c + 1] = gx * gx + gy * gy
                + sat[(gsize)r * (w + 1) + c + 1] + sat[(gsize)(r + 1) * (w + 1) + c]
                - sat[(gsize)r * (w + 1) + c];
        }
    double best = -1.0;
    int step = MAX(1, size / 8);
    *best_x = *best_y = 0;
    for (int r = 0; r + size <= h; r += step)
        for (int c = 0; c + size <= w; c += step) {
            double e = sat[(gsize)(r + size) * (w + 1) + c + size] - sat[(gsize)r * (w + 1) + c + size]
                     - sat[(gsize)(r + size) * (w + 1) + c] + sat[(gsize)r * (w + 1) + c];
            if (e > best) {
                best = e;
                *best_x = c;
                *best_y = r;
            }
        }
}

/* Panels left to right, `gap` white pixels apart, each enlarged `zoom`
 * times by pixel replication (so no resampling blurs the comparison). */
static Image8 *side_by_side(const Image8 *const *panels, int count, int zoom, int gap)
{
    int pw = panels[0]->width * zoom, ph = panels[0]->height * zoom;
    Image8 *out = image8_new(count * pw + (count - 1) * gap, ph);
    if (!out)
        return NULL;
    memset(out->rgb, 255, (gsize)out->width * out->height * 3);
    for (int p = 0; p < count; p++)
        for (int r = 0; r < ph; r++)
            for (int c = 0; c < pw; c++) {
                const guint8 *in = panels[p]->rgb + ((gsize)(r / zoom) * panels[p]->width + c / zoom) * 3;
                guint8 *o = out->rgb + ((gsize)r * out->width + p * (pw + gap) + c) * 3;
                o[0] = in[0];
                o[1] = in[1];
                o[2] = in[2];
            }
    return out;
}

static gboolean write_sides(const Options *opt, const char *name, int scale, const Image8 *bicubic,
                            Image8 *const *sr, int models, const Image8 *hr, GError **error)
{
    int size = MIN(opt->crop_size, MIN(hr->width, hr->height));
    int x, y;
    pick_detail_window(hr, size, &x, &y);
    Image8 *crops[MAX_MODELS + 2] = { NULL };
    int count = 0;
    crops[count++] = image8_crop(bicubic, x, y, size, size);
    for (int m = 0; m < models; m++)
        crops[count++] = image8_crop(sr[m], x, y, size, size);
    crops[count++] = image8_crop(hr, x, y, size, size);
    gboolean cropped = TRUE;
    for (int p = 0; p < count; p++)
        cropped = cropped && crops[p];
    g_autoptr(Image8) out = cropped ? side_by_side((const Image8 *const *)crops, count, opt->zoom, 4)
                                    : NULL;
    for (int p = 0; p < count; p++)
        image8_free(crops[p]);
    if (!out) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no memory for side-by-side crop");
        return FALSE;
    }
    g_autofree char *stem = g_strdup(name);
    char *dot = strrchr(stem, '.');
    if (dot)
        *dot = '\0';
    g_autofree char *base = opt->degrade_jpeg
        ? g_strdup_printf("%s-x%d-jpeg%d.png", stem, scale, opt->degrade_jpeg)
        : g_strdup_printf("%s-x%d.png", stem, scale);
    g_autofree char *path = g_build_filename(opt->sides_dir, base, NULL);
    if (!image8_save_png(out, path, error))
        return FALSE;
    g_print("  wrote %s (crop %dx%d at %d,%d; %d panels of %d px, 4 px apart)\n", path, size,
            size, x, y, count, size * opt->zoom);
    return TRUE;
}

/* ---- inputs ----------------------------------------------------------------- */

static gboolean is_image_name(const char *name)
{
    static const char *const extensions[] = { ".png", ".jpg", ".jpeg", ".bmp", ".tif",
                                              ".tiff", ".ppm", ".webp" };
    g_autofree char *lower = g_ascii_strdown(name, -1);
    for (guint i = 0; i < G_N_ELEMENTS(extensions); i++)
        if (g_str_has_suffix(lower, extensions[i]))
            return TRUE;
    return FALSE;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files named on the command line, and the image files of each folder
 * named (sorted by name, so tables are in a stable order). */
static GPtrArray *list_inputs(char **inputs, GError **error)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    for (char **in = inputs; in && *in; in++) {
        if (!g_file_test(*in, G_FILE_TEST_IS_DIR)) {
            if (!g_file_test(*in, G_FILE_TEST_IS_REGULAR)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file: %s", *in);
                return NULL;
            }
            g_ptr_array_add(files, g_strdup(*in));
            continue;
        }
        g_autoptr(GDir) dir = g_dir_open(*in, 0, error);
        if (!dir)
            return NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while ((name = g_dir_read_name(dir)))
            if (is_image_name(name))
                g_ptr_array_add(names, g_build_filename(*in, name, NULL));
        if (names->len == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no images in %s", *in);
            return NULL;
        }
        g_ptr_array_sort(names, compare_strings);
        for (guint i = 0; i < names->len; i++)
            g_ptr_array_add(files, g_strdup(names->pdata[i]));
    }
    return g_steal_pointer(&files);
}

/* One Markdown table row; the srgan columns are dashes without a model.
 * With one model: its PSNR, SSIM and gain; with several: PSNR and SSIM
 * of each. */
static void print_row(const char *name, const char *size, const Scores *s, int models)
{
    g_print("| %-32s | %-9s | %7.2f | %.4f |", name, size, s->bicubic_psnr, s->bicubic_ssim);
    if (models == 0)
        g_print(" %7s | %6s | %6s |\n", "-", "-", "-");
    else if (models == 1)
        g_print(" %7.2f | %.4f | %+6.2f |\n", s->psnr[0], s->ssim[0],
                s->psnr[0] - s->bicubic_psnr);
    else {
        for (int m = 0; m < models; m++)
            g_print(" %7.2f | %.4f |", s->psnr[m], s->ssim[m]);
        g_print("\n");
    }
}

/* ---- one image ---------------------------------------------------------------- */

static gboolean evaluate_image(const char *path, Models *models, int scale,
                               const Options *opt, Scores *scores, GError **error)
{
    g_autoptr(Image8) full = image8_load(path, error);
    if (!full)
        return FALSE;
    /* After cropping to a multiple of the scale, room for the border cut
     * and an SSIM window. */
    int min_side = 2 * scale + 11;
    int width = full->width / scale * scale, height = full->height / scale * scale;
    if (width < min_side || height < min_side) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: %dx%d is too small to measure at %dx (need %d pixels a side after "
                    "cropping to a multiple of the scale)",
                    path, full->width, full->height, scale, min_side);
        return FALSE;
    }
    g_autoptr(Image8) hr = image8_crop(full, 0, 0, width, height);
    g_autoptr(Image8) lr = image8_resize_bicubic(hr, 1.0 / scale);
    if (lr && opt->degrade_jpeg) {
        Image8 *jpeg = image8_jpeg_roundtrip(lr, opt->degrade_jpeg, error);
        if (!jpeg) {
            g_prefix_error(error, "%s: ", path);
            return FALSE;
        }
        image8_free(lr);
        lr = jpeg;
    }
    g_autoptr(Image8) bicubic = lr ? image8_resize_bicubic(lr, scale) : NULL;
    if (!hr || !lr || !bicubic) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: out of memory", path);
        return FALSE;
    }
    scores->bicubic_psnr = metrics_psnr_y(bicubic, hr, scale);
    scores->bicubic_ssim = metrics_ssim_y(bicubic, hr, scale);
    for (int m = 0; m < MAX_MODELS; m++)
        scores->psnr[m] = scores->ssim[m] = NAN;

    Image8 *sr[MAX_MODELS] = { NULL };
    gboolean ok = TRUE;
    for (int m = 0; m < models->count && ok; m++) {
        gint64 start = g_get_monotonic_time();
        sr[m] = upscale_srgan(models->model[m], lr, opt, error);
        models->seconds[m] += (g_get_monotonic_time() - start) / 1e6;
        if (!sr[m]) {
            g_prefix_error(error, "%s: %s: ", path, models->name[m]);
            ok = FALSE;
            break;
        }
        scores->psnr[m] = metrics_psnr_y(sr[m], hr, scale);
        scores->ssim[m] = metrics_ssim_y(sr[m], hr, scale);
    }
    if (ok) {
        g_autofree char *name = g_path_get_basename(path);
        g_autofree char *size = g_strdup_printf("%dx%d", hr->width, hr->height);
        print_row(name, size, scores, models->count);
        if (opt->sides_dir && models->count > 0)
            ok = write_sides(opt, name, scale, bicubic, sr, models->count, hr, error);
    }
    for (int m = 0; m < models->count; m++)
        image8_free(sr[m]);
    return ok;
}

/* ---- summary files -------------------------------------------------------------- */

static gboolean write_summary(const char *path, const Models *models, int degrade_jpeg,
                              int scale, int images, const Scores *mean, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
#define SET_DOUBLE(key, v) \
    g_key_file_set_string(kf, SUMMARY_GROUP, key, g_ascii_formatd(buf, sizeof buf, "%.4f", v))
    g_key_file_set_comment(kf, NULL, NULL,
                           " Written by srgan-eval --summary: mean luma PSNR (dB) and SSIM,\n"
                           " border = scale, LR by MATLAB-style bicubic imresize.\n"
                           " srgan-* are the first model's; [model NAME] groups hold each\n"
                           " model's when several were measured.", NULL);
    g_key_file_set_string(kf, SUMMARY_GROUP, "model", models->file[0]);
    g_key_file_set_integer(kf, SUMMARY_GROUP, "scale", scale);
    g_key_file_set_integer(kf, SUMMARY_GROUP, "images", images);
    if (degrade_jpeg)
        g_key_file_set_integer(kf, SUMMARY_GROUP, "degrade-jpeg", degrade_jpeg);
    SET_DOUBLE("bicubic-psnr", mean->bicubic_psnr);
    SET_DOUBLE("bicubic-ssim", mean->bicubic_ssim);
    SET_DOUBLE("srgan-psnr", mean->psnr[0]);
    SET_DOUBLE("srgan-ssim", mean->ssim[0]);
    SET_DOUBLE("psnr-gain", mean->psnr[0] - mean->bicubic_psnr);
#undef SET_DOUBLE
    for (int m = 0; models->count > 1 && m < models->count; m++) {
        g_autofree char *group = g_strdup_printf("model %s", models->name[m]);
#define SET_DOUBLE(key, v) \
    g_key_file_set_string(kf, group, key, g_ascii_formatd(buf, sizeof buf, "%.4f", v))
        SET_DOUBLE("psnr", mean->psnr[m]);
        SET_DOUBLE("ssim", mean->ssim[m]);
        SET_DOUBLE("psnr-gain", mean->psnr[m] - mean->bicubic_psnr);
#undef SET_DOUBLE
    }
    return g_key_file_save_to_file(kf, path, error);   /* atomic replace */
}

static gboolean read_summary_double(GKeyFile *kf, const char *key, double *out, GError **error)
{
    g_autofree char *s = g_key_file_get_string(kf, SUMMARY_GROUP, key, error);
    if (!s)
        return FALSE;
    char *end;
    *out = g_ascii_strtod(s, &end);
    if (end == s || *end || !isfinite(*out)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s is not a number: %s", key, s);
        return FALSE;
    }
    return TRUE;
}

/* Fails when the measured mean gain over bicubic is more than `tolerance`
 * dB below the published one; the set of photos and the scale must match,
 * and bicubic itself must reproduce (else the protocol changed, not the model). */
static gboolean check_against(const char *path, double tolerance, int scale, int images,
                              const Scores *mean, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    GError *e = NULL;
    int want_scale = g_key_file_get_integer(kf, SUMMARY_GROUP, "scale", &e);
    int want_images = e ? 0 : g_key_file_get_integer(kf, SUMMARY_GROUP, "images", &e);
    double want_gain = 0, want_bicubic = 0;
    if (e || !read_summary_double(kf, "psnr-gain", &want_gain, &e) ||
        !read_summary_double(kf, "bicubic-psnr", &want_bicubic, &e)) {
        g_propagate_prefixed_error(error, e, "%s: ", path);
        return FALSE;
    }
    double gain = mean->psnr[0] - mean->bicubic_psnr;
    g_print("published (%s): scale %d, %d images, bicubic %.4f dB, gain %+.4f dB\n",
            path, want_scale, want_images, want_bicubic, want_gain);
    g_print("measured: scale %d, %d images, bicubic %.4f dB, gain %+.4f dB "
            "(allowed down to %+.4f dB)\n", scale, images, mean->bicubic_psnr, gain,
            want_gain - tolerance);
    if (want_scale != scale || want_images != images) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s was measured at %dx on %d images, this run is %dx on %d", path,
                    want_scale, want_images, scale, images);
        return FALSE;
    }
    if (fabs(mean->bicubic_psnr - want_bicubic) > 0.005) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "bicubic baseline moved: %.4f dB, published %.4f dB "
                    "(different photos or protocol)", mean->bicubic_psnr, want_bicubic);
        return FALSE;
    }
    if (!(gain >= want_gain - tolerance)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "quality regression: mean PSNR gain over bicubic %+.4f dB is more than "
                    "%.2f dB below the published %+.4f dB", gain, tolerance, want_gain);
        return FALSE;
    }
    return TRUE;
}

/* ---- a run ------------------------------------------------------------------------ */

/* The table (and summary, check, pictures) for `models` (none with
 * --bicubic-only) on the inputs. */
static gboolean run_models(const Options *opt, Models *models, int scale, GError **error)
{
    g_autoptr(GPtrArray) files = list_inputs(opt->inputs, error);
    if (!files)
        return FALSE;
    if (opt->sides_dir && g_mkdir_with_parents(opt->sides_dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create %s: %s",
                    opt->sides_dir, g_strerror(e));
        return FALSE;
    }

    g_autofree char *jpeg_note = opt->degrade_jpeg
        ? g_strdup_printf(", then JPEG quality %d", opt->degrade_jpeg) : g_strdup("");
    g_print("\nLuma PSNR (dB) / SSIM at %dx, border %d, LR = MATLAB bicubic imresize%s:\n\n",
            scale, scale, jpeg_note);
    if (models->count <= 1) {
        g_print("| %-32s | %-9s | %-7s | %-6s | %-7s | %-6s | %-6s |\n", "image", "size",
                "bicubic", "SSIM", "srgan", "SSIM", "gain");
        g_print("|%s|%s|%s|%s|%s|%s|%s|\n", "----------------------------------", "-----------",
                "--------:", "-------:", "--------:", "-------:", "-------:");
    } else {
        g_print("| %-32s | %-9s | %-7s | %-6s |", "image", "size", "bicubic", "SSIM");
        for (int m = 0; m < models->count; m++)
            g_print(" %s | SSIM |", models->name[m]);
        g_print("\n|%s|%s|%s|%s|", "----------------------------------", "-----------",
                "--------:", "-------:");
        for (int m = 0; m < models->count; m++)
            g_print("--------:|-------:|");
        g_print("\n");
    }
    Scores sum = { 0 };
    gint64 start = g_get_monotonic_time();
    for (guint i = 0; i < files->len; i++) {
        Scores s;
        if (!evaluate_image(files->pdata[i], models, scale, opt, &s, error))
            return FALSE;
        sum.bicubic_psnr += s.bicubic_psnr;
        sum.bicubic_ssim += s.bicubic_ssim;
        for (int m = 0; m < MAX_MODELS; m++) {
            sum.psnr[m] += s.psnr[m];
            sum.ssim[m] += s.ssim[m];
        }
    }
    int n = (int)files->len;
    Scores mean = { sum.bicubic_psnr / n, sum.bicubic_ssim / n, { 0 }, { 0 } };
    for (int m = 0; m < MAX_MODELS; m++) {
        mean.psnr[m] = sum.psnr[m] / n;
        mean.ssim[m] = sum.ssim[m] / n;
    }
    g_autofree char *label = g_strdup_printf("**mean of %d**", n);
    print_row(label, "", &mean, models->count);
    g_print("\n(%.1f s", (g_get_monotonic_time() - start) / 1e6);
    for (int m = 0; m < models->count; m++)
        g_print("; %s upscaling %.1f s", models->name[m], models->seconds[m]);
    g_print(")\n");

    if (opt->summary_path &&
        !write_summary(opt->summary_path, models, opt->degrade_jpeg, scale, n, &mean, error))
        return FALSE;
    if (opt->check_path) {
        if (!check_against(opt->check_path, opt->tolerance, scale, n, &mean, error))
            return FALSE;
        g_print("OK: no quality regression\n");
    }
    return TRUE;
}

static void models_clear(Models *models)
{
    for (int m = 0; m < models->count; m++) {
        g_clear_pointer(&models->model[m], srgan_model_unref);
        g_clear_pointer(&models->name[m], g_free);
        g_clear_pointer(&models->file[m], g_free);
    }
    models->count = 0;
}

static gboolean load_models(const Options *opt, Models *models, int *scale, GError **error)
{
    int wanted = opt->model_paths ? (int)g_strv_length(opt->model_paths) : 1;
    for (int m = 0; m < wanted; m++) {
        const char *given = opt->model_paths ? opt->model_paths[m] : NULL;
        SrganModel *model = srgan_model_load(given, error);
        if (!model)
            return FALSE;
        models->model[models->count++] = model;
        g_autofree char *path = given ? g_strdup(given) : srgan_default_model_path();
        g_autofree char *base = g_path_get_basename(path);
        models->file[m] = g_strdup(base);
        if (g_str_has_suffix(base, ".safetensors"))
            base[strlen(base) - strlen(".safetensors")] = '\0';
        models->name[m] = g_steal_pointer(&base);
        int s = srgan_model_get_scale(model);
        g_print("model %s: %dx, %d blocks, %d channels\n", path, s,
                srgan_model_get_blocks(model), srgan_model_get_channels(model));
        if (m > 0 && s != *scale) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s is a %dx model, %s is %dx: the models compared must have one scale",
                        models->name[m], s, models->name[0], *scale);
            return FALSE;
        }
        *scale = s;
    }
    return TRUE;
}

static gboolean run(Options *opt, GError **error)
{
    Models models = { 0 };
    int scale = opt->bicubic_scale;
    gboolean ok = opt->bicubic_only || load_models(opt, &models, &scale, error);
    if (ok) {
        if (opt->bicubic_only)
            models.file[0] = g_strdup("none (bicubic only)");
        ok = run_models(opt, &models, scale, error);
    }
    if (opt->bicubic_only)
        g_clear_pointer(&models.file[0], g_free);
    models_clear(&models);
    return ok;
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    Options opt = { .tolerance = 0.05, .crop_size = 160, .zoom = 1, .bicubic_scale = 4 };
    const GOptionEntry entries[] = {
        { "model", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.model_paths,
          "Generator weights, a file or an installed model's name (default: $SRGAN_MODEL, "
          "else the installed 4x model); repeat to compare models of one scale", "FILE" },
        { "degrade-jpeg", 0, 0, G_OPTION_ARG_INT, &opt.degrade_jpeg,
          "\"Real photo\" degradation: pass the LR image through JPEG of quality Q "
          "(1-100) before upscaling", "Q" },
        { "sides", 's', 0, G_OPTION_ARG_FILENAME, &opt.sides_dir,
          "Write side-by-side crops (bicubic | each model | original) into DIR", "DIR" },
        { "crop-size", 0, 0, G_OPTION_ARG_INT, &opt.crop_size,
          "Side of the side-by-side crops in HR pixels (default 160)", "N" },
        { "zoom", 0, 0, G_OPTION_ARG_INT, &opt.zoom,
          "Enlarge the crops N times by pixel replication (default 1)", "N" },
        { "summary", 0, 0, G_OPTION_ARG_FILENAME, &opt.summary_path,
          "Write the mean figures to FILE (key file)", "FILE" },
        { "check", 0, 0, G_OPTION_ARG_FILENAME, &opt.check_path,
          "Fail if the mean PSNR gain over bicubic is more than the tolerance below "
          "the one in FILE (written by --summary)", "FILE" },
        { "tolerance", 0, 0, G_OPTION_ARG_DOUBLE, &opt.tolerance,
          "Allowed drop of the gain for --check, dB (default 0.05)", "DB" },
        { "threads", 't', 0, G_OPTION_ARG_INT, &opt.threads,
          "Worker threads for the model (default: all cores)", "N" },
        { "tile-size", 0, 0, G_OPTION_ARG_INT, &opt.tile_size,
          "Tile side in LR pixels (default: automatic)", "N" },
        { "bicubic-only", 0, 0, G_OPTION_ARG_NONE, &opt.bicubic_only,
          "Measure bicubic only, no model", NULL },
        { "scale", 0, 0, G_OPTION_ARG_INT, &opt.bicubic_scale,
          "Scale for --bicubic-only (default 4)", "N" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.inputs, NULL,
          "HR_IMAGE_OR_FOLDER…" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) context = g_option_context_new("HR_IMAGE_OR_FOLDER…");
    g_option_context_set_summary(context,
        "Measures SRGAN against bicubic upscaling (luma PSNR and SSIM, LR made by\n"
        "MATLAB-style bicubic imresize, border = scale) on the given HR photos.");
    g_option_context_add_main_entries(context, entries, NULL);
    int status = 0;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        status = 2;
    } else if (!opt.inputs || !opt.inputs[0]) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "no HR images given");
        status = 2;
    } else if (opt.crop_size < 16 || opt.zoom < 1 || opt.zoom > 8 || opt.threads < 0 ||
               opt.tile_size < 0 || !(opt.tolerance >= 0) ||
               opt.bicubic_scale < 2 || opt.bicubic_scale > 8 || opt.degrade_jpeg < 0 ||
               opt.degrade_jpeg > 100 ||
               (opt.model_paths && g_strv_length(opt.model_paths) > MAX_MODELS)) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "option out of range (crop-size >= 16, zoom 1-8, threads >= 0, "
                    "tile-size >= 0, tolerance >= 0, scale 2-8, degrade-jpeg 1-100, "
                    "at most %d models)", MAX_MODELS);
        status = 2;
    } else if (opt.check_path && opt.model_paths && g_strv_length(opt.model_paths) > 1) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "--check measures one model: give --model once");
        status = 2;
    } else if (opt.bicubic_only && (opt.check_path || opt.model_paths || opt.sides_dir)) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "--bicubic-only measures no model: it cannot take --check, --model or --sides");
        status = 2;
    } else if (!run(&opt, &error)) {
        status = 1;
    }
    if (error)
        g_printerr("srgan-eval: %s\n", error->message);
    g_strfreev(opt.model_paths);
    g_free(opt.sides_dir);
    g_free(opt.summary_path);
    g_free(opt.check_path);
    g_strfreev(opt.inputs);
    return status;
}
