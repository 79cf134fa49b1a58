/* reduce.h — sums over the trainer's float arrays, kept in double.
 *
 * One double accumulator makes every add wait for the one before (about
 * four cycles each), and the compiler may not reorder a floating-point sum
 * on its own; eight independent partial sums, added together at the end,
 * let it run eight lanes at once.  Batch-norm statistics, PReLU slopes and
 * biases sum every element of a channel this way. */
#ifndef TRAIN_REDUCE_H
#define TRAIN_REDUCE_H

#include <stddef.h>

#define REDUCE_LANES 8

static inline double reduce_lanes(const double *acc)
{
    double s = 0.0;
    for (int j = 0; j < REDUCE_LANES; j++)
        s += acc[j];
    return s;
}

/* Σ x */
static inline double reduce_sum(const float *x, size_t n)
{
    double acc[REDUCE_LANES] = {0};
    size_t i = 0;
    for (; i + REDUCE_LANES <= n; i += REDUCE_LANES)
        for (int j = 0; j < REDUCE_LANES; j++)
            acc[j] += (double)x[i + j];
    double s = reduce_lanes(acc);
    for (; i < n; i++)
        s += (double)x[i];
    return s;
}

/* Σ (x − mean)² */
static inline double reduce_squared_deviation(const float *x, size_t n, double mean)
{
    double acc[REDUCE_LANES] = {0};
    size_t i = 0;
    for (; i + REDUCE_LANES <= n; i += REDUCE_LANES)
        for (int j = 0; j < REDUCE_LANES; j++) {
            double d = (double)x[i + j] - mean;
            acc[j] += d * d;
        }
    double s = reduce_lanes(acc);
    for (; i < n; i++) {
        double d = (double)x[i] - mean;
        s += d * d;
    }
    return s;
}

/* *sum = Σ y, *sum_dev = Σ y·(x − mean) */
static inline void reduce_sum_and_moment(const float *y, const float *x, size_t n,
                                         double mean, double *sum, double *sum_dev)
{
    double a[REDUCE_LANES] = {0}, b[REDUCE_LANES] = {0};
    size_t i = 0;
    for (; i + REDUCE_LANES <= n; i += REDUCE_LANES)
        for (int j = 0; j < REDUCE_LANES; j++) {
            a[j] += (double)y[i + j];
            b[j] += (double)y[i + j] * ((double)x[i + j] - mean);
        }
    double s = reduce_lanes(a), t = reduce_lanes(b);
    for (; i < n; i++) {
        s += (double)y[i];
        t += (double)y[i] * ((double)x[i] - mean);
    }
    *sum = s;
    *sum_dev = t;
}

#endif
