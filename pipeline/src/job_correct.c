/*
 * job_correct.c -- fib_job_correct() (fib/job_correct.h): the `cryofib
 * correct` workflow -- input kinds, the 3D-median delay line, the output
 * sinks (one image, a volume writer, a folder of named slices).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fib/formats.h"
#include "fib/threads.h"
#include "fib/job_correct.h"
#include "fib/job_paths.h"

bool fib_job_background_parse(const char *name,
                              fib_recon_background_method *out)
{
    if (name && strcmp(name, "poly") == 0)
        *out = FIB_BACKGROUND_POLY;
    else if (name && strcmp(name, "gauss") == 0)
        *out = FIB_BACKGROUND_GAUSS;
    else
        return false;
    return true;
}

bool fib_job_denoise_parse(const char *name, fib_job_correct_params *p)
{
    static const struct {
        const char *name;
        fib_recon_denoise_method m;
    } t[] = {{"median", FIB_DENOISE_MEDIAN},
             {"gauss", FIB_DENOISE_GAUSS},
             {"diffusion", FIB_DENOISE_DIFFUSION},
             {"nlm", FIB_DENOISE_NLM}};
    if (!name)
        return false;
    if (strcmp(name, "median3d") == 0) {
        p->median3d = true;
        return true;
    }
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(name, t[i].name) == 0) {
            p->correct.denoise.method = t[i].m;
            return true;
        }
    return false;
}

bool fib_job_out_type_parse(const char *name, int *out)
{
    static const struct {
        const char *name;
        int type;
    } t[] = {{"same", FIB_JOB_OUT_SAME},
             {"u8", FIB_PX_U8},
             {"u16", FIB_PX_U16},
             {"f32", FIB_PX_F32}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(name, t[i].name) == 0) {
            *out = t[i].type;
            return true;
        }
    return false;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool fib_job_correct_is_series(const char *in)
{
    const size_t len = strlen(in);
    return is_dir(in) || strpbrk(in, "*?[") != NULL ||
           (len > 4 && (strcasecmp(in + len - 4, ".txt") == 0 ||
                        strcasecmp(in + len - 4, ".lst") == 0));
}

/* True when a step is chosen (the context's own test needs a context). */
static bool any_step(const fib_job_correct_params *p)
{
    const fib_recon_correct_params *c = &p->correct;
    return p->median3d || c->destripe.method != FIB_DESTRIPE_NONE ||
           c->background.method != FIB_BACKGROUND_NONE ||
           c->normalize.enabled || c->denoise.method != FIB_DENOISE_NONE;
}

fib_status fib_job_correct_check(const fib_job_correct_params *p,
                                 const char *out, fib_error *err)
{
    if (!p || !out)
        return fib_error_set(err, FIB_EINVAL, "correct: params or out NULL");
    fib_recon_correct *ctx = NULL;
    fib_status st = fib_recon_correct_create(&p->correct, &ctx, err);
    fib_recon_correct_destroy(ctx);
    if (st != FIB_OK)
        return st;
    if (!any_step(p))
        return fib_error_set(err, FIB_EINVAL,
                             "no step chosen (use --destripe, --robust, "
                             "--wedge, --background, --normalize or "
                             "--denoise)");
    const bool out_dir = is_dir(out);
    if (!out_dir && fib_fmt_kind_from_path(out) == FIB_FMT_UNKNOWN)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: unknown output extension (use .png, .tif, "
                             ".tiff, .mrc, .map, .rec or .nrrd, or a folder "
                             "for a series)",
                             out);
    if (p->out_type == FIB_PX_F32 && !out_dir &&
        fib_fmt_kind_from_path(out) == FIB_FMT_PNG)
        return fib_error_set(err, FIB_EINVAL, "%s: PNG cannot hold f32 pixels",
                             out);
    if (p->out_type != FIB_JOB_OUT_SAME && p->out_type != FIB_PX_U8 &&
        p->out_type != FIB_PX_U16 && p->out_type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "correct: out_type %d is not u8, u16 or f32",
                             p->out_type);
    return FIB_OK;
}

/* ------------------------------------------------------------------ */
/* The slice pipeline: correct, (3D median), convert, write.           */
/* ------------------------------------------------------------------ */

typedef struct run {
    fib_recon_correct *ctx;
    const fib_job_correct_params *p;
    const fib_progress *prog;
    /* median3d delay line: the last three corrected f32 slices */
    fib_image ring[3];
    size_t have;
    /* the sink: exactly one of writer (volume file), dir (series into a
     * folder, slices keep their names), single (one image file) */
    fib_fmt_volume_writer *writer;
    const char *dir;
    const char *single;
    char **names; /* series paths (dir) */
} run;

/* Convert an f32 result to the output type (clamped, rounded) and write
 * it as slice @p index. */
static fib_status emit(run *r, size_t index, const fib_image *f32,
                       fib_pixel_type in_type, fib_error *err)
{
    const fib_pixel_type t =
        r->p->out_type < 0 ? in_type : (fib_pixel_type)r->p->out_type;
    fib_image o;
    fib_status st = fib_image_convert(f32, t, &o, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (r->writer) {
        st = fib_fmt_volume_writer_append(r->writer, &o, err);
    } else if (r->dir) {
        const char *base = strrchr(r->names[index], '/');
        base = base ? base + 1 : r->names[index];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", r->dir, base);
        st = fib_fmt_image_write(path, &o, &wo, err);
    } else {
        st = fib_fmt_image_write(r->single, &o, &wo, err);
    }
    fib_image_clear(&o);
    return st;
}

/* 3D median of ring slices (below, centre, above) written as @p index. */
static fib_status emit_median(run *r, size_t index, const fib_image *below,
                              const fib_image *centre, const fib_image *above,
                              fib_pixel_type in_type, fib_error *err)
{
    fib_image m;
    fib_status st = fib_recon_median3d(below, centre, above,
                                       r->p->median3d_radius, &m, err);
    if (st != FIB_OK)
        return st;
    st = emit(r, index, &m, in_type, err);
    fib_image_clear(&m);
    return st;
}

/* Feed one corrected slice (ownership moves in); with median3d the output
 * lags one slice: ring[0] = k-1, ring[1] = k, ring[2] = k+1. */
static fib_status push(run *r, size_t index, fib_image *f32,
                       fib_pixel_type in_type, bool last, fib_error *err)
{
    if (!r->p->median3d)
        return emit(r, index, f32, in_type, err);
    fib_image_clear(&r->ring[0]);
    r->ring[0] = r->ring[1];
    r->ring[1] = r->ring[2];
    r->ring[2] = *f32;
    memset(f32, 0, sizeof *f32);
    r->have++;
    fib_status st = FIB_OK;
    if (r->have >= 2) /* slice index - 1 has both neighbours (mirror z=0) */
        st = emit_median(r, index - 1, r->have == 2 ? &r->ring[2] : &r->ring[0],
                         &r->ring[1], &r->ring[2], in_type, err);
    if (st == FIB_OK && last) {
        /* final slice: mirror at the end (or a single slice alone) */
        const fib_image *below = r->have >= 2 ? &r->ring[1] : &r->ring[2];
        st = emit_median(r, index, below, &r->ring[2], below, in_type, err);
    }
    return st;
}

/* @p in_type: the pixel type "same" means. */
static fib_status one_slice(run *r, size_t index, size_t n,
                            const fib_image *src, fib_pixel_type in_type,
                            fib_error *err)
{
    fib_image f;
    fib_status st = fib_image_convert(src, FIB_PX_F32, &f, err);
    if (st != FIB_OK)
        return st;
    st = fib_recon_correct_slice(r->ctx, index, &f, err);
    if (st == FIB_OK)
        st = push(r, index, &f, in_type, index + 1 == n, err);
    fib_image_clear(&f);
    if (st == FIB_OK)
        st = fib_progress_report(r->prog, "correct", index + 1, n, err);
    return st;
}

/* A slice series into a folder or one volume file. */
static fib_status run_series(run *r, const char *in, const char *out,
                             fib_fmt_txn *t, size_t *n_out, fib_error *err)
{
    fib_fmt_read_opts ro;
    memset(&ro, 0, sizeof ro);
    fib_fmt_write_opts wo;
    memset(&wo, 0, sizeof wo);
    size_t n = 0;
    fib_status st = fib_fmt_series_list(in, &r->names, &n, err);
    if (st != FIB_OK)
        return st;
    *n_out = n;
    fib_image first;
    st = fib_fmt_image_read(r->names[0], &ro, &first, NULL, err);
    if (st != FIB_OK)
        return st;
    const fib_pixel_type first_type = first.type;
    if (is_dir(out)) {
        st = fib_fmt_txn_dir(t, out, NULL, 0, &r->dir, err);
    } else {
        const fib_pixel_type type =
            r->p->out_type < 0 ? first.type : (fib_pixel_type)r->p->out_type;
        const char *staged = NULL;
        st = fib_fmt_txn_path(t, out, &staged, err);
        if (st == FIB_OK)
            st = fib_fmt_volume_writer_create(
                staged, type, first.width, first.height, n,
                (const double[3]){first.pixel_size_nm[0],
                                  first.pixel_size_nm[1], 0},
                &wo, &r->writer, err);
    }
    fib_image_clear(&first);
    for (size_t k = 0; k < n && st == FIB_OK; k++) {
        fib_image im;
        st = fib_fmt_image_read(r->names[k], &ro, &im, NULL, err);
        if (st != FIB_OK) {
            if (!strstr(err->msg, r->names[k])) /* readers name the file */
                fib_error_prefix(err, "%s: ", r->names[k]);
            break;
        }
        st = one_slice(r, k, n, &im, first_type, err);
        fib_image_clear(&im);
    }
    return st;
}

/* One image or volume file into one file. */
static fib_status run_file(run *r, const char *in, const char *out,
                           fib_fmt_txn *t, size_t *n_out, fib_error *err)
{
    fib_fmt_read_opts ro;
    memset(&ro, 0, sizeof ro);
    fib_fmt_write_opts wo;
    memset(&wo, 0, sizeof wo);
    fib_volume vol;
    memset(&vol, 0, sizeof vol);
    fib_status st = fib_fmt_volume_read(in, &ro, &vol, NULL, err);
    if (st != FIB_OK)
        return st;
    const size_t n = vol.nz;
    *n_out = n;
    const char *staged = NULL;
    if (is_dir(out))
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: a folder output needs a slice series input",
                           out);
    if (st == FIB_OK)
        st = fib_fmt_txn_path(t, out, &staged, err);
    if (st == FIB_OK && n == 1)
        r->single = staged;
    else if (st == FIB_OK)
        st = fib_fmt_volume_writer_create(
            staged,
            r->p->out_type < 0 ? vol.type : (fib_pixel_type)r->p->out_type,
            vol.nx, vol.ny, n, vol.voxel_size_nm, &wo, &r->writer, err);
    for (size_t k = 0; k < n && st == FIB_OK; k++) {
        const fib_image sl = fib_volume_slice(&vol, k);
        st = one_slice(r, k, n, &sl, vol.type, err);
    }
    fib_volume_clear(&vol);
    return st;
}

static fib_status job_correct_run(const fib_job_correct_params *p,
                                  const char *in, const char *out,
                                  const fib_job_env *env,
                                  fib_job_correct_result *res, fib_error *err)
{
    if (!in)
        return fib_error_set(err, FIB_EINVAL, "correct: in is NULL");
    fib_status st = fib_job_correct_check(p, out, err);
    /* OUT is not an input: the file and its data file, or a series' slices
     * (by name in a folder) and its list file (fib/job_paths.h) */
    if (st == FIB_OK)
        st = fib_job_correct_is_series(in)
                 ? fib_job_check_series_out(NULL, out, in, err)
                 : fib_job_check_out_of(NULL, out, in, err);
    if (st != FIB_OK)
        return st;
    const fib_progress none = {0};
    run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.prog = env ? &env->progress : &none;
    st = fib_recon_correct_create(&p->correct, &r.ctx, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_txn *own = NULL, *t = NULL;
    const bool series = fib_job_correct_is_series(in);
    size_t n = 0;
    st = fib_job_txn(env, &own, &t, err);
    if (st == FIB_OK)
        st = series ? run_series(&r, in, out, t, &n, err)
                    : run_file(&r, in, out, t, &n, err);
    if (st == FIB_OK && r.writer)
        st = fib_fmt_volume_writer_finish(r.writer, err);
    /* the writer is closed before the commit moves its file */
    fib_fmt_volume_writer_destroy(r.writer);
    if (st != FIB_OK && t)
        fib_fmt_txn_explain(t, err); /* name the outputs, not the stage */
    for (int i = 0; i < 3; i++)
        fib_image_clear(&r.ring[i]);
    fib_fmt_series_free(r.names, series ? n : 0);
    fib_recon_correct_destroy(r.ctx);
    st = fib_job_finish(env, own, st, err);
    if (st != FIB_OK)
        return st;
    if (res) {
        res->slices = n;
        res->series = series;
    }
    fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu slice%s)", out, n,
                n == 1 ? "" : "s");
    return FIB_OK;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_correct(const fib_job_correct_params *p, const char *in,
                           const char *out, const fib_job_env *env,
                           fib_job_correct_result *res, fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_correct_run(p, in, out, env, res, err);
    fib_threads_end(scope);
    return st;
}
