/*
 * job_measure_internal.h -- private to pipeline/src/job_measure*.c: the
 * label helpers of the pipeline (one reader of label values, one mask
 * loop), the report-unit rules and the state of one fib_job_measure()
 * call shared by the report sections.
 */
#ifndef FIB_JOB_MEASURE_INTERNAL_H
#define FIB_JOB_MEASURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/formats.h"
#include "fib/job_measure.h"
#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/report.h"

/* ---- labels (job_measure_util.c) ------------------------------------- */

/** @p mask (u8, same size) = 1 where @p labels holds @p label, else 0. */
void fib__job_label_mask(const fib_volume *labels, uint32_t label,
                         fib_volume *mask);

/** Distinct label values of @p v, sorted, at most @p max (0 when out of
 *  memory). */
size_t fib__job_labels_distinct(const fib_volume *v, uint32_t *vals,
                                size_t max);

/**
 * Read the label volume @p path into @p out: u8/u16/u32 as stored, f32
 * converted to u32 when every voxel holds an integer >= 0 (else
 * FIB_EINVAL "PATH: voxel I holds V, not a label (integer >= 0)").
 */
fib_status fib__job_labels_read(const char *path, fib_volume *out,
                                fib_error *err);

/** An f32 @p vol read from @p path replaced by u32 labels (other types
 *  left as they are); @p first_voxel: the raster index of its first voxel
 *  in the file, for the message. */
fib_status fib__job_labels_u32(const char *path, fib_volume *vol,
                               size_t first_voxel, fib_error *err);

/* ---- block-wise measurement (job_measure_blocks.c) -------------------- */

/** What the block-wise passes measured, for the report sections. */
typedef struct fib__measure_blk {
    double frac[FIB_JOB_MEASURE_MAX_LABELS]; /* per m->vals */
    fib_phase_surface surf[FIB_JOB_MEASURE_MAX_PHASES];
    fib_object_stats *obj[FIB_JOB_MEASURE_MAX_PHASES]; /* owned */
    size_t nobj[FIB_JOB_MEASURE_MAX_PHASES];
    fib_distribution lt[FIB_JOB_MEASURE_MAX_PHASES]; /* local thickness */
    fib_height_stats hs[FIB_JOB_MEASURE_MAX_PHASES]; /* deposit heights */
    double *htop[FIB_JOB_MEASURE_MAX_PHASES]; /* per column of the face */
    uint32_t *hcnt[FIB_JOB_MEASURE_MAX_PHASES];
    size_t depth, halo, n_slabs; /* sections per slab, halo, slabs */
    size_t lt_halo, lt_slabs;    /* the thickness pass's */
    double whole_bytes;          /* the whole-volume estimate */
} fib__measure_blk;

/* ---- one measure run ------------------------------------------------- */

typedef struct fib__measure {
    const fib_job_measure_params *p;
    const fib_job_env *env;
    const fib_progress *prog; /* env's progress, or NULL */
    fib_volume vol;           /* labels; voxel size as measured */
    fib_volume mask;          /* u8 scratch mask, same size */
    uint32_t vals[FIB_JOB_MEASURE_MAX_LABELS]; /* distinct labels */
    size_t nval;
    uint32_t phases[FIB_JOB_MEASURE_MAX_PHASES]; /* measured labels */
    size_t nphase;
    bool vu; /* report in voxel units */
    fib_fmt_json *j;
    fib_fmt_csv *csv;   /* NULL: no CSV */
    fib_mesh mesh;      /* the --mesh surface */
    const char *s_mesh; /* staged paths */
    const char *s_pic;
    const char *s_flux;
    fib_job_measure_result *res;
    fib__measure_blk *blk; /* block-wise (--memory), else NULL */
    char ring[8][96];      /* ukey() buffers */
    unsigned ring_at;
} fib__measure;

/** The message of one summary line (FIB_JOB_RESULT). */
#define FIB__SAY(m, ...) fib_job_say((m)->env, FIB_JOB_RESULT, __VA_ARGS__)

extern const char *const fib__axis_name[3];

/* Report units (job_measure_util.c): @p key with its unit suffix in voxel
 * units when m->vu (valid for the next 7 calls), a value in the unit of
 * @p key's suffix converted likewise, and one key/value pair. */
const char *fib__ukey(fib__measure *m, const char *key);
double fib__uval(const fib__measure *m, const char *key, double v);
void fib__jnum(fib__measure *m, const char *key, double v);
/** A JSON key that is a label value. */
void fib__key_u32(fib_fmt_json *j, uint32_t v);

struct fib__measure;
/** Decide whole-volume or block-wise (params.memory_bytes): in block mode
 *  refuse what needs the whole volume, then the first pass: the volume's
 *  size, voxel size and label values (m->vals) with their fractions; m->blk
 *  set.  Whole-volume: nothing done. */
fib_status fib__measure_blocks_plan(struct fib__measure *m, fib_error *err);
/** Block mode, after the header: the second pass (surfaces, objects) and
 *  the report's "blockwise" entry. */
fib_status fib__measure_blocks_run(struct fib__measure *m, fib_error *err);
void fib__measure_blocks_free(struct fib__measure *m);

/* Report sections, in report order. */
fib_status fib__measure_fractions(fib__measure *m, fib_error *err);
fib_status fib__measure_surfaces(fib__measure *m, fib_error *err);
fib_status fib__measure_objects(fib__measure *m, fib_error *err);
fib_status fib__measure_thickness(fib__measure *m, fib_error *err);
fib_status fib__measure_tortuosity(fib__measure *m, fib_error *err);
fib_status fib__measure_skeleton(fib__measure *m, fib_error *err);
fib_status fib__measure_heights(fib__measure *m, fib_error *err);
fib_status fib__measure_coating_mesh(fib__measure *m, fib_error *err);
fib_status fib__measure_battery(fib__measure *m, fib_error *err);
fib_status fib__measure_psd(fib__measure *m, fib_error *err);
fib_status fib__measure_uncertainty(fib__measure *m, fib_error *err);
/** The --grey volume, same size as the labels, with their voxel size. */
fib_status fib__measure_read_grey(const fib__measure *m, fib_volume *grey,
                                  fib_error *err);
/* Parse "L=S,L=S,..." (job_measure_transport.c): at most
 * FIB_CONDUCTIVITY_MAX_LABELS pairs, L an integer label, S >= 0 finite;
 * returns the count, 0 when malformed. */
size_t fib__measure_parse_conductivity(const char *spec, uint32_t *labels,
                                       double *sigma);

/* The flux_PHASE_AXIS.png picture of a flux map (job_measure_pictures.c):
 * the slice through the middle that contains the transport axis. */
fib_status fib__measure_flux_picture(const fib__measure *m, uint32_t phase,
                                     int axis, const fib_volume *flux,
                                     fib_error *err);
fib_status fib__measure_pictures(fib__measure *m, const fib_volume *grey,
                                 fib_error *err);

#endif /* FIB_JOB_MEASURE_INTERNAL_H */
