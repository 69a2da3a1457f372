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

#ifdef __cplusplus
}
#endif

#endif /* FIB_PATTERN_EXPORT_H */
