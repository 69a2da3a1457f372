/* recon_pass1.c -- pass 1 of a streaming reconstruction (fib/recon.h):
 * each slice is read once, its spectrum kept in a ring of the last K, and
 * the pairs (i - k, i) measured in parallel; fib_recon_estimate() runs it,
 * the solve and the geometry. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recon_stack.h"

/* ---- pass 1 ----------------------------------------------------------- */

static fib_status add_pair(fib_recon *r, size_t a, size_t b, fib_error *err)
{
    if (r->n_pairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? 2 * r->cap_pairs : 64;
        const bool lin = r->p.model != FIB_RECON_MODEL_TRANSLATION;
        const size_t each =
            sizeof(fib_recon_pair) + (lin ? sizeof(fib__pair_lin) : 0);
        fib_status st = fib__recon_charge(r, (cap - r->cap_pairs) * each,
                                          "pair table", err);
        if (st)
            return st;
        fib_recon_pair *np = realloc(r->pairs, cap * sizeof *np);
        if (!np)
            return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        r->pairs = np;
        if (lin) {
            fib__pair_lin *nl = realloc(r->plin, cap * sizeof *nl);
            if (!nl)
                return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
            r->plin = nl;
        }
        r->cap_pairs = cap;
    }
    fib_recon_pair *pr = &r->pairs[r->n_pairs++];
    memset(pr, 0, sizeof *pr);
    pr->a = a;
    pr->b = b;
    pr->used = true;
    if (r->plin)
        memset(&r->plin[r->n_pairs - 1], 0, sizeof *r->plin);
    return FIB_OK;
}

bool fib__recon_skippable(fib_status st)
{
    return st == FIB_ENOTFOUND || st == FIB_EFORMAT || st == FIB_EIO ||
           st == FIB_EINVAL;
}

/* Read slice i into buf (and run the preprocess hook). */
fib_status fib__recon_read_slice(fib_recon *r, const fib_recon_source *s,
                                 size_t i, fib_image *buf, fib_error *err)
{
    fib_status st = s->read(s->user, i, buf, err);
    if (st == FIB_OK && r->p.preprocess)
        st = r->p.preprocess(r->p.preprocess_user, i, buf, err);
    if (st == FIB_OK && (buf->width != s->width || buf->height != s->height ||
                         buf->type != FIB_PX_F32))
        st = fib_error_set(err, FIB_EINVAL,
                           "recon: reader changed the slice buffer");
    return st;
}

/* Pass-1 state: the ring of the last spectra and the slice buffer. */
typedef struct pass1 {
    fib__aligner *al;
    size_t ring;                        /* K + 1, or K + 2 pipelined */
    void *spec[MAX_NEIGHBOURS + 2];     /* ring of half spectra */
    size_t slot_of[MAX_NEIGHBOURS + 2]; /* slice index held by each slot */
    bool slot_ok[MAX_NEIGHBOURS + 2];   /* slot holds a kept slice */
    fib_image buf;                      /* the slice being read */
    fib__recon_tiles *tiles;            /* models beyond translation, or NULL */
} pass1;

/* The pairs (i - k, i) of one slice: the older slices' ring slots and
 * indices, and the results. */
typedef struct pair_plan {
    size_t n, b_slot;
    size_t a[MAX_NEIGHBOURS], a_slot[MAX_NEIGHBOURS];
    double dx[MAX_NEIGHBOURS], dy[MAX_NEIGHBOURS], q[MAX_NEIGHBOURS];
    double lin[MAX_NEIGHBOURS][4];    /* tile-fit linear parts (models) */
    double tshift[MAX_NEIGHBOURS][3]; /* tile-fit shift at the centre, rms */
    size_t lin_tiles[MAX_NEIGHBOURS];
} pair_plan;

/* Read slice i into its ring slot and transform it; plan its pairs with
 * the kept slices among the K previous (none when it is skipped). */
static fib_status produce(fib_recon *r, pass1 *c, const fib_progress *prog,
                          size_t i, pair_plan *plan, fib_error *err)
{
    plan->n = 0;
    fib_status st = fib_progress_report(prog, "align", i, r->src.n_slices, err);
    if (st)
        return st;
    const size_t slot = i % c->ring;
    c->slot_ok[slot] = false;
    c->slot_of[slot] = i;
    st = fib__recon_read_slice(r, &r->src, i, &c->buf, err);
    if (st) {
        if (r->p.skip_bad && fib__recon_skippable(st)) {
            fib_error_clear(err);
            r->info[i].skipped = true;
            return FIB_OK;
        }
        fib_error_prefix(err, "slice %zu: ", i);
        return st;
    }
    if (r->cache) {
        const size_t w = r->src.width;
        float *dst = r->cache + i * w * r->src.height;
        for (size_t y = 0; y < r->src.height; y++)
            memcpy(dst + y * w, fib_image_row(&c->buf, y), w * sizeof(float));
    }
    if (r->clip_now)
        fib__dark_clip(&c->buf, r->align.x, r->align.y, r->align.width,
                       r->align.height);
    fib__aligner_spectrum(c->al, &c->buf, r->align.x, r->align.y,
                          c->spec[slot]);
    if (c->tiles)
        fib__recon_tiles_spectrum(c->tiles, &c->buf, slot);
    c->slot_ok[slot] = true;
    plan->b_slot = slot;
    for (size_t k = 1; k <= r->K && k <= i; k++) {
        const size_t os = (i - k) % c->ring;
        if (!c->slot_ok[os] || c->slot_of[os] != i - k)
            continue;
        plan->a[plan->n] = i - k;
        plan->a_slot[plan->n++] = os;
    }
    return FIB_OK;
}

static void run_pair(pass1 *c, int thread, pair_plan *plan, size_t k)
{
    fib__aligner_pair(c->al, thread, c->spec[plan->a_slot[k]],
                      c->spec[plan->b_slot], &plan->dx[k], &plan->dy[k],
                      &plan->q[k]);
    plan->lin_tiles[k] = 0;
    if (c->tiles)
        fib__recon_tiles_pair(c->tiles, thread, plan->a_slot[k], plan->b_slot,
                              plan->lin[k], plan->tshift[k],
                              &plan->lin_tiles[k]);
}

/* Append the measured pairs of slice i to the pair table, in order. */
static fib_status commit(fib_recon *r, size_t i, const pair_plan *plan,
                         fib_error *err)
{
    if (i < r->own_lo) /* the halo of another process's part */
        return FIB_OK;
    for (size_t k = 0; k < plan->n; k++) {
        fib_status st = add_pair(r, plan->a[k], i, err);
        if (st)
            return st;
        fib_recon_pair *pr = &r->pairs[r->n_pairs - 1];
        pr->dx = plan->dx[k];
        pr->dy = plan->dy[k];
        pr->quality = plan->q[k];
        if (r->plin && plan->lin_tiles[k]) {
            fib__pair_lin *pl = &r->plin[r->n_pairs - 1];
            memcpy(pl->lin, plan->lin[k], sizeof pl->lin);
            memcpy(pl->shift, plan->tshift[k], sizeof pl->shift);
            pl->rms_px = plan->tshift[k][2];
            pl->tiles = plan->lin_tiles[k];
        }
    }
    return FIB_OK;
}

/* Serial producer, the K pairs of each slice in parallel (used with one
 * thread, and with a preprocess hook or a read callback that run parallel
 * loops of their own: they then get every thread). */
static fib_status pass1_serial(fib_recon *r, pass1 *c, int nthreads,
                               const fib_progress *prog, fib_error *err)
{
    pair_plan plan;
    for (size_t i = r->p1_lo; i < r->own_hi; i++) {
        fib_status st = produce(r, c, prog, i, &plan, err);
        if (st)
            return st;
#pragma omp parallel for schedule(static) num_threads(nthreads)
        for (long k = 0; k < (long)plan.n; k++)
            run_pair(c, omp_get_thread_num(), &plan, (size_t)k);
        st = commit(r, i, &plan, err);
        if (st)
            return st;
    }
    return FIB_OK;
}

/* A barrier for the pass-1 pipeline that yields the core while it waits.
 * libgomp's own barrier spins for a long time by default (GOMP_SPINCOUNT,
 * unless OMP_WAIT_POLICY=passive), which on a loaded machine keeps the
 * thread that is needed off the core: the pipeline meets twice per slice.
 * Release/acquire on the generation counter orders every write made
 * before the barrier before every read after it. */
typedef struct yield_barrier {
    atomic_uint count, gen;
    unsigned n;
} yield_barrier;

static void yield_barrier_wait(yield_barrier *b)
{
    const unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 ==
        b->n) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->gen, 1, memory_order_release);
        return;
    }
    /* spin briefly, then yield the core, then sleep 50 us at a time (a
     * long wait: the other stage is reading or preprocessing) */
    for (unsigned spin = 0;
         atomic_load_explicit(&b->gen, memory_order_acquire) == g; spin++) {
        if (spin < 256)
            continue;
        if (spin < 256 + 64) {
            (void)sched_yield();
        } else {
            const struct timespec ts = {0, 50000};
            (void)nanosleep(&ts, NULL);
        }
    }
}

/* Two-stage pipeline: while thread 0 reads and transforms slice s, the
 * other threads measure the pairs of slice s - 1, and thread 0 joins them
 * when its transform is done (pairs are claimed from a shared counter).
 * Which thread computes a pair does not change its value (each pair
 * overwrites its thread's scratch completely), and the pairs are committed
 * by thread 0 in slice order, so the results are those of the serial
 * loop.  The read callback, the progress callback and every error stay
 * on the calling thread (thread 0 of the team is the caller). */
static fib_status pass1_pipelined(fib_recon *r, pass1 *c, int nthreads,
                                  const fib_progress *prog, fib_error *err)
{
    const size_t lo = r->p1_lo, n = r->own_hi;
    pair_plan plan[2];
    /* st: written by thread 0 only; stop: written by thread 0 only between
     * the two barriers of a step and read by every thread after the
     * second, so all threads leave the loop at the same step (thread 0
     * may already be producing the next slice, and changing st, while
     * the others read stop). */
    fib_status st = FIB_OK;
    bool stop = false;
    long next = 0;
    plan[0].n = plan[1].n = 0;
    yield_barrier bar;
    atomic_init(&bar.count, 0);
    atomic_init(&bar.gen, 0);
#pragma omp parallel num_threads(nthreads)
    {
        const int tid = omp_get_thread_num();
#pragma omp single
        bar.n = (unsigned)omp_get_num_threads();
        for (size_t s = lo; s <= n; s++) {
            if (tid == 0 && s < n)
                st = produce(r, c, prog, s, &plan[s & 1], err);
            if (s > lo) {
                pair_plan *pp = &plan[(s - 1) & 1];
                for (;;) {
                    long k;
#pragma omp atomic capture
                    k = next++;
                    if (k >= (long)pp->n)
                        break;
                    run_pair(c, tid, pp, (size_t)k);
                }
            }
            yield_barrier_wait(&bar);
            if (tid == 0) {
                if (s > lo && st == FIB_OK)
                    st = commit(r, s - 1, &plan[(s - 1) & 1], err);
                next = 0;
                stop = st != FIB_OK;
            }
            yield_barrier_wait(&bar);
            if (stop)
                break;
        }
    }
    return st;
}

/* Pass 1 with the stripe notch of fib__aligner_set_notch(). */
static fib_status pass1_run(fib_recon *r, const fib_progress *prog,
                            bool notch_rows, bool notch_cols, fib_error *err)
{
    const size_t n = r->src.n_slices, K = r->K;
    pass1 c;
    memset(&c, 0, sizeof c);
    size_t ws_bytes = 0, charged_here = 0;
    fib_status st;
    const size_t aw = r->align.width, ah = r->align.height;
    /* pipelined: one producer and up to K pair threads; serial: up to K
     * pair threads */
    const bool pipelined =
        r->nthreads > 1 && !r->p.preprocess && !r->src.read_uses_threads;
    int nthreads = r->nthreads;
    if ((size_t)nthreads > (pipelined ? K + 1 : K))
        nthreads = (int)(pipelined ? K + 1 : K);
    c.ring = pipelined ? K + 2 : K + 1;

    r->n_pairs = 0;
    r->estimated = false;
    fib__recon_cache_free(r);
    fib__recon_part_pass1(r);
    for (size_t i = 0; i < n; i++)
        r->info[i].skipped = false;
    const unsigned bin = fib__aligner_bin(r->p.norm, aw, ah);
    size_t spec_bytes = fib__aligner_spectrum_bytes(aw, ah, bin), ring_bytes;
    size_t slice_bytes;
    if (!fib__aligner_bytes(aw, ah, nthreads, r->ups, bin, &ws_bytes) ||
        !fib_mul_size(spec_bytes, c.ring, &ring_bytes) ||
        !fib_mul3_size(r->src.width, r->src.height, sizeof(float),
                       &slice_bytes) ||
        !fib_add_size(ws_bytes, ring_bytes, &ws_bytes) ||
        !fib_add_size(ws_bytes, slice_bytes, &ws_bytes)) {
        st = fib_error_set(err, FIB_ERANGE, "recon: workspace size overflows");
        goto done;
    }
    st = fib__recon_charge(r, ws_bytes, "alignment workspace", err);
    if (st)
        goto done;
    charged_here = ws_bytes;
    fib__recon_cache_try(r);
    st = fib__aligner_create(aw, ah, nthreads, r->ups, bin, r->p.tukey_alpha,
                             r->p.norm, &c.al, err);
    if (st)
        goto done;
    fib__aligner_set_notch(c.al, notch_rows, notch_cols);
    if (r->p.model != FIB_RECON_MODEL_TRANSLATION) {
        size_t tb = 0;
        st = fib__recon_tiles_create(r, nthreads, c.ring, &c.tiles, &tb, err);
        if (st)
            goto done;
        charged_here += tb;
    }
    for (size_t k = 0; k < c.ring; k++) {
        c.spec[k] = fib__aligner_spectrum_alloc(c.al);
        if (!c.spec[k]) {
            st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
            goto done;
        }
    }
    st = fib_image_init(&c.buf, FIB_PX_F32, r->src.width, r->src.height, err);
    if (st)
        goto done;
    c.buf.pixel_size_nm[0] = r->src.pixel_size_nm[0];
    c.buf.pixel_size_nm[1] = r->src.pixel_size_nm[1];

    st = pipelined ? pass1_pipelined(r, &c, nthreads, prog, err)
                   : pass1_serial(r, &c, nthreads, prog, err);
    if (!st)
        st = fib_progress_report(prog, "align", n, n, err);
done:
    /* The workspace goes before the solve; only the tables remain. */
    for (size_t k = 0; k < c.ring; k++)
        fib__aligner_spectrum_free(c.spec[k]);
    fib__aligner_destroy(c.al);
    fib__recon_tiles_destroy(c.tiles);
    fib_image_clear(&c.buf);
    fib__recon_release(r, charged_here);
    /* several processes: everyone's pairs on every process (every
     * process gets here, failed or not) */
    st = fib__recon_share_pairs(r, st, err);
    if (st)
        fib__recon_cache_free(r);
    return st;
}

fib_status fib_recon_estimate(fib_recon *r, const fib_progress *prog,
                              fib_error *err)
{
    if (!r)
        return fib_error_set(err, FIB_EINVAL, "recon: context is NULL");
    const size_t n = r->src.n_slices;
    memset(&r->qc, 0, sizeof r->qc);
    r->clip_now = r->p.dark_clip == FIB_RECON_DARK_CLIP_ON ||
                  (r->p.dark_clip == FIB_RECON_DARK_CLIP_AUTO &&
                   r->p.tilt_deg > 0 && r->p.tilt_deg < 90);
    r->qc.dark_clip = r->clip_now;
    fib_status st = pass1_run(r, prog, false, false, err);
    if (st)
        return st;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        kept += !r->info[i].skipped;
    if (!kept) {
        fib__recon_cache_free(r);
        return fib_error_set(err, FIB_EFORMAT,
                             "recon: no readable slice in the series");
    }
    st = fib__recon_solve(r, err);
    if (st) {
        fib__recon_cache_free(r);
        return st;
    }
    r->qc.passes = 1;
    /* A pattern fixed in the image frame pulls the shifts toward zero,
     * more in the less similar long pairs: a significantly negative
     * closure slope (fib_recon_distance.pull) on x or y at any distance.
     * Stripes are the common frame-fixed pattern with enough energy to
     * do it (scan / detector lines, curtains of a fixed beam): pass 1 is
     * repeated once with the cross-power rows (x pull: vertical stripes)
     * or columns (y pull) next to the axis removed. */
    for (size_t d = 2; d <= r->K; d++)
        for (int axis = 0; axis < 2; axis++) {
            const fib_recon_distance *D = &r->dist[d - 1];
            if (D->n_closures >= MIN_CLOSURES &&
                fabs(D->pull[axis]) > CLOSURE_Z * D->pull_se[axis])
                r->qc.frame_fixed[axis] = true;
        }
    if (!r->p.no_closure && (r->qc.frame_fixed[0] || r->qc.frame_fixed[1])) {
        r->qc.notch_rows = r->qc.frame_fixed[0];
        r->qc.notch_cols = r->qc.frame_fixed[1];
        /* the notch removes an additive frame-fixed pattern only while the
         * image is linear in it: the dark clip would mask the stripes with
         * the pores, which move with the sample, and leave them in */
        r->clip_now = false;
        st = pass1_run(r, prog, r->qc.notch_rows, r->qc.notch_cols, err);
        if (!st)
            st = fib__recon_solve(r, err);
        if (st) {
            fib__recon_cache_free(r);
            return st;
        }
        r->qc.passes = 2;
    }
    for (size_t i = 0; i < n; i++) {
        double *a = r->info[i].a;
        a[0] = a[3] = 1.0;
        a[1] = a[2] = 0.0;
    }
    if (r->p.model != FIB_RECON_MODEL_TRANSLATION) {
        st = fib__recon_solve_linear(r, err);
        if (st) {
            fib__recon_cache_free(r);
            return st;
        }
    }
    fib__recon_make_geometry(r, kept);
    fib__recon_finish_shifts(r);
    st = fib__recon_apply_crop_valid(r, err);
    if (st) {
        fib__recon_cache_free(r);
        return st;
    }
    r->estimated = true;
    return FIB_OK;
}
