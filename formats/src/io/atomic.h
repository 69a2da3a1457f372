/*
 * atomic.h -- private: write-to-temporary-then-rename for every output file.
 *
 * fib__atomic_begin() opens "<path>.tmp-<pid>-<n>" in the folder of <path>;
 * fib__atomic_commit() closes and renames it over <path>;
 * fib__atomic_abort() closes and removes it.  Writers that must open the
 * file themselves (libtiff) use fib__atomic_tmpname() and
 * fib__atomic_rename().
 */
#ifndef FIB_FORMATS_ATOMIC_H
#define FIB_FORMATS_ATOMIC_H

#include <stdio.h>

#include "fib/common.h"

typedef struct fib__atomic_file {
    FILE *fp;
    char *tmp_path;   /* owned */
    char *final_path; /* owned */
} fib__atomic_file;

fib_status fib__atomic_begin(const char *path, fib__atomic_file *af,
                             fib_error *err);
fib_status fib__atomic_commit(fib__atomic_file *af, fib_error *err);
void fib__atomic_abort(fib__atomic_file *af);

/* A fresh temporary name for @p path in the same folder (malloc'ed; the
 * caller frees it), or NULL when out of memory. */
char *fib__atomic_tmpname(const char *path);
/* Rename @p tmp over @p path; on failure remove @p tmp. */
fib_status fib__atomic_rename(const char *tmp, const char *path,
                              fib_error *err);

/* Test hook FIB_TEST_FAIL_WRITE (see fib/txn.h): FIB_EIO for the Nth
 * completed output file of the process, FIB_OK otherwise.  Called by
 * fib__atomic_rename() and by writers that rename on their own. */
fib_status fib__atomic_inject(const char *path, fib_error *err);

#endif
