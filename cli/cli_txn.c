/* cli_txn.c -- commit or abort a command's output transaction. */
#include <stdio.h>

#include "cli.h"

int cli_txn_finish(const char *cmd, fib_fmt_txn *t, int rc,
                   const fib_progress *prog)
{
    if (rc != CLI_EXIT_OK) {
        fib_fmt_txn_abort(t);
        return rc;
    }
    fib_error err = {0};
    const fib_status st = fib_fmt_txn_commit(t, prog, &err);
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
