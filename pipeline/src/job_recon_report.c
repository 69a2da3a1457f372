/* job_recon_report.c -- report.json of fib_job_recon(): inputs, the
 * parameter echo (key order fixed: the report schema), output geometry,
 * per-slice shifts, pairs, closure test and alignment QC. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/report.h"
#include "job_recon_internal.h"

static void json_rect(fib_fmt_json *j, const char *key, bool on,
                      const size_t r[4])
{
    fib_fmt_json_key(j, key);
    if (!on) {
        fib_fmt_json_null(j);
        return;
    }
    fib_fmt_json_begin_array(j);
    for (int i = 0; i < 4; i++)
        fib_fmt_json_int(j, (long long)r[i]);
    fib_fmt_json_end_array(j);
}

/* "inputs": the series and its metadata. */
static void report_inputs(fib_fmt_json *j, const fib__job_report *rep)
{
    const fib_fmt_recon_cfg *c = rep->c;
    const fib__file_src *s = rep->s;
    fib_fmt_json_key(j, "inputs");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "source", c->input);
    fib_fmt_json_kv_int(j, "n_slices", (long long)s->n);
    fib_fmt_json_kv_string(j, "first", s->paths[0]);
    fib_fmt_json_kv_string(j, "last", s->paths[s->n - 1]);
    fib_fmt_json_kv_int(j, "width_px", (long long)s->width);
    fib_fmt_json_kv_int(j, "height_px", (long long)s->height);
    fib_fmt_json_kv_string(j, "pixel_type", fib_pixel_type_name(s->type));
    fib_fmt_json_kv_number(j, "meta_pixel_size_x_nm", s->meta.pixel_size_nm[0]);
    fib_fmt_json_kv_number(j, "meta_pixel_size_y_nm", s->meta.pixel_size_nm[1]);
    fib_fmt_json_kv_number(j, "meta_stage_tilt_deg", s->meta.stage_tilt_deg);
    fib_fmt_json_kv_string(j, "meta_image_beam",
                           fib__job_beam_word(s->meta.beam));
    fib_fmt_json_kv_number(j, "meta_beam_angle_deg", s->meta.beam_angle_deg);
    fib_fmt_json_kv_int(j, "meta_tilt_correction", s->meta.tilt_correction);
    fib_fmt_json_kv_int(j, "databar_rows_cropped",
                        (long long)s->meta.databar_rows);
    fib_fmt_json_end_object(j);
}

/* One row of the run's parameter table as it is in @p c (checked by
 * fib_job_recon(), so the engine got the same value), written by the
 * row's type under its key (or @p as): true/false, integer, number or
 * choice name. */
static void echo(fib_fmt_json *j, const fib_fmt_recon_cfg *c, const char *key,
                 const char *as)
{
    const fib_param *row = fib_params_find(fib_fmt_recon_cfg_params(), key);
    const double v = fib_params_number(row, c);
    char text[64];
    as = as ? as : row->key;
    switch (row->type) {
    case FIB_PARAM_BOOL:
        fib_fmt_json_kv_bool(j, as, v != 0);
        break;
    case FIB_PARAM_INT:
    case FIB_PARAM_SIZE:
        fib_fmt_json_kv_int(j, as, (long long)v);
        break;
    case FIB_PARAM_ENUM:
        fib_fmt_json_kv_string(j, as,
                               fib_params_text(row, c, text, sizeof text));
        break;
    default:
        fib_fmt_json_kv_number(j, as, v);
        break;
    }
}

/* "parameters": the echo of the run (key order fixed by the schema: the
 * resolved lengths and the beam angle with where each came from, then the
 * table's rows by their keys, written by echo()). */
static void report_parameters(fib_fmt_json *j, const fib__job_report *rep)
{
    const fib_fmt_recon_cfg *c = rep->c;
    const fib_recon_params *p = rep->p;
    const fib_recon_source *src = rep->src;
    const fib__tilt_choice *tc = rep->tc;
    fib_fmt_json_key(j, "parameters");
    fib_fmt_json_begin_object(j);
    /* unknown lengths are null, with the reason in the *_from field */
    fib_fmt_json_kv_number(j, "pixel_size_x_nm",
                           fib__or_nan(src->pixel_size_nm[0]));
    fib_fmt_json_kv_number(j, "pixel_size_y_nm",
                           fib__or_nan(src->pixel_size_nm[1]));
    fib_fmt_json_kv_string(j, "pixel_size_from",
                           c->pixel_size_nm[0] > 0     ? "option"
                           : src->pixel_size_nm[0] > 0 ? "metadata"
                                                       : "unknown");
    fib_fmt_json_kv_number(j, "slice_nm", fib__or_nan(p->slice_nm));
    fib_fmt_json_kv_string(j, "slice_nm_from",
                           c->slice_nm > 0   ? "option"
                           : p->slice_nm > 0 ? "metadata"
                                             : "unknown");
    fib_fmt_json_kv_number(j, "tilt_deg", fib__or_nan(p->tilt_deg));
    fib_fmt_json_kv_string(j, "tilt_from", tc->why);
    fib_fmt_json_kv_bool(j, "crop_valid", p->crop_valid);
    fib_fmt_json_kv_bool(j, "float_output", p->float_out);
    echo(j, c, "dark_clip", "align_dark_clip");
    fib_fmt_json_kv_bool(j, "tilt_corrected_by_instrument", p->tilt_corrected);
    echo(j, c, "receding_face", NULL);
    echo(j, c, "neighbours", NULL);
    echo(j, c, "upsample", NULL);
    fib_fmt_json_kv_string(
        j, "window", p->tukey_alpha > 0 ? "tukey" : "periodic-plus-smooth");
    echo(j, c, "taper", NULL);
    echo(j, c, "model", NULL);
    fib_fmt_json_kv_number(j, "model_lambda",
                           p->model_lambda > 0 ? p->model_lambda : 0.1);
    echo(j, c, "detrend", NULL);
    echo(j, c, "cache", NULL);
    echo(j, c, "isotropic", NULL);
    json_rect(j, "roi", c->has_roi, c->roi);
    json_rect(j, "fiducial", c->has_fiducial, c->fiducial);
    fib_fmt_json_kv_int(j, "memory_budget_bytes", (long long)c->memory_bytes);
    fib_fmt_json_kv_int(j, "memory_peak_charged_bytes",
                        (long long)fib_recon_peak_bytes(rep->r));
    echo(j, c, "skip_bad", NULL);
    fib_fmt_json_key(j, "correction_order");
    fib_fmt_json_begin_array(j);
    if (fib__job_destripe_of(c) != FIB_DESTRIPE_NONE) {
        char name[40];
        snprintf(name, sizeof name, "destripe:%s",
                 fib_recon_destripe_method_name(fib__job_destripe_of(c)));
        fib_fmt_json_string(j, name);
    }
    if (c->background != FIB_BACKGROUND_NONE)
        fib_fmt_json_string(j, c->background == FIB_BACKGROUND_POLY
                                   ? "background:poly"
                                   : "background:gauss");
    if (c->normalize)
        fib_fmt_json_string(j, "normalize");
    if (c->denoise != FIB_DENOISE_NONE) {
        /* the step's name as the option takes it */
        char name[32];
        const fib_param_table *t = fib_fmt_recon_cfg_correct_params();
        fib_fmt_json_string(j, fib_params_text(fib_params_find(t, "denoise"), c,
                                               name, sizeof name));
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

/* "output": the volume, its geometry and the channels. */
static void report_output(fib_fmt_json *j, const fib__job_report *rep)
{
    const fib_fmt_recon_cfg *c = rep->c;
    const fib_recon_geometry g = fib_recon_get_geometry(rep->r);
    fib_fmt_json_key(j, "output");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "volume", rep->volume);
    fib_fmt_json_kv_int(j, "nx", (long long)g.nx);
    fib_fmt_json_kv_int(j, "ny", (long long)g.ny);
    fib_fmt_json_kv_int(j, "nz", (long long)g.nz);
    fib_fmt_json_key(j, "voxel_size_nm");
    fib_fmt_json_begin_array(j);
    char unknown[64] = "";
    for (int i = 0; i < 3; i++) {
        fib_fmt_json_number(j, fib__or_nan(g.voxel_size_nm[i]));
        if (!(g.voxel_size_nm[i] > 0)) {
            const size_t l = strlen(unknown);
            snprintf(unknown + l, sizeof unknown - l, "%s%c", l ? ", " : "",
                     "xyz"[i]);
        }
    }
    fib_fmt_json_end_array(j);
    if (unknown[0]) {
        char note[160];
        snprintf(note, sizeof note,
                 "unknown in %s (null): pass --pixel-size-nm / --slice-nm",
                 unknown);
        fib_fmt_json_kv_string(j, "voxel_size_status", note);
    } else {
        fib_fmt_json_kv_string(j, "voxel_size_status", "known");
    }
    fib_fmt_json_key(j, "crop_valid");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_bool(j, "applied", g.cropped);
    fib_fmt_json_kv_string(j, "box_meaning",
                           "x, y, width, height in voxels of the uncropped "
                           "output grid: the voxels every kept slice covers "
                           "after its shift");
    fib_fmt_json_key(j, "box");
    fib_fmt_json_begin_array(j);
    fib_fmt_json_int(j, (long long)g.valid.x);
    fib_fmt_json_int(j, (long long)g.valid.y);
    fib_fmt_json_int(j, (long long)g.valid.width);
    fib_fmt_json_int(j, (long long)g.valid.height);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_int(j, "full_nx", (long long)g.full_nx);
    fib_fmt_json_kv_int(j, "full_ny", (long long)g.full_ny);
    fib_fmt_json_end_object(j);
    fib_fmt_json_kv_number(j, "y_scale", g.y_scale);
    fib_fmt_json_kv_string(j, "tilt_note", g.tilt_note);
    fib_fmt_json_kv_number(j, "face_shift_px_per_slice", g.face_shift_px);
    fib_fmt_json_kv_string(
        j, "z_positions",
        g.z_resampled ? (rep->c->z_csv ? "measured (z_csv file): resampled to "
                                         "uniform z, voxel_size_nm[2] apart "
                                         "from the first slice's z_nm"
                                       : "measured (file names): resampled to "
                                         "uniform z, voxel_size_nm[2] apart "
                                         "from the first slice's z_nm")
                      : "nominal: slice i at i x slice_nm");
    fib_fmt_json_key(j, "channels");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < c->n_channels; k++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "name", c->channel_name[k]);
        fib_fmt_json_kv_string(j, "source", c->channel_input[k]);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_number(j, "elapsed_s", rep->elapsed_s);
    fib_fmt_json_end_object(j);
}

/* "slices" and "pairs": the solved shifts and the measured pairs. */
static void report_slices(fib_fmt_json *j, const fib__job_report *rep)
{
    const fib_recon *r = rep->r;
    fib_fmt_json_key(j, "slices");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_recon_n_slices(r); i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "slice", (long long)i);
        fib_fmt_json_kv_string(j, "file", rep->s->paths[i]);
        fib_fmt_json_kv_bool(j, "skipped", in.skipped);
        fib_fmt_json_kv_number(j, "dx", in.dx);
        fib_fmt_json_kv_number(j, "dy", in.dy);
        fib_fmt_json_kv_number(j, "residual_px", in.residual_px);
        fib_fmt_json_kv_int(j, "pairs_used", (long long)in.pairs_used);
        fib_fmt_json_kv_int(j, "pairs_rejected", (long long)in.pairs_rejected);
        fib_fmt_json_kv_number(j, "quality", in.quality);
        fib_fmt_json_kv_number(j, "z_nm", in.z_nm); /* NaN: null */
        fib_fmt_json_kv_number(j, "ncc_prev", in.ncc_prev);
        fib_fmt_json_kv_number(j, "nmi_prev", in.nmi_prev);
        fib_fmt_json_kv_number(j, "frc_px", in.frc_px);
        fib_fmt_json_kv_bool(j, "flagged", in.flagged);
        /* the 2x2 linear part A_i, row-major (identity for translation) */
        fib_fmt_json_key(j, "a");
        fib_fmt_json_begin_array(j);
        for (int e = 0; e < 4; e++)
            fib_fmt_json_number(j, in.a[e]);
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    size_t np = 0;
    const fib_recon_pair *pr = fib_recon_pairs(r, &np);
    fib_fmt_json_key(j, "pairs");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < np; k++) {
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "a", (long long)pr[k].a);
        fib_fmt_json_kv_int(j, "b", (long long)pr[k].b);
        fib_fmt_json_kv_number(j, "dx", pr[k].dx);
        fib_fmt_json_kv_number(j, "dy", pr[k].dy);
        fib_fmt_json_kv_number(j, "quality", pr[k].quality);
        fib_fmt_json_kv_number(j, "residual_px", pr[k].residual_px);
        fib_fmt_json_kv_bool(j, "used", pr[k].used);
        fib_fmt_json_key(j, "closure_px");
        if (pr[k].closure_px >= 0)
            fib_fmt_json_number(j, pr[k].closure_px);
        else
            fib_fmt_json_null(j);
        double lin[4];
        const size_t tiles = fib_recon_pair_linear(r, k, lin);
        if (tiles) {
            /* models beyond translation: the tile fit's linear part */
            fib_fmt_json_kv_int(j, "lin_tiles", (long long)tiles);
            fib_fmt_json_key(j, "lin");
            fib_fmt_json_begin_array(j);
            for (int e = 0; e < 4; e++)
                fib_fmt_json_number(j, lin[e]);
            fib_fmt_json_end_array(j);
        }
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
}

/* "closure" (per pair distance) and "alignment_qc". */
static void report_closure(fib_fmt_json *j, const fib_recon *r)
{
    size_t nd = 0;
    const fib_recon_distance *dist = fib_recon_distances(r, &nd);
    fib_fmt_json_key(j, "closure");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < nd; k++) {
        const fib_recon_distance *d = &dist[k];
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_int(j, "distance", (long long)d->distance);
        fib_fmt_json_kv_int(j, "n_closures", (long long)d->n_closures);
        fib_fmt_json_kv_number(j, "bias_x_px", d->bias_px[0]);
        fib_fmt_json_kv_number(j, "bias_y_px", d->bias_px[1]);
        fib_fmt_json_kv_number(j, "bias_se_x_px", d->bias_se_px[0]);
        fib_fmt_json_kv_number(j, "bias_se_y_px", d->bias_se_px[1]);
        fib_fmt_json_kv_number(j, "pull_x", d->pull[0]);
        fib_fmt_json_kv_number(j, "pull_y", d->pull[1]);
        fib_fmt_json_kv_number(j, "pull_se_x", d->pull_se[0]);
        fib_fmt_json_kv_number(j, "pull_se_y", d->pull_se[1]);
        fib_fmt_json_kv_number(j, "scatter_px", d->scatter_px);
        fib_fmt_json_kv_number(j, "residual_px", d->residual_px);
        fib_fmt_json_kv_number(j, "weight", d->weight);
        fib_fmt_json_kv_bool(j, "inconsistent", d->inconsistent);
        fib_fmt_json_kv_bool(j, "long_pairs_short", d->long_short);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    const fib_recon_qc qc = fib_recon_get_qc(r);
    fib_fmt_json_key(j, "alignment_qc");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_bool(j, "frame_fixed_x", qc.frame_fixed[0]);
    fib_fmt_json_kv_bool(j, "frame_fixed_y", qc.frame_fixed[1]);
    fib_fmt_json_kv_bool(j, "stripe_notch_rows", qc.notch_rows);
    fib_fmt_json_kv_bool(j, "stripe_notch_cols", qc.notch_cols);
    fib_fmt_json_kv_int(j, "pass1_runs", (long long)qc.passes);
    fib_fmt_json_kv_bool(j, "dark_clip_applied", qc.dark_clip);
    fib_fmt_json_kv_number(j, "ncc_flag_below", qc.ncc_cut);
    fib_fmt_json_kv_number(j, "frc_flag_above_px", qc.frc_cut);
    fib_fmt_json_key(j, "flagged_slices");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < fib_recon_n_slices(r); i++)
        if (fib_recon_get_slice(r, i).flagged)
            fib_fmt_json_int(j, (long long)i);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_string(j, "flag_rule",
                           "unlike both kept neighbours after alignment: "
                           "both pair NCCs below median - 5 x 1.4826 x MAD "
                           "of all pair NCCs (charging, a blank frame); or "
                           "blurred: single-image FRC resolution above "
                           "max(median + 5 x 1.4826 x MAD, 1.5 x median) "
                           "of all slices' (lost focus)");
    fib_fmt_json_end_object(j);
}

fib_status fib__job_write_report(const char *path, const fib__job_report *rep,
                                 fib_error *err)
{
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "tool", "cryofib recon");
    fib_fmt_json_kv_string(j, "version", fib_version_string());
    report_inputs(j, rep);
    report_parameters(j, rep);
    report_output(j, rep);
    report_slices(j, rep);
    report_closure(j, rep->r);
    fib_fmt_json_end_object(j);
    st = fib_fmt_json_write(j, path, err);
    fib_fmt_json_destroy(j);
    return st;
}
