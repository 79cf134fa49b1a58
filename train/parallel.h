/* parallel.h — the trainer's worker threads.
 *
 * One process-wide GThreadPool runs the per-image work of the convolutions
 * (and other per-channel loops): the caller is worker 0 and the pool adds
 * threads − 1 more, each pulling the next item from a shared counter, so a
 * worker slowed by another job on a busy machine simply takes fewer items.
 * BLAS inside an item must be single-threaded (main.c sets OpenBLAS to one
 * thread): two levels of threads on two cores only spin against each other.
 */
#ifndef TRAIN_PARALLEL_H
#define TRAIN_PARALLEL_H

#include <glib.h>

#define TRAIN_MAX_WORKERS 64

/* item: 0 … count − 1; worker: 0 … train_threads() − 1, so per-worker
 * scratch can be indexed by it. */
typedef void (*TrainParallelFn)(void *data, int item, int worker);

/* Sets the number of workers (≤ 0: the number of cores). */
void train_set_threads(int threads);
int train_threads(void);
/* Runs fn for every item on the workers and returns when all are done. */
void train_parallel_for(int count, TrainParallelFn fn, void *data);
/* The same for cheap element-wise loops (BatchNorm, PReLU, biases):
 * `floats` is about how many the whole loop touches; below
 * TRAIN_PARALLEL_MIN_FLOATS it runs on the caller alone, since handing out
 * microseconds of work costs more than it saves. */
#define TRAIN_PARALLEL_MIN_FLOATS ((size_t)1 << 16)
void train_parallel_for_work(int count, size_t floats, TrainParallelFn fn, void *data);

#endif
