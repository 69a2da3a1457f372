/* test_txn.c -- the output transaction (fib/txn.h): commit moves every
 * staged output in together, abort and a cancel leave the folder as it
 * was, an output folder's previous result is replaced as a whole, a new
 * folder appears whole, dead runs' stages are rolled back or forward, and
 * errors name the final paths. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fib/report.h"
#include "fib/txn.h"
#include "fib_test.h"

static char dir[512];

static void setup(void)
{
    fib_test_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
    fib_test_rmdir(dir);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The content of @p path ("" when missing) into a static buffer. */
static const char *get(const char *path)
{
    static char buf[256];
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *at(const char *name)
{
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* Entries of @p d other than "." and "..". */
static size_t entries(const char *d)
{
    DIR *h = opendir(d);
    if (!h)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(h)) != NULL)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(h);
    return n;
}

static fib_status write_text(const char *path, const char *text)
{
    fib_error err = {0};
    return fib_fmt_write_file_atomic(path, text, strlen(text), &err);
}

START_TEST(test_commit_and_abort)
{
    fib_error err = {0};
    fib_fmt_txn *t = NULL;
    const char *a, *b;
    put(at("a.txt"), "old a");
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("a.txt"), &a, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("b.txt"), &b, &err), FIB_OK);
    /* the same output twice is refused */
    const char *dup;
    ck_assert_int_eq(write_text(a, "new a"), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("a.txt"), &dup, &err), FIB_EINVAL);
    err = (fib_error){0};
    ck_assert_int_eq(write_text(b, "new b"), FIB_OK);
    /* nothing visible before the commit: the old a, no b, one stage */
    ck_assert_str_eq(get(at("a.txt")), "old a");
    ck_assert_int_eq(access(at("b.txt"), F_OK), -1);
    ck_assert_uint_eq(entries(dir), 2);
    ck_assert_int_eq(fib_fmt_txn_commit(t, NULL, &err), FIB_OK);
    ck_assert_str_eq(get(at("a.txt")), "new a");
    ck_assert_str_eq(get(at("b.txt")), "new b");
    ck_assert_uint_eq(entries(dir), 2); /* the stage is gone */

    /* abort: the previous state exactly */
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("a.txt"), &a, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("c.txt"), &b, &err), FIB_OK);
    ck_assert_int_eq(write_text(a, "newer a"), FIB_OK);
    ck_assert_int_eq(write_text(b, "c"), FIB_OK);
    fib_fmt_txn_abort(t);
    ck_assert_str_eq(get(at("a.txt")), "new a");
    ck_assert_uint_eq(entries(dir), 2);
}
END_TEST

static fib_status cancel_cb(void *user, const char *stage, size_t done,
                            size_t total)
{
    (void)stage;
    (void)done;
    (void)total;
    int *calls = user;
    ++*calls;
    return FIB_ECANCELED;
}

START_TEST(test_cancel_and_errors)
{
    fib_error err = {0};
    fib_fmt_txn *t = NULL;
    const char *a;
    put(at("a.txt"), "old");
    int calls = 0;
    const fib_progress prog = {cancel_cb, &calls};
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_path(t, at("a.txt"), &a, &err), FIB_OK);
    ck_assert_int_eq(write_text(a, "new"), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_commit(t, &prog, &err), FIB_ECANCELED);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(get(at("a.txt")), "old");
    ck_assert_uint_eq(entries(dir), 1);

    /* a folder as an output file, a missing folder */
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    err = (fib_error){0};
    ck_assert_int_eq(fib_fmt_txn_path(t, dir, &a, &err), FIB_EINVAL);
    err = (fib_error){0};
    ck_assert_int_eq(fib_fmt_txn_path(t, at("no/x.json"), &a, &err), FIB_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "no/x.json: cannot create"));
    /* an error from a writer names the final output, not the stage */
    err = (fib_error){0};
    ck_assert_int_eq(fib_fmt_txn_path(t, at("y.csv"), &a, &err), FIB_OK);
    char msg[600];
    snprintf(msg, sizeof msg, "%s: write failed", a);
    fib_error_set(&err, FIB_EIO, "%s", msg);
    fib_fmt_txn_explain(t, &err);
    char want[600];
    char *real = realpath(dir, NULL);
    ck_assert_ptr_nonnull(real);
    snprintf(want, sizeof want, "%s/y.csv: write failed", real);
    free(real);
    ck_assert_str_eq(err.msg, want);
    fib_fmt_txn_abort(t);
    ck_assert_uint_eq(entries(dir), 1);
}
END_TEST

START_TEST(test_folder_replaced_whole)
{
    fib_error err = {0};
    fib_fmt_txn *t = NULL;
    const char *s;
    char p[1024];
    /* a new folder: staged whole, appears at the commit with a manifest */
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_dir(t, at("out"), NULL, 0, &s, &err), FIB_OK);
    snprintf(p, sizeof p, "%s/volume_old.mrc", s);
    ck_assert_int_eq(write_text(p, "v1"), FIB_OK);
    snprintf(p, sizeof p, "%s/report.json", s);
    ck_assert_int_eq(write_text(p, "r1"), FIB_OK);
    ck_assert_int_eq(access(at("out"), F_OK), -1);
    ck_assert_int_eq(fib_fmt_txn_commit(t, NULL, &err), FIB_OK);
    ck_assert_str_eq(get(at("out/report.json")), "r1");
    ck_assert_ptr_nonnull(
        strstr(get(at("out/.cryofib-result")), "volume_old.mrc\n"));
    /* a user file beside the result stays; the old result goes whole */
    put(at("out/notes.txt"), "mine");
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_dir(t, at("out"), NULL, 0, &s, &err), FIB_OK);
    snprintf(p, sizeof p, "%s/report.json", s);
    ck_assert_int_eq(write_text(p, "r2"), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_commit(t, NULL, &err), FIB_OK);
    ck_assert_str_eq(get(at("out/report.json")), "r2");
    ck_assert_int_eq(access(at("out/volume_old.mrc"), F_OK), -1);
    ck_assert_str_eq(get(at("out/notes.txt")), "mine");
    ck_assert_uint_eq(entries(at("out")), 3); /* report, notes, manifest */
    /* no manifest: the legacy patterns name the old result */
    ck_assert_int_eq(unlink(at("out/.cryofib-result")), 0);
    put(at("out/volume_x.mrc"), "old");
    const char *pat[] = {"volume*"};
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_dir(t, at("out"), pat, 1, &s, &err), FIB_OK);
    snprintf(p, sizeof p, "%s/volume.mrc", s);
    ck_assert_int_eq(write_text(p, "v3"), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_commit(t, NULL, &err), FIB_OK);
    ck_assert_int_eq(access(at("out/volume_x.mrc"), F_OK), -1);
    ck_assert_str_eq(get(at("out/volume.mrc")), "v3");
    ck_assert_str_eq(get(at("out/report.json")), "r2"); /* not a pattern */
    /* an export folder must be new or empty */
    ck_assert_int_eq(fib_fmt_txn_begin(&t, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_txn_new_dir(t, at("out"), &s, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not empty"));
    fib_fmt_txn_abort(t);
}
END_TEST

/* A pid that no longer exists: a child that has exited and been reaped. */
static long dead_pid(void)
{
    const pid_t p = fork();
    ck_assert_int_ge(p, 0);
    if (p == 0)
        _exit(0);
    int stat;
    ck_assert_int_eq(waitpid(p, &stat, 0), p);
    return (long)p;
}

START_TEST(test_recovery)
{
    const long pid = dead_pid();
    char st1[1024], st2[1024], p[1200];
    /* rolled back: no COMMIT; a lone temporary of the dead run goes too */
    snprintf(st1, sizeof st1, "%s/.cryofib-txn-%ld-0", dir, pid);
    snprintf(p, sizeof p, "%s/new", st1);
    ck_assert_int_eq(mkdir(st1, 0777), 0);
    ck_assert_int_eq(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/new/a.txt", st1);
    put(p, "uncommitted");
    snprintf(p, sizeof p, "%s/journal", st1);
    put(p, "D keep.txt\n");
    put(at("keep.txt"), "keep");
    snprintf(p, sizeof p, "%s/x.mrc.tmp-%ld-7", dir, pid);
    put(p, "partial");
    fib_error err = {0};
    size_t n = 0;
    ck_assert_int_eq(fib_fmt_txn_recover(dir, &n, &err), FIB_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(access(at("a.txt"), F_OK), -1);
    ck_assert_str_eq(get(at("keep.txt")), "keep");
    ck_assert_uint_eq(entries(dir), 1);
    /* rolled forward: COMMIT in the primary; the secondary in a subfolder
     * follows it */
    ck_assert_int_eq(mkdir(at("sub"), 0777), 0);
    snprintf(st1, sizeof st1, "%s/.cryofib-txn-%ld-1", dir, pid);
    snprintf(st2, sizeof st2, "%s/sub/.cryofib-txn-%ld-2", dir, pid);
    const char *stages[2] = {st1, st2};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(mkdir(stages[k], 0777), 0);
        snprintf(p, sizeof p, "%s/new", stages[k]);
        ck_assert_int_eq(mkdir(p, 0777), 0);
    }
    snprintf(p, sizeof p, "%s/new/a.txt", st1);
    put(p, "A");
    snprintf(p, sizeof p, "%s/new/b.txt", st2);
    put(p, "B");
    snprintf(p, sizeof p, "%s/journal", st1);
    FILE *f = fopen(p, "w");
    fprintf(f, "S %s\nD keep.txt\n", st2);
    fclose(f);
    snprintf(p, sizeof p, "%s/journal", st2);
    f = fopen(p, "w");
    fprintf(f, "P %s\n", st1);
    fclose(f);
    snprintf(p, sizeof p, "%s/COMMIT", st1);
    put(p, "");
    /* recovery starts from the secondary's folder */
    ck_assert_int_eq(fib_fmt_txn_recover(at("sub"), &n, &err), FIB_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(get(at("a.txt")), "A");
    ck_assert_str_eq(get(at("sub/b.txt")), "B");
    ck_assert_int_eq(access(at("keep.txt"), F_OK), -1); /* listed D */
    ck_assert_int_eq(access(st1, F_OK), -1);
    ck_assert_int_eq(access(st2, F_OK), -1);
    /* a live run's stage (this process) is left alone */
    snprintf(st1, sizeof st1, "%s/.cryofib-txn-%ld-3", dir, (long)getpid());
    ck_assert_int_eq(mkdir(st1, 0777), 0);
    ck_assert_int_eq(fib_fmt_txn_recover(dir, &n, &err), FIB_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(access(st1, F_OK), 0);
    ck_assert_int_eq(rmdir(st1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("txn");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_commit_and_abort);
    tcase_add_test(tc, test_cancel_and_errors);
    tcase_add_test(tc, test_folder_replaced_whole);
    tcase_add_test(tc, test_recovery);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
