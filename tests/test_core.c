/* test_core.c -- status table, error buffer, images, checked math. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/checked.h"
#include "fib/common.h"
#include "fib/image.h"
#include "fib/params.h"
#include "fib/progress.h"
#include "fib/report.h"
#include "fib_test.h"

START_TEST(strerror_covers_table)
{
    for (int c = 0; c < FIB_STATUS_COUNT_; c++) {
        ck_assert_str_ne(fib_strerror((fib_status)c), "unknown");
        ck_assert_ptr_nonnull(strstr(fib_status_name((fib_status)c), "FIB_"));
    }
    ck_assert_str_eq(fib_strerror((fib_status)999), "unknown");
    ck_assert_str_eq(fib_strerror(FIB_EINVAL), "invalid argument");
}
END_TEST

START_TEST(first_error_wins_and_prefix)
{
    fib_error err = {0};
    ck_assert_int_eq(fib_error_set(&err, FIB_EFORMAT, "formats: bad %d", 7),
                     FIB_EFORMAT);
    ck_assert_int_eq(fib_error_set(&err, FIB_EIO, "second"), FIB_EIO);
    ck_assert_int_eq(err.code, FIB_EFORMAT);
    ck_assert_str_eq(err.msg, "formats: bad 7");
    fib_error_prefix(&err, "slice %d: ", 212);
    ck_assert_str_eq(err.msg, "slice 212: formats: bad 7");
    ck_assert_int_eq(fib_error_set(NULL, FIB_ENOMEM, "x"), FIB_ENOMEM);
    fib_error_clear(&err);
    ck_assert_int_eq(err.code, FIB_OK);
    fib_error_set(&err, FIB_EINVAL, "two\nlines");
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

START_TEST(image_init_rejects_bad_sizes)
{
    fib_image img;
    fib_error err = {0};
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U8, 0, 5, &err), FIB_EINVAL);
    ck_assert_ptr_null(img.data);
    ck_assert(err.msg[0] != '\0');
    fib_error_clear(&err);
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U16, 100000000, 5, &err),
                     FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_image_init(&img, (fib_pixel_type)9, 3, 5, &err),
                     FIB_EINVAL);
    fib_volume vol;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_volume_init(&vol, FIB_PX_U8, 100000, 100000, 100000,
                                     &err) != FIB_OK,
                     1);
    ck_assert_ptr_null(vol.data);
}
END_TEST

START_TEST(image_views_and_values)
{
    fib_image img, view, conv;
    fib_error err = {0};
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U16, 7, 5, &err), FIB_OK);
    img.pixel_size_nm[0] = img.pixel_size_nm[1] = 2.5;
    for (size_t y = 0; y < 5; y++)
        for (size_t x = 0; x < 7; x++)
            fib_image_set(&img, x, y, (double)(x * 1000 + y));
    ck_assert_int_eq(fib_image_view(&img, 2, 1, 3, 3, &view, &err), FIB_OK);
    ck_assert(!view.owns_data);
    ck_assert_double_eq(fib_image_get(&view, 0, 0), 2001.0);
    ck_assert_double_eq(view.origin_nm[0], 5.0);
    ck_assert_int_eq(fib_image_view(&img, 5, 0, 3, 1, &view, &err), FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_image_convert(&img, FIB_PX_U8, &conv, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&conv, 0, 3), 3.0);
    ck_assert_double_eq(fib_image_get(&conv, 1, 0), 255.0); /* clamped */
    double lo, hi;
    fib_image_minmax(&img, &lo, &hi);
    ck_assert_double_eq(lo, 0.0);
    ck_assert_double_eq(hi, 6004.0);
    fib_image_clear(&conv);
    fib_image_clear(&img);
    ck_assert_ptr_null(img.data);
}
END_TEST

START_TEST(volume_slices_share_memory)
{
    fib_volume vol;
    fib_error err = {0};
    ck_assert_int_eq(fib_volume_init(&vol, FIB_PX_F32, 4, 3, 6, &err), FIB_OK);
    vol.voxel_size_nm[0] = 3.0;
    fib_volume_set(&vol, 1, 2, 4, -2.75);
    fib_image s = fib_volume_slice(&vol, 4);
    ck_assert_double_eq(fib_image_get(&s, 1, 2), -2.75);
    ck_assert_double_eq(s.pixel_size_nm[0], 3.0);
    ck_assert(!s.owns_data);
    fib_volume_clear(&vol);
}
END_TEST

START_TEST(checked_math_and_budget)
{
    size_t r;
    ck_assert(fib_mul_size(3, 5, &r) && r == 15);
    ck_assert(!fib_mul_size((size_t)-1 / 2, 3, &r));
    ck_assert(!fib_mul3_size(1000000, 1000000, 100000000, &r));
    ck_assert(!fib_add_size((size_t)-1, 1, &r));
    fib_budget b = fib_budget_make(1000);
    fib_error err = {0};
    ck_assert_int_eq(fib_budget_charge(&b, 600, "slab", &err), FIB_OK);
    ck_assert_int_eq(fib_budget_charge(&b, 600, "cache", &err), FIB_EBUDGET);
    ck_assert_ptr_nonnull(strstr(err.msg, "cache"));
    fib_budget_release(&b, 600);
    ck_assert_int_eq(b.used_bytes, 0);
    ck_assert_int_eq(b.peak_bytes, 600);
    ck_assert_int_eq(fib_parse_size("1.5G", &r, NULL), FIB_OK);
    ck_assert_uint_eq(r, (size_t)(1.5 * 1073741824.0));
    ck_assert_int_eq(fib_parse_size("512MiB", &r, NULL), FIB_OK);
    ck_assert_uint_eq(r, (size_t)512 << 20);
    ck_assert_int_eq(fib_parse_size("12Q", &r, NULL), FIB_EINVAL);
    ck_assert_int_eq(fib_parse_size("-3", &r, NULL), FIB_EINVAL);
}
END_TEST

static fib_status cancel_at_3(void *user, const char *stage, size_t done,
                              size_t total)
{
    (void)user;
    (void)stage;
    (void)total;
    return done >= 3 ? FIB_ECANCELED : FIB_OK;
}

START_TEST(progress_cancels)
{
    fib_progress p = {cancel_at_3, NULL};
    fib_error err = {0};
    ck_assert_int_eq(fib_progress_report(&p, "align", 2, 10, &err), FIB_OK);
    ck_assert_int_eq(fib_progress_report(&p, "align", 3, 10, &err),
                     FIB_ECANCELED);
    ck_assert_str_eq(err.msg, "align: canceled");
    ck_assert_int_eq(fib_progress_report(NULL, "x", 1, 1, NULL), FIB_OK);
}
END_TEST

START_TEST(json_document)
{
    fib_fmt_json *j = NULL;
    const char *text = NULL;
    ck_assert_int_eq(fib_fmt_json_create(0, &j, NULL), FIB_OK);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "name", "a\"b\\c\n\xb5m");
    fib_fmt_json_kv_number(j, "x", 2.5);
    fib_fmt_json_kv_number(j, "inf", INFINITY);
    fib_fmt_json_key(j, "list");
    fib_fmt_json_begin_array(j);
    fib_fmt_json_int(j, 1);
    fib_fmt_json_bool(j, true);
    fib_fmt_json_null(j);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    ck_assert_int_eq(fib_fmt_json_text(j, &text, NULL), FIB_OK);
    ck_assert_str_eq(text, "{\"name\":\"a\\\"b\\\\c\\n\xc2\xb5m\",\"x\":2.5,"
                           "\"inf\":null,\"list\":[1,true,null]}\n");
    fib_fmt_json_destroy(j);

    ck_assert_int_eq(fib_fmt_json_create(2, &j, NULL), FIB_OK);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_int(j, 3); /* value without key: misuse */
    fib_fmt_json_end_object(j);
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_json_text(j, &text, &err), FIB_EINVAL);
    fib_fmt_json_destroy(j);
}
END_TEST

START_TEST(csv_quoting_and_atomic_write)
{
    fib_fmt_csv *c = NULL;
    const char *text = NULL;
    ck_assert_int_eq(fib_fmt_csv_create(&c, NULL), FIB_OK);
    fib_fmt_csv_field(c, "slice");
    fib_fmt_csv_field(c, "a,b");
    fib_fmt_csv_end_row(c);
    fib_fmt_csv_int(c, 4);
    fib_fmt_csv_number(c, 0.125);
    fib_fmt_csv_end_row(c);
    ck_assert_int_eq(fib_fmt_csv_text(c, &text, NULL), FIB_OK);
    ck_assert_str_eq(text, "slice,\"a,b\"\n4,0.125\n");
    char dir[4096], path[4200];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    ck_assert_int_eq(fib_fmt_csv_write(c, path, NULL), FIB_OK);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char got[64] = {0};
    ck_assert_uint_eq(fread(got, 1, sizeof got - 1, f), strlen(text));
    fclose(f);
    fib_error err = {0};
    ck_assert_int_eq(
        fib_fmt_write_file_atomic("/nonexistent-dir/x.csv", "a", 1, &err),
        FIB_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-dir/x.csv"));
    fib_fmt_csv_destroy(c);
    fib_test_rmdir(dir);
}
END_TEST

/* A parameter table of the kind engines declare (fib/params.h). */
typedef struct demo_params {
    double slice_nm;
    double pixel_nm[2];
    int neighbours;
    size_t budget;
    bool taper;
    int method;
    char name[8];
} demo_params;
static const char *const demo_methods[] = {"vsnr", "wavelet", NULL};
static const int demo_method_values[] = {3, 7};
static const fib_param demo_rows[] = {
    {"slice_nm", FIB_PARAM_DOUBLE, offsetof(demo_params, slice_nm), 0, 0.01,
     1e6, 0, NULL, "nm", "slice thickness", NULL, NULL, FIB_PARAM_ZERO_AUTO},
    {"pixel_nm", FIB_PARAM_DLIST, offsetof(demo_params, pixel_nm), 2, 0.01, 1e6,
     5, NULL, "nm", "pixel size", NULL, NULL, 0},
    {"neighbours", FIB_PARAM_INT, offsetof(demo_params, neighbours), 0, 1, 8, 3,
     NULL, "", "pairs per slice", NULL, NULL, 0},
    {"budget", FIB_PARAM_SIZE, offsetof(demo_params, budget), 0, 1, 1e12, 64,
     NULL, "bytes", "memory", NULL, NULL, 0},
    {"taper", FIB_PARAM_BOOL, offsetof(demo_params, taper), 0, 0, 1, 1, NULL,
     "", "taper the edges", NULL, NULL, 0},
    {"method", FIB_PARAM_ENUM, offsetof(demo_params, method), 0, 0, 0, 7, NULL,
     "", "destriping method", demo_methods, demo_method_values, 0},
    {"name", FIB_PARAM_STRING, offsetof(demo_params, name), 8, 0, 0, 0, "db5",
     "", "wavelet", NULL, NULL, 0},
};
static const fib_param_table demo_table = {"demo", demo_rows, 7};

START_TEST(param_table)
{
    demo_params p;
    memset(&p, 0xff, sizeof p);
    fib_params_defaults(&demo_table, &p);
    ck_assert(p.slice_nm == 0 && p.pixel_nm[0] == 5 && p.pixel_nm[1] == 5);
    ck_assert_int_eq(p.neighbours, 3);
    ck_assert_uint_eq(p.budget, 64);
    ck_assert(p.taper);
    ck_assert_int_eq(p.method, 7);
    ck_assert_str_eq(p.name, "db5");
    fib_error err = {0};
    ck_assert_int_eq(fib_params_check(&demo_table, &p, &err), FIB_OK);
    const fib_param *r = fib_params_find(&demo_table, "--slice-nm");
    ck_assert_ptr_eq(r, &demo_rows[0]);
    ck_assert_ptr_null(fib_params_find(&demo_table, "slice"));
    /* ranges: in, out, zero = auto */
    ck_assert_int_eq(fib_params_parse(r, &p, "12.5", &err), FIB_OK);
    ck_assert(p.slice_nm == 12.5);
    ck_assert_int_eq(fib_params_parse(r, &p, "-3", &err), FIB_ERANGE);
    ck_assert_str_eq(err.msg,
                     "slice_nm must be 0.01..1000000 nm, or 0 = auto (got -3)");
    ck_assert(p.slice_nm == 12.5);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_params_parse(r, &p, "0", &err), FIB_OK);
    ck_assert_int_eq(fib_params_parse(r, &p, "1e400", &err), FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_params_parse(r, &p, "3x", &err), FIB_EINVAL);
    fib_error_clear(&err);
    /* integers refuse fractions */
    r = fib_params_find(&demo_table, "neighbours");
    ck_assert_int_eq(fib_params_parse(r, &p, "2.5", &err), FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_params_parse(r, &p, "9", &err), FIB_ERANGE);
    fib_error_clear(&err);
    /* lists repeat the last value, and are range-checked per element */
    r = fib_params_find(&demo_table, "pixel_nm");
    ck_assert_int_eq(fib_params_parse(r, &p, "4,6", &err), FIB_OK);
    ck_assert(p.pixel_nm[0] == 4 && p.pixel_nm[1] == 6);
    ck_assert_int_eq(fib_params_parse(r, &p, "7", &err), FIB_OK);
    ck_assert(p.pixel_nm[0] == 7 && p.pixel_nm[1] == 7);
    ck_assert_int_eq(fib_params_parse(r, &p, "1,2,3", &err), FIB_EINVAL);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_params_parse(r, &p, "1,0", &err), FIB_ERANGE);
    fib_error_clear(&err);
    char buf[160];
    ck_assert_str_eq(fib_params_text(r, &p, buf, sizeof buf), "7,7");
    /* bools, enums with values, strings */
    r = fib_params_find(&demo_table, "taper");
    ck_assert_int_eq(fib_params_parse(r, &p, "off", &err), FIB_OK);
    ck_assert(!p.taper);
    ck_assert_int_eq(fib_params_parse(r, &p, NULL, &err), FIB_OK);
    ck_assert(p.taper);
    ck_assert_int_eq(fib_params_parse(r, &p, "maybe", &err), FIB_EINVAL);
    fib_error_clear(&err);
    r = fib_params_find(&demo_table, "method");
    ck_assert_int_eq(fib_params_parse(r, &p, "VSNR", &err), FIB_OK);
    ck_assert_int_eq(p.method, 3);
    ck_assert_str_eq(fib_params_text(r, &p, buf, sizeof buf), "vsnr");
    ck_assert_int_eq(fib_params_parse(r, &p, "fft", &err), FIB_EINVAL);
    ck_assert_str_eq(err.msg, "method must be one of vsnr|wavelet (got 'fft')");
    fib_error_clear(&err);
    p.method = 5;
    ck_assert_int_eq(fib_params_check(&demo_table, &p, &err), FIB_EINVAL);
    fib_error_clear(&err);
    p.method = 7;
    r = fib_params_find(&demo_table, "name");
    ck_assert_int_eq(fib_params_parse(r, &p, "sym8", &err), FIB_OK);
    ck_assert_str_eq(p.name, "sym8");
    ck_assert_int_eq(fib_params_parse(r, &p, "toolongname", &err), FIB_ERANGE);
    fib_error_clear(&err);
    /* a struct filled in C is checked by the same table */
    p.budget = 0;
    ck_assert_int_eq(fib_params_check(&demo_table, &p, &err), FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "budget must be 1..1e+12 bytes"));
    fib_params_help_line(&demo_rows[0], buf, sizeof buf);
    ck_assert_str_eq(buf, "  --slice-nm X           slice thickness "
                          "(nm; 0.01..1000000; 0 = auto)");
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, strerror_covers_table);
    tcase_add_test(tc, first_error_wins_and_prefix);
    suite_add_tcase(s, tc);
    tc = tcase_create("raster");
    tcase_add_test(tc, image_init_rejects_bad_sizes);
    tcase_add_test(tc, image_views_and_values);
    tcase_add_test(tc, volume_slices_share_memory);
    suite_add_tcase(s, tc);
    tc = tcase_create("checked");
    tcase_add_test(tc, checked_math_and_budget);
    tcase_add_test(tc, progress_cancels);
    tcase_add_test(tc, param_table);
    suite_add_tcase(s, tc);
    tc = tcase_create("report");
    tcase_add_test(tc, json_document);
    tcase_add_test(tc, csv_quoting_and_atomic_write);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(core_suite(), NULL);
}
