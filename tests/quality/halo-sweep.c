/* halo-sweep.c — what a tile halo costs in accuracy, for models whose
 * receptive field is too large to tile exactly (RRDBNet: about 350 low-res
 * pixels).
 *
 * For each photo, a centre crop is upscaled once as a single tile (the
 * reference: no seams, full context) and once per halo with small tiles,
 * so that it has many tile borders.  Reported per halo: PSNR of the tiled
 * result against the reference (RGB, values in [0,1]), the largest
 * difference in 8-bit steps, and the seam: how much the error jumps
 * between two neighbouring pixels across a tile border (mean, in 8-bit
 * steps), and that jump against the same jump between neighbours
 * elsewhere.  A visible seam is an error field that steps at the border by
 * a good part of an 8-bit step along a whole line; an error that grows
 * smoothly towards the border, or steps by a small fraction of a level,
 * is not seen.
 *
 *   halo-sweep --model realesrgan-x4plus --crop 128 --tile 40 --halos 8,16,24 photo.png …
 *   halo-sweep --model M --check-db 50 --check-seam 0.5 photo.png   (a test: exit 1 if violated)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image8.h"
#include "srgan.h"

typedef struct {
    const float *rgb;       /* source, (h, w, 3) */
    int width;
    float *out;             /* result, (h·s, w·s, 3) */
    int out_width;
} Io;

static gboolean read_rect(gpointer data, int x, int y, int w, int h, float *buf, GError **error)
{
    const Io *io = data;
    (void)error;
    for (int r = 0; r < h; r++)
        memcpy(buf + (size_t)r * w * 3, io->rgb + ((size_t)(y + r) * io->width + x) * 3,
               sizeof(float) * w * 3);
    return TRUE;
}

static gboolean write_rect(gpointer data, int x, int y, int w, int h, const float *buf, GError **error)
{
    Io *io = data;
    (void)error;
    for (int r = 0; r < h; r++)
        memcpy(io->out + ((size_t)(y + r) * io->out_width + x) * 3, buf + (size_t)r * w * 3,
               sizeof(float) * w * 3);
    return TRUE;
}

static float *upscale(SrganModel *model, const float *rgb, int w, int h, int tile, int halo,
                      GError **error)
{
    const int s = srgan_model_get_scale(model);
    Io io = { rgb, w, g_new0(float, (size_t)w * s * h * s * 3), w * s };
    SrganParams p = srgan_params_default();
    p.tile_size = tile;
    p.halo = halo;
    if (!srgan_upscale(model, w, h, SRGAN_PIXELS_RGB, read_rect, write_rect, &io, &p, error)) {
        g_free(io.out);
        return NULL;
    }
    return io.out;
}

typedef struct {
    double psnr, max_diff;      /* dB; 8-bit steps */
    double seam, seam_ratio;    /* mean jump across borders, 8-bit steps; against elsewhere */
} Errors;

/* e = a − b over a w × h image (3 channels) cut into tiles of `tile`
 * output pixels. */
static Errors compare(const float *a, const float *b, int w, int h, int tile)
{
    Errors r = { 0 };
    double sse = 0.0, jump_border = 0.0, jump_inside = 0.0;
    gint64 n_border = 0, n_inside = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                const size_t i = ((size_t)y * w + x) * 3 + c;
                const double e = (double)a[i] - b[i];
                sse += e * e;
                r.max_diff = MAX(r.max_diff, fabs(e));
                /* Jumps of the error to the left and upper neighbour. */
                if (x > 0) {
                    const double j = fabs(e - ((double)a[i - 3] - b[i - 3]));
                    if (x % tile == 0) { jump_border += j; n_border++; }
                    else { jump_inside += j; n_inside++; }
                }
                if (y > 0) {
                    const size_t up = i - (size_t)w * 3;
                    const double j = fabs(e - ((double)a[up] - b[up]));
                    if (y % tile == 0) { jump_border += j; n_border++; }
                    else { jump_inside += j; n_inside++; }
                }
            }
    const double mse = sse / ((double)w * h * 3);
    r.psnr = mse > 0 ? 10.0 * log10(1.0 / mse) : INFINITY;
    r.max_diff *= 255.0;
    /* 1e-7: below float rounding, so an exact tiling reads as ratio ~1. */
    r.seam = n_border ? 255.0 * jump_border / n_border : 0.0;
    r.seam_ratio = n_border && n_inside
        ? (jump_border / n_border + 1e-7) / (jump_inside / n_inside + 1e-7) : 1.0;
    return r;
}

int main(int argc, char **argv)
{
    g_autofree char *model_name = NULL, *halos_text = NULL;
    int crop = 128, tile = 40;
    double check_db = 0.0, check_seam = 0.0;
    GOptionEntry entries[] = {
        { "model", 0, 0, G_OPTION_ARG_STRING, &model_name, "model name or path", "M" },
        { "crop", 0, 0, G_OPTION_ARG_INT, &crop, "side of the centre crop (default 128)", "PX" },
        { "tile", 0, 0, G_OPTION_ARG_INT, &tile, "tile side for the tiled runs (default 40)", "PX" },
        { "halos", 0, 0, G_OPTION_ARG_STRING, &halos_text, "halos to try, comma-separated (default: the model's)", "LIST" },
        { "check-db", 0, 0, G_OPTION_ARG_DOUBLE, &check_db, "fail if any PSNR is below this", "DB" },
        { "check-seam", 0, 0, G_OPTION_ARG_DOUBLE, &check_seam, "fail if any mean jump across a tile border is above this many 8-bit steps", "STEPS" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("PHOTO… — tiled against whole-image error per halo");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2) {
        g_printerr("halo-sweep: %s\n", error ? error->message : "no photos given");
        return 2;
    }
    g_autoptr(SrganModel) model = srgan_model_load(model_name, &error);
    if (!model) {
        g_printerr("halo-sweep: %s\n", error->message);
        return 2;
    }
    const int s = srgan_model_get_scale(model);
    g_autoptr(GArray) halos = g_array_new(FALSE, FALSE, sizeof(int));
    if (halos_text) {
        g_auto(GStrv) parts = g_strsplit(halos_text, ",", -1);
        for (int i = 0; parts[i]; i++) {
            const int h = atoi(parts[i]);
            g_array_append_val(halos, h);
        }
    } else {
        const int h = srgan_model_get_halo(model);
        g_array_append_val(halos, h);
    }

    g_print("# %s, receptive radius %d, default halo %d; %d-pixel centre crops, %d-pixel tiles\n",
            model_name ? model_name : "default model", srgan_model_get_receptive_radius(model),
            srgan_model_get_halo(model), crop, tile);
    g_print("%-32s %5s %9s %9s %10s %11s\n", "photo", "halo", "PSNR dB", "max /255",
            "seam /255", "seam ratio");
    gboolean failed = FALSE;
    g_autofree double *worst_db = g_new(double, halos->len);
    g_autofree double *worst_max = g_new0(double, halos->len);
    g_autofree double *worst_seam = g_new0(double, halos->len);
    g_autofree double *worst_ratio = g_new0(double, halos->len);
    for (guint k = 0; k < halos->len; k++)
        worst_db[k] = INFINITY;
    for (int i = 1; i < argc; i++) {
        g_autoptr(Image8) photo = image8_load(argv[i], &error);
        if (!photo) {
            g_printerr("halo-sweep: %s\n", error->message);
            return 2;
        }
        const int side = MIN(crop, MIN(photo->width, photo->height));
        g_autoptr(Image8) part = image8_crop(photo, (photo->width - side) / 2,
                                             (photo->height - side) / 2, side, side);
        g_autofree float *rgb = g_new(float, (size_t)side * side * 3);
        for (size_t p = 0; p < (size_t)side * side * 3; p++)
            rgb[p] = part->rgb[p] / 255.0f;
        /* One tile covering the crop: every pixel sees all of it. */
        g_autofree float *whole = upscale(model, rgb, side, side, side, 0, &error);
        if (!whole) {
            g_printerr("halo-sweep: %s\n", error->message);
            return 2;
        }
        g_autofree char *base = g_path_get_basename(argv[i]);
        for (guint k = 0; k < halos->len; k++) {
            const int halo = g_array_index(halos, int, k);
            g_autofree float *tiled = upscale(model, rgb, side, side, tile, halo, &error);
            if (!tiled) {
                g_printerr("halo-sweep: %s\n", error->message);
                return 2;
            }
            const Errors e = compare(tiled, whole, side * s, side * s, tile * s);
            g_print("%-32s %5d %9.2f %9.2f %10.3f %11.2f\n", base, halo, e.psnr, e.max_diff,
                    e.seam, e.seam_ratio);
            worst_db[k] = MIN(worst_db[k], e.psnr);
            worst_max[k] = MAX(worst_max[k], e.max_diff);
            worst_seam[k] = MAX(worst_seam[k], e.seam);
            worst_ratio[k] = MAX(worst_ratio[k], e.seam_ratio);
            if ((check_db > 0 && e.psnr < check_db) || (check_seam > 0 && e.seam > check_seam)) {
                g_printerr("halo-sweep: %s, halo %d: %.2f dB, seam %.3f/255 (required: >= %.1f dB, <= %.2f/255)\n",
                           base, halo, e.psnr, e.seam, check_db, check_seam);
                failed = TRUE;
            }
        }
    }
    g_print("# worst over %d photo(s):\n", argc - 1);
    for (guint k = 0; k < halos->len; k++)
        g_print("# halo %3d: %.2f dB, max %.2f/255, seam %.3f/255, seam ratio %.2f\n",
                g_array_index(halos, int, k), worst_db[k], worst_max[k], worst_seam[k], worst_ratio[k]);
    return failed ? 1 : 0;
}
