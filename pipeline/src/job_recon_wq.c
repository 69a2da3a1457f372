/* job_recon_wq.c -- a write queue: slices appended to a volume writer on a
 * thread of its own, so that writing slice z (format conversion, header
 * statistics, the write system call) overlaps the resampling of slice
 * z + 1 in pass 2 of fib_job_recon().
 *
 * Two slice buffers: fib__wq_append() copies the slice into a free one
 * (waiting, passively, while both are full) and returns at once; the
 * writer thread appends them in order.  The file gets the same bytes in
 * the same order as direct appends.  A writer error is returned by the next
 * fib__wq_append() and by fib__wq_drain(); after it nothing more is
 * written. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "job_recon_internal.h"

struct fib__wq {
    fib_fmt_volume_writer *w;
    fib_image buf[2];
    bool full[2];
    unsigned head, tail; /* next buffer to fill / to write */
    bool quit, started;
    fib_status st;
    fib_error err;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void *writer(void *arg)
{
    fib__wq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->full[q->tail] && !q->quit)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->full[q->tail])
            break; /* quit with nothing left */
        const unsigned k = q->tail;
        const bool skip = q->st != FIB_OK;
        pthread_mutex_unlock(&q->mu);
        fib_error e = {0};
        const fib_status st =
            skip ? FIB_OK : fib_fmt_volume_writer_append(q->w, &q->buf[k], &e);
        pthread_mutex_lock(&q->mu);
        if (st && !q->st) {
            q->st = st;
            q->err = e;
        }
        q->full[k] = false;
        q->tail = k ^ 1u;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

fib_status fib__wq_create(fib_fmt_volume_writer *w, fib_pixel_type type,
                          size_t nx, size_t ny, fib__wq **out, fib_error *err)
{
    *out = NULL;
    fib__wq *q = calloc(1, sizeof *q);
    if (!q)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    q->w = w;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    fib_status st = fib_image_init(&q->buf[0], type, nx, ny, err);
    if (!st)
        st = fib_image_init(&q->buf[1], type, nx, ny, err);
    if (!st && pthread_create(&q->th, NULL, writer, q) != 0)
        st = fib_error_set(err, FIB_EIO,
                           "recon: cannot start the writer "
                           "thread");
    if (st) {
        fib__wq_destroy(q);
        return st;
    }
    q->started = true;
    *out = q;
    return FIB_OK;
}

fib_status fib__wq_append(fib__wq *q, const fib_image *im, fib_error *err)
{
    if (im->width != q->buf[0].width || im->height != q->buf[0].height ||
        im->type != q->buf[0].type) /* never the writer from two threads */
        return fib_error_set(err, FIB_EINVAL,
                             "recon: output slice is %zu x %zu %s, the volume "
                             "%zu x %zu %s",
                             im->width, im->height,
                             fib_pixel_type_name(im->type), q->buf[0].width,
                             q->buf[0].height,
                             fib_pixel_type_name(q->buf[0].type));
    pthread_mutex_lock(&q->mu);
    while (q->full[q->head] && !q->st)
        pthread_cond_wait(&q->cv, &q->mu);
    if (q->st) {
        const fib_status st = q->st;
        if (err)
            *err = q->err;
        pthread_mutex_unlock(&q->mu);
        return st;
    }
    const unsigned k = q->head;
    pthread_mutex_unlock(&q->mu);
    /* buffer k is empty and only this thread fills it */
    const size_t row = im->width * fib_pixel_size_bytes(im->type);
    for (size_t y = 0; y < im->height; y++)
        memcpy(fib_image_row(&q->buf[k], y), fib_image_row(im, y), row);
    pthread_mutex_lock(&q->mu);
    q->full[k] = true;
    q->head = k ^ 1u;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return FIB_OK;
}

fib_status fib__wq_drain(fib__wq *q, fib_error *err)
{
    if (!q || !q->started)
        return FIB_OK;
    pthread_mutex_lock(&q->mu);
    q->quit = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    q->started = false;
    if (q->st && err)
        *err = q->err;
    return q->st;
}

void fib__wq_destroy(fib__wq *q)
{
    if (!q)
        return;
    (void)fib__wq_drain(q, NULL);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    fib_image_clear(&q->buf[0]);
    fib_image_clear(&q->buf[1]);
    free(q);
}
