/*
 * fuzz_util.h -- shared by the libFuzzer entry points whose reader takes a
 * path (the libconfig run files, the series list, NRRD with a detached
 * data file): one private folder per process (under $TMPDIR, else
 * /dev/shm, else /tmp), files written into it before each run, removed
 * at exit.  A crash leaves the folder behind (its name is in the log);
 * libFuzzer saves the input itself.
 */
#ifndef FIB_FUZZ_UTIL_H
#define FIB_FUZZ_UTIL_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FUZZ_MAX_NAMES = 8 };
static char fuzz_root[256];
static char fuzz_names[FUZZ_MAX_NAMES][64];
static size_t fuzz_n_names;

static void fuzz_cleanup(void)
{
    char p[384];
    for (size_t i = 0; i < fuzz_n_names; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_root, fuzz_names[i]);
        unlink(p);
    }
    rmdir(fuzz_root);
}

/* The private folder (created on the first call; aborts on failure). */
static const char *fuzz_dir(void)
{
    if (fuzz_root[0])
        return fuzz_root;
    const char *base = getenv("TMPDIR");
    struct stat sb;
    if (!base || !*base)
        base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
                       access("/dev/shm", W_OK) == 0
                   ? "/dev/shm"
                   : "/tmp";
    snprintf(fuzz_root, sizeof fuzz_root, "%s/cryofib-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_root))
        abort();
    atexit(fuzz_cleanup);
    return fuzz_root;
}

/* Write @p n bytes to NAME in the private folder; its path goes to
 * @p path (at least 384 bytes).  NAME is remembered for the cleanup. */
static void fuzz_write(const char *name, const void *data, size_t n, char *path)
{
    snprintf(path, 384, "%s/%s", fuzz_dir(), name);
    size_t i = 0;
    while (i < fuzz_n_names && strcmp(fuzz_names[i], name))
        i++;
    if (i == fuzz_n_names) {
        if (fuzz_n_names == FUZZ_MAX_NAMES)
            abort();
        snprintf(fuzz_names[fuzz_n_names++], sizeof fuzz_names[0], "%s", name);
    }
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        abort();
    const unsigned char *p = data;
    while (n) {
        const ssize_t w = write(fd, p, n);
        if (w <= 0)
            abort();
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

#endif
