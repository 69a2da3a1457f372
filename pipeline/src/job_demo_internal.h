/* job_demo_internal.h -- private pieces of fib_job_demo() shared by
 * job_demo*.c: the accuracy checks against the phantom's truth. */
#ifndef FIB_JOB_DEMO_INTERNAL_H
#define FIB_JOB_DEMO_INTERNAL_H

#include "fib/job_demo.h"
#include "fib/phantom.h"

/* Compare the drift recon applied (DIR/recon/drift.csv) with the phantom's
 * true drift (DIR/phantom/true_drift.csv) and, when its rows match, the
 * drift-free twin's (DIR/recon-still/drift.csv); say the accuracy lines
 * (or "drift check skipped ...") and fill the drift fields of @p res.
 * Errors: FIB_ENOMEM only (unreadable files skip the check). */
fib_status fib__job_demo_drift_check(const char *dir, const fib_job_env *env,
                                     fib_job_demo_result *res, fib_error *err);

/* The truth of the phantom @p pp on the grid of its reconstruction: the
 * series in @p phantom_dir (true_drift.csv) reconstructed into @p
 * recon_dir (drift.csv, report.json's crop box) as @p nx x @p ny (the
 * volume's size).  recon's frame is the slices' mean position, an
 * arbitrary constant offset c = mean(applied + true drift) from the
 * sample frame; the labels are rendered exactly at that sub-pixel offset
 * (fib_phantom_labels_at()), so what remains is the reconstruction's own
 * error.  @p out: a new u8 volume.  Errors: FIB_EINVAL (files that do not
 * match), the phantom's, FIB_ENOMEM. */
fib_status fib__job_demo_truth_volume(const fib_phantom_params *pp,
                                      const char *phantom_dir,
                                      const char *recon_dir, size_t nx,
                                      size_t ny, fib_volume *out,
                                      fib_error *err);

/* Dice overlap of label @p seg_label of @p seg and @p truth_label of @p
 * truth (same size, packed label volumes); the volume fractions of each
 * into @p frac_seg and @p frac_true (may be NULL). */
double fib__job_demo_dice(const fib_volume *seg, uint32_t seg_label,
                          const fib_volume *truth, uint32_t truth_label,
                          double *frac_seg, double *frac_true);

#endif /* FIB_JOB_DEMO_INTERNAL_H */
