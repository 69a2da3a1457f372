/*
 * elements.c -- the built-in element table: Z, mass, density, surface
 * binding energy, Yamamura-Tawara Q, W, s and atomisation enthalpy, with a
 * provenance string for every number.
 *
 * Sources (abbreviations used in the strings):
 *   YT-I   Yamamura & Tawara, ADNDT 62 (1996) 149, Table I, as transcribed in
 *          lcpp-org/PlasmaEDU sputtering/yamamura.m (planner-physics.md 2.1)
 * [R] YT-def YT recommendation for untabulated targets: Q = 1, s = 2.5, W =
 * 0.35 U_s [R] subl   U_s = heat of sublimation (CRC-type value) [L]; SRIM's
 * surface binding energies agree within 0.05 eV for Li, Na, P, S, Ga srim2  U_s
 * = 2 eV, the SRIM default for O, N, F, Cl, H in compounds [L] IUPAC  standard
 * atomic weight (IUPAC 2013 abridged) [L] CRC    CRC Handbook density at 20 C
 * (solid gases: near the triple point) [L] JANAF  atomisation enthalpy =
 * dHf(gas atom, 298 K), NIST-JANAF / CODATA key values [L]
 */
#include <string.h>

#include "physics_internal.h"

#define S_MASS "IUPAC standard atomic weight [L]"
#define S_RHO "CRC handbook density, 20 C [L]"
#define S_RHO_SOLIDGAS                                                         \
    "CRC handbook density of the solid near the triple point [L]"
#define S_RHO_NONE "no solid density (gas); 0"
#define S_US_YT "YT-1996 Table I U_s (PlasmaEDU yamamura.m) [R]"
#define S_US_SUBL "heat of sublimation as U_s (CRC) [L]; SRIM value agrees [L]"
#define S_US_SRIM2 "SRIM default 2 eV for gaseous elements in compounds [L]"
#define S_US_NOBLE "heat of sublimation of the rare-gas solid [L]"
#define S_YT_TAB "YT-1996 Table I Q, W, s (PlasmaEDU yamamura.m) [R]"
#define S_YT_DEF                                                               \
    "YT-1996 defaults for untabulated targets: Q=1, s=2.5, W=0.35 U_s [R]"

#define TAB(sym, z, m, rho, us, q, w, s, ha)                                   \
    {                                                                          \
        sym, z, m, rho, us, q, w, s, true, ha, S_MASS, S_RHO, S_US_YT,         \
            S_YT_TAB                                                           \
    }
#define DEF(sym, z, m, rho, us, ha, srho, sus)                                 \
    {                                                                          \
        sym, z, m, rho, us, 1.0, 0.35 * (us), 2.5, false, ha, S_MASS, srho,    \
            sus, S_YT_DEF                                                      \
    }

/* Sorted by Z.  Atomisation enthalpies in kJ/mol. */
static const fib_plan_element elements[] = {
    DEF("H", 1, 1.008, 0.086, 2.0, 218.0, S_RHO_SOLIDGAS, S_US_SRIM2),
    DEF("He", 2, 4.0026, 0.0, 0.001, 0.0, S_RHO_NONE, S_US_NOBLE),
    DEF("Li", 3, 6.941, 0.534, 1.65, 159.3, S_RHO, S_US_SUBL),
    DEF("B", 5, 10.81, 2.34, 5.73, 565.0, S_RHO, S_US_SUBL),
    TAB("C", 6, 12.011, 2.25, 7.37, 1.70, 1.84, 2.5, 716.7),
    DEF("N", 7, 14.007, 1.03, 2.0, 472.7, S_RHO_SOLIDGAS, S_US_SRIM2),
    DEF("O", 8, 15.999, 1.43, 2.0, 249.2, S_RHO_SOLIDGAS, S_US_SRIM2),
    DEF("F", 9, 18.998, 1.70, 2.0, 79.4, S_RHO_SOLIDGAS, S_US_SRIM2),
    DEF("Ne", 10, 20.180, 1.44, 0.02, 0.0, S_RHO_SOLIDGAS, S_US_NOBLE),
    DEF("Na", 11, 22.990, 0.971, 1.11, 107.5, S_RHO, S_US_SUBL),
    DEF("Mg", 12, 24.305, 1.738, 1.51, 147.1, S_RHO, S_US_SUBL),
    TAB("Al", 13, 26.982, 2.70, 3.39, 1.00, 2.17, 2.5, 330.0),
    TAB("Si", 14, 28.086, 2.329, 4.63, 0.66, 2.32, 2.5, 450.0),
    DEF("P", 15, 30.974, 1.82, 3.27, 316.5, S_RHO, S_US_SUBL),
    DEF("S", 16, 32.06, 2.07, 2.88, 277.2, S_RHO, S_US_SUBL),
    DEF("Cl", 17, 35.45, 2.03, 2.0, 121.3, S_RHO_SOLIDGAS, S_US_SRIM2),
    DEF("Ar", 18, 39.948, 1.62, 0.08, 0.0, S_RHO_SOLIDGAS, S_US_NOBLE),
    DEF("K", 19, 39.098, 0.862, 0.93, 89.0, S_RHO, S_US_SUBL),
    DEF("Ca", 20, 40.078, 1.55, 1.84, 177.8, S_RHO, S_US_SUBL),
    TAB("Ti", 22, 47.867, 4.506, 4.85, 0.54, 2.57, 2.5, 473.0),
    DEF("V", 23, 50.942, 6.11, 5.31, 514.2, S_RHO, S_US_SUBL),
    DEF("Cr", 24, 51.996, 7.19, 4.10, 396.6, S_RHO, S_US_SUBL),
    TAB("Mn", 25, 54.938, 7.44, 2.92, 0.95, 0.88, 2.5, 280.7),
    TAB("Fe", 26, 55.845, 7.874, 4.28, 0.75, 1.20, 2.5, 416.3),
    TAB("Co", 27, 58.933, 8.90, 4.39, 1.02, 1.54, 2.5, 424.7),
    TAB("Ni", 28, 58.693, 8.908, 4.44, 0.94, 1.33, 2.5, 430.1),
    TAB("Cu", 29, 63.546, 8.96, 3.49, 1.00, 0.73, 2.5, 337.4),
    DEF("Zn", 30, 65.38, 7.14, 1.35, 130.4, S_RHO, S_US_SUBL),
    DEF("Ga", 31, 69.723, 5.91, 2.82, 272.0, S_RHO, S_US_SUBL),
    TAB("Ge", 32, 72.63, 5.323, 3.85, 0.59, 2.08, 2.5, 372.0),
    DEF("As", 33, 74.922, 5.727, 3.12, 302.5, S_RHO, S_US_SUBL),
    DEF("Se", 34, 78.971, 4.81, 2.14, 227.1, S_RHO, S_US_SUBL),
    DEF("Kr", 36, 83.798, 2.83, 0.116, 0.0, S_RHO_SOLIDGAS, S_US_NOBLE),
    DEF("Zr", 40, 91.224, 6.52, 6.25, 608.8, S_RHO, S_US_SUBL),
    DEF("Nb", 41, 92.906, 8.57, 7.57, 725.9, S_RHO, S_US_SUBL),
    TAB("Mo", 42, 95.95, 10.28, 6.82, 0.85, 2.39, 2.8, 658.1),
    TAB("Pd", 46, 106.42, 12.02, 3.89, 0.85, 1.36, 2.5, 376.6),
    TAB("Ag", 47, 107.87, 10.49, 2.95, 1.08, 1.03, 2.8, 284.9),
    DEF("In", 49, 114.82, 7.31, 2.49, 243.3, S_RHO, S_US_SUBL),
    TAB("Sn", 50, 118.71, 7.287, 3.14, 0.47, 0.88, 2.5, 301.2),
    DEF("Sb", 51, 121.76, 6.697, 2.72, 264.4, S_RHO, S_US_SUBL),
    DEF("I", 53, 126.90, 4.93, 1.11, 106.8, S_RHO, S_US_SUBL),
    DEF("Xe", 54, 131.293, 3.64, 0.164, 0.0, S_RHO_SOLIDGAS, S_US_NOBLE),
    DEF("La", 57, 138.905, 6.146, 4.47, 431.0, S_RHO, S_US_SUBL),
    TAB("Ta", 73, 180.948, 16.69, 8.10, 0.56, 2.84, 2.8, 782.0),
    TAB("W", 74, 183.84, 19.25, 8.90, 0.72, 2.14, 2.8, 849.4),
    TAB("Pt", 78, 195.08, 21.45, 5.84, 1.03, 3.21, 2.5, 565.3),
    TAB("Au", 79, 196.97, 19.30, 3.81, 1.08, 1.64, 2.8, 366.1),
    DEF("Bi", 83, 208.98, 9.78, 2.17, 207.1, S_RHO, S_US_SUBL),
};

enum { N_ELEMENTS = sizeof elements / sizeof elements[0] };

const fib_plan_element *fib_plan_element_find(const char *symbol)
{
    if (!symbol)
        return NULL;
    for (size_t i = 0; i < N_ELEMENTS; i++)
        if (strcmp(elements[i].symbol, symbol) == 0)
            return &elements[i];
    return NULL;
}

const fib_plan_element *fib_plan_element_by_z(int z)
{
    for (size_t i = 0; i < N_ELEMENTS; i++)
        if (elements[i].z == z)
            return &elements[i];
    return NULL;
}

size_t fib_plan_element_count(void)
{
    return N_ELEMENTS;
}

const fib_plan_element *fib_plan_element_get(size_t i)
{
    return i < N_ELEMENTS ? &elements[i] : NULL;
}
