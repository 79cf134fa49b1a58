/* tile-plan.c — the automatic tiling for a model and image size: tile
 * side, halo, threads, buffers per thread, and the work it costs against
 * an untiled run (counted from the operation list and the halo, not
 * timed).  docs/speed.md's tile table comes from this.
 *
 *   tile-plan MODEL [SIZE…] [--threads N] [--tile T] [--halo H]
 */
#include <stdlib.h>

#include "tiler.h"

int main(int argc, char **argv)
{
    int threads = 2, tile = 0, halo = 0;
    GOptionEntry entries[] = {
        { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads (default 2)", "N" },
        { "tile", 0, 0, G_OPTION_ARG_INT, &tile, "tile size (default automatic)", "T" },
        { "halo", 0, 0, G_OPTION_ARG_INT, &halo, "halo (default the model's)", "H" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("MODEL [SIZE…]");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2) {
        g_printerr("tile-plan: %s\n", error ? error->message : "no model given");
        return 2;
    }
    g_autoptr(SrganModel) model = srgan_model_load(argv[1], &error);
    if (!model) {
        g_printerr("tile-plan: %s\n", error->message);
        return 2;
    }
    static const char *const default_sizes[] = { "256", "512", "1024", "2000", "3000", NULL };
    const char *const *sizes = argc > 2 ? (const char *const *)argv + 2 : default_sizes;
    g_print("# %s (%s): receptive radius %d, halo %d; %d thread(s)\n", argv[1],
            srgan_model_get_family(model), srgan_model_get_receptive_radius(model),
            halo ? halo : srgan_model_get_halo(model), threads);
    g_print("%6s %9s %5s %7s %8s %12s %10s\n", "size", "tile", "halo", "threads", "tiles",
            "MB/thread", "work");
    for (int i = 0; sizes[i]; i++) {
        const int side = atoi(sizes[i]);
        SrganParams p = srgan_params_default();
        p.threads = threads;
        p.tile_size = tile;
        p.halo = halo;
        SrganTilePlan plan;
        if (!srgan_tiler_plan(model, side, side, SRGAN_PIXELS_RGB, &p, &plan, &error)) {
            g_printerr("tile-plan: %s\n", error->message);
            return 1;
        }
        g_autofree char *tiles = g_strdup_printf("%dx%d", plan.tiles_x, plan.tiles_y);
        g_autofree char *shape = g_strdup_printf("%dx%d", plan.tile_w, plan.tile_h);
        g_print("%6d %9s %5d %7d %8s %12.1f %9.3fx\n", side, shape, plan.halo, plan.threads,
                tiles, plan.bytes_per_thread / 1048576.0, plan.work_ratio);
    }
    return 0;
}
