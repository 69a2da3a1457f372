/*
 * fuzz_session.c -- libFuzzer entry point: the input is a planner session
 * file (libconfig; examples/session-reference.cfg).  It is read as the
 * CLI's `cryofib plan` reads it: the single-site request
 * (fib_fmt_session_read), planned for its first ion, then the multi-site
 * part (fib_fmt_session_cfg_read_sites) and, when it has sites, the
 * session (fib_session_create).  The reader takes a path, so the input is
 * written to a file in a private folder first (fuzz_util.h).
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/planner.h"
#include "fib/session.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[384];
    fuzz_write("session.cfg", data, size, path);
    fib_error err = {0};
    fib_plan_request req;
    if (fib_fmt_session_read(path, NULL, NULL, &req, &err) != FIB_OK)
        return 0;
    fib_plan *plan = NULL;
    if (fib_plan_create(&req, 0, FIB_PLAN_LADDER_DEFAULT, NULL, &plan, &err) ==
        FIB_OK)
        fib_plan_destroy(plan);
    static fib_session_request sreq; /* large: not on the stack */
    bool has_sites = false;
    if (fib_fmt_session_cfg_read_sites(path, &req, &sreq, &has_sites, &err) ==
            FIB_OK &&
        has_sites) {
        fib_session *s = NULL;
        if (fib_session_create(&sreq, 0, FIB_PLAN_LADDER_DEFAULT, NULL, &s,
                               &err) == FIB_OK)
            fib_session_destroy(s);
    }
    return 0;
}
