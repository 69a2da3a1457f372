/* job_demo_internal.h -- private pieces of fib_job_demo() shared by
 * job_demo*.c: the accuracy checks against the phantom's truth. */
#ifndef FIB_JOB_DEMO_INTERNAL_H
#define FIB_JOB_DEMO_INTERNAL_H

#include "fib/job_demo.h"
#include "fib/image.h"

/* Compare the drift recon applied (DIR/recon/drift.csv) with the phantom's
 * true drift (DIR/phantom/true_drift.csv) and, when its rows match, the
 * drift-free twin's (DIR/recon-still/drift.csv); say the accuracy lines
 * (or "drift check skipped ...") and fill the drift fields of @p res.
 * Errors: FIB_ENOMEM only (unreadable files skip the check). */
fib_status fib__job_demo_drift_check(const char *dir, const fib_job_env *env,
                                     fib_job_demo_result *res, fib_error *err);

/* Dice overlap of label @p seg_label of @p seg and @p truth_label of @p
 * truth (same size, packed label volumes); the volume fractions of each
 * into @p frac_seg and @p frac_true (may be NULL). */
double fib__job_demo_dice(const fib_volume *seg, uint32_t seg_label,
                          const fib_volume *truth, uint32_t truth_label,
                          double *frac_seg, double *frac_true);

#endif /* FIB_JOB_DEMO_INTERNAL_H */
