/*
 * job_physics_internal.h -- pieces shared by the physics table jobs
 * (fib/job_physics.h; private to pipeline/).
 */
#ifndef FIB_JOB_PHYSICS_INTERNAL_H
#define FIB_JOB_PHYSICS_INTERNAL_H

#include "fib/job_physics.h"
#include "fib/report.h"

#include "job_line.h"

/* Create the materials database and load @p cfg_path (may be NULL); an
 * unreadable file is FIB_EINVAL (the caller's bad input). */
fib_status fib__physics_load_db(const char *cfg_path, fib_plan_materials **db,
                                fib_error *err);

/* Write one material as a JSON object (full record). */
void fib__physics_json_material(fib_fmt_json *j, const fib_plan_material *m);

/* Say the JSON document @p j as one FIB_JOB_RESULT message (its final
 * newline left to the receiver) and destroy it. */
fib_status fib__physics_json_say(const fib_job_env *env, fib_fmt_json *j,
                                 fib_error *err);

/* "user", "estimated" or "table". */
const char *fib__physics_density_origin(fib_plan_density_src s);

#endif /* FIB_JOB_PHYSICS_INTERNAL_H */
