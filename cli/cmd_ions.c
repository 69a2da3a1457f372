/* cmd_ions.c -- `cryofib ions`: ion species and column presets. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "physics_cli.h"

static void ion_list(char *buf, size_t size, unsigned mask)
{
    buf[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                         fib_plan_ion_get((fib_plan_ion)i)->symbol);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
}

static void fmt_current(char *buf, size_t size, double pA)
{
    if (pA >= 1e6)
        snprintf(buf, size, "%g uA", pA / 1e6);
    else if (pA >= 1e3)
        snprintf(buf, size, "%g nA", pA / 1e3);
    else
        snprintf(buf, size, "%g pA", pA);
}

int cli_cmd_ions(int argc, char **argv)
{
    static const char *cmd = "ions";
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib ions [--json]\n\n"
               "List ion species (Z, mass, energy range) and instrument "
               "classes with their\ncurrent presets and probe-size fits "
               "d = d1 * (I / 1 nA)^n.\n");
        return CLI_EXIT_OK;
    }
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else
            return cli_usage_error(cmd, "unknown option '%s'",
                                   argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (json) {
        fib_fmt_json *j = NULL;
        fib_error err = {0};
        fib_status st = fib_fmt_json_create(2, &j, &err);
        if (st != FIB_OK)
            return cli_fail(cmd, st, &err);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_key(j, "ions");
        fib_fmt_json_begin_array(j);
        for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
            const fib_plan_ion_info *in = fib_plan_ion_get((fib_plan_ion)i);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "symbol", in->symbol);
            fib_fmt_json_kv_int(j, "z", in->z);
            fib_fmt_json_kv_number(j, "mass_u", in->mass_u);
            fib_fmt_json_kv_number(j, "energy_min_keV", in->energy_min_keV);
            fib_fmt_json_kv_number(j, "energy_max_keV", in->energy_max_keV);
            fib_fmt_json_kv_string(j, "source_kind", in->source_kind);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_key(j, "columns");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < fib_plan_column_count(); i++) {
            const fib_plan_column *col = fib_plan_column_get(i);
            char ions[64];
            ion_list(ions, sizeof ions, col->ion_mask);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "name", col->name);
            fib_fmt_json_kv_string(j, "description", col->description);
            fib_fmt_json_kv_string(j, "ions", ions);
            fib_fmt_json_kv_number(j, "energy_min_keV", col->energy_min_keV);
            fib_fmt_json_kv_number(j, "energy_max_keV", col->energy_max_keV);
            fib_fmt_json_kv_number(j, "current_min_pA", col->current_min_pA);
            fib_fmt_json_kv_number(j, "current_max_pA", col->current_max_pA);
            fib_fmt_json_key(j, "presets_pA");
            fib_fmt_json_begin_array(j);
            for (size_t k = 0; k < col->n_presets; k++)
                fib_fmt_json_number(j, col->presets_pA[k]);
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "probe_fits");
            fib_fmt_json_begin_array(j);
            for (size_t k = 0; k < col->n_probe_fits; k++) {
                fib_fmt_json_begin_object(j);
                fib_fmt_json_kv_number(j, "energy_keV",
                                       col->probe[k].energy_keV);
                fib_fmt_json_kv_number(j, "d1_nm", col->probe[k].d1_nm);
                fib_fmt_json_kv_number(j, "exponent", col->probe[k].exponent);
                fib_fmt_json_end_object(j);
            }
            fib_fmt_json_end_array(j);
            fib_fmt_json_kv_string(j, "source", col->source);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_key(j, "recipes");
        fib_fmt_json_begin_array(j);
        for (size_t i = 0; i < fib_plan_recipe_count(); i++) {
            const fib_plan_recipe *r = fib_plan_recipe_get(i);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_string(j, "name", r->name);
            fib_fmt_json_kv_number(j, "vpd_um3_per_nC", r->vpd_um3_per_nC);
            fib_fmt_json_kv_number(j, "vpd_pfib_um3_per_nC",
                                   r->vpd_pfib_um3_per_nC);
            fib_fmt_json_kv_string(j, "source", r->source);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        return cli_physics_json_print(cmd, j);
    }
    printf("ion species\n%-4s %4s %9s %12s  %s\n", "ion", "Z", "mass_u",
           "keV range", "source");
    for (int i = 0; i < FIB_PLAN_ION_COUNT_; i++) {
        const fib_plan_ion_info *in = fib_plan_ion_get((fib_plan_ion)i);
        printf("%-4s %4d %9.3f %5g-%-6g  %s\n", in->symbol, in->z, in->mass_u,
               in->energy_min_keV, in->energy_max_keV, in->source_kind);
    }
    printf("\ncolumns\n");
    for (size_t i = 0; i < fib_plan_column_count(); i++) {
        const fib_plan_column *col = fib_plan_column_get(i);
        char ions[64], lo[32], hi[32];
        ion_list(ions, sizeof ions, col->ion_mask);
        fmt_current(lo, sizeof lo, col->current_min_pA);
        fmt_current(hi, sizeof hi, col->current_max_pA);
        printf("%s [%s] %g-%g kV, %s - %s: %s\n", col->name, ions,
               col->energy_min_keV, col->energy_max_keV, lo, hi,
               col->description);
        printf("  presets:");
        for (size_t k = 0; k < col->n_presets; k++) {
            char cur[32];
            fmt_current(cur, sizeof cur, col->presets_pA[k]);
            printf("%s %s", k ? "," : "", cur);
        }
        printf("\n  probe d = d1 (I/1 nA)^n:");
        for (size_t k = 0; k < col->n_probe_fits; k++)
            printf("%s %g kV: %.4g nm ^%.3g", k ? "," : "",
                   col->probe[k].energy_keV, col->probe[k].d1_nm,
                   col->probe[k].exponent);
        printf("\n  source: %s\n", col->source);
    }
    printf("\nrecipes (commanded volume per dose, Ga LMIS / Xe PFIB)\n");
    for (size_t i = 0; i < fib_plan_recipe_count(); i++) {
        const fib_plan_recipe *r = fib_plan_recipe_get(i);
        char pf[32] = "-";
        if (r->vpd_pfib_um3_per_nC > 0)
            snprintf(pf, sizeof pf, "%.3g", r->vpd_pfib_um3_per_nC);
        printf("  %-13s %6.3g / %-5s um^3/nC  %s\n", r->name, r->vpd_um3_per_nC,
               pf, r->source);
    }
    return CLI_EXIT_OK;
}
