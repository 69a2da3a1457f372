/* session_out.h -- `cryofib plan` output for sessions with several sites
 * (private to cli/): terminal tables, JSON/CSV and the timeline chart of
 * the batched session (fib/session.h). */
#ifndef FIB_CLI_SESSION_OUT_H
#define FIB_CLI_SESSION_OUT_H

#include "fib/report.h"
#include "fib/session.h"
#include "plan_out.h"

/* Plan the session of @p req (read from file @p src, named in errors) for every
 * ion of its base request, print, write the requested outputs (JSON, CSV,
 * DIR/timeline-ION.png).  Returns the CLI exit code. */
int cli_session_run(const char *cmd, const char *src,
                    const fib_session_request *req,
                    const fib_plan_materials *db, const cli_plan_opts *o);

/* Print the workflow/plan conflict line (if any) for the block of
 * cli_print_workflow(). */
void cli_print_workflow_check(const fib_plan_workflow *w, bool cryo);

/* "check" ("ok", "note", "warning") and "check_message" keys of the
 * workflow/plan check, inside the current JSON object. */
void cli_json_workflow_check(fib_fmt_json *j, const fib_plan_workflow *w,
                             bool cryo);

#endif
