/*
 * test_job_paths.c -- the input/output identity checks of every job
 * (fib/job_paths.h) on files made here: the same file through a symlink,
 * "./x" and a not-yet-written name; the folder of an output missing or a
 * file; an output folder that is, or holds (through a link too), an
 * input or a series' slice; an NRRD header's detached data file.  Each
 * refusal is FIB_EINVAL (exit status 2 in the command) with the exact
 * one-line message the command prints after "cryofib CMD: ".
 */
#define _POSIX_C_SOURCE 200809L
#include "fib_test.h"

#include "fib/job_formats.h"
#include "fib/job_paths.h"
#include "fib/job_plan.h"
#include "fib/job_recon.h"
#include "fib/job_simulate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char T[1024];       /* the test's folder */
static char buf[PATH_MAX]; /* scratch path of path() */

static const char *path(const char *rel)
{
    snprintf(buf, sizeof buf, "%s/%s", T, rel);
    return buf;
}

static void write_file(const char *rel, const char *text)
{
    FILE *f = fopen(path(rel), "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    fib_test_tmpdir(T, sizeof T);
    write_file("in.json", "{}\n");
    ck_assert_int_eq(symlink("in.json", path("link.json")), 0);
    ck_assert_int_eq(mkdir(path("ser"), 0755), 0);
    write_file("ser/slice_0000.png", "");
    write_file("ser/slice_0001.png", "");
    ck_assert_int_eq(symlink("ser", path("alias")), 0);
    ck_assert_int_eq(mkdir(path("lists"), 0755), 0);
    write_file("lists/run.txt", "../ser/slice_0001.png\n");
    write_file("v.nhdr", "NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 "
                         "2\nencoding: raw\ndata file: v.raw\n\n");
    write_file("v.raw", "\1\2\3\4\5\6\7\10");
}

static void teardown(void)
{
    fib_test_rmdir(T);
}

/* @p st is FIB_EINVAL and @p err holds @p expect. */
static void refused(fib_status st, const fib_error *err, const char *expect)
{
    ck_assert_int_eq(st, FIB_EINVAL);
    ck_assert_str_eq(err->msg, expect);
}

START_TEST(same_file_link_and_dot)
{
    char in[PATH_MAX], link[PATH_MAX], expect[3 * PATH_MAX];
    snprintf(in, sizeof in, "%s", path("in.json"));
    snprintf(link, sizeof link, "%s", path("link.json"));
    ck_assert(fib_job_same_file(in, link));
    ck_assert(!fib_job_same_file(in, path("ser")));
    ck_assert(!fib_job_same_file(in, path("missing.json")));

    const char *ins[] = {NULL, in};
    fib_error err = {0};
    snprintf(expect, sizeof expect,
             "--json %s: is the input file %s (refusing to overwrite it)", link,
             in);
    refused(fib_job_check_not_input("--json", link, ins, 2, &err), &err,
            expect);

    /* "./x" and "x" from inside the folder; an operand (no option) */
    char cwd[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(T), 0);
    const char *rel[] = {"in.json"};
    fib_error e2 = {0};
    refused(fib_job_check_not_input(NULL, "./in.json", rel, 1, &e2), &e2,
            "./in.json: is the input file in.json (refusing to overwrite "
            "it)");
    /* a name not written yet is the same as its resolved spelling */
    ck_assert(fib_job_names_same("new.tif", "./ser/../new.tif"));
    ck_assert(!fib_job_names_same("new.tif", "ser/new.tif"));
    fib_error e3 = {0};
    ck_assert_int_eq(fib_job_check_not_input("--json", "out.json", rel, 1, &e3),
                     FIB_OK);
    ck_assert_str_eq(e3.msg, "");
    ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(output_folder_missing_or_a_file)
{
    char out[PATH_MAX], expect[3 * PATH_MAX];
    const char *ins[] = {NULL};
    fib_error err = {0};
    snprintf(out, sizeof out, "%s", path("nope/r.json"));
    snprintf(expect, sizeof expect,
             "--json %s: cannot create: %s does not exist", out, path("nope"));
    refused(fib_job_check_not_input("--json", out, ins, 1, &err), &err, expect);
    fib_error e2 = {0};
    snprintf(out, sizeof out, "%s", path("in.json/r.json"));
    snprintf(expect, sizeof expect,
             "--csv %s: cannot create: %s is not a folder", out,
             path("in.json"));
    refused(fib_job_check_not_input("--csv", out, ins, 1, &e2), &e2, expect);
    /* NULL output: nothing to check */
    fib_error e3 = {0};
    ck_assert_int_eq(fib_job_check_not_input("--csv", NULL, ins, 1, &e3),
                     FIB_OK);
    ck_assert_str_eq(e3.msg, "");
}
END_TEST

START_TEST(folder_holding_an_input)
{
    char slice[PATH_MAX], ser[PATH_MAX], expect[3 * PATH_MAX];
    snprintf(slice, sizeof slice, "%s", path("ser/slice_0000.png"));
    snprintf(ser, sizeof ser, "%s", path("ser"));
    const char *ins[] = {slice};
    fib_error err = {0};
    snprintf(expect, sizeof expect,
             "--out %s: holds the input %s (refusing to write into an input "
             "folder)",
             T, slice);
    refused(fib_job_check_dir_not_input("--out", T, ins, 1, &err), &err,
            expect);
    /* through a link to the folder */
    fib_error e2 = {0};
    snprintf(expect, sizeof expect,
             "--out %s: holds the input %s (refusing to write into an input "
             "folder)",
             path("alias"), slice);
    refused(fib_job_check_dir_not_input("--out", path("alias"), ins, 1, &e2),
            &e2, expect);
    /* the input folder itself */
    const char *sers[] = {ser};
    fib_error e3 = {0};
    snprintf(expect, sizeof expect,
             "--out %s: is the input file %s (refusing to overwrite it)", ser,
             ser);
    refused(fib_job_check_dir_not_input("--out", ser, sers, 1, &e3), &e3,
            expect);
    /* a folder beside the input, and one not created yet, are fine */
    fib_error e4 = {0};
    ck_assert_int_eq(
        fib_job_check_dir_not_input("--out", path("lists"), ins, 1, &e4),
        FIB_OK);
    ck_assert_int_eq(
        fib_job_check_dir_not_input("--out", path("new-run"), ins, 1, &e4),
        FIB_OK);
    ck_assert_str_eq(e4.msg, "");
}
END_TEST

START_TEST(folder_holding_a_series_slice)
{
    char list[PATH_MAX], dir[PATH_MAX], expect[3 * PATH_MAX];
    snprintf(list, sizeof list, "%s", path("lists/run.txt"));
    snprintf(dir, sizeof dir, "%s", path("ser"));
    fib_error err = {0};
    /* the list file lies elsewhere; the slice it names is in ser/ */
    const fib_status st =
        fib_job_check_dir_not_series("--out", dir, list, &err);
    ck_assert_int_eq(st, FIB_EINVAL);
    snprintf(expect, sizeof expect, "--out %s: holds the input ", dir);
    ck_assert_msg(strncmp(err.msg, expect, strlen(expect)) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "slice_0001.png (refusing to write "
                                          "into an input folder)"));
    ck_assert_ptr_null(strstr(err.msg, "slice_0000.png"));
    /* the list's own folder */
    fib_error e2 = {0};
    snprintf(expect, sizeof expect,
             "--out %s: holds the input %s (refusing to write into an input "
             "folder)",
             path("lists"), list);
    char lists[PATH_MAX];
    snprintf(lists, sizeof lists, "%s", path("lists"));
    refused(fib_job_check_dir_not_series("--out", lists, list, &e2), &e2,
            expect);
    /* a series that cannot be listed is the listing's error */
    fib_error e3 = {0};
    ck_assert_int_eq(
        fib_job_check_dir_not_series("--out", lists, path("empty*.png"), &e3),
        FIB_ENOTFOUND);
    ck_assert_str_ne(e3.msg, "");
}
END_TEST

START_TEST(nrrd_detached_data_file)
{
    char hdr[PATH_MAX], raw[PATH_MAX], data[1024], expect[3 * PATH_MAX];
    snprintf(hdr, sizeof hdr, "%s", path("v.nhdr"));
    snprintf(raw, sizeof raw, "%s", path("v.raw"));
    fib_job_input_data_file(hdr, data, sizeof data);
    ck_assert(fib_job_same_file(data, raw));
    /* not an NRRD header: no data file */
    fib_job_input_data_file(path("in.json"), data, sizeof data);
    ck_assert_str_eq(data, "");
    fib_job_input_data_file(path("missing.nhdr"), data, sizeof data);
    ck_assert_str_eq(data, "");

    fib_job_inputs ins = {0};
    fib_job_inputs_add(&ins, hdr);
    fib_job_inputs_add(&ins, NULL);
    char json[PATH_MAX];
    snprintf(json, sizeof json, "%s", path("in.json"));
    fib_job_inputs_add(&ins, json);
    ck_assert_uint_eq(ins.n, 3);
    ck_assert_str_eq(ins.p[0], hdr);
    ck_assert(fib_job_same_file(ins.p[1], raw));
    fib_error err = {0};
    snprintf(expect, sizeof expect,
             "--out %s: is the input file %s (refusing to overwrite it)", raw,
             ins.p[1]);
    refused(fib_job_check_not_input("--out", raw, ins.p, ins.n, &err), &err,
            expect);
    /* the data file's folder holds an input */
    fib_error e2 = {0};
    ck_assert_int_eq(fib_job_check_dir_not_input("--out", T, ins.p, ins.n, &e2),
                     FIB_EINVAL);
}
END_TEST

/* A job writing one output per slice (correct on a series): into the
 * series' own folder the names collide; a list file is an input too. */
START_TEST(series_outputs_by_name)
{
    char ser[PATH_MAX], list[PATH_MAX], expect[3 * PATH_MAX];
    snprintf(ser, sizeof ser, "%s", path("ser"));
    snprintf(list, sizeof list, "%s", path("lists/run.txt"));
    fib_error err = {0};
    const fib_status st = fib_job_check_series_out(NULL, ser, ser, &err);
    ck_assert_int_eq(st, FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "slice_0000.png: is the input file ") &&
                      strstr(err.msg, "(refusing to overwrite it)"),
                  "%s", err.msg);
    /* another folder, a new file: fine */
    fib_error e2 = {0};
    ck_assert_int_eq(fib_job_check_series_out(NULL, path("lists"), ser, &e2),
                     FIB_OK);
    ck_assert_int_eq(fib_job_check_series_out(NULL, path("v.tif"), list, &e2),
                     FIB_OK);
    ck_assert_str_eq(e2.msg, "");
    /* one file over the list that names the slices */
    fib_error e3 = {0};
    snprintf(expect, sizeof expect,
             "%s: is the input file %s (refusing to overwrite it)", list, list);
    refused(fib_job_check_series_out(NULL, list, list, &e3), &e3, expect);
}
END_TEST

/* The jobs that write into a folder run the checks themselves, before
 * reading anything: a program calling them gets the same refusal. */
START_TEST(jobs_refuse_an_input_folder)
{
    char ser[PATH_MAX], expect[3 * PATH_MAX];
    snprintf(ser, sizeof ser, "%s", path("ser"));
    fib_job_recon_params rp;
    fib_job_recon_params_init(&rp);
    rp.run.input = ser;
    rp.run.out = T;
    fib_error err = {0};
    snprintf(expect, sizeof expect,
             "--out %s: holds the input %s (refusing to write into an input "
             "folder)",
             T, ser);
    refused(fib_job_recon(&rp, NULL, NULL, &err), &err, expect);
    ck_assert_int_eq(access(path("report.json"), F_OK), -1);

    char hdr[PATH_MAX];
    snprintf(hdr, sizeof hdr, "%s", path("v.nhdr"));
    fib_job_simulate_params sp;
    fib_job_simulate_params_init(&sp);
    sp.labels_path = hdr;
    fib_error e2 = {0};
    snprintf(expect, sizeof expect,
             "--out %s: holds the input %s (refusing to write into an input "
             "folder)",
             T, hdr);
    refused(fib_job_simulate(&sp, T, NULL, NULL, &e2), &e2, expect);
    ck_assert_int_eq(access(path("slices"), F_OK), -1);

    /* convert over the detached data file of its input header (whose
     * name has a volume extension), and fib_job_check_out_of() alone */
    write_file("w.nhdr", "NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 "
                         "2\nencoding: raw\ndata file: w.mrc\n\n");
    write_file("w.mrc", "\1\2\3\4\5\6\7\10");
    char whdr[PATH_MAX], wdat[PATH_MAX], data[1024];
    snprintf(whdr, sizeof whdr, "%s", path("w.nhdr"));
    snprintf(wdat, sizeof wdat, "%s", path("w.mrc"));
    fib_job_input_data_file(whdr, data, sizeof data);
    snprintf(expect, sizeof expect,
             "%s: is the input file %s (refusing to overwrite it)", wdat, data);
    fib_error e3 = {0}, e4 = {0};
    refused(fib_job_check_out_of(NULL, wdat, whdr, &e3), &e3, expect);
    refused(fib_job_convert(NULL, whdr, wdat, NULL, NULL, &e4), &e4, expect);
    FILE *f = fopen(wdat, "rb"); /* the input is untouched */
    ck_assert_ptr_nonnull(f);
    unsigned char b[16];
    ck_assert_uint_eq(fread(b, 1, sizeof b, f), 8);
    fclose(f);
    ck_assert_int_eq(b[0], 1);
    ck_assert_int_eq(b[7], 8);

    /* the planners check their reports before reading anything: a
     * session "file" that is no session still gives the identity error */
    char in[PATH_MAX], link[PATH_MAX], nope[PATH_MAX];
    snprintf(in, sizeof in, "%s", path("in.json"));
    snprintf(link, sizeof link, "%s", path("link.json"));
    snprintf(nope, sizeof nope, "%s", path("nope/p.csv"));
    const fib_job_workflow_params wp = {in, NULL, link};
    fib_error e5 = {0};
    snprintf(expect, sizeof expect,
             "--json %s: is the input file %s (refusing to overwrite it)", link,
             in);
    refused(fib_job_workflow(&wp, NULL, NULL, &e5), &e5, expect);
    fib_job_plan_params pp = {0};
    pp.csv_path = nope;
    fib_error e6 = {0};
    snprintf(expect, sizeof expect,
             "--csv %s: cannot create: %s does not exist", nope, path("nope"));
    refused(fib_job_plan(&pp, NULL, NULL, &e6), &e6, expect);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_paths");
    TCase *tc = tcase_create("identity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, same_file_link_and_dot);
    tcase_add_test(tc, output_folder_missing_or_a_file);
    tcase_add_test(tc, folder_holding_an_input);
    tcase_add_test(tc, folder_holding_a_series_slice);
    tcase_add_test(tc, nrrd_detached_data_file);
    tcase_add_test(tc, series_outputs_by_name);
    tcase_add_test(tc, jobs_refuse_an_input_folder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
