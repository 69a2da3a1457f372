/*
 * fuzz_nrrd_detached.c -- libFuzzer entry point: NRRD with a detached data
 * file.  The input up to and including its first empty line ("\n\n", the
 * end of an NRRD header) becomes h.nrrd, the rest d.raw, both in a private
 * folder (fuzz_util.h); the seeds name `data file: d.raw`.  The header is
 * probed and read as a volume and as an image (the second slice when it
 * has more than one; pixel data capped at
 * 64 MiB, as in fuzz_read).  An input without an empty line is all header
 * and d.raw is empty.
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == '\n' && data[i + 1] == '\n') {
            cut = i + 2;
            break;
        }
    char path[384], dpath[384];
    fuzz_write("d.raw", data + cut, size - cut, dpath);
    fuzz_write("h.nrrd", data, cut, path);
    fib_fmt_read_opts opts = {.max_bytes = (size_t)64 << 20};
    fib_fmt_info info;
    fib_error err = {0};
    const bool probed = fib_fmt_probe(path, &opts, &info, &err) == FIB_OK;
    fib_volume vol;
    fib_fmt_meta meta;
    if (fib_fmt_volume_read(path, &opts, &vol, &meta, &err) == FIB_OK)
        fib_volume_clear(&vol);
    fib_image img;
    opts.page = probed && info.nz > 1 ? 1 : 0; /* a later slice: offsets */
    if (fib_fmt_image_read(path, &opts, &img, NULL, &err) == FIB_OK)
        fib_image_clear(&img);
    return 0;
}
