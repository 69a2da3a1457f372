/*
 * segment_label.c -- 3D connected components (6/18/26 connectivity).
 *
 * Run-based two-pass union-find (Rosenfeld & Pfaltz 1966; runs as in He,
 * Chao & Suzuki, IEEE Trans. Image Process. 17:749, 2008; array
 * union-find of Wu, Otoo & Suzuki 2009): the foreground runs along x are
 * the nodes; a run is joined with the overlapping runs of the earlier
 * neighbour rows ((y-1, z) and (y, z-1) for 6-connectivity, plus
 * (y +- 1, z - 1) and runs one voxel apart along x for 18/26), always
 * keeping the smaller run index as root, so that a root is the first run
 * of its component in raster order.  Unions run in parallel over z slabs
 * (no join crosses a slab), the slab boundaries are merged in parallel as
 * a binary tree (join_all), and a final raster pass numbers roots 1..n,
 * which is the numbering of scipy.ndimage.label.  Runs are found on rows packed
 * into 64-voxel bit words (one pass counts them with popcount, a second stores
 * them by count-trailing-zeros), so the per-voxel work is a few word
 * operations; the runs are stored as interleaved [x0, x1) pairs for the merges.
 */
/* madvise(MADV_HUGEPAGE) is a Linux extension (used only when defined) */
#define _DEFAULT_SOURCE 1
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fib/checked.h"
#include "fib/segment.h"
#include "analysis_internal.h"

static inline uint32_t uf_find(uint32_t *p, uint32_t i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

typedef struct runs {
    uint32_t *xr;      /* run k covers [xr[2k], xr[2k + 1]) */
    size_t *row_start; /* nrows + 1 */
    uint32_t *par;
} runs;

/* Join the runs of row a with those of the earlier row b.  ext: runs one
 * voxel apart along x also touch (diagonal connectivity).  Union-find
 * link by index: the smaller root becomes the root (a root is the first run
 * of its set in raster order); the root of the current run is kept while
 * it overlaps several runs.  Serial within a slab. */
static void join_rows(runs *R, size_t a, size_t b, bool ext)
{
    size_t i = R->row_start[a], ie = R->row_start[a + 1];
    size_t j = R->row_start[b], je = R->row_start[b + 1];
    uint32_t e = ext ? 1u : 0u;
    const uint32_t *xr = R->xr;
    uint32_t *p = R->par;
    uint32_t ri = UINT32_MAX; /* root of run i once known */
    while (i < ie && j < je) {
        uint32_t ai = xr[2 * i], bi = xr[2 * i + 1];
        uint32_t aj = xr[2 * j], bj = xr[2 * j + 1];
        if (ai < bj + e && aj < bi + e) {
            if (ri == UINT32_MAX)
                ri = uf_find(p, (uint32_t)i);
            uint32_t rj = uf_find(p, (uint32_t)j);
            if (rj < ri) {
                p[ri] = rj;
                ri = rj;
            } else if (ri < rj) {
                p[rj] = ri;
            }
        }
        if (bi < bj) {
            i++;
            ri = UINT32_MAX;
        } else {
            j++;
        }
    }
}

/* Neighbour rows (dy, dz, ext) of a row for each connectivity. */
static int row_offsets(int conn, int off[4][3])
{
    int n = 0;
    bool e = conn != 6;
    off[n][0] = -1, off[n][1] = 0, off[n][2] = e, n++;
    off[n][0] = 0, off[n][1] = -1, off[n][2] = e, n++;
    if (conn != 6) {
        off[n][0] = -1, off[n][1] = -1, off[n][2] = conn == 26, n++;
        off[n][0] = 1, off[n][1] = -1, off[n][2] = conn == 26, n++;
    }
    return n;
}

static void join_row(runs *R, size_t ny, size_t y, size_t z, int noff,
                     int off[4][3], bool only_dz)
{
    for (int k = 0; k < noff; k++) {
        int dy = off[k][0], dz = off[k][1];
        if (only_dz && dz == 0)
            continue;
        if ((dz < 0 && z == 0) || (dy < 0 && y == 0) || (dy > 0 && y + 1 >= ny))
            continue;
        size_t b = (size_t)((ptrdiff_t)(z * ny + y) + dy + dz * (ptrdiff_t)ny);
        join_rows(R, z * ny + y, b, off[k][2] != 0);
    }
}

/* Bit b of the result = byte b of p[0..63] is nonzero (little-endian
 * packing: the nonzero test sets each byte's high bit, the multiplication
 * gathers the 8 high bits of a word into its top byte). */
static uint64_t pack64(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int j = 0; j < 8; j++) {
        uint64_t w;
        memcpy(&w, p + 8 * j, 8);
        uint64_t hi = (((w & 0x7f7f7f7f7f7f7f7fu) + 0x7f7f7f7f7f7f7f7fu) | w) &
                      0x8080808080808080u;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        bits |= (((hi >> 7) * 0x0102040810204080u) >> 56) << (8 * j);
#else
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)(p[8 * j + i] != 0) << (8 * j + i);
        (void)hi;
#endif
    }
    return bits;
}

/* Pack a row of nx voxels into nw = ceil(nx / 64) words (bits past nx are
 * zero) and return its number of runs (a run starts at a set bit whose
 * left neighbour is clear). */
static size_t pack_row(const uint8_t *row, size_t nx, uint64_t *bits)
{
    size_t nw = (nx + 63) / 64, runs_n = 0;
    uint64_t carry = 0;
    for (size_t w = 0; w < nw; w++) {
        uint64_t b;
        if (64 * w + 64 <= nx) {
            b = pack64(row + 64 * w);
        } else {
            b = 0;
            for (size_t x = 64 * w; x < nx; x++)
                b |= (uint64_t)(row[x] != 0) << (x - 64 * w);
        }
        bits[w] = b;
        runs_n += (size_t)__builtin_popcountll(b & ~((b << 1) | carry));
        carry = b >> 63;
    }
    return runs_n;
}

/* Store the runs of a packed row from run index k on: run starts are set
 * bits after a clear one, run ends (exclusive) clear bits after a set one,
 * visited in order with count-trailing-zeros. */
static void extract_runs(const uint64_t *bits, size_t nx, size_t k, runs *R)
{
    size_t nw = (nx + 63) / 64;
    uint64_t carry = 0;
    for (size_t w = 0; w < nw; w++) {
        uint64_t b = bits[w], prev = (b << 1) | carry;
        uint64_t t = (b & ~prev) | (~b & prev);
        while (t) {
            int i = __builtin_ctzll(t);
            uint32_t x = (uint32_t)(64 * w + (size_t)i);
            if ((b >> i) & 1) {
                R->xr[2 * k] = x;
                R->par[k] = (uint32_t)k;
            } else {
                R->xr[2 * k++ + 1] = x;
            }
            t &= t - 1;
        }
        carry = b >> 63;
    }
    if (carry) /* nx is a multiple of 64 and the row ends set */
        R->xr[2 * k + 1] = (uint32_t)nx;
}

/* Ask for transparent huge pages on a fresh, not yet touched buffer (a
 * hint: the first write then faults 2 MiB pages instead of 4 KiB ones;
 * results are unaffected and errors are ignored). */
static void hint_huge_pages(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || bytes < ((size_t)4 << 20))
        return;
    uintptr_t a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    uintptr_t b = ((uintptr_t)p + bytes) & ~((uintptr_t)pg - 1);
    if (b > a)
        (void)madvise((void *)a, (size_t)(b - a), MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Labelling runs on one thread below this many voxels: the work (a few
 * ns per voxel, ~3 ms at 2^20 voxels on the bench machine) is then
 * comparable to waking a passive OpenMP team for the dozen parallel
 * regions below, so a second thread cannot pay. */
enum { LABEL_PAR_MIN = 1 << 20 };
/* rows per chunk of the dynamically scheduled row loops: a thread that
 * the OS preempts on a shared machine holds back at most one chunk */
enum { ROW_CHUNK = 64 };

/* Union of the runs of touching rows: inside z slabs in parallel (a
 * slab's runs and parents stay inside the slab), then the slab boundaries
 * as a binary tree: at the level of width `step`, boundary b (b = step mod
 * 2 step) joins the already merged slab groups [b - step, b) and [b, b +
 * step), and the boundaries of one level touch disjoint groups, so they run
 * in parallel too (log2(nslab) levels instead of nslab - 1 serial
 * boundaries).  Every union keeps the smaller run index as root, so the
 * sets -- and the numbering of their roots -- do not depend on the order of
 * the unions, hence not on the thread count. */
static void join_all(runs *R, size_t ny, size_t nz, int connectivity, bool par)
{
    int off[4][3];
    int noff = row_offsets(connectivity, off);
    int nslab = 1;
#ifdef _OPENMP
    nslab = 64;
#endif
    if ((size_t)nslab > nz)
        nslab = (int)nz;
    int o2[4][3], n2 = 0; /* the neighbours within a z plane */
    for (int k = 0; k < noff; k++)
        if (off[k][1] == 0) {
            memcpy(o2[n2], off[k], sizeof off[k]);
            n2++;
        }
#pragma omp parallel for schedule(dynamic, 1) if (par)
    for (int s = 0; s < nslab; s++) {
        size_t z0 = nz * (size_t)s / (size_t)nslab;
        size_t z1 = nz * (size_t)(s + 1) / (size_t)nslab;
        for (size_t z = z0; z < z1; z++)
            for (size_t y = 0; y < ny; y++) {
                if (z == z0)
                    join_row(R, ny, y, z, n2, o2, false);
                else
                    join_row(R, ny, y, z, noff, off, false);
            }
    }
    for (int step = 1; step < nslab; step *= 2) {
#pragma omp parallel for schedule(dynamic, 1) if (par && 3 * step < nslab)
        for (int b = step; b < nslab; b += 2 * step) {
            size_t z0 = nz * (size_t)b / (size_t)nslab;
            for (size_t y = 0; y < ny; y++)
                join_row(R, ny, y, z0, noff, off, true);
        }
    }
}

fib_status fib_recon_label(const fib_volume *mask, int connectivity,
                           fib_volume *labels, size_t *n_labels, fib_error *err)
{
    fib_status st;
    uint8_t *tmp = NULL;
    uint64_t *bits = NULL;
    const uint8_t *fg;
    runs R = {0};
    memset(labels, 0, sizeof *labels);
    if (n_labels)
        *n_labels = 0;
    if ((st = fib__vol_check(mask, "label input", err)) != FIB_OK)
        return st;
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: connectivity must be 6, 18 or 26 (got %d)",
                             connectivity);
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz;
    size_t n = fib__vol_count(mask), nrows = ny * nz;
    const bool par = n >= LABEL_PAR_MIN;
    if (n >= (size_t)UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "recon: labelling supports at most %u voxels "
                             "(got %zu)",
                             UINT32_MAX - 1u, n);
    if (mask->type == FIB_PX_U8) {
        fg = mask->data;
    } else {
        tmp = malloc(n);
        if (!tmp)
            return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        for (size_t i = 0; i < n; i++)
            tmp[i] = fib__vol_value(mask, i) != 0;
        fg = tmp;
    }
    /* runs per row (rows = (y, z) in raster order) */
    R.row_start = calloc(nrows + 1, sizeof *R.row_start);
    size_t nw = (nx + 63) / 64;
    bits = malloc(sizeof(uint64_t) * nw * nrows);
    if (!R.row_start || !bits)
        goto nomem;
#pragma omp parallel for schedule(dynamic, ROW_CHUNK) if (par)
    for (size_t r = 0; r < nrows; r++) {
        R.row_start[r + 1] = pack_row(fg + r * nx, nx, bits + r * nw);
    }
    for (size_t r = 0; r < nrows; r++)
        R.row_start[r + 1] += R.row_start[r];
    size_t nr = R.row_start[nrows];
    R.xr = malloc(sizeof(uint32_t) * 2 * (nr ? nr : 1));
    R.par = malloc(sizeof(uint32_t) * (nr ? nr : 1));
    if (!R.xr || !R.par)
        goto nomem;
#pragma omp parallel for schedule(dynamic, ROW_CHUNK) if (par)
    for (size_t r = 0; r < nrows; r++) {
        extract_runs(bits + r * nw, nx, R.row_start[r], &R);
    }
    join_all(&R, ny, nz, connectivity, par);
    /* number the roots in raster order: par[k] <= k, so a run's parent
       already holds the final label when the run is reached */
    uint32_t next = 0;
    for (size_t k = 0; k < nr; k++) {
        uint32_t p = R.par[k];
        R.par[k] = p == (uint32_t)k ? ++next : R.par[p];
    }
    st = fib_volume_init(labels, FIB_PX_U32, nx, ny, nz, err);
    if (st != FIB_OK)
        goto done;
    memcpy(labels->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
    memcpy(labels->origin_nm, mask->origin_nm, sizeof(double) * 3);
    uint32_t *out = labels->data;
    hint_huge_pages(out, sizeof(uint32_t) * n);
#pragma omp parallel for schedule(dynamic, ROW_CHUNK) if (par)
    for (size_t r = 0; r < nrows; r++)
        for (size_t k = R.row_start[r]; k < R.row_start[r + 1]; k++)
            for (uint32_t x = R.xr[2 * k]; x < R.xr[2 * k + 1]; x++)
                out[r * nx + x] = R.par[k];
    if (n_labels)
        *n_labels = next;
    goto done;
nomem:
    st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory for labelling");
done:
    free(tmp);
    free(bits);
    free(R.xr);
    free(R.par);
    free(R.row_start);
    return st;
}
