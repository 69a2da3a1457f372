/*
 * ions.c -- ion species, instrument classes (columns) with current presets
 * and probe-size fits, and Thermo recipe volumes per dose.
 *
 * Probe fits d = d1 * (I / 1 nA)^n are least-squares fits in log-log of
 * the published tables in planner-physics.md 4.3 (fit script in
 * planner/README.md):
 *   Thermo Helios NanoLab G2 Ga "beam diameter" table (deFIBrillator
 *   beams.py) [R]:   kV   d1 (nm)   n      max |data/fit|
 *                    30    56.6   0.348   1.68 (21 nA point)
 *                    16   102.0   0.321   1.92
 *                     8   142.7   0.376   2.45 (19 nA point)
 *                     5   250.6   0.371   2.22
 *                     2   579.5   0.378   1.63
 *                     1  1324.5   0.422   1.31
 *                   0.5 17835     0.771   4.0  (poor: 0.5 kV is aberration
 *                                               dominated)
 *   Zeiss Crossbeam Ga "probe width" (SerialFIB ProbeTable.xml) at 30 kV
 *   [R]: d1 236.3 nm, n 0.525, data within 0.77-1.42x of the fit.
 * Xe plasma (xe-pfib, multi-pfib): one published point, the Thermo PFIB
 * pattern files of SerialFIB (TemplatePatterns/PFIB, regular.ptf, xT export):
 * TotalDiameter 232 nm at 99.2 pA (current derived from TotalTime =
 * V / (VPD I): 92.63 x 19.34 x 1.903 um / (0.38 um^3/nC x 90440 s)) [R].
 * The exponent n = 0.5 is assumed [U] (it gives 23 nm at 1 pA, the order
 * of the quoted PFIB imaging resolution [L]), so d1 = 232 / 0.0992^0.5 =
 * 736.6 nm at 30 kV; 5 kV keeps the Helios 30 -> 5 kV growth factor 4.65
 * [U].  Like the Ga TotalDiameter (19 nm at 58 pA, = the Helios table) it
 * is the beam diameter xT uses for the pitch.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "physics_internal.h"

static const fib_plan_ion_info ions[FIB_PLAN_ION_COUNT_] = {
    {FIB_PLAN_ION_GA, "Ga", 31, 69.723, 0.5, 30.0, "LMIS"},
    {FIB_PLAN_ION_XE, "Xe", 54, 131.293, 2.0, 30.0, "ICP plasma"},
    {FIB_PLAN_ION_AR, "Ar", 18, 39.948, 2.0, 30.0, "ICP plasma"},
    {FIB_PLAN_ION_O, "O", 8, 15.999, 2.0, 30.0, "ICP plasma"},
    {FIB_PLAN_ION_N, "N", 7, 14.007, 2.0, 30.0, "ICP plasma"},
    {FIB_PLAN_ION_HE, "He", 2, 4.0026, 10.0, 35.0, "gas field ionisation"},
    {FIB_PLAN_ION_NE, "Ne", 10, 20.180, 10.0, 35.0, "gas field ionisation"},
    {FIB_PLAN_ION_KR, "Kr", 36, 83.798, 2.0, 30.0, "ICP plasma"},
};

const fib_plan_ion_info *fib_plan_ion_get(fib_plan_ion ion)
{
    if ((unsigned)ion >= FIB_PLAN_ION_COUNT_)
        return NULL;
    return &ions[ion];
}

fib_plan_projectile fib_plan_projectile_of(fib_plan_ion ion)
{
    fib_plan_projectile p = {0, 0.0};
    const fib_plan_ion_info *i = fib_plan_ion_get(ion);
    if (i) {
        p.z = i->z;
        p.mass_u = i->mass_u;
    }
    return p;
}

fib_status fib_plan_ion_parse(const char *text, fib_plan_ion *out,
                              fib_error *err)
{
    static const struct {
        const char *name;
        fib_plan_ion ion;
    } names[] = {{"gallium", FIB_PLAN_ION_GA}, {"xenon", FIB_PLAN_ION_XE},
                 {"argon", FIB_PLAN_ION_AR},   {"oxygen", FIB_PLAN_ION_O},
                 {"nitrogen", FIB_PLAN_ION_N}, {"helium", FIB_PLAN_ION_HE},
                 {"neon", FIB_PLAN_ION_NE},    {"krypton", FIB_PLAN_ION_KR}};
    if (!text || !out)
        return fib_error_set(err, FIB_EINVAL, "physics: ion is NULL");
    char buf[16];
    size_t n = strlen(text);
    if (n > 0 && text[n - 1] == '+')
        n--;
    if (n == 0 || n >= sizeof buf)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: unknown ion '%s' (use Ga, Xe, Ar, O, "
                             "N, He, Ne or Kr)",
                             text);
    memcpy(buf, text, n);
    buf[n] = '\0';
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++)
        if (fib__str_ieq(buf, ions[i].symbol)) {
            *out = ions[i].ion;
            return FIB_OK;
        }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fib__str_ieq(buf, names[i].name)) {
            *out = names[i].ion;
            return FIB_OK;
        }
    return fib_error_set(err, FIB_EINVAL,
                         "physics: unknown ion '%s' (use Ga, Xe, Ar, O, N, "
                         "He, Ne or Kr)",
                         text);
}

#define BIT(i) (1u << (i))

static const fib_plan_column columns[] = {
    {"ga-lmis",
     "Ga liquid-metal ion source column (Helios/Aquilos/Crossbeam class)",
     BIT(FIB_PLAN_ION_GA),
     0.5,
     30.0,
     1.0,
     65000.0,
     21,
     {1,   1.5,  10,   20,   30,   50,   60,   100,   200,   300,  500,
      740, 1000, 2000, 2800, 6500, 7600, 9300, 15000, 28000, 65000},
     7,
     {{0.5, 17835.0, 0.771, 1.5, 21000},
      {1.0, 1324.5, 0.422, 0.7, 6900},
      {2.0, 579.5, 0.378, 0.3, 6700},
      {5.0, 250.6, 0.371, 0.4, 12000},
      {8.0, 142.7, 0.376, 0.5, 19000},
      {16.0, 102.0, 0.321, 0.6, 21000},
      {30.0, 56.6, 0.348, 1.5, 21000}},
     "presets: AutoLamella/SerialFIB protocols and Helios G2 table [R]; "
     "65 nA top of modern LMIS [L]; probe: Helios G2 beam table fit [R,C]"},
    {"ga-lmis-zeiss",
     "Ga LMIS with Zeiss Crossbeam probe widths (spacing width incl. tails)",
     BIT(FIB_PLAN_ION_GA),
     0.5,
     30.0,
     1.0,
     100000.0,
     16,
     {1, 2, 5, 10, 20, 50, 100, 300, 700, 1500, 3000, 7000, 15000, 30000, 65000,
      100000},
     1,
     {{30.0, 236.3, 0.525, 1.0, 100000}},
     "Zeiss Crossbeam ProbeTable.xml (SerialFIB) [R]; fit [C]"},
    {"xe-pfib",
     "Xe inductively coupled plasma FIB (Helios/Hydra PFIB, Arctis class)",
     BIT(FIB_PLAN_ION_XE),
     2.0,
     30.0,
     1.0,
     2.5e6,
     18,
     {1, 3, 10, 30, 50, 100, 300, 500, 1000, 4000, 15000, 60000, 200000, 500000,
      1000000, 1300000, 2000000, 2500000},
     2,
     {{5.0, 3425.0, 0.5, 1.0, 2.5e6}, {30.0, 736.6, 0.5, 1.0, 2.5e6}},
     "presets: fibsem-os Xe list + 50 pA, 0.5 nA (SerialFIB Arctis) [R]; "
     "to 2.5 uA [L]; probe: PFIB .ptf 232 nm at 99.2 pA [R], n 0.5 [U]"},
    {"multi-pfib",
     "multi-species plasma FIB (Xe, Ar, O, N; Hydra/Arctis class)",
     BIT(FIB_PLAN_ION_XE) | BIT(FIB_PLAN_ION_AR) | BIT(FIB_PLAN_ION_O) |
         BIT(FIB_PLAN_ION_N) | BIT(FIB_PLAN_ION_KR),
     2.0,
     30.0,
     1.0,
     2.0e6,
     13,
     {1, 6, 20, 60, 200, 740, 2000, 7400, 28000, 120000, 500000, 1000000,
      2000000},
     2,
     {{5.0, 3425.0, 0.5, 1.0, 2.0e6}, {30.0, 736.6, 0.5, 1.0, 2.0e6}},
     "presets 1 pA-120 nA: fibsem-os simulator Ar list [R]; up to 2 uA [L]; "
     "probe: Xe PFIB .ptf 232 nm at 99.2 pA [R], n 0.5 [U]"},
    {"gfis",
     "gas field ionisation source (He/Ne ion microscope)",
     BIT(FIB_PLAN_ION_HE) | BIT(FIB_PLAN_ION_NE),
     10.0,
     35.0,
     0.1,
     100.0,
     6,
     {0.1, 0.5, 1, 5, 20, 100},
     1,
     {{30.0, 10.0, 0.3, 0.1, 100.0}},
     "He/Ne ion microscope class [L/U]; probe order of magnitude [U]"},
};

enum { N_COLUMNS = sizeof columns / sizeof columns[0] };

size_t fib_plan_column_count(void)
{
    return N_COLUMNS;
}

const fib_plan_column *fib_plan_column_get(size_t i)
{
    return i < N_COLUMNS ? &columns[i] : NULL;
}

const fib_plan_column *fib_plan_column_find(const char *name)
{
    for (size_t i = 0; name && i < N_COLUMNS; i++)
        if (fib__str_ieq(columns[i].name, name))
            return &columns[i];
    return NULL;
}

const fib_plan_column *fib_plan_column_for_ion(fib_plan_ion ion)
{
    if ((unsigned)ion >= FIB_PLAN_ION_COUNT_)
        return NULL;
    for (size_t i = 0; i < N_COLUMNS; i++)
        if (columns[i].ion_mask & BIT(ion))
            return &columns[i];
    return NULL;
}

double fib_plan_column_nearest_preset(const fib_plan_column *col,
                                      double current_pA)
{
    if (!col || col->n_presets == 0 || !(current_pA > 0.0))
        return 0.0;
    double best = col->presets_pA[0];
    double bd = fabs(log(best / current_pA));
    for (size_t i = 1; i < col->n_presets && i < FIB_PLAN_MAX_PRESETS; i++) {
        double d = fabs(log(col->presets_pA[i] / current_pA));
        if (d < bd) {
            bd = d;
            best = col->presets_pA[i];
        }
    }
    return best;
}

fib_status fib_plan_probe_diameter_nm(const fib_plan_column *col,
                                      double energy_keV, double current_pA,
                                      double *d_nm, fib_error *err)
{
    if (!col || !d_nm)
        return fib_error_set(err, FIB_EINVAL, "physics: NULL column");
    if (!(energy_keV > 0.0) || isinf(energy_keV))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: energy_keV must be > 0 (got %g)",
                             energy_keV);
    if (!(current_pA > 0.0) || isinf(current_pA))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: current_pA must be > 0 (got %g)",
                             current_pA);
    if (current_pA < col->current_min_pA * 0.999 ||
        current_pA > col->current_max_pA * 1.001)
        return fib_error_set(err, FIB_ERANGE,
                             "physics: column %s: current %g pA outside "
                             "%g-%g pA",
                             col->name, current_pA, col->current_min_pA,
                             col->current_max_pA);
    size_t n = col->n_probe_fits;
    if (n == 0)
        return fib_error_set(err, FIB_EUNSUPPORTED,
                             "physics: column %s has no probe-size data",
                             col->name);
    double d1, ex;
    const fib_plan_probe_fit *f = col->probe;
    if (n == 1 || energy_keV <= f[0].energy_keV) {
        d1 = f[0].d1_nm;
        ex = f[0].exponent;
        if (n > 1 || energy_keV != f[0].energy_keV) {
            /* clamp below the lowest fit; single fit: d ~ 1/E scaling
             * (chromatic-aberration limited, Helios 30->2 kV: d1 ~ E^-0.86) */
            if (n == 1)
                d1 *= pow(f[0].energy_keV / energy_keV, 0.86);
        }
    } else if (energy_keV >= f[n - 1].energy_keV) {
        d1 = f[n - 1].d1_nm;
        ex = f[n - 1].exponent;
    } else {
        size_t i = 0;
        while (i + 1 < n && f[i + 1].energy_keV < energy_keV)
            i++;
        double t = log(energy_keV / f[i].energy_keV) /
                   log(f[i + 1].energy_keV / f[i].energy_keV);
        d1 = exp((1.0 - t) * log(f[i].d1_nm) + t * log(f[i + 1].d1_nm));
        ex = (1.0 - t) * f[i].exponent + t * f[i + 1].exponent;
    }
    *d_nm = d1 * pow(current_pA / 1000.0, ex);
    return FIB_OK;
}

/* ---------------------------------------------------------------- recipes */

static const fib_plan_recipe recipes[] = {
    {"Si", 0.27,
     "Thermo application file Si, VolumePerDose 2.7e-10 m^3/C (SerialFIB "
     "TemplatePatterns regular.ptf); Xe PFIB 3.8e-10 m^3/C "
     "(TemplatePatterns/PFIB/regular.ptf) [R]",
     0.38},
    {"Si-multipass", 1.0,
     "Thermo application file Si-multipass, 1.0e-9 m^3/C (cross.ptf); Xe "
     "PFIB 1.2e-9 m^3/C (PFIB/cross.ptf) [R]",
     1.2},
    {"Si-ccs", 2.0,
     "Thermo application file Si-ccs, 2.0e-9 m^3/C (clean_cross.ptf); Xe "
     "PFIB 1.1e-9 m^3/C (PFIB/clean_cross.ptf) [R]",
     1.1},
    {"tescan-cryo", 13.0,
     "fibsem-os TESCAN default rate 1.3e-8 m^3/(A s) 'cryo lamella' [R]", 0},
    {"tescan-si", 0.3, "fibsem-os TESCAN comment 'silicon is 0.3' [R]", 0},
};

size_t fib_plan_recipe_count(void)
{
    return sizeof recipes / sizeof recipes[0];
}

const fib_plan_recipe *fib_plan_recipe_get(size_t i)
{
    return i < fib_plan_recipe_count() ? &recipes[i] : NULL;
}

const fib_plan_recipe *fib_plan_recipe_find(const char *name)
{
    for (size_t i = 0; name && i < fib_plan_recipe_count(); i++)
        if (fib__str_ieq(recipes[i].name, name))
            return &recipes[i];
    return NULL;
}
