/* gradcheck.h — finite-difference gradient checking for the trainer tests.
 *
 * A check perturbs `count` coordinates of `values` by ±eps, re-evaluates
 * the loss through `loss` (which must run the forward pass from the current
 * values and return the scalar loss in double precision), and compares the
 * central differences with `analytic`: the error is
 * ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖) over the coordinates
 * checked, which must be ≤ tol (1e-2 for these fp32 layers, the bound
 * issue 6 sets).  Large arrays are sampled at `max_coords` random spots.
 * GRADCHECK_VERBOSE=1 in the environment prints each coordinate or
 * direction that disagrees, for debugging.
 */
#ifndef TESTS_TRAINER_GRADCHECK_H
#define TESTS_TRAINER_GRADCHECK_H

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

typedef double (*GradcheckLoss)(void *ctx);

static inline double central_difference(GradcheckLoss loss, void *ctx,
                                        float *value, float eps)
{
    float saved = *value;
    *value = saved + eps;
    double plus = loss(ctx);
    *value = saved - eps;
    double minus = loss(ctx);
    *value = saved;
    return (plus - minus) / (2.0 * eps);
}

static inline gboolean gradcheck(const char *what, GradcheckLoss loss, void *ctx,
                                 float *values, const float *analytic, size_t count,
                                 float eps, double tol, size_t max_coords, Rng *rng)
{
    double diff2 = 0.0, a2 = 0.0, n2 = 0.0;
    size_t checked = count < max_coords ? count : max_coords;
    for (size_t c = 0; c < checked; c++) {
        size_t k = count <= max_coords ? c : rng_below(rng, (guint32)count);
        double numeric = central_difference(loss, ctx, &values[k], eps);
        double a = analytic[k];
        if (getenv("GRADCHECK_VERBOSE") && fabs(a - numeric) > 0.05 * fabs(a) + 1e-6)
            printf("   coord %zu analytic %.6g numeric %.6g\n", k, a, numeric);
        diff2 += (a - numeric) * (a - numeric);
        a2 += a * a;
        n2 += numeric * numeric;
    }
    double denom = fmax(sqrt(a2), sqrt(n2));
    double rel = denom > 0 ? sqrt(diff2) / denom : 0.0;
    gboolean ok = rel <= tol && denom > 0;
    printf("%s %-40s rel.err %.2e  (|grad| %.3e, %zu coords)\n",
           ok ? "ok  " : "FAIL", what, rel, sqrt(a2), checked);
    return ok;
}

/* Directional form for deep networks with max-pooling: compares ∇L·v with
 * (L(x + εv) − L(x − εv))/2ε for `directions` unit directions v over all
 * coordinates at once, each v the sum of the analytic gradient's direction
 * and a random one (so that ∇L·v is never near zero, where any rounding
 * would be a large relative error; a wrong gradient still shows, because
 * the difference quotient measures the true slope along whatever v is).  One coordinate at a time, fp32 rounding spread
 * over every feature swamps the few features a pixel moves, and two
 * near-equal values in a pooling window blend both sides' slopes; along a
 * direction that moves everything, both are small next to the signal. */
static inline gboolean gradcheck_directional(const char *what, GradcheckLoss loss, void *ctx,
                                             float *values, const float *analytic, size_t count,
                                             float eps, double tol, int directions, Rng *rng)
{
    gboolean ok = TRUE;
    float *saved = g_memdup2(values, count * sizeof(float));
    float *dir = g_new(float, count);
    double worst = 0.0;
    for (int d = 0; d < directions; d++) {
        double norm = 0.0, a = 0.0, gnorm = 0.0, rnorm = 0.0;
        for (size_t k = 0; k < count; k++) {
            dir[k] = rng_normal(rng);
            rnorm += (double)dir[k] * dir[k];
            gnorm += (double)analytic[k] * analytic[k];
        }
        rnorm = sqrt(rnorm);
        gnorm = sqrt(gnorm);
        for (size_t k = 0; k < count; k++) {
            dir[k] = (float)(dir[k] / rnorm + (gnorm > 0 ? analytic[k] / gnorm : 0.0));
            norm += (double)dir[k] * dir[k];
        }
        norm = sqrt(norm);
        for (size_t k = 0; k < count; k++) {
            dir[k] = (float)(dir[k] / norm);
            a += (double)analytic[k] * dir[k];
        }
        for (size_t k = 0; k < count; k++)
            values[k] = saved[k] + eps * dir[k];
        double plus = loss(ctx);
        for (size_t k = 0; k < count; k++)
            values[k] = saved[k] - eps * dir[k];
        double minus = loss(ctx);
        memcpy(values, saved, count * sizeof(float));
        double numeric = (plus - minus) / (2.0 * eps);
        double rel = fabs(a - numeric) / fmax(fmax(fabs(a), fabs(numeric)), 1e-30);
        worst = fmax(worst, rel);
        if (getenv("GRADCHECK_VERBOSE"))
            printf("   direction %d: analytic %.6g numeric %.6g\n", d, a, numeric);
        if (rel > tol || (a == 0.0 && numeric == 0.0))
            ok = FALSE;
    }
    printf("%s %-40s rel.err %.2e  (worst of %d directions)\n",
           ok ? "ok  " : "FAIL", what, worst, directions);
    g_free(saved);
    g_free(dir);
    return ok;
}

#endif
