/* cli_txn.c -- a command's output transaction (fib/txn.h): begin, stage,
 * commit or abort, with SIGINT/SIGTERM turned into a cancel. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"

bool cli_dir_has(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    const int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

static fib_status cancel_on_signal(void *user, const char *stage, size_t done,
                                   size_t total)
{
    (void)user;
    (void)stage;
    (void)done;
    (void)total;
    return cli_interrupted() ? FIB_ECANCELED : FIB_OK;
}

fib_status cli_txn_file(fib_fmt_txn **t, const char *final_path,
                        const char **staged, fib_error *err)
{
    if (!*t) {
        cli_signals_install();
        const fib_status st = fib_fmt_txn_begin(t, err);
        if (st != FIB_OK)
            return st;
    }
    return fib_fmt_txn_path(*t, final_path, staged, err);
}

fib_status cli_txn_folder(fib_fmt_txn **t, const char *final_dir,
                          const char *const *legacy, size_t n_legacy,
                          const char **staged, fib_error *err)
{
    if (!*t) {
        cli_signals_install();
        const fib_status st = fib_fmt_txn_begin(t, err);
        if (st != FIB_OK)
            return st;
    }
    return fib_fmt_txn_dir(*t, final_dir, legacy, n_legacy, staged, err);
}

int cli_txn_finish(const char *cmd, fib_fmt_txn *t, int rc)
{
    if (rc != CLI_EXIT_OK || !t) {
        fib_fmt_txn_abort(t);
        return rc;
    }
    const fib_progress own = {cancel_on_signal, NULL};
    fib_error err = {0};
    /* the signal flag itself, not the progress bar (it is cleared by now) */
    const fib_status st = fib_fmt_txn_commit(t, &own, &err);
    if (st != FIB_OK)
        return cli_fail(cmd, st, &err);
    if (cli_interrupted()) {
        fprintf(stderr,
                "cryofib %s: interrupted after the outputs were committed "
                "(they are complete)\n",
                cmd);
        return cli_interrupt_status();
    }
    return CLI_EXIT_OK;
}

bool cli_txn_out_dir(const char *cmd, fib_fmt_txn **t, const char *dir,
                     const char **staged)
{
    fib_error err = {0};
    const fib_status st = cli_txn_folder(t, dir, NULL, 0, staged, &err);
    if (st == FIB_OK)
        return true;
    if (st == FIB_EINVAL)
        (void)cli_usage_error(cmd, "--out %s exists and is not a folder", dir);
    else
        fprintf(stderr, "cryofib %s: cannot create folder %s (%s)\n", cmd, dir,
                err.msg);
    return false;
}

int cli_txn_export_dir(const char *cmd, fib_fmt_txn **t, const char *dir,
                       const char **staged)
{
    fib_error err = {0};
    fib_status st = FIB_OK;
    if (!*t) {
        cli_signals_install();
        st = fib_fmt_txn_begin(t, &err);
    }
    if (st == FIB_OK)
        st = fib_fmt_txn_new_dir(*t, dir, staged, &err);
    if (st == FIB_OK)
        return CLI_EXIT_OK;
    if (st == FIB_ENOMEM)
        return cli_fail(cmd, st, &err);
    return cli_usage_error(cmd, "export folder %s", err.msg);
}
