/*
 * fuzz_recon_cfg.c -- libFuzzer entry point: the input is a `cryofib
 * recon` run file (libconfig; examples/recon-phantom.cfg), read with
 * fib_fmt_recon_cfg_read.  Written to a private file first
 * (fuzz_util.h).
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/recon_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[384];
    fuzz_write("recon.cfg", data, size, path);
    fib_error err = {0};
    fib_fmt_recon_cfg cfg;
    if (fib_fmt_recon_cfg_read(path, &cfg, &err) == FIB_OK)
        fib_fmt_recon_cfg_free(&cfg);
    return 0;
}
