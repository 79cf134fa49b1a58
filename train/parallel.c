/* parallel.c — see parallel.h.
 *
 * The caller waits for the ITEMS to be done, not for the helpers to have
 * run: on a machine shared with other jobs a helper may not be scheduled
 * for tens of milliseconds, and a step makes about a thousand calls, so
 * waiting for every helper to wake up (even one that will find nothing
 * left to do) would cost more than the work.  A job is therefore on the
 * heap with a reference per pushed helper: a helper that starts late sees
 * that every item is taken and only drops its reference.
 *
 * Waking a sleeping thread takes tens of microseconds, and a step's calls
 * come a couple of milliseconds apart, often back to back: measured on an
 * SRGAN step, the helper spent 5 % of the wall time between being handed a
 * job and starting it, and the caller as much again waiting to be woken
 * when the helper finished.  So both spin a little (SPIN_US) before they
 * sleep: a helper that finds the next job pushed within that time runs it
 * at once, and a caller whose helper finishes within it returns at once.
 * Spinning is bounded, so a machine shared with other jobs loses at most
 * that per call.
 *
 * Why not longer: a helper spinning 5 ms made the SRGAN step about 5 %
 * faster on an idle machine (interleaved A/B: 3.15–3.55 → 3.04 s), but
 * where more threads want the cores than there are (other programs, tests
 * run side by side) the spinner takes a core from the thread it waits
 * for: the gradient-check test took 42–57 s beside a build instead of
 * 4–7 s.  A trainer that runs for hours beside a desktop must not do that. */
#include "parallel.h"

#define SPIN_US 100

typedef struct {
    TrainParallelFn fn;
    void *data;
    int count;
    gint next;          /* next item to take (atomic) */
    gint done;          /* items finished (atomic) */
    gint refs;          /* the caller + helpers that have not let go (atomic) */
    GMutex lock;
    GCond cond;
} Job;

typedef struct {
    Job *job;
    int worker;
} Task;

static GThreadPool *pool;
static int n_threads = 1;
static gint pushed;     /* tasks handed to the pool so far (atomic) */

/* Spins until *value != unlike, for up to SPIN_US; whether it changed. */
static gboolean spin_while_equal(gint *value, gint unlike)
{
    gint64 until = g_get_monotonic_time() + SPIN_US;
    do {
        for (int i = 0; i < 64; i++) {
            if (g_atomic_int_get(value) != unlike)
                return TRUE;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    } while (g_get_monotonic_time() < until);
    return g_atomic_int_get(value) != unlike;
}

static void job_unref(Job *job)
{
    if (g_atomic_int_dec_and_test(&job->refs)) {
        g_mutex_clear(&job->lock);
        g_cond_clear(&job->cond);
        g_free(job);
    }
}

static void work(Job *job, int worker)
{
    for (;;) {
        int item = g_atomic_int_add(&job->next, 1);
        if (item >= job->count)
            break;
        job->fn(job->data, item, worker);
        if (g_atomic_int_add(&job->done, 1) + 1 == job->count) {
            g_mutex_lock(&job->lock);
            g_cond_broadcast(&job->cond);
            g_mutex_unlock(&job->lock);
        }
    }
}

static void pool_run(gpointer task_ptr, G_GNUC_UNUSED gpointer unused)
{
    Task *task = task_ptr;
    gint seen = g_atomic_int_get(&pushed);
    work(task->job, task->worker);
    job_unref(task->job);
    g_free(task);
    /* the next task, if it comes soon, is then popped without sleeping */
    spin_while_equal(&pushed, seen);
}

void train_set_threads(int threads)
{
    if (threads <= 0)
        threads = (int)g_get_num_processors();
    threads = CLAMP(threads, 1, TRAIN_MAX_WORKERS);
    if (pool) {
        g_thread_pool_free(pool, FALSE, TRUE);
        pool = NULL;
    }
    n_threads = threads;
    if (threads > 1)
        /* exclusive: the threads stay up between calls (a step makes
         * hundreds of calls, each a few milliseconds long). */
        pool = g_thread_pool_new(pool_run, NULL, threads - 1, TRUE, NULL);
}

int train_threads(void)
{
    return n_threads;
}

void train_parallel_for(int count, TrainParallelFn fn, void *data)
{
    if (count <= 0)
        return;
    int helpers = MIN(n_threads, count) - 1;
    if (!pool || helpers <= 0) {
        for (int i = 0; i < count; i++)
            fn(data, i, 0);
        return;
    }
    Job *job = g_new0(Job, 1);
    job->fn = fn;
    job->data = data;
    job->count = count;
    job->refs = helpers + 1;
    g_mutex_init(&job->lock);
    g_cond_init(&job->cond);
    for (int i = 0; i < helpers; i++) {
        Task *task = g_new(Task, 1);
        *task = (Task){job, i + 1};
        g_thread_pool_push(pool, task, NULL);
        g_atomic_int_inc(&pushed);
    }
    work(job, 0);
    /* done only grows: spin while it has not reached count */
    for (gint done; (done = g_atomic_int_get(&job->done)) < count;)
        if (!spin_while_equal(&job->done, done))
            break;
    g_mutex_lock(&job->lock);
    while (g_atomic_int_get(&job->done) < count)
        g_cond_wait(&job->cond, &job->lock);
    g_mutex_unlock(&job->lock);
    job_unref(job);
}

void train_parallel_for_work(int count, size_t floats, TrainParallelFn fn, void *data)
{
    if (floats < TRAIN_PARALLEL_MIN_FLOATS) {
        for (int i = 0; i < count; i++)
            fn(data, i, 0);
        return;
    }
    train_parallel_for(count, fn, data);
}
