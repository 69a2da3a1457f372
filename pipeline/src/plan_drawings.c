/* plan_drawings.c -- PNG drawings of session plans: the beam view of a
 * site with a zoom on the lamella, the side view (commanded vs physical
 * depth in the sample stack) and the timeline of every ion's steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fib/canvas.h"
#include "fib/picture.h"
#include "fib/plot.h"
#include "job_plan_internal.h"

/* ---------------------------------------------------------------------- */
/* Drawings                                                               */

/* Step colours: Kelly's 22 colours of maximum contrast without white and
 * black (K. L. Kelly, "Twenty-two colors for maximum contrast", Color
 * Engineering 3(6):26-27, 1965; the usual sRGB tabulation), with the six
 * closest pairs resolved by swapping in colours from tab10 / X11 web
 * colours that raise the smallest pairwise CIELAB Delta-E76 (D65) from 15
 * to 27 (greedy max-min search; tests/cli_plan.sh measures >= 20 on the
 * drawn legend).  Steps past the 20th reuse the colours with diagonal
 * hatching, and every box carries its step number, so no two steps of a
 * plan (at most FIB_PLAN_MAX_STEPS = 64) look alike. */
enum { STEP_NCOL = 20 };
static const fib_rgb STEP_COLORS[STEP_NCOL] = {
    0x1F77B4, 0x808000, 0x008856, 0xBE0032, 0x00B5AD, 0xFF00FF, 0x882D17,
    0xA1CAF1, 0x8DB600, 0x000080, 0x604E97, 0xC2B280, 0x2B3D26, 0xF99379,
    0x848482, 0xDCD300, 0xB3446C, 0x654522, 0xE25822, 0xF6A600,
};

static fib_rgb step_color(size_t i)
{
    return STEP_COLORS[i % STEP_NCOL];
}

static bool rect_hits(fib_canvas_rect a, fib_canvas_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
           b.y < a.y + a.h;
}

static fib_canvas_rect rect_and(fib_canvas_rect a, fib_canvas_rect b)
{
    int x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
    int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
    fib_canvas_rect r = {x0, y0, x1 > x0 ? x1 - x0 : 0, y1 > y0 ? y1 - y0 : 0};
    return r;
}

/* Diagonal hatching inside @p r (steps past the palette). */
static void hatch(fib_canvas *c, fib_canvas_rect r, fib_rgb col)
{
    fib_canvas_rect old = fib_canvas_get_clip(c);
    fib_canvas_rect cl = rect_and(old, r);
    if (cl.w <= 0 || cl.h <= 0)
        return;
    fib_canvas_set_clip(c, cl);
    for (int k = -r.h; k < r.w; k += 6)
        fib_canvas_line(c, r.x + k, r.y + r.h - 1, r.x + k + r.h - 1, r.y, col);
    fib_canvas_set_clip(c, old);
}

static void step_box(fib_canvas *c, fib_canvas_rect r, size_t i, double alpha)
{
    fib_rgb col = step_color(i);
    fib_canvas_fill_rect_alpha(c, r, col, alpha);
    fib_canvas_rect_outline(c, r, col);
    if (i >= STEP_NCOL)
        hatch(c, r, 0x000000u);
}

/* A data window drawn into a pixel rectangle: x to the right, y up (beam
 * view) or depth down (side view); sx and sy in px per um. */
typedef struct view {
    fib_canvas_rect area;
    double x0, x1, y0, y1, sx, sy;
} view;

static fib_canvas_rect view_rect(const view *v, double x0, double y0, double x1,
                                 double y1)
{
    /* clip to the window, then map; at least 1 px */
    x0 = fmax(x0, v->x0);
    x1 = fmin(x1, v->x1);
    y0 = fmax(y0, v->y0);
    y1 = fmin(y1, v->y1);
    fib_canvas_rect r = {0, 0, 0, 0};
    if (!(x1 >= x0) || !(y1 >= y0))
        return r;
    r.x = v->area.x + (int)lround((x0 - v->x0) * v->sx);
    r.w = (int)lround((x1 - x0) * v->sx);
    r.y = v->area.y + (int)lround((v->y1 - y1) * v->sy);
    r.h = (int)lround((y1 - y0) * v->sy);
    if (r.w < 1)
        r.w = 1;
    if (r.h < 1)
        r.h = 1;
    return r;
}

/* Number labels without overlaps: inside the step's largest visible box
 * when the number fits there and hits no label placed before, else in a
 * column right of the view with a leader line to the box; column labels
 * are stacked in the order of their boxes' height so leaders do not
 * cross. */
typedef struct label {
    int ax, ay; /* anchor (box centre) */
    size_t step;
    fib_canvas_rect r;
    bool callout;
} label;

typedef struct labeller {
    label l[FIB_PLAN_MAX_STEPS];
    size_t n;
} labeller;

static void label_add(labeller *L, fib_canvas_rect box, size_t step)
{
    if (L->n >= FIB_PLAN_MAX_STEPS || box.w <= 0 || box.h <= 0)
        return;
    label *x = &L->l[L->n++];
    char t[8];
    snprintf(t, sizeof t, "%zu", step + 1);
    int tw = fib_text_width(t, 1) + 4, th = FIB_FONT_H + 4;
    x->ax = box.x + box.w / 2;
    x->ay = box.y + box.h / 2;
    x->step = step;
    x->r = (fib_canvas_rect){x->ax - tw / 2, x->ay - th / 2, tw, th};
    x->callout = !(box.w >= tw + 2 && box.h >= th + 2);
    for (size_t k = 0; k + 1 < L->n && !x->callout; k++)
        if (!L->l[k].callout && rect_hits(L->l[k].r, x->r))
            x->callout = true;
}

static int cmp_label_y(const void *a, const void *b)
{
    const label *x = *(const label *const *)a, *y = *(const label *const *)b;
    return (x->ay > y->ay) - (x->ay < y->ay);
}

/* Stack column labels in the order of their anchors inside [top, bot]. */
static void stack_column(label **co, size_t nc, int top, int bot)
{
    const int th = FIB_FONT_H + 4;
    qsort(co, nc, sizeof co[0], cmp_label_y);
    int y = top;
    for (size_t i = 0; i < nc; i++) { /* push down */
        int want = co[i]->ay - th / 2;
        co[i]->r.y = want > y ? want : y;
        y = co[i]->r.y + th + 1;
    }
    if (nc && y > bot) { /* then up from the bottom */
        int lim = bot;
        for (size_t i = nc; i-- > 0;) {
            if (co[i]->r.y + th > lim)
                co[i]->r.y = lim - th;
            lim = co[i]->r.y - 1;
        }
    }
}

/* Labels that fit are drawn in place; the others go to the column on the
 * side of their box (left column only when @p left_x >= 0), each with a
 * leader line to its box. */
static void label_draw(fib_canvas *c, labeller *L, const view *v, int left_x,
                       int right_x)
{
    label *cl[FIB_PLAN_MAX_STEPS], *cr[FIB_PLAN_MAX_STEPS];
    size_t nl = 0, nr = 0;
    const int mid = v->area.x + v->area.w / 2;
    for (size_t i = 0; i < L->n; i++) {
        label *x = &L->l[i];
        if (x->callout) {
            if (left_x >= 0 && x->ax < mid)
                cl[nl++] = x;
            else
                cr[nr++] = x;
            continue;
        }
        char t[8];
        snprintf(t, sizeof t, "%zu", x->step + 1);
        fib_canvas_text_box(c, x->r.x, x->r.y, t, 1, 0x000000u, 0xFFFFFFu, 0.75,
                            2);
    }
    const int th = FIB_FONT_H + 4, top = v->area.y, bot = v->area.y + v->area.h;
    stack_column(cl, nl, top, bot);
    stack_column(cr, nr, top, bot);
    for (int side = 0; side < 2; side++) {
        label **co = side ? cr : cl;
        size_t nc = side ? nr : nl;
        for (size_t i = 0; i < nc; i++) {
            label *x = co[i];
            char t[8];
            snprintf(t, sizeof t, "%zu", x->step + 1);
            int ly = x->r.y + th / 2;
            /* right: [swatch][number] from right_x; left: [number][swatch]
             * ending at left_x + 30 */
            int sx = side ? right_x : left_x + 24;
            int tx = side ? right_x + 9 : left_x + 22 - fib_text_width(t, 1);
            int lx = side ? right_x - 2 : left_x + 32;
            fib_canvas_line(c, lx, ly, x->ax, x->ay, 0x505050u);
            fib_canvas_fill_rect(
                c, (fib_canvas_rect){x->ax - 1, x->ay - 1, 3, 3}, 0x000000u);
            fib_canvas_fill_rect(c,
                                 (fib_canvas_rect){sx, x->r.y + 2, 6, th - 4},
                                 step_color(x->step));
            fib_canvas_text(c, tx, x->r.y + 2, t, 1, 0x000000u);
        }
    }
}

static void draw_legend(fib_canvas *c, const fib_plan *p, int x, int y, int h)
{
    const int row = 14;
    size_t n = fib_plan_step_count(p);
    int rows = (h - 10) / row;
    int colw = n > (size_t)rows ? 170 : 340;
    for (size_t i = 0; i < n; i++) {
        int cx = x + (int)(i / (size_t)rows) * colw;
        int cy = y + (int)(i % (size_t)rows) * row;
        const fib_plan_step *s = fib_plan_step_get(p, i);
        fib_canvas_rect sw = {cx, cy, 12, 10};
        fib_canvas_fill_rect(c, sw, step_color(i));
        if (i >= STEP_NCOL)
            hatch(c, sw, 0x000000u);
        char lab[96];
        if (s->mills && s->current_pA >= 1000)
            snprintf(lab, sizeof lab, "%zu %s %.3g nA %.0f s", i + 1, s->name,
                     s->current_pA / 1000, s->commanded_time_s);
        else if (s->mills)
            snprintf(lab, sizeof lab, "%zu %s %.3g pA %.0f s", i + 1, s->name,
                     s->current_pA, s->commanded_time_s);
        else
            snprintf(lab, sizeof lab, "%zu %s (deposit/transfer)", i + 1,
                     s->name);
        if (colw < 340)
            lab[20] = '\0';
        fib_canvas_text(c, cx + 16, cy + 1, lab, 1, 0x000000u);
    }
}

static bool is_window(const fib_plan_step *s)
{
    return s->pattern.kind == FIB_GEOM_THIN ||
           s->pattern.kind == FIB_GEOM_POLISH;
}

/* Boxes of the steps in @p v (drawn in run order) and their labels;
 * @p only_windows: draw everything, label thin/polish windows only. */
static void draw_boxes(fib_canvas *c, const fib_plan *p, const view *v,
                       labeller *L, int label_mode)
{
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        const fib_geom_pattern *g = &s->pattern;
        fib_canvas_rect best = {0, 0, 0, 0};
        for (int b = 0; b < g->n_boxes; b++) {
            const fib_geom_box *x = &g->box[b];
            fib_canvas_rect r =
                view_rect(v, x->x0_um, x->y0_um, x->x1_um, x->y1_um);
            if (r.w <= 0)
                continue;
            step_box(c, r, i, 0.55);
            if ((long)r.w * r.h > (long)best.w * best.h)
                best = r;
        }
        /* label_mode 0: all steps, 1: not the windows, 2: windows only */
        bool want = label_mode == 0 || (label_mode == 1 && !is_window(s)) ||
                    (label_mode == 2 && is_window(s));
        if (want && best.w > 0)
            label_add(L, best, i);
    }
}

static void draw_lamella(fib_canvas *c, const fib_plan *p, const view *v)
{
    const fib_plan_request *rq = fib_plan_get_request(p);
    double lw = rq->site.lamella_width_um;
    double t = fib_plan_final_thickness_nm(p) * 1e-3;
    fib_canvas_rect lam = view_rect(v, -lw / 2, -t / 2, lw / 2, t / 2);
    if (lam.h < 2) {
        lam.y -= 1;
        lam.h = 2;
    }
    fib_canvas_fill_rect(c, lam, 0x202020u);
}

fib_status fib__draw_site(const fib_plan *p, const char *path, fib_error *err)
{
    const int W = 1500, H = 800, legend_x = 1150;
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(W, H, 0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    /* extent of every box */
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0, wy = 0;
    bool windows = false;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        const fib_geom_pattern *g = &s->pattern;
        for (int b = 0; b < g->n_boxes; b++) {
            const fib_geom_box *x = &g->box[b];
            x0 = fmin(x0, x->x0_um);
            x1 = fmax(x1, x->x1_um);
            y0 = fmin(y0, x->y0_um);
            y1 = fmax(y1, x->y1_um);
            if (is_window(s)) {
                windows = true;
                wy = fmax(wy, fmax(fabs(x->y0_um), fabs(x->y1_um)));
            }
        }
    }
    const fib_plan_request *rq = fib_plan_get_request(p);
    double mx = 0.05 * (x1 - x0) + 1, my = 0.05 * (y1 - y0) + 1;
    view mv;
    mv.x0 = x0 - mx;
    mv.x1 = x1 + mx;
    mv.y0 = y0 - my;
    mv.y1 = y1 + my;
    fib_canvas_rect box = {56, 50, windows ? 560 : 1040, H - 110};
    mv.area = fib_canvas_fit_rect(box, mv.x1 - mv.x0, mv.y1 - mv.y0);
    mv.sx = mv.sy = mv.area.w / (mv.x1 - mv.x0);
    char title[160];
    snprintf(title, sizeof title, "%s site, beam view (%s ladder)",
             fib__ion_sym(fib_plan_get_ion(p)),
             fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED ? "optimized"
                                                               : "default");
    fib_canvas_text(c, 20, 15, title, 2, 0x000000u);
    fib_canvas_fill_rect(c, mv.area, 0xE8E8E8u);
    fib_canvas_set_clip(c, mv.area);
    labeller L = {0};
    draw_boxes(c, p, &mv, &L, windows ? 1 : 0);
    draw_lamella(c, p, &mv);
    fib_canvas_reset_clip(c);
    fib_canvas_rect_outline(c, mv.area, 0x000000u);
    label_draw(c, &L, &mv, mv.area.x - 36, mv.area.x + mv.area.w + 6);
    fib_scale_bar_params sb = {0};
    sb.width_nm = (mv.x1 - mv.x0) * 1e3;
    sb.dark = true;
    sb.text_scale = 1;
    st = fib_canvas_scale_bar(c, mv.area, &sb, NULL, NULL, err);
    if (st == FIB_OK && windows) {
        /* zoom on the lamella: thinning and polishing windows, y stretched
         * so that the thinnest slab is a few pixels */
        double lw = rq->site.lamella_width_um;
        view zv;
        zv.x0 = -lw / 2 - 0.1 * lw;
        zv.x1 = lw / 2 + 0.1 * lw;
        zv.y1 = 1.15 * wy;
        zv.y0 = -zv.y1;
        zv.area =
            (fib_canvas_rect){mv.area.x + mv.area.w + 90, 80, 380, H - 140};
        zv.sx = zv.area.w / (zv.x1 - zv.x0);
        zv.sy = zv.area.h / (zv.y1 - zv.y0);
        /* the zoomed region in the main view */
        fib_canvas_rect zr = view_rect(&mv, zv.x0, zv.y0, zv.x1, zv.y1);
        zr.x -= 1;
        zr.y -= 1;
        zr.w += 2;
        zr.h += 2;
        fib_canvas_rect_outline(c, zr, 0x000000u);
        char zt[96];
        snprintf(zt, sizeof zt, "zoom: lamella, y x %.0f", zv.sy / zv.sx);
        fib_canvas_text(c, zv.area.x, zv.area.y - 24, zt, 1, 0x000000u);
        char sc[96];
        snprintf(sc, sizeof sc, "x %.3g um, y %.3g um across", zv.x1 - zv.x0,
                 zv.y1 - zv.y0);
        fib_canvas_text(c, zv.area.x, zv.area.y - 12, sc, 1, 0x000000u);
        fib_canvas_fill_rect(c, zv.area, 0xE8E8E8u);
        fib_canvas_set_clip(c, zv.area);
        labeller Z = {0};
        draw_boxes(c, p, &zv, &Z, 2);
        draw_lamella(c, p, &zv);
        fib_canvas_reset_clip(c);
        fib_canvas_rect_outline(c, zv.area, 0x000000u);
        label_draw(c, &Z, &zv, zv.area.x - 36, zv.area.x + zv.area.w + 6);
        fib_canvas_text(c, zv.area.x, zv.area.y + zv.area.h + 6,
                        "black: lamella at its final thickness", 1, 0x000000u);
    }
    draw_legend(c, p, legend_x, 60, H - 70);
    if (st == FIB_OK)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

/* The side view of plan @p p: across the trenches and windows beside the
 * lamella, down to the deepest commanded or physical depth. */
static view side_view(const fib_plan *p, int H)
{
    double ymax = 0, dmax = 0;
    size_t n = fib_plan_step_count(p);
    for (size_t i = 0; i < n; i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (!s->mills || (s->pattern.kind != FIB_GEOM_TRENCH &&
                          s->pattern.kind != FIB_GEOM_THIN))
            continue;
        for (int b = 0; b < s->pattern.n_boxes; b++) {
            const fib_geom_box *x = &s->pattern.box[b];
            if (x->x0_um > 0 || x->x1_um < 0)
                continue;
            ymax = fmax(ymax, fmax(fabs(x->y0_um), fabs(x->y1_um)));
        }
        dmax = fmax(dmax, fmax(s->commanded_depth_um, s->physical_depth_um));
        dmax = fmax(dmax, s->pattern.depth_um);
    }
    if (!(ymax > 0))
        ymax = 5;
    if (!(dmax > 0))
        dmax = 5;
    view v;
    v.x0 = -1.08 * ymax;
    v.x1 = 1.08 * ymax;
    v.y0 = -1.12 * dmax; /* depth down: y = -depth */
    v.y1 = 0.04 * dmax;
    v.area = (fib_canvas_rect){80, 60, 760, H - 150};
    v.sx = v.area.w / (v.x1 - v.x0);
    v.sy = v.area.h / (v.y1 - v.y0);
    return v;
}

/* The sample stack as the planner models it (protective cap, then each
 * layer) as bands in @p v, with its legend from (@p lg_x, *@p lg_y). */
static void side_stack(fib_canvas *c, const fib_plan *p, const view *v,
                       int lg_x, int *lg_y)
{
    const fib_plan_request *rq = fib_plan_get_request(p);
    /* stack bands */
    static const fib_rgb band[] = {0xD9D9D9, 0xCFE2F3, 0xFCE5CD, 0xD9EAD3,
                                   0xEAD1DC, 0xFFF2CC, 0xD0E0E3, 0xE6B8AF};
    const int nb = (int)(sizeof band / sizeof band[0]);
    double z = 0;
    fib_canvas_text(c, lg_x, *lg_y - 14, "stack (planner model):", 1,
                    0x000000u);
    for (int li = -1; li < (int)rq->n_layers; li++) {
        const char *name;
        double t;
        if (li < 0) {
            if (!(rq->site.protect_thickness_um > 0))
                continue;
            name = rq->protect_material[0] ? rq->protect_material : "cap";
            t = rq->site.protect_thickness_um;
        } else {
            name = rq->layers[li].material;
            t = rq->layers[li].thickness_um;
        }
        double zb = t > 0 ? z + t : -v->y0 + 1;
        fib_rgb col = band[(li + 1) % nb];
        fib_canvas_rect r = view_rect(v, v->x0, -zb, v->x1, -z);
        fib_canvas_fill_rect(c, r, col);
        fib_canvas_reset_clip(c);
        fib_canvas_fill_rect(c, (fib_canvas_rect){lg_x, *lg_y, 12, 10}, col);
        fib_canvas_rect_outline(c, (fib_canvas_rect){lg_x, *lg_y, 12, 10},
                                0x808080u);
        char lab[96];
        if (t > 0)
            snprintf(lab, sizeof lab, "%s%s %.3g um", li < 0 ? "cap " : "",
                     name, t);
        else
            snprintf(lab, sizeof lab, "%s (to the bottom)", name);
        fib_canvas_text(c, lg_x + 16, *lg_y + 1, lab, 1, 0x000000u);
        *lg_y += 14;
        fib_canvas_set_clip(c, v->area);
        z = zb;
        if (t <= 0)
            break;
    }
}

/* Every trench and thinning window beside the lamella, in run order:
 * physical depth filled, commanded depth dashed (stair profile for
 * regular cross-sections); labels into @p L, legend from *@p lg_y. */
static void side_steps(fib_canvas *c, const fib_plan *p, const view *v,
                       labeller *L, int lg_x, int *lg_y, int H)
{
    const fib_plan_request *rq = fib_plan_get_request(p);
    size_t n = fib_plan_step_count(p);
    /* steps beside the lamella, in run order */
    *lg_y += 14;
    fib_canvas_reset_clip(c);
    fib_canvas_text(c, lg_x, *lg_y, "step: commanded / physical depth", 1,
                    0x000000u);
    *lg_y += 16;
    fib_canvas_set_clip(c, v->area);
    for (size_t i = 0; i < n; i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        const fib_geom_pattern *g = &s->pattern;
        if (!s->mills ||
            (g->kind != FIB_GEOM_TRENCH && g->kind != FIB_GEOM_THIN))
            continue;
        fib_rgb col = step_color(i);
        fib_canvas_rect best = {0, 0, 0, 0};
        for (int b = 0; b < g->n_boxes; b++) {
            const fib_geom_box *x = &g->box[b];
            if (x->x0_um > 0 || x->x1_um < 0)
                continue;
            double f = g->depth_um > 0 ? x->depth_um / g->depth_um : 1;
            double cd = s->commanded_depth_um * f,
                   pd = s->physical_depth_um * f;
            /* stair: n steps, deepest at the face (y nearest 0) */
            int ns = g->scan == FIB_GEOM_SCAN_STAIR ? rq->site.stair_steps : 1;
            if (ns < 1)
                ns = 1;
            double w = (x->y1_um - x->y0_um) / ns;
            bool upper = x->y0_um >= 0;
            for (int k = 0; k < ns; k++) {
                /* step k from the face */
                double ya = upper ? x->y0_um + k * w : x->y1_um - (k + 1) * w;
                double fr = (double)(ns - k) / ns;
                fib_canvas_rect pr = view_rect(v, ya, -pd * fr, ya + w, 0);
                fib_canvas_fill_rect_alpha(c, pr, col, 0.55);
                if (i >= STEP_NCOL)
                    hatch(c, pr, 0x000000u);
                fib_canvas_rect cr = view_rect(v, ya, -cd * fr, ya + w, 0);
                int xl = cr.x, xr = cr.x + cr.w - 1, yb = cr.y + cr.h - 1;
                fib_canvas_dashed_line(c, xl, yb, xr, yb, 5, 3, col);
                fib_canvas_dashed_line(c, xl, cr.y, xl, yb, 5, 3, col);
                fib_canvas_dashed_line(c, xr, cr.y, xr, yb, 5, 3, col);
                if ((long)pr.w * pr.h > (long)best.w * best.h)
                    best = pr;
            }
        }
        if (best.w > 0)
            label_add(L, best, i);
        fib_canvas_reset_clip(c);
        if (*lg_y < H - 20) {
            fib_canvas_fill_rect(c, (fib_canvas_rect){lg_x, *lg_y, 12, 10},
                                 col);
            char lab[128];
            snprintf(lab, sizeof lab, "%zu %s: %.3g / %.3g um", i + 1, s->name,
                     s->commanded_depth_um, s->physical_depth_um);
            fib_canvas_text(c, lg_x + 16, *lg_y + 1, lab, 1, 0x000000u);
            *lg_y += 14;
        }
        fib_canvas_set_clip(c, v->area);
    }
}

/* The lamella at its final thickness and the depth the trench must
 * reach. */
static void side_lamella(fib_canvas *c, const fib_plan *p, const view *v)
{
    const fib_plan_request *rq = fib_plan_get_request(p);
    size_t n = fib_plan_step_count(p);
    /* the lamella (final thickness) and the surface */
    double t = fib_plan_final_thickness_nm(p) * 1e-3;
    const fib_plan_step *tr = NULL;
    for (size_t i = 0; i < n && !tr; i++)
        if (fib_plan_step_get(p, i)->pattern.kind == FIB_GEOM_TRENCH)
            tr = fib_plan_step_get(p, i);
    double lh = rq->site.lamella_height_um;
    fib_canvas_rect lam = view_rect(v, -t / 2, -lh, t / 2, 0);
    if (lam.w < 2) {
        lam.x -= 1;
        lam.w = 2;
    }
    fib_canvas_fill_rect(c, lam, 0x202020u);
    if (tr) {
        /* the depth the trench must reach: lamella height + depth margin
         * (the trench geometry) */
        fib_canvas_rect nd =
            view_rect(v, v->x0, -tr->pattern.depth_um, v->x1, 0);
        int yb = nd.y + nd.h - 1;
        fib_canvas_dashed_line(c, v->area.x, yb, v->area.x + v->area.w - 1, yb,
                               2, 3, 0x000000u);
        fib_canvas_text(c, v->area.x + 4, yb + 3, "needed trench depth", 1,
                        0x000000u);
    }
}

/* Axes: y across the lamella, depth down; the key at the bottom. */
static void side_axes(fib_canvas *c, const view *v, int H)
{
    /* axes: y across the lamella, depth down */
    double ticks[32];
    double step = fib_plot_nice_number((v->x1 - v->x0) / 8, true);
    size_t nt = fib_plot_ticks(v->x0, v->x1, step, ticks, 32);
    for (size_t k = 0; k < nt; k++) {
        int px = v->area.x + (int)lround((ticks[k] - v->x0) * v->sx);
        int py = v->area.y + v->area.h;
        fib_canvas_line(c, px, py, px, py + 4, 0x000000u);
        char b[32];
        fib_plot_format_tick(ticks[k], step, b, sizeof b);
        fib_canvas_text_aligned(c, px, py + 6, b, 1, 0x000000u,
                                FIB_ALIGN_CENTER, FIB_ALIGN_START);
    }
    fib_canvas_text_aligned(c, v->area.x + v->area.w / 2,
                            v->area.y + v->area.h + 20,
                            "y across the lamella (um)", 1, 0x000000u,
                            FIB_ALIGN_CENTER, FIB_ALIGN_START);
    step = fib_plot_nice_number((v->y1 - v->y0) / 8, true);
    nt = fib_plot_ticks(0, -v->y0, step, ticks, 32);
    for (size_t k = 0; k < nt; k++) {
        int py = v->area.y + (int)lround((v->y1 + ticks[k]) * v->sy);
        fib_canvas_line(c, v->area.x - 4, py, v->area.x, py, 0x000000u);
        char b[32];
        fib_plot_format_tick(ticks[k], step, b, sizeof b);
        fib_canvas_text_aligned(c, v->area.x - 6, py, b, 1, 0x000000u,
                                FIB_ALIGN_END, FIB_ALIGN_CENTER);
    }
    fib_canvas_text_vertical(c, 20, v->area.y + v->area.h / 2,
                             "depth along the beam (um)", 1, 0x000000u);
    fib_canvas_text(c, 80, H - 22,
                    "filled: physical depth reached; dashed: commanded "
                    "depth (instrument); black: lamella at its final "
                    "thickness",
                    1, 0x000000u);
}

/* Side view through the lamella centre (plane x = 0, looking along x): the
 * sample stack as the planner models it (protective cap, then each layer),
 * and for every trench and thinning window beside the lamella the
 * commanded depth (dashed outline: what the instrument is told, stair
 * profile for regular cross-sections) and the physical depth that dose
 * reaches in the stack (filled), both scaled per box as the step's
 * numbers.  Depths are along the beam, drawn vertical. */
fib_status fib__draw_side(const fib_plan *p, const char *path, fib_error *err)
{
    const int W = 1200, H = 700;
    fib_canvas *c = NULL;
    fib_status st = fib_canvas_create(W, H, 0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    view v = side_view(p, H);
    char title[160];
    snprintf(title, sizeof title,
             "%s side view at the lamella centre: commanded vs physical "
             "depth",
             fib__ion_sym(fib_plan_get_ion(p)));
    fib_canvas_text(c, 20, 15, title, 2, 0x000000u);
    fib_canvas_fill_rect(c, v.area, 0xFFFFFFu);
    fib_canvas_text(c, 880, 46, "stack (planner model):", 1, 0x000000u);
    fib_canvas_set_clip(c, v.area);
    int lg_y = 60;
    const int lg_x = 880;
    side_stack(c, p, &v, lg_x, &lg_y);
    labeller L = {0};
    side_steps(c, p, &v, &L, lg_x, &lg_y, H);
    side_lamella(c, p, &v);
    fib_canvas_reset_clip(c);
    fib_canvas_rect_outline(c, v.area, 0x000000u);
    label_draw(c, &L, &v, -1, v.area.x + v.area.w + 6);
    side_axes(c, &v, H);
    st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}

fib_status fib__draw_timeline(fib_plan *const *plans, size_t n,
                              const char *path, fib_error *err)
{
    fib_canvas *c = NULL;
    const int legend_h = 40;
    fib_status st = fib_canvas_create(1200, 160 + 90 * n + (size_t)legend_h,
                                      0xFFFFFFu, &c, err);
    if (st != FIB_OK)
        return st;
    const char *lanes[FIB_PLAN_MAX_IONS];
    size_t nseg = 0;
    for (size_t i = 0; i < n; i++)
        nseg += fib_plan_step_count(plans[i]);
    fib_timeline_segment *segs = calloc(nseg ? nseg : 1, sizeof *segs);
    if (!segs) {
        fib_canvas_destroy(c);
        return fib_error_set(err, FIB_ENOMEM, "plan: out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        lanes[i] = fib__ion_sym(fib_plan_get_ion(plans[i]));
        for (size_t s = 0; s < fib_plan_step_count(plans[i]); s++) {
            const fib_plan_step *st_ = fib_plan_step_get(plans[i], s);
            segs[k].lane = i;
            segs[k].start_min = st_->start_s / 60;
            segs[k].end_min = st_->end_s / 60;
            segs[k].label = st_->name;
            segs[k].category = (size_t)st_->pattern.kind;
            k++;
        }
    }
    fib_timeline_params tp = {0};
    tp.title = "session timeline per ion (colour = step kind)";
    tp.lanes = lanes;
    tp.n_lanes = n;
    fib_canvas_rect r = {0, 0, 1200, (int)(160 + 90 * n)};
    st = fib_plot_timeline(c, r, &tp, segs, k, NULL, err);
    free(segs);
    /* legend of step kinds */
    int lx = 10, ly = r.h + 8;
    for (int kd = 0; kd < FIB_GEOM_KIND_COUNT_; kd++) {
        const char *nm = fib_geom_kind_name((fib_geom_kind)kd);
        int w = fib_text_width(nm, 1);
        if (lx + 16 + w > 1190) {
            lx = 10;
            ly += 14;
        }
        fib_canvas_rect sw = {lx, ly, 10, 10};
        fib_canvas_fill_rect(c, sw, fib_palette_color((size_t)kd));
        fib_canvas_text(c, lx + 14, ly + 1, nm, 1, 0x000000u);
        lx += 14 + w + 16;
    }
    if (st == FIB_OK)
        st = fib_fmt_canvas_write_png(path, c, err);
    fib_canvas_destroy(c);
    return st;
}
