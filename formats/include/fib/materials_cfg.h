/*
 * fib/materials_cfg.h -- read user materials from a libconfig file into a
 * planner materials database (added, or overriding built-ins by name).
 *
 * File format (libconfig syntax; every field but `name` optional when the
 * name matches an existing material, whose values are the defaults):
 *
 *   materials = (
 *     { name = "NMC622"; formula = "LiNi0.6Mn0.2Co0.2O2";
 *       density_g_cm3 = 4.7; density_source = "pycnometer, our lab";
 *       aliases = ["NCM622"]; description = "layered oxide";
 *       binding_eV = 4.6; binding_source = "...";
 *       flags = ["moisture", "e-beam", "ion-beam"];
 *       kappa_W_mK = 4.0; soft = false; redep_k = 0.4;
 *       cryo_yield_factor = 1.0; cryo_source = "...";
 *       rates = ( { ion = "Ga"; energy_keV = 30.0; um3_per_nC = 0.31;
 *                   angle_deg = 0.0; cryo = false; source = "our Helios" } );
 *     }
 *   );
 *
 * User rates are placed before any built-in rates (so they are preferred).
 * A new material needs `formula` and `density_g_cm3`.  Numbers may be
 * written as integers or floats.
 */
#ifndef FIB_MATERIALS_CFG_H
#define FIB_MATERIALS_CFG_H

#include "fib/common.h"
#include "fib/physics.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Load @p path into @p db.  Either every entry is applied or none (the
 * database is left unchanged on error).  Errors: FIB_EIO (cannot read),
 * FIB_EFORMAT (syntax; names file and line), FIB_EINVAL (bad field; names
 * file, line, entry and field), FIB_ENOMEM.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_materials_cfg_load(
    fib_plan_materials *db, const char *path, fib_error *err);

/** The same from text in memory (@p label names it in messages). */
FIB_API FIB_NODISCARD fib_status
fib_fmt_materials_cfg_parse(fib_plan_materials *db, const char *text,
                            const char *label, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_MATERIALS_CFG_H */
