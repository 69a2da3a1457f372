/* plan_out.h -- shared output of `cryofib plan` and the demo (private to
 * cli/): terminal tables, JSON/CSV reports and PNG drawings of session
 * plans. */
#ifndef FIB_CLI_PLAN_OUT_H
#define FIB_CLI_PLAN_OUT_H

#include <stdbool.h>

#include "fib/planner.h"
#include "fib/report.h"

typedef struct cli_plan_opts {
    const char *json_path; /* NULL = none */
    const char *csv_path;
    const char *out_dir;
    bool optimized_primary;  /* steps of the optimized ladder in the table */
    bool quiet;              /* no terminal table */
    const char *export_kind; /* --export KIND DIR: "ptf" | "autolamella" */
    const char *export_dir;
} cli_plan_opts;

/* Plan every ion of @p req (default and optimized ladders), print, write
 * the requested outputs.  Returns the CLI exit code. */
int cli_plan_run(const char *cmd, const fib_plan_request *req,
                 const fib_plan_materials *db, const cli_plan_opts *o);

/* The "steps" key of a plan: every step with its commanded and physical
 * numbers (units in the key names). */
void cli_json_plan_steps(fib_fmt_json *j, const fib_plan *p);

/* site-<ion>.png (beam view + lamella zoom) and side-<ion>.png (commanded
 * vs physical depth in the stack) of one plan. */
fib_status cli_draw_site(const fib_plan *p, const char *path, fib_error *err);
fib_status cli_draw_side(const fib_plan *p, const char *path, fib_error *err);

/* Print the workflow recommendation block. */
void cli_print_workflow(const fib_plan_workflow *w, unsigned sens);

#endif
