/* job_recon_internal.h -- private pieces of fib_job_recon() shared by
 * job_recon*.c: the file-series source, the beam-angle choice, the volume
 * sink and the writers of the pictures and reports. */
#ifndef FIB_JOB_RECON_INTERNAL_H
#define FIB_JOB_RECON_INTERNAL_H

#include <math.h>

#include "fib/correct.h"
#include "fib/formats.h"
#include "fib/job_recon.h"
#include "fib/series_reader.h"

/* A slice series of files: the recon engine's source (fib_recon_source). */
typedef struct fib__file_src {
    char **paths;
    size_t n;
    size_t width, height;
    fib_pixel_type type;
    fib_fmt_meta meta;
    fib_recon_correct *correct; /* may be NULL */
    bool compressed;            /* PNG or a compressed TIFF: decoding costs */
    bool pages; /* one stack file: paths[i] (all the same) page i */
    fib_fmt_series_reader *rd; /* read-ahead (fib__job_src_start); NULL:
                                  each slice decoded on the caller */
} fib__file_src;

/* The beam angle that foreshortens the image of the milled face, and why
 * (job_recon_src.c). */
typedef struct fib__tilt_choice {
    double tilt_deg; /* 0 = no stretch */
    char why[320];   /* one sentence for the summary and report.json */
} fib__tilt_choice;

/* job_recon_wq.c: slices appended on a writer thread (same bytes) */
typedef struct fib__wq fib__wq;
fib_status fib__wq_create(fib_fmt_volume_writer *w, fib_pixel_type type,
                          size_t nx, size_t ny, fib__wq **out, fib_error *err);
fib_status fib__wq_append(fib__wq *q, const fib_image *im, fib_error *err);
fib_status fib__wq_drain(fib__wq *q, fib_error *err);
void fib__wq_destroy(fib__wq *q);

/* Volume writer + the three orthogonal views, fed slice by slice. */
typedef struct fib__vol_sink {
    const char *path;
    bool async; /* append on a writer thread (runs with more than one) */
    fib_fmt_write_opts wo; /* the writer's options (zarr compressor) */
    bool part; /* several processes: write the geometry's z_begin..z_end
                  of the zarr (fib_fmt_write_opts.zarr_part) */
    fib__wq *q;
    fib_fmt_volume_writer *w;
    fib_recon_geometry g;
    fib_image xy, xz, yz; /* f32 */
} fib__vol_sink;

/* job_recon_src.c */
fib_status fib__job_open_series(const char *src, fib__file_src *s,
                                fib_error *err);
fib_status fib__job_read_slice(void *user, size_t i, fib_image *out,
                               fib_error *err);
size_t fib__job_src_decoders(int threads);
size_t fib__job_src_ahead(size_t decoders);
fib_status fib__job_src_start(fib__file_src *s, int decoders,
                              const char *spill_dir, fib_error *err);
void fib__job_src_stop(fib__file_src *s);
fib__tilt_choice fib__job_choose_tilt(const fib_fmt_recon_cfg *c,
                                      const fib_fmt_meta *m);
const char *fib__job_beam_word(fib_fmt_beam b);
fib_recon_destripe_method fib__job_destripe_of(const fib_fmt_recon_cfg *c);
fib_status fib__job_make_correct(const fib_fmt_recon_cfg *c,
                                 fib_recon_correct **out, fib_error *err);

/* job_recon_out.c */
fib_status fib__job_sink_begin(void *user, const fib_recon_geometry *g,
                               fib_error *err);
fib_status fib__job_sink_slice(void *user, size_t z, const fib_image *im,
                               fib_error *err);
fib_status fib__job_sink_finish(fib__vol_sink *s, fib_error *err);
/* several processes: every part's rows of the three views on rank 0
 * (collective; @p st this process's outcome so far) */
fib_status fib__job_sink_gather(fib__vol_sink *s, const fib_comm *c,
                                fib_status st, fib_error *err);
void fib__job_sink_clear(fib__vol_sink *s);
fib_status fib__job_write_ortho(const char *path, const fib__vol_sink *s,
                                fib_error *err);
fib_status fib__job_write_drift_plot(const char *path, const fib_recon *r,
                                     fib_error *err);
fib_status fib__job_write_drift_csv(const char *path, const fib_recon *r,
                                    fib_error *err);

/* job_recon_report.c: everything report.json needs */
typedef struct fib__job_report {
    const fib_fmt_recon_cfg *c; /* memory_bytes: the budget used */
    const fib__file_src *s;
    const fib_recon_params *p;
    const fib_recon_source *src;
    const fib_recon *r;
    const fib__tilt_choice *tc;
    const char *volume;
    double elapsed_s;
} fib__job_report;

fib_status fib__job_write_report(const char *path, const fib__job_report *rep,
                                 fib_error *err);

/* NaN (written as JSON null) for "unknown". */
static inline double fib__or_nan(double v)
{
    return v > 0 && isfinite(v) ? v : (double)NAN;
}

#endif
