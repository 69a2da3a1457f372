/*
 * physics_cli.h -- helpers shared by the physics subcommands (sputter,
 * materials, ions); private to cli/.
 */
#ifndef FIB_PHYSICS_CLI_H
#define FIB_PHYSICS_CLI_H

#include "fib/physics.h"
#include "fib/report.h"

/* Create the materials database and load @p cfg_path (may be NULL).
 * Returns 0 on success, else prints a one-line error and returns the exit
 * code. */
int cli_physics_load_db(const char *cmd, const char *cfg_path,
                        fib_plan_materials **db);

/* Write one material as a JSON object (full record). */
void cli_physics_json_material(fib_fmt_json *j, const fib_plan_material *m);

/* Print a JSON document to stdout and destroy it; returns the exit code. */
int cli_physics_json_print(const char *cmd, fib_fmt_json *j);

#endif
