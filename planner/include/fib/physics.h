/*
 * fib/physics.h -- ion-solid physics for the cryo-FIB session planner:
 * elements, materials (formula parsing, built-in battery materials, user
 * overrides), ion species and column presets, probe diameter, Yamamura-
 * Tawara sputter yields (elements and compounds), angular factor, removal
 * rates, commanded vs physical depth with redeposition, projected range,
 * damage depth, implanted fraction and beam heating.
 *
 * Units are in the names: energy_keV / energy_eV, angle_deg (from the
 * surface normal), current_pA / current_nA, lengths in nm or um, volumes
 * in um^3, dose in nC, removal rates in um^3/nC (1 um^3/nC = 1e-9 m^3/C,
 * the unit of Thermo's "VolumePerDose").
 *
 * Conventions (house style): fallible functions return fib_status and take
 * `fib_error *err` last (may be NULL).  Everything here is pure computation
 * on caller memory or on immutable built-in tables: no file I/O (reading a
 * user materials file is in fib/materials_cfg.h), no globals written, all
 * functions are thread-safe; a fib_plan_materials handle may be read from
 * several threads but must not be modified concurrently.
 *
 * Models and their sources are documented in planner/README.md; the main
 * ones are
 *   - Y. Yamamura, H. Tawara, ADNDT 62 (1996) 149 (Eq. 15-22), with the
 *     erratum ADNDT 63 (1996) 353: normal-incidence yield and threshold;
 *   - Y. Yamamura, Radiat. Eff. 80 (1984) 57 / IPPJ-AM-26 (1983): angular
 *     factor Y(theta)/Y(0), capped (FIB_PLAN_ANGLE_FACTOR_CAP);
 *   - ZBL universal nuclear + Lindhard-Scharff electronic stopping, CSDA
 *     path length with the Lindhard projected-range correction: ranges;
 *   - damage depth = c_material * g_ion * Rp, calibrated to Si (23 nm at
 *     30 kV Ga, ISTFA 2004), cryo-ET lamellae (Ga 60 nm, Lucas &
 *     Grigorieff PNAS 2023; Xe 30-45 nm, Nat. Commun. 2025) and Ar/Xe
 *     PFIB on protein crystals (32.5-50 nm, IUCrJ 2023);
 *   - redeposition efficiency eta(AR) = 1 / (1 + k * AR).
 */
#ifndef FIB_PHYSICS_H
#define FIB_PHYSICS_H

#include <stddef.h>

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Constants
 * ---------------------------------------------------------------------- */

enum {
    FIB_PLAN_NAME_MAX = 48,       /**< material name incl. NUL */
    FIB_PLAN_FORMULA_MAX = 96,    /**< formula text incl. NUL */
    FIB_PLAN_SOURCE_MAX = 160,    /**< provenance text incl. NUL */
    FIB_PLAN_TEXT_MAX = 320,      /**< result source text incl. NUL */
    FIB_PLAN_MAX_COMPONENTS = 12, /**< distinct elements in one material */
    FIB_PLAN_MAX_RATES = 6,       /**< measured rates kept per material */
    FIB_PLAN_MAX_ALIASES = 4,     /**< alternative names per material */
    FIB_PLAN_MAX_PRESETS = 40,    /**< current presets per column */
    FIB_PLAN_MAX_PROBE_FITS = 8   /**< probe-size fits (one per kV) */
};

/** Cap on Y(theta)/Y(0): the Yamamura formula gives 4-8x near 80 deg for
 *  light targets, real rough/amorphised surfaces show 3-5x
 *  (planner-physics.md sec. 2.4). */
#define FIB_PLAN_ANGLE_FACTOR_CAP 5.0

/** Default redeposition coefficient k in eta(AR) = 1/(1 + k*AR)
 *  (planner-physics.md sec. 4.5: k = 0.3-0.5; mid value). */
#define FIB_PLAN_REDEP_K_DEFAULT 0.4

/** Avogadro's number (1/mol) and elementary charge (C). */
#define FIB_PLAN_AVOGADRO 6.02214076e23
#define FIB_PLAN_E_CHARGE 1.602176634e-19

/* ------------------------------------------------------------------------
 * Elements
 * ---------------------------------------------------------------------- */

/** One element of the built-in table (immutable, static storage).
 *  Every number has a provenance string; "[R]" read in the cited source,
 *  "[L]" literature recalled, "[C]" computed, "default" = the documented
 *  Yamamura-Tawara defaults for untabulated targets (Q = 1, s = 2.5,
 *  W = 0.35 * U_s). */
typedef struct fib_plan_element {
    const char *symbol;   /**< "Li" */
    int z;                /**< atomic number */
    double mass_u;        /**< standard atomic weight (u) */
    double density_g_cm3; /**< elemental solid density (g/cm^3); for gases
                               the solid at low T where known, else 0 */
    double usurf_eV;      /**< surface binding energy U_s (eV) */
    double yt_q;          /**< Yamamura-Tawara Q */
    double yt_w;          /**< Yamamura-Tawara W */
    double yt_s;          /**< Yamamura-Tawara s */
    bool yt_tabulated;    /**< true when Q, W, s come from YT Table I */
    double hatom_kJ_mol;  /**< standard enthalpy of formation of the
                               gaseous atom (atomisation enthalpy) */
    const char *src_mass;
    const char *src_density;
    const char *src_usurf;
    const char *src_yt;
} fib_plan_element;

/** Element by symbol (exact case, "Li", "Co"); NULL if unknown. */
FIB_API const fib_plan_element *fib_plan_element_find(const char *symbol);
/** Element by atomic number; NULL if not in the table. */
FIB_API const fib_plan_element *fib_plan_element_by_z(int z);
/** Number of elements in the table, and the i-th (NULL when i >= count). */
FIB_API size_t fib_plan_element_count(void);
FIB_API const fib_plan_element *fib_plan_element_get(size_t i);

/* ------------------------------------------------------------------------
 * Materials
 * ---------------------------------------------------------------------- */

/** Sensitivity / reactivity flags (bit set), used by the workflow
 *  recommender.  Sources: Shin et al. (seed article), planner-physics.md
 *  sec. 3.5. */
typedef enum fib_plan_sens {
    FIB_PLAN_SENS_AIR = 1u << 0,         /**< reacts with air / O2 / N2 */
    FIB_PLAN_SENS_MOISTURE = 1u << 1,    /**< reacts with water vapour */
    FIB_PLAN_SENS_EBEAM = 1u << 2,       /**< electron-beam damage */
    FIB_PLAN_SENS_IBEAM = 1u << 3,       /**< ion-beam damage/amorphisation */
    FIB_PLAN_SENS_THERMAL = 1u << 4,     /**< low melting / decomposition /
                                              devitrification */
    FIB_PLAN_SENS_LI_GA_ALLOY = 1u << 5, /**< alloys with Ga (Li, Na) */
    FIB_PLAN_SENS_SUBLIMATION = 1u << 6, /**< sublimes in vacuum (S, ice) */
    FIB_PLAN_SENS_CRYO_ONLY = 1u << 7    /**< exists only at cryo (vitreous
                                              ice, frozen electrolyte) */
} fib_plan_sens;

/** Where a material's density came from. */
typedef enum fib_plan_density_src {
    FIB_PLAN_DENSITY_TABLE = 0, /**< built-in / user database value */
    FIB_PLAN_DENSITY_USER,      /**< given by the caller (option, session) */
    FIB_PLAN_DENSITY_ESTIMATED  /**< estimated from the elements (marked) */
} fib_plan_density_src;

/** Ion species. */
typedef enum fib_plan_ion {
    FIB_PLAN_ION_GA = 0,
    FIB_PLAN_ION_XE,
    FIB_PLAN_ION_AR,
    FIB_PLAN_ION_O,
    FIB_PLAN_ION_N,
    FIB_PLAN_ION_HE,
    FIB_PLAN_ION_NE,
    FIB_PLAN_ION_KR,
    FIB_PLAN_ION_COUNT_
} fib_plan_ion;

/** One measured effective milling rate with its provenance. */
typedef struct fib_plan_rate {
    fib_plan_ion ion;
    double energy_keV;
    double angle_deg;  /**< incidence of the measurement (0 normal) */
    double um3_per_nC; /**< effective volume per dose */
    bool cryo;         /**< measured at cryo temperature */
    char source[FIB_PLAN_SOURCE_MAX];
} fib_plan_rate;

/** One element of a composition: atomic number and (fractional) count. */
typedef struct fib_plan_component {
    int z;
    double count; /**< atoms per formula unit, > 0 */
} fib_plan_component;

/**
 * A material: composition, density, binding and flags.  A plain value
 * type (no pointers): copy freely.  Zero-initialised fields mean
 * "unknown / use the default" where noted.
 */
typedef struct fib_plan_material {
    char name[FIB_PLAN_NAME_MAX]; /**< "NMC811"; formula if unnamed */
    char aliases[FIB_PLAN_MAX_ALIASES][FIB_PLAN_NAME_MAX]; /**< "" = none */
    char formula[FIB_PLAN_FORMULA_MAX]; /**< "LiNi0.8Mn0.1Co0.1O2" */
    char description[FIB_PLAN_SOURCE_MAX];
    size_t n_components;
    fib_plan_component comp[FIB_PLAN_MAX_COMPONENTS];
    double density_g_cm3; /**< > 0 once resolved */
    fib_plan_density_src density_src;
    char density_source[FIB_PLAN_SOURCE_MAX];
    /** Surface binding energy per atom for the average-atom yield model
     *  (eV); 0 = stoichiometry-weighted elemental U_s (estimated).  For
     *  compounds the built-ins use the atomisation enthalpy per atom from
     *  standard heats of formation. */
    double binding_eV;
    char binding_source[FIB_PLAN_SOURCE_MAX];
    unsigned sens_flags; /**< fib_plan_sens bits */
    double kappa_W_mK;   /**< thermal conductivity; 0 = unknown */
    double redep_k;      /**< eta(AR) coefficient; 0 = default */
    /** Multiplier on the model yield at cryo temperature (1 = no data:
     *  the room-temperature yield is used); cryo_source says which. */
    double cryo_yield_factor;
    char cryo_source[FIB_PLAN_SOURCE_MAX];
    bool soft; /**< organic / ice / polymer: damage
                    calibrated on cryo-ET values */
    size_t n_rates;
    fib_plan_rate rates[FIB_PLAN_MAX_RATES];
} fib_plan_material;

/**
 * Parse a chemical formula into @p out->comp / n_components (other fields
 * of @p out are left untouched except formula, which receives the text).
 * Grammar: sequence of Symbol [number], number = digits with optional
 * fraction ("0.8", "2.9", ".5"), groups "(...)n" and "[...]n" nested up to
 * 4 deep; whitespace ignored; repeated elements are summed.  Errors
 * (FIB_EINVAL) name the 1-based position and the offending text:
 * "physics: formula 'LiXx2': unknown element 'Xx' at position 3".
 */
FIB_API FIB_NODISCARD fib_status fib_plan_formula_parse(const char *formula,
                                                        fib_plan_material *out,
                                                        fib_error *err);

/** Mean atomic mass (u), mean Z, and atoms per formula unit. */
FIB_API double fib_plan_material_mean_mass_u(const fib_plan_material *m);
FIB_API double fib_plan_material_mean_z(const fib_plan_material *m);
FIB_API double fib_plan_material_atoms_per_unit(const fib_plan_material *m);
/** Atomic number density (atoms/cm^3) from density and composition; 0 if
 *  the density is not set. */
FIB_API double fib_plan_material_atom_density_cm3(const fib_plan_material *m);
/** Density estimate (g/cm^3) for a composition with no known density:
 *  additive atomic volumes with fitted volumes for ionic compounds (see
 *  planner/README.md; about +-20 %, up to 2x); marked as an estimate. */
FIB_API FIB_NODISCARD fib_status fib_plan_density_estimate(
    const fib_plan_material *m, double *density_g_cm3, fib_error *err);
/** Append a measured rate; FIB_ERANGE when the material is full. */
FIB_API FIB_NODISCARD fib_status fib_plan_material_add_rate(
    fib_plan_material *m, const fib_plan_rate *rate, fib_error *err);
/** Check a material for consistency (components, density > 0 when set,
 *  rates > 0).  Errors: FIB_EINVAL naming the material and field. */
FIB_API FIB_NODISCARD fib_status
fib_plan_material_validate(const fib_plan_material *m, fib_error *err);
/** Comma-separated names of the set sensitivity flags into @p buf
 *  ("air,moisture,li-ga-alloy"; "" when none).  Returns @p buf. */
FIB_API const char *fib_plan_sens_string(unsigned flags, char *buf,
                                         size_t size);

/** Flag bit for a name as printed by fib_plan_sens_string() ("air",
 *  "moisture", "e-beam", "ion-beam", "thermal", "li-ga-alloy",
 *  "sublimation", "cryo-only"; case-insensitive); 0 if unknown. */
FIB_API unsigned fib_plan_sens_from_name(const char *name);

/** The materials database (opaque): built-ins plus user additions. */
typedef struct fib_plan_materials fib_plan_materials;

/** Create a database holding the built-in materials.  Errors: ENOMEM. */
FIB_API FIB_NODISCARD fib_status
fib_plan_materials_create(fib_plan_materials **out, fib_error *err);
/** Free; NULL is a no-op. */
FIB_API void fib_plan_materials_destroy(fib_plan_materials *db);
/** Add @p m, or replace the entry with the same name (case-insensitive).
 *  The material is validated first; the database keeps a copy. */
FIB_API FIB_NODISCARD fib_status fib_plan_materials_add(
    fib_plan_materials *db, const fib_plan_material *m, fib_error *err);
/** Entry by name or alias (case-insensitive), then by formula (same
 *  composition, atom fractions within 1e-3); NULL if none.  The
 *  pointer is valid until the database is changed or destroyed. */
FIB_API const fib_plan_material *
fib_plan_materials_find(const fib_plan_materials *db, const char *name);
FIB_API size_t fib_plan_materials_count(const fib_plan_materials *db);
FIB_API const fib_plan_material *
fib_plan_materials_get(const fib_plan_materials *db, size_t i);

/**
 * Resolve a material for a calculation: a database name/alias, else a
 * formula matching a database entry (takes its density and data), else a
 * parsed formula.  Density: @p density_g_cm3 > 0 overrides (marked USER);
 * otherwise the database value; otherwise fib_plan_density_estimate()
 * (marked ESTIMATED).  @p density_g_cm3 = 0 means "no override".
 * @p db may be NULL (formula only).  Errors: FIB_EINVAL for a name that is
 * neither a material nor a valid formula (the message names the position
 * and symbol), or a density that is negative, NaN or >= 30.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_material_resolve(
    const fib_plan_materials *db, const char *name_or_formula,
    double density_g_cm3, fib_plan_material *out, fib_error *err);

/* ------------------------------------------------------------------------
 * Ions and columns
 * ---------------------------------------------------------------------- */

typedef struct fib_plan_ion_info {
    fib_plan_ion ion;
    const char *symbol; /**< "Ga" */
    int z;
    double mass_u;
    double energy_min_keV; /**< usable column range */
    double energy_max_keV;
    const char *source_kind; /**< "LMIS", "ICP plasma" */
} fib_plan_ion_info;

/** Static info for a species; NULL for an invalid enum. */
FIB_API const fib_plan_ion_info *fib_plan_ion_get(fib_plan_ion ion);
/** Parse "Ga"/"ga"/"Ga+"/"xenon"; FIB_EINVAL naming the text if unknown. */
FIB_API FIB_NODISCARD fib_status fib_plan_ion_parse(const char *text,
                                                    fib_plan_ion *out,
                                                    fib_error *err);

/** Power-law probe fit d = d1_nm * (I / 1 nA)^exponent at one energy. */
typedef struct fib_plan_probe_fit {
    double energy_keV;
    double d1_nm;
    double exponent;
    double i_min_pA, i_max_pA; /**< range of the fitted data */
} fib_plan_probe_fit;

/** An instrument class with its presets (immutable built-ins, or a copy
 *  that the session file overrides). */
typedef struct fib_plan_column {
    char name[FIB_PLAN_NAME_MAX]; /**< "ga-lmis", "xe-pfib", "multi-pfib" */
    char description[FIB_PLAN_SOURCE_MAX];
    unsigned ion_mask; /**< bit (1u << fib_plan_ion) per species */
    double energy_min_keV, energy_max_keV;
    double current_min_pA, current_max_pA;
    size_t n_presets;
    double presets_pA[FIB_PLAN_MAX_PRESETS]; /**< ascending */
    size_t n_probe_fits;
    fib_plan_probe_fit probe[FIB_PLAN_MAX_PROBE_FITS]; /**< ascending kV */
    char source[FIB_PLAN_SOURCE_MAX];
} fib_plan_column;

FIB_API size_t fib_plan_column_count(void);
FIB_API const fib_plan_column *fib_plan_column_get(size_t i);
/** Column by name (case-insensitive); NULL if none. */
FIB_API const fib_plan_column *fib_plan_column_find(const char *name);
/** The default column for a species (Ga -> ga-lmis, Xe -> xe-pfib,
 *  Ar/O/N -> multi-pfib); NULL when none carries the ion. */
FIB_API const fib_plan_column *fib_plan_column_for_ion(fib_plan_ion ion);
/** Nearest preset current (pA) of @p col to @p current_pA (log
 *  distance); 0 when the column has no presets. */
FIB_API double fib_plan_column_nearest_preset(const fib_plan_column *col,
                                              double current_pA);

/**
 * Probe (beam) diameter in nm at @p current_pA and @p energy_keV from the
 * column's power-law fits, interpolating d1 and the exponent linearly in
 * log(kV) between fitted energies (clamped outside).  Errors: FIB_EINVAL
 * for current/energy <= 0 or NaN, FIB_ERANGE for a current outside the
 * column range.
 */
FIB_API FIB_NODISCARD fib_status
fib_plan_probe_diameter_nm(const fib_plan_column *col, double energy_keV,
                           double current_pA, double *d_nm, fib_error *err);

/* ------------------------------------------------------------------------
 * Sputtering
 * ---------------------------------------------------------------------- */

/** Projectile for the low-level formulas (any ion, even one not in the
 *  species list). */
typedef struct fib_plan_projectile {
    int z;
    double mass_u;
} fib_plan_projectile;

/** Projectile of a species. */
FIB_API fib_plan_projectile fib_plan_projectile_of(fib_plan_ion ion);

/** Target parameters of the Yamamura-Tawara formula (an element, or the
 *  "average atom" of a compound). */
typedef struct fib_plan_yt_target {
    double z;      /**< (mean) atomic number */
    double mass_u; /**< (mean) mass */
    double usurf_eV;
    double q, w, s;
} fib_plan_yt_target;

/** YT target parameters of an element from the table. */
FIB_API fib_plan_yt_target
fib_plan_yt_target_of_element(const fib_plan_element *el);

/** YT threshold energy E_th (eV), Eqs. 17-18. */
FIB_API double fib_plan_yt_threshold_eV(fib_plan_projectile ion,
                                        const fib_plan_yt_target *t);

/**
 * Yamamura-Tawara (1996) normal-incidence yield (atoms/ion), Eq. 15;
 * 0 at or below the threshold.  Errors: FIB_EINVAL for energy < 0 / NaN,
 * non-positive masses, Z or U_s.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_yt_yield(fib_plan_projectile ion,
                                                   const fib_plan_yt_target *t,
                                                   double energy_eV,
                                                   double *yield,
                                                   fib_error *err);

/** Compound yield model. */
typedef enum fib_plan_compound_model {
    /** Default.  One YT evaluation with stoichiometry-weighted Z, M, Q, W,
     *  s and the material's binding energy per atom (atomisation enthalpy
     *  for compounds).  Chosen because per-element partial yields need
     *  the pure-element U_s of O, N, F, H (gases; ~2 eV) and over-predict
     *  oxides/nitrides by 2-3x; see planner/README.md and the bench. */
    FIB_PLAN_COMPOUND_AVERAGE_ATOM = 0,
    /** Sum of c_i * Y_i with each Y_i the pure-element YT yield (linear
     *  superposition, no preferential sputtering). */
    FIB_PLAN_COMPOUND_PARTIAL
} fib_plan_compound_model;

/** Normal-incidence model yield (atoms/ion, all atoms counted) of a
 *  material; E in keV.  Errors as fib_plan_yt_yield(). */
FIB_API FIB_NODISCARD fib_status fib_plan_material_yield(
    fib_plan_projectile ion, const fib_plan_material *m, double energy_keV,
    fib_plan_compound_model model, double *yield, fib_error *err);

/**
 * Yamamura angular factor Y(theta)/Y(0) (IPPJ-AM-26 / Radiat. Eff. 80):
 * x^f exp(-Sigma (x - 1)), x = 1/cos theta, capped at
 * FIB_PLAN_ANGLE_FACTOR_CAP.  theta in [0, 90).  Errors: FIB_EINVAL for
 * angle < 0, >= 90 or NaN, energy <= 0.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_angular_factor(
    fib_plan_projectile ion, const fib_plan_material *m, double energy_keV,
    double angle_deg, double *factor, fib_error *err);
/** The same without the cap (for tests and plots). */
FIB_API FIB_NODISCARD fib_status fib_plan_angular_factor_uncapped(
    fib_plan_projectile ion, const fib_plan_material *m, double energy_keV,
    double angle_deg, double *factor, fib_error *err);

/** Volume per charge (um^3/nC) of a yield (atoms/ion) in a material of
 *  atomic density n_cm3 (atoms/cm^3): Y / N * 1e12 * 6.2415e9.  0 when
 *  n_cm3 <= 0. */
FIB_API double fib_plan_yield_to_um3_per_nC(double yield, double n_cm3);
/** Inverse of fib_plan_yield_to_um3_per_nC(). */
FIB_API double fib_plan_um3_per_nC_to_yield(double um3_per_nC, double n_cm3);

/** Thermo application-file (recipe) volume per dose, i.e. what the
 *  instrument *commands*; not a material property. */
typedef struct fib_plan_recipe {
    const char *name;      /**< "Si", "Si-multipass", "Si-ccs" */
    double vpd_um3_per_nC; /**< Ga LMIS column, 30 kV */
    const char *source;
    /** The same application on a Xe plasma column at 30 kV (Thermo PFIB
     *  application files, SerialFIB TemplatePatterns/PFIB); 0 = none
     *  published (the Ga value scaled by the model Si yield ratio). */
    double vpd_pfib_um3_per_nC;
} fib_plan_recipe;

FIB_API size_t fib_plan_recipe_count(void);
FIB_API const fib_plan_recipe *fib_plan_recipe_get(size_t i);
/** Recipe by name (case-insensitive); NULL if none. */
FIB_API const fib_plan_recipe *fib_plan_recipe_find(const char *name);

/** Find a measured rate of @p m for @p ion at @p energy_keV (within
 *  0.5 keV); the first match in the material's list wins (lists are
 *  ordered by preference).  NULL if none. */
FIB_API const fib_plan_rate *
fib_plan_material_find_rate(const fib_plan_material *m, fib_plan_ion ion,
                            double energy_keV);

/** Where a number came from. */
typedef enum fib_plan_origin {
    FIB_PLAN_ORIGIN_MODEL = 0, /**< computed from a model */
    FIB_PLAN_ORIGIN_MEASURED,  /**< measured value for this ion and energy
                                    (times the model angular factor) */
    FIB_PLAN_ORIGIN_SCALED     /**< measured value of this material for
                                    another ion/energy, scaled by the model
                                    ratio Y(ion, E) / Y(ion_m, E_m) */
} fib_plan_origin;

/** Parameters of fib_plan_sputter(); zero = default. */
typedef struct fib_plan_sputter_params {
    fib_plan_ion ion;  /**< default FIB_PLAN_ION_GA (= 0) */
    double energy_keV; /**< > 0 required */
    double angle_deg;  /**< incidence from the normal, [0, 90) */
    bool cryo;         /**< cryo stage (apply cryo factors) */
    bool model_only;   /**< ignore measured rates */
    fib_plan_compound_model compound_model;
} fib_plan_sputter_params;

/** Everything the `sputter` command reports. */
typedef struct fib_plan_sputter_result {
    double threshold_eV;             /**< YT threshold (average atom) */
    double yield_normal_model;       /**< model Y(0), atoms/ion */
    double angle_factor;             /**< capped Y(theta)/Y(0) */
    double cryo_factor;              /**< applied cryo multiplier (1 = none) */
    double yield_atoms_per_ion;      /**< reported yield (at angle, cryo) */
    double removal_um3_per_nC;       /**< reported removal rate */
    double model_removal_um3_per_nC; /**< model rate at the same angle */
    fib_plan_origin removal_origin;
    char removal_source[FIB_PLAN_TEXT_MAX];
    char yield_source[FIB_PLAN_TEXT_MAX];
    char cryo_source[FIB_PLAN_SOURCE_MAX];
    double projected_range_nm;
    double range_straggle_nm;
    char range_source[FIB_PLAN_TEXT_MAX];
    double damage_depth_nm;
    char damage_source[FIB_PLAN_TEXT_MAX];
    double implanted_fraction; /**< steady-state surface ion fraction */
    double atom_density_cm3;
} fib_plan_sputter_result;

/**
 * All sputter numbers for one ion/material/energy/angle.  The removal rate
 * is (1) the measured value when the material has one for this ion and
 * energy (one measured at the request's temperature, cryo or room, is
 * preferred), (2) else the material's first measured value (again the
 * first one at the request's temperature when there is one) scaled by the
 * model
 * yield ratio (origin SCALED), (3) else the model; (1) and (2) are
 * multiplied by the model angular factor when angle > 0 and, at cryo, by
 * cryo_yield_factor when the measurement was at room temperature.  The
 * reported yield is the one implied by the reported rate.  Unless
 * model_only is set.  Energy below the threshold gives zero yield and rate
 * (not an error).  Errors:
 * FIB_EINVAL for energy <= 0 / NaN, angle < 0 or >= 90, a material without
 * density or components.
 */
FIB_API FIB_NODISCARD fib_status
fib_plan_sputter(const fib_plan_material *m, const fib_plan_sputter_params *p,
                 fib_plan_sputter_result *out, fib_error *err);

/* ------------------------------------------------------------------------
 * Commanded vs physical removal
 * ---------------------------------------------------------------------- */

/** Instrument time t = V / (VPD * I) (Thermo xT, verified on 3 .ptf
 *  files).  volume_um3 >= 0, vpd_um3_per_nC > 0, current_nA > 0. */
FIB_API FIB_NODISCARD fib_status
fib_plan_commanded_time_s(double volume_um3, double vpd_um3_per_nC,
                          double current_nA, double *time_s, fib_error *err);

/** Redeposition efficiency eta(AR) = 1 / (1 + k * AR) (k <= 0 uses
 *  FIB_PLAN_REDEP_K_DEFAULT); AR = depth / width >= 0. */
FIB_API double fib_plan_redeposition_factor(double aspect_ratio, double k);

/**
 * Physical depth reached in a box of area @p area_um2 and narrow width
 * @p width_um by a dose @p dose_nC at removal rate @p rate_um3_per_nC,
 * with the aspect ratio growing as the box deepens:
 *   dz/dQ = r * eta(z / w) / A  =>  z + k z^2 / (2 w) = r Q / A
 *   z = (w / k) * (sqrt(1 + 2 k r Q / (A w)) - 1).
 * k <= 0 uses the default; width_um <= 0 means an open surface (eta = 1,
 * z = r Q / A).  Errors: FIB_EINVAL for negative dose, area <= 0, rate < 0.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_physical_depth_um(
    double dose_nC, double area_um2, double width_um, double rate_um3_per_nC,
    double k, double *depth_um, fib_error *err);

/** Inverse: dose (nC) needed to reach @p depth_um (same model). */
FIB_API FIB_NODISCARD fib_status fib_plan_dose_for_depth_nC(
    double depth_um, double area_um2, double width_um, double rate_um3_per_nC,
    double k, double *dose_nC, fib_error *err);

/* ------------------------------------------------------------------------
 * Ranges, damage, implantation, heating
 * ---------------------------------------------------------------------- */

/**
 * Projected range and straggle (nm): CSDA path length with ZBL universal
 * nuclear stopping and Lindhard-Scharff electronic stopping (Bragg
 * additivity for compounds), Rp = R / (1 + M2/(3 M1)), straggle
 * dRp = Rp * (2/3) sqrt(M1 M2) / (M1 + M2).  Accuracy +-20-30 % vs SRIM
 * at 10-30 keV, worse (overestimate up to ~2x) at 2 keV.  Errors:
 * FIB_EINVAL for energy <= 0 or a material without density.
 */
FIB_API FIB_NODISCARD fib_status fib_plan_range_nm(
    fib_plan_projectile ion, const fib_plan_material *m, double energy_keV,
    double *rp_nm, double *straggle_nm, fib_error *err);

/**
 * Damage (amorphous / structurally damaged) layer depth (nm):
 * c_mat * g_ion * Rp with c_mat = 0.72 (crystalline; Si 23 nm at 30 kV Ga)
 * or 1.03 (soft: ice / organics; cryo-ET Ga 60 nm) and g_ion = 1 (Ga),
 * 0.73 (Xe: Si 13-15 nm, cryo-ET 30-45 nm), 0.50 (Ar: IUCrJ 2023; also
 * used for O, N, He, Ne), Kr interpolated [U].
 */
FIB_API FIB_NODISCARD fib_status
fib_plan_damage_depth_nm(fib_plan_projectile ion, const fib_plan_material *m,
                         double energy_keV, double *depth_nm, fib_error *err);

/** Steady-state atomic fraction of implanted ions at the milled surface
 *  for full retention: c = 1 / (1 + Y) with Y the matrix yield (atoms of
 *  target per ion); 1 when Y <= 0.  Noble gases are partly released:
 *  callers may scale (documented upper bound). */
FIB_API double fib_plan_implanted_fraction(double yield);

/** Order-of-magnitude surface temperature rise (K) of a stationary
 *  Gaussian spot: dT = P / (2 sqrt(2 pi) kappa sigma), sigma = d/2.355,
 *  P = V I.  Over-states heating (energy is deposited over the range).
 *  Errors: FIB_EINVAL for non-positive inputs. */
FIB_API FIB_NODISCARD fib_status
fib_plan_beam_heating_K(double energy_keV, double current_nA, double probe_d_nm,
                        double kappa_W_mK, double *delta_T_K, fib_error *err);

/** Warning bits from fib_plan_check_warnings(). */
typedef enum fib_plan_warning {
    FIB_PLAN_WARN_LI_GA = 1u << 0,        /**< Ga on Li/Na at room temp */
    FIB_PLAN_WARN_DAMAGE_HALF = 1u << 1,  /**< damage > half the lamella */
    FIB_PLAN_WARN_HEATING = 1u << 2,      /**< estimated dT > 20 K on a
                                               thermally sensitive material */
    FIB_PLAN_WARN_DENSITY_EST = 1u << 3,  /**< density was estimated */
    FIB_PLAN_WARN_LIGHT_TARGET = 1u << 4, /**< ion mass > 3x the mean
                                               target mass: YT +-50 % */
    FIB_PLAN_WARN_SUBLIMATION = 1u << 5   /**< sublimating material at RT */
} fib_plan_warning;

/** Inputs for the warning check; zero = not applicable. */
typedef struct fib_plan_warning_params {
    fib_plan_ion ion;
    double energy_keV;
    bool cryo;
    double lamella_thickness_nm; /**< 0 = no lamella check */
    double current_nA;           /**< 0 = no heating check */
    double probe_d_nm;           /**< 0 = from the default column */
} fib_plan_warning_params;

/** Compute warning bits; a one-line text per set bit is appended to @p
 *  text (';'-separated) when non-NULL. */
FIB_API FIB_NODISCARD fib_status fib_plan_check_warnings(
    const fib_plan_material *m, const fib_plan_warning_params *p,
    unsigned *warnings, char *text, size_t text_size, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_PHYSICS_H */
