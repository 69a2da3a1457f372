/* test_series_reader.c -- fib_fmt_series_reader (fib/series_reader.h): a
 * series of PNG files (8 and 16 bit, one of them corrupt) read with 0, 1
 * and 3 decoder threads, in order, again from the start (second pass: the
 * spill must serve every good slice without decoding), with jumps and
 * backwards; every slice must be the bytes fib_fmt_image_read() gives, and
 * the corrupt one must fail naming its file, in every mode. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fib/formats.h"
#include "fib/series_reader.h"
#include "fib_test.h"

enum { W = 61, H = 37, NS = 12, BAD = 7 };

static char dir[4096];
static char *paths[NS];

/* Slices with a per-slice pattern; slice BAD is a truncated file. */
static void make_series(fib_pixel_type type)
{
    fib_test_tmpdir(dir, sizeof dir);
    fib_error err = {0};
    for (size_t z = 0; z < NS; z++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/s_%03zu.png", dir, z);
        paths[z] = strdup(p);
        fib_image im = {0};
        ck_assert(fib_image_init(&im, type, W, H, &err) == FIB_OK);
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
                fib_image_set(&im, x, y,
                              (double)((x * 7 + y * 13 + z * 29) % 251));
        ck_assert_msg(fib_fmt_image_write(p, &im, NULL, &err) == FIB_OK, "%s",
                      err.msg);
        fib_image_clear(&im);
        if (z == BAD) {
            FILE *f = fopen(p, "r+b");
            ck_assert(f != NULL);
            ck_assert(fseek(f, 0, SEEK_END) == 0);
            const long len = ftell(f);
            fclose(f);
            ck_assert(truncate(p, len / 2) == 0);
        }
    }
}

static void free_series(void)
{
    for (size_t z = 0; z < NS; z++)
        free(paths[z]);
    fib_test_rmdir(dir);
}

/* Slice i through the reader equals the direct read (or both fail). */
static void check_slice(fib_fmt_series_reader *r, size_t i)
{
    fib_error e1 = {0}, e2 = {0};
    const fib_image *got = NULL;
    const fib_status s1 = fib_fmt_series_reader_get(r, i, &got, &e1);
    fib_image ref = {0};
    const fib_status s2 = fib_fmt_image_read(paths[i], NULL, &ref, NULL, &e2);
    ck_assert_int_eq(s1, s2);
    if (i == BAD) {
        ck_assert_int_ne(s1, FIB_OK);
        ck_assert_msg(strstr(e1.msg, "s_007.png") != NULL, "%s", e1.msg);
        ck_assert(got == NULL);
        return;
    }
    ck_assert_msg(s1 == FIB_OK, "%s", e1.msg);
    ck_assert_int_eq(got->type, ref.type);
    ck_assert_uint_eq(got->width, W);
    ck_assert_uint_eq(got->height, H);
    for (size_t y = 0; y < H; y++)
        ck_assert(memcmp(fib_image_row(got, y), fib_image_row(&ref, y),
                         W * fib_pixel_size_bytes(ref.type)) == 0);
    fib_image_clear(&ref);
}

static void run_modes(void)
{
    static const int threads[] = {0, 1, 3};
    for (int m = 0; m < 3; m++) {
        for (int spill = 0; spill < 2; spill++) {
            fib_fmt_series_reader_opts o = {0};
            o.threads = threads[m];
            o.spill_dir = spill ? dir : NULL;
            fib_fmt_series_reader *r = NULL;
            fib_error err = {0};
            ck_assert_msg(
                fib_fmt_series_reader_create(paths, NS, &o, &r, &err) == FIB_OK,
                "%s", err.msg);
            for (size_t i = 0; i < NS; i++) /* pass 1 */
                check_slice(r, i);
            ck_assert_uint_eq(fib_fmt_series_reader_spill_hits(r), 0);
            for (size_t i = 0; i < NS; i++) /* pass 2 */
                check_slice(r, i);
            /* every good slice from the spill, none decoded again */
            ck_assert_uint_eq(fib_fmt_series_reader_spill_hits(r),
                              (size_t)(spill ? NS - 1 : 0));
            /* jumps, a skipped slice, backwards */
            const size_t order[] = {3, 4, 6, 5, 11, 0, 0, 9, BAD, 8};
            for (size_t k = 0; k < sizeof order / sizeof *order; k++)
                check_slice(r, order[k]);
            const fib_image *im = NULL;
            ck_assert_int_eq(fib_fmt_series_reader_get(r, NS, &im, &err),
                             FIB_EINVAL);
            /* destroy with decodes in flight */
            check_slice(r, 1);
            fib_fmt_series_reader_destroy(r);
        }
    }
}

START_TEST(test_reader_u8)
{
    make_series(FIB_PX_U8);
    run_modes();
    free_series();
}
END_TEST

START_TEST(test_reader_u16)
{
    make_series(FIB_PX_U16);
    run_modes();
    free_series();
}
END_TEST

START_TEST(test_reader_bad_args)
{
    fib_fmt_series_reader *r = NULL;
    fib_error err = {0};
    fib_fmt_series_reader_opts o = {0};
    ck_assert_int_eq(fib_fmt_series_reader_create(paths, 0, &o, &r, &err),
                     FIB_EINVAL);
    o.threads = -1;
    ck_assert_int_eq(fib_fmt_series_reader_create(paths, 1, &o, &r, &err),
                     FIB_EINVAL);
    ck_assert(r == NULL);
    fib_fmt_series_reader_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("series_reader");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reader_u8);
    tcase_add_test(tc, test_reader_u16);
    tcase_add_test(tc, test_reader_bad_args);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
