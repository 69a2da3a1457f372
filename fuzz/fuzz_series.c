/*
 * fuzz_series.c -- libFuzzer entry point: the input is a slice list file
 * (one path a line, '#' comments, relative names taken from the list's
 * folder), listed and naturally sorted with fib_fmt_series_list as
 * `cryofib recon --input list.txt` does.  The private folder holds the
 * list and two small slices (s1.png, s2.tif); every listed path that
 * names a file of that folder is probed, as recon probes its first slice
 * (paths elsewhere are listed only: the fuzzer must not open devices).
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_slice(const char *name)
{
    char path[384];
    fuzz_write(name, "", 0, path);
    fib_image img;
    fib_error err = {0};
    if (fib_image_init(&img, FIB_PX_U8, 4, 3, &err) != FIB_OK)
        abort();
    for (size_t i = 0; i < 12; i++)
        ((unsigned char *)img.data)[i] = (unsigned char)(20 * i);
    fib_fmt_write_opts wo = {0};
    if (fib_fmt_image_write(path, &img, &wo, &err) != FIB_OK)
        abort();
    fib_image_clear(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        write_slice("s1.png");
        write_slice("s2.tif");
        ready = true;
    }
    char path[384];
    fuzz_write("list.txt", data, size, path);
    char **paths = NULL;
    size_t n = 0;
    fib_error err = {0};
    if (fib_fmt_series_list(path, &paths, &n, &err) != FIB_OK)
        return 0;
    const size_t root_len = strlen(fuzz_dir());
    fib_fmt_read_opts opts = {.max_bytes = (size_t)1 << 20};
    for (size_t i = 0; i < n && i < 16; i++) {
        const char *p = paths[i];
        /* only DIR/NAME with NAME one of the folder's files */
        if (strncmp(p, fuzz_dir(), root_len) || p[root_len] != '/' ||
            strchr(p + root_len + 1, '/'))
            continue;
        bool known = false;
        for (size_t k = 0; k < fuzz_n_names; k++)
            known |= !strcmp(p + root_len + 1, fuzz_names[k]);
        fib_fmt_info info;
        if (known)
            (void)fib_fmt_probe(p, &opts, &info, &err);
    }
    fib_fmt_series_free(paths, n);
    return 0;
}
