/*
 * fuzz_slice_view.c -- libFuzzer entry point: the input is a
 * slice-and-view run file (libconfig; examples/slice-view-coated-nmc.cfg),
 * read with fib_fmt_slice_view_read and planned with fib_plan_slice_view
 * as `cryofib slice-view` does.  Written to a private file first
 * (fuzz_util.h).
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/planner.h"
#include "fib/session_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[384];
    fuzz_write("run.cfg", data, size, path);
    fib_error err = {0};
    fib_plan_sv_request r;
    if (fib_fmt_slice_view_read(path, NULL, NULL, &r, &err) != FIB_OK)
        return 0;
    fib_plan_sv_result res[FIB_PLAN_MAX_IONS];
    (void)fib_plan_slice_view(&r, NULL, res, &err);
    return 0;
}
