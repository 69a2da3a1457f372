/*
 * txn_util.c -- file-system helpers of the output transaction (fib/txn.h):
 * path pieces, lstat, tree removal and fsync (txn_internal.h).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "txn_internal.h"

char *fib__txn_cat3(const char *a, const char *b, const char *c)
{
    const size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

bool fib__txn_grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    const size_t nc = *cap ? 2 * *cap : 8;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return false;
    *p = q;
    *cap = nc;
    return true;
}

/* Split @p path into a parent folder (malloc'ed, "." when none) and a last
 * component (malloc'ed), trailing slashes dropped. */
bool fib__txn_split_path(const char *path, char **parent, char **base)
{
    size_t e = strlen(path);
    while (e > 1 && path[e - 1] == '/')
        e--;
    size_t b = e;
    while (b > 0 && path[b - 1] != '/')
        b--;
    *base = strndup(path + b, e - b);
    if (b == 0)
        *parent = strdup(".");
    else if (b == 1)
        *parent = strdup("/");
    else
        *parent = strndup(path, b - 1);
    if (!*base || !*parent) {
        free(*base);
        free(*parent);
        *base = *parent = NULL;
        return false;
    }
    return true;
}

bool fib__txn_exists_l(const char *path, struct stat *sb)
{
    struct stat tmp;
    return lstat(path, sb ? sb : &tmp) == 0;
}

/* Remove a file or a folder tree (links are removed, never followed). */
static void remove_tree_depth(const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        (void)unlink(path);
        return;
    }
    if (depth <= 0)
        return;
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = fib__txn_cat3(path, "/", e->d_name);
            if (c)
                remove_tree_depth(c, depth - 1);
            free(c);
        }
        closedir(d);
    }
    (void)rmdir(path);
}

void fib__txn_remove_tree(const char *path)
{
    remove_tree_depth(path, TREE_DEPTH);
}

/* fsync a file or a folder tree; false on the first failure. */
bool fib__txn_sync_tree(const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return false;
    if (S_ISLNK(sb.st_mode))
        return true;
    if (S_ISDIR(sb.st_mode) && depth > 0) {
        DIR *d = opendir(path);
        if (!d)
            return false;
        bool ok = true;
        struct dirent *e;
        while (ok && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = fib__txn_cat3(path, "/", e->d_name);
            ok = c && fib__txn_sync_tree(c, depth - 1);
            free(c);
        }
        closedir(d);
        if (!ok)
            return false;
    }
    const int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    /* EINVAL: the file system does not sync this kind of file */
    const bool ok = fsync(fd) == 0 || errno == EINVAL;
    close(fd);
    return ok;
}

/* A name that stays inside its folder. */
bool fib__txn_plain_name(const char *s)
{
    return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}
