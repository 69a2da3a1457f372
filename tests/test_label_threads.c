/*
 * test_label_threads.c -- fib_recon_label gives the same labels for any
 * thread count: random volumes above the size where it runs in parallel
 * (2^20 voxels; many z slabs, so the slab boundaries are merged as a tree
 * of several levels) with 6/18/26 connectivity, against a breadth-first
 * flood fill numbering components in raster order of their first voxel
 * (scipy.ndimage.label's numbering) on 1, 2 and 3 threads; and the real
 * electrode volumes (../shared/data; skipped when absent) on 1 and 2
 * threads, with scipy's counts.
 */
#include "fib_test.h"

#include "fib/formats.h"
#include "fib/segment.h"
#include "fib/threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Flood fill: label 1.. in raster order of the first voxel. */
static size_t flood(const uint8_t *m, size_t nx, size_t ny, size_t nz, int conn,
                    uint32_t *lab)
{
    size_t n = nx * ny * nz, next = 0;
    size_t *q = malloc(n * sizeof(size_t));
    ck_assert_ptr_nonnull(q);
    memset(lab, 0, n * sizeof(uint32_t));
    for (size_t s = 0; s < n; s++) {
        if (!m[s] || lab[s])
            continue;
        lab[s] = (uint32_t)++next;
        size_t h = 0, t = 0;
        q[t++] = s;
        while (h < t) {
            size_t i = q[h++];
            long x = (long)(i % nx), y = (long)(i / nx % ny),
                 z = (long)(i / (nx * ny));
            for (int dz = -1; dz <= 1; dz++)
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int d = abs(dx) + abs(dy) + abs(dz);
                        if (d == 0 || (conn == 6 && d > 1) ||
                            (conn == 18 && d > 2))
                            continue;
                        long X = x + dx, Y = y + dy, Z = z + dz;
                        if (X < 0 || Y < 0 || Z < 0 || X >= (long)nx ||
                            Y >= (long)ny || Z >= (long)nz)
                            continue;
                        size_t j =
                            ((size_t)Z * ny + (size_t)Y) * nx + (size_t)X;
                        if (m[j] && !lab[j]) {
                            lab[j] = (uint32_t)next;
                            q[t++] = j;
                        }
                    }
        }
    }
    free(q);
    return next;
}

static void label_with(const fib_volume *v, int conn, int threads,
                       fib_volume *l, size_t *n)
{
    fib_error e = {0};
    fib_threads_scope sc = fib_threads_begin(threads);
    fib_status st = fib_recon_label(v, conn, l, n, &e);
    fib_threads_end(sc);
    ck_assert_msg(st == FIB_OK, "%s", e.msg);
}

START_TEST(test_label_any_threads)
{
    /* 1.1 M voxels (parallel path), 150 z planes (64 slabs, six levels of
     * boundary merges); blobs: voxels set with probability 0.45, 0.55 */
    const size_t nx = 97, ny = 76, nz = 150, n = nx * ny * nz;
    for (int trial = 0; trial < 2; trial++) {
        fib_volume v;
        ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, nx, ny, nz, NULL),
                         FIB_OK);
        uint8_t *m = v.data;
        fib_test_rng = 0x1234567ull + (uint64_t)trial;
        double p = trial ? 0.55 : 0.45;
        for (size_t i = 0; i < n; i++)
            m[i] = fib_test_urand() < p;
        uint32_t *ref = malloc(n * sizeof(uint32_t));
        ck_assert_ptr_nonnull(ref);
        for (int conn = 6; conn <= 26; conn += conn == 6 ? 12 : 8) {
            size_t nref = flood(m, nx, ny, nz, conn, ref);
            for (int t = 1; t <= 3; t++) {
                fib_volume l;
                size_t nl;
                label_with(&v, conn, t, &l, &nl);
                ck_assert_uint_eq(nl, nref);
                ck_assert(memcmp(l.data, ref, n * sizeof(uint32_t)) == 0);
                fib_volume_clear(&l);
            }
        }
        free(ref);
        fib_volume_clear(&v);
    }
}
END_TEST

/* the phase mask of a shared-data volume; false when the file is absent */
static bool shared_mask(const char *rel, double phase, fib_volume *m)
{
    char path[4096];
    if (!fib_test_shared(rel, path, sizeof path))
        return false;
    fib_volume v;
    fib_error e = {0};
    ck_assert_int_eq(fib_fmt_volume_read(path, NULL, &v, NULL, &e), FIB_OK);
    ck_assert_int_eq(fib_volume_init(m, FIB_PX_U8, v.nx, v.ny, v.nz, NULL),
                     FIB_OK);
    for (size_t z = 0; z < v.nz; z++)
        for (size_t y = 0; y < v.ny; y++)
            for (size_t x = 0; x < v.nx; x++)
                ((uint8_t *)m->data)[(z * v.ny + y) * v.nx + x] =
                    fib_volume_get(&v, x, y, z) == phase;
    fib_volume_clear(&v);
    return true;
}

START_TEST(test_label_real_threads)
{
    /* scipy.ndimage.label counts (bench/results/measure.md) */
    const struct {
        const char *rel;
        double phase;
        size_t n6, n26;
    } c[3] = {
        {"taufactor-electrode/electrode.tiff", 0, 2317, 789},
        {"taufactor-electrode/electrode.tiff", 85, 121, 81},
        {"nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif", 1,
         144, 80},
    };
    int done = 0;
    for (int k = 0; k < 3; k++) {
        fib_volume m;
        if (!shared_mask(c[k].rel, c[k].phase, &m))
            continue;
        size_t nv = m.nx * m.ny * m.nz;
        for (int conn = 6; conn <= 26; conn += 20) {
            fib_volume l1, l2;
            size_t n1, n2;
            label_with(&m, conn, 1, &l1, &n1);
            label_with(&m, conn, 2, &l2, &n2);
            ck_assert_uint_eq(n1, conn == 6 ? c[k].n6 : c[k].n26);
            ck_assert_uint_eq(n2, n1);
            ck_assert(memcmp(l1.data, l2.data, nv * sizeof(uint32_t)) == 0);
            fib_volume_clear(&l1);
            fib_volume_clear(&l2);
        }
        fib_volume_clear(&m);
        done++;
    }
    if (!done)
        printf("label_real_threads: ../shared/data absent, nothing checked\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("label_threads");
    TCase *tc = tcase_create("label_threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_label_any_threads);
    tcase_add_test(tc, test_label_real_threads);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
