/*
 * test_classify.c -- fib/classify.h: the XGBoost classifier learns what
 * the rows determine (an analytic rule), keeps class values, balances
 * classes, saves and loads to the same predictions, refuses bad training
 * sets and foreign models, and predicts the same with 1 and 2 threads.
 */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fib/classify.h"
#include "fib_test.h"

/* A deterministic uniform draw in [0, 1) (splitmix64). */
static double draw(uint64_t *s)
{
    uint64_t x = (*s += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (double)(x >> 11) * 0x1.0p-53;
}

/* Rows of 3 features in [0, 1); the class is 0 when f0 + f1 < 0.7, 20
 * when f0 + f1 > 1.3, else 30 (f2 is noise): a rule trees represent well
 * enough to get >= 97 % right. */
static uint32_t rule(const float *r)
{
    const double s = (double)r[0] + (double)r[1];
    return s < 0.7 ? 0u : s > 1.3 ? 20u : 30u;
}

static void make_rows(size_t n, uint64_t seed, float *rows, uint32_t *cls)
{
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < 3; f++)
            rows[3 * i + (size_t)f] = (float)draw(&seed);
        cls[i] = rule(rows + 3 * i);
    }
}

START_TEST(test_learns_rule)
{
    enum { N = 6000, M = 4000 };
    float *rows = malloc(N * 3 * sizeof *rows);
    float *test = malloc(M * 3 * sizeof *test);
    uint32_t *cls = malloc(N * sizeof *cls), *tcls = malloc(M * sizeof *tcls);
    uint32_t *pred = malloc(M * sizeof *pred);
    float *prob = malloc(M * 3 * sizeof *prob);
    make_rows(N, 1, rows, cls);
    make_rows(M, 2, test, tcls);
    fib_classifier *c = NULL;
    fib_error err = {0};
    fib_classifier_params p = {.rounds = 40};
    ck_assert_int_eq(
        fib_classifier_train(&p, rows, cls, N, 3, "sig-A", &c, &err), FIB_OK);
    uint32_t v[FIB_CLASSIFY_MAX_CLASSES];
    ck_assert_uint_eq(fib_classifier_classes(c, v), 3);
    ck_assert(v[0] == 0 && v[1] == 20 && v[2] == 30);
    ck_assert_uint_eq(fib_classifier_features(c), 3);
    ck_assert_str_eq(fib_classifier_signature(c), "sig-A");
    ck_assert_int_eq(fib_classifier_predict(c, test, M, prob, pred, &err),
                     FIB_OK);
    size_t right = 0;
    for (size_t i = 0; i < M; i++) {
        right += pred[i] == tcls[i];
        const float *q = prob + 3 * i;
        ck_assert_double_eq_tol((double)q[0] + (double)q[1] + (double)q[2], 1.0,
                                1e-5);
        /* the label is the class of the largest probability */
        size_t b = 0;
        for (size_t k = 1; k < 3; k++)
            if (q[k] > q[b])
                b = k;
        ck_assert_uint_eq(pred[i], v[b]);
    }
    ck_assert_msg(right >= (size_t)(0.97 * M), "%zu of %d right", right, M);
    /* save -> load: the same probabilities, bit for bit */
    char *bytes = NULL;
    size_t len = 0;
    ck_assert_int_eq(fib_classifier_save(c, &bytes, &len, &err), FIB_OK);
    ck_assert(len > 100 && bytes[0] == '{');
    fib_classifier *d = NULL;
    ck_assert_int_eq(fib_classifier_load(bytes, len, "m.json", &d, &err),
                     FIB_OK);
    ck_assert_str_eq(fib_classifier_signature(d), "sig-A");
    ck_assert_uint_eq(fib_classifier_classes(d, NULL), 3);
    float *prob2 = malloc(M * 3 * sizeof *prob2);
    ck_assert_int_eq(fib_classifier_predict(d, test, M, prob2, NULL, &err),
                     FIB_OK);
    ck_assert(memcmp(prob, prob2, M * 3 * sizeof *prob) == 0);
    /* thread count: the same bits */
    const int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    ck_assert_int_eq(fib_classifier_predict(d, test, M, prob2, NULL, &err),
                     FIB_OK);
    omp_set_num_threads(nt);
    ck_assert(memcmp(prob, prob2, M * 3 * sizeof *prob) == 0);
    /* attributes travel with the model */
    char buf[64];
    ck_assert(fib_classifier_attr_get(d, "cryofib_classes", buf, sizeof buf));
    ck_assert_str_eq(buf, "0,20,30");
    ck_assert(!fib_classifier_attr_get(d, "no_such_key", buf, sizeof buf));
    ck_assert_int_eq(fib_classifier_attr_set(d, "bad key", "x", &err),
                     FIB_EINVAL);
    free(prob2);
    free(bytes);
    fib_classifier_destroy(c);
    fib_classifier_destroy(d);
    free(rows);
    free(test);
    free(cls);
    free(tcls);
    free(pred);
    free(prob);
}
END_TEST

/* Training twice gives the same model bytes (one training thread). */
START_TEST(test_deterministic)
{
    enum { N = 3000 };
    float *rows = malloc(N * 3 * sizeof *rows);
    uint32_t *cls = malloc(N * sizeof *cls);
    make_rows(N, 5, rows, cls);
    fib_classifier *a = NULL, *b = NULL;
    fib_classifier_params p = {.rounds = 10};
    ck_assert_int_eq(fib_classifier_train(&p, rows, cls, N, 3, "", &a, NULL),
                     FIB_OK);
    const int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    ck_assert_int_eq(fib_classifier_train(&p, rows, cls, N, 3, "", &b, NULL),
                     FIB_OK);
    omp_set_num_threads(nt);
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    ck_assert_int_eq(fib_classifier_save(a, &x, &nx, NULL), FIB_OK);
    ck_assert_int_eq(fib_classifier_save(b, &y, &ny, NULL), FIB_OK);
    ck_assert_uint_eq(nx, ny);
    ck_assert(memcmp(x, y, nx) == 0);
    free(x);
    free(y);
    fib_classifier_destroy(a);
    fib_classifier_destroy(b);
    free(rows);
    free(cls);
}
END_TEST

/* Triangular density of half-width 0.3 centred at @p c. */
static double tri(uint64_t *s, double c)
{
    return c + 0.3 * (draw(s) + draw(s) - 1.0);
}

/* A rare class (2 % of the rows) is still found: balanced weights.  The
 * common class is triangular about 0.4, the rare about 0.7 (half-width
 * 0.3 each): with equal weights per class the boundary is their crossing
 * 0.55, and the rare class's recall is 1 - 0.5 (0.15 / 0.3)^2 = 0.875;
 * weighted by its 1:49 frequency the boundary moves to 0.694 and the
 * recall drops to about 0.52 (measured 0.52 with the weights left out).
 * Shallow trees (depth 2, 30 rounds) so that the boundary is that of the
 * densities, not of the individual samples in the overlap. */
START_TEST(test_balanced_rare_class)
{
    enum { N = 20000, M = 4000 };
    float *rows = malloc(N * 2 * sizeof *rows);
    uint32_t *cls = malloc(N * sizeof *cls);
    uint64_t s = 9;
    for (size_t i = 0; i < N; i++) {
        const bool rare = i % 50 == 0;
        rows[2 * i] = (float)tri(&s, rare ? 0.7 : 0.4);
        rows[2 * i + 1] = (float)draw(&s);
        cls[i] = rare ? 2 : 1;
    }
    fib_classifier *c = NULL;
    fib_classifier_params p = {.rounds = 30, .max_depth = 2};
    ck_assert_int_eq(fib_classifier_train(&p, rows, cls, N, 2, "", &c, NULL),
                     FIB_OK);
    float *probe = malloc(M * 2 * sizeof *probe);
    uint32_t *lab = malloc(M * sizeof *lab);
    for (size_t i = 0; i < M; i++) {
        probe[2 * i] = (float)tri(&s, 0.7);
        probe[2 * i + 1] = (float)draw(&s);
    }
    ck_assert_int_eq(fib_classifier_predict(c, probe, M, NULL, lab, NULL),
                     FIB_OK);
    size_t found = 0;
    for (size_t i = 0; i < M; i++)
        found += lab[i] == 2;
    const double recall = (double)found / M;
    ck_assert_msg(recall > 0.75 && recall < 0.97, "rare recall %g", recall);
    fib_classifier_destroy(c);
    free(rows);
    free(cls);
    free(probe);
    free(lab);
}
END_TEST

START_TEST(test_bad_input)
{
    float rows[6] = {0, 1, 2, 3, 4, 5};
    uint32_t one[3] = {4, 4, 4}, two[3] = {1, 2, 1};
    fib_classifier *c = NULL;
    fib_error err = {0};
    ck_assert_int_eq(fib_classifier_train(NULL, rows, one, 3, 2, "", &c, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "one class only (4)"));
    err = (fib_error){0}; /* the first error wins: clear between calls */
    ck_assert_int_eq(fib_classifier_train(NULL, rows, two, 0, 2, "", &c, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no labelled voxel"));
    fib_classifier_params p = {.rounds = 5000};
    err = (fib_error){0};
    ck_assert_int_eq(fib_classifier_train(&p, rows, two, 3, 2, "", &c, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "rounds must be 1..2000"));
    p = (fib_classifier_params){.eta = 2};
    err = (fib_error){0};
    ck_assert_int_eq(fib_classifier_train(&p, rows, two, 3, 2, "", &c, &err),
                     FIB_EINVAL);
    ck_assert_ptr_null(c);
    /* not a model; an XGBoost model without cryofib's attributes */
    const char junk[] = "not a model at all";
    err = (fib_error){0};
    ck_assert_int_eq(
        fib_classifier_load(junk, sizeof junk - 1, "junk.json", &c, &err),
        FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "junk.json"));
    fib_classifier *m = NULL;
    ck_assert_int_eq(fib_classifier_train(NULL, rows, two, 3, 2, "", &m, &err),
                     FIB_OK);
    ck_assert_int_eq(fib_classifier_attr_set(m, "cryofib_format", "0", &err),
                     FIB_OK);
    char *bytes = NULL;
    size_t len = 0;
    ck_assert_int_eq(fib_classifier_save(m, &bytes, &len, &err), FIB_OK);
    err = (fib_error){0};
    ck_assert_int_eq(fib_classifier_load(bytes, len, "old.json", &c, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "without cryofib's attributes"));
    free(bytes);
    fib_classifier_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("classify");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_learns_rule);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_balanced_rare_class);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
