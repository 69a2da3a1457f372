/*
 * physics_internal.h -- private helpers shared by the planner physics
 * files (not part of the public API).
 */
#ifndef FIB_PHYSICS_INTERNAL_H
#define FIB_PHYSICS_INTERNAL_H

#include <stddef.h>

#include "fib/physics.h"

#define FIB__PI 3.14159265358979323846
/* 1 eV in kJ/mol. */
#define FIB__EV_KJMOL 96.485332

/* Case-insensitive ASCII string equality. */
bool fib__str_ieq(const char *a, const char *b);
/* Bounded copy that always NUL-terminates (truncates). */
void fib__str_copy(char *dst, size_t size, const char *src);

/* snprintf into @p dst that truncates silently (result texts). */
void fib__str_fmt(char *dst, size_t size, const char *fmt, ...)
    FIB_PRINTF(3, 4);

/* Fill the built-in materials into a caller array; returns the count
 * written (at most @p cap). */
size_t fib__builtin_materials(fib_plan_material *out, size_t cap);
/* Number of built-in materials. */
size_t fib__builtin_material_count(void);

/* Average-atom YT target of a material and the source of its binding
 * energy ("table", "atomisation enthalpy", "estimated"). */
fib_plan_yt_target fib__material_yt_target(const fib_plan_material *m,
                                           const char **binding_note);

/* Damage-depth calibration (range.c): depth = c * g_ion * Rp. */
double fib__damage_c(const fib_plan_material *m);
double fib__damage_g(fib_plan_projectile ion);
#endif
