/* cmd_measure.c -- `cryofib measure LABELS --json REPORT.json`: volume
 * fractions, surfaces, objects, local thickness, tortuosity, skeleton,
 * deposit height and coating of a label volume. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fib/canvas.h"
#include "fib/formats.h"
#include "fib/picture.h"
#include "fib/measure.h"
#include "fib/mesh_io.h"
#include "fib/report.h"
#include "fib/segment.h"

#define MAX_PHASES 16

static void usage(void)
{
    printf(
        "usage: cryofib measure LABELS --json REPORT.json [options]\n"
        "\n"
        "Measure a label or binary volume (MRC, TIFF stack, NRRD; any integer\n"
        "label values such as 0/85/170 or 0/1/2).\n"
        "\n"
        "  --phase VALUE          measure this label (repeatable; default: "
        "every\n"
        "                         non-zero label; the output lists the "
        "labels\n"
        "                         measured)\n"
        "  --tortuosity AXES      x, y, z or all (x = columns, y = rows, z = "
        "slices)\n"
        "  --voxel-nm X,Y,Z       voxel size (overrides the file)\n"
        "  --units auto|physical|voxel  report units (default auto: "
        "physical when\n"
        "                         the voxel size is known, else voxel "
        "units with a\n"
        "                         note; physical: refuse (exit 2) without "
        "it)\n"
        "  --json REPORT.json     the report (required)\n"
        "  --csv OBJECTS.csv      one row per connected object\n"
        "  --mesh OUT.stl|.ply    surface of the first measured phase (with\n"
        "                         --coating: the particle surface, PLY scalar\n"
        "                         coating_nm)\n"
        "  --grey VOLUME          grey volume under the label overlay of the\n"
        "                         pictures (same size as LABELS)\n"
        "  --pictures DIR         PNG pictures: orthoslices with coloured "
        "labels and\n"
        "                         scale bar, z projection, shaded surface "
        "per phase\n"
        "  --view X,Y,Z           view direction of the surface pictures\n"
        "                         (default 1,0.6,-0.8)\n"
        "  --substrate FACE       x0 x1 y0 y1 z0 z1: substrate face for "
        "heights,\n"
        "                         contact and the deposit thickness map\n"
        "  --coating P,C[,TMIN]   coating label C on particle label P; "
        "coverage\n"
        "                         with thickness >= TMIN nm (default 1 voxel)\n"
        "  --connectivity N       6 (default), 18 or 26 for objects\n"
        "  --smooth SIGMA         Gaussian pre-smoothing (voxels) for surface\n"
        "                         areas (default 0 = binary marching cubes)\n"
        "  --skeleton             skeleton/dendrite metrics (Lee 1994)\n"
        "  --tpb A,B,C            triple-phase boundary of labels A, B, C "
        "(length\n"
        "                         density, active fraction along "
        "--battery-axis)\n"
        "  --chords               chord-length distributions along x, y, z\n"
        "  --two-point MAXLAG     two-point correlation S2 along x, y, z, "
        "lags\n"
        "                         0..MAXLAG voxels\n"
        "  --battery              all battery metrics: TPB (three labels), "
        "chords,\n"
        "                         two-point (lags to a quarter of the "
        "axis),\n"
        "                         tortuosity and MacMullin number along "
        "the axis\n"
        "  --battery-axis x|y|z   transport axis (default z)\n"
        "  --no-thickness         skip local thickness\n"
        "  --tol T                tortuosity relative residual (default "
        "1e-6)\n"
        "  --quiet                no progress output\n");
}

static int parse_face(const char *s)
{
    static const char *names[6] = {"x0", "x1", "y0", "y1", "z0", "z1"};
    for (int i = 0; i < 6; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static inline uint32_t lab_at(const fib_volume *v, size_t i)
{
    switch (v->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)v->data)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)v->data)[i];
    default:
        return ((const uint32_t *)v->data)[i];
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

/* Distinct label values (sorted, at most max). */
static size_t distinct(const fib_volume *v, uint32_t *vals, size_t max)
{
    size_t n = v->nx * v->ny * v->nz, k = 0;
    if (v->type == FIB_PX_U8 || v->type == FIB_PX_U16) {
        size_t nb = v->type == FIB_PX_U8 ? 256 : 65536;
        unsigned char *seen = calloc(nb, 1);
        if (!seen)
            return 0;
        for (size_t i = 0; i < n; i++)
            seen[lab_at(v, i)] = 1;
        for (size_t b = 0; b < nb && k < max; b++)
            if (seen[b])
                vals[k++] = (uint32_t)b;
        free(seen);
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x = lab_at(v, i);
        size_t j = 0;
        while (j < k && vals[j] != x)
            j++;
        if (j == k) {
            if (k == max)
                break;
            vals[k++] = x;
        }
    }
    qsort(vals, k, sizeof *vals, cmp_u32);
    return k;
}

static void key_u32(fib_fmt_json *j, uint32_t v)
{
    char b[16];
    snprintf(b, sizeof b, "%u", v);
    fib_fmt_json_key(j, b);
}

static const char *axis_name[3] = {"x", "y", "z"};

/* ---- units: physical, or voxel units when the voxel size is unknown ----
 * With an unknown voxel size the volume is measured with unit voxels
 * (1 "nm" = 1 voxel edge, cubic voxels assumed) and every length, area,
 * volume and density is reported in voxel units under renamed keys
 * (area_um2 -> area_vox2, ..._per_um -> ..._per_vox), never as um or nm
 * that the file does not support.  The rule is read off the key's unit
 * suffix, so keys and values cannot disagree. */
typedef struct unit_rule {
    const char *phys, *vox;
    double factor; /* library value (um-based, 1 nm = 1 voxel) -> voxels */
} unit_rule;

static const unit_rule unit_rules[] = {{"_per_um3", "_per_vox3", 1e-9},
                                       {"_per_um", "_per_vox", 1e-3},
                                       {"_um3", "_vox3", 1e9},
                                       {"_um2", "_vox2", 1e6},
                                       {"_um", "_vox", 1e3},
                                       {"_nm", "_vox", 1.0}};

static const unit_rule *rule_of(const char *key)
{
    const size_t n = strlen(key);
    for (size_t r = 0; r < sizeof unit_rules / sizeof unit_rules[0]; r++) {
        const size_t m = strlen(unit_rules[r].phys);
        if (n >= m && strcmp(key + n - m, unit_rules[r].phys) == 0)
            return &unit_rules[r];
    }
    return NULL;
}

/* @p key with its unit suffix in voxel units when @p vox (a ring of
 * buffers: valid for the next few calls). */
static const char *ukey(bool vox, const char *key)
{
    static char ring[8][96];
    static unsigned at;
    const unit_rule *r = vox ? rule_of(key) : NULL;
    if (!r)
        return key;
    char *b = ring[at++ % 8];
    const size_t stem = strlen(key) - strlen(r->phys);
    snprintf(b, sizeof ring[0], "%.*s%s", (int)stem, key, r->vox);
    return b;
}

/* @p v (in the unit of @p key's suffix) in voxel units when @p vox. */
static double uval(bool vox, const char *key, double v)
{
    const unit_rule *r = vox ? rule_of(key) : NULL;
    return r ? v * r->factor : v;
}

static void jnum(fib_fmt_json *j, bool vox, const char *key, double v)
{
    fib_fmt_json_kv_number(j, ukey(vox, key), uval(vox, key, v));
}

/* One picture: grey base image (may be NULL), optional u32 overlay, scale
 * bar over @p phys_w_nm, title; written to DIR/NAME.png. */
static fib_status picture(const char *dir, const char *show_dir,
                          const char *name, const fib_image *base,
                          const fib_image *overlay, double phys_w_nm,
                          double phys_h_nm, bool scale_bar, const char *title,
                          fib_error *err)
{
    fib_canvas *cv = NULL;
    char path[4096];
    fib_status st = fib_canvas_create(640, 560, FIB_RGB_BLACK, &cv, err);
    if (st != FIB_OK)
        return st;
    fib_canvas_rect box = {10, 30, 620, 520};
    fib_canvas_rect r = fib_canvas_fit_rect(box, phys_w_nm, phys_h_nm);
    if (base && (st = fib_canvas_draw_image(cv, base, r, NULL, err)) != FIB_OK)
        goto done;
    if (overlay &&
        (st = fib_canvas_draw_labels(cv, overlay, r, NULL, err)) != FIB_OK)
        goto done;
    fib_canvas_text(cv, 10, 10, title, 1, FIB_RGB_WHITE);
    /* no bar in voxel units: a bar in nm would invent a length */
    fib_scale_bar_params sb = {.width_nm = phys_w_nm};
    if (scale_bar &&
        (st = fib_canvas_scale_bar(cv, r, &sb, NULL, NULL, err)) != FIB_OK)
        goto done;
    if (!scale_bar)
        fib_canvas_text(cv, 10, 548, "voxel units: no scale bar", 1,
                        FIB_RGB_WHITE);
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    st = fib_fmt_canvas_write_png(path, cv, err);
    if (st == FIB_OK)
        printf("wrote %s/%s.png\n", show_dir, name);
done:
    fib_canvas_destroy(cv);
    return st;
}

/* Orthoslices through the centre with a coloured label overlay (label
 * values mapped to their rank among the distinct values), a maximum-
 * intensity projection along z and a shaded surface per phase. */
static fib_status
write_pictures(const char *dir, const char *show_dir, const fib_volume *vol,
               const fib_volume *grey_vol, const uint32_t *vals, size_t nval,
               const uint32_t *phases, size_t nphase, const double view[3],
               bool scale_bar, fib_error *err)
{
    static const char *pname[3] = {"ortho_yz", "ortho_xz", "ortho_xy"};
    size_t d[3] = {vol->nx, vol->ny, vol->nz};
    const double *sp = vol->voxel_size_nm;
    fib_status st = FIB_OK;
    for (int a = 0; a < 3 && st == FIB_OK; a++) {
        fib_image sl = {0}, grey = {0}, ov = {0}, gsl = {0};
        st = fib_recon_orthoslice(vol, a, d[a] / 2, &sl, err);
        if (st == FIB_OK && grey_vol)
            st = fib_recon_orthoslice(grey_vol, a, d[a] / 2, &gsl, err);
        if (st == FIB_OK)
            st = fib_image_init(&grey, FIB_PX_F32, sl.width, sl.height, err);
        if (st == FIB_OK)
            st = fib_image_init(&ov, FIB_PX_U32, sl.width, sl.height, err);
        if (st == FIB_OK) {
            for (size_t y = 0; y < sl.height; y++)
                for (size_t x = 0; x < sl.width; x++) {
                    uint32_t v = (uint32_t)fib_image_get(&sl, x, y);
                    size_t rank = 0;
                    while (rank < nval && vals[rank] != v)
                        rank++;
                    ((float *)fib_image_row(&grey, y))[x] = (float)rank;
                    ((uint32_t *)fib_image_row(&ov, y))[x] =
                        v == 0 ? 0 : (uint32_t)rank + 1;
                }
            int u = a == 0 ? 1 : 0, w = a == 2 ? 1 : 2;
            char title[128];
            snprintf(title, sizeof title, "%s slice %zu (labels coloured)",
                     a == 0   ? "x"
                     : a == 1 ? "y"
                              : "z",
                     d[a] / 2);
            st = picture(dir, show_dir, pname[a], grey_vol ? &gsl : &grey, &ov,
                         (double)d[u] * sp[u], (double)d[w] * sp[w], scale_bar,
                         title, err);
        }
        fib_image_clear(&gsl);
        fib_image_clear(&sl);
        fib_image_clear(&grey);
        fib_image_clear(&ov);
    }
    if (st == FIB_OK) {
        fib_image mip = {0};
        st = fib_recon_mip(grey_vol ? grey_vol : vol, 2, &mip, err);
        if (st == FIB_OK)
            st = picture(dir, show_dir, "mip_z", &mip, NULL,
                         (double)d[0] * sp[0], (double)d[1] * sp[1], scale_bar,
                         "maximum-intensity projection along z", err);
        fib_image_clear(&mip);
    }
    for (size_t p = 0; p < nphase && st == FIB_OK; p++) {
        fib_image img = {0};
        st =
            fib_recon_render_surface(vol, phases[p], view, 620, 520, &img, err);
        if (st == FIB_OK) {
            char name[64], title[128];
            snprintf(name, sizeof name, "surface_%u", phases[p]);
            snprintf(title, sizeof title,
                     "phase %u seen along (%.2g, %.2g, %.2g)", phases[p],
                     view[0], view[1], view[2]);
            fib_canvas *cv = NULL;
            char path[4096];
            st = fib_canvas_create(640, 560, FIB_RGB_BLACK, &cv, err);
            fib_canvas_rect r = {10, 30, 620, 520};
            if (st == FIB_OK)
                st = fib_canvas_draw_image(cv, &img, r, NULL, err);
            if (st == FIB_OK) {
                fib_canvas_text(cv, 10, 10, title, 1, FIB_RGB_WHITE);
                snprintf(path, sizeof path, "%s/%s.png", dir, name);
                st = fib_fmt_canvas_write_png(path, cv, err);
                if (st == FIB_OK)
                    printf("wrote %s/%s.png\n", show_dir, name);
            }
            fib_canvas_destroy(cv);
        }
        fib_image_clear(&img);
    }
    return st;
}

/* ---- battery metrics (issue 17; definitions in fib/measure.h) -------- */

typedef struct battery_opts {
    bool all, chords, tpb_given;
    uint32_t tpb[3];
    size_t max_lag; /* two-point lags; 0 = none (all: a quarter axis) */
    int axis;       /* transport axis */
} battery_opts;

static fib_status battery_report(fib_fmt_json *j, const fib_volume *vol,
                                 const uint32_t *vals, size_t nval,
                                 const uint32_t *phases, size_t nphase,
                                 const battery_opts *o, bool vu, fib_error *err)
{
    fib_status st = FIB_OK;
    const double *sp = vol->voxel_size_nm;
    uint32_t tp[3];
    bool do_tpb = o->tpb_given;
    if (do_tpb)
        memcpy(tp, o->tpb, sizeof tp);
    else if (o->all && nval == 3) {
        memcpy(tp, vals, sizeof tp);
        do_tpb = true;
    }
    if (do_tpb) {
        fib_tpb_result r;
        if ((st = fib_recon_tpb(vol, tp, o->axis, &r, err)) != FIB_OK)
            return st;
        fib_fmt_json_key(j, "triple_phase_boundary");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_key(j, "labels");
        fib_fmt_json_begin_array(j);
        for (int k = 0; k < 3; k++)
            fib_fmt_json_int(j, tp[k]);
        fib_fmt_json_end_array(j);
        fib_fmt_json_kv_string(
            j, "method",
            "voxel edges whose 4 voxels hold all three labels (TauFactor's "
            "edge count; oblique lines counted as staircases)");
        fib_fmt_json_kv_int(j, "edges", (long long)r.n_edges);
        fib_fmt_json_kv_number(j, "edge_fraction", r.edge_fraction);
        /* um / um^3 = 1 / um^2; in voxel units: edges per voxel */
        const double vox_vol = (double)(vol->nx * vol->ny * vol->nz);
        if (vu) {
            fib_fmt_json_kv_number(j, "density_per_vox2",
                                   (double)r.n_edges / vox_vol);
            fib_fmt_json_kv_number(j, "active_density_per_vox2",
                                   (double)r.n_edges_active / vox_vol);
        } else {
            fib_fmt_json_kv_number(j, "length_um", r.length_um);
            fib_fmt_json_kv_number(j, "density_per_um2", r.density_um_per_um3);
            fib_fmt_json_kv_number(j, "active_density_per_um2",
                                   r.active_density_um_per_um3);
        }
        fib_fmt_json_kv_string(j, "active_axis", axis_name[o->axis]);
        fib_fmt_json_kv_number(j, "active_fraction", r.active_fraction);
        fib_fmt_json_end_object(j);
        printf("triple-phase boundary %u/%u/%u: %.6g %s, active fraction "
               "%.4f along %s\n",
               tp[0], tp[1], tp[2],
               vu ? (double)r.n_edges / vox_vol : r.density_um_per_um3,
               vu ? "edges per voxel" : "um/um^3", r.active_fraction,
               axis_name[o->axis]);
    }
    if (o->chords) {
        fib_fmt_json_key(j, "chords");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "method",
                               "runs of the label along each axis; chords "
                               "cut by the volume border left out");
        for (size_t p = 0; p < nphase; p++) {
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++) {
                fib_chord_result c;
                if ((st = fib_recon_chords(vol, phases[p], a, false, 0, &c,
                                           err)) != FIB_OK)
                    return st;
                fib_fmt_json_key(j, axis_name[a]);
                fib_fmt_json_begin_object(j);
                fib_fmt_json_kv_int(j, "count", (long long)c.n_chords);
                fib_fmt_json_kv_int(j, "border_chords",
                                    (long long)c.n_border_chords);
                jnum(j, vu, "mean_nm", c.mean_nm);
                jnum(j, vu, "sd_nm", c.sd_nm);
                jnum(j, vu, "length_weighted_mean_nm", c.weighted_mean_nm);
                jnum(j, vu, "bin_nm", c.bin_nm);
                /* the histogram up to its last non-empty bin */
                size_t last = 0;
                for (size_t k = 0; k < c.n_bins; k++)
                    if (c.counts[k])
                        last = k + 1;
                fib_fmt_json_key(j, "histogram");
                fib_fmt_json_begin_array(j);
                for (size_t k = 0; k < last; k++)
                    fib_fmt_json_int(j, (long long)c.counts[k]);
                fib_fmt_json_end_array(j);
                fib_fmt_json_end_object(j);
                if (c.n_chords)
                    printf("phase %u: chords along %s: %zu, mean %.4g %s\n",
                           phases[p], axis_name[a], c.n_chords, c.mean_nm,
                           vu ? "voxels" : "nm");
                else
                    printf("phase %u: chords along %s: none inside the "
                           "volume (%zu cut by the border)\n",
                           phases[p], axis_name[a], c.n_border_chords);
                fib_chord_result_clear(&c);
            }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }
    if (o->all) {
        /* representative volume: volume fraction of every measured label
         * (and the TPB density) on boxes of 1/8 .. 1 of the volume */
        enum { STEPS = 4 };
        fib_fmt_json_key(j, "representative_volume");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(
            j, "method",
            "metric on boxes of side 1/8, 1/4, 1/2 and 1 of the volume (up "
            "to 4 per axis, spread evenly): mean and sd per size; settled = "
            "the smallest size from which sd and |mean - whole| stay within "
            "5 % of the whole-volume value");
        for (size_t p = 0; p <= nphase; p++) {
            const bool tpb_row = p == nphase;
            if (tpb_row && !do_tpb)
                break;
            fib_rev_point pt[STEPS];
            size_t settled = STEPS;
            const uint32_t v3[3] = {tpb_row ? tp[0] : phases[p], tp[1], tp[2]};
            if ((st = fib_recon_rev(
                     vol,
                     tpb_row ? FIB_REV_TPB_DENSITY : FIB_REV_VOLUME_FRACTION,
                     tpb_row ? tp : v3, STEPS, 0.05, pt, &settled, err)) !=
                FIB_OK)
                return st;
            if (tpb_row)
                fib_fmt_json_key(j, "tpb_density");
            else
                key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_key(j, "box_vox");
            fib_fmt_json_begin_array(j);
            for (int k = 0; k < STEPS; k++) {
                fib_fmt_json_begin_array(j);
                for (int a = 0; a < 3; a++)
                    fib_fmt_json_int(j, (long long)pt[k].size_vox[a]);
                fib_fmt_json_end_array(j);
            }
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "mean");
            fib_fmt_json_begin_array(j);
            for (int k = 0; k < STEPS; k++)
                fib_fmt_json_number(j, pt[k].mean);
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "sd");
            fib_fmt_json_begin_array(j);
            for (int k = 0; k < STEPS; k++)
                fib_fmt_json_number(j, pt[k].sd);
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "settled_box_vox");
            if (settled < STEPS) {
                fib_fmt_json_begin_array(j);
                for (int a = 0; a < 3; a++)
                    fib_fmt_json_int(j, (long long)pt[settled].size_vox[a]);
                fib_fmt_json_end_array(j);
            } else {
                fib_fmt_json_null(j);
            }
            fib_fmt_json_end_object(j);
            if (settled < STEPS)
                printf("%s %u: representative volume from %zu x %zu x %zu "
                       "voxels\n",
                       tpb_row ? "TPB density" : "volume fraction of",
                       tpb_row ? tp[0] : phases[p], pt[settled].size_vox[0],
                       pt[settled].size_vox[1], pt[settled].size_vox[2]);
            else
                printf("%s %u: not settled within the volume (the volume "
                       "is smaller than its representative volume)\n",
                       tpb_row ? "TPB density" : "volume fraction of",
                       tpb_row ? tp[0] : phases[p]);
        }
        fib_fmt_json_end_object(j);
    }
    const size_t dims[3] = {vol->nx, vol->ny, vol->nz};
    if (o->max_lag || o->all) {
        fib_fmt_json_key(j, "two_point_correlation");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "method",
                               "S2(r) = fraction of voxel pairs r apart "
                               "along the axis, both inside the volume, "
                               "both in the label");
        jnum(j, vu, "lag_step_x_nm", sp[0]);
        jnum(j, vu, "lag_step_y_nm", sp[1]);
        jnum(j, vu, "lag_step_z_nm", sp[2]);
        for (size_t p = 0; p < nphase; p++) {
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++) {
                size_t lag = o->max_lag ? o->max_lag : dims[a] / 4;
                if (lag >= dims[a])
                    lag = dims[a] - 1;
                double *s2 = malloc((lag + 1) * sizeof *s2);
                if (!s2)
                    return fib_error_set(err, FIB_ENOMEM,
                                         "measure: out of memory");
                st = fib_recon_two_point(vol, phases[p], a, lag, s2, err);
                if (st) {
                    free(s2);
                    return st;
                }
                fib_fmt_json_key(j, axis_name[a]);
                fib_fmt_json_begin_array(j);
                for (size_t r = 0; r <= lag; r++)
                    fib_fmt_json_number(j, s2[r]);
                fib_fmt_json_end_array(j);
                free(s2);
            }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }
    return FIB_OK;
}

int cli_cmd_measure(int argc, char **argv)
{
    static const struct option lo[] = {
        {"phase", required_argument, 0, 'p'},
        {"tortuosity", required_argument, 0, 't'},
        {"voxel-nm", required_argument, 0, 'v'},
        {"units", required_argument, 0, 'U'},
        {"json", required_argument, 0, 'j'},
        {"csv", required_argument, 0, 'c'},
        {"mesh", required_argument, 0, 'm'},
        {"pictures", required_argument, 0, 'P'},
        {"grey", required_argument, 0, 'G'},
        {"substrate", required_argument, 0, 's'},
        {"coating", required_argument, 0, 'C'},
        {"connectivity", required_argument, 0, 'n'},
        {"smooth", required_argument, 0, 'S'},
        {"skeleton", no_argument, 0, 'k'},
        {"tpb", required_argument, 0, 'B'},
        {"chords", no_argument, 0, 'L'},
        {"two-point", required_argument, 0, 'W'},
        {"battery", no_argument, 0, 'Y'},
        {"battery-axis", required_argument, 0, 'X'},
        {"no-thickness", no_argument, 0, 'T'},
        {"tol", required_argument, 0, 'o'},
        {"view", required_argument, 0, 'V'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    uint32_t phases[MAX_PHASES];
    size_t nphase = 0;
    bool axes[3] = {false, false, false}, skeleton = false, thickness = true,
         quiet = false, have_coat = false;
    double view[3] = {1, 0.6, -0.8};
    double vox[3] = {0, 0, 0}, smooth = 0, tol = 1e-6, coat[3] = {0, 0, -1};
    const char *json_path = NULL, *csv_path = NULL, *mesh_path = NULL,
               *pic_dir = NULL, *grey_path = NULL;
    int face = -1, conn = 6;
    int units = 0; /* 0 auto, 1 physical, 2 voxel */
    battery_opts bat = {.axis = 2};
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
        double d;
        switch (c) {
        case 'p':
            if (!cli_parse_double("measure", "--phase", optarg, &d))
                return CLI_EXIT_USAGE;
            if (d < 0 || d > 4294967295.0 || d != floor(d))
                return cli_usage_error(
                    "measure", "--phase must be a label value >= 0 (got %s)",
                    optarg);
            if (nphase == MAX_PHASES)
                return cli_usage_error("measure", "at most %d --phase values",
                                       MAX_PHASES);
            phases[nphase++] = (uint32_t)d;
            break;
        case 't':
            if (strcmp(optarg, "all") == 0)
                axes[0] = axes[1] = axes[2] = true;
            else
                for (const char *q = optarg; *q; q++) {
                    if (*q >= 'x' && *q <= 'z')
                        axes[*q - 'x'] = true;
                    else if (*q != ',')
                        return cli_usage_error(
                            "measure",
                            "--tortuosity must be x, y, z or all (got %s)",
                            optarg);
                }
            break;
        case 'v':
            if (sscanf(optarg, "%lf,%lf,%lf", &vox[0], &vox[1], &vox[2]) != 3 ||
                !cli_length_nm_ok(vox[0]) || !cli_length_nm_ok(vox[1]) ||
                !cli_length_nm_ok(vox[2]))
                return cli_usage_error(
                    "measure",
                    "--voxel-nm needs X,Y,Z sizes > 0, in 0.01..1e6 nm (got "
                    "%s)",
                    optarg);
            break;
        case 'U':
            if (strcmp(optarg, "auto") == 0)
                units = 0;
            else if (strcmp(optarg, "physical") == 0)
                units = 1;
            else if (strcmp(optarg, "voxel") == 0)
                units = 2;
            else
                return cli_usage_error(
                    "measure",
                    "--units must be auto, physical or voxel (got %s)", optarg);
            break;
        case 'j':
            json_path = optarg;
            break;
        case 'c':
            csv_path = optarg;
            break;
        case 'm':
            mesh_path = optarg;
            break;
        case 'G':
            grey_path = optarg;
            break;
        case 'P':
            pic_dir = optarg;
            break;
        case 's':
            face = parse_face(optarg);
            if (face < 0)
                return cli_usage_error(
                    "measure",
                    "--substrate must be x0, x1, y0, y1, z0 or z1 (got %s)",
                    optarg);
            break;
        case 'C': {
            int k = sscanf(optarg, "%lf,%lf,%lf", &coat[0], &coat[1], &coat[2]);
            if (k < 2 || coat[0] < 0 || coat[1] < 0 || coat[0] == coat[1] ||
                (k == 3 && !(coat[2] >= 0)))
                return cli_usage_error(
                    "measure",
                    "--coating needs P,C[,TMIN_NM] with two different "
                    "labels (got %s)",
                    optarg);
            if (k == 2)
                coat[2] = -1;
            have_coat = true;
            break;
        }
        case 'n':
            if (!cli_parse_double("measure", "--connectivity", optarg, &d))
                return CLI_EXIT_USAGE;
            if (d != 6 && d != 18 && d != 26)
                return cli_usage_error(
                    "measure", "--connectivity must be 6, 18 or 26 (got %s)",
                    optarg);
            conn = (int)d;
            break;
        case 'S':
            if (!cli_parse_double("measure", "--smooth", optarg, &smooth))
                return CLI_EXIT_USAGE;
            if (!(smooth >= 0) || smooth > 20)
                return cli_usage_error("measure",
                                       "--smooth must be 0..20 voxels (got %s)",
                                       optarg);
            break;
        case 'B': {
            unsigned long t[3];
            char tail;
            if (sscanf(optarg, "%lu,%lu,%lu%c", &t[0], &t[1], &t[2], &tail) !=
                    3 ||
                t[0] > UINT32_MAX || t[1] > UINT32_MAX || t[2] > UINT32_MAX ||
                t[0] == t[1] || t[0] == t[2] || t[1] == t[2])
                return cli_usage_error("measure",
                                       "--tpb expects three distinct labels "
                                       "A,B,C (got '%s')",
                                       optarg);
            for (int k = 0; k < 3; k++)
                bat.tpb[k] = (uint32_t)t[k];
            bat.tpb_given = true;
            break;
        }
        case 'L':
            bat.chords = true;
            break;
        case 'W': {
            char *end;
            errno = 0;
            unsigned long l = strtoul(optarg, &end, 10);
            if (errno || *end || end == optarg || optarg[0] == '-' || l < 1 ||
                l > 100000)
                return cli_usage_error("measure",
                                       "--two-point expects a lag of 1 to "
                                       "100000 voxels (got '%s')",
                                       optarg);
            bat.max_lag = (size_t)l;
            break;
        }
        case 'Y':
            bat.all = true;
            break;
        case 'X':
            if (strlen(optarg) != 1 || optarg[0] < 'x' || optarg[0] > 'z')
                return cli_usage_error(
                    "measure", "--battery-axis must be x, y or z (got '%s')",
                    optarg);
            bat.axis = optarg[0] - 'x';
            break;
        case 'k':
            skeleton = true;
            break;
        case 'T':
            thickness = false;
            break;
        case 'o':
            if (!cli_parse_double("measure", "--tol", optarg, &tol))
                return CLI_EXIT_USAGE;
            if (!(tol > 0) || tol >= 1)
                return cli_usage_error(
                    "measure", "--tol must be in (0, 1) (got %s)", optarg);
            break;
        case 'V':
            if (sscanf(optarg, "%lf,%lf,%lf", &view[0], &view[1], &view[2]) !=
                    3 ||
                !isfinite(view[0] + view[1] + view[2]) ||
                !(fabs(view[0]) + fabs(view[1]) + fabs(view[2]) > 0))
                return cli_usage_error(
                    "measure", "--view needs a direction X,Y,Z (got %s)",
                    optarg);
            break;
        case 'q':
            quiet = true;
            break;
        default:
            return cli_usage_error(
                "measure", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("measure",
                               "expected one LABELS file (see --help)");
    if (!json_path)
        return cli_usage_error("measure", "--json REPORT.json is required");
    if (bat.all) {
        axes[bat.axis] = true;
        bat.chords = true;
    }
    if (mesh_path) {
        const char *dot = strrchr(mesh_path, '.');
        if (!dot || (strcasecmp(dot, ".stl") && strcasecmp(dot, ".ply")))
            return cli_usage_error(
                "measure", "%s: --mesh must end in .stl or .ply", mesh_path);
    }
    const char *in = argv[optind];
    {
        /* no output may be an input (labels, --grey, NRRD data files),
         * pictures included: their names are fixed */
        cli_inputs ins = {0};
        cli_inputs_add(&ins, in);
        cli_inputs_add(&ins, grey_path);
        if (cli_check_not_input("measure", "--json", json_path, ins.p, ins.n) ||
            cli_check_not_input("measure", "--csv", csv_path, ins.p, ins.n) ||
            cli_check_not_input("measure", "--mesh", mesh_path, ins.p, ins.n))
            return CLI_EXIT_USAGE;
        char pic[4096];
        struct stat pd;
        if (cli_check_not_input("measure", "--pictures", pic_dir, ins.p, ins.n))
            return CLI_EXIT_USAGE;
        const bool pic_exists =
            pic_dir && stat(pic_dir, &pd) == 0 && S_ISDIR(pd.st_mode);
        for (size_t k = 0; pic_exists && k < 4 + nphase; k++) {
            static const char *fixed[4] = {"ortho_yz", "ortho_xz", "ortho_xy",
                                           "mip_z"};
            if (k < 4)
                snprintf(pic, sizeof pic, "%s/%s.png", pic_dir, fixed[k]);
            else
                snprintf(pic, sizeof pic, "%s/surface_%u.png", pic_dir,
                         phases[k - 4]);
            if (cli_check_not_input("measure", "--pictures", pic, ins.p, ins.n))
                return CLI_EXIT_USAGE;
        }
    }
    fib_error err = {0};
    fib_volume vol = {0}, mask = {0}, cc = {0}, lt = {0}, greyv = {0};
    fib_fmt_json *J = NULL;
    fib_fmt_csv *C = NULL;
    fib_object_stats *obj = NULL;
    fib_mesh mesh = {0};
    cli_progress_state ps;
    fib_progress prog = cli_progress_make(&ps, quiet);
    /* every output is staged in the transaction and appears at the
     * commit, all together (fib/txn.h) */
    static const char *const pic_outputs[] = {"ortho_*.png", "mip_z.png",
                                              "surface_*.png"};
    fib_fmt_txn *txn = NULL;
    const char *s_json = NULL, *s_csv = NULL, *s_mesh = NULL, *s_pic = NULL;
    fib_status st = fib_fmt_txn_begin(&txn, &err);
    if (st == FIB_OK)
        st = fib_fmt_txn_path(txn, json_path, &s_json, &err);
    if (st == FIB_OK && csv_path)
        st = fib_fmt_txn_path(txn, csv_path, &s_csv, &err);
    if (st == FIB_OK && mesh_path)
        st = fib_fmt_txn_path(txn, mesh_path, &s_mesh, &err);
    if (st == FIB_OK && pic_dir)
        st = fib_fmt_txn_dir(txn, pic_dir, pic_outputs,
                             cli_dir_has(pic_dir, "mip_z.png")
                                 ? sizeof pic_outputs / sizeof *pic_outputs
                                 : 0,
                             &s_pic, &err);
    if (st == FIB_OK)
        st = fib_fmt_volume_read(in, NULL, &vol, NULL, &err);
    if (st != FIB_OK) {
        fib_fmt_txn_abort(txn);
        return cli_fail("measure", st, &err);
    }
    size_t n = vol.nx * vol.ny * vol.nz;
    if (vol.type == FIB_PX_F32) {
        fib_volume u = {0};
        st = fib_volume_init(&u, FIB_PX_U32, vol.nx, vol.ny, vol.nz, &err);
        if (st != FIB_OK)
            goto fail;
        for (size_t i = 0; i < n; i++) {
            float f = ((float *)vol.data)[i];
            if (!(f >= 0) || f != floorf(f) || f > 4294967040.0f) {
                fib_volume_clear(&u);
                st = fib_error_set(&err, FIB_EINVAL,
                                   "%s: voxel %zu holds %g, not a label "
                                   "(integer >= 0)",
                                   in, i, (double)f);
                goto fail;
            }
            ((uint32_t *)u.data)[i] = (uint32_t)f;
        }
        memcpy(u.voxel_size_nm, vol.voxel_size_nm, sizeof vox);
        memcpy(u.origin_nm, vol.origin_nm, sizeof vox);
        fib_volume_clear(&vol);
        vol = u;
    }
    /* voxel size: --voxel-nm, else the file; an unknown axis is never
     * taken as 1 nm: the whole report goes to voxel units (see ukey) */
    bool vox_known = true;
    char unknown_axes[8] = "";
    if (vox[0] > 0)
        memcpy(vol.voxel_size_nm, vox, sizeof vox);
    double file_vox[3];
    for (int a = 0; a < 3; a++) {
        file_vox[a] = vol.voxel_size_nm[a];
        if (!(vol.voxel_size_nm[a] > 0) || !isfinite(vol.voxel_size_nm[a])) {
            file_vox[a] = (double)NAN;
            vox_known = false;
            const size_t l = strlen(unknown_axes);
            snprintf(unknown_axes + l, sizeof unknown_axes - l, "%s%s",
                     l ? " " : "", axis_name[a]);
        }
    }
    if (!vox_known && units == 1) {
        st = fib_error_set(&err, FIB_EINVAL,
                           "%s: voxel size unknown in %s (not in the file "
                           "header) but --units physical was asked: pass "
                           "--voxel-nm X,Y,Z, or --units voxel",
                           in, unknown_axes);
        goto fail;
    }
    if (!vox_known && have_coat && coat[2] >= 0) {
        st = fib_error_set(&err, FIB_EINVAL,
                           "%s: --coating threshold %g nm needs the voxel "
                           "size, unknown in %s: pass --voxel-nm X,Y,Z",
                           in, coat[2], unknown_axes);
        goto fail;
    }
    const bool vu = !vox_known || units == 2; /* report in voxel units */
    if (vu)
        for (int a = 0; a < 3; a++)
            vol.voxel_size_nm[a] = 1;
    if (!vox_known)
        printf("cryofib measure: %s: voxel size unknown in %s: results in "
               "voxel units (lengths in voxel edges, areas in vox2, "
               "surface per voxel; cubic voxels assumed); pass --voxel-nm "
               "X,Y,Z for physical units\n",
               in, unknown_axes);
    else if (vu)
        printf("cryofib measure: results in voxel units (--units voxel; "
               "cubic voxels assumed)\n");
    uint32_t vals[256];
    size_t nval = distinct(&vol, vals, 256);
    const bool phases_given = nphase > 0;
    size_t not_measured = 0;
    if (nphase == 0) {
        for (size_t k = 0; k < nval; k++)
            if (vals[k] != 0 || nval == 1) {
                if (nphase < MAX_PHASES)
                    phases[nphase++] = vals[k];
                else
                    not_measured++;
            }
    }
    if (nphase == 0) {
        st = fib_error_set(&err, FIB_EINVAL, "%s: no label to measure", in);
        goto fail;
    }
    {
        /* say which labels are measured, and why the others are not */
        char list[16 * 12] = "";
        for (size_t p = 0; p < nphase; p++) {
            const size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%u", p ? ", " : "",
                     phases[p]);
        }
        const bool has0 = nval > 0 && vals[0] == 0;
        char why[160];
        if (phases_given)
            snprintf(why, sizeof why, "as given by --phase");
        else if (has0 && nval > 1)
            snprintf(why, sizeof why,
                     "label 0 = background skipped; --phase 0 to include");
        else
            snprintf(why, sizeof why, "every label present");
        printf("measured labels: %s (%s)\n", list, why);
        if (not_measured)
            printf("measure: %zu more labels not measured (at most %d; "
                   "choose them with --phase)\n",
                   not_measured, MAX_PHASES);
    }
    double *sp = vol.voxel_size_nm;
    if ((st = fib_fmt_json_create(2, &J, &err)) != FIB_OK)
        goto fail;
    if (csv_path && (st = fib_fmt_csv_create(&C, &err)) != FIB_OK)
        goto fail;
    if (C) {
        const char *hdr[] = {
            "phase",         "label",          "n_voxels",
            "volume_um3",    "area_um2",       "eq_diameter_um",
            "sphericity",    "centroid_x_nm",  "centroid_y_nm",
            "centroid_z_nm", "bbox_x0",        "bbox_y0",
            "bbox_z0",       "bbox_x1",        "bbox_y1",
            "bbox_z1",       "axis1_um",       "axis2_um",
            "axis3_um",      "axis1_x",        "axis1_y",
            "axis1_z",       "touches_border", "touches_substrate",
            "height_um"};
        for (size_t k = 0; k < sizeof hdr / sizeof hdr[0]; k++)
            fib_fmt_csv_field(C, ukey(vu, hdr[k]));
        fib_fmt_csv_end_row(C);
    }
    fib_fmt_json *j = J;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "input", in);
    fib_fmt_json_key(j, "dims");
    fib_fmt_json_begin_array(j);
    fib_fmt_json_int(j, (long long)vol.nx);
    fib_fmt_json_int(j, (long long)vol.ny);
    fib_fmt_json_int(j, (long long)vol.nz);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "voxel_size_nm");
    fib_fmt_json_begin_array(j);
    for (int a = 0; a < 3; a++)
        fib_fmt_json_number(j, file_vox[a]); /* null = unknown */
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_bool(j, "voxel_size_known", vox_known);
    fib_fmt_json_kv_string(j, "units", vu ? "voxel" : "physical");
    if (vu)
        fib_fmt_json_kv_string(
            j, "units_note",
            vox_known ? "voxel units as asked (--units voxel); cubic voxels "
                        "assumed"
                      : "voxel size unknown: lengths in voxel edges (_vox), "
                        "areas in _vox2, volumes in _vox3, densities per "
                        "voxel; cubic voxels assumed; pass --voxel-nm for "
                        "physical units");
    fib_fmt_json_key(j, "measured_labels");
    fib_fmt_json_begin_array(j);
    for (size_t p = 0; p < nphase; p++)
        fib_fmt_json_int(j, phases[p]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "volume_fraction");
    fib_fmt_json_begin_object(j);
    for (size_t k = 0; k < nval; k++) {
        double f;
        if ((st = fib_recon_volume_fraction(&vol, vals[k], &f, &err)) != FIB_OK)
            goto fail;
        key_u32(j, vals[k]);
        fib_fmt_json_number(j, f);
        printf("phase %u: volume fraction %.6f\n", vals[k], f);
    }
    fib_fmt_json_end_object(j);

    /* surfaces */
    fib_fmt_json_kv_string(
        j, "surface_method",
        smooth > 0 ? "marching cubes of the Gaussian-smoothed indicator, "
                     "level 0.5; volume border cut not counted"
                   : "marching cubes of the binary indicator, level 0.5; "
                     "volume border cut not counted");
    fib_fmt_json_key(j, ukey(vu, "specific_surface_area_per_um"));
    fib_fmt_json_begin_object(j);
    for (size_t p = 0; p < nphase; p++) {
        fib_phase_surface s;
        st = fib_recon_phase_surface(&vol, phases[p], smooth, &s, &err);
        if (st != FIB_OK)
            goto fail;
        key_u32(j, phases[p]);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_number(j, "per_total_volume",
                               uval(vu, "_per_um", s.per_total_um));
        fib_fmt_json_kv_number(j, "per_phase_volume",
                               uval(vu, "_per_um", s.per_phase_um));
        jnum(j, vu, "area_um2", s.area_um2);
        fib_fmt_json_key(j, ukey(vu, "interface_area_um2"));
        fib_fmt_json_begin_object(j);
        for (size_t q = 0; q < s.n_interfaces; q++) {
            key_u32(j, s.other[q]);
            fib_fmt_json_number(j, uval(vu, "_um2", s.interface_area_um2[q]));
        }
        fib_fmt_json_end_object(j);
        fib_fmt_json_end_object(j);
        printf("phase %u: specific surface %.6g /%s (per total volume), "
               "%.6g /%s (per phase volume)\n",
               phases[p], uval(vu, "_per_um", s.per_total_um),
               vu ? "voxel" : "um", uval(vu, "_per_um", s.per_phase_um),
               vu ? "voxel" : "um");
    }
    fib_fmt_json_end_object(j);

    /* objects, thickness, tortuosity, skeleton, heights per phase */
    fib_fmt_json_key(j, "objects");
    fib_fmt_json_begin_object(j);
    if ((st = fib_volume_init(&mask, FIB_PX_U8, vol.nx, vol.ny, vol.nz,
                              &err)) != FIB_OK)
        goto fail;
    memcpy(mask.voxel_size_nm, sp, sizeof vox);
    fib_substrate sub = {.face = face};
    for (size_t p = 0; p < nphase; p++) {
        uint8_t *M = mask.data;
        for (size_t i = 0; i < n; i++)
            M[i] = lab_at(&vol, i) == phases[p];
        size_t nobj = 0;
        if ((st = fib_recon_label(&mask, conn, &cc, &nobj, &err)) != FIB_OK)
            goto fail;
        if ((st = fib_recon_objects(&cc, nobj, &vol, &sub, &obj, &err)) !=
            FIB_OK)
            goto fail;
        fib_volume_clear(&cc);
        key_u32(j, phases[p]);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "count", (long long)nobj);
        fib_fmt_json_kv_int(j, "connectivity", conn);
        double vsum = 0, vmax = 0, dsum = 0, ssum = 0;
        size_t nb = 0, ns = 0;
        for (size_t k = 0; k < nobj; k++) {
            vsum += obj[k].volume_um3;
            dsum += obj[k].eq_diameter_um;
            ssum += obj[k].sphericity;
            if (obj[k].volume_um3 > vmax)
                vmax = obj[k].volume_um3;
            nb += obj[k].touches_border;
            ns += obj[k].touches_substrate;
        }
        jnum(j, vu, "mean_volume_um3",
             nobj ? vsum / (double)nobj : (double)NAN);
        fib_fmt_json_kv_number(j, "largest_volume_fraction_of_phase",
                               vsum > 0 ? vmax / vsum : (double)NAN);
        jnum(j, vu, "mean_eq_diameter_um",
             nobj ? dsum / (double)nobj : (double)NAN);
        fib_fmt_json_kv_number(j, "mean_sphericity",
                               nobj ? ssum / (double)nobj : (double)NAN);
        fib_fmt_json_kv_int(j, "touching_border", (long long)nb);
        if (face >= 0) {
            fib_fmt_json_kv_int(j, "touching_substrate", (long long)ns);
            fib_fmt_json_kv_int(j, "isolated_from_substrate",
                                (long long)(nobj - ns));
        }
        /* size distribution: equivalent diameters, 16 bins */
        fib_fmt_json_key(j, ukey(vu, "eq_diameter_um"));
        fib_fmt_json_begin_array(j);
        for (size_t k = 0; k < nobj && k < 100000; k++)
            fib_fmt_json_number(j, uval(vu, "_um", obj[k].eq_diameter_um));
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        printf("phase %u: %zu objects (%d-connected)\n", phases[p], nobj, conn);
        for (size_t k = 0; C && k < nobj; k++) {
            const fib_object_stats *o = &obj[k];
            fib_fmt_csv_int(C, phases[p]);
            fib_fmt_csv_int(C, o->label);
            fib_fmt_csv_int(C, (long long)o->n_voxels);
            fib_fmt_csv_number(C, uval(vu, "_um3", o->volume_um3));
            fib_fmt_csv_number(C, uval(vu, "_um2", o->area_um2));
            fib_fmt_csv_number(C, uval(vu, "_um", o->eq_diameter_um));
            fib_fmt_csv_number(C, o->sphericity);
            for (int a = 0; a < 3; a++)
                fib_fmt_csv_number(C, o->centroid_nm[a]);
            for (int a = 0; a < 3; a++)
                fib_fmt_csv_int(C, (long long)o->bbox_min[a]);
            for (int a = 0; a < 3; a++)
                fib_fmt_csv_int(C, (long long)o->bbox_max[a]);
            for (int a = 0; a < 3; a++)
                fib_fmt_csv_number(C, uval(vu, "_um", o->axes_um[a]));
            for (int a = 0; a < 3; a++)
                fib_fmt_csv_number(C, o->axis_dir[0][a]);
            fib_fmt_csv_int(C, o->touches_border);
            fib_fmt_csv_int(C, o->touches_substrate);
            fib_fmt_csv_number(C, uval(vu, "_um", o->height_um));
            fib_fmt_csv_end_row(C);
        }
        free(obj);
        obj = NULL;
    }
    fib_fmt_json_end_object(j);

    if (thickness) {
        fib_fmt_json_key(j, ukey(vu, "local_thickness_um"));
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < nphase; p++) {
            uint8_t *M = mask.data;
            for (size_t i = 0; i < n; i++)
                M[i] = lab_at(&vol, i) == phases[p];
            if ((st = fib_recon_local_thickness(&mask, &lt, &prog, &err)) !=
                FIB_OK)
                goto fail;
            fib_distribution d;
            if ((st = fib_recon_distribution(&lt, &mask, 32, &d, &err)) !=
                FIB_OK)
                goto fail;
            fib_volume_clear(&lt);
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_number(j, "mean", d.mean * (vu ? 1.0 : 1e-3));
            fib_fmt_json_kv_number(j, "median", d.median * (vu ? 1.0 : 1e-3));
            fib_fmt_json_kv_number(j, "std", d.std * (vu ? 1.0 : 1e-3));
            fib_fmt_json_kv_number(j, "max", d.max * (vu ? 1.0 : 1e-3));
            fib_fmt_json_key(j, "distribution");
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "weight", "volume (voxel count)");
            fib_fmt_json_key(j, ukey(vu, "bin_edges_um"));
            fib_fmt_json_begin_array(j);
            for (size_t b = 0; b <= d.n_bins; b++)
                fib_fmt_json_number(j, d.bin_edges[b] * (vu ? 1.0 : 1e-3));
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "fraction");
            fib_fmt_json_begin_array(j);
            for (size_t b = 0; b < d.n_bins; b++)
                fib_fmt_json_number(j, d.fraction[b]);
            fib_fmt_json_end_array(j);
            fib_fmt_json_end_object(j);
            fib_fmt_json_end_object(j);
            printf("phase %u: local thickness mean %.6g %s, median %.6g %s\n",
                   phases[p], d.mean * (vu ? 1.0 : 1e-3), vu ? "voxels" : "um",
                   d.median * (vu ? 1.0 : 1e-3), vu ? "voxels" : "um");
        }
        fib_fmt_json_end_object(j);
    }

    if (axes[0] || axes[1] || axes[2]) {
        fib_fmt_json_key(j, "tortuosity");
        fib_fmt_json_begin_object(j);
        fib_tort_result res[MAX_PHASES][3];
        memset(res, 0, sizeof res);
        for (size_t p = 0; p < nphase; p++) {
            uint8_t *M = mask.data;
            for (size_t i = 0; i < n; i++)
                M[i] = lab_at(&vol, i) == phases[p];
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++) {
                if (!axes[a])
                    continue;
                fib_tort_opts to = {.rel_tol = tol};
                st = fib_recon_tortuosity(&mask, a, &to, &res[p][a], &prog,
                                          &err);
                if (st != FIB_OK)
                    goto fail;
                fib_fmt_json_key(j, axis_name[a]);
                if (isfinite(res[p][a].tau))
                    fib_fmt_json_number(j, res[p][a].tau);
                else
                    fib_fmt_json_string(j, "inf");
                printf("phase %u: tortuosity %s = %.6g (D_eff/D = %.6g, %zu "
                       "iterations, residual %.2g)\n",
                       phases[p], axis_name[a], res[p][a].tau,
                       res[p][a].d_eff_rel, res[p][a].iterations,
                       res[p][a].rel_residual);
            }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
        fib_fmt_json_key(j, "effective_diffusivity");
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < nphase; p++) {
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++)
                if (axes[a])
                    fib_fmt_json_kv_number(j, axis_name[a],
                                           res[p][a].d_eff_rel);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
        /* MacMullin number N_M = sigma_0 / sigma_eff = tau / eps = 1 /
         * (D_eff / D) (MacMullin & Muccini, AIChE J. 2:393, 1956; Thorat et
         * al., J. Power Sources 188:592, 2009) */
        fib_fmt_json_key(j, "macmullin_number");
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < nphase; p++) {
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++)
                if (axes[a]) {
                    const double d = res[p][a].d_eff_rel;
                    fib_fmt_json_key(j, axis_name[a]);
                    if (d > 0 && isfinite(d))
                        fib_fmt_json_number(j, 1.0 / d);
                    else
                        fib_fmt_json_string(j, "inf");
                }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
        fib_fmt_json_key(j, "tortuosity_solver");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(
            j, "method",
            "TauFactor definition: steady diffusion on the 6-connected "
            "clusters touching both faces, c = 1/0 at the outer faces, no "
            "flux on the sides; tau = volume fraction / (D_eff/D); "
            "Jacobi-preconditioned conjugate gradients");
        fib_fmt_json_kv_string(j, "criterion",
                               "relative residual ||b - A c|| / ||b|| < tol");
        fib_fmt_json_kv_number(j, "tol", tol);
        for (size_t p = 0; p < nphase; p++) {
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            for (int a = 0; a < 3; a++) {
                if (!axes[a])
                    continue;
                const fib_tort_result *r = &res[p][a];
                fib_fmt_json_key(j, axis_name[a]);
                fib_fmt_json_begin_object(j);
                fib_fmt_json_kv_bool(j, "percolating", r->percolating);
                fib_fmt_json_kv_bool(j, "converged", r->converged);
                fib_fmt_json_kv_int(j, "iterations", (long long)r->iterations);
                fib_fmt_json_kv_number(j, "rel_residual", r->rel_residual);
                fib_fmt_json_kv_number(j, "flux_mismatch", r->flux_mismatch);
                fib_fmt_json_kv_number(j, "volume_fraction", r->eps);
                fib_fmt_json_kv_number(j, "percolating_fraction",
                                       r->eps_percolating);
                fib_fmt_json_end_object(j);
            }
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }

    if (skeleton) {
        fib_fmt_json_key(j, "skeleton");
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < nphase; p++) {
            uint8_t *M = mask.data;
            for (size_t i = 0; i < n; i++)
                M[i] = lab_at(&vol, i) == phases[p];
            fib_skeleton_stats s;
            if ((st = fib_recon_skeletonize(&mask, &err)) != FIB_OK ||
                (st = fib_recon_skeleton_stats(&mask, face, &s, &err)) !=
                    FIB_OK)
                goto fail;
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_int(j, "voxels", (long long)s.n_voxels);
            fib_fmt_json_kv_int(j, "branches", (long long)s.n_branches);
            fib_fmt_json_kv_int(j, "junctions", (long long)s.n_junctions);
            fib_fmt_json_kv_int(j, "end_points", (long long)s.n_end_points);
            jnum(j, vu, "total_length_um", s.total_length_um);
            jnum(j, vu, "mean_branch_length_um", s.mean_branch_length_um);
            fib_fmt_json_kv_number(j, "mean_branch_tortuosity",
                                   s.mean_branch_tortuosity);
            double vtot = (double)n * sp[0] * sp[1] * sp[2] * 1e-9;
            jnum(j, vu, "junctions_per_um3", (double)s.n_junctions / vtot);
            jnum(j, vu, "max_height_um", s.max_height_um);
            jnum(j, vu, "mean_height_um", s.mean_height_um);
            fib_fmt_json_end_object(j);
            printf("phase %u: skeleton %zu branches, %zu junctions, %zu end "
                   "points\n",
                   phases[p], s.n_branches, s.n_junctions, s.n_end_points);
        }
        fib_fmt_json_end_object(j);
    }

    if (face >= 0) {
        fib_fmt_json_key(j, "deposit_height");
        fib_fmt_json_begin_object(j);
        for (size_t p = 0; p < nphase; p++) {
            uint8_t *M = mask.data;
            for (size_t i = 0; i < n; i++)
                M[i] = lab_at(&vol, i) == phases[p];
            fib_height_stats hs;
            if ((st = fib_recon_height_map(&mask, face, NULL, NULL, &hs,
                                           &err)) != FIB_OK)
                goto fail;
            key_u32(j, phases[p]);
            fib_fmt_json_begin_object(j);
            jnum(j, vu, "mean_um", hs.mean_nm * 1e-3);
            jnum(j, vu, "std_um", hs.std_nm * 1e-3);
            jnum(j, vu, "max_um", hs.max_nm * 1e-3);
            jnum(j, vu, "ra_um", hs.ra_nm * 1e-3);
            jnum(j, vu, "rq_um", hs.rq_nm * 1e-3);
            jnum(j, vu, "dense_thickness_um", hs.dense_mean_nm * 1e-3);
            fib_fmt_json_kv_number(j, "covered_fraction", hs.covered_fraction);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
    }

    if (have_coat) {
        double tmin = coat[2];
        if (tmin < 0) {
            tmin = sp[0] < sp[1] ? sp[0] : sp[1];
            if (sp[2] < tmin)
                tmin = sp[2];
        }
        fib_coating_result cr;
        st = fib_recon_coating(&vol, (uint32_t)coat[0], (uint32_t)coat[1], tmin,
                               &cr, mesh_path ? &mesh : NULL, &err);
        if (st != FIB_OK)
            goto fail;
        fib_fmt_json_key(j, "coating");
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "particle_label", (long long)coat[0]);
        fib_fmt_json_kv_int(j, "coating_label", (long long)coat[1]);
        jnum(j, vu, "threshold_nm", tmin);
        fib_fmt_json_kv_number(j, "coverage", cr.coverage);
        jnum(j, vu, "mean_thickness_nm", cr.mean_thickness_nm);
        jnum(j, vu, "mean_covered_thickness_nm", cr.mean_covered_nm);
        jnum(j, vu, "particle_area_um2", cr.particle_area_um2);
        fib_fmt_json_end_object(j);
        printf("coating %g on %g: coverage %.4f, mean thickness %.4g %s\n",
               coat[1], coat[0], cr.coverage, cr.mean_thickness_nm,
               vu ? "voxels" : "nm");
    } else if (mesh_path) {
        fib_mesh_opts mo = {.sigma_vox = smooth};
        st = fib_recon_mesh_phase(&vol, phases[0], &mo, &mesh, &err);
        if (st != FIB_OK)
            goto fail;
    }
    if (mesh_path) {
        const char *dot = strrchr(mesh_path, '.');
        if (strcasecmp(dot, ".ply") == 0)
            st = fib_fmt_mesh_write_ply(s_mesh, &mesh, "coating_nm", &err);
        else
            st = fib_fmt_mesh_write_stl(s_mesh, &mesh, &err);
        if (st != FIB_OK)
            goto fail;
        printf("wrote %s (%zu triangles)\n", mesh_path, mesh.n_triangles);
    }
    if ((st = battery_report(j, &vol, vals, nval, phases, nphase, &bat, vu,
                             &err)) != FIB_OK)
        goto fail;
    if (pic_dir && grey_path) {
        st = fib_fmt_volume_read(grey_path, NULL, &greyv, NULL, &err);
        if (st == FIB_OK &&
            (greyv.nx != vol.nx || greyv.ny != vol.ny || greyv.nz != vol.nz))
            st = fib_error_set(&err, FIB_EINVAL,
                               "%s: grey volume is %zux%zux%zu but the labels "
                               "are %zux%zux%zu",
                               grey_path, greyv.nx, greyv.ny, greyv.nz, vol.nx,
                               vol.ny, vol.nz);
        if (st != FIB_OK)
            goto fail;
        memcpy(greyv.voxel_size_nm, vol.voxel_size_nm,
               sizeof greyv.voxel_size_nm);
    }
    if (pic_dir && (st = write_pictures(
                        s_pic, pic_dir, &vol, grey_path ? &greyv : NULL, vals,
                        nval, phases, nphase, view, !vu, &err)) != FIB_OK)
        goto fail;
    fib_fmt_json_end_object(j);
    if ((st = fib_fmt_json_write(J, s_json, &err)) != FIB_OK)
        goto fail;
    printf("wrote %s\n", json_path);
    if (C) {
        if ((st = fib_fmt_csv_write(C, s_csv, &err)) != FIB_OK)
            goto fail;
        printf("wrote %s\n", csv_path);
    }
    cli_progress_done(&ps);
    fib_fmt_json_destroy(J);
    fib_fmt_csv_destroy(C);
    fib_mesh_clear(&mesh);
    fib_volume_clear(&vol);
    fib_volume_clear(&mask);
    fib_volume_clear(&greyv);
    return cli_txn_finish("measure", txn, CLI_EXIT_OK);
fail:
    cli_progress_done(&ps);
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    fib_fmt_txn_abort(txn);
    fib_fmt_json_destroy(J);
    fib_fmt_csv_destroy(C);
    fib_mesh_clear(&mesh);
    free(obj);
    fib_volume_clear(&vol);
    fib_volume_clear(&mask);
    fib_volume_clear(&cc);
    fib_volume_clear(&lt);
    fib_volume_clear(&greyv);
    return cli_fail("measure", st, &err);
}
