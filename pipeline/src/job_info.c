/*
 * job_info.c -- fib_job_info() (fib/job_formats.h): the `cryofib info`
 * description of a file, as "key  value" lines or one JSON object, every
 * line a FIB_JOB_RESULT message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_formats.h"
#include "fib/report.h"

static const char *vendor_name(fib_fmt_vendor v)
{
    switch (v) {
    case FIB_VENDOR_THERMO_FEI:
        return "thermo-fei";
    case FIB_VENDOR_ZEISS:
        return "zeiss";
    case FIB_VENDOR_IMAGEJ:
        return "imagej";
    default:
        return "none";
    }
}

static const char *beam_name(fib_fmt_beam b)
{
    return b == FIB_BEAM_ELECTRON ? "electron"
           : b == FIB_BEAM_ION    ? "ion"
                                  : "unknown";
}

/* A probed file and what --check and --all found. */
typedef struct info_run {
    const char *path;
    fib_fmt_info info;
    size_t checked, image_rows;
    char **pairs;
    size_t np;
} info_run;

static fib_status say_json(const fib_job_info_params *p, const info_run *r,
                           const fib_job_env *env, fib_error *err)
{
    const fib_fmt_info *in = &r->info;
    const fib_fmt_meta *m = &in->meta;
    fib_fmt_json *j = NULL;
    fib_status st = fib_fmt_json_create(2, &j, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "file", r->path);
    fib_fmt_json_kv_string(j, "kind", fib_fmt_kind_name(in->kind));
    fib_fmt_json_kv_int(j, "width", (long long)in->nx);
    fib_fmt_json_kv_int(j, "height", (long long)in->ny);
    fib_fmt_json_kv_int(j, "depth", (long long)in->nz);
    fib_fmt_json_kv_string(j, "pixel_type", fib_pixel_type_name(in->type));
    fib_fmt_json_kv_string(j, "compression", in->compression);
    fib_fmt_json_kv_bool(j, "tiled", in->tiled);
    if (p->check)
        fib_fmt_json_kv_int(j, "slices_checked", (long long)r->checked);
    fib_fmt_json_kv_number(j, "pixel_size_x_nm", m->pixel_size_nm[0]);
    fib_fmt_json_kv_number(j, "pixel_size_y_nm", m->pixel_size_nm[1]);
    fib_fmt_json_kv_number(j, "voxel_depth_nm", m->voxel_depth_nm);
    fib_fmt_json_kv_string(j, "pixel_size_source", m->source_key);
    fib_fmt_json_kv_string(j, "vendor", vendor_name(m->vendor));
    fib_fmt_json_kv_string(j, "beam", beam_name(m->beam));
    fib_fmt_json_kv_number(j, "hv_kV", m->hv_kV);
    fib_fmt_json_kv_number(j, "current_pA", m->current_pA);
    fib_fmt_json_kv_number(j, "stage_tilt_deg", m->stage_tilt_deg);
    fib_fmt_json_kv_number(j, "hfw_nm", m->hfw_nm);
    fib_fmt_json_kv_number(j, "working_distance_nm", m->working_distance_nm);
    if (m->tilt_correction < 0)
        fib_fmt_json_kv_string(j, "tilt_correction", "unknown");
    else
        fib_fmt_json_kv_bool(j, "tilt_correction", m->tilt_correction == 1);
    fib_fmt_json_kv_string(j, "detector", m->detector);
    fib_fmt_json_kv_string(j, "instrument", m->instrument);
    fib_fmt_json_kv_int(j, "databar_rows", (long long)m->databar_rows);
    fib_fmt_json_kv_int(j, "image_rows", (long long)r->image_rows);
    if (p->all) {
        fib_fmt_json_key(j, "vendor_pairs");
        fib_fmt_json_begin_object(j);
        for (size_t i = 0; i < r->np; i++)
            fib_fmt_json_kv_string(j, r->pairs[2 * i], r->pairs[2 * i + 1]);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
    const char *text = NULL;
    st = fib_fmt_json_text(j, &text, err);
    if (st == FIB_OK && env && env->message) {
        /* one message, any length (fib_job_say cuts at 4 KiB), without
         * the document's final newline (the callback ends the line) */
        const size_t len = strlen(text);
        char *doc = malloc(len + 1);
        if (!doc) {
            st = fib_error_set(err, FIB_ENOMEM, "info: out of memory");
        } else {
            memcpy(doc, text, len + 1);
            if (len && doc[len - 1] == '\n')
                doc[len - 1] = '\0';
            env->message(env->message_user, FIB_JOB_RESULT, doc);
            free(doc);
        }
    }
    fib_fmt_json_destroy(j);
    return st;
}

static void say_num(const fib_job_env *env, const char *label, double v,
                    const char *unit)
{
    if (isfinite(v))
        fib_job_say(env, FIB_JOB_RESULT, "%-16s %.6g %s", label, v + 0.0, unit);
}

/* "  KEY = VALUE" of any length (a vendor value may pass 4 KiB). */
static void say_pair(const fib_job_env *env, const char *k, const char *v)
{
    const size_t n = strlen(k) + strlen(v) + 6;
    char *line = env && env->message ? malloc(n) : NULL;
    if (!line)
        return;
    snprintf(line, n, "  %s = %s", k, v);
    env->message(env->message_user, FIB_JOB_RESULT, line);
    free(line);
}

static void say_text(const fib_job_info_params *p, const info_run *r,
                     const fib_job_env *env)
{
    const fib_fmt_info *in = &r->info;
    const fib_fmt_meta *m = &in->meta;
    const fib_job_level R = FIB_JOB_RESULT;
    fib_job_say(env, R, "%-16s %s", "file", r->path);
    fib_job_say(env, R, "%-16s %s", "kind", fib_fmt_kind_name(in->kind));
    fib_job_say(env, R, "%-16s %zu x %zu x %zu", "dimensions", in->nx, in->ny,
                in->nz);
    fib_job_say(env, R, "%-16s %s", "pixel type",
                fib_pixel_type_name(in->type));
    fib_job_say(env, R, "%-16s %s%s", "compression", in->compression,
                in->tiled ? " (tiled)" : "");
    if (p->check)
        fib_job_say(env, R, "%-16s %zu slice%s decoded", "check", r->checked,
                    r->checked == 1 ? "" : "s");
    if (isfinite(m->pixel_size_nm[0]))
        fib_job_say(env, R, "%-16s %.6g x %.6g nm%s%s%s", "pixel size",
                    m->pixel_size_nm[0], m->pixel_size_nm[1],
                    m->source_key[0] ? " (from " : "", m->source_key,
                    m->source_key[0] ? ")" : "");
    else
        fib_job_say(env, R, "%-16s unknown", "pixel size");
    say_num(env, "voxel depth", m->voxel_depth_nm, "nm");
    fib_job_say(env, R, "%-16s %s", "vendor", vendor_name(m->vendor));
    if (m->beam != FIB_BEAM_UNKNOWN)
        fib_job_say(env, R, "%-16s %s", "beam", beam_name(m->beam));
    say_num(env, "hv", m->hv_kV, "kV");
    say_num(env, "current", m->current_pA, "pA");
    say_num(env, "stage tilt", m->stage_tilt_deg, "deg");
    say_num(env, "hfw", m->hfw_nm / 1e3, "um");
    say_num(env, "working dist", m->working_distance_nm / 1e6, "mm");
    if (m->tilt_correction >= 0)
        fib_job_say(env, R, "%-16s %s", "tilt correction",
                    m->tilt_correction ? "on" : "off");
    if (m->detector[0])
        fib_job_say(env, R, "%-16s %s", "detector", m->detector);
    if (m->instrument[0])
        fib_job_say(env, R, "%-16s %s", "instrument", m->instrument);
    if (m->vendor == FIB_VENDOR_THERMO_FEI || m->vendor == FIB_VENDOR_ZEISS)
        fib_job_say(env, R, "%-16s %zu (image rows %zu)", "data bar rows",
                    m->databar_rows, r->image_rows);
    for (size_t i = 0; i < r->np; i++)
        say_pair(env, r->pairs[2 * i], r->pairs[2 * i + 1]);
}

fib_status fib_job_info(const fib_job_info_params *p, const char *path,
                        const fib_job_env *env, fib_error *err)
{
    const fib_job_info_params none = {0};
    if (!p)
        p = &none;
    info_run r;
    memset(&r, 0, sizeof r);
    r.path = path;
    fib_status st = fib_fmt_probe(path, NULL, &r.info, err);
    if (st != FIB_OK)
        return st;
    /* check: every slice decoded, one at a time (bounded memory) */
    const size_t nz = r.info.nz;
    for (size_t z = 0; p->check && z < (nz ? nz : 1); z++) {
        fib_fmt_read_opts ro = {0};
        ro.page = z;
        ro.keep_databar = true;
        fib_image im = {0};
        st = fib_fmt_image_read(path, &ro, &im, NULL, err);
        fib_image_clear(&im);
        if (st != FIB_OK) {
            if (nz > 1)
                fib_error_prefix(err, "slice %zu of %zu: ", z, nz);
            return st;
        }
        r.checked++;
    }
    if (p->all && (st = fib_fmt_vendor_pairs(path, &r.pairs, &r.np, err)))
        return st;
    const fib_fmt_meta *m = &r.info.meta;
    r.image_rows =
        m->databar_rows < r.info.ny ? r.info.ny - m->databar_rows : r.info.ny;
    if (p->json)
        st = say_json(p, &r, env, err);
    else
        say_text(p, &r, env);
    fib_fmt_pairs_free(r.pairs, r.np);
    return st;
}
