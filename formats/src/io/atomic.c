/*
 * atomic.c -- temporary-name output files, renamed when complete (the
 * output transaction of fib/txn.h that groups all the files of a run:
 * txn.c, txn_recover.c, txn_util.c).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "atomic.h"

char *fib__atomic_tmpname(const char *path)
{
    /* A process-wide counter keeps names distinct between threads; it is
     * the one piece of mutable static state in the library and is atomic. */
    static atomic_uint counter;
    const unsigned n = atomic_fetch_add(&counter, 1u);
    const size_t len = strlen(path) + 48;
    char *tmp = malloc(len);
    if (!tmp)
        return NULL;
    (void)snprintf(tmp, len, "%s.tmp-%ld-%u", path, (long)getpid(), n);
    return tmp;
}

/* ---- test hook: FIB_TEST_FAIL_WRITE=N ----------------------------------- */

fib_status fib__atomic_inject(const char *path, fib_error *err)
{
    /* counts the completed output files of the process (atomic: writers may
     * run on several threads) */
    static atomic_uint completed;
    const char *env = getenv("FIB_TEST_FAIL_WRITE");
    if (!env || !*env)
        return FIB_OK;
    const unsigned n = atomic_fetch_add(&completed, 1u) + 1u;
    if (strtoul(env, NULL, 10) != n)
        return FIB_OK;
    return fib_error_set(err, FIB_EIO,
                         "%s: write failed: %s (FIB_TEST_FAIL_WRITE=%u)", path,
                         strerror(ENOSPC), n);
}

fib_status fib__atomic_rename(const char *tmp, const char *path, fib_error *err)
{
    const fib_status inj = fib__atomic_inject(path, err);
    if (inj != FIB_OK) {
        (void)remove(tmp);
        return inj;
    }
    if (rename(tmp, path) != 0) {
        const int e = errno;
        (void)remove(tmp);
        return fib_error_set(err, FIB_EIO, "%s: cannot rename output: %s", path,
                             strerror(e));
    }
    return FIB_OK;
}

fib_status fib__atomic_begin(const char *path, fib__atomic_file *af,
                             fib_error *err)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty output path");
    af->tmp_path = fib__atomic_tmpname(path);
    af->final_path = strdup(path);
    if (!af->tmp_path || !af->final_path) {
        fib__atomic_abort(af);
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    }
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        const int e = errno;
        fib__atomic_abort(af);
        return fib_error_set(err, FIB_EIO, "%s: cannot create: %s", path,
                             strerror(e));
    }
    return FIB_OK;
}

fib_status fib__atomic_commit(fib__atomic_file *af, fib_error *err)
{
    fib_status st = FIB_OK;
    if (!af->fp)
        return fib_error_set(err, FIB_EINVAL, "formats: output not open");
    const int bad = ferror(af->fp);
    const int closed = fclose(af->fp);
    af->fp = NULL;
    if (bad || closed != 0) {
        st = fib_error_set(err, FIB_EIO, "%s: write failed (disk full?)",
                           af->final_path);
        fib__atomic_abort(af);
        return st;
    }
    st = fib__atomic_rename(af->tmp_path, af->final_path, err);
    free(af->tmp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
    return st;
}

void fib__atomic_abort(fib__atomic_file *af)
{
    if (af->fp)
        (void)fclose(af->fp);
    if (af->tmp_path)
        (void)remove(af->tmp_path);
    free(af->tmp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
}
