/*
 * export_internal.h -- private: the pieces the plan and session exporters
 * share (export_util.c) and the per-format writers (export_ptf.c,
 * export_yaml.c) behind fib/pattern_export.h.
 */
#ifndef FIB_EXPORT_INTERNAL_H
#define FIB_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "fib/pattern_export.h"
#include "fib/planner.h"
#include "fib/session.h"

/* All-or-none file set: every file is written under a temporary name and
 * renamed when the whole set is complete. */
typedef struct fib__exp_set {
    char **final;
    char **tmp;
    FILE *fp; /* the file being written (the last one) */
    size_t n, cap;
} fib__exp_set;

/* Close the file being written (a write error is FIB_EIO) and open
 * "dir/name" under a temporary name as s->fp. */
fib_status fib__exp_set_open(fib__exp_set *s, const char *dir, const char *name,
                             fib_error *err);
/* Close the last file and rename every file to its final name. */
fib_status fib__exp_set_commit(fib__exp_set *s, fib_error *err);
/* Close and remove the temporary files. */
void fib__exp_set_abort(fib__exp_set *s);
void fib__exp_set_free(fib__exp_set *s);

/* Symbol of the plan's ion ("ion" when unknown). */
const char *fib__exp_ion_symbol(const fib_plan *p);
/* Steps that go to the instrument: milling steps with boxes. */
bool fib__exp_exported(const fib_plan_step *s);

/* The instrument numbers of box @p b of a step. */
typedef struct fib__exp_box {
    double t_s;      /* the step's commanded time shared by box volume */
    double depth_um; /* the step's commanded depth, scaled for a box that
                        is shallower than the deepest one */
    double width_um, length_um, cx_um, cy_um; /* in the beam view */
} fib__exp_box;
fib__exp_box fib__exp_box_numbers(const fib_plan_step *s, int b);
/* "upper"/"lower", "left"/"right" for a pair, else "box1".. */
void fib__exp_box_label(const fib_geom_pattern *g, int b, char *buf, size_t n);
/* Scan direction towards the lamella ("TopToBottom"/"BottomToTop"). */
const char *fib__exp_scan_dir(const fib_geom_box *x);
/* File-name-safe copy of a step name. */
void fib__exp_safe_name(const char *in, char *out, size_t n);
/* "site-NN-<name>" folder of site @p k of a session. */
void fib__exp_site_folder(const fib_session *s, size_t k, char *buf, size_t n);
/* @p n spaces. */
void fib__exp_indent(FILE *f, int n);

/* One plan's .ptf files and index (export_ptf.c) or AutoLamella protocol
 * (export_yaml.c; @p site names the site in a session export, NULL for a
 * single plan), added to @p set in folder @p dir. */
fib_status fib__exp_ptf(const fib_plan *p, const char *dir, fib__exp_set *set,
                        fib_error *err);
fib_status fib__exp_yaml(const fib_plan *p, const char *site, const char *dir,
                         fib__exp_set *set, fib_error *err);
/* The session's run order files of the two exports. */
fib_status fib__exp_session_index_ptf(const fib_session *s, const char *dir,
                                      fib__exp_set *set, fib_error *err);
fib_status fib__exp_session_index_yaml(const fib_session *s, const char *dir,
                                       fib__exp_set *set, fib_error *err);

#endif
