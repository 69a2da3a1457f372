/* test_recon.c -- alignment, solve, geometry and streaming of fib/recon.h
 * on phantoms with known drift (in memory). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/phantom.h"
#include "fib/recon.h"
#include "fib_test.h"

/* ---- a phantom as a recon source, with optional corrupted slices ---- */
typedef struct src_ctx {
    fib_phantom *ph;
    fib_image tmp;     /* u16 render buffer */
    size_t bad_slice;  /* replaced by noise (outlier), SIZE_MAX = none */
    size_t unreadable; /* read fails with FIB_EFORMAT, SIZE_MAX = none */
    size_t reads;
} src_ctx;

static fib_status read_phantom(void *user, size_t i, fib_image *out,
                               fib_error *err)
{
    src_ctx *c = user;
    c->reads++;
    if (i == c->unreadable)
        return fib_error_set(err, FIB_EFORMAT, "slice_%zu.png: truncated", i);
    fib_status st = fib_phantom_render(c->ph, i, &c->tmp, err);
    if (st)
        return st;
    st = fib_recon_fill_f32(&c->tmp, out, err);
    if (st)
        return st;
    if (i == c->bad_slice) { /* a charging / blank slice: pure noise */
        uint64_t s = 12345;
        for (size_t y = 0; y < out->height; y++) {
            float *row = fib_image_row(out, y);
            for (size_t x = 0; x < out->width; x++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                row[x] = (float)(s >> 40) / (float)(1 << 24) * 60000.0f;
            }
        }
    }
    return FIB_OK;
}

typedef struct sink_ctx {
    size_t count;
    size_t nx, ny, nz;
    double voxel[3];
    double checksum;
    fib_recon_geometry geom;
} sink_ctx;

static fib_status sink_begin(void *user, const fib_recon_geometry *g,
                             fib_error *err)
{
    (void)err;
    sink_ctx *s = user;
    s->geom = *g;
    s->nx = g->nx;
    s->ny = g->ny;
    s->nz = g->nz;
    memcpy(s->voxel, g->voxel_size_nm, sizeof s->voxel);
    return FIB_OK;
}

static fib_status sink_slice(void *user, size_t z, const fib_image *im,
                             fib_error *err)
{
    sink_ctx *s = user;
    if (z != s->count || im->width != s->nx || im->height != s->ny)
        return fib_error_set(err, FIB_EINVAL, "sink: unexpected slice");
    s->count++;
    for (size_t y = 0; y < im->height; y += 7)
        s->checksum += fib_image_get(im, y % im->width, y) * (double)(z + 1);
    return FIB_OK;
}

/* phantom slice thickness for every test: 2.5 nm at 10 nm pixels */
static double g_slice_nm = 2.5;

static fib_phantom *make_phantom(fib_phantom_kind kind, size_t n, size_t nz,
                                 uint64_t seed)
{
    fib_phantom_params pp = {0};
    pp.slice_nm = g_slice_nm;
    pp.kind = kind;
    pp.seed = seed;
    pp.nx = pp.ny = n;
    pp.nz = nz;
    fib_phantom *ph = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_phantom_create(&pp, &ph, &err) == FIB_OK, "%s", err.msg);
    return ph;
}

static void setup_src(src_ctx *c, fib_recon_source *s, fib_phantom *ph)
{
    fib_error err = {0};
    fib_phantom_params pp = fib_phantom_get_params(ph);
    memset(c, 0, sizeof *c);
    c->ph = ph;
    c->bad_slice = SIZE_MAX;
    c->unreadable = SIZE_MAX;
    ck_assert(fib_image_init(&c->tmp, FIB_PX_U16, pp.nx, pp.ny, &err) ==
              FIB_OK);
    memset(s, 0, sizeof *s);
    s->n_slices = pp.nz;
    s->width = pp.nx;
    s->height = pp.ny;
    s->type = FIB_PX_U16;
    s->pixel_size_nm[0] = s->pixel_size_nm[1] = pp.pixel_nm;
    s->read = read_phantom;
    s->user = c;
}

/* RMS of (applied + true drift) after removing its mean, over kept
 * slices; also the RMS slice-to-slice step error. */
static double residual_rms(const fib_recon *r, const fib_phantom *ph,
                           double *step_rms)
{
    const size_t n = fib_recon_n_slices(r);
    double mx = 0, my = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        double tx, ty;
        fib_phantom_true_drift(ph, i, &tx, &ty);
        mx += in.dx + tx;
        my += in.dy + ty;
        m++;
    }
    mx /= (double)m;
    my /= (double)m;
    double ss = 0, st = 0, pex = 0, pey = 0;
    size_t ns = 0;
    bool have = false;
    for (size_t i = 0; i < n; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        if (in.skipped)
            continue;
        double tx, ty;
        fib_phantom_true_drift(ph, i, &tx, &ty);
        const double ex = in.dx + tx - mx, ey = in.dy + ty - my;
        ss += ex * ex + ey * ey;
        if (have) {
            st += (ex - pex) * (ex - pex) + (ey - pey) * (ey - pey);
            ns++;
        }
        pex = ex;
        pey = ey;
        have = true;
    }
    if (step_rms)
        *step_rms = ns ? sqrt(st / (double)ns) : 0;
    return sqrt(ss / (double)m);
}

static fib_recon *run_recon(fib_recon_params *p, fib_recon_source *s,
                            sink_ctx *sk)
{
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_recon_create(p, s, &r, &err) == FIB_OK, "%s", err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    if (sk) {
        fib_recon_sink sink = {sink_begin, sink_slice, sk, 0};
        ck_assert_msg(fib_recon_write(r, NULL, &sink, NULL, &err) == FIB_OK,
                      "%s", err.msg);
    }
    return r;
}

START_TEST(test_pair_subpixel)
{
    /* one phantom slice shifted by a known sub-pixel amount: the phantom
     * renders the same slice with another drift exactly (analytic) */
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 128, 2, 5);
    fib_image a = {0}, b = {0};
    fib_error err = {0};
    ck_assert(fib_image_init(&a, FIB_PX_F32, 128, 128, &err) == FIB_OK);
    ck_assert(fib_image_init(&b, FIB_PX_F32, 128, 128, &err) == FIB_OK);
    ck_assert(fib_phantom_render(ph, 0, &a, &err) == FIB_OK);
    ck_assert(fib_phantom_render(ph, 1, &b, &err) == FIB_OK);
    double tx0, ty0, tx1, ty1, dx, dy, q;
    fib_phantom_true_drift(ph, 0, &tx0, &ty0);
    fib_phantom_true_drift(ph, 1, &tx1, &ty1);
    fib_recon_params p = {0};
    p.upsample = 50;
    ck_assert(fib_recon_align_pair(&a, &b, &p, &dx, &dy, &q, &err) == FIB_OK);
    /* slice 1 is 1 px deeper: structure changes a little, so allow 0.15 */
    ck_assert_msg(fabs(dx - (tx1 - tx0)) < 0.15 &&
                      fabs(dy - (ty1 - ty0)) < 0.15,
                  "measured %g %g true %g %g", dx, dy, tx1 - tx0, ty1 - ty0);
    ck_assert(q > 0.05 && q <= 1.0);
    /* the tapered window (tukey_alpha > 0) instead of the default
     * periodic-plus-smooth transform agrees to the same tolerance */
    fib_recon_params pt = p;
    pt.tukey_alpha = 0.2;
    double dxt, dyt, qt;
    ck_assert(fib_recon_align_pair(&a, &b, &pt, &dxt, &dyt, &qt, &err) ==
              FIB_OK);
    ck_assert_msg(
        fabs(dxt - (tx1 - tx0)) < 0.15 && fabs(dyt - (ty1 - ty0)) < 0.15,
        "tukey: measured %g %g true %g %g", dxt, dyt, tx1 - tx0, ty1 - ty0);
    /* identical images: zero shift, quality near 1 */
    ck_assert(fib_recon_align_pair(&a, &a, &p, &dx, &dy, &q, &err) == FIB_OK);
    ck_assert(fabs(dx) < 1e-9 && fabs(dy) < 1e-9);
    ck_assert(q > 0.99);
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_pair_border_jump)
{
    /* Gaussian blobs on a steep ramp: the left and right borders differ
     * by 200 grey levels, a jump that a periodic DFT sees as an edge
     * fixed in the frame (pulling the peak to zero).  The default
     * transform (periodic-plus-smooth, Moisan 2011) removes it: the
     * known sub-pixel shift comes back to the 1/20 px lattice. */
    enum { N = 128, NB = 40 };
    static const double sh[][2] = {{1.35, -0.6}, {-2.2, 0.45}, {0.3, 3.1}};
    double bx[NB], by[NB], bs[NB];
    uint64_t st = 99;
    for (int k = 0; k < NB; k++) { /* fixed 64-bit LCG */
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        bx[k] = 10 + (double)(st >> 40) / (double)(1ull << 24) * (N - 20);
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        by[k] = 10 + (double)(st >> 40) / (double)(1ull << 24) * (N - 20);
        bs[k] = 2.0 + (double)(k % 4);
    }
    fib_image a = {0}, b = {0};
    fib_error err = {0};
    ck_assert(fib_image_init(&a, FIB_PX_F32, N, N, &err) == FIB_OK);
    ck_assert(fib_image_init(&b, FIB_PX_F32, N, N, &err) == FIB_OK);
    for (size_t c = 0; c < sizeof sh / sizeof sh[0]; c++) {
        for (int which = 0; which < 2; which++) {
            fib_image *im = which ? &b : &a;
            const double dx = which ? sh[c][0] : 0, dy = which ? sh[c][1] : 0;
            for (size_t y = 0; y < N; y++) {
                float *row = fib_image_row(im, y);
                for (size_t x = 0; x < N; x++) {
                    /* the ramp is fixed in the frame (shading); the blobs
                     * move by (dx, dy) */
                    double v = 200.0 * (double)x / (N - 1);
                    for (int k = 0; k < NB; k++) {
                        const double ex = (double)x - bx[k] - dx;
                        const double ey = (double)y - by[k] - dy;
                        v += 60.0 *
                             exp(-(ex * ex + ey * ey) / (2.0 * bs[k] * bs[k]));
                    }
                    row[x] = (float)v;
                }
            }
        }
        double mx, my, q;
        ck_assert(fib_recon_align_pair(&a, &b, NULL, &mx, &my, &q, &err) ==
                  FIB_OK);
        ck_assert_msg(fabs(mx - sh[c][0]) <= 0.06 &&
                          fabs(my - sh[c][1]) <= 0.06,
                      "border jump: measured %g %g, true %g %g", mx, my,
                      sh[c][0], sh[c][1]);
    }
    fib_image_clear(&a);
    fib_image_clear(&b);
}
END_TEST

START_TEST(test_pair_binned)
{
    /* regions of 512 px and more are binned 2 x 2 before the transform
     * (plain correlation): the shift must still come back in input px to
     * the 1/20 px step; static structure, so only the drift moves */
    g_slice_nm = 0.001;
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 512, 4, 8);
    g_slice_nm = 2.5;
    fib_image a = {0}, b = {0};
    fib_error err = {0};
    ck_assert(fib_image_init(&a, FIB_PX_F32, 512, 512, &err) == FIB_OK);
    ck_assert(fib_image_init(&b, FIB_PX_F32, 512, 512, &err) == FIB_OK);
    ck_assert(fib_phantom_render(ph, 0, &a, &err) == FIB_OK);
    for (size_t z = 1; z < 4; z++) {
        ck_assert(fib_phantom_render(ph, z, &b, &err) == FIB_OK);
        double tx, ty, dx, dy, q;
        fib_phantom_true_drift(ph, z, &tx, &ty);
        ck_assert(fib_recon_align_pair(&a, &b, NULL, &dx, &dy, &q, &err) ==
                  FIB_OK);
        ck_assert_msg(fabs(dx - tx) <= 0.06 && fabs(dy - ty) <= 0.06,
                      "binned: measured %g %g, true %g %g", dx, dy, tx, ty);
    }
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_phantom_destroy(ph);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(test_phantom_drift_recovered)
{
    /* 256 x 256 x 40, 10 nm pixels, 2.5 nm slices (features 70-180 nm:
     * 30-70 slices per feature), five seeds per kind.  Content that
     * changes between slices is seen as motion by any image-only aligner
     * (README "limits"): the drift-free phantom (same seed, same
     * artifacts) is reconstructed too, and the drift *recovery* --
     * applied(drifted) - applied(drift-free) against the true drift -- is
     * checked on every seed, the absolute residual (the 0.1 px
     * target, content motion included) by its median over the seeds and
     * its worst seed.  Measured values: recon/README.md, "Accuracy". */
    static const fib_phantom_kind kinds[] = {
        FIB_PHANTOM_PARTICLES, FIB_PHANTOM_COATING, FIB_PHANTOM_DENDRITES};
    static const uint64_t seeds[] = {12, 3, 77, 1, 42};
    enum { NS = sizeof seeds / sizeof seeds[0] };
    for (int k = 0; k < 3; k++) {
        double abs_rms[NS];
        for (int si = 0; si < NS; si++) {
            fib_phantom *ph = make_phantom(kinds[k], 256, 40, seeds[si]);
            fib_phantom_params pp = fib_phantom_get_params(ph);
            pp.drift_px = -1;
            fib_phantom *still = NULL;
            fib_error err = {0};
            ck_assert(fib_phantom_create(&pp, &still, &err) == FIB_OK);
            src_ctx c, c0;
            fib_recon_source s, s0;
            setup_src(&c, &s, ph);
            setup_src(&c0, &s0, still);
            fib_recon_params p = {0};
            sink_ctx sk = {0};
            fib_recon *r = run_recon(&p, &s, si == 0 ? &sk : NULL);
            fib_recon *r0 = run_recon(&p, &s0, NULL);
            double step;
            abs_rms[si] = residual_rms(r, ph, &step);
            double e[40][2], m[2] = {0, 0}, ss = 0;
            for (size_t i = 0; i < 40; i++) {
                fib_recon_slice_info a = fib_recon_get_slice(r, i);
                fib_recon_slice_info b = fib_recon_get_slice(r0, i);
                double tx, ty;
                fib_phantom_true_drift(ph, i, &tx, &ty);
                e[i][0] = a.dx - b.dx + tx;
                e[i][1] = a.dy - b.dy + ty;
                m[0] += e[i][0] / 40;
                m[1] += e[i][1] / 40;
            }
            for (size_t i = 0; i < 40; i++)
                ss += pow(e[i][0] - m[0], 2) + pow(e[i][1] - m[1], 2);
            const double rec = sqrt(ss / 40);
            fprintf(stderr,
                    "phantom %s seed %llu: drift recovery %.4f px RMS; "
                    "absolute residual %.4f px RMS (step %.4f)\n",
                    fib_phantom_kind_name(kinds[k]),
                    (unsigned long long)seeds[si], rec, abs_rms[si], step);
            ck_assert_msg(rec <= 0.08, "%s seed %llu: drift recovery %g px",
                          fib_phantom_kind_name(kinds[k]),
                          (unsigned long long)seeds[si], rec);
            if (si == 0) {
                ck_assert_uint_eq(sk.count, 40);
                ck_assert_uint_eq(sk.nx, 256);
                ck_assert_uint_eq(c.reads, 80); /* each slice read twice */
            }
            fib_recon_destroy(r);
            fib_recon_destroy(r0);
            fib_image_clear(&c.tmp);
            fib_image_clear(&c0.tmp);
            fib_phantom_destroy(ph);
            fib_phantom_destroy(still);
        }
        qsort(abs_rms, NS, sizeof abs_rms[0], cmp_double);
        ck_assert_msg(abs_rms[NS / 2] <= 0.1,
                      "%s: median absolute residual %g px RMS",
                      fib_phantom_kind_name(kinds[k]), abs_rms[NS / 2]);
        ck_assert_msg(abs_rms[NS - 1] <= 0.25,
                      "%s: worst absolute residual %g px RMS",
                      fib_phantom_kind_name(kinds[k]), abs_rms[NS - 1]);
    }
}
END_TEST

START_TEST(test_static_structure_exact)
{
    /* structure constant along z (slices 1e-4 px apart): only the drift
     * moves, so the recovery is limited by noise and artifacts alone */
    g_slice_nm = 0.001;
    fib_phantom *ph = make_phantom(FIB_PHANTOM_COATING, 256, 30, 3);
    g_slice_nm = 2.5;
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_recon_params p = {0};
    fib_recon *r = run_recon(&p, &s, NULL);
    const double rms = residual_rms(r, ph, NULL);
    /* noise, curtains, shading and gain drift only: measured 0.052 */
    ck_assert_msg(rms <= 0.075, "static structure: %g px RMS", rms);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_threads_identical)
{
    /* 1 thread, 2 threads (pipelined pass 1), 2 threads without the
     * slice cache (pass 2 reads again): the same shifts and output */
    fib_phantom *ph = make_phantom(FIB_PHANTOM_DENDRITES, 128, 24, 7);
    double dx[3][24], dy[3][24], sum[3];
    for (int t = 0; t < 3; t++) {
        src_ctx c;
        fib_recon_source s;
        setup_src(&c, &s, ph);
        fib_recon_params p = {0};
        p.threads = t ? 2 : 1;
        p.cache = t != 2;
        p.neighbours = 4;
        sink_ctx sk = {0};
        fib_recon *r = run_recon(&p, &s, &sk);
        for (size_t i = 0; i < 24; i++) {
            fib_recon_slice_info in = fib_recon_get_slice(r, i);
            dx[t][i] = in.dx;
            dy[t][i] = in.dy;
        }
        sum[t] = sk.checksum;
        /* cached: each slice read once; without: twice */
        ck_assert_uint_eq(c.reads, t == 2 ? 48 : 24);
        fib_recon_destroy(r);
        fib_image_clear(&c.tmp);
    }
    for (int t = 1; t < 3; t++) {
        ck_assert(memcmp(dx[0], dx[t], sizeof dx[0]) == 0);
        ck_assert(memcmp(dy[0], dy[t], sizeof dy[0]) == 0);
        ck_assert(memcmp(&sum[0], &sum[t], sizeof sum[0]) == 0);
    }
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_outlier_rejection)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 192, 30, 11);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    c.bad_slice = 15;
    fib_recon_params p = {0};
    fib_recon *r = run_recon(&p, &s, NULL);
    fib_recon_slice_info bad = fib_recon_get_slice(r, 15);
    ck_assert_uint_ge(bad.pairs_rejected, 4); /* its noise pairs dropped */
    /* the others are still aligned: exclude the noise slice itself */
    double mx = 0, my = 0, ss = 0;
    size_t m = 0;
    for (size_t i = 0; i < 30; i++) {
        if (i == 15)
            continue;
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        double tx, ty;
        fib_phantom_true_drift(ph, i, &tx, &ty);
        mx += in.dx + tx;
        my += in.dy + ty;
        m++;
    }
    mx /= (double)m;
    my /= (double)m;
    for (size_t i = 0; i < 30; i++) {
        if (i == 15)
            continue;
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        double tx, ty;
        fib_phantom_true_drift(ph, i, &tx, &ty);
        ss += pow(in.dx + tx - mx, 2) + pow(in.dy + ty - my, 2);
    }
    const double rms = sqrt(ss / (double)m);
    if (getenv("FIB_TEST_VERBOSE")) {
        size_t np0 = 0;
        const fib_recon_pair *pp0 = fib_recon_pairs(r, &np0);
        for (size_t k = 0; k < np0; k++)
            fprintf(stderr, "%zu-%zu %.2f %.2f q %.3f used %d res %.3f\n",
                    pp0[k].a, pp0[k].b, pp0[k].dx, pp0[k].dy, pp0[k].quality,
                    pp0[k].used, pp0[k].residual_px);
    }
    ck_assert_msg(rms <= 0.25, "with an outlier slice: %g px RMS", rms);
    /* without rejection the noise slice's pairs pull its neighbours */
    fib_recon_destroy(r);
    p.no_reject = true;
    r = run_recon(&p, &s, NULL);
    size_t nrej = 0, np = 0;
    const fib_recon_pair *pairs = fib_recon_pairs(r, &np);
    for (size_t k = 0; k < np; k++)
        nrej += !pairs[k].used;
    ck_assert_uint_eq(nrej, 0);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_skip_bad)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_COATING, 128, 12, 3);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    c.unreadable = 5;
    fib_recon_params p = {0};
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert(fib_recon_create(&p, &s, &r, &err) == FIB_OK);
    ck_assert_int_eq(fib_recon_estimate(r, NULL, &err), FIB_EFORMAT);
    ck_assert_msg(strstr(err.msg, "slice 5") != NULL, "%s", err.msg);
    fib_recon_destroy(r);
    p.skip_bad = true;
    sink_ctx sk = {0};
    r = run_recon(&p, &s, &sk);
    ck_assert(fib_recon_get_slice(r, 5).skipped);
    ck_assert_uint_eq(sk.count, 11);
    ck_assert_uint_eq(fib_recon_get_geometry(r).nz, 11);
    const double rms = residual_rms(r, ph, NULL);
    ck_assert_msg(rms <= 0.15, "skip_bad: %g px RMS", rms);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_tilt_scaling)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 100, 6, 1);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_recon_params p = {0};
    p.tilt_deg = 52;
    p.slice_nm = 20;
    sink_ctx sk = {0};
    fib_recon *r = run_recon(&p, &s, &sk);
    fib_recon_geometry g = fib_recon_get_geometry(r);
    ck_assert(fabs(g.y_scale - 1.0 / sin(52 * 3.14159265358979 / 180)) < 1e-12);
    ck_assert(fabs(g.y_scale - 1.269) < 1e-3); /* recon-methods.md 2.1 */
    ck_assert_uint_eq(sk.ny, 127);             /* round(100 * 1.269) */
    ck_assert_uint_eq(sk.nx, 100);
    ck_assert(sk.voxel[0] == 10 && sk.voxel[1] == 10 && sk.voxel[2] == 20);
    fib_recon_destroy(r);
    /* already corrected by the instrument: no stretch */
    p.tilt_corrected = true;
    memset(&sk, 0, sizeof sk);
    r = run_recon(&p, &s, &sk);
    ck_assert_uint_eq(sk.ny, 100);
    ck_assert(strstr(fib_recon_get_geometry(r).tilt_note, "already") != NULL);
    fib_recon_destroy(r);
    /* unknown tilt: nothing scaled, and the note says so */
    p.tilt_corrected = false;
    p.tilt_deg = 0;
    memset(&sk, 0, sizeof sk);
    r = run_recon(&p, &s, &sk);
    ck_assert_uint_eq(sk.ny, 100);
    ck_assert(strstr(fib_recon_get_geometry(r).tilt_note, "no tilt") != NULL);
    fib_recon_destroy(r);
    /* receding face: t cos(tilt) / py px per slice = 20 cos 52 / 10 */
    p.tilt_deg = 52;
    p.receding_face = true;
    p.detrend = true;
    r = run_recon(&p, &s, NULL);
    g = fib_recon_get_geometry(r);
    ck_assert(fabs(g.face_shift_px - 2.0 * cos(52 * 3.14159265358979 / 180)) <
              1e-9);
    fib_recon_destroy(r);
    /* isotropic: 10 nm voxels from 20 nm slices -> 2 (n - 1) + 1 slices */
    p.receding_face = false;
    p.detrend = false;
    p.isotropic = true;
    memset(&sk, 0, sizeof sk);
    r = run_recon(&p, &s, &sk);
    ck_assert_uint_eq(sk.nz, 11);
    ck_assert_uint_eq(sk.count, 11);
    ck_assert(sk.voxel[2] == 10 && sk.voxel[1] == 10);
    ck_assert_uint_eq(sk.ny, 127);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_detrend)
{
    /* a linear drift added on top of the random walk is removed only with
     * detrend: the applied shifts then keep the trend (content unchanged) */
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 128, 20, 21);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_recon_params p = {0};
    p.detrend = true;
    fib_recon *r = run_recon(&p, &s, NULL);
    /* the fitted slope of applied shifts must be zero after detrend */
    double si = 0, sii = 0, sx = 0, six = 0;
    for (size_t i = 0; i < 20; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        si += (double)i;
        sii += (double)i * (double)i;
        sx += in.dx;
        six += (double)i * in.dx;
    }
    const double slope = (20 * six - si * sx) / (20 * sii - si * si);
    ck_assert_msg(fabs(slope) < 1e-9, "slope %g", slope);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_budget)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_DENDRITES, 128, 10, 2);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_budget b = fib_budget_make(200 * 1024);
    fib_recon_params p = {0};
    p.budget = &b;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert(fib_recon_create(&p, &s, &r, &err) == FIB_OK);
    ck_assert_int_eq(fib_recon_estimate(r, NULL, &err), FIB_EBUDGET);
    ck_assert(strstr(err.msg, "budget") != NULL);
    ck_assert_uint_eq(c.reads, 0); /* refused before any work */
    fib_recon_destroy(r);
    ck_assert_uint_eq(b.used_bytes, 0);
    /* a sufficient budget: peak stays below it and independent of n */
    size_t peak[2];
    for (int t = 0; t < 2; t++) {
        fib_phantom *q =
            make_phantom(FIB_PHANTOM_DENDRITES, 128, t ? 40 : 10, 2);
        src_ctx c2;
        fib_recon_source s2;
        setup_src(&c2, &s2, q);
        fib_budget b2 = fib_budget_make(8u << 20);
        p.budget = &b2;
        p.threads = 2;
        /* (no slice cache: the default) */
        sink_ctx sk = {0};
        r = run_recon(&p, &s2, &sk);
        peak[t] = b2.peak_bytes;
        ck_assert(peak[t] <= (8u << 20));
        fib_recon_destroy(r);
        ck_assert_uint_eq(b2.used_bytes, 0);
        fib_image_clear(&c2.tmp);
        fib_phantom_destroy(q);
    }
    /* 4x the slices: only the per-slice tables grow (30 slices of about
     * 300 bytes: < 16 kB) */
    ck_assert_msg(peak[1] - peak[0] < 16384, "peak %zu vs %zu", peak[0],
                  peak[1]);
    /* with the cache: 40 slices of 64 kB (2.6 MB) fit in half
     * of what an 8 MB budget leaves after the workspace and are kept
     * (read once); with a 4 MB budget they do not, and the series streams
     * (read twice); the budget is never exceeded */
    for (int t = 0; t < 2; t++) {
        fib_phantom *q = make_phantom(FIB_PHANTOM_DENDRITES, 128, 40, 2);
        src_ctx c2;
        fib_recon_source s2;
        setup_src(&c2, &s2, q);
        const size_t lim = t ? (4u << 20) : (8u << 20);
        fib_budget b2 = fib_budget_make(lim);
        p.budget = &b2;
        p.cache = true;
        sink_ctx sk = {0};
        r = run_recon(&p, &s2, &sk);
        ck_assert(b2.peak_bytes <= lim);
        ck_assert_uint_eq(c2.reads, t ? 80 : 40);
        ck_assert_uint_eq(sk.count, 40);
        fib_recon_destroy(r);
        ck_assert_uint_eq(b2.used_bytes, 0);
        fib_image_clear(&c2.tmp);
        fib_phantom_destroy(q);
    }
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

static fib_status cancel_at_5(void *user, const char *stage, size_t done,
                              size_t total)
{
    (void)user;
    (void)stage;
    (void)total;
    return done >= 5 ? FIB_ECANCELED : FIB_OK;
}

START_TEST(test_cancel_and_bad_params)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_COATING, 64, 10, 4);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_recon_params p = {0};
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert(fib_recon_create(&p, &s, &r, &err) == FIB_OK);
    fib_progress prog = {cancel_at_5, NULL};
    ck_assert_int_eq(fib_recon_estimate(r, &prog, &err), FIB_ECANCELED);
    ck_assert_uint_eq(c.reads, 5);
    fib_recon_destroy(r);
    fib_error_clear(&err);
    p.tilt_deg = NAN;
    ck_assert_int_eq(fib_recon_create(&p, &s, &r, &err), FIB_EINVAL);
    ck_assert(strstr(err.msg, "tilt_deg") != NULL);
    fib_error_clear(&err);
    p.tilt_deg = 0;
    p.use_roi = true;
    p.roi = (fib_recon_rect){60, 0, 10, 10};
    ck_assert_int_eq(fib_recon_create(&p, &s, &r, &err), FIB_EINVAL);
    ck_assert(strstr(err.msg, "roi") != NULL);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

/* a second channel at half resolution: 2 x 2 box average of the render */
static fib_status read_half(void *user, size_t i, fib_image *out,
                            fib_error *err)
{
    src_ctx *c = user;
    fib_status st = fib_phantom_render(c->ph, i, &c->tmp, err);
    if (st)
        return st;
    for (size_t y = 0; y < out->height; y++) {
        float *row = fib_image_row(out, y);
        for (size_t x = 0; x < out->width; x++)
            row[x] =
                (float)(0.25 * (fib_image_get(&c->tmp, 2 * x, 2 * y) +
                                fib_image_get(&c->tmp, 2 * x + 1, 2 * y) +
                                fib_image_get(&c->tmp, 2 * x, 2 * y + 1) +
                                fib_image_get(&c->tmp, 2 * x + 1, 2 * y + 1)));
    }
    return FIB_OK;
}

typedef struct grab_ctx {
    size_t want;
    float data[128 * 128];
    size_t nx, ny;
} grab_ctx;

static fib_status grab_slice(void *user, size_t z, const fib_image *im,
                             fib_error *err)
{
    (void)err;
    grab_ctx *g = user;
    g->nx = im->width;
    g->ny = im->height;
    if (z == g->want)
        for (size_t y = 0; y < im->height && y < 128; y++)
            for (size_t x = 0; x < im->width && x < 128; x++)
                g->data[y * 128 + x] = (float)fib_image_get(im, x, y);
    return FIB_OK;
}

START_TEST(test_fiducial_and_channel)
{
    /* align on a rectangle only, then apply the shifts to a second
     * channel at half the resolution: its output lands on the reference
     * grid and matches the reference output */
    fib_phantom *ph = make_phantom(FIB_PHANTOM_PARTICLES, 128, 16, 9);
    src_ctx c;
    fib_recon_source s;
    setup_src(&c, &s, ph);
    fib_recon_params p = {0};
    p.use_fiducial = true;
    p.fiducial = (fib_recon_rect){8, 0, 112, 112};
    fib_recon *r = run_recon(&p, &s, NULL);
    const double rms = residual_rms(r, ph, NULL);
    ck_assert_msg(rms <= 0.2, "fiducial: %g px RMS", rms);
    fib_recon_source ch = s;
    ch.width = 64;
    ch.height = 64;
    ch.pixel_size_nm[0] = ch.pixel_size_nm[1] = 20;
    ch.read = read_half;
    static grab_ctx g1, g2;
    g1.want = g2.want = 12;
    fib_recon_sink k1 = {NULL, grab_slice, &g1, 0},
                   k2 = {NULL, grab_slice, &g2, 0};
    fib_error err = {0};
    ck_assert_msg(fib_recon_write(r, NULL, &k1, NULL, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_msg(fib_recon_write(r, &ch, &k2, NULL, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(g2.nx, 128);
    ck_assert_uint_eq(g2.ny, 128);
    /* the channel output is registered with the reference output */
    fib_image i1 = {0}, i2 = {0};
    ck_assert(fib_image_init(&i1, FIB_PX_F32, 128, 128, &err) == FIB_OK);
    ck_assert(fib_image_init(&i2, FIB_PX_F32, 128, 128, &err) == FIB_OK);
    memcpy(i1.data, g1.data, sizeof g1.data);
    memcpy(i2.data, g2.data, sizeof g2.data);
    double dx, dy, q;
    ck_assert(fib_recon_align_pair(&i1, &i2, NULL, &dx, &dy, &q, &err) ==
              FIB_OK);
    ck_assert_msg(fabs(dx) <= 0.15 && fabs(dy) <= 0.15,
                  "channel misregistered by %g, %g px", dx, dy);
    fib_image_clear(&i1);
    fib_image_clear(&i2);
    fib_recon_destroy(r);
    fib_image_clear(&c.tmp);
    fib_phantom_destroy(ph);
}
END_TEST

START_TEST(test_natural_sort)
{
    ck_assert_int_lt(fib_fmt_natural_cmp("slice_2.tif", "slice_10.tif"), 0);
    ck_assert_int_gt(fib_fmt_natural_cmp("slice_10.tif", "slice_9.tif"), 0);
    ck_assert_int_eq(fib_fmt_natural_cmp("a1b2", "a1b2"), 0);
    ck_assert_int_lt(fib_fmt_natural_cmp("s_002", "s_10"), 0);
    ck_assert_int_lt(fib_fmt_natural_cmp("s_02", "s_002"), 0);
    ck_assert_int_lt(fib_fmt_natural_cmp("a", "a1"), 0);
    ck_assert_int_lt(fib_fmt_natural_cmp("z=1.0894um", "z=1.0988um"), 0);
    ck_assert_int_lt(fib_fmt_natural_cmp("img99", "img100"), 0);
}
END_TEST

static void touch(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fclose(f);
}

START_TEST(test_series_sources)
{
    char dir[512], path[1024];
    fib_test_tmpdir(dir, sizeof dir);
    static const char *names[] = {"slice_10.tif", "slice_2.tif", "slice_1.png",
                                  "notes.txt", "slice_9.TIFF"};
    for (int i = 0; i < 5; i++)
        touch(dir, names[i]);
    char **v = NULL;
    size_t n = 0;
    fib_error err = {0};
    /* folder: images only, natural order */
    ck_assert_msg(fib_fmt_series_list(dir, &v, &n, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(n, 4);
    ck_assert(strstr(v[0], "slice_1.png") && strstr(v[1], "slice_2.tif") &&
              strstr(v[2], "slice_9.TIFF") && strstr(v[3], "slice_10.tif"));
    fib_fmt_series_free(v, n);
    /* glob */
    snprintf(path, sizeof path, "%s/slice_*.tif", dir);
    ck_assert(fib_fmt_series_list(path, &v, &n, &err) == FIB_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(strstr(v[0], "slice_2.tif") && strstr(v[1], "slice_10.tif"));
    fib_fmt_series_free(v, n);
    /* list file: relative to its folder, comments and blanks skipped */
    snprintf(path, sizeof path, "%s/list.lst", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "# my slices\nslice_10.tif\n\n  slice_2.tif  \n/abs/s_3.tif\n");
    fclose(f);
    ck_assert(fib_fmt_series_list(path, &v, &n, &err) == FIB_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(v[0], "/abs/s_3.tif");
    ck_assert(strstr(v[1], "slice_2.tif") && strstr(v[1], dir) == v[1]);
    fib_fmt_series_free(v, n);
    /* nothing there */
    snprintf(path, sizeof path, "%s/none_*.tif", dir);
    ck_assert_int_eq(fib_fmt_series_list(path, &v, &n, &err), FIB_ENOTFOUND);
    fib_error_clear(&err);
    snprintf(path, sizeof path, "%s/missing", dir);
    ck_assert_int_eq(fib_fmt_series_list(path, &v, &n, &err), FIB_ENOTFOUND);
    ck_assert(strstr(err.msg, "missing") != NULL);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_phantom_labels)
{
    fib_phantom *ph = make_phantom(FIB_PHANTOM_COATING, 64, 8, 1);
    const double f1 = fib_phantom_label_fraction(ph, 1);
    const double f2 = fib_phantom_label_fraction(ph, 2);
    ck_assert(f1 > 0.05 && f1 < 0.6);
    ck_assert(f2 > 0.01 && f2 < 0.4);
    /* same seed, same pixels; another seed, other pixels */
    fib_phantom *q = make_phantom(FIB_PHANTOM_COATING, 64, 8, 1);
    fib_phantom *o = make_phantom(FIB_PHANTOM_COATING, 64, 8, 2);
    fib_image a = {0}, b = {0}, d = {0};
    fib_error err = {0};
    ck_assert(fib_image_init(&a, FIB_PX_U16, 64, 64, &err) == FIB_OK);
    ck_assert(fib_image_init(&b, FIB_PX_U16, 64, 64, &err) == FIB_OK);
    ck_assert(fib_image_init(&d, FIB_PX_U16, 64, 64, &err) == FIB_OK);
    ck_assert(fib_phantom_render(ph, 3, &a, &err) == FIB_OK);
    ck_assert(fib_phantom_render(q, 3, &b, &err) == FIB_OK);
    ck_assert(fib_phantom_render(o, 3, &d, &err) == FIB_OK);
    ck_assert(memcmp(a.data, b.data, 64 * 64 * 2) == 0);
    ck_assert(memcmp(a.data, d.data, 64 * 64 * 2) != 0);
    fib_phantom_kind k;
    ck_assert(fib_phantom_kind_parse("dendrites", &k, &err) == FIB_OK);
    ck_assert_int_eq(k, FIB_PHANTOM_DENDRITES);
    ck_assert_int_eq(fib_phantom_kind_parse("foam", &k, &err), FIB_EINVAL);
    fib_image_clear(&a);
    fib_image_clear(&b);
    fib_image_clear(&d);
    fib_phantom_destroy(ph);
    fib_phantom_destroy(q);
    fib_phantom_destroy(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_pair_subpixel);
    tcase_add_test(tc, test_pair_binned);
    tcase_add_test(tc, test_pair_border_jump);
    tcase_add_test(tc, test_phantom_drift_recovered);
    tcase_add_test(tc, test_static_structure_exact);
    tcase_add_test(tc, test_threads_identical);
    tcase_add_test(tc, test_outlier_rejection);
    tcase_add_test(tc, test_skip_bad);
    tcase_add_test(tc, test_tilt_scaling);
    tcase_add_test(tc, test_detrend);
    tcase_add_test(tc, test_budget);
    tcase_add_test(tc, test_cancel_and_bad_params);
    tcase_add_test(tc, test_fiducial_and_channel);
    tcase_add_test(tc, test_natural_sort);
    tcase_add_test(tc, test_series_sources);
    tcase_add_test(tc, test_phantom_labels);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
