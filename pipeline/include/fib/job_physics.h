/*
 * fib/job_physics.h -- the ion-solid physics tables as jobs (fib/job.h):
 * `cryofib sputter` (yield, removal rate, range and damage for a material,
 * ions and energies, fib_plan_sputter()), `cryofib ions` (species, columns
 * and recipes) and `cryofib materials` (the materials database).
 *
 * Each job says its table as FIB_JOB_RESULT lines, one message per line
 * (no trailing newline), or, with json set, the whole JSON document as one
 * FIB_JOB_RESULT message (its final newline left to the receiver, as for a
 * line).  Nothing is written to files.
 */
#ifndef FIB_JOB_PHYSICS_H
#define FIB_JOB_PHYSICS_H

#include <stdbool.h>
#include <stddef.h>

#include "fib/common.h"
#include "fib/job.h"
#include "fib/physics.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most energies and ions of one sputter table. */
enum { FIB_JOB_SPUTTER_MAX_ENERGIES = 64, FIB_JOB_SPUTTER_MAX_IONS = 8 };

/** What fib_job_sputter() computes; zero-initialise, then set. */
typedef struct fib_job_sputter_params {
    const char *material;      /**< database name or chemical formula */
    const char *materials_cfg; /**< libconfig file adding/overriding
                                    materials (NULL: the built-ins) */
    double density_g_cm3;      /**< 0: the table's (or estimated); else in
                                    (0, 30) */
    bool density_given;        /**< density_g_cm3 was given (checked) */
    /** Energies, keV: one value "30", a list "2,5,8,16,30" or a range
     *  "START:STOP:STEP" (at most FIB_JOB_SPUTTER_MAX_ENERGIES); NULL =
     *  "30". */
    const char *energies_keV;
    /** Ion species: one "Ga" or, with compare, a list "Ga,Xe" compared
     *  side by side with ratios to the first; NULL = "Ga". */
    const char *ions;
    bool compare;
    double angle_deg; /**< incidence from the surface normal, [0, 90) */
    bool cryo;        /**< apply cryo factors (where data exist) */
    bool model_only;  /**< ignore measured rates */
    fib_plan_compound_model compound_model;
    double lamella_nm; /**< > 0: warn when the damage depth exceeds T/2 */
    double current_nA; /**< > 0: estimate beam heating at this current */
    bool json;         /**< the JSON document instead of the text table */
} fib_job_sputter_params;

/**
 * The sputter table of @p p (fib_plan_sputter() per ion and energy, the
 * warnings of fib_plan_check_warnings() per ion at the first energy):
 * the text of `cryofib sputter` or its JSON document (keys: material,
 * formula, density_g_cm3, density_origin, density_source, flags,
 * angle_deg, cryo, then ion, energy_keV and the result for one ion at one
 * energy without compare, else ions and rows (with ratio_to_first when
 * comparing), then warnings).
 * Errors: FIB_EINVAL naming the option and its limit ("--angle-deg must be
 * in [0, 90) (got 95)"), the materials file's errors (unreadable: EINVAL),
 * fib_plan_material_resolve()'s and fib_plan_sputter()'s, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_job_sputter(
    const fib_job_sputter_params *p, const fib_job_env *env, fib_error *err);

/** The ion species (Z, mass, energy range), instrument columns (current
 *  presets, probe-size fits d = d1 (I / 1 nA)^n) and milling recipes, as
 *  the text of `cryofib ions` or its JSON (ions, columns, recipes). */
FIB_API FIB_NODISCARD fib_status fib_job_ions(bool json, const fib_job_env *env,
                                              fib_error *err);

/**
 * The materials database (built-ins plus @p materials_cfg when not NULL):
 * with @p name NULL the list (name, formula, density, rates, flags), else
 * the one material or parsed formula @p name in detail (density, atoms,
 * binding, flags, cryo and measured rates with their sources), as the text
 * of `cryofib materials` or its JSON.  Errors: the materials file's
 * (unreadable: FIB_EINVAL), fib_plan_material_resolve()'s, FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_job_materials(const char *name,
                                                   const char *materials_cfg,
                                                   bool json,
                                                   const fib_job_env *env,
                                                   fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_JOB_PHYSICS_H */
