/*
 * bench_physics.c -- model vs measurement for the planner physics: every
 * measured removal rate in the materials database against the
 * Yamamura-Tawara model (both compound models), ranges against SRIM-type
 * literature anchors, damage depths against the published values.
 * Prints Markdown (bench/run_physics.sh writes it to
 * bench/results/physics.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/physics.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct stats {
    double logs[64];
    size_t n;
} stats;

static void add(stats *s, double ratio)
{
    if (s->n < 64 && ratio > 0.0)
        s->logs[s->n++] = fabs(log(ratio));
}

static double med_factor(stats *s)
{
    return exp(median(s->logs, s->n));
}

int main(void)
{
    fib_plan_materials *db = NULL;
    fib_error err = {0};
    if (fib_plan_materials_create(&db, &err) != FIB_OK) {
        fprintf(stderr, "bench_physics: %s\n", err.msg);
        return 1;
    }
    printf("## Model vs every measured removal rate in the database\n\n");
    printf("ratio = model / measured (model at the measurement's ion, "
           "energy and angle; room-temperature yield, no redeposition).\n"
           "AA = average-atom compound model (default), PY = per-element "
           "partial yields.\n\n");
    printf("| material | ion | keV | measured um^3/nC | model AA | ratio AA "
           "| model PY | ratio PY | source |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    stats all_aa = {{0}, 0}, all_py = {{0}, 0}, el_aa = {{0}, 0},
          cmp_aa = {{0}, 0}, cmp_py = {{0}, 0}, fei_aa = {{0}, 0};
    for (size_t i = 0; i < fib_plan_materials_count(db); i++) {
        const fib_plan_material *m = fib_plan_materials_get(db, i);
        for (size_t k = 0; k < m->n_rates; k++) {
            const fib_plan_rate *r = &m->rates[k];
            fib_plan_projectile ion = fib_plan_projectile_of(r->ion);
            double y_aa, y_py, af = 1.0;
            if (fib_plan_material_yield(ion, m, r->energy_keV,
                                        FIB_PLAN_COMPOUND_AVERAGE_ATOM, &y_aa,
                                        &err) != FIB_OK ||
                fib_plan_material_yield(ion, m, r->energy_keV,
                                        FIB_PLAN_COMPOUND_PARTIAL, &y_py,
                                        &err) != FIB_OK ||
                fib_plan_angular_factor(ion, m, r->energy_keV, r->angle_deg,
                                        &af, &err) != FIB_OK) {
                fprintf(stderr, "bench_physics: %s\n", err.msg);
                fib_plan_materials_destroy(db);
                return 1;
            }
            double n = fib_plan_material_atom_density_cm3(m);
            double v_aa = fib_plan_yield_to_um3_per_nC(y_aa * af, n);
            double v_py = fib_plan_yield_to_um3_per_nC(y_py * af, n);
            double r_aa = v_aa / r->um3_per_nC, r_py = v_py / r->um3_per_nC;
            char src[48];
            snprintf(src, sizeof src, "%.40s", r->source);
            printf("| %s | %s | %g | %.3g | %.3g | %.2f | %.3g | %.2f | %s%s "
                   "|\n",
                   m->name, fib_plan_ion_get(r->ion)->symbol, r->energy_keV,
                   r->um3_per_nC, v_aa, r_aa, v_py, r_py, src,
                   strlen(r->source) > 40 ? "..." : "");
            add(&all_aa, r_aa);
            add(&all_py, r_py);
            if (m->n_components == 1)
                add(&el_aa, r_aa);
            else {
                add(&cmp_aa, r_aa);
                add(&cmp_py, r_py);
            }
            if (strstr(r->source, "FEI/Thermo"))
                add(&fei_aa, r_aa);
        }
    }
    printf("\n| subset | n | median model/measured factor AA | PY |\n"
           "|---|---|---|---|\n");
    size_t n_all = all_aa.n;
    double f_all_aa = med_factor(&all_aa), f_all_py = med_factor(&all_py);
    printf("| all measured rates | %zu | %.2f (median abs ln ratio %.3f, abs "
           "log10 %.3f) | %.2f |\n",
           n_all, f_all_aa, log(f_all_aa), log10(f_all_aa), f_all_py);
    printf("| elements | %zu | %.2f | (same) |\n", el_aa.n, med_factor(&el_aa));
    size_t n_cmp = cmp_aa.n;
    double f_cmp_aa = med_factor(&cmp_aa);
    printf("| compounds | %zu | %.2f | %.2f |\n", n_cmp, f_cmp_aa,
           med_factor(&cmp_py));
    printf("| FEI/Thermo table only | %zu | %.2f | |\n", fei_aa.n,
           med_factor(&fei_aa));

    /* Ranges vs SRIM-type anchors (planner-physics.md 4.1 [L]). */
    printf("\n## Projected range vs SRIM-type literature anchors\n\n"
           "| ion -> target | keV | model Rp nm | literature nm | ratio |\n"
           "|---|---|---|---|---|\n");
    static const struct {
        const char *mat;
        fib_plan_ion ion;
        double keV, lit;
    } rng[] = {{"Si", FIB_PLAN_ION_GA, 30.0, 27.0},
               {"Si", FIB_PLAN_ION_GA, 5.0, 7.5},
               {"Si", FIB_PLAN_ION_GA, 2.0, 3.5},
               {"ice", FIB_PLAN_ION_GA, 30.0, 52.0}};
    for (size_t i = 0; i < sizeof rng / sizeof rng[0]; i++) {
        const fib_plan_material *m = fib_plan_materials_find(db, rng[i].mat);
        double rp = NAN;
        if (m && fib_plan_range_nm(fib_plan_projectile_of(rng[i].ion), m,
                                   rng[i].keV, &rp, NULL, &err) != FIB_OK)
            rp = NAN;
        printf("| %s -> %s | %g | %.1f | %g | %.2f |\n",
               fib_plan_ion_get(rng[i].ion)->symbol, rng[i].mat, rng[i].keV, rp,
               rng[i].lit, rp / rng[i].lit);
    }

    /* Damage depth vs published values (planner-physics.md 4.2). */
    printf("\n## Damage depth vs published values\n\n"
           "| ion -> target | keV | model nm | published nm | source |\n"
           "|---|---|---|---|---|\n");
    static const struct {
        const char *mat;
        fib_plan_ion ion;
        double keV;
        const char *pub, *src;
    } dmg[] = {
        {"Si", FIB_PLAN_ION_GA, 30.0, "23 (20-30)", "ISTFA 2004; Huang"},
        {"Si", FIB_PLAN_ION_GA, 10.0, "10", "ISTFA 2004"},
        {"Si", FIB_PLAN_ION_GA, 5.0, "2-3",
         "Giannuzzi/Mayer MRS Bull 2007 [L]"},
        {"Si", FIB_PLAN_ION_GA, 2.0, "~1", "Mayer MRS Bull 2007 [L]"},
        {"Si", FIB_PLAN_ION_XE, 30.0, "13-15", "PFIB literature [L/U]"},
        {"ice", FIB_PLAN_ION_GA, 30.0, "60", "Lucas & Grigorieff PNAS 2023"},
        {"ice", FIB_PLAN_ION_XE, 30.0, "30-45", "Nat. Commun. 2025"},
        {"ice", FIB_PLAN_ION_AR, 30.0, "32.5-50 (Ar/Xe)", "IUCrJ 2023"}};
    for (size_t i = 0; i < sizeof dmg / sizeof dmg[0]; i++) {
        const fib_plan_material *m = fib_plan_materials_find(db, dmg[i].mat);
        double d = NAN;
        if (m && fib_plan_damage_depth_nm(fib_plan_projectile_of(dmg[i].ion), m,
                                          dmg[i].keV, &d, &err) != FIB_OK)
            d = NAN;
        printf("| %s -> %s | %g | %.1f | %s | %s |\n",
               fib_plan_ion_get(dmg[i].ion)->symbol, dmg[i].mat, dmg[i].keV, d,
               dmg[i].pub, dmg[i].src);
    }
    fib_plan_materials_destroy(db);
    return 0;
}
