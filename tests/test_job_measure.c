/* test_job_measure.c -- fib_job_measure() (fib/job_measure.h) on volumes
 * made here with known answers: a ball (volume fraction, surface area
 * against 4 pi R^2, one object, its equivalent diameter), three prisms
 * along z (volume fractions, tortuosity 1 of straight channels and inf of
 * closed ones, MacMullin number, the triple-phase boundary line, chords,
 * two-point correlation) and an unknown voxel size (voxel units).  The
 * report is read back from the written file and its keys and numbers
 * asserted. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/formats.h"
#include "fib/job_measure.h"
#include "fib/measure.h"
#include "fib_test.h"

#define PI_ 3.14159265358979323846

/* ---- a minimal reader of the report's JSON text ------------------------ */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    return s;
}

/* End of the JSON string starting at @p s (the opening quote). */
static const char *skip_string(const char *s)
{
    for (s++; *s && *s != '"'; s++)
        if (*s == '\\' && s[1])
            s++;
    return *s ? s + 1 : s;
}

/* Member @p key of the object, or element #@p key of the array, starting
 * at @p s; NULL when absent. */
static const char *member(const char *s, const char *key)
{
    s = skip_ws(s);
    const bool array = *s == '[';
    if (*s != '{' && *s != '[')
        return NULL;
    const long want = array ? strtol(key + 1, NULL, 10) : -1;
    long index = 0;
    int depth = 0;
    const char *elem = skip_ws(s + 1);
    if (array && want == 0 && *elem != ']')
        return elem;
    for (const char *p = s + 1; *p; p++) {
        if (*p == '"') {
            const char *e = skip_string(p);
            const size_t n = (size_t)(e - p) - 2;
            if (!array && depth == 0 && *skip_ws(e) == ':' &&
                strlen(key) == n && strncmp(p + 1, key, n) == 0)
                return skip_ws(skip_ws(e) + 1);
            p = e - 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (depth-- == 0)
                return NULL;
        } else if (*p == ',' && depth == 0 && array && ++index == want) {
            return skip_ws(p + 1);
        }
    }
    return NULL;
}

/* The value at @p path ("a/b/#2": keys, #N = array element). */
static const char *jat(const char *json, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const char *v = json;
    for (char *save = NULL, *k = strtok_r(buf, "/", &save); k && v;
         k = strtok_r(NULL, "/", &save))
        v = member(v, k);
    ck_assert_msg(v != NULL, "report has no %s", path);
    return v;
}

static double jnum(const char *json, const char *path)
{
    const char *v = jat(json, path);
    char *end;
    const double d = strtod(v, &end);
    ck_assert_msg(end != v, "%s is not a number", path);
    return d;
}

static bool jis(const char *json, const char *path, const char *text)
{
    return strncmp(jat(json, path), text, strlen(text)) == 0;
}

static bool jhas(const char *json, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const char *v = json;
    for (char *save = NULL, *k = strtok_r(buf, "/", &save); k && v;
         k = strtok_r(NULL, "/", &save))
        v = member(v, k);
    return v != NULL;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s not written", path);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- messages ----------------------------------------------------------- */

typedef struct lines {
    char text[64][512];
    size_t n;
    bool all_results;
} lines;

static void collect(void *user, fib_job_level level, const char *text)
{
    lines *l = user;
    if (level != FIB_JOB_RESULT)
        l->all_results = false;
    if (l->n < 64)
        snprintf(l->text[l->n++], sizeof l->text[0], "%s", text);
}

static bool said(const lines *l, const char *text)
{
    for (size_t k = 0; k < l->n; k++)
        if (strcmp(l->text[k], text) == 0)
            return true;
    return false;
}

/* ---- volumes ------------------------------------------------------------ */

static void write_vol(const char *path, const fib_volume *v)
{
    fib_error e = {0};
    ck_assert_msg(fib_fmt_volume_write(path, v, NULL, &e) == FIB_OK, "%s",
                  e.msg);
}

/* A case: a fresh folder DIR (512 bytes) with @p v written as DIR/NAME
 * (@p in, 600 bytes) and cleared, and @p p reading it into DIR/r.json
 * (@p json, 600 bytes) without local thickness. */
static void case_setup(fib_volume *v, const char *name, char *dir, char *in,
                       char *json, fib_job_measure_params *p)
{
    fib_test_tmpdir(dir, 512);
    snprintf(in, 600, "%s/%s", dir, name);
    snprintf(json, 600, "%s/r.json", dir);
    write_vol(in, v);
    fib_volume_clear(v);
    fib_job_measure_defaults(p);
    p->labels_path = in;
    p->json_path = json;
    p->thickness = false;
}

/* A ball of label 1, radius R voxels, centre (19.5, 19.5, 19.5), in a
 * 40^3 u8 volume of voxel size @p vox_nm (0: unknown); its voxel count. */
static size_t ball(fib_volume *v, double R, double vox_nm)
{
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_U8, 40, 40, 40, &e), FIB_OK);
    size_t count = 0;
    uint8_t *d = v->data;
    for (size_t z = 0; z < 40; z++)
        for (size_t y = 0; y < 40; y++)
            for (size_t x = 0; x < 40; x++) {
                const double dx = (double)x - 19.5, dy = (double)y - 19.5,
                             dz = (double)z - 19.5;
                const bool in = dx * dx + dy * dy + dz * dz <= R * R;
                d[(z * 40 + y) * 40 + x] = in;
                count += in;
            }
    for (int a = 0; a < 3; a++)
        v->voxel_size_nm[a] = vox_nm;
    return count;
}

START_TEST(test_ball)
{
    char dir[512], in[600], json[600], csv[600], stl[600], pic[600], path[700];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/ball.mrc", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(csv, sizeof csv, "%s/o.csv", dir);
    snprintf(stl, sizeof stl, "%s/s.stl", dir);
    snprintf(pic, sizeof pic, "%s/pic", dir);
    const double R = 12, vox = 2;
    fib_volume v = {0};
    const size_t count = ball(&v, R, vox);
    write_vol(in, &v);
    fib_volume_clear(&v);

    fib_job_measure_params p;
    fib_job_measure_defaults(&p);
    p.labels_path = in;
    p.json_path = json;
    p.csv_path = csv;
    p.mesh_path = stl;
    p.pictures_dir = pic;
    p.smooth_vox = 1;
    lines msg = {.all_results = true};
    const fib_job_env env = {.message = collect, .message_user = &msg};
    fib_job_measure_result res;
    fib_error e = {0};
    ck_assert_msg(fib_job_measure(&p, &env, &res, &e) == FIB_OK, "%s", e.msg);

    /* result struct */
    ck_assert_uint_eq(res.n_phases, 1);
    ck_assert_uint_eq(res.phases[0], 1);
    ck_assert_uint_eq(res.n_objects[0], 1);
    ck_assert_uint_eq(res.n_labels, 2);
    ck_assert(res.voxel_size_known && !res.voxel_units);
    const double N = 40.0 * 40 * 40, frac = (double)count / N;
    ck_assert_double_le(fabs(fib_test_rel(res.volume_fraction[1], frac)),
                        1e-12);

    /* report: keys and values */
    char *j = slurp(json);
    ck_assert(jis(j, "units", "\"physical\""));
    ck_assert(jis(j, "voxel_size_known", "true"));
    ck_assert_double_eq(jnum(j, "dims/#2"), 40);
    ck_assert_double_eq(jnum(j, "voxel_size_nm/#1"), vox);
    ck_assert_double_eq(jnum(j, "measured_labels/#0"), 1);
    ck_assert(!jhas(j, "measured_labels/#1"));
    ck_assert_double_le(fabs(fib_test_rel(jnum(j, "volume_fraction/1"), frac)),
                        1e-9);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "volume_fraction/0"), 1 - frac)), 1e-9);
    /* the voxel ball is the sphere's volume within 1 % */
    ck_assert_double_le(fabs(fib_test_rel(frac, 4.0 / 3 * PI_ * R * R * R / N)),
                        0.01);
    /* smoothed marching cubes: 4 pi R^2 within 3 % (binary: +8 %) */
    const double r_um = R * vox * 1e-3, area = 4 * PI_ * r_um * r_um;
    const double a1 = jnum(j, "specific_surface_area_per_um/1/area_um2");
    ck_assert_double_le(fabs(fib_test_rel(a1, area)), 0.03);
    ck_assert_double_le(
        fabs(fib_test_rel(
            jnum(j, "specific_surface_area_per_um/1/per_total_volume"),
            a1 / (N * vox * vox * vox * 1e-9))),
        1e-8);
    ck_assert_double_le(
        fabs(fib_test_rel(
            jnum(j, "specific_surface_area_per_um/1/interface_area_um2/0"),
            a1)),
        1e-8);
    ck_assert_double_eq(jnum(j, "objects/1/count"), 1);
    ck_assert_double_eq(jnum(j, "objects/1/connectivity"), 6);
    ck_assert_double_eq(jnum(j, "objects/1/touching_border"), 0);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "objects/1/mean_eq_diameter_um"), 2 * r_um)),
        0.01);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "objects/1/mean_volume_um3"),
                          (double)count * vox * vox * vox * 1e-9)),
        1e-8);
    /* the largest ball centred on a voxel centre (0.87 voxel off the
     * ball's centre, radius = EDT - 0.5 voxel): 2R - 2.74 .. 2R voxels */
    const double lt_max = jnum(j, "local_thickness_um/1/max");
    ck_assert_double_le(lt_max, 2 * r_um);
    ck_assert_double_ge(lt_max, (2 * R - 2.74) * vox * 1e-3);
    /* BoneJ convention: the thickness is the diameter; radius = half */
    ck_assert_double_eq_tol(jnum(j, "local_thickness_um/1/radius/max"),
                            lt_max / 2, 1e-6 * lt_max);
    ck_assert_double_eq_tol(jnum(j, "local_thickness_um/1/radius/median"),
                            jnum(j, "local_thickness_um/1/median") / 2,
                            1e-6 * lt_max);
    ck_assert(jis(j, "local_thickness_convention", "\"diameter"));
    ck_assert(!jhas(j, "tortuosity") && !jhas(j, "chords") &&
              !jhas(j, "triple_phase_boundary"));
    free(j);

    /* CSV: header + one object; the mesh; five pictures */
    char *c = slurp(csv);
    ck_assert(strncmp(c, "phase,label,n_voxels,volume_um3,area_um2,", 41) == 0);
    size_t rows = 0;
    for (const char *q = c; *q; q++)
        rows += *q == '\n';
    ck_assert_uint_eq(rows, 2);
    free(c);
    ck_assert(exists(stl));
    static const char *const pngs[] = {"ortho_yz", "ortho_xz", "ortho_xy",
                                       "mip_z", "surface_1"};
    for (size_t k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s.png", pic, pngs[k]);
        ck_assert_msg(exists(path), "%s missing", path);
    }

    /* the command's lines, all results */
    ck_assert(msg.all_results);
    ck_assert(said(&msg, "measured labels: 1 (label 0 = background skipped; "
                         "--phase 0 to include)"));
    ck_assert(said(&msg, "phase 1: 1 objects (6-connected)"));
    snprintf(path, sizeof path, "wrote %s", json);
    ck_assert(said(&msg, path));
    snprintf(path, sizeof path, "wrote %s", csv);
    ck_assert(strcmp(msg.text[msg.n - 1], path) == 0);
    fib_test_rmdir(dir);
}
END_TEST

/* 16 x 12 x 10, voxel 4 x 5 x 6 nm: label 0 for x < 2, label 1 for
 * 2 <= x < 8, label 2 for x >= 8 and y < 6, label 3 for x >= 8, y >= 6:
 * prisms along z meeting on one line at x = 8, y = 6. */
static void prisms(fib_volume *v, bool with0)
{
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_U16, 16, 12, 10, &e), FIB_OK);
    uint16_t *d = v->data;
    for (size_t z = 0; z < 10; z++)
        for (size_t y = 0; y < 12; y++)
            for (size_t x = 0; x < 16; x++)
                d[(z * 12 + y) * 16 + x] = x < 2 && with0 ? 0
                                           : x < 8        ? 1
                                           : y < 6        ? 2
                                                          : 3;
    v->voxel_size_nm[0] = 4;
    v->voxel_size_nm[1] = 5;
    v->voxel_size_nm[2] = 6;
}

START_TEST(test_prisms)
{
    char dir[512], in[600], json[600];
    fib_volume v = {0};
    prisms(&v, true);
    fib_job_measure_params p;
    case_setup(&v, "prisms.nrrd", dir, in, json, &p);
    for (int a = 0; a < 3; a++)
        p.tortuosity_axes[a] = true;
    p.tortuosity_tol = 1e-9;
    p.tpb = true;
    p.tpb_labels[0] = 1;
    p.tpb_labels[1] = 2;
    p.tpb_labels[2] = 3;
    p.chords = true;
    p.two_point_lag = 3;
    fib_error e = {0};
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    char *j = slurp(json);

    ck_assert_double_eq(jnum(j, "measured_labels/#2"), 3);
    ck_assert_double_eq(jnum(j, "volume_fraction/0"), 0.125);
    ck_assert_double_eq(jnum(j, "volume_fraction/1"), 0.375);
    ck_assert_double_eq(jnum(j, "volume_fraction/2"), 0.25);
    ck_assert_double_eq(jnum(j, "volume_fraction/3"), 0.25);
    /* straight channels: tau = 1, D_eff/D = eps, N_M = 1 / eps; channels
     * closed along an axis: "inf" */
    ck_assert_double_le(fabs(jnum(j, "tortuosity/1/z") - 1), 1e-6);
    ck_assert_double_le(fabs(jnum(j, "tortuosity/1/y") - 1), 1e-6);
    ck_assert_double_le(fabs(jnum(j, "tortuosity/3/z") - 1), 1e-6);
    ck_assert(jis(j, "tortuosity/1/x", "\"inf\""));
    ck_assert(jis(j, "tortuosity/2/y", "\"inf\""));
    ck_assert_double_le(fabs(jnum(j, "effective_diffusivity/1/z") - 0.375),
                        1e-6);
    ck_assert_double_le(fabs(jnum(j, "macmullin_number/2/z") - 4), 1e-5);
    ck_assert(jis(j, "macmullin_number/2/y", "\"inf\""));
    ck_assert(jis(j, "tortuosity_solver/1/z/percolating", "true"));
    ck_assert(jis(j, "tortuosity_solver/1/x/percolating", "false"));
    ck_assert_double_eq(jnum(j, "tortuosity_solver/tol"), 1e-9);

    /* TPB: the one line along z, 10 edges of 6 nm, all active along z */
    const double V_um3 = 16.0 * 12 * 10 * 4 * 5 * 6 * 1e-9;
    const double tot = 16.0 * 11 * 9 + 12.0 * 9 * 15 + 10.0 * 15 * 11;
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/labels/#1"), 2);
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/edges"), 10);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "triple_phase_boundary/edge_fraction"),
                          10 / tot)),
        1e-9);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "triple_phase_boundary/length_um"), 0.06)),
        1e-9);
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "triple_phase_boundary/density_per_um2"),
                          0.06 / V_um3)),
        1e-9);
    ck_assert(jis(j, "triple_phase_boundary/active_axis", "\"z\""));
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/active_fraction"), 1);

    /* chords of label 1 along x: one 6-voxel (24 nm) chord per row */
    ck_assert_double_eq(jnum(j, "chords/1/x/count"), 12 * 10);
    ck_assert_double_eq(jnum(j, "chords/1/x/border_chords"), 0);
    ck_assert_double_le(fabs(jnum(j, "chords/1/x/mean_nm") - 24), 1e-9);
    ck_assert_double_eq(jnum(j, "chords/1/z/count"), 0);
    ck_assert_double_eq(jnum(j, "chords/1/z/border_chords"), 6 * 12);

    /* two-point S2: constant eps along z; along x, pairs in 2..7 */
    ck_assert_double_le(fabs(jnum(j, "two_point_correlation/1/z/#0") - 0.375),
                        1e-9);
    ck_assert_double_le(fabs(jnum(j, "two_point_correlation/1/z/#3") - 0.375),
                        1e-9);
    ck_assert_double_le(
        fabs(jnum(j, "two_point_correlation/1/x/#1") - 5.0 / 15), 1e-9);
    ck_assert_double_le(
        fabs(jnum(j, "two_point_correlation/1/x/#3") - 3.0 / 13), 1e-9);
    ck_assert(!jhas(j, "two_point_correlation/1/x/#4"));
    ck_assert_double_eq(jnum(j, "two_point_correlation/lag_step_z_nm"), 6);
    ck_assert(!jhas(j, "representative_volume"));
    free(j);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_voxel_units)
{
    char dir[512], in[600], json[600], line[1024];
    const double R = 12;
    fib_volume v = {0};
    const size_t count = ball(&v, R, 0);
    fib_job_measure_params p;
    case_setup(&v, "ball.nrrd", dir, in, json, &p);
    p.smooth_vox = 1;
    /* physical units without a voxel size: refused, nothing written */
    p.units = FIB_JOB_MEASURE_UNITS_PHYSICAL;
    fib_error e = {0};
    ck_assert_int_eq(fib_job_measure(&p, NULL, NULL, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "voxel size unknown in x y z"));
    ck_assert(!exists(json));

    p.units = FIB_JOB_MEASURE_UNITS_AUTO;
    lines msg = {.all_results = true};
    const fib_job_env env = {.message = collect, .message_user = &msg};
    fib_job_measure_result res;
    ck_assert_msg(fib_job_measure(&p, &env, &res, &e) == FIB_OK, "%s", e.msg);
    ck_assert(!res.voxel_size_known && res.voxel_units);
    snprintf(line, sizeof line,
             "cryofib measure: %s: voxel size unknown in x y z: results in "
             "voxel units (lengths in voxel edges, areas in vox2, surface per "
             "voxel; cubic voxels assumed); pass --voxel-nm X,Y,Z for "
             "physical units",
             in);
    ck_assert_str_eq(msg.text[0], line);
    char *j = slurp(json);
    ck_assert(jis(j, "units", "\"voxel\""));
    ck_assert(jis(j, "voxel_size_known", "false"));
    ck_assert(jis(j, "voxel_size_nm/#0", "null"));
    ck_assert(jhas(j, "units_note"));
    /* voxel-unit keys and values: 4 pi R^2 vox2, volume in vox3 */
    ck_assert(!jhas(j, "specific_surface_area_per_um"));
    ck_assert_double_le(
        fabs(fib_test_rel(jnum(j, "specific_surface_area_per_vox/1/area_vox2"),
                          4 * PI_ * R * R)),
        0.03);
    ck_assert_double_le(fabs(fib_test_rel(jnum(j, "objects/1/mean_volume_vox3"),
                                          (double)count)),
                        1e-9);
    ck_assert(jhas(j, "objects/1/eq_diameter_vox"));
    free(j);

    /* a second run over the first: same report (bit for bit) */
    char *first = slurp(json);
    ck_assert_int_eq(fib_job_measure(&p, NULL, NULL, &e), FIB_OK);
    char *second = slurp(json);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    fib_test_rmdir(dir);
}
END_TEST

/* --battery on the three prisms without label 0: TPB of the three labels
 * present, chords, representative volume, two-point lags to a quarter
 * axis, tortuosity along the battery axis only. */
START_TEST(test_battery)
{
    char dir[512], in[600], json[600];
    fib_volume v = {0};
    prisms(&v, false);
    fib_job_measure_params p;
    case_setup(&v, "prisms.tif", dir, in, json, &p);
    p.battery = true;
    p.battery_axis = 1;
    p.voxel_nm[0] = 4;
    p.voxel_nm[1] = 5;
    p.voxel_nm[2] = 6;
    fib_error e = {0};
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    char *j = slurp(json);
    ck_assert_double_eq(jnum(j, "volume_fraction/1"), 0.5);
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/labels/#0"), 1);
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/labels/#2"), 3);
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/edges"), 10);
    /* along y label 2 (y < 6) does not percolate: no active TPB */
    ck_assert(jis(j, "triple_phase_boundary/active_axis", "\"y\""));
    ck_assert_double_eq(jnum(j, "triple_phase_boundary/active_fraction"), 0);
    ck_assert_double_le(fabs(jnum(j, "tortuosity/1/y") - 1), 1e-5);
    ck_assert(jis(j, "tortuosity/2/y", "\"inf\""));
    ck_assert(!jhas(j, "tortuosity/1/z") && !jhas(j, "tortuosity/1/x"));
    ck_assert_double_eq(jnum(j, "chords/2/y/count"), 0);
    ck_assert_double_eq(jnum(j, "chords/2/y/border_chords"), 8 * 10);
    /* the whole box is the last size; its mean is the volume fraction */
    ck_assert_double_eq(jnum(j, "representative_volume/1/box_vox/#3/#0"), 16);
    ck_assert_double_eq(jnum(j, "representative_volume/1/box_vox/#3/#2"), 10);
    ck_assert_double_eq(jnum(j, "representative_volume/3/mean/#3"), 0.25);
    ck_assert(jhas(j, "representative_volume/tpb_density/settled_box_vox"));
    /* lags 0 .. n/4: 16 -> 5 values along x, 12 -> 4 along y */
    ck_assert(jhas(j, "two_point_correlation/1/x/#4"));
    ck_assert(!jhas(j, "two_point_correlation/1/x/#5"));
    ck_assert(jhas(j, "two_point_correlation/1/y/#3"));
    ck_assert(!jhas(j, "two_point_correlation/1/y/#4"));
    ck_assert_double_eq(jnum(j, "two_point_correlation/2/y/#0"), 0.25);
    /* sizes: label 1 (8 x 12 x 10 voxels) is open to both y faces, so at
       the smallest radius (one voxel, 4 nm) all of it is intruded; one
       particle of its whole volume; contact faces 1-2 and 1-3: 6 x 10 of
       dy dz = 30 nm^2, 2-3: 8 x 10 of dx dz = 24 nm^2 */
    ck_assert(jis(j, "porosimetry/inlet", "\"y0 and y1 faces\""));
    ck_assert_double_eq_tol(jnum(j, "porosimetry/1/diameter_nm/#24"), 8, 1e-9);
    ck_assert_double_eq(jnum(j, "porosimetry/1/intruded_fraction/#24"), 1);
    ck_assert_double_eq_tol(jnum(j, "porosimetry/1/pressure_MPa/#24"),
                            fib_recon_washburn_pressure_MPa(4), 1e-6);
    ck_assert_double_eq(jnum(j, "particle_sizes/1/count"), 1);
    ck_assert_double_eq_tol(jnum(j, "particle_sizes/1/eq_diameter_nm/#0"),
                            cbrt(6 * 960 * 120 / M_PI), 1e-6);
    ck_assert_double_eq(jnum(j, "contact_area/1-2/faces"), 60);
    ck_assert_double_eq_tol(jnum(j, "contact_area/1-3/face_area_um2"),
                            60 * 30e-6, 1e-12);
    ck_assert_double_eq_tol(jnum(j, "contact_area/2-3/isotropic_area_um2"),
                            80 * 24e-6 * 2 / 3, 1e-12);
    free(j);
    fib_test_rmdir(dir);
}
END_TEST

/* Area (nm^2) of a binary STL. */
static double stl_area(const char *path, size_t *ntri)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint32_t n = 0;
    ck_assert_int_eq(fseek(f, 80, SEEK_SET), 0);
    ck_assert_uint_eq(fread(&n, 4, 1, f), 1);
    double area = 0;
    for (uint32_t t = 0; t < n; t++) {
        float r[12];
        uint16_t attr;
        ck_assert_uint_eq(fread(r, 4, 12, f), 12);
        ck_assert_uint_eq(fread(&attr, 2, 1, f), 1);
        double u[3], w[3];
        for (int a = 0; a < 3; a++) {
            u[a] = (double)r[6 + a] - (double)r[3 + a];
            w[a] = (double)r[9 + a] - (double)r[3 + a];
        }
        const double c[3] = {u[1] * w[2] - u[2] * w[1],
                             u[2] * w[0] - u[0] * w[2],
                             u[0] * w[1] - u[1] * w[0]};
        area += 0.5 * sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    }
    fclose(f);
    *ntri = n;
    return area;
}

/* --mesh-closed: label 1 of the prisms (8 x 12 x 10 voxels of 4 x 5 x 6
 * nm, touching five volume faces) meshed with a background layer padded:
 * the closed marching-cubes box, flat faces between the outer voxel
 * centres, chamfer strips of half-voxel legs along the edges and eight
 * corner triangles; without it only the x = 8 face (plus chamfers) is
 * there. */
START_TEST(test_mesh_closed)
{
    char dir[512], in[600], json[600], stl[700];
    fib_volume v = {0};
    prisms(&v, false);
    fib_job_measure_params p;
    case_setup(&v, "prisms.tif", dir, in, json, &p);
    snprintf(stl, sizeof stl, "%s/m.stl", dir);
    p.mesh_path = stl;
    p.phases[0] = 1;
    p.n_phases = 1;
    p.voxel_nm[0] = 4;
    p.voxel_nm[1] = 5;
    p.voxel_nm[2] = 6;
    fib_error e = {0};
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    size_t n_open = 0, n_closed = 0;
    const double open = stl_area(stl, &n_open);
    p.mesh_closed = true;
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    const double closed = stl_area(stl, &n_closed);
    const double a = 8, b = 12, c = 10, sx = 4, sy = 5, sz = 6;
    const double flat =
        2 * ((b - 1) * (c - 1) * sy * sz + (a - 1) * (c - 1) * sx * sz +
             (a - 1) * (b - 1) * sx * sy);
    const double strips = 4 * ((a - 1) * sx * hypot(sy, sz) / 2 +
                               (b - 1) * sy * hypot(sx, sz) / 2 +
                               (c - 1) * sz * hypot(sx, sy) / 2);
    const double corner = 0.5 * sqrt(pow(sy * sz / 4, 2) + pow(sx * sz / 4, 2) +
                                     pow(sx * sy / 4, 2));
    ck_assert_double_eq_tol(closed, flat + strips + 8 * corner, 1e-4 * closed);
    /* open: the x = 8 face reaches the border cut, (b - 1) x (c - 1) plus
       half-voxel margins at most */
    ck_assert_double_le(open, b * sy * c * sz);
    ck_assert_double_ge(open, (b - 1) * sy * (c - 1) * sz);
    ck_assert_uint_gt(n_closed, n_open);
    fib_test_rmdir(dir);
}
END_TEST

/* Segmentation uncertainty: the prisms' labels 1/2/3 with a grey value
 * 100 x label + a deterministic pattern in -45..45 (gaps of 10 between the
 * classes).  Thresholds moved by 20 grey levels cut into the classes, so
 * the range of each volume fraction brackets the nominal strictly; delta
 * 0 collapses it; the nominal re-classification equals the labels. */
START_TEST(test_uncertainty)
{
    char dir[512], in[600], json[600], grey[700];
    fib_volume v = {0}, g = {0};
    prisms(&v, false);
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(&g, FIB_PX_F32, 16, 12, 10, &e), FIB_OK);
    for (size_t i = 0; i < 16 * 12 * 10; i++)
        ((float *)g.data)[i] =
            (float)(100 * ((uint16_t *)v.data)[i] + (int)((i * 37) % 91) - 45);
    fib_job_measure_params p;
    case_setup(&v, "prisms.tif", dir, in, json, &p);
    snprintf(grey, sizeof grey, "%s/grey.mrc", dir);
    write_vol(grey, &g);
    fib_volume_clear(&g);
    p.uncertainty = true;
    p.uncertainty_delta = 20;
    ck_assert_int_eq(fib_job_measure(&p, NULL, NULL, &e), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "--grey"));
    p.grey_path = grey;
    p.tortuosity_axes[0] = true;
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    char *j = slurp(json);
    const char *u = "segmentation_uncertainty";
    char k[128];
    snprintf(k, sizeof k, "%s/nominal_agreement_with_labels", u);
    ck_assert_double_eq(jnum(j, k), 1);
    snprintf(k, sizeof k, "%s/variants", u);
    ck_assert_double_eq(jnum(j, k), 4);
    for (int lab = 1; lab <= 3; lab++) {
        char kn[128], kl[128], kh[128];
        snprintf(kn, sizeof kn, "%s/%d/volume_fraction/nominal", u, lab);
        snprintf(kl, sizeof kl, "%s/%d/volume_fraction/range/#0", u, lab);
        snprintf(kh, sizeof kh, "%s/%d/volume_fraction/range/#1", u, lab);
        ck_assert_double_eq(jnum(j, kn), lab == 1 ? 0.5 : 0.25);
        ck_assert_double_lt(jnum(j, kl), jnum(j, kn));
        ck_assert_double_gt(jnum(j, kh), jnum(j, kn));
        snprintf(kn, sizeof kn, "%s/%d/tortuosity_x/nominal", u, lab);
        ck_assert(jhas(j, kn));
    }
    free(j);
    /* delta 0: the range is the nominal */
    p.uncertainty_delta = 0;
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e) == FIB_OK, "%s", e.msg);
    j = slurp(json);
    for (int lab = 1; lab <= 3; lab++) {
        char kn[128], kl[128], kh[128];
        snprintf(kn, sizeof kn, "%s/%d/specific_surface_per_um/nominal", u,
                 lab);
        snprintf(kl, sizeof kl, "%s/%d/specific_surface_per_um/range/#0", u,
                 lab);
        snprintf(kh, sizeof kh, "%s/%d/specific_surface_per_um/range/#1", u,
                 lab);
        ck_assert_double_eq(jnum(j, kl), jnum(j, kn));
        ck_assert_double_eq(jnum(j, kh), jnum(j, kn));
    }
    free(j);
    fib_test_rmdir(dir);
}
END_TEST

/* A substrate (label 1, z < 2) with a deposit slab (label 2, z 2..5 over
 * x < 6) and a 4 x 4 particle block (label 3) wrapped in a 3-voxel coating
 * (label 4), 5 nm voxels: heights over face z0, contact, coating. */
START_TEST(test_substrate_coating)
{
    char dir[512], in[600], json[600], ply[600];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/dep.mrc", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(ply, sizeof ply, "%s/c.ply", dir);
    fib_volume v = {0};
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 12, 24, 24, &e), FIB_OK);
    uint8_t *d = v.data;
    for (size_t z = 0; z < 24; z++)
        for (size_t y = 0; y < 24; y++)
            for (size_t x = 0; x < 12; x++) {
                const bool core =
                    x >= 4 && x < 8 && y >= 14 && y < 18 && z >= 12 && z < 16;
                const bool shell =
                    x >= 1 && x < 11 && y >= 11 && y < 21 && z >= 9 && z < 19;
                d[(z * 24 + y) * 12 + x] = z < 2            ? 1
                                           : z < 6 && y < 8 ? 2
                                           : core           ? 3
                                           : shell          ? 4
                                                            : 0;
            }
    for (int a = 0; a < 3; a++)
        v.voxel_size_nm[a] = 5;
    write_vol(in, &v);
    fib_volume_clear(&v);
    fib_job_measure_params p;
    fib_job_measure_defaults(&p);
    p.labels_path = in;
    p.json_path = json;
    p.mesh_path = ply;
    p.thickness = false;
    p.substrate_face = 4;
    p.coating = true;
    p.coating_particle = 3;
    p.coating_label = 4;
    lines msg = {.all_results = true};
    const fib_job_env env = {.message = collect, .message_user = &msg};
    ck_assert_msg(fib_job_measure(&p, &env, NULL, &e) == FIB_OK, "%s", e.msg);
    char *j = slurp(json);
    /* deposit over a third of the columns (y < 8), 6 voxels = 30 nm from
     * the face: mean over all columns 10 nm, dense 4 voxels x 1/3 */
    ck_assert_double_le(
        fabs(jnum(j, "deposit_height/2/covered_fraction") - 1.0 / 3), 1e-9);
    ck_assert_double_le(fabs(jnum(j, "deposit_height/2/max_um") - 0.030),
                        1e-12);
    ck_assert_double_le(fabs(jnum(j, "deposit_height/2/mean_um") - 0.010),
                        1e-9);
    ck_assert_double_le(
        fabs(jnum(j, "deposit_height/2/dense_thickness_um") - 0.020 / 3), 1e-9);
    ck_assert_double_eq(jnum(j, "deposit_height/1/covered_fraction"), 1);
    ck_assert_double_eq(jnum(j, "objects/1/touching_substrate"), 1);
    ck_assert_double_eq(jnum(j, "objects/2/touching_substrate"), 0);
    ck_assert_double_eq(jnum(j, "objects/2/isolated_from_substrate"), 1);
    /* the coating covers the whole particle, 3 voxels = 15 nm thick (the
     * normals at edges and corners run longer); threshold 1 voxel */
    ck_assert_double_eq(jnum(j, "coating/particle_label"), 3);
    ck_assert_double_eq(jnum(j, "coating/threshold_nm"), 5);
    ck_assert_double_eq(jnum(j, "coating/coverage"), 1);
    const double t = jnum(j, "coating/mean_thickness_nm");
    ck_assert_double_ge(t, 15 - 2.5);
    ck_assert_double_le(t, 15 * 1.5);
    free(j);
    ck_assert(exists(ply));
    ck_assert_ptr_nonnull(strstr(msg.text[msg.n - 2], "triangles)"));
    fib_test_rmdir(dir);
}
END_TEST

/* A straight rod (3 x 3 voxels, 16 long along x) thins to one branch
 * with two end points and no junction. */
START_TEST(test_skeleton_rod)
{
    char dir[512], in[600], json[600];
    fib_volume v = {0};
    fib_error e = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, 20, 9, 9, &e), FIB_OK);
    uint8_t *d = v.data;
    for (size_t z = 3; z < 6; z++)
        for (size_t y = 3; y < 6; y++)
            for (size_t x = 2; x < 18; x++)
                d[(z * 9 + y) * 20 + x] = 1;
    for (int a = 0; a < 3; a++)
        v.voxel_size_nm[a] = 10;
    fib_job_measure_params p;
    case_setup(&v, "rod.nrrd", dir, in, json, &p);
    p.skeleton = true;
    p.tortuosity_axes[0] = true;
    fib_error e2 = {0};
    ck_assert_msg(fib_job_measure(&p, NULL, NULL, &e2) == FIB_OK, "%s", e2.msg);
    char *j = slurp(json);
    ck_assert_double_eq(jnum(j, "skeleton/1/branches"), 1);
    ck_assert_double_eq(jnum(j, "skeleton/1/junctions"), 0);
    ck_assert_double_eq(jnum(j, "skeleton/1/end_points"), 2);
    ck_assert_double_eq(jnum(j, "skeleton/1/junctions_per_um3"), 0);
    const double len = jnum(j, "skeleton/1/total_length_um");
    ck_assert_double_le(len, 0.16);
    ck_assert_double_ge(len, 0.16 - 4 * 0.01);
    ck_assert_double_le(fabs(jnum(j, "skeleton/1/mean_branch_tortuosity") - 1),
                        1e-9);
    /* the rod does not reach the faces x = 0 and x = 19 */
    ck_assert(jis(j, "tortuosity/1/x", "\"inf\""));
    ck_assert(jis(j, "macmullin_number/1/x", "\"inf\""));
    free(j);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_check)
{
    fib_job_measure_params p;
    fib_job_measure_defaults(&p);
    fib_error e = {0};
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_EINVAL);
    p.labels_path = "in.mrc";
    p.json_path = "r.json";
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_OK);
    p.mesh_path = "m.obj";
    fib_error e2 = {0};
    ck_assert_int_eq(fib_job_measure_check(&p, &e2), FIB_EINVAL);
    ck_assert_str_eq(e2.msg, "m.obj: --mesh must end in .stl or .ply");
    p.mesh_path = "m.PLY";
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_OK);
    p.connectivity = 7;
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_EINVAL);
    p.connectivity = 26;
    p.voxel_nm[0] = 1;
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_EINVAL);
    p.voxel_nm[1] = p.voxel_nm[2] = 1;
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_OK);
    p.tpb = true;
    p.tpb_labels[0] = p.tpb_labels[1] = 1;
    ck_assert_int_eq(fib_job_measure_check(&p, &e), FIB_EINVAL);

    /* a label volume that is not one: f32 with a fraction; nothing out */
    char dir[512], in[600], json[600];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/f.mrc", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    fib_volume v = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_F32, 4, 4, 4, &e), FIB_OK);
    ((float *)v.data)[5] = 1.5f;
    write_vol(in, &v);
    fib_volume_clear(&v);
    fib_job_measure_defaults(&p);
    p.labels_path = in;
    p.json_path = json;
    fib_error e3 = {0};
    ck_assert_int_eq(fib_job_measure(&p, NULL, NULL, &e3), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(e3.msg, "voxel 5 holds 1.5, not a label"));
    ck_assert(!exists(json));
    fib_test_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_measure");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ball);
    tcase_add_test(tc, test_prisms);
    tcase_add_test(tc, test_voxel_units);
    tcase_add_test(tc, test_battery);
    tcase_add_test(tc, test_substrate_coating);
    tcase_add_test(tc, test_skeleton_rod);
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_mesh_closed);
    tcase_add_test(tc, test_uncertainty);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
