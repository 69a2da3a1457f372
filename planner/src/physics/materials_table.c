/*
 * materials_table.c -- built-in materials (battery materials, cryo
 * specimens, current collectors, and every material of the FEI/Thermo
 * 30 kV Ga volume-per-dose table); the database handle: materials.c.
 *
 * Densities: CRC handbook / crystallographic values [L] unless marked.
 * Binding energies of compounds (average-atom yield model): atomisation
 * enthalpy per atom, (sum n_i dHf(i, gas) - dHf(compound)) / sum n_i, from
 * standard heats of formation (NIST-JANAF / CODATA / NBS tables [L]; the
 * values marked [U] are estimates from constituent oxides).
 * Measured rates: planner-physics.md sections 3.1-3.4.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics_internal.h"

#define A FIB_PLAN_SENS_AIR
#define M FIB_PLAN_SENS_MOISTURE
#define E FIB_PLAN_SENS_EBEAM
#define I FIB_PLAN_SENS_IBEAM
#define T FIB_PLAN_SENS_THERMAL
#define G FIB_PLAN_SENS_LI_GA_ALLOY
#define S FIB_PLAN_SENS_SUBLIMATION
#define C FIB_PLAN_SENS_CRYO_ONLY

#define FEI                                                                    \
    "FEI/Thermo 30 kV Ga volume-per-dose table (Helios stream-file generator " \
    "header) [R]"
#define GSINO                                                                  \
    "globalsino EM page2454 table, 30 kV Ga, normal incidence [R; primary "    \
    "source not given]"
#define RHO_CRC "CRC handbook [L]"
#define H_JANAF "atomisation enthalpy per atom from dHf (NIST-JANAF/NBS) [L,C]"

typedef struct rate_spec {
    fib_plan_ion ion;
    double keV, angle_deg, um3_nC;
    bool cryo;
    const char *src;
} rate_spec;

typedef struct mat_spec {
    const char *name;
    const char *aliases; /* '|'-separated */
    const char *formula;
    double density;
    const char *density_src;
    double dhf_kJ_mol; /* per formula unit; NAN = unknown */
    double binding_eV; /* direct value when > 0 (overrides dHf) */
    const char *binding_src;
    unsigned flags;
    double kappa;
    bool soft;
    const char *description;
    const char *cryo_src;
    rate_spec rates[3];
} mat_spec;

#define NORATE                                                                 \
    {                                                                          \
        FIB_PLAN_ION_GA, 0, 0, 0, false, NULL                                  \
    }
#define GA30(v, src)                                                           \
    {                                                                          \
        FIB_PLAN_ION_GA, 30.0, 0.0, v, false, src                              \
    }
#define NOH NAN, 0.0, NULL

static const mat_spec specs[] = {
    {"NMC811",
     "NCM811",
     "LiNi0.8Mn0.1Co0.1O2",
     4.75,
     "crystallographic, layered R-3m [L]",
     -600.0,
     0.0,
     "atomisation enthalpy per atom, dHf ~ -600 kJ/mol (LiNiO2-like) [U]",
     M | E | I,
     4.0,
     false,
     "Ni-rich layered oxide cathode",
     NULL,
     {NORATE}},
    {"NMC111",
     "NCM111|NMC333",
     "LiNi0.3333Mn0.3333Co0.3333O2",
     4.70,
     "crystallographic, layered R-3m [L]",
     -650.0,
     0.0,
     "atomisation enthalpy per atom, dHf ~ -650 kJ/mol [U]",
     M | E | I,
     4.0,
     false,
     "layered oxide cathode",
     NULL,
     {NORATE}},
    {"LCO",
     "LiCoO2",
     "LiCoO2",
     5.05,
     RHO_CRC,
     -679.0,
     0.0,
     H_JANAF,
     E | I,
     5.0,
     false,
     "lithium cobalt oxide cathode",
     NULL,
     {NORATE}},
    {"LFP",
     "LiFePO4",
     "LiFePO4",
     3.60,
     "crystallographic olivine [L]",
     -1616.0,
     0.0,
     "atomisation enthalpy per atom, dHf -1616 kJ/mol [L/U]",
     E,
     1.0,
     false,
     "lithium iron phosphate cathode",
     NULL,
     {NORATE}},
    {"LMNO",
     "LNMO|LiNi0.5Mn1.5O4",
     "LiNi0.5Mn1.5O4",
     4.45,
     "crystallographic spinel [L]",
     -1330.0,
     0.0,
     "atomisation enthalpy per atom, dHf ~ -1330 kJ/mol (LiMn2O4-like) [U]",
     E | I,
     3.0,
     false,
     "high-voltage spinel cathode",
     NULL,
     {NORATE}},
    {"graphite",
     "C|carbon",
     "C",
     2.25,
     RHO_CRC,
     NOH,
     I,
     150.0,
     false,
     "graphite anode (polycrystalline)",
     NULL,
     {GA30(0.18, FEI), NORATE}},
    {"Si",
     "silicon",
     "Si",
     2.329,
     RHO_CRC,
     NOH,
     I,
     150.0,
     false,
     "silicon (anode, reference)",
     NULL,
     {GA30(0.27, FEI),
      GA30(0.15, GSINO),
      {FIB_PLAN_ION_XE, 20.0, 0.0, 0.3752, false,
       "20 keV Xe->Si Y = 3.0 +- 0.3 atoms/ion, RBS (scilit record "
       "66737177) [R]"}}},
    {"Li",
     "Li metal|lithium",
     "Li",
     0.534,
     RHO_CRC,
     NOH,
     A | M | E | I | T | G,
     85.0,
     false,
     "lithium metal anode",
     "no cryo sputtering data for Li: room-temperature yield used (cryo "
     "suppresses Li-Ga alloying and melting, Lee et al. ACS Energy Lett. "
     "2019)",
     {NORATE}},
    {"Na",
     "Na metal|sodium",
     "Na",
     0.971,
     RHO_CRC,
     NOH,
     A | M | E | I | T | G,
     142.0,
     false,
     "sodium metal anode",
     "no cryo sputtering data for Na: room-temperature yield used",
     {NORATE}},
    {"S8",
     "S|sulfur",
     "S",
     2.07,
     "alpha-sulfur, CRC [L]",
     NOH,
     E | I | T | S,
     0.27,
     false,
     "sulfur (Li-S cathode)",
     "no cryo sputtering data: room-temperature yield used (cryo stops "
     "sublimation)",
     {NORATE}},
    {"Li2S",
     "",
     "Li2S",
     1.66,
     RHO_CRC,
     -441.4,
     0.0,
     H_JANAF,
     A | M | E,
     1.0,
     false,
     "lithium sulfide (SEI, Li-S discharge product)",
     NULL,
     {NORATE}},
    {"LiF",
     "",
     "LiF",
     2.635,
     RHO_CRC,
     -616.0,
     0.0,
     H_JANAF,
     E,
     11.0,
     false,
     "lithium fluoride (SEI)",
     NULL,
     {NORATE}},
    {"Li2O",
     "",
     "Li2O",
     2.013,
     RHO_CRC,
     -597.9,
     0.0,
     H_JANAF,
     A | M | E,
     10.0,
     false,
     "lithium oxide (SEI)",
     NULL,
     {NORATE}},
    {"Li2CO3",
     "",
     "Li2CO3",
     2.11,
     RHO_CRC,
     -1216.0,
     0.0,
     H_JANAF,
     E,
     1.0,
     false,
     "lithium carbonate (SEI, surface film)",
     NULL,
     {NORATE}},
    {"LiPON",
     "",
     "Li2.9PO3.3N0.46",
     2.3,
     "sputtered LiPON films 2.3-2.5 [L]",
     NAN,
     5.04,
     "Li3PO4 atomisation enthalpy per atom as proxy [U]",
     A | M | E | I,
     0.5,
     false,
     "lithium phosphorus oxynitride thin-film "
     "electrolyte",
     NULL,
     {NORATE}},
    {"LLZO",
     "Li7La3Zr2O12",
     "Li7La3Zr2O12",
     5.10,
     "cubic garnet [L]",
     -7100.0,
     0.0,
     "atomisation enthalpy per atom, dHf ~ -7100 kJ/mol from the oxides [U]",
     A | M,
     1.5,
     false,
     "garnet solid electrolyte",
     NULL,
     {NORATE}},
    {"LPSCl",
     "Li6PS5Cl|argyrodite",
     "Li6PS5Cl",
     1.64,
     "argyrodite, crystallographic [L]",
     NOH,
     A | M | E | I,
     0.5,
     false,
     "argyrodite sulfide solid electrolyte",
     NULL,
     {NORATE}},
    {"ice",
     "amorphous ice|vitreous ice|H2O|water",
     "H2O",
     0.94,
     "low-density amorphous ice 0.94 g/cm^3 [L]",
     -291.8,
     0.0,
     H_JANAF,
     E | I | T | S | C,
     0.6,
     true,
     "vitreous/amorphous ice (cryo-ET)",
     "Fu et al. JVST A 26 (2008) 422: yield rises towards 123 K, no factor "
     "tabulated; the cryo measured rate is used",
     {{FIB_PLAN_ION_GA, 30.0, 0.0, 1.0, true,
       "practical cryo default 1.0 (0.85-1.3) um^3/nC from a fibsem-os "
       "trench timing, planner-physics.md 3.3 [U]"},
      NORATE}},
    {"electrolyte",
     "EC/DEC|vitrified electrolyte|LP40",
     "C43.15H71.3O34.9LiPF6",
     1.3,
     "1 M LiPF6 in EC:DEC 1:1 v/v, liquid density ~1.25-1.3 [U]",
     NOH,
     A | M | E | I | T | S | C,
     0.2,
     true,
     "vitrified 1 M LiPF6 EC/DEC-type electrolyte (composition per LiPF6)",
     "no cryo sputtering data: room-temperature model yield used",
     {NORATE}},
    {"Pt-C",
     "GIS Pt|PtC|GIS",
     "PtC4",
     5.0,
     "beam-induced Pt-C deposit, ~20 at% Pt [U]",
     NOH,
     0u,
     1.0,
     false,
     "GIS Pt-C protective deposit (composition varies widely)",
     "cryo-condensed GIS layer mills ~10x slower than ice (FIB-view notes) "
     "[R, weak]",
     {{FIB_PLAN_ION_GA, 30.0, 0.0, 0.1, true,
       "cryo organometallic Pt ~0.1 um^3/nC, planner-physics.md 3.3 [U]"},
      {FIB_PLAN_ION_GA, 30.0, 0.0, 0.2, false,
       "RT IBID Pt-C (Pt in C): between the FEI 30 kV Ga table C 0.18 "
       "and Pt 0.23 um^3/nC, planner-physics.md 3.1 [U]"},
      NORATE}},
    {"Cu",
     "copper",
     "Cu",
     8.96,
     RHO_CRC,
     NOH,
     0u,
     400.0,
     false,
     "copper current collector",
     NULL,
     {GA30(0.25, FEI), NORATE}},
    {"Al",
     "aluminium|aluminum",
     "Al",
     2.70,
     RHO_CRC,
     NOH,
     0u,
     237.0,
     false,
     "aluminium current collector",
     NULL,
     {GA30(0.30, FEI), GA30(0.37, GSINO), NORATE}},
    /* The rest of the FEI/Thermo table. */
    {"Ti",
     "titanium",
     "Ti",
     4.506,
     RHO_CRC,
     NOH,
     0u,
     22.0,
     false,
     "titanium",
     NULL,
     {GA30(0.37, FEI), NORATE}},
    {"Cr",
     "chromium",
     "Cr",
     7.19,
     RHO_CRC,
     NOH,
     0u,
     94.0,
     false,
     "chromium",
     NULL,
     {GA30(0.10, FEI), GA30(0.28, GSINO), NORATE}},
    {"Fe",
     "iron",
     "Fe",
     7.874,
     RHO_CRC,
     NOH,
     0u,
     80.0,
     false,
     "iron",
     NULL,
     {GA30(0.29, FEI), NORATE}},
    {"Ni",
     "nickel",
     "Ni",
     8.908,
     RHO_CRC,
     NOH,
     0u,
     91.0,
     false,
     "nickel",
     NULL,
     {GA30(0.14, FEI), NORATE}},
    {"Mo",
     "molybdenum",
     "Mo",
     10.28,
     RHO_CRC,
     NOH,
     0u,
     138.0,
     false,
     "molybdenum",
     NULL,
     {GA30(0.12, FEI), NORATE}},
    {"Ta",
     "tantalum",
     "Ta",
     16.69,
     RHO_CRC,
     NOH,
     0u,
     57.0,
     false,
     "tantalum",
     NULL,
     {GA30(0.32, FEI), NORATE}},
    {"W",
     "tungsten",
     "W",
     19.25,
     RHO_CRC,
     NOH,
     0u,
     173.0,
     false,
     "tungsten",
     NULL,
     {GA30(0.12, FEI), NORATE}},
    {"Pt",
     "platinum",
     "Pt",
     21.45,
     RHO_CRC,
     NOH,
     0u,
     72.0,
     false,
     "platinum",
     NULL,
     {GA30(0.23, FEI), NORATE}},
    {"Au",
     "gold",
     "Au",
     19.30,
     RHO_CRC,
     NOH,
     0u,
     318.0,
     false,
     "gold",
     NULL,
     {GA30(1.50, FEI), GA30(1.8, GSINO), NORATE}},
    {"MgO",
     "",
     "MgO",
     3.58,
     RHO_CRC,
     -601.6,
     0.0,
     H_JANAF,
     0u,
     45.0,
     false,
     "magnesium oxide",
     NULL,
     {GA30(0.15, FEI), NORATE}},
    {"SiO2",
     "silica",
     "SiO2",
     2.20,
     "amorphous/thermal oxide [L]",
     -910.7,
     0.0,
     H_JANAF,
     0u,
     1.4,
     false,
     "silicon dioxide",
     NULL,
     {GA30(0.24, FEI), GA30(0.19, GSINO), NORATE}},
    {"Al2O3",
     "alumina",
     "Al2O3",
     3.95,
     RHO_CRC,
     -1675.7,
     0.0,
     H_JANAF,
     0u,
     30.0,
     false,
     "aluminium oxide",
     NULL,
     {GA30(0.08, FEI), NORATE}},
    {"TiO",
     "",
     "TiO",
     4.95,
     RHO_CRC,
     -542.7,
     0.0,
     H_JANAF,
     0u,
     10.0,
     false,
     "titanium monoxide",
     NULL,
     {GA30(0.15, FEI), NORATE}},
    {"Si3N4",
     "silicon nitride",
     "Si3N4",
     3.17,
     "LPCVD/ceramic [L]",
     -743.5,
     0.0,
     H_JANAF,
     0u,
     20.0,
     false,
     "silicon nitride",
     NULL,
     {GA30(0.20, FEI), GA30(0.21, GSINO), NORATE}},
    {"TiN",
     "",
     "TiN",
     5.22,
     RHO_CRC,
     -337.9,
     0.0,
     H_JANAF,
     0u,
     19.0,
     false,
     "titanium nitride",
     NULL,
     {GA30(0.15, FEI), NORATE}},
    {"Fe2O3",
     "hematite",
     "Fe2O3",
     5.24,
     RHO_CRC,
     -824.2,
     0.0,
     H_JANAF,
     0u,
     6.0,
     false,
     "iron(III) oxide",
     NULL,
     {GA30(0.25, FEI), NORATE}},
    {"GaAs",
     "",
     "GaAs",
     5.32,
     RHO_CRC,
     -71.0,
     0.0,
     H_JANAF,
     I,
     55.0,
     false,
     "gallium arsenide",
     NULL,
     {GA30(0.61, FEI), NORATE}},
    {"PMMA",
     "",
     "C5H8O2",
     1.18,
     RHO_CRC,
     NOH,
     E | I | T,
     0.19,
     true,
     "poly(methyl methacrylate)",
     NULL,
     {GA30(0.40, FEI), NORATE}},
    {"steel",
     "stainless steel",
     "Fe0.72Cr0.18Ni0.1",
     7.9,
     "304-type stainless [L]",
     NOH,
     0u,
     16.0,
     false,
     "steel (Zeiss SmartFIB recipe)",
     NULL,
     {GA30(0.25, "Zeiss SmartFIB 1um-Steel.epm: 4000 C/m^2 per 1 um depth "
                 "(SerialFIB) [R,C]"),
      NORATE}},
};

#undef A
#undef M
#undef E
#undef I
#undef T
#undef G
#undef S
#undef C

enum { N_SPECS = sizeof specs / sizeof specs[0] };

static void build(const mat_spec *sp, fib_plan_material *m)
{
    memset(m, 0, sizeof *m);
    fib__str_copy(m->name, sizeof m->name, sp->name);
    /* built-in formulas are known to parse (checked by the tests) */
    if (fib_plan_formula_parse(sp->formula, m, NULL) != FIB_OK)
        m->n_components = 0;
    size_t na = 0;
    const char *a = sp->aliases;
    while (a && *a && na < FIB_PLAN_MAX_ALIASES) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        if (len >= FIB_PLAN_NAME_MAX)
            len = FIB_PLAN_NAME_MAX - 1;
        memcpy(m->aliases[na], a, len);
        m->aliases[na][len] = '\0';
        na++;
        a = bar ? bar + 1 : NULL;
    }
    fib__str_copy(m->description, sizeof m->description, sp->description);
    m->density_g_cm3 = sp->density;
    m->density_src = FIB_PLAN_DENSITY_TABLE;
    fib__str_copy(m->density_source, sizeof m->density_source, sp->density_src);
    if (sp->binding_eV > 0.0) {
        m->binding_eV = sp->binding_eV;
        fib__str_copy(m->binding_source, sizeof m->binding_source,
                      sp->binding_src);
    } else if (!isnan(sp->dhf_kJ_mol) && m->n_components > 1) {
        double h = 0.0, n = 0.0;
        for (size_t i = 0; i < m->n_components; i++) {
            const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
            h += m->comp[i].count * (el ? el->hatom_kJ_mol : 0.0);
            n += m->comp[i].count;
        }
        m->binding_eV = (h - sp->dhf_kJ_mol) / n / FIB__EV_KJMOL;
        fib__str_copy(m->binding_source, sizeof m->binding_source,
                      sp->binding_src);
    } else if (m->n_components == 1) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[0].z);
        fib__str_copy(m->binding_source, sizeof m->binding_source,
                      el ? el->src_usurf : "");
    } else {
        fib__str_copy(m->binding_source, sizeof m->binding_source,
                      "estimated: stoichiometry-weighted elemental U_s");
    }
    m->sens_flags = sp->flags;
    m->kappa_W_mK = sp->kappa;
    m->soft = sp->soft;
    m->cryo_yield_factor = 1.0;
    if (sp->cryo_src)
        fib__str_copy(m->cryo_source, sizeof m->cryo_source, sp->cryo_src);
    for (size_t i = 0; i < 3; i++) {
        const rate_spec *r = &sp->rates[i];
        if (!r->src || m->n_rates >= FIB_PLAN_MAX_RATES)
            break;
        fib_plan_rate *d = &m->rates[m->n_rates++];
        d->ion = r->ion;
        d->energy_keV = r->keV;
        d->angle_deg = r->angle_deg;
        d->um3_per_nC = r->um3_nC;
        d->cryo = r->cryo;
        fib__str_copy(d->source, sizeof d->source, r->src);
    }
}

size_t fib__builtin_materials(fib_plan_material *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_SPECS && n < cap; i++)
        build(&specs[i], &out[n++]);
    return n;
}

size_t fib__builtin_material_count(void)
{
    return N_SPECS;
}
