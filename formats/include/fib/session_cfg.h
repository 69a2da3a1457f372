/*
 * fib/session_cfg.h -- read planner session files and slice-and-view run
 * files (libconfig syntax) into the plain request structs of
 * fib/planner.h.
 *
 * Every key, its unit and its default are documented in
 * examples/session-reference.cfg and planner/PLANNER.md.  Unknown keys are
 * errors (they are usually typos).  Errors are one line naming the file,
 * the line and the field:
 *   "session: li.cfg:14: site.lamella_width_um must be > 0 (got -3)".
 * Syntax errors give libconfig's line and text.
 *
 * Thread-safety: reentrant (libconfig keeps no global state).
 */
#ifndef FIB_SESSION_CFG_H
#define FIB_SESSION_CFG_H

#include "fib/common.h"
#include "fib/physics.h"
#include "fib/planner.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read a session file into @p out (zeroed first; absent keys keep their
 * defaults, which fib_plan_create fills).  Materials are resolved in
 * @p db (NULL = built-in database) and currents checked against the
 * column's range.  @p ion_override: comma-separated species ("Ga,Xe")
 * replacing the file's ion list (per-ion settings from the file are kept
 * for the species it names); NULL = the file's list.
 * Errors: FIB_ENOTFOUND / FIB_EIO (cannot read), FIB_EFORMAT (syntax),
 * FIB_EINVAL (a bad value; file, line and field named).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_session_read(
    const char *path, const fib_plan_materials *db, const char *ion_override,
    fib_plan_request *out, fib_error *err);

/** The same from text in memory; @p name is used in messages. */
FIB_API FIB_NODISCARD fib_status fib_fmt_session_parse(
    const char *text, const char *name, const fib_plan_materials *db,
    const char *ion_override, fib_plan_request *out, fib_error *err);

/** Read a slice-and-view run file (see examples/slice-view-coated-nmc.cfg).
 *  Same error conventions. */
FIB_API FIB_NODISCARD fib_status fib_fmt_slice_view_read(
    const char *path, const fib_plan_materials *db, const char *ion_override,
    fib_plan_sv_request *out, fib_error *err);

FIB_API FIB_NODISCARD fib_status fib_fmt_slice_view_parse(
    const char *text, const char *name, const fib_plan_materials *db,
    const char *ion_override, fib_plan_sv_request *out, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_SESSION_CFG_H */
