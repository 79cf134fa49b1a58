/* parallel.c — see parallel.h. */
#include "parallel.h"

typedef struct {
    TrainParallelFn fn;
    void *data;
    int count;
    gint next;          /* next item to take (atomic) */
    GMutex lock;
    GCond done;
    int running;        /* pool workers not yet finished */
} Job;

static GThreadPool *pool;
static int n_threads = 1;

static void work(Job *job, int worker)
{
    for (;;) {
        int item = g_atomic_int_add(&job->next, 1);
        if (item >= job->count)
            break;
        job->fn(job->data, item, worker);
    }
}

typedef struct {
    Job *job;
    int worker;
} Task;

static void pool_run(gpointer task_ptr, G_GNUC_UNUSED gpointer unused)
{
    Task *task = task_ptr;
    Job *job = task->job;
    work(job, task->worker);
    g_mutex_lock(&job->lock);
    if (--job->running == 0)
        g_cond_signal(&job->done);
    g_mutex_unlock(&job->lock);
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
    Job job = {.fn = fn, .data = data, .count = count, .next = 0, .running = helpers};
    g_mutex_init(&job.lock);
    g_cond_init(&job.done);
    Task tasks[TRAIN_MAX_WORKERS];
    for (int i = 0; i < helpers; i++) {
        tasks[i] = (Task){&job, i + 1};
        g_thread_pool_push(pool, &tasks[i], NULL);
    }
    work(&job, 0);
    g_mutex_lock(&job.lock);
    while (job.running > 0)
        g_cond_wait(&job.done, &job.lock);
    g_mutex_unlock(&job.lock);
    g_mutex_clear(&job.lock);
    g_cond_clear(&job.done);
}
