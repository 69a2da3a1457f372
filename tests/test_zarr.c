/* test_zarr.c -- OME-Zarr (Zarr v2 + OME-NGFF 0.4) writer and reader of
 * formats/: round trips of every pixel type, the pyramid (2x2x2 mean for
 * grey, most frequent value for labels, partial blocks at odd sizes)
 * against values computed here, all-or-none output, and one-line errors
 * for missing chunks, bad metadata and bad dtypes.  Readers other than
 * ours (zarr-python, Dask) are checked in tests/cli_zarr.sh. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fib/formats.h"
#include "fib_test.h"

static char dir[256];

static void setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/fib-zarr-%ld", (long)getpid());
    mkdir(dir, 0777);
}

static void rm_rf(const char *p)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    ck_assert_int_eq(system(cmd), 0);
}

static double get(const fib_volume *v, size_t x, size_t y, size_t z)
{
    return fib_volume_get(v, x, y, z);
}

START_TEST(test_round_trip_types)
{
    setup_dir();
    const fib_pixel_type types[4] = {FIB_PX_U8, FIB_PX_U16, FIB_PX_U32,
                                     FIB_PX_F32};
    for (int k = 0; k < 12; k++) {
        const int t = k % 4, codec = k / 4; /* every type, every codec */
        fib_volume v;
        ck_assert_int_eq(fib_volume_init(&v, types[t], 37, 29, 11, NULL),
                         FIB_OK);
        v.voxel_size_nm[0] = 5;
        v.voxel_size_nm[1] = 6;
        v.voxel_size_nm[2] = 7.5;
        for (size_t z = 0; z < 11; z++)
            for (size_t y = 0; y < 29; y++)
                for (size_t x = 0; x < 37; x++)
                    fib_volume_set(&v, x, y, z,
                                   types[t] == FIB_PX_F32
                                       ? 0.25 * (double)(x + 3 * y) - z
                                       : (double)((x * 7 + y * 3 + z) % 251));
        char p[300];
        snprintf(p, sizeof p, "%s/t%d.zarr", dir, k);
        fib_fmt_write_opts o = {0};
        o.zarr_compressor = codec;
        o.zarr_chunk[0] = 4; /* edge chunks in every axis */
        o.zarr_chunk[1] = 8;
        o.zarr_chunk[2] = 16;
        fib_error e = {0};
        ck_assert_msg(fib_fmt_volume_write(p, &v, &o, &e) == FIB_OK, "%s",
                      e.msg);
        fib_fmt_info info;
        ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &e), FIB_OK);
        ck_assert_int_eq(info.kind, FIB_FMT_ZARR);
        ck_assert_uint_eq(info.nx, 37);
        ck_assert_uint_eq(info.nz, 11);
        ck_assert_int_eq(info.type, types[t]);
        ck_assert_str_eq(info.compression, fib_fmt_zarr_compressor_name(codec));
        fib_volume r;
        ck_assert_msg(fib_fmt_volume_read(p, NULL, &r, NULL, &e) == FIB_OK,
                      "%s", e.msg);
        ck_assert_int_eq(r.type, types[t]);
        ck_assert_uint_eq(r.nx, 37);
        ck_assert_uint_eq(r.ny, 29);
        ck_assert_uint_eq(r.nz, 11);
        ck_assert_double_eq(r.voxel_size_nm[0], 5);
        ck_assert_double_eq(r.voxel_size_nm[1], 6);
        ck_assert_double_eq(r.voxel_size_nm[2], 7.5);
        ck_assert_int_eq(memcmp(r.data, v.data,
                                37 * 29 * 11 * fib_pixel_size_bytes(types[t])),
                         0);
        fib_volume_clear(&r);
        fib_volume_clear(&v);
    }
    rm_rf(dir);
}
END_TEST

/* Pyramid level 1 = 2x2x2 means (partial blocks at the odd edges) for
 * grey data, rounded to the integer type; the most frequent value for
 * labels (ties: the smallest). */
START_TEST(test_pyramid)
{
    setup_dir();
    const size_t nx = 9, ny = 7, nz = 5;
    fib_volume v;
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U16, nx, ny, nz, NULL), FIB_OK);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                fib_volume_set(&v, x, y, z,
                               (double)((x * 37 + y * 101 + z * 13) % 1000));
    char p[300];
    snprintf(p, sizeof p, "%s/pyr.zarr", dir);
    fib_fmt_write_opts o = {0};
    o.zarr_levels = 2;
    fib_error e = {0};
    ck_assert_msg(fib_fmt_volume_write(p, &v, &o, &e) == FIB_OK, "%s", e.msg);
    char l1[320];
    snprintf(l1, sizeof l1, "%s/1", p); /* a bare array folder */
    fib_volume r;
    ck_assert_msg(fib_fmt_volume_read(l1, NULL, &r, NULL, &e) == FIB_OK, "%s",
                  e.msg);
    ck_assert_uint_eq(r.nx, 5);
    ck_assert_uint_eq(r.ny, 4);
    ck_assert_uint_eq(r.nz, 3);
    for (size_t Z = 0; Z < 3; Z++)
        for (size_t Y = 0; Y < 4; Y++)
            for (size_t X = 0; X < 5; X++) {
                double s = 0;
                int n = 0;
                for (size_t z = 2 * Z; z < 2 * Z + 2 && z < nz; z++)
                    for (size_t y = 2 * Y; y < 2 * Y + 2 && y < ny; y++)
                        for (size_t x = 2 * X; x < 2 * X + 2 && x < nx; x++) {
                            s += get(&v, x, y, z);
                            n++;
                        }
                ck_assert_double_eq(get(&r, X, Y, Z), floor(s / n + 0.5));
            }
    fib_volume_clear(&r);
    /* labels: mode */
    fib_volume lab;
    ck_assert_int_eq(fib_volume_init(&lab, FIB_PX_U8, 4, 2, 2, NULL), FIB_OK);
    const uint8_t vals[16] = {1, 2, 5, 5, 1, 2, 5, 6, 1, 3, 6, 6, 2, 3, 6, 5};
    memcpy(lab.data, vals, 16);
    snprintf(p, sizeof p, "%s/lab.zarr", dir);
    fib_fmt_write_opts ol = {0};
    ol.zarr_labels = true;
    ol.zarr_levels = 2;
    ck_assert_int_eq(fib_fmt_volume_write(p, &lab, &ol, &e), FIB_OK);
    snprintf(l1, sizeof l1, "%s/1", p);
    ck_assert_int_eq(fib_fmt_volume_read(l1, NULL, &r, NULL, &e), FIB_OK);
    ck_assert_uint_eq(r.nx, 2);
    /* block 0: 1,2,1,2 | 1,3,2,3 -> 1 (three 1s, ties broken low);
     * block 1: 5,5,5,6 | 6,6,6,5 -> 5 and 6 four times each -> 5 */
    ck_assert_double_eq(get(&r, 0, 0, 0), 1);
    ck_assert_double_eq(get(&r, 1, 0, 0), 5);
    fib_volume_clear(&r);
    fib_volume_clear(&lab);
    fib_volume_clear(&v);
    rm_rf(dir);
}
END_TEST

/* A rewrite replaces the folder as a whole; a failed one (wrong slice
 * count) leaves the old folder and no temporary tree. */
START_TEST(test_all_or_none)
{
    setup_dir();
    char p[300];
    snprintf(p, sizeof p, "%s/a.zarr", dir);
    fib_volume v;
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 8, 8, 4, NULL), FIB_OK);
    memset(v.data, 7, 256);
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, NULL), FIB_OK);
    char extra[320];
    snprintf(extra, sizeof extra, "%s/stale.txt", p);
    FILE *f = fopen(extra, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    memset(v.data, 9, 256);
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, NULL), FIB_OK);
    struct stat sb;
    ck_assert_int_ne(stat(extra, &sb), 0); /* the old tree is gone */
    fib_fmt_volume_writer *w = NULL;
    const double vs[3] = {1, 1, 1};
    ck_assert_int_eq(
        fib_fmt_volume_writer_create(p, FIB_PX_U8, 8, 8, 4, vs, NULL, &w, NULL),
        FIB_OK);
    fib_image sl = fib_volume_slice(&v, 0);
    ck_assert_int_eq(fib_fmt_volume_writer_append(w, &sl, NULL), FIB_OK);
    fib_error e = {0};
    ck_assert_int_eq(fib_fmt_volume_writer_finish(w, &e), FIB_EINVAL);
    fib_fmt_volume_writer_destroy(w);
    fib_volume r;
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, NULL), FIB_OK);
    ck_assert_int_eq(((uint8_t *)r.data)[0], 9);
    fib_volume_clear(&r);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp", dir);
    ck_assert_int_ne(system(cmd), 0); /* no temporary left */
    fib_volume_clear(&v);
    rm_rf(dir);
}
END_TEST

static void write_text(const char *path, const char *txt)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(txt, f);
    fclose(f);
}

START_TEST(test_bad_input)
{
    setup_dir();
    char p[300], q[400];
    snprintf(p, sizeof p, "%s/b.zarr", dir);
    fib_volume v;
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 8, 8, 2, NULL), FIB_OK);
    memset(v.data, 1, 128);
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, NULL), FIB_OK);
    fib_volume r;
    fib_error e = {0};
    /* a missing chunk */
    snprintf(q, sizeof q, "%s/0/1/0/0", p);
    ck_assert_int_eq(unlink(q), 0);
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "chunk 1/0/0 missing") && strstr(e.msg, "/0"),
                  "%s", e.msg);
    /* a truncated chunk */
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, NULL), FIB_OK);
    snprintf(q, sizeof q, "%s/0/0/0/0", p);
    ck_assert_int_eq(truncate(q, 5), 0);
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "chunk 0/0/0"), "%s", e.msg);
    /* a wrong dtype and a bad shape */
    snprintf(q, sizeof q, "%s/0/.zarray", p);
    write_text(q, "{\"zarr_format\": 2, \"shape\": [2, 8, 8], \"chunks\": [1, "
                  "8, 8], \"dtype\": \"<i8\", \"compressor\": null, "
                  "\"order\": \"C\"}");
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "dtype '<i8'"), "%s", e.msg);
    write_text(q, "{\"zarr_format\": 2, \"shape\": [2, -8, 8], \"chunks\": [1, "
                  "8, 8], \"dtype\": \"|u1\", \"compressor\": null}");
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "shape[1]"), "%s", e.msg);
    write_text(q, "{\"zarr_format\": 2, \"shape\": [2, 8, 8], \"chunks\": [1, "
                  "8, 8], \"dtype\": \"|u1\", \"compressor\": {\"id\": "
                  "\"lzma\"}}");
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "compressor"), "%s", e.msg);
    /* a filter would change the bytes: refused, not misread */
    write_text(q, "{\"zarr_format\": 2, \"shape\": [2, 8, 8], \"chunks\": [1, "
                  "8, 8], \"dtype\": \"|u1\", \"compressor\": null, "
                  "\"filters\": [{\"id\": \"delta\", \"dtype\": \"|u1\"}]}");
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_EFORMAT);
    ck_assert_msg(strstr(e.msg, "filters"), "%s", e.msg);
    /* a claimed size over the limit is refused before allocation */
    write_text(q, "{\"zarr_format\": 2, \"shape\": [100000, 100000, 100000], "
                  "\"chunks\": [1, 8, 8], \"dtype\": \"|u1\", "
                  "\"compressor\": null}");
    e = (fib_error){0};
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_ERANGE);
    /* metadata that is not JSON */
    snprintf(q, sizeof q, "%s/.zattrs", p);
    write_text(q, "{\"multiscales\": [ {\"datasets\": [ { \"path\": ");
    ck_assert_int_ne(fib_fmt_volume_read(p, NULL, &r, NULL, &e), FIB_OK);
    fib_volume_clear(&v);
    rm_rf(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zarr");
    TCase *tc = tcase_create("zarr");
    tcase_add_test(tc, test_round_trip_types);
    tcase_add_test(tc, test_pyramid);
    tcase_add_test(tc, test_all_or_none);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
