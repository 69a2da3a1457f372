/* test_recon_janelia.c -- recover a known sub-pixel random-walk drift
 * applied (with noise and curtaining stripes) to a real FIB-SEM stack:
 * ../shared/data/janelia-fib25-medulla-cube (250 x 250 px, 10 nm
 * isotropic, already aligned; skipped when absent).
 *
 * The stack is not perfectly aligned and its content changes from slice to
 * slice, so the reference is the reconstruction of the same 40 slices
 * without added drift: the drift recovered is the difference of the two
 * runs' applied shifts, compared with the drift we added.  The raw error
 * against the added drift alone is printed too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/recon.h"
#include "fib_test.h"

enum { NZ = 40, CROP = 200, FIRST = 2600 };

static char g_dir[1024];
static float *g_clean;   /* NZ x 250 x 250 */
static float *g_drifted; /* NZ x CROP x CROP */
static float *g_plain;   /* NZ x CROP x CROP, no drift, no artifacts */
static double g_drift[NZ][2];
static size_t g_w, g_h;

/* splitmix64 -> uniform, normal */
static uint64_t g_state = 20240917;
static double uni(void)
{
    uint64_t z = (g_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
    return sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni());
}

/* Keys cubic convolution kernel (a = -0.5). */
static double keys(double t)
{
    t = fabs(t);
    if (t < 1)
        return (1.5 * t - 2.5) * t * t + 1;
    if (t < 2)
        return ((-0.5 * t + 2.5) * t - 4) * t + 2;
    return 0;
}

static double sample(const float *im, double x, double y)
{
    const int x0 = (int)floor(x), y0 = (int)floor(y);
    double acc = 0;
    for (int j = -1; j <= 2; j++) {
        const double wy = keys(y - (double)(y0 + j));
        int yy = y0 + j;
        yy = yy < 0 ? 0 : (yy >= (int)g_h ? (int)g_h - 1 : yy);
        for (int i = -1; i <= 2; i++) {
            int xx = x0 + i;
            xx = xx < 0 ? 0 : (xx >= (int)g_w ? (int)g_w - 1 : xx);
            acc += wy * keys(x - (double)(x0 + i)) * (double)im[yy * g_w + xx];
        }
    }
    return acc;
}

static const char *load(void)
{
    char path[1200];
    if (!fib_test_shared("janelia-fib25-medulla-cube/slices/iso.2600.png", path,
                         sizeof path))
        return "janelia-fib25-medulla-cube not in the shared data";
    if (strlen(path) >= sizeof g_dir)
        return "shared data path too long";
    memcpy(g_dir, path, strlen(path) + 1);
    *strrchr(g_dir, '/') = '\0';
    for (int z = 0; z < NZ; z++) {
        fib_image im = {0};
        fib_error err = {0};
        snprintf(path, sizeof path, "%s/iso.%d.png", g_dir, FIRST + z);
        if (fib_fmt_image_read(path, NULL, &im, NULL, &err))
            return "janelia slice unreadable";
        if (!g_clean) {
            g_w = im.width;
            g_h = im.height;
            g_clean = malloc((size_t)NZ * g_w * g_h * sizeof(float));
            g_drifted = malloc((size_t)NZ * CROP * CROP * sizeof(float));
            g_plain = malloc((size_t)NZ * CROP * CROP * sizeof(float));
        }
        for (size_t y = 0; y < g_h; y++)
            for (size_t x = 0; x < g_w; x++)
                g_clean[(size_t)z * g_w * g_h + y * g_w + x] =
                    (float)fib_image_get(&im, x, y);
        fib_image_clear(&im);
    }
    /* drift: random walk, sigma 0.5 px per slice and axis, slice 0 at 0 */
    for (int z = 1; z < NZ; z++) {
        g_drift[z][0] = g_drift[z - 1][0] + 0.5 * gauss();
        g_drift[z][1] = g_drift[z - 1][1] + 0.5 * gauss();
    }
    const double off = ((double)g_w - CROP) / 2;
    double stripe[CROP];
    for (int x = 0; x < CROP; x++)
        stripe[x] = 0;
    for (int z = 0; z < NZ; z++) {
        const float *src = g_clean + (size_t)z * g_w * g_h;
        /* curtains: column offsets that persist half from slice to slice */
        for (int x = 0; x < CROP; x++)
            stripe[x] = 0.5 * stripe[x] + 4.0 * gauss();
        for (int y = 0; y < CROP; y++)
            for (int x = 0; x < CROP; x++) {
                /* content moved by +d: image(x) = clean(x - d) */
                const double v = sample(src, x + off - g_drift[z][0],
                                        y + off - g_drift[z][1]);
                g_drifted[((size_t)z * CROP + y) * CROP + x] =
                    (float)(v + stripe[x] * (1.0 - 0.5 * y / CROP) +
                            6.0 * gauss());
                g_plain[((size_t)z * CROP + y) * CROP + x] =
                    src[(size_t)(y + off) * g_w + (size_t)(x + off)];
            }
    }
    return NULL;
}

static fib_status read_mem(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    const float *stack = user;
    for (size_t y = 0; y < CROP; y++)
        memcpy(fib_image_row(out, y), stack + (i * CROP + y) * CROP,
               CROP * sizeof(float));
    return FIB_OK;
}

static fib_recon *align(float *stack)
{
    fib_recon_source s = {0};
    s.n_slices = NZ;
    s.width = s.height = CROP;
    s.type = FIB_PX_F32;
    s.pixel_size_nm[0] = s.pixel_size_nm[1] = 10;
    s.read = read_mem;
    s.user = stack;
    fib_recon_params p = {0};
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_recon_create(&p, &s, &r, &err) == FIB_OK, "%s", err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    return r;
}

START_TEST(test_janelia_drift_recovered)
{
    fib_recon *rd = align(g_drifted), *rp = align(g_plain);
    double ss = 0, ss_raw = 0, ss_abs = 0, ss_own = 0, mx = 0, my = 0;
    double e[NZ][2];
    for (int z = 0; z < NZ; z++) {
        fib_recon_slice_info a = fib_recon_get_slice(rd, (size_t)z);
        fib_recon_slice_info b = fib_recon_get_slice(rp, (size_t)z);
        e[z][0] = a.dx - b.dx + g_drift[z][0];
        e[z][1] = a.dy - b.dy + g_drift[z][1];
        mx += e[z][0];
        my += e[z][1];
        if (z) {
            const double sx = e[z][0] - e[z - 1][0];
            const double sy = e[z][1] - e[z - 1][1];
            ss += sx * sx + sy * sy;
            fib_recon_slice_info a0 = fib_recon_get_slice(rd, (size_t)z - 1);
            const double rx = a.dx - a0.dx + g_drift[z][0] - g_drift[z - 1][0];
            const double ry = a.dy - a0.dy + g_drift[z][1] - g_drift[z - 1][1];
            ss_raw += rx * rx + ry * ry;
            fib_recon_slice_info b0 = fib_recon_get_slice(rp, (size_t)z - 1);
            ss_own += pow(b.dx - b0.dx, 2) + pow(b.dy - b0.dy, 2);
        }
    }
    mx /= NZ;
    my /= NZ;
    for (int z = 0; z < NZ; z++)
        ss_abs += pow(e[z][0] - mx, 2) + pow(e[z][1] - my, 2);
    const double step = sqrt(ss / (NZ - 1));
    const double step_raw = sqrt(ss_raw / (NZ - 1));
    const double absr = sqrt(ss_abs / NZ);
    const double own = sqrt(ss_own / (NZ - 1));
    fprintf(stderr,
            "janelia: drift recovery step error %.4f px RMS, position %.4f "
            "px RMS; against the added drift alone %.4f px RMS (the stack's "
            "own slice-to-slice correction: %.4f px RMS)\n",
            step, absr, step_raw, own);
    /* the issue asks for well under 0.2 px: assert half of it */
    ck_assert_msg(step < 0.1, "step error %g px RMS", step);
    ck_assert_msg(absr < 0.25, "position error %g px RMS", absr);
    fib_recon_destroy(rd);
    fib_recon_destroy(rp);
}
END_TEST

int main(void)
{
    const char *skip = load();
    Suite *s = suite_create("recon_janelia");
    TCase *tc = tcase_create("janelia");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_janelia_drift_recovered);
    suite_add_tcase(s, tc);
    const int rc = fib_test_run(s, skip);
    free(g_clean);
    free(g_drifted);
    free(g_plain);
    return rc;
}
