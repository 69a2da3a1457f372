/* fib_test.c -- helpers shared by the Check suites. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fib_test.h"

double fib_test_rel(double a, double b)
{
    const double d = fabs(b) > 1e-300 ? fabs(b) : 1e-300;
    return fabs(a - b) / d;
}

bool fib_test_shared(const char *rel, char *buf, size_t n)
{
    const char *root = getenv("FIB_SHARED_DIR");
    if (!root || !*root)
        root = "../shared";
    (void)snprintf(buf, n, "%s/data/%s", root, rel);
    struct stat st;
    return stat(buf, &st) == 0;
}

void fib_test_data(const char *rel, char *buf, size_t n)
{
    const char *root = getenv("FIB_TEST_DATA");
    (void)snprintf(buf, n, "%s/%s", root ? root : "tests/data", rel);
}

void fib_test_tmpdir(char *buf, size_t n)
{
    const char *t = getenv("TMPDIR");
    (void)snprintf(buf, n, "%s/fibtest-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf))
        buf[0] = '\0';
}

void fib_test_rmdir(const char *dir)
{
    if (!dir || !*dir || strstr(dir, "fibtest-") == NULL)
        return;
    char cmd[4200];
    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

int fib_test_run(Suite *s, const char *skip_reason)
{
    if (skip_reason) {
        printf("SKIP: %s\n", skip_reason);
        SRunner *sr = srunner_create(s); /* frees the suite with it */
        srunner_free(sr);
        return 77;
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

uint64_t fib_test_rng;

double fib_test_urand(void)
{
    fib_test_rng ^= fib_test_rng << 13;
    fib_test_rng ^= fib_test_rng >> 7;
    fib_test_rng ^= fib_test_rng << 17;
    return ((double)(fib_test_rng >> 11) + 0.5) / 9007199254740992.0;
}

double fib_test_nrand(void)
{
    double u = fib_test_urand(), v = fib_test_urand();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

float *fib_test_px(fib_image *im, size_t x, size_t y)
{
    return (float *)fib_image_row(im, y) + x;
}
