/*
 * fib/pattern_export.h -- instrument pattern export of session plans.
 *
 * Two kinds of export for the milling steps of a plan (fib/planner.h):
 *
 *  - FIB_FMT_EXPORT_PTF: Thermo Fisher / FEI xT pattern files, one per box
 *    of every milling step, in the "FEI PatternFile 1.2" XML that SerialFIB
 *    ships as templates (sklumpe/SerialFIB TemplatePatterns/regular.ptf,
 *    cross.ptf, clean_cross.ptf, PFIB/regular.ptf): the same elements in
 *    the same order with the same datatype attributes, SI units (metres,
 *    seconds, m^3/C).  Rectangle boxes become <PatternRectangle>, stair
 *    trenches <PatternRegularCrossSection>, thinning windows
 *    <PatternCleaningCrossSection>; deposition steps are not exported.
 *    Files are named "<ion>-<NN>-<step>-<box>.ptf" (NN = plan step number,
 *    box = upper/lower for a pair beside the lamella, else box1..4) and
 *    listed in run order in "index-<ion>.txt" (tab-separated: order, file,
 *    step, step name, box, pattern type, application, current_pA, time_s,
 *    depth_um, width_um, length_um, centre x/y um).
 *
 *  - FIB_FMT_EXPORT_AUTOLAMELLA: one fibsem-os / AutoLamella task protocol
 *    "autolamella-<ion>.yaml" per plan, keyed as
 *    fibsem/applications/autolamella/protocol/task-protocol.yaml and
 *    task-protocol-waffle.yaml (tasks with milling stages:
 *    milling: {milling_current, milling_voltage, application_file},
 *    pattern: {name, width, depth, spacing, upper_trench_height,
 *    lower_trench_height, cross_section, ...}; metres, amperes, volts).
 *
 * Numbers written are the plan's instrument numbers: per box (as drawn
 * in the beam view) the time is the step's commanded time shared by box
 * volume, and the depth is the one that, entered with the application
 * file (VPD) and current, gives that time on the instrument: depth =
 * t * VPD * I / (width * length), the step's commanded_depth_um when the
 * plan commands V = area x depth; stair trenches (regular cross-sections)
 * carry the commanded depth at the face.
 *
 * All files of one call are written (temporary name, then rename) or none
 * are: an existing file of the same name, a missing folder or a write
 * error leaves the folder as it was.  Thread-safety: reentrant.
 */
#ifndef FIB_PATTERN_EXPORT_H
#define FIB_PATTERN_EXPORT_H

#include <stddef.h>

#include "fib/common.h"
#include "fib/planner.h"
#include "fib/session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fib_fmt_export_kind {
    FIB_FMT_EXPORT_PTF = 0,    /**< Thermo/FEI .ptf pattern files */
    FIB_FMT_EXPORT_AUTOLAMELLA /**< fibsem-os AutoLamella protocol YAML */
} fib_fmt_export_kind;

/** Parse "ptf" or "autolamella"; false when unknown. */
FIB_API bool fib_fmt_export_kind_parse(const char *name,
                                       fib_fmt_export_kind *out);

/**
 * Export the milling steps of @p n_plans plans (one per ion; ion symbols
 * must differ) into the existing folder @p dir.  Errors: FIB_EINVAL for a
 * folder that is missing or not a folder, for a file that already exists
 * (named in the message) or for no milling step; FIB_EIO for write
 * errors; FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status
fib_fmt_plan_export(const fib_plan *const *plans, size_t n_plans,
                    fib_fmt_export_kind kind, const char *dir, fib_error *err);

/**
 * Export every site of a multi-site session (fib/session.h; one session
 * per ion, the same sites, ion symbols differ) into the folder @p dir,
 * which must not exist or be empty.  Layout:
 *
 *   DIR/site-NN-<name>/   one folder per site (NN = 1-based site number,
 *                         name made file-safe): exactly the files that
 *                         fib_fmt_plan_export() writes for that site's plan
 *                         (fib_session_site_plan) of every ion;
 *   DIR/session-<ion>.txt (ptf) the session's run order, tab-separated:
 *                         order, site, folder, stage x/y um, batch, plan
 *                         step, step name, current_pA, time_s, start_s,
 *                         end_s, the step's .ptf files ("-" when the step
 *                         is not exported: depositions, welds);
 *   DIR/session-<ion>.yaml (autolamella) the sites (name, folder,
 *                         protocol file, method, stage_position x/y in
 *                         metres, milling time) and the run order (site,
 *                         batch, step, name, AutoLamella task, current,
 *                         time, start, end).
 *
 * AutoLamella keeps one task configuration per lamella (fibsem-os
 * experiment.yaml, positions[i].task_config, initialised from the
 * protocol); the per-site protocols are what each lamella's task
 * configuration should hold.
 *
 * All or none: the files are written into a temporary folder
 * "DIR.tmp-XXXXXX" beside DIR, which is renamed to DIR when every file is
 * complete; any error removes it and leaves DIR as it was.  Errors:
 * FIB_EINVAL for a DIR that is a file or a folder that is not empty, a
 * missing parent folder, sessions that differ in their sites, a site with
 * no milling step (named); FIB_EIO; FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_session_export(
    const fib_session *const *sessions, size_t n_sessions,
    fib_fmt_export_kind kind, const char *dir, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PATTERN_EXPORT_H */
