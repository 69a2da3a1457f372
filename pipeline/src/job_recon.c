/* job_recon.c -- fib_job_recon(): the whole reconstruction (fib/job_recon.h)
 * in phases: the series and its channels, the engine's source and
 * parameters from the run and the metadata, pass 1 + solve + pass 2 into
 * the volume sink, the channels with the same shifts, the tables and
 * report, the summary lines. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fib/checked.h"
#include "fib/threads.h"
#include "fib/job_paths.h"
#include "job_recon_internal.h"

/* The state of one run. */
typedef struct recon_run {
    fib_fmt_recon_cfg c; /* shallow copy of the run; memory_bytes filled */
    const fib_job_env *env;
    fib_progress prog, *progp; /* progp NULL: no progress */
    fib__file_src fs;
    fib_recon_source src;
    fib_recon_params p;
    fib_budget budget;
    fib__tilt_choice tc;
    fib_recon *r;
    double *z_nm;         /* measured slice depths (names, CSV) or NULL */
    const char *z_from;   /* where they came from, for the summary */
    const char *sdir;     /* the staged output folder */
    char *sdir_copy;      /* rank > 0: rank 0's staged folder, received */
    const fib_comm *comm; /* several processes (env->comm) or NULL */
    bool lead;            /* rank 0: stages, writes the tables, commits */
    const char *ext;
    char volname[64];
    double t0;
} recon_run;

static void join(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool dir_has(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    const int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

/* "12.5 nm" or "unknown": a length is never printed as 0 nm. */
static const char *len_str(double nm, char *buf, size_t n)
{
    if (nm > 0 && isfinite(nm))
        snprintf(buf, n, "%g nm", nm);
    else
        snprintf(buf, n, "unknown");
    return buf;
}

/* The files a recon result holds: removed from an output folder written
 * before result manifests existed (fib_fmt_txn_dir), recognised by its
 * report.json. */
static const char *const recon_outputs[] = {"volume.*",  "volume_*.*",
                                            "ortho.png", "drift.csv",
                                            "drift.png", "report.json"};

/* Open channel k (the caller frees cs->paths) and check its length. */
static fib_status open_channel(const recon_run *u, size_t k, fib__file_src *cs,
                               fib_error *err)
{
    fib_status st = fib__job_open_series(u->c.channel_input[k], cs, err);
    if (!st && cs->n != u->fs.n)
        st = fib_error_set(err, FIB_EINVAL,
                           "channel %s has %zu slices, the reference %zu",
                           u->c.channel_name[k], cs->n, u->fs.n);
    return st;
}

/* Sizes taken from the file: outside the physical range (0.01 nm to
 * 1 mm, the engine's parameter check) the metadata is wrong; name the
 * file and the key rather than the engine's field. */
static fib_status check_meta_lengths(const recon_run *u, fib_error *err)
{
    const fib_fmt_meta *m = &u->fs.meta;
    for (int i = 0; i < 3; i++) {
        const double v = i < 2 ? m->pixel_size_nm[i] : m->voxel_depth_nm;
        const bool given =
            i < 2 ? u->c.pixel_size_nm[i] > 0 : u->c.slice_nm > 0;
        if (given || !(v > 0) ||
            (v >= FIB_RECON_MIN_LENGTH_NM && v <= FIB_RECON_MAX_LENGTH_NM))
            continue;
        return fib_error_set(err, FIB_EINVAL,
                             "%s: %s %g nm from the file metadata%s%s%s is "
                             "outside 0.01..1e6 nm: pass %s",
                             u->fs.paths[0],
                             i < 2 ? "pixel size" : "slice thickness", v,
                             m->source_key[0] ? " (" : "", m->source_key,
                             m->source_key[0] ? ")" : "",
                             i < 2 ? "--pixel-size-nm" : "--slice-nm");
    }
    return FIB_OK;
}

/* Slice depths (fib/recon_cfg.h z_positions): from the file names
 * (Zeiss Atlas "z=1.0894um") when asked, or by default when every name has
 * one and they increase; the engine then resamples to uniform z. */
static fib_status choose_z(recon_run *u, fib_error *err)
{
    const int how = u->c.z_positions;
    const size_t n = u->fs.n;
    if (u->c.z_csv && how == FIB_FMT_RECON_Z_NOMINAL)
        return fib_error_set(err, FIB_EINVAL,
                             "--z-csv %s and --z-positions nominal contradict "
                             "each other",
                             u->c.z_csv);
    if (how == FIB_FMT_RECON_Z_NOMINAL)
        return FIB_OK;
    u->z_nm = malloc(n * sizeof *u->z_nm);
    if (!u->z_nm)
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (u->c.z_csv) {
        /* a file of depths: used as given (the engine refuses depths that
         * do not increase, naming the slice) */
        u->z_from = "the --z-csv file";
        fib_status st = fib_fmt_read_z_csv(u->c.z_csv, n, u->z_nm, err);
        if (!st && n < 2) {
            free(u->z_nm);
            u->z_nm = NULL;
        }
        u->p.z_nm = u->z_nm;
        return st;
    }
    u->z_from = "the file names";
    size_t miss = 0;
    bool ok = fib_fmt_series_z_nm(u->fs.paths, n, u->z_nm, &miss);
    if (!ok && how == FIB_FMT_RECON_Z_NAMES)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: no z=...um or z=...nm in the file name "
                             "(--z-positions names needs it in every name)",
                             u->fs.paths[miss]);
    for (size_t i = 1; ok && i < n; i++)
        if (!(u->z_nm[i] > u->z_nm[i - 1])) {
            if (how == FIB_FMT_RECON_Z_NAMES)
                return fib_error_set(err, FIB_EINVAL,
                                     "%s: z = %g nm in the name does not "
                                     "increase from %s (%g nm)",
                                     u->fs.paths[i], u->z_nm[i],
                                     u->fs.paths[i - 1], u->z_nm[i - 1]);
            fib_job_say(u->env, FIB_JOB_WARN,
                        "cryofib recon: the z= in the file names does not "
                        "increase (%s): nominal slice positions used",
                        u->fs.paths[i]);
            ok = false;
        }
    if (!ok || n < 2) {
        free(u->z_nm);
        u->z_nm = NULL;
    }
    u->p.z_nm = u->z_nm;
    return FIB_OK;
}

/* The engine's source and parameters: the run's values, else the
 * metadata's (fib/job_recon.h), else unknown. */
static fib_status setup(recon_run *u, fib_error *err)
{
    const fib_fmt_recon_cfg *c = &u->c;
    const fib__file_src *fs = &u->fs;
    fib_recon_source *src = &u->src;
    fib_recon_params *p = &u->p;
    src->n_slices = fs->n;
    src->width = fs->width;
    src->height = fs->height;
    src->type = fs->type;
    src->read = fib__job_read_slice;
    src->user = &u->fs;
    /* artifact correction runs parallel loops inside the read callback */
    src->read_uses_threads = fs->correct != NULL;
    for (int i = 0; i < 2; i++) {
        const double m = fs->meta.pixel_size_nm[i];
        src->pixel_size_nm[i] = c->pixel_size_nm[i] > 0  ? c->pixel_size_nm[i]
                                : (m > 0 && isfinite(m)) ? m
                                                         : 0;
    }
    p->neighbours = c->neighbours;
    p->upsample = c->upsample;
    p->tukey_alpha = c->taper;
    p->detrend = c->detrend;
    p->cache = c->cache;
    p->isotropic = c->isotropic;
    p->receding_face = c->receding_face;
    p->skip_bad = c->skip_bad;
    p->threads = c->threads ? c->threads : u->env ? u->env->threads : 0;
    p->slice_nm =
        c->slice_nm > 0 ? c->slice_nm
        : fs->meta.voxel_depth_nm > 0 && isfinite(fs->meta.voxel_depth_nm)
            ? fs->meta.voxel_depth_nm
            : 0;
    fib_status st = check_meta_lengths(u, err);
    if (!st)
        st = choose_z(u, err);
    if (st)
        return st;
    /* beam angle: the run's, else from the beam that made the image */
    u->tc = fib__job_choose_tilt(c, &fs->meta);
    p->tilt_deg = u->tc.tilt_deg;
    p->crop_valid = c->crop_valid != 0; /* -1 (not given) = on */
    p->float_out = !c->keep_type;
    p->dark_clip = (fib_recon_dark_clip)c->dark_clip;
    p->model = (fib_recon_model)c->model;
    p->model_lambda = c->model_lambda;
    p->tilt_corrected = c->tilt_corrected >= 0 ? c->tilt_corrected == 1
                                               : fs->meta.tilt_correction == 1;
    if (c->has_roi) {
        p->use_roi = true;
        p->roi = (fib_recon_rect){c->roi[0], c->roi[1], c->roi[2], c->roi[3]};
    }
    if (c->has_fiducial) {
        p->use_fiducial = true;
        p->fiducial = (fib_recon_rect){c->fiducial[0], c->fiducial[1],
                                       c->fiducial[2], c->fiducial[3]};
    }
    if (p->isotropic && !(src->pixel_size_nm[0] > 0 && p->slice_nm > 0))
        return fib_error_set(err, FIB_EINVAL,
                             "--iso needs the pixel size and the slice "
                             "thickness (pixel size %s, slice thickness "
                             "%s): pass --pixel-size-nm and --slice-nm",
                             src->pixel_size_nm[0] > 0 ? "known" : "unknown",
                             p->slice_nm > 0 ? "known" : "unknown");
    p->comm = u->comm;
    if (!u->c.memory_bytes)
        u->c.memory_bytes = FIB_BUDGET_DEFAULT_BYTES;
    u->budget = fib_budget_make(u->c.memory_bytes);
    p->budget = &u->budget;
    /* the read callback decodes each slice file into an image of the
     * file's own type (data bar included) before the library's f32
     * buffer is filled: that image is charged too, for the whole run */
    size_t dec = 0;
    const size_t rows =
        fs->meta.full_height > fs->height ? fs->meta.full_height : fs->height;
    /* with read-ahead: the slices decoded ahead and the one handed out;
     * a budget too small for them reads without (one slice held) */
    size_t nd = fib__job_src_decoders(p->threads);
    if (!fib_mul3_size(fs->width, rows, fib_pixel_size_bytes(fs->type), &dec))
        dec = (size_t)-1;
    size_t all = 0;
    if (nd && (!fib_mul_size(dec, fib__job_src_ahead(nd) + 1, &all) ||
               fib_budget_charge(&u->budget, all, "read-ahead", NULL)))
        nd = 0;
    st = nd ? FIB_OK
            : fib_budget_charge(&u->budget, dec, "slice file decode", err);
    if (!st)
        st = fib__job_src_start(&u->fs, (int)nd, c->cache ? NULL : u->sdir,
                                err); /* --cache: pass 2 reads the cache */
    return st;
}

/* Pass 1 + solve, then pass 2 into volume.EXT and ortho.png. */
static fib_status write_volume(recon_run *u, fib_error *err)
{
    char path[4096], opath[4096];
    fib__vol_sink vs = {0};
    fib_status st = fib_recon_create(&u->p, &u->src, &u->r, err);
    st = fib_comm_agree(u->comm, st, err); /* estimate is collective */
    if (!st)
        st = fib_recon_estimate(u->r, u->progp, err);
    if (st)
        return st;
    snprintf(u->volname, sizeof u->volname, "volume.%s", u->ext);
    join(path, sizeof path, u->sdir, u->volname);
    vs.path = path;
    vs.async = fib__job_src_decoders(u->p.threads) > 0;
    vs.wo.zarr_compressor = u->c.zarr_compressor;
    vs.part = fib_comm_size(u->comm) > 1;
    fib_recon_sink sink = {fib__job_sink_begin, fib__job_sink_slice, &vs, 0};
    if (vs.part) { /* the ranks' parts share no chunk of any level */
        const fib_recon_geometry g = fib_recon_get_geometry(u->r);
        sink.z_align = fib_fmt_zarr_z_align(g.nx, g.ny, g.nz, &vs.wo);
    }
    st = fib_recon_write(u->r, NULL, &sink, u->progp, err);
    if (!st)
        st = fib__job_sink_finish(&vs, err);
    st = fib__job_sink_gather(&vs, u->comm, st, err);
    if (!st && u->lead) {
        join(opath, sizeof opath, u->sdir, "ortho.png");
        st = fib__job_write_ortho(opath, &vs, err);
    }
    fib__job_sink_clear(&vs);
    return fib_comm_agree(u->comm, st, err);
}

/* volume_NAME.EXT of channel k: the same shifts and correction. */
static fib_status write_channel(recon_run *u, size_t k, fib_error *err)
{
    fib__file_src cs;
    fib_status st = open_channel(u, k, &cs, err);
    if (!st)
        st = fib__job_src_start(&cs, (int)fib__job_src_decoders(u->p.threads),
                                NULL, err); /* read once: no spill */
    if (!st) {
        /* channels get the same artifact correction (the context is
         * reset at slice 0, so the normalisation follows each stack) */
        cs.correct = u->fs.correct;
        fib_recon_source chs = u->src;
        chs.n_slices = cs.n;
        chs.width = cs.width;
        chs.height = cs.height;
        chs.type = cs.type;
        chs.user = &cs;
        chs.pixel_size_nm[0] = chs.pixel_size_nm[1] = 0;
        for (int i = 0; i < 2; i++) {
            const double m = cs.meta.pixel_size_nm[i];
            if (m > 0 && isfinite(m))
                chs.pixel_size_nm[i] = m;
        }
        char cpath[4096], cname[256];
        snprintf(cname, sizeof cname, "volume_%s.%s", u->c.channel_name[k],
                 u->ext);
        join(cpath, sizeof cpath, u->sdir, cname);
        fib__vol_sink cv = {0};
        cv.path = cpath;
        cv.async = fib__job_src_decoders(u->p.threads) > 0;
        cv.wo.zarr_compressor = u->c.zarr_compressor;
        cv.part = fib_comm_size(u->comm) > 1;
        fib_recon_sink csink = {fib__job_sink_begin, fib__job_sink_slice, &cv,
                                0};
        if (cv.part) {
            const fib_recon_geometry g = fib_recon_get_geometry(u->r);
            csink.z_align = fib_fmt_zarr_z_align(g.nx, g.ny, g.nz, &cv.wo);
        }
        st = fib_recon_write(u->r, &chs, &csink, u->progp, err);
        if (!st)
            st = fib__job_sink_finish(&cv, err);
        fib__job_sink_clear(&cv);
        if (st)
            fib_error_prefix(err, "channel %s: ", u->c.channel_name[k]);
    }
    fib__job_src_stop(&cs);
    fib_fmt_series_free(cs.paths, cs.n);
    return fib_comm_agree(u->comm, st, err);
}

/* drift.csv, drift.png and report.json. */
static fib_status write_tables(recon_run *u, fib_error *err)
{
    char path[4096];
    join(path, sizeof path, u->sdir, "drift.csv");
    fib_status st = fib__job_write_drift_csv(path, u->r, err);
    if (!st) {
        join(path, sizeof path, u->sdir, "drift.png");
        st = fib__job_write_drift_plot(path, u->r, err);
    }
    if (!st) {
        join(path, sizeof path, u->sdir, "report.json");
        const fib__job_report rep = {&u->c,      &u->fs,         &u->p,
                                     &u->src,    u->r,           &u->tc,
                                     u->volname, now_s() - u->t0};
        st = fib__job_write_report(path, &rep, err);
    }
    return st;
}

/* Smallest (or largest) step between measured depths. */
static double zstep(const recon_run *u, bool largest)
{
    double m = u->z_nm[1] - u->z_nm[0];
    for (size_t i = 2; i < u->fs.n; i++) {
        const double d = u->z_nm[i] - u->z_nm[i - 1];
        m = largest ? fmax(m, d) : fmin(m, d);
    }
    return m;
}

/* The summary lines and the result numbers. */
static void summary(const recon_run *u, fib_job_recon_result *res)
{
    const fib_job_env *env = u->env;
    const fib_recon_geometry g = fib_recon_get_geometry(u->r);
    /* unknown lengths: one line each, naming the option; the volume says
     * "unknown" (MRC cella 0 + label, NRRD without spacings, TIFF without
     * resolution), never 0 nm */
    if (!(u->src.pixel_size_nm[0] > 0) || !(u->src.pixel_size_nm[1] > 0))
        fib_job_say(env, FIB_JOB_WARN,
                    "cryofib recon: pixel size unknown (no vendor metadata "
                    "in %s): pass --pixel-size-nm (run file: pixel_size_nm); "
                    "volume written with unknown voxel size in x and y",
                    u->fs.paths[0]);
    if (!(u->p.slice_nm > 0) && !g.z_resampled)
        fib_job_say(env, FIB_JOB_WARN,
                    "cryofib recon: slice thickness unknown (not in the "
                    "metadata): pass --slice-nm (run file: slice_nm); volume "
                    "written with unknown voxel size in z");
    size_t skipped = 0;
    for (size_t i = 0; i < u->fs.n; i++)
        skipped += fib_recon_get_slice(u->r, i).skipped;
    char lx[32], ly[32], lz[32];
    fib_job_say(env, FIB_JOB_RESULT,
                "cryofib recon: %zu slices (%zu skipped) -> %s/%s %zu x %zu x "
                "%zu, voxel %s x %s x %s; %s; %s",
                u->fs.n, skipped, u->c.out, u->volname, g.nx, g.ny, g.nz,
                len_str(g.voxel_size_nm[0], lx, sizeof lx),
                len_str(g.voxel_size_nm[1], ly, sizeof ly),
                len_str(g.voxel_size_nm[2], lz, sizeof lz), u->tc.why,
                g.y_scale != 1.0 || u->p.tilt_corrected ? g.tilt_note
                                                        : "nothing stretched");
    if (g.z_resampled)
        fib_job_say(env, FIB_JOB_RESULT,
                    "cryofib recon: slice depths from %s "
                    "(%.4g..%.4g nm, steps %.3g..%.3g nm): resampled to "
                    "uniform %.4g nm steps (--z-positions nominal keeps one "
                    "output slice per file)",
                    u->z_from, u->z_nm[0], u->z_nm[u->fs.n - 1],
                    zstep(u, false), zstep(u, true), g.voxel_size_nm[2]);
    const fib_recon_qc qc = fib_recon_get_qc(u->r);
    if (qc.n_flagged) {
        char list[160] = "";
        for (size_t i = 0, k = 0; i < u->fs.n; i++) {
            if (!fib_recon_get_slice(u->r, i).flagged)
                continue;
            const size_t l = strlen(list);
            if (l + 24 < sizeof list)
                snprintf(list + l, sizeof list - l, "%s%zu", k++ ? ", " : "",
                         i);
        }
        fib_job_say(env, FIB_JOB_WARN,
                    "cryofib recon: %zu slice%s unlike both neighbours after "
                    "alignment or blurred (charging, lost focus or a blank "
                    "frame?): %s%s "
                    "-- report.json alignment_qc.flagged_slices",
                    qc.n_flagged, qc.n_flagged > 1 ? "s" : "", list,
                    strlen(list) + 24 >= sizeof list ? ", ..." : "");
    }
    if (g.cropped)
        fib_job_say(env, FIB_JOB_RESULT,
                    "cryofib recon: cropped to the region every slice "
                    "covers: x %zu..%zu, y %zu..%zu of the %zu x %zu frame "
                    "(--no-crop-valid keeps it all)",
                    g.valid.x, g.valid.x + g.valid.width - 1, g.valid.y,
                    g.valid.y + g.valid.height - 1, g.full_nx, g.full_ny);
    if (!res)
        return;
    res->n_slices = u->fs.n;
    res->n_skipped = skipped;
    res->nx = g.nx;
    res->ny = g.ny;
    res->nz = g.nz;
    memcpy(res->voxel_size_nm, g.voxel_size_nm, sizeof res->voxel_size_nm);
    res->tilt_deg = u->p.tilt_deg;
    snprintf(res->volume, sizeof res->volume, "%s", u->volname);
}

/* Several processes: rank 0's staged folder on every rank (rank 0 sends
 * it, the others nothing), after agreeing on the steps so far. */
static fib_status share_sdir(recon_run *u, fib_status st, fib_error *err)
{
    st = fib_comm_agree(u->comm, st, err);
    if (st || fib_comm_size(u->comm) == 1)
        return st;
    void *all = NULL;
    const size_t n = u->lead ? strlen(u->sdir) + 1 : 0;
    st =
        fib_comm_allgather(u->comm, u->lead ? u->sdir : "", n, &all, NULL, err);
    if (!st && u->lead)
        free(all);
    else if (!st)
        u->sdir = u->sdir_copy = all; /* rank 0's bytes come first */
    return fib_comm_agree(u->comm, st, err);
}

/* Everything up to the commit; the caller cleans up.  With several
 * processes every step that a failed rank would not finish ends in an
 * agreement, so that all ranks fail together with the first message. */
static fib_status run(recon_run *u, fib_fmt_txn **own, fib_error *err)
{
    const fib_fmt_recon_cfg *c = &u->c;
    fib_fmt_txn *txn = NULL;
    fib_status st = fib__job_open_series(c->input, &u->fs, err);
    /* check the channels before anything is written */
    for (size_t k = 0; k < c->n_channels && !st; k++) {
        fib__file_src cs;
        st = open_channel(u, k, &cs, err);
        fib_fmt_series_free(cs.paths, cs.n);
    }
    if (!st && fib_comm_size(u->comm) > 1 && c->format != FIB_FMT_RECON_ZARR)
        st = fib_error_set(err, FIB_EINVAL,
                           "recon: %d processes write the volume as OME-Zarr "
                           "chunks of their own: pass --format zarr (or run "
                           "one process)",
                           fib_comm_size(u->comm));
    /* every output goes to the transaction's staged folder and appears at
     * the commit, all together (fib/txn.h); a previous result in the
     * folder is replaced as a whole; other ranks write into rank 0's */
    if (!st && u->lead)
        st = fib_job_txn(u->env, own, &txn, err);
    if (!st && u->lead)
        st = fib_fmt_txn_dir(txn, c->out, recon_outputs,
                             dir_has(c->out, "report.json")
                                 ? sizeof recon_outputs / sizeof *recon_outputs
                                 : 0,
                             &u->sdir, err);
    st = share_sdir(u, st, err);
    if (!st)
        st = fib__job_make_correct(c, &u->fs.correct, err);
    if (!st)
        st = setup(u, err);
    st = fib_comm_agree(u->comm, st, err);
    if (!st)
        st = write_volume(u, err);
    for (size_t k = 0; k < c->n_channels && !st; k++)
        st = write_channel(u, k, err);
    if (!st && u->lead)
        st = write_tables(u, err);
    /* rank 0 commits only after every rank has written its part */
    st = fib_comm_agree(u->comm, st, err);
    if (st && txn)
        fib_fmt_txn_explain(txn, err); /* name the outputs, not the stage */
    return st;
}

void fib_job_recon_params_init(fib_job_recon_params *p)
{
    memset(p, 0, sizeof *p);
    fib_params_defaults(fib_fmt_recon_cfg_params(), &p->run);
    fib_params_defaults(fib_fmt_recon_cfg_correct_params(), &p->run);
    p->run.tilt_corrected = p->run.crop_valid = -1;
}

/* Every row of the run's tables in range; a field at its row's default
 * passes (tilt_corrected -1: the metadata's flag). */
static fib_status check_run(const fib_fmt_recon_cfg *c, fib_error *err)
{
    const fib_param_table *ts[2] = {fib_fmt_recon_cfg_params(),
                                    fib_fmt_recon_cfg_correct_params()};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < ts[k]->n; i++) {
            const fib_param *row = &ts[k]->rows[i];
            if (row->type != FIB_PARAM_DLIST &&
                fib_params_number(row, c) == row->def)
                continue;
            const fib_param_table one = {ts[k]->engine, row, 1};
            const fib_status st = fib_params_check(&one, c, err);
            if (st) {
                fib_error_prefix(err, "recon: ");
                return st;
            }
        }
    return FIB_OK;
}

static fib_status job_recon_run(const fib_job_recon_params *p,
                                const fib_job_env *env,
                                fib_job_recon_result *res, fib_error *err)
{
    if (res)
        memset(res, 0, sizeof *res);
    if (!p || !p->run.input || !p->run.out)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: the input and the output folder are "
                             "required");
    fib_status st = check_run(&p->run, err);
    /* the output folder may not be, nor hold, the series or a channel's
     * (fib/job_paths.h): its files are replaced */
    for (size_t k = 0; k <= p->run.n_channels && !st; k++)
        st = fib_job_check_dir_not_series(
            "--out", p->run.out, k ? p->run.channel_input[k - 1] : p->run.input,
            err);
    if (st)
        return st;
    recon_run u;
    memset(&u, 0, sizeof u);
    u.c = p->run;
    u.env = env;
    u.comm = env ? env->comm : NULL;
    u.lead = fib_comm_rank(u.comm) == 0;
    u.t0 = now_s();
    static const char *const ext[] = {"mrc", "tif", "nrrd", "zarr"};
    u.ext = ext[(unsigned)u.c.format < 4 ? u.c.format : 0];
    if (env && env->progress.fn) {
        u.prog = env->progress;
        u.progp = &u.prog;
    }
    fib_fmt_txn *own = NULL;
    st = run(&u, &own, err);
    st = fib_job_finish(env, own, st, err);
    if (!st)
        summary(&u, res);
    fib_recon_destroy(u.r);
    fib_recon_correct_destroy(u.fs.correct);
    fib__job_src_stop(&u.fs);
    fib_fmt_series_free(u.fs.paths, u.fs.n);
    free(u.z_nm);
    free(u.sdir_copy);
    return st;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_recon(const fib_job_recon_params *p, const fib_job_env *env,
                         fib_job_recon_result *res, fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_recon_run(p, env, res, err);
    fib_threads_end(scope);
    return st;
}
