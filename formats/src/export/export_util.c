/*
 * export_util.c -- helpers the plan and session exporters share: the
 * all-or-none output file set, per-box instrument numbers and labels,
 * file-name-safe names and site folders (export_internal.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "export_internal.h"

/* ---------------------------------------------------------------------- */
/* All-or-none file set                                                   */

fib_status fib__exp_set_open(fib__exp_set *s, const char *dir, const char *name,
                             fib_error *err)
{
    if (s->fp) {
        int bad = ferror(s->fp);
        if (fclose(s->fp) != 0 || bad) {
            s->fp = NULL;
            return fib_error_set(err, FIB_EIO, "%s: write error",
                                 s->final[s->n - 1]);
        }
        s->fp = NULL;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        char **f = realloc(s->final, nc * sizeof *f);
        if (!f)
            return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
        s->final = f;
        char **t = realloc(s->tmp, nc * sizeof *t);
        if (!t)
            return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
        s->tmp = t;
        s->cap = nc;
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    (void)snprintf(path, len, "%s/%s", dir, name);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        fib_status st = fib_error_set(err, FIB_EINVAL,
                                      "%s exists; the export never "
                                      "overwrites (choose an empty folder)",
                                      path);
        free(path);
        return st;
    }
    char *tmp = fib__atomic_tmpname(path);
    if (!tmp) {
        free(path);
        return fib_error_set(err, FIB_ENOMEM, "export: out of memory");
    }
    s->fp = fopen(tmp, "w");
    if (!s->fp) {
        fib_status st = fib_error_set(err, FIB_EIO, "%s: cannot write: %s",
                                      path, strerror(errno));
        free(path);
        free(tmp);
        return st;
    }
    s->final[s->n] = path;
    s->tmp[s->n] = tmp;
    s->n++;
    return FIB_OK;
}

/* Close the last file and rename every temporary over its final name; on
 * any failure remove what was renamed and what is left. */
fib_status fib__exp_set_commit(fib__exp_set *s, fib_error *err)
{
    fib_status st = FIB_OK;
    if (s->fp) {
        int bad = ferror(s->fp);
        if (fclose(s->fp) != 0 || bad)
            st = fib_error_set(err, FIB_EIO, "%s: write error",
                               s->final[s->n - 1]);
        s->fp = NULL;
    }
    size_t done = 0;
    for (; st == FIB_OK && done < s->n; done++) {
        struct stat sb;
        if (stat(s->final[done], &sb) == 0) {
            st = fib_error_set(err, FIB_EINVAL, "%s appeared while writing",
                               s->final[done]);
            break;
        }
        st = fib__atomic_inject(s->final[done], err); /* test hook */
        if (st != FIB_OK)
            break;
        if (rename(s->tmp[done], s->final[done]) != 0) {
            st = fib_error_set(err, FIB_EIO, "%s: cannot rename output: %s",
                               s->final[done], strerror(errno));
            break;
        }
    }
    if (st != FIB_OK) {
        for (size_t i = 0; i < done; i++)
            (void)remove(s->final[i]);
        for (size_t i = done; i < s->n; i++)
            (void)remove(s->tmp[i]);
    }
    return st;
}

void fib__exp_set_abort(fib__exp_set *s)
{
    if (s->fp)
        (void)fclose(s->fp);
    s->fp = NULL;
    for (size_t i = 0; i < s->n; i++)
        (void)remove(s->tmp[i]);
}

void fib__exp_set_free(fib__exp_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->final[i]);
        free(s->tmp[i]);
    }
    free(s->final);
    free(s->tmp);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------- */
/* Shared per-box numbers                                                 */

const char *fib__exp_ion_symbol(const fib_plan *p)
{
    const fib_plan_ion_info *i = fib_plan_ion_get(fib_plan_get_ion(p));
    return i ? i->symbol : "ion";
}

/* Steps that go to the instrument: milling steps with boxes. */
bool fib__exp_exported(const fib_plan_step *s)
{
    return s->mills && s->pattern.n_boxes > 0 &&
           s->pattern.scan != FIB_GEOM_SCAN_DEPOSIT && s->current_pA > 0 &&
           s->vpd_um3_per_nC > 0 && s->commanded_time_s > 0;
}

/* Every box as drawn in the beam view.  Uniform patterns (rectangles,
 * cleaning cross-sections): the depth is the dose-equivalent depth of the
 * box, t * VPD * I / (W L), so that xT's own time for the file, W L D /
 * (VPD I), is the plan's; this is the plan's commanded depth whenever the
 * plan commands V = area x commanded depth.  Regular cross-sections
 * (stair trenches): the depth at the face, commanded_depth_um scaled for a
 * shallower box (xT converts the stair with its own application). */
fib__exp_box fib__exp_box_numbers(const fib_plan_step *s, int b)
{
    const fib_geom_pattern *g = &s->pattern;
    double tot = 0, mine = 0;
    for (int i = 0; i < g->n_boxes; i++) {
        const fib_geom_box *x = &g->box[i];
        double v = (x->x1_um - x->x0_um) * (x->y1_um - x->y0_um) * x->depth_um;
        tot += v;
        if (i == b)
            mine = v;
    }
    const fib_geom_box *x = &g->box[b];
    fib__exp_box o;
    o.t_s = s->commanded_time_s * (tot > 0 ? mine / tot : 1.0 / g->n_boxes);
    o.width_um = x->x1_um - x->x0_um;
    o.length_um = x->y1_um - x->y0_um;
    o.cx_um = 0.5 * (x->x0_um + x->x1_um);
    o.cy_um = 0.5 * (x->y0_um + x->y1_um);
    double area = o.width_um * o.length_um;
    if (g->scan == FIB_GEOM_SCAN_STAIR || !(area > 0))
        o.depth_um = g->depth_um > 0
                         ? s->commanded_depth_um * x->depth_um / g->depth_um
                         : s->commanded_depth_um;
    else /* um^3 = s * um^3/nC * nA */
        o.depth_um = o.t_s * s->vpd_um3_per_nC * s->current_pA * 1e-3 / area;
    return o;
}

/* "upper"/"lower" for a pair on both sides of the lamella, "left"/"right"
 * for a pair on both sides in x, else "box1".. */
void fib__exp_box_label(const fib_geom_pattern *g, int b, char *buf, size_t n)
{
    if (g->n_boxes == 2) {
        const fib_geom_box *a = &g->box[0], *c = &g->box[1];
        if ((a->y0_um >= 0 && c->y1_um <= 0) ||
            (a->y1_um <= 0 && c->y0_um >= 0)) {
            snprintf(buf, n, "%s", g->box[b].y0_um >= 0 ? "upper" : "lower");
            return;
        }
        if ((a->x0_um >= 0 && c->x1_um <= 0) ||
            (a->x1_um <= 0 && c->x0_um >= 0)) {
            snprintf(buf, n, "%s", g->box[b].x0_um >= 0 ? "right" : "left");
            return;
        }
    }
    snprintf(buf, n, "box%d", b + 1);
}

/* Mill towards the lamella: boxes above it scan top to bottom, boxes below
 * bottom to top (fibsem Trench: upper TopToBottom, lower BottomToTop). */
const char *fib__exp_scan_dir(const fib_geom_box *x)
{
    return x->y0_um >= 0 && x->y1_um > 0 ? "TopToBottom" : "BottomToTop";
}

/* File-name-safe copy of a step name. */
void fib__exp_safe_name(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        unsigned char c = (unsigned char)*in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out[k++] = ok ? (char)c : '_';
    }
    out[k] = '\0';
}

void fib__exp_indent(FILE *f, int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', f);
}

/* "site-NN-<name>": numbered so that two names that map to the same safe
 * name cannot collide and the folders list in session order. */
void fib__exp_site_folder(const fib_session *s, size_t k, char *buf, size_t n)
{
    char nm[FIB_SESSION_NAME_MAX];
    fib__exp_safe_name(fib_session_site_get(s, k)->name, nm, sizeof nm);
    snprintf(buf, n, "site-%02zu-%s", k + 1, nm);
}
