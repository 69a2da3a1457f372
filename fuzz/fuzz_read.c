/*
 * fuzz_read.c -- libFuzzer entry point: the input is a file; it is
 * probed and read as an image and as a volume (every reader: PNG, TIFF
 * with vendor tags, MRC, NRRD).  The bytes go into a memfd so that the
 * readers see an ordinary path (/proc/self/fd/N).  Pixel data are capped
 * at 64 MiB so that a plausible huge header is refused, not allocated.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fib/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fib-fuzz", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 ||
        (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    fib_fmt_read_opts opts = {.max_bytes = (size_t)64 << 20};
    fib_fmt_info info;
    fib_error err = {0};
    (void)fib_fmt_probe(path, &opts, &info, &err);
    fib_volume vol;
    fib_fmt_meta meta;
    if (fib_fmt_volume_read(path, &opts, &vol, &meta, &err) == FIB_OK)
        fib_volume_clear(&vol);
    fib_image img;
    opts.page = 1;
    opts.keep_databar = true;
    if (fib_fmt_image_read(path, &opts, &img, NULL, &err) == FIB_OK)
        fib_image_clear(&img);
    char **pairs = NULL;
    size_t n = 0;
    if (fib_fmt_vendor_pairs(path, &pairs, &n, &err) == FIB_OK)
        fib_fmt_pairs_free(pairs, n);
    return 0;
}
