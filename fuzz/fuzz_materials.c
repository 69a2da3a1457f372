/*
 * fuzz_materials.c -- libFuzzer entry point: the input is a user
 * materials file (libconfig; examples/materials.cfg), loaded into a fresh
 * database with fib_fmt_materials_cfg_load (all entries or none); on
 * success every entry's model yield (Ga, 30 keV) and atom density are
 * computed from the values read.  Written to a private file first
 * (fuzz_util.h).
 */
#include "fuzz_util.h" /* first: it defines _GNU_SOURCE */

#include "fib/materials_cfg.h"
#include "fib/physics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[384];
    fuzz_write("materials.cfg", data, size, path);
    fib_error err = {0};
    fib_plan_materials *db = NULL;
    if (fib_plan_materials_create(&db, &err) != FIB_OK)
        abort();
    if (fib_fmt_materials_cfg_load(db, path, &err) == FIB_OK) {
        const fib_plan_projectile ga = fib_plan_projectile_of(FIB_PLAN_ION_GA);
        const size_t n = fib_plan_materials_count(db);
        for (size_t i = 0; i < n; i++) {
            const fib_plan_material *m = fib_plan_materials_get(db, i);
            double y = 0.0;
            (void)fib_plan_material_yield(
                ga, m, 30.0, FIB_PLAN_COMPOUND_AVERAGE_ATOM, &y, &err);
            (void)fib_plan_material_atom_density_cm3(m);
        }
    }
    fib_plan_materials_destroy(db);
    return 0;
}
