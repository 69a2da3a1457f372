/*
 * job_demo.c -- fib_job_demo() (fib/job_demo.h): the project end to end on
 * built-in data through the other jobs -- plan, sputter tables, phantom,
 * reconstruction (and of the drift-free twin), segmentation and
 * measurement -- with accuracy lines against the phantom's truth
 * (job_demo_check.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/correct.h"
#include "fib/formats.h"
#include "fib/threads.h"
#include "fib/job_measure.h"
#include "fib/job_physics.h"
#include "fib/job_plan.h"
#include "fib/job_recon.h"
#include "fib/job_segment.h"
#include "fib/job_simulate.h"
#include "job_demo_internal.h"

/* Longest output folder name: room for the longest file name below. */
enum { MAX_DIR = 4000, PATH_N = 4200 };

/* Every path the demo writes or reads, under the output folder. */
typedef struct demo_paths {
    const char *dir;
    char plan[PATH_N], plan_json[PATH_N], phantom[PATH_N], recon[PATH_N],
        phantom_still[PATH_N], recon_still[PATH_N], volume[PATH_N],
        measure[PATH_N], labels[PATH_N], report[PATH_N], objects[PATH_N],
        mesh[PATH_N], pictures[PATH_N], labels_otsu[PATH_N], twin[PATH_N],
        twin_recon[PATH_N], twin_volume[PATH_N], twin_labels[PATH_N],
        model[PATH_N], truth[PATH_N];
    fib_phantom_params used,
        twin_used; /* the phantom's parameters, defaults filled */
} demo_paths;

/* The demo's phantom seed, and its twin's (the classifier's training
 * acquisition: the same kind of structure, another sample). */
#define DEMO_SEED 7
#define TWIN_SEED 8
/* The twin's labelled sections: one in TWIN_EVERY; the label of the
 * others. */
#define TWIN_EVERY 8
#define TWIN_UNLABELLED 255

static void paths_make(demo_paths *d, const char *dir)
{
    d->dir = dir;
#define P(field, name) (void)snprintf(d->field, PATH_N, "%s/" name, dir)
    P(plan, "plan");
    P(plan_json, "plan/plan.json");
    P(phantom, "phantom");
    P(recon, "recon");
    P(phantom_still, "phantom-still");
    P(recon_still, "recon-still");
    P(volume, "recon/volume.mrc");
    P(measure, "measure");
    P(labels, "measure/labels.mrc");
    P(report, "measure/report.json");
    P(objects, "measure/objects.csv");
    P(mesh, "measure/lithium.ply");
    P(pictures, "measure/pictures");
    P(labels_otsu, "measure/labels_otsu.mrc");
    P(twin, "twin");
    P(twin_recon, "twin-recon");
    P(twin_volume, "twin-recon/volume.mrc");
    P(twin_labels, "twin-recon/train_labels.mrc");
    P(model, "measure/classifier.json");
    P(truth, "measure/truth_labels.mrc");
#undef P
}

/* Create the folder @p dir unless it exists. */
static fib_status make_dir(const char *dir, fib_error *err)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return FIB_OK;
    return fib_error_set(err, FIB_EINVAL, "%s: cannot create folder: %s", dir,
                         strerror(errno));
}

static void section(const fib_job_env *env, int n, const char *title)
{
    fib_job_say(env, FIB_JOB_RESULT, "\n== %d/5 %s", n, title);
}

/* 1: the embedded Li-dendrite cryo lift-out session, Ga vs Xe (the
 * session file's ions), with its JSON and drawings. */
static fib_status stage_plan(const demo_paths *d, const fib_job_env *env,
                             fib_error *err)
{
    section(env, 1, "session plan: Li-metal dendrite cryo lift-out, Ga vs Xe");
    fib_status st = make_dir(d->plan, err);
    if (st)
        return st;
    fib_job_plan_params p = {0};
    p.out_dir = d->plan;
    p.json_path = d->plan_json;
    return fib_job_plan(&p, env, NULL, err);
}

/* 2: the sputter tables: Ga, Xe, Ar on lithium at 5 and 30 keV; Ga, Xe
 * on NMC811 at 30 keV. */
static fib_status stage_sputter(const fib_job_env *env, fib_error *err)
{
    section(env, 2, "ion sources compared on lithium and NMC811 (30 kV)");
    fib_job_sputter_params p = {0};
    p.compare = true;
    p.ions = "Ga,Xe,Ar";
    p.material = "Li";
    p.energies_keV = "5,30";
    fib_status st = fib_job_sputter(&p, env, err);
    if (st)
        return st;
    p.ions = "Ga,Xe";
    p.material = "NMC811";
    p.energies_keV = "30";
    return fib_job_sputter(&p, env, err);
}

/* The dendrite phantom of @p seed into @p out, with its default drift or,
 * @p still, none (same seed: same structure, artifacts and noise); the
 * parameters used into @p used (may be NULL). */
static fib_status phantom(const char *out, uint64_t seed, bool still,
                          const fib_job_env *env, fib_phantom_params *used,
                          fib_error *err)
{
    fib_job_phantom_params p;
    fib_job_phantom_params_init(&p);
    p.phantom.kind = FIB_PHANTOM_DENDRITES;
    p.phantom.seed = seed;
    if (still)
        p.phantom.drift_px = -1; /* fib/phantom.h: negative = no drift */
    fib_phantom_params u;
    return fib_job_phantom(&p, out, env, used ? used : &u, err);
}

/* Reconstruct the series @p in into @p out: 10 nm pixels and slices,
 * destriping (the default method), normalisation, median denoising. */
static fib_status recon(char *in, char *out, const fib_job_env *env,
                        fib_error *err)
{
    fib_job_recon_params p;
    fib_job_recon_params_init(&p);
    p.run.input = in; /* not freed: the job does not own them */
    p.run.out = out;
    p.run.pixel_size_nm[0] = p.run.pixel_size_nm[1] = 10;
    p.run.slice_nm = 10;
    p.run.destripe = true;
    p.run.normalize = true;
    p.run.denoise = FIB_DENOISE_MEDIAN;
    return fib_job_recon(&p, env, NULL, err);
}

/* 3 and 4: the phantom, its reconstruction, the drift-free twin and its
 * reconstruction, then the drift check. */
static fib_status stage_recon(demo_paths *d, const fib_job_env *env,
                              fib_job_demo_result *res, fib_error *err)
{
    section(env, 3, "phantom: dendrite slice-and-view series with known drift");
    fib_status st = phantom(d->phantom, DEMO_SEED, false, env, &d->used, err);
    if (st)
        return st;
    res->n_slices = d->used.nz;
    section(env, 4, "reconstruction: align, destripe, normalise, denoise");
    st = recon(d->phantom, d->recon, env, err);
    /* the drift-free twin, reconstructed the same way, separates the
     * aligner's error from the content's apparent motion */
    if (!st)
        st = phantom(d->phantom_still, DEMO_SEED, true, env, NULL, err);
    if (!st)
        st = recon(d->phantom_still, d->recon_still, env, err);
    if (!st)
        st = fib__job_demo_drift_check(d->dir, env, res, err);
    return st;
}

/* Dice of lithium in the label volume @p path (label @p li) against the
 * truth on the reconstruction's grid (fib_job_phantom_truth_volume()). */
/* Segmented lithium voxels (label @p li of @p s) in the rows of the
 * protective cap (the truth's label 3 rows: its grooves, which global
 * thresholds take for lithium). */
static size_t cap_lithium(const fib_volume *s, uint32_t li, const fib_volume *t)
{
    const size_t plane = s->nx * s->ny;
    size_t last = 0; /* rows 0..last - 1 hold the cap */
    for (size_t i = 0; i < plane * s->nz; i++)
        if (fib_volume_label_at(t, i) == 3) {
            const size_t row = i % plane / s->nx + 1;
            last = row > last ? row : last;
        }
    size_t n = 0;
    for (size_t z = 0; z < s->nz; z++)
        for (size_t i = 0; i < last * s->nx; i++)
            n += fib_volume_label_at(s, z * plane + i) == li;
    return n;
}

static fib_status truth_dice(const demo_paths *d, const char *path, uint32_t li,
                             double *dice, double *fs, double *ft,
                             size_t *in_cap, fib_error *err)
{
    fib_volume s = {0}, t = {0};
    fib_status st = fib_fmt_volume_read(path, NULL, &s, NULL, err);
    if (!st)
        st = fib_job_phantom_truth_volume(&d->used, d->recon, s.nx, s.ny, &t,
                                          err);
    if (!st && t.nz != s.nz)
        st = fib_error_set(err, FIB_EINVAL,
                           "demo: %s has %zu sections, the phantom %zu", path,
                           s.nz, t.nz);
    if (!st) {
        *dice = fib__job_demo_dice(&s, li, &t, 1, fs, ft);
        *in_cap = cap_lithium(&s, li, &t);
    }
    if (!st && path == d->labels_otsu) { /* once: the truth beside them */
        memcpy(t.voxel_size_nm, s.voxel_size_nm, sizeof t.voxel_size_nm);
        st = fib_fmt_volume_write(d->truth, &t, NULL, err);
    }
    fib_volume_clear(&s);
    fib_volume_clear(&t);
    return st;
}

/* The twin's training labels: the truth on its reconstruction's grid
 * (classes 0..3) on one section in TWIN_EVERY, TWIN_UNLABELLED on the
 * others. */
static fib_status twin_labels(const demo_paths *d, fib_error *err)
{
    fib_fmt_info info;
    fib_status st = fib_fmt_probe(d->twin_volume, NULL, &info, err);
    fib_volume t = {0};
    if (!st)
        st = fib_job_phantom_truth_volume(&d->twin_used, d->twin_recon, info.nx,
                                          info.ny, &t, err);
    if (st)
        return st;
    const size_t plane = t.nx * t.ny;
    uint8_t *v = t.data;
    for (size_t z = 0; z < t.nz; z++)
        for (size_t i = 0; i < plane; i++)
            if (z % TWIN_EVERY != TWIN_EVERY / 2)
                v[z * plane + i] = TWIN_UNLABELLED;
    t.voxel_size_nm[0] = t.voxel_size_nm[1] = t.voxel_size_nm[2] = 10;
    st = fib_fmt_volume_write(d->twin_labels, &t, NULL, err);
    fib_volume_clear(&t);
    return st;
}

/* The classifier: the twin (another seed) rendered, reconstructed and
 * labelled from its truth, the model trained on it, then applied to the
 * demo's reconstruction into measure/labels.mrc (the truth's classes: 0
 * pore, 1 lithium, 2 substrate, 3 cap). */
static fib_status classifier(demo_paths *d, const fib_job_env *env,
                             fib_error *err)
{
    fib_job_say(env, FIB_JOB_RESULT,
                "trainable classifier: a twin acquisition (seed %d), its "
                "truth on 1 section in %d as training labels",
                TWIN_SEED, TWIN_EVERY);
    fib_status st = phantom(d->twin, TWIN_SEED, false, env, &d->twin_used, err);
    if (!st)
        st = recon(d->twin, d->twin_recon, env, err);
    if (!st)
        st = twin_labels(d, err);
    fib_job_segment_params sp = {.method = FIB_JOB_SEGMENT_CLASSIFIER,
                                 .connectivity = 6,
                                 .watershed_h_nm = -1,
                                 .min_size_vox = 50,
                                 .train_path = d->twin_labels,
                                 .train_unlabelled = TWIN_UNLABELLED,
                                 .model_path = d->model};
    if (!st)
        st = fib_job_segment(&sp, d->twin_volume, NULL, env, NULL, err);
    sp.train_path = NULL;
    if (!st)
        st = fib_job_segment(&sp, d->volume, d->labels, env, NULL, err);
    return st;
}

/* 5: three classes by multi-Otsu, then the trained classifier; the
 * lithium of the classifier (label 1) measured with its skeleton and
 * heights above the y1 face; both against the truth. */
static fib_status stage_measure(demo_paths *d, const fib_job_env *env,
                                fib_job_demo_result *res, fib_error *err)
{
    section(env, 5, "segmentation and measurement of the lithium");
    fib_status st = make_dir(d->measure, err);
    if (st)
        return st;
    size_t cap[2] = {0, 0}; /* lithium voxels in the cap rows */
    const fib_job_segment_params sp = {.method = FIB_JOB_SEGMENT_MULTI_OTSU,
                                       .classes = 3,
                                       .open_nm = 10,
                                       .min_size_vox = 50,
                                       .watershed_h_nm = -1,
                                       .connectivity = 6};
    st = fib_job_segment(&sp, d->volume, d->labels_otsu, env, NULL, err);
    if (!st)
        st = truth_dice(d, d->labels_otsu, 1, &res->dice_threshold, NULL, NULL,
                        &cap[0], err);
    if (!st)
        st = classifier(d, env, err);
    if (st)
        return st;
    fib_job_measure_params mp;
    fib_job_measure_defaults(&mp);
    mp.labels_path = d->labels;
    mp.phases[0] = 1;
    mp.n_phases = 1;
    mp.skeleton = true;
    mp.substrate_face = 3; /* y1: the bottom rows */
    mp.grey_path = d->volume;
    mp.json_path = d->report;
    mp.csv_path = d->objects;
    mp.mesh_path = d->mesh;
    mp.pictures_dir = d->pictures;
    st = fib_job_measure(&mp, env, NULL, err);
    if (!st)
        st = truth_dice(d, d->labels, 1, &res->dice, &res->fraction_segmented,
                        &res->fraction_true, &cap[1], err);
    if (!st) {
        res->truth_checked = true;
        fib_job_say(env, FIB_JOB_RESULT,
                    "lithium vs ground truth (on the reconstruction's grid): "
                    "multi-Otsu Dice overlap %.2f; trained classifier: volume "
                    "fraction %.4f segmented, %.4f true; Dice overlap %.2f",
                    res->dice_threshold, res->fraction_segmented,
                    res->fraction_true, res->dice);
        fib_job_say(env, FIB_JOB_RESULT,
                    "lithium voxels in the protective cap's rows (its "
                    "grooves): multi-Otsu %zu, trained classifier %zu",
                    cap[0], cap[1]);
    }
    return st;
}

static fib_status run(demo_paths *d, const fib_job_env *env,
                      fib_job_demo_result *res, fib_error *err)
{
    fib_status st = make_dir(d->dir, err);
    if (st)
        return st;
    fib_job_say(env, FIB_JOB_RESULT, "cryofib %s demo -> %s/",
                fib_version_string(), d->dir);
    st = stage_plan(d, env, err);
    if (!st)
        st = stage_sputter(env, err);
    if (!st)
        st = stage_recon(d, env, res, err);
    if (!st)
        st = stage_measure(d, env, res, err);
    if (st)
        return st;
    const char *dir = d->dir;
    fib_job_say(env, FIB_JOB_RESULT,
                "\ndone: %s/plan (plan.json, site-*.png, timeline.png), "
                "%s/phantom (slices, labels.mrc, true_drift.csv),\n"
                "      %s/recon (volume.mrc, drift.csv, drift.png, ortho.png, "
                "report.json), %s/measure (labels.mrc, report.json,\n"
                "      objects.csv, lithium.ply, pictures/, classifier.json, "
                "labels_otsu.mrc,\n      truth_labels.mrc); the drift-free "
                "twin in %s/phantom-still\n"
                "      and %s/recon-still; the classifier's training twin in "
                "%s/twin and %s/twin-recon",
                dir, dir, dir, dir, dir, dir, dir, dir);
    return FIB_OK;
}

static fib_status job_demo_run(const fib_job_demo_params *p,
                               const fib_job_env *env, fib_job_demo_result *res,
                               fib_error *err)
{
    fib_job_demo_result scratch;
    res = res ? res : &scratch;
    memset(res, 0, sizeof *res);
    const char *dir = p && p->out_dir ? p->out_dir : FIB_JOB_DEMO_DEFAULT_DIR;
    if (env && env->txn)
        return fib_error_set(err, FIB_EINVAL,
                             "demo: env->txn must be NULL (each stage "
                             "commits its outputs before the next reads "
                             "them)");
    if (strlen(dir) > MAX_DIR)
        return fib_error_set(err, FIB_EINVAL,
                             "demo: the output folder name must have at most "
                             "%d bytes (got %zu)",
                             MAX_DIR, strlen(dir));
    demo_paths *d = malloc(sizeof *d);
    if (!d)
        return fib_error_set(err, FIB_ENOMEM, "demo: out of memory");
    paths_make(d, dir);
    const fib_job_env none = {0}; /* every stage is handed an environment */
    const fib_status st = run(d, env ? env : &none, res, err);
    free(d);
    return st;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_demo(const fib_job_demo_params *p, const fib_job_env *env,
                        fib_job_demo_result *res, fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_demo_run(p, env, res, err);
    fib_threads_end(scope);
    return st;
}
