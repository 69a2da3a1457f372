/* series_reader.c -- read-ahead decoding of a file series, with a spill
 * file of raw pixels for a second pass (fib/series_reader.h).
 *
 * Concurrency: one mutex guards the ring of slots and the counters; the
 * decoders wait on `work` (a free slot or quit), the caller waits on `done`
 * (its slot ready, or no decode in flight during a restart).  The ring
 * holds indices [want, want + ahead): a decoder takes index `next` while
 * next < want + ahead, decodes it outside the lock and stores it in slot
 * next % ahead.  The caller's get(i) moves slot i's image out (it owns it
 * until the next call), so the slot is free at once.  A get(i) with i !=
 * want restarts: it waits until no decode is in flight, drops the ready
 * slots and starts again at i.  The spill file is written with pwrite() at
 * offset i * slice_bytes by the thread that decoded slice i and read with
 * pread() by any thread, so no two threads touch the same bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fib/formats.h"
#include "fib/series_reader.h"

enum { SLOT_EMPTY, SLOT_BUSY, SLOT_READY };

typedef struct slot {
    size_t idx;
    int state;
    fib_image img;
    fib_status st;
    fib_error err;
} slot;

struct fib_fmt_series_reader {
    char *const *paths;
    size_t n;
    int nthreads;
    pthread_t *th;
    int started; /* threads running */
    size_t ahead;
    slot *ring;
    size_t next, want;
    int busy;
    bool quit;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    fib_image cur; /* the image handed out by the last get */
    /* spill: raw pixels of the first slice's size and type */
    int spill_fd; /* -1: none */
    fib_pixel_type sp_type;
    size_t sp_w, sp_h, sp_bytes;
    bool sp_known;
    unsigned char *spilled; /* n flags, under mu */
    size_t hits;
    bool pages; /* slice i = page i */
};

/* Raw bytes of a contiguous image, or 0 if it is not contiguous. */
static size_t raw_bytes(const fib_image *im)
{
    const size_t row = im->width * fib_pixel_size_bytes(im->type);
    return im->stride == row ? row * im->height : 0;
}

/* Slice i from the spill into a new image; false when that fails (the
 * caller then decodes the file). */
static bool spill_read(fib_fmt_series_reader *r, size_t i, fib_image *out)
{
    fib_error e = {0};
    if (fib_image_init(out, r->sp_type, r->sp_w, r->sp_h, &e) != FIB_OK)
        return false;
    const off_t off = (off_t)(i * r->sp_bytes);
    size_t got = 0;
    while (got < r->sp_bytes) {
        const ssize_t k = pread(r->spill_fd, (char *)out->data + got,
                                r->sp_bytes - got, off + (off_t)got);
        if (k <= 0 && !(k < 0 && errno == EINTR)) {
            fib_image_clear(out);
            return false;
        }
        if (k > 0)
            got += (size_t)k;
    }
    return true;
}

/* Append slice i to the spill if it has the spill's size and type. */
static void spill_write(fib_fmt_series_reader *r, size_t i, const fib_image *im)
{
    pthread_mutex_lock(&r->mu);
    if (!r->sp_known && raw_bytes(im)) {
        r->sp_known = true;
        r->sp_type = im->type;
        r->sp_w = im->width;
        r->sp_h = im->height;
        r->sp_bytes = raw_bytes(im);
    }
    const bool fits = r->sp_known && im->type == r->sp_type &&
                      im->width == r->sp_w && im->height == r->sp_h &&
                      raw_bytes(im) == r->sp_bytes && !r->spilled[i];
    pthread_mutex_unlock(&r->mu);
    if (!fits)
        return;
    const off_t off = (off_t)(i * r->sp_bytes);
    size_t put = 0;
    while (put < r->sp_bytes) {
        const ssize_t k = pwrite(r->spill_fd, (const char *)im->data + put,
                                 r->sp_bytes - put, off + (off_t)put);
        if (k <= 0 && !(k < 0 && errno == EINTR))
            return; /* disk full or the like: decode it again later */
        if (k > 0)
            put += (size_t)k;
    }
    pthread_mutex_lock(&r->mu);
    r->spilled[i] = 1;
    pthread_mutex_unlock(&r->mu);
}

/* Slice i into s (any thread, outside the lock). */
static void load(fib_fmt_series_reader *r, size_t i, slot *s)
{
    bool from_spill = false;
    if (r->spill_fd >= 0) {
        pthread_mutex_lock(&r->mu);
        from_spill = r->spilled[i] != 0;
        pthread_mutex_unlock(&r->mu);
    }
    memset(&s->img, 0, sizeof s->img);
    fib_error_clear(&s->err);
    if (from_spill && spill_read(r, i, &s->img)) {
        s->st = FIB_OK;
        pthread_mutex_lock(&r->mu);
        r->hits++;
        pthread_mutex_unlock(&r->mu);
        return;
    }
    fib_fmt_read_opts ro = {0};
    ro.page = r->pages ? i : 0;
    s->st = fib_fmt_image_read(r->paths[i], &ro, &s->img, NULL, &s->err);
    if (s->st == FIB_OK && r->spill_fd >= 0)
        spill_write(r, i, &s->img);
}

static void *decoder(void *arg)
{
    fib_fmt_series_reader *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->quit && !(r->next < r->n && r->next < r->want + r->ahead &&
                             r->ring[r->next % r->ahead].state == SLOT_EMPTY))
            pthread_cond_wait(&r->work, &r->mu);
        if (r->quit)
            break;
        const size_t i = r->next++;
        slot *s = &r->ring[i % r->ahead];
        s->state = SLOT_BUSY;
        s->idx = i;
        r->busy++;
        pthread_mutex_unlock(&r->mu);
        slot tmp;
        load(r, i, &tmp);
        pthread_mutex_lock(&r->mu);
        s->img = tmp.img;
        s->st = tmp.st;
        s->err = tmp.err;
        s->state = SLOT_READY;
        r->busy--;
        pthread_cond_broadcast(&r->done);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Drop the read-ahead and start it again at i (lock held). */
static void restart(fib_fmt_series_reader *r, size_t i)
{
    while (r->busy > 0)
        pthread_cond_wait(&r->done, &r->mu);
    for (size_t k = 0; k < r->ahead; k++) {
        if (r->ring[k].state == SLOT_READY)
            fib_image_clear(&r->ring[k].img);
        r->ring[k].state = SLOT_EMPTY;
    }
    r->next = i;
    r->want = i;
}

fib_status fib_fmt_series_reader_get(fib_fmt_series_reader *r, size_t i,
                                     const fib_image **img, fib_error *err)
{
    *img = NULL;
    if (!r || i >= r->n)
        return fib_error_set(err, FIB_EINVAL, "series reader: slice %zu of %zu",
                             i, r ? r->n : 0);
    fib_image_clear(&r->cur);
    slot s;
    if (!r->started) {
        load(r, i, &s);
    } else {
        pthread_mutex_lock(&r->mu);
        if (i != r->want)
            restart(r, i);
        r->want = i; /* wakes decoders up to i + ahead - 1 */
        pthread_cond_broadcast(&r->work);
        slot *q = &r->ring[i % r->ahead];
        while (!(q->state == SLOT_READY && q->idx == i))
            pthread_cond_wait(&r->done, &r->mu);
        s = *q;
        q->state = SLOT_EMPTY;
        r->want = i + 1;
        pthread_cond_broadcast(&r->work);
        pthread_mutex_unlock(&r->mu);
    }
    if (s.st) {
        fib_image_clear(&s.img);
        if (err)
            *err = s.err;
        return s.st;
    }
    r->cur = s.img;
    *img = &r->cur;
    return FIB_OK;
}

size_t fib_fmt_series_reader_spill_hits(const fib_fmt_series_reader *r)
{
    return r ? r->hits : 0;
}

/* The unlinked spill file in dir, or -1. */
static int spill_open(const char *dir)
{
    char path[4096];
    const int k = snprintf(path, sizeof path, "%s/.cryofib-spill-XXXXXX", dir);
    if (k < 0 || (size_t)k >= sizeof path)
        return -1;
    const int fd = mkstemp(path);
    if (fd >= 0)
        (void)unlink(path);
    return fd;
}

fib_status fib_fmt_series_reader_create(char *const *paths, size_t n,
                                        const fib_fmt_series_reader_opts *o,
                                        fib_fmt_series_reader **out,
                                        fib_error *err)
{
    *out = NULL;
    const int nt = o ? o->threads : 0;
    if (!paths || n == 0 || nt < 0 || nt > 256)
        return fib_error_set(err, FIB_EINVAL,
                             "series reader: %zu files, %d threads (0..256)", n,
                             nt);
    fib_fmt_series_reader *r = calloc(1, sizeof *r);
    if (!r)
        return fib_error_set(err, FIB_ENOMEM, "series reader: out of memory");
    r->paths = paths;
    r->n = n;
    r->nthreads = nt;
    r->ahead = o && o->ahead ? o->ahead : 2 * (size_t)nt + 1;
    r->spill_fd = -1;
    r->pages = o && o->pages;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->work, NULL);
    pthread_cond_init(&r->done, NULL);
    if (o && o->spill_dir) {
        r->spilled = calloc(n, 1);
        if (r->spilled)
            r->spill_fd = spill_open(o->spill_dir);
    }
    if (nt > 0) {
        r->ring = calloc(r->ahead, sizeof *r->ring);
        r->th = calloc((size_t)nt, sizeof *r->th);
        if (!r->ring || !r->th) {
            fib_fmt_series_reader_destroy(r);
            return fib_error_set(err, FIB_ENOMEM,
                                 "series reader: out of memory");
        }
        for (int k = 0; k < nt; k++) {
            if (pthread_create(&r->th[k], NULL, decoder, r) != 0) {
                fib_fmt_series_reader_destroy(r);
                return fib_error_set(err, FIB_EIO,
                                     "series reader: cannot start a decoder "
                                     "thread");
            }
            r->started++;
        }
    }
    *out = r;
    return FIB_OK;
}

void fib_fmt_series_reader_destroy(fib_fmt_series_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->quit = true;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < r->started; k++)
        pthread_join(r->th[k], NULL);
    if (r->ring)
        for (size_t k = 0; k < r->ahead; k++)
            if (r->ring[k].state == SLOT_READY)
                fib_image_clear(&r->ring[k].img);
    fib_image_clear(&r->cur);
    if (r->spill_fd >= 0)
        close(r->spill_fd);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->done);
    free(r->spilled);
    free(r->ring);
    free(r->th);
    free(r);
}
