/* test_recon_crop.c -- fib_recon_params.crop_valid: the output box is the
 * set of voxels every slice covers after its shift, computed from the
 * known integer translations of a synthetic texture, with and without the
 * tilt stretch; the cropped volume has no zero-filled voxel and equals the
 * same box of the uncropped volume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/recon.h"
#include "fib_test.h"

enum {
    W = 96,
    H = 80,
    NZ = 6,
    PADC = 16,
    CW = W + 2 * PADC,
    CH = H + 2 * PADC
};

/* content displacement of slice i (px); sums are 0 so the applied shifts
 * -(d - mean d) are integers and the box edges sit half a pixel away from
 * any rounding decision */
static const int DX[NZ] = {0, 3, -4, 2, -1, 0};
static const int DY[NZ] = {0, -2, 1, 5, -3, -1};

typedef struct tex {
    float *canvas; /* CW x CH smooth texture, values in [100, 200] */
} tex;

static fib_status read_tex(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    const tex *t = user;
    /* slice(x, y) = canvas(x - d + PAD): the content moved by +d */
    for (size_t y = 0; y < H; y++) {
        float *row = fib_image_row(out, y);
        const size_t cy = (size_t)((int)y - DY[i] + PADC);
        for (size_t x = 0; x < W; x++)
            row[x] = t->canvas[cy * CW + (size_t)((int)x - DX[i] + PADC)];
    }
    return FIB_OK;
}

static void make_tex(tex *t)
{
    t->canvas = malloc(sizeof(float) * CW * CH);
    float *n = malloc(sizeof(float) * CW * CH);
    ck_assert_ptr_nonnull(t->canvas);
    ck_assert_ptr_nonnull(n);
    /* white noise, 3 x 3 box-blurred: a sharp correlation peak, values in
     * [100, 200] (never 0, so a 0 in the output is zero fill) */
    uint64_t s = 99;
    for (size_t k = 0; k < (size_t)CW * CH; k++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        n[k] = (float)(s >> 40) / (float)(1 << 24);
    }
    for (size_t y = 0; y < CH; y++)
        for (size_t x = 0; x < CW; x++) {
            float a = 0;
            int m = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    const long yy = (long)y + dy, xx = (long)x + dx;
                    if (yy < 0 || xx < 0 || yy >= CH || xx >= CW)
                        continue;
                    a += n[(size_t)yy * CW + (size_t)xx];
                    m++;
                }
            t->canvas[y * CW + x] = 100.0f + 100.0f * a / (float)m;
        }
    free(n);
}

typedef struct grab {
    fib_recon_geometry g;
    float *vol; /* nz * nx * ny */
    size_t zeros;
} grab;

static fib_status g_begin(void *user, const fib_recon_geometry *g,
                          fib_error *err)
{
    (void)err;
    grab *k = user;
    k->g = *g;
    k->vol = calloc(g->nx * g->ny * g->nz, sizeof(float));
    return k->vol ? FIB_OK : FIB_ENOMEM;
}

static fib_status g_slice(void *user, size_t z, const fib_image *im,
                          fib_error *err)
{
    (void)err;
    grab *k = user;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++) {
            const float v = (float)fib_image_get(im, x, y);
            k->vol[(z * im->height + y) * im->width + x] = v;
            k->zeros += v == 0.0f;
        }
    return FIB_OK;
}

static void run(double tilt, bool crop, grab *k, fib_recon_source *s)
{
    fib_recon_params p = {0};
    p.tilt_deg = tilt;
    p.crop_valid = crop;
    p.threads = 1;
    fib_recon *r = NULL;
    fib_error err = {0};
    memset(k, 0, sizeof *k);
    ck_assert_msg(fib_recon_create(&p, s, &r, &err) == FIB_OK, "%s", err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    for (size_t i = 0; i < NZ; i++) { /* integer shifts recovered */
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        ck_assert_msg(fabs(in.dx + DX[i]) < 0.06 && fabs(in.dy + DY[i]) < 0.06,
                      "slice %zu: %g %g", i, in.dx, in.dy);
    }
    fib_recon_sink sink = {g_begin, g_slice, k, 0};
    ck_assert_msg(fib_recon_write(r, NULL, &sink, NULL, &err) == FIB_OK, "%s",
                  err.msg);
    fib_recon_geometry g = fib_recon_get_geometry(r);
    ck_assert_int_eq(g.nx, k->g.nx);
    ck_assert_int_eq(g.cropped, crop);
    fib_recon_destroy(r);
}

START_TEST(test_crop_valid_box)
{
    tex t;
    make_tex(&t);
    fib_recon_source s = {0};
    s.n_slices = NZ;
    s.width = W;
    s.height = H;
    s.type = FIB_PX_F32;
    s.pixel_size_nm[0] = s.pixel_size_nm[1] = 5.0;
    s.read = read_tex;
    s.user = &t;
    /* applied shifts s_i = -d_i (mean 0): x in [max s - 0.5, W - 0.5 +
     * min s] -> X from max(-DX) to W - 1 + min(-DX) */
    int sxmax = -100, sxmin = 100, symax = -100, symin = 100;
    for (int i = 0; i < NZ; i++) {
        sxmax = -DX[i] > sxmax ? -DX[i] : sxmax;
        sxmin = -DX[i] < sxmin ? -DX[i] : sxmin;
        symax = -DY[i] > symax ? -DY[i] : symax;
        symin = -DY[i] < symin ? -DY[i] : symin;
    }
    for (int tilted = 0; tilted < 2; tilted++) {
        const double tilt = tilted ? 52.0 : 0.0;
        grab full, cut;
        run(tilt, false, &full, &s);
        run(tilt, true, &cut, &s);
        const double ys = tilted ? 1.0 / sin(52.0 * 3.14159265358979 / 180) : 1;
        ck_assert(fabs(cut.g.y_scale - ys) < 1e-12);
        /* expected box: x directly; y through v(Y) = (Y + 0.5) / ys - 0.5 */
        const size_t x0 = (size_t)sxmax, x1 = (size_t)(W - 1 + sxmin);
        const size_t y0 = (size_t)ceil((symax - 0.5 + 0.5) * ys - 0.5);
        const size_t y1 = (size_t)floor((H - 0.5 + symin + 0.5) * ys - 0.5);
        ck_assert(cut.g.cropped && !full.g.cropped);
        ck_assert_int_eq(cut.g.full_nx, full.g.nx);
        ck_assert_int_eq(cut.g.full_ny, full.g.ny);
        ck_assert_int_eq(cut.g.valid.x, x0);
        ck_assert_int_eq(cut.g.valid.width, x1 - x0 + 1);
        ck_assert_int_eq(cut.g.valid.y, y0);
        ck_assert_int_eq(cut.g.valid.height, y1 - y0 + 1);
        ck_assert_int_eq(cut.g.nx, x1 - x0 + 1);
        ck_assert_int_eq(cut.g.ny, y1 - y0 + 1);
        /* the full frame has the zero-filled border, the crop none */
        ck_assert(full.zeros > 0);
        ck_assert_int_eq(cut.zeros, 0);
        /* same samples: the crop is the box of the full volume */
        for (size_t z = 0; z < NZ; z++)
            for (size_t y = 0; y < cut.g.ny; y++)
                for (size_t x = 0; x < cut.g.nx; x++)
                    ck_assert(cut.vol[(z * cut.g.ny + y) * cut.g.nx + x] ==
                              full.vol[(z * full.g.ny + y + y0) * full.g.nx +
                                       x + x0]);
        /* one voxel more on any side would include a zero-filled one */
        size_t edge_zero = 0;
        for (size_t z = 0; z < NZ; z++)
            for (size_t y = y0; y <= y1; y++)
                edge_zero +=
                    full.vol[(z * full.g.ny + y) * full.g.nx + x0 - 1] == 0.0f;
        ck_assert(x0 == 0 || edge_zero > 0);
        free(full.vol);
        free(cut.vol);
    }
    free(t.canvas);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon_crop");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_crop_valid_box);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
