/* job_demo_internal.h -- private pieces of fib_job_demo() shared by
 * job_demo*.c: the accuracy checks against the phantom's truth. */
#ifndef FIB_JOB_DEMO_INTERNAL_H
#define FIB_JOB_DEMO_INTERNAL_H

#include "fib/job_demo.h"

/* Compare the drift recon applied (DIR/recon/drift.csv) with the phantom's
 * true drift (DIR/phantom/true_drift.csv) and, when its rows match, the
 * drift-free twin's (DIR/recon-still/drift.csv); say the accuracy lines
 * (or "drift check skipped ...") and fill the drift fields of @p res.
 * Errors: FIB_ENOMEM only (unreadable files skip the check). */
fib_status fib__job_demo_drift_check(const char *dir, const fib_job_env *env,
                                     fib_job_demo_result *res, fib_error *err);

/* Compare the segmented lithium (label 1 of DIR/measure/labels.mrc) with
 * the truth (DIR/phantom/labels.mrc) on the region recon kept (the crop
 * box of DIR/recon/report.json); say the line (or "truth check skipped:
 * ...") and fill the fraction fields of @p res. */
void fib__job_demo_truth_check(const char *dir, const fib_job_env *env,
                               fib_job_demo_result *res);

#endif /* FIB_JOB_DEMO_INTERNAL_H */
