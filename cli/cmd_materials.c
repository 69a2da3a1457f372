/* cmd_materials.c -- `cryofib materials`: list the materials database. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/materials_cfg.h"
#include "physics_cli.h"

int cli_physics_load_db(const char *cmd, const char *cfg_path,
                        fib_plan_materials **db)
{
    fib_error err = {0};
    fib_status st = fib_plan_materials_create(db, &err);
    if (st != FIB_OK)
        return cli_fail(cmd, st, &err);
    if (cfg_path) {
        st = fib_fmt_materials_cfg_load(*db, cfg_path, &err);
        if (st != FIB_OK) {
            fib_plan_materials_destroy(*db);
            *db = NULL;
            /* a missing/unreadable file is bad input of this command */
            return cli_fail(cmd, st == FIB_EIO ? FIB_EINVAL : st, &err);
        }
    }
    return 0;
}

int cli_physics_json_print(const char *cmd, fib_fmt_json *j)
{
    const char *text = NULL;
    fib_error err = {0};
    fib_status st = fib_fmt_json_text(j, &text, &err);
    if (st == FIB_OK)
        fputs(text, stdout);
    fib_fmt_json_destroy(j);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err);
}

static const char *density_src_name(fib_plan_density_src s)
{
    switch (s) {
    case FIB_PLAN_DENSITY_USER:
        return "user";
    case FIB_PLAN_DENSITY_ESTIMATED:
        return "estimated";
    default:
        return "table";
    }
}

void cli_physics_json_material(fib_fmt_json *j, const fib_plan_material *m)
{
    char flags[256];
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "name", m->name);
    fib_fmt_json_key(j, "aliases");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < FIB_PLAN_MAX_ALIASES; k++)
        if (m->aliases[k][0])
            fib_fmt_json_string(j, m->aliases[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_string(j, "formula", m->formula);
    fib_fmt_json_kv_string(j, "description", m->description);
    fib_fmt_json_key(j, "composition");
    fib_fmt_json_begin_object(j);
    for (size_t i = 0; i < m->n_components; i++) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
        fib_fmt_json_kv_number(j, el ? el->symbol : "?", m->comp[i].count);
    }
    fib_fmt_json_end_object(j);
    fib_fmt_json_kv_number(j, "density_g_cm3", m->density_g_cm3);
    fib_fmt_json_kv_string(j, "density_origin",
                           density_src_name(m->density_src));
    fib_fmt_json_kv_string(j, "density_source", m->density_source);
    fib_fmt_json_kv_number(j, "atom_density_cm3",
                           fib_plan_material_atom_density_cm3(m));
    fib_fmt_json_kv_number(j, "binding_eV", m->binding_eV);
    fib_fmt_json_kv_string(j, "binding_source", m->binding_source);
    fib_fmt_json_kv_string(
        j, "flags", fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    fib_fmt_json_kv_number(j, "kappa_W_mK", m->kappa_W_mK);
    fib_fmt_json_kv_bool(j, "soft", m->soft);
    fib_fmt_json_kv_number(j, "cryo_yield_factor", m->cryo_yield_factor);
    fib_fmt_json_kv_string(j, "cryo_source", m->cryo_source);
    fib_fmt_json_key(j, "rates");
    fib_fmt_json_begin_array(j);
    for (size_t i = 0; i < m->n_rates; i++) {
        const fib_plan_rate *r = &m->rates[i];
        const fib_plan_ion_info *ion = fib_plan_ion_get(r->ion);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "ion", ion ? ion->symbol : "?");
        fib_fmt_json_kv_number(j, "energy_keV", r->energy_keV);
        fib_fmt_json_kv_number(j, "angle_deg", r->angle_deg);
        fib_fmt_json_kv_number(j, "um3_per_nC", r->um3_per_nC);
        fib_fmt_json_kv_bool(j, "cryo", r->cryo);
        fib_fmt_json_kv_string(j, "source", r->source);
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

static void print_one(const fib_plan_material *m)
{
    char flags[256];
    printf("%s (%s): %s\n", m->name, m->formula, m->description);
    printf("  density      %.4g g/cm^3 [%s: %s]\n", m->density_g_cm3,
           density_src_name(m->density_src), m->density_source);
    printf("  atoms        %.4g /cm^3\n",
           fib_plan_material_atom_density_cm3(m));
    if (m->binding_eV > 0.0)
        printf("  binding      %.3g eV/atom [%s]\n", m->binding_eV,
               m->binding_source);
    else
        printf("  binding      elemental U_s [%s]\n", m->binding_source);
    printf("  flags        %s\n",
           fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    if (m->cryo_source[0])
        printf("  cryo         %s\n", m->cryo_source);
    for (size_t i = 0; i < m->n_rates; i++) {
        const fib_plan_ion_info *ion = fib_plan_ion_get(m->rates[i].ion);
        printf("  rate         %.3g um^3/nC, %s %g keV%s [%s]\n",
               m->rates[i].um3_per_nC, ion ? ion->symbol : "?",
               m->rates[i].energy_keV, m->rates[i].cryo ? " cryo" : "",
               m->rates[i].source);
    }
}

int cli_cmd_materials(int argc, char **argv)
{
    static const char *cmd = "materials";
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib materials [NAME|FORMULA] [--json] "
               "[--materials FILE.cfg]\n\n"
               "List the materials database (built-ins plus a user libconfig "
               "file), or show one\nmaterial or parsed formula in detail.\n\n"
               "  --json             machine-readable output\n"
               "  --materials FILE   add/override materials from a libconfig "
               "file\n");
        return CLI_EXIT_OK;
    }
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"materials", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0}};
    bool json = false;
    const char *cfg = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'm':
            cfg = optarg;
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(cmd, "at most one material name expected");
    fib_plan_materials *db = NULL;
    int rc = cli_physics_load_db(cmd, cfg, &db);
    if (rc)
        return rc;
    if (optind < argc) {
        fib_plan_material m;
        fib_error err = {0};
        fib_status st =
            fib_plan_material_resolve(db, argv[optind], 0.0, &m, &err);
        fib_plan_materials_destroy(db);
        if (st != FIB_OK)
            return cli_fail(cmd, st, &err);
        if (!json) {
            print_one(&m);
            return CLI_EXIT_OK;
        }
        fib_fmt_json *j = NULL;
        if ((st = fib_fmt_json_create(2, &j, &err)) != FIB_OK)
            return cli_fail(cmd, st, &err);
        cli_physics_json_material(j, &m);
        return cli_physics_json_print(cmd, j);
    }
    size_t n = fib_plan_materials_count(db);
    if (json) {
        fib_fmt_json *j = NULL;
        fib_error err = {0};
        fib_status st = fib_fmt_json_create(2, &j, &err);
        if (st != FIB_OK) {
            fib_plan_materials_destroy(db);
            return cli_fail(cmd, st, &err);
        }
        fib_fmt_json_begin_object(j);
        fib_fmt_json_key(j, "materials");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < n; i++)
            cli_physics_json_material(j, fib_plan_materials_get(db, i));
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        fib_plan_materials_destroy(db);
        return cli_physics_json_print(cmd, j);
    }
    printf("%-12s %-28s %8s %6s  %s\n", "name", "formula", "g/cm^3", "rates",
           "flags");
    for (size_t i = 0; i < n; i++) {
        const fib_plan_material *m = fib_plan_materials_get(db, i);
        char flags[256];
        printf("%-12s %-28s %8.4g %6zu  %s\n", m->name, m->formula,
               m->density_g_cm3, m->n_rates,
               fib_plan_sens_string(m->sens_flags, flags, sizeof flags));
    }
    printf("\n%zu materials; 'cryofib materials NAME' shows sources and "
           "measured rates\n",
           n);
    fib_plan_materials_destroy(db);
    return CLI_EXIT_OK;
}
