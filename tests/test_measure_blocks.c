/* test_measure_blocks.c -- block-wise measurement (issue 15 item 2): the
 * objects of fib_objects_stream fed in slabs of every depth against
 * fib_recon_label() + fib_recon_objects() on the whole volume, and the
 * phase surface of fib_recon_phase_surface_layers() summed over slabs
 * with their halo against fib_recon_phase_surface(): counts, boxes and
 * flags equal, real values equal to rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/segment.h"
#include "fib_test.h"

static fib_volume mkvol(fib_pixel_type t, size_t nx, size_t ny, size_t nz)
{
    fib_volume v;
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(&v, t, nx, ny, nz, &e), FIB_OK);
    v.voxel_size_nm[0] = 12;
    v.voxel_size_nm[1] = 10;
    v.voxel_size_nm[2] = 15;
    return v;
}

/* Random balls, a U that closes only in the last sections (two arms that
 * the slabs see apart until the bottom joins them), a helix and, when
 * @p noise > 0, voxel noise of that density (many touching components). */
static fib_volume scene(size_t n, double noise, uint64_t seed)
{
    fib_volume v = mkvol(FIB_PX_U8, n, n + 3, n + 5);
    uint8_t *d = v.data;
    fib_test_rng = seed;
    for (int b = 0; b < 12; b++) {
        const double cx = fib_test_urand() * (double)n,
                     cy = fib_test_urand() * (double)n,
                     cz = fib_test_urand() * (double)n,
                     r = 1 + 4 * fib_test_urand();
        for (size_t z = 0; z < v.nz; z++)
            for (size_t y = 0; y < v.ny; y++)
                for (size_t x = 0; x < v.nx; x++) {
                    const double dx = (double)x - cx, dy = (double)y - cy,
                                 dz = (double)z - cz;
                    if (dx * dx + dy * dy + dz * dz <= r * r)
                        d[(z * v.ny + y) * v.nx + x] = 1;
                }
    }
    for (size_t z = 2; z < v.nz - 1; z++) /* the U: arms at x 2 and n-3 */
        for (size_t y = 1; y < 3; y++) {
            d[(z * v.ny + y) * v.nx + 2] = 1;
            d[(z * v.ny + y) * v.nx + n - 3] = 1;
            if (z == v.nz - 2)
                for (size_t x = 2; x < n - 2; x++)
                    d[(z * v.ny + y) * v.nx + x] = 1;
        }
    for (size_t z = 0; z < v.nz; z++) { /* helix */
        const double a = 0.5 * (double)z;
        const size_t x = (size_t)((double)n / 2 + 5 * cos(a));
        const size_t y = (size_t)((double)n / 2 + 5 * sin(a));
        d[(z * v.ny + y) * v.nx + x] = 1;
    }
    for (size_t i = 0; noise > 0 && i < v.nx * v.ny * v.nz; i++)
        if (fib_test_urand() < noise)
            d[i] = 1;
    return v;
}

static void same_objects(const fib_object_stats *a, const fib_object_stats *b,
                         size_t n)
{
    for (size_t k = 0; k < n; k++) {
        ck_assert_uint_eq(a[k].label, b[k].label);
        ck_assert_uint_eq(a[k].n_voxels, b[k].n_voxels);
        for (int d = 0; d < 3; d++) {
            ck_assert_uint_eq(a[k].bbox_min[d], b[k].bbox_min[d]);
            ck_assert_uint_eq(a[k].bbox_max[d], b[k].bbox_max[d]);
            ck_assert(fabs(a[k].centroid_nm[d] - b[k].centroid_nm[d]) <
                      1e-9 * (1 + fabs(b[k].centroid_nm[d])));
            ck_assert(fabs(a[k].axes_um[d] - b[k].axes_um[d]) < 1e-9);
        }
        ck_assert(a[k].touches_border == b[k].touches_border);
        ck_assert(a[k].touches_substrate == b[k].touches_substrate);
        ck_assert(a[k].height_um == b[k].height_um ||
                  (isnan(a[k].height_um) && isnan(b[k].height_um)));
        ck_assert(fib_test_rel(a[k].volume_um3, b[k].volume_um3) < 1e-12);
        /* the whole path meshes in float coordinates */
        ck_assert_msg(fib_test_rel(a[k].area_um2, b[k].area_um2) < 1e-5,
                      "object %zu area %.9g vs %.9g", k, a[k].area_um2,
                      b[k].area_um2);
        ck_assert_msg(fabs(a[k].sphericity - b[k].sphericity) < 1e-5,
                      "object %zu sphericity %.9g vs %.9g", k, a[k].sphericity,
                      b[k].sphericity);
    }
}

/* The whole path and the stream with slabs of @p depth sections. */
static void compare(const fib_volume *m, int conn, int face, size_t depth)
{
    fib_error e = {0};
    fib_volume cc = {0};
    size_t n = 0, ns = 0;
    fib_object_stats *whole = NULL, *st = NULL;
    const fib_substrate sub = {.face = face};
    ck_assert_int_eq(fib_recon_label(m, conn, &cc, &n, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_objects(&cc, n, NULL, &sub, &whole, &e), FIB_OK);
    fib_objects_stream *s = NULL;
    ck_assert_int_eq(fib_objects_stream_create(m->nx, m->ny, m->nz,
                                               m->voxel_size_nm, NULL, conn,
                                               face, &s, &e),
                     FIB_OK);
    const size_t plane = m->nx * m->ny;
    for (size_t z0 = 0; z0 < m->nz; z0 += depth) {
        fib_volume slab = *m; /* a view of the sections */
        slab.nz = z0 + depth < m->nz ? depth : m->nz - z0;
        slab.data = (uint8_t *)m->data + z0 * plane;
        slab.owns_data = false;
        ck_assert_int_eq(fib_objects_stream_push(s, &slab, &e), FIB_OK);
    }
    ck_assert_int_eq(fib_objects_stream_finish(s, &st, &ns, &e), FIB_OK);
    ck_assert_uint_eq(ns, n);
    same_objects(st, whole, n);
    fib_objects_stream_destroy(s);
    free(st);
    free(whole);
    fib_volume_clear(&cc);
}

/* The volume cut into @p np parts at @p cuts (np - 1 section indices),
 * each streamed on its own in slabs of @p depth and exported, then
 * joined (fib_objects_stream_join: several processes), against the whole
 * path. */
static void compare_parts(const fib_volume *m, int conn, int face, size_t depth,
                          const size_t *cuts, size_t np)
{
    fib_error e = {0};
    fib_volume cc = {0};
    size_t n = 0, nj = 0;
    fib_object_stats *whole = NULL, *joined = NULL;
    const fib_substrate sub = {.face = face};
    ck_assert_int_eq(fib_recon_label(m, conn, &cc, &n, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_objects(&cc, n, NULL, &sub, &whole, &e), FIB_OK);
    const size_t plane = m->nx * m->ny;
    void *blob[8] = {0};
    size_t len[8] = {0};
    for (size_t q = 0; q < np; q++) {
        const size_t zb = q ? cuts[q - 1] : 0,
                     ze = q + 1 < np ? cuts[q] : m->nz;
        fib_objects_stream *s = NULL;
        ck_assert_int_eq(fib_objects_stream_create_part(
                             m->nx, m->ny, m->nz, m->voxel_size_nm, NULL, conn,
                             face, zb, ze, &s, &e),
                         FIB_OK);
        for (size_t z0 = zb; z0 < ze; z0 += depth) {
            fib_volume slab = *m;
            slab.nz = z0 + depth < ze ? depth : ze - z0;
            slab.data = (uint8_t *)m->data + z0 * plane;
            slab.owns_data = false;
            ck_assert_int_eq(fib_objects_stream_push(s, &slab, &e), FIB_OK);
        }
        ck_assert_int_eq(fib_objects_stream_export(s, &blob[q], &len[q], &e),
                         FIB_OK);
        fib_objects_stream_destroy(s);
    }
    ck_assert_int_eq(fib_objects_stream_join((const void *const *)blob, len, np,
                                             &joined, &nj, &e),
                     FIB_OK);
    ck_assert_uint_eq(nj, n);
    same_objects(joined, whole, n);
    /* parts out of order are refused, not joined wrong */
    if (np > 1) {
        void *sw = blob[0];
        blob[0] = blob[1];
        blob[1] = sw;
        size_t sl = len[0];
        len[0] = len[1];
        len[1] = sl;
        fib_object_stats *bad = NULL;
        ck_assert_int_eq(fib_objects_stream_join((const void *const *)blob, len,
                                                 np, &bad, &nj, &e),
                         FIB_EINVAL);
        fib_error_clear(&e);
        free(bad);
    }
    for (size_t q = 0; q < np; q++)
        free(blob[q]);
    free(joined);
    free(whole);
    fib_volume_clear(&cc);
}

START_TEST(test_stream_parts_join)
{
    /* the scene is 24 x 27 x 29: parts of 1 section, at the U's bottom
     * (z 27), uneven, many */
    const size_t c2[] = {14}, c3[] = {1, 27}, c4[] = {5, 6, 20},
                 c8[] = {3, 7, 11, 15, 19, 23, 26};
    const size_t *cuts[] = {NULL, c2, c3, c4, c8};
    const size_t nps[] = {1, 2, 3, 4, 8};
    const int conns[] = {6, 18, 26};
    for (int noisy = 0; noisy < 2; noisy++) {
        fib_volume m = scene(24, noisy ? 0.25 : 0, 7 + (uint64_t)noisy);
        for (size_t c = 0; c < 3; c++)
            for (size_t k = 0; k < 5; k++)
                compare_parts(&m, conns[c], noisy ? -1 : (int)(k % 6),
                              k % 2 ? 2 : 1000, cuts[k], nps[k]);
        fib_volume_clear(&m);
    }
}
END_TEST

START_TEST(test_stream_objects)
{
    const size_t depths[] = {1, 2, 3, 7, 1000};
    const int conns[] = {6, 18, 26};
    for (int noisy = 0; noisy < 2; noisy++) {
        fib_volume m = scene(24, noisy ? 0.25 : 0, 7 + (uint64_t)noisy);
        for (size_t c = 0; c < 3; c++)
            for (size_t d = 0; d < sizeof depths / sizeof *depths; d++)
                compare(&m, conns[c], noisy ? -1 : (int)(d % 6), depths[d]);
        fib_volume_clear(&m);
    }
}
END_TEST

/* The U's two arms are one object although the slabs above its bottom
 * see them apart; a ball is closed: its area is that of the whole mesh. */
START_TEST(test_stream_u_joined)
{
    fib_volume m = mkvol(FIB_PX_U8, 16, 6, 20);
    uint8_t *d = m.data;
    for (size_t z = 1; z < 19; z++)
        for (size_t y = 2; y < 4; y++) {
            d[(z * 6 + y) * 16 + 3] = d[(z * 6 + y) * 16 + 12] = 1;
            if (z == 18)
                for (size_t x = 3; x < 13; x++)
                    d[(z * 6 + y) * 16 + x] = 1;
        }
    fib_error e = {0};
    fib_objects_stream *s = NULL;
    ck_assert_int_eq(fib_objects_stream_create(16, 6, 20, m.voxel_size_nm, NULL,
                                               6, -1, &s, &e),
                     FIB_OK);
    for (size_t z0 = 0; z0 < 20; z0 += 2) {
        fib_volume slab = m;
        slab.nz = 2;
        slab.data = d + z0 * 96;
        slab.owns_data = false;
        ck_assert_int_eq(fib_objects_stream_push(s, &slab, &e), FIB_OK);
    }
    fib_object_stats *o = NULL;
    size_t n = 0;
    ck_assert_int_eq(fib_objects_stream_finish(s, &o, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 1);
    /* two arms of 18 x 2 voxels, the bottom's 8 x 2 between them */
    ck_assert_uint_eq(o[0].n_voxels, 2 * 18 * 2 + 8 * 2);
    ck_assert(isnan(o[0].height_um));
    fib_objects_stream_destroy(s);
    free(o);
    compare(&m, 6, -1, 2);
    fib_volume_clear(&m);
    /* misuse: a slab past the end, finish before the end */
    fib_volume one = mkvol(FIB_PX_U8, 4, 4, 3);
    ck_assert_int_eq(
        fib_objects_stream_create(4, 4, 2, NULL, NULL, 6, -1, &s, &e), FIB_OK);
    ck_assert_int_eq(fib_objects_stream_push(s, &one, &e), FIB_EINVAL);
    ck_assert_int_eq(fib_objects_stream_finish(s, &o, &n, &e), FIB_EINVAL);
    fib_objects_stream_destroy(s);
    fib_volume_clear(&one);
}
END_TEST

/* Three labels; the surface of label 1 summed over slabs read with the
 * halo of fib_recon_phase_surface_layers(). */
START_TEST(test_surface_layers)
{
    fib_volume m = scene(20, 0.15, 3);
    uint8_t *d = m.data;
    for (size_t i = 0; i < m.nx * m.ny * m.nz; i++)
        if (!d[i] && (i * 2654435761u) % 7 == 0)
            d[i] = 2;
    fib_error e = {0};
    const double sig[2] = {0, 1.2};
    for (int k = 0; k < 2; k++) {
        fib_phase_surface w, sum = {0};
        ck_assert_int_eq(fib_recon_phase_surface(&m, 1, sig[k], &w, &e),
                         FIB_OK);
        const size_t h = 3 + (size_t)ceil(3 * sig[k]), plane = m.nx * m.ny;
        const size_t layers = m.nz - 1, depth = 4;
        for (size_t z0 = 0; z0 < layers; z0 += depth) {
            const size_t z1 = z0 + depth < layers ? z0 + depth : layers;
            const size_t a = z0 > h ? z0 - h : 0;
            const size_t b = z1 + 1 + h < m.nz ? z1 + 1 + h : m.nz;
            fib_volume slab = m;
            slab.nz = b - a;
            slab.data = d + a * plane;
            slab.owns_data = false;
            fib_phase_surface p;
            ck_assert_int_eq(fib_recon_phase_surface_layers(
                                 &slab, 1, sig[k], z0 - a, z1 - a, &p, &e),
                             FIB_OK);
            sum.area_um2 += p.area_um2;
            for (size_t q = 0; q < p.n_interfaces; q++) {
                size_t j = 0;
                while (j < sum.n_interfaces && sum.other[j] != p.other[q])
                    j++;
                if (j == sum.n_interfaces)
                    sum.other[sum.n_interfaces++] = p.other[q];
                sum.interface_area_um2[j] += p.interface_area_um2[q];
            }
        }
        ck_assert_msg(fib_test_rel(sum.area_um2, w.area_um2) < 1e-6,
                      "sigma %g: %.9g vs %.9g", sig[k], sum.area_um2,
                      w.area_um2);
        ck_assert_uint_eq(sum.n_interfaces, w.n_interfaces);
        for (size_t q = 0; q < w.n_interfaces; q++) {
            ck_assert_uint_eq(sum.other[q], w.other[q]);
            ck_assert(fib_test_rel(sum.interface_area_um2[q],
                                   w.interface_area_um2[q]) < 1e-6);
        }
    }
    fib_phase_surface p;
    ck_assert_int_eq(fib_recon_phase_surface_layers(&m, 1, 0, 3, 3, &p, &e),
                     FIB_EINVAL);
    ck_assert_int_eq(fib_recon_phase_surface_layers(&m, 1, 0, 0, m.nz, &p, &e),
                     FIB_EINVAL);
    fib_volume_clear(&m);
}
END_TEST

/* Local thickness of slabs with a halo of @p halo sections (grown as
 * asked when @p grow) against the whole map: equal, float for float; a
 * halo too thin for the balls is refused, never answered wrong. */
static void thickness_blocks(const fib_volume *m, size_t depth, size_t halo,
                             bool grow)
{
    fib_error e = {0};
    fib_volume whole = {0};
    ck_assert_int_eq(fib_recon_local_thickness(m, &whole, NULL, &e), FIB_OK);
    const size_t plane = m->nx * m->ny;
    size_t retries = 0;
    for (size_t z0 = 0; z0 < m->nz; z0 += depth) {
        const size_t z1 = z0 + depth < m->nz ? z0 + depth : m->nz;
        for (;;) {
            const size_t a = z0 > halo ? z0 - halo : 0;
            const size_t b = z1 + halo < m->nz ? z1 + halo : m->nz;
            fib_volume slab = *m, t = {0};
            slab.nz = b - a;
            slab.data = (uint8_t *)m->data + a * plane;
            slab.owns_data = false;
            size_t need = 0;
            const fib_status st = fib_recon_local_thickness_part(
                &slab, z0 - a, z1 - a, a > 0, b < m->nz, &t, &need, &e);
            if (st == FIB_ERANGE) {
                ck_assert_uint_gt(need, halo);
                retries++;
                if (!grow)
                    break;
                halo = need;
                continue;
            }
            ck_assert_int_eq(st, FIB_OK);
            ck_assert_uint_eq(t.nz, z1 - z0);
            const float *w = (const float *)whole.data + z0 * plane;
            for (size_t i = 0; i < (z1 - z0) * plane; i++)
                ck_assert_msg(((float *)t.data)[i] == w[i],
                              "section %zu voxel %zu: %g vs %g", z0 + i / plane,
                              i % plane, (double)((float *)t.data)[i],
                              (double)w[i]);
            fib_volume_clear(&t);
            break;
        }
    }
    ck_assert_uint_gt(retries, 0); /* the first halo was too thin */
    fib_volume_clear(&whole);
}

START_TEST(test_thickness_part)
{
    fib_volume m = scene(28, 0, 11);
    uint8_t *d = m.data;
    /* a slab of 9 sections across the whole section: the thickest part */
    for (size_t z = 10; z < 19; z++)
        for (size_t i = 0; i < m.nx * m.ny; i++)
            d[z * m.nx * m.ny + i] = 1;
    thickness_blocks(&m, 3, 2, true);
    thickness_blocks(&m, 8, 2, true);
    thickness_blocks(&m, 4, 6, false);
    fib_volume_clear(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("measure_blocks");
    TCase *tc = tcase_create("blocks");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_stream_objects);
    tcase_add_test(tc, test_stream_parts_join);
    tcase_add_test(tc, test_stream_u_joined);
    tcase_add_test(tc, test_surface_layers);
    tcase_add_test(tc, test_thickness_part);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
