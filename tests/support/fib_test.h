/* fib_test.h -- helpers shared by the Check suites. */
#ifndef FIB_TEST_H
#define FIB_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/image.h"

/* Relative error |a - b| / max(|b|, tiny) (GSL's gsl_test_rel idea). */
double fib_test_rel(double a, double b);

/* Path of a file under ../shared/data (FIB_SHARED_DIR/data/REL) written
 * into buf; false when the file does not exist (the caller skips). */
bool fib_test_shared(const char *rel, char *buf, size_t n);

/* Path under tests/data. */
void fib_test_data(const char *rel, char *buf, size_t n);

/* A fresh temporary folder for outputs (mkdtemp under TMPDIR); the caller
 * removes it with fib_test_rmdir(). */
void fib_test_tmpdir(char *buf, size_t n);
void fib_test_rmdir(const char *dir);

/* Run one suite and return the process exit code: 0 pass, 1 fail; 77 when
 * the suite ran no test because @p skip_reason is non-NULL. */
int fib_test_run(Suite *s, const char *skip_reason);

/* Deterministic noise for test images: xorshift64 on the state
 * fib_test_rng (set it to seed), uniform in (0, 1) and standard normal
 * (Box-Muller). */
extern uint64_t fib_test_rng;
double fib_test_urand(void);
double fib_test_nrand(void);

/* Pixel (x, y) of an f32 image. */
float *fib_test_px(fib_image *im, size_t x, size_t y);

#endif
