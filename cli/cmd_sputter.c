/* cmd_sputter.c -- `cryofib sputter`: yield, removal rate, range and damage
 * for an ion/material/energy, energy sweeps and ion comparisons. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "physics_cli.h"

enum { MAX_E = 64, MAX_IONS = 8 };

static const char *cmd = "sputter";

static void usage(void)
{
    printf(
        "usage: cryofib sputter --material NAME|FORMULA [--ion Ga] "
        "[--energy-kev 30]\n"
        "                       [--angle-deg 0] [--compare Ga,Xe] [--json]\n"
        "                       [--density-g-cm3 X] [--materials FILE.cfg] "
        "[--cryo]\n"
        "                       [--model-only] [--compound-model "
        "average|partial]\n"
        "                       [--lamella-nm T] [--current-na I]\n\n"
        "Sputter yield (atoms/ion), removal rate (um^3/nC), projected range "
        "and damage\ndepth (nm) with the source of each number: a measured "
        "rate where the database has\none, else the Yamamura-Tawara model.\n\n"
        "  --energy-kev LIST  one energy, a list '2,5,8,16,30' or a range "
        "'START:STOP:STEP'\n"
        "  --angle-deg A      incidence from the surface normal, 0 <= A < 90\n"
        "  --compare IONS     comma-separated species side by side with "
        "ratios to the first\n"
        "  --cryo             apply cryo factors (where data exist)\n"
        "  --model-only       ignore measured rates\n"
        "  --lamella-nm T     warn when the damage depth exceeds T/2\n"
        "  --current-na I     estimate beam heating at this current\n"
        "Energies below the sputter threshold give zero yield.  Exit 2 on bad "
        "input.\n");
}

static int parse_energies(const char *text, double *e, size_t *n)
{
    *n = 0;
    const char *colon = strchr(text, ':');
    if (colon) {
        double a, b, s;
        char extra;
        if (sscanf(text, "%lf:%lf:%lf%c", &a, &b, &s, &extra) != 3)
            return cli_usage_error(cmd,
                                   "--energy-kev range must be START:STOP:STEP"
                                   " (got '%s')",
                                   text);
        if (!(a > 0.0) || !(b >= a) || !(s > 0.0) || !isfinite(b))
            return cli_usage_error(cmd,
                                   "--energy-kev range needs 0 < START <= "
                                   "STOP and STEP > 0 (got '%s')",
                                   text);
        for (double v = a; v <= b + 1e-9 * b; v += s) {
            if (*n >= MAX_E)
                return cli_usage_error(cmd,
                                       "--energy-kev gives more than %d "
                                       "energies",
                                       MAX_E);
            e[(*n)++] = v;
        }
        return 0;
    }
    char buf[512];
    if (strlen(text) >= sizeof buf)
        return cli_usage_error(cmd, "--energy-kev list too long");
    memcpy(buf, text, strlen(text) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (!cli_parse_double(cmd, "--energy-kev", tok, &v))
            return CLI_EXIT_USAGE;
        if (!(v > 0.0))
            return cli_usage_error(cmd, "--energy-kev must be > 0 (got %g)", v);
        if (*n >= MAX_E)
            return cli_usage_error(cmd, "--energy-kev: more than %d energies",
                                   MAX_E);
        e[(*n)++] = v;
    }
    if (*n == 0)
        return cli_usage_error(cmd, "--energy-kev needs a value");
    return 0;
}

static int parse_ions(const char *text, fib_plan_ion *ions, size_t *n)
{
    char buf[256];
    *n = 0;
    if (strlen(text) >= sizeof buf)
        return cli_usage_error(cmd, "--compare list too long");
    memcpy(buf, text, strlen(text) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        fib_error err = {0};
        if (*n >= MAX_IONS)
            return cli_usage_error(cmd, "--compare: at most %d ions", MAX_IONS);
        fib_status st = fib_plan_ion_parse(tok, &ions[*n], &err);
        if (st != FIB_OK)
            return cli_fail(cmd, st, &err);
        (*n)++;
    }
    if (*n == 0)
        return cli_usage_error(cmd, "--compare needs ion names");
    return 0;
}

static const char *origin_name(fib_plan_origin o)
{
    switch (o) {
    case FIB_PLAN_ORIGIN_MEASURED:
        return "measured";
    case FIB_PLAN_ORIGIN_SCALED:
        return "scaled-measured";
    default:
        return "model";
    }
}

static void json_result(fib_fmt_json *j, const fib_plan_sputter_result *r)
{
    fib_fmt_json_kv_number(j, "yield_atoms_per_ion", r->yield_atoms_per_ion);
    fib_fmt_json_kv_number(j, "removal_um3_per_nC", r->removal_um3_per_nC);
    fib_fmt_json_kv_number(j, "projected_range_nm", r->projected_range_nm);
    fib_fmt_json_kv_number(j, "range_straggle_nm", r->range_straggle_nm);
    fib_fmt_json_kv_number(j, "damage_depth_nm", r->damage_depth_nm);
    fib_fmt_json_kv_number(j, "implanted_fraction", r->implanted_fraction);
    fib_fmt_json_kv_number(j, "yield_model_normal", r->yield_normal_model);
    fib_fmt_json_kv_number(j, "angle_factor", r->angle_factor);
    fib_fmt_json_kv_number(j, "cryo_factor", r->cryo_factor);
    fib_fmt_json_kv_number(j, "model_removal_um3_per_nC",
                           r->model_removal_um3_per_nC);
    fib_fmt_json_kv_number(j, "threshold_eV", r->threshold_eV);
    fib_fmt_json_kv_string(j, "removal_origin", origin_name(r->removal_origin));
    fib_fmt_json_key(j, "source");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "yield", r->yield_source);
    fib_fmt_json_kv_string(j, "removal", r->removal_source);
    fib_fmt_json_kv_string(j, "range", r->range_source);
    fib_fmt_json_kv_string(j, "damage", r->damage_source);
    fib_fmt_json_kv_string(j, "cryo", r->cryo_source);
    fib_fmt_json_kv_string(j, "implanted_fraction",
                           "model: 1/(1+Y), steady state, full retention");
    fib_fmt_json_end_object(j);
}

static double ratio(double a, double b)
{
    return b > 0.0 ? a / b : (double)NAN;
}

int cli_cmd_sputter(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    static const struct option opts[] = {
        {"ion", required_argument, NULL, 'i'},
        {"energy-kev", required_argument, NULL, 'e'},
        {"material", required_argument, NULL, 'm'},
        {"angle-deg", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"density-g-cm3", required_argument, NULL, 'd'},
        {"materials", required_argument, NULL, 'f'},
        {"compare", required_argument, NULL, 'c'},
        {"cryo", no_argument, NULL, 'C'},
        {"model-only", no_argument, NULL, 'M'},
        {"compound-model", required_argument, NULL, 'k'},
        {"lamella-nm", required_argument, NULL, 'l'},
        {"current-na", required_argument, NULL, 'I'},
        {NULL, 0, NULL, 0}};
    const char *material = NULL, *cfg = NULL;
    const char *ion_text = "Ga", *energy_text = "30", *compare = NULL;
    double angle = 0.0, density = 0.0, lamella = 0.0, current = 0.0;
    bool json = false, density_given = false;
    fib_plan_sputter_params sp;
    memset(&sp, 0, sizeof sp);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            ion_text = optarg;
            break;
        case 'e':
            energy_text = optarg;
            break;
        case 'm':
            material = optarg;
            break;
        case 'a':
            if (!cli_parse_double(cmd, "--angle-deg", optarg, &angle))
                return CLI_EXIT_USAGE;
            break;
        case 'j':
            json = true;
            break;
        case 'd':
            if (!cli_parse_double(cmd, "--density-g-cm3", optarg, &density))
                return CLI_EXIT_USAGE;
            density_given = true;
            break;
        case 'f':
            cfg = optarg;
            break;
        case 'c':
            compare = optarg;
            break;
        case 'C':
            sp.cryo = true;
            break;
        case 'M':
            sp.model_only = true;
            break;
        case 'k':
            if (!strcmp(optarg, "average"))
                sp.compound_model = FIB_PLAN_COMPOUND_AVERAGE_ATOM;
            else if (!strcmp(optarg, "partial"))
                sp.compound_model = FIB_PLAN_COMPOUND_PARTIAL;
            else
                return cli_usage_error(cmd,
                                       "--compound-model must be average or "
                                       "partial (got '%s')",
                                       optarg);
            break;
        case 'l':
            if (!cli_parse_double(cmd, "--lamella-nm", optarg, &lamella))
                return CLI_EXIT_USAGE;
            if (!(lamella > 0.0))
                return cli_usage_error(cmd,
                                       "--lamella-nm must be > 0 (got "
                                       "%g)",
                                       lamella);
            break;
        case 'I':
            if (!cli_parse_double(cmd, "--current-na", optarg, &current))
                return CLI_EXIT_USAGE;
            if (!(current > 0.0))
                return cli_usage_error(cmd,
                                       "--current-na must be > 0 (got "
                                       "%g)",
                                       current);
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!material)
        return cli_usage_error(cmd, "--material is required");
    if (!(angle >= 0.0) || !(angle < 90.0))
        return cli_usage_error(cmd, "--angle-deg must be in [0, 90) (got %g)",
                               angle);
    if (density_given && !(density > 0.0 && density < 30.0))
        return cli_usage_error(
            cmd, "--density-g-cm3 must be in (0, 30) (got %g)", density);
    double energies[MAX_E];
    size_t n_e = 0;
    int rc = parse_energies(energy_text, energies, &n_e);
    if (rc)
        return rc;
    fib_plan_ion ions[MAX_IONS];
    size_t n_ions = 0;
    rc = parse_ions(compare ? compare : ion_text, ions, &n_ions);
    if (rc)
        return rc;

    fib_plan_materials *db = NULL;
    if ((rc = cli_physics_load_db(cmd, cfg, &db)) != 0)
        return rc;
    fib_error err = {0};
    fib_plan_material m;
    fib_status st = fib_plan_material_resolve(db, material, density, &m, &err);
    fib_plan_materials_destroy(db);
    if (st != FIB_OK)
        return cli_fail(cmd, st, &err);

    fib_plan_sputter_result *res =
        calloc(n_e * n_ions, sizeof *res); /* small: <= 512 entries */
    if (!res)
        return cli_fail(cmd, FIB_ENOMEM, NULL);
    for (size_t ie = 0; ie < n_e; ie++)
        for (size_t ii = 0; ii < n_ions; ii++) {
            sp.ion = ions[ii];
            sp.energy_keV = energies[ie];
            sp.angle_deg = angle;
            st = fib_plan_sputter(&m, &sp, &res[ie * n_ions + ii], &err);
            if (st != FIB_OK) {
                free(res);
                return cli_fail(cmd, st, &err);
            }
        }
    /* warnings for each ion at the first energy */
    char warn[MAX_IONS][1024];
    for (size_t ii = 0; ii < n_ions; ii++) {
        fib_plan_warning_params wp;
        memset(&wp, 0, sizeof wp);
        wp.ion = ions[ii];
        wp.energy_keV = energies[0];
        wp.cryo = sp.cryo;
        wp.lamella_thickness_nm = lamella;
        wp.current_nA = current;
        unsigned bits = 0;
        warn[ii][0] = '\0';
        if ((st = fib_plan_check_warnings(&m, &wp, &bits, warn[ii],
                                          sizeof warn[ii], &err)) != FIB_OK) {
            free(res);
            return cli_fail(cmd, st, &err);
        }
    }
    char flags[256];
    fib_plan_sens_string(m.sens_flags, flags, sizeof flags);
    const char *dsrc = m.density_src == FIB_PLAN_DENSITY_USER ? "user"
                       : m.density_src == FIB_PLAN_DENSITY_ESTIMATED
                           ? "estimated"
                           : "table";

    if (json) {
        fib_fmt_json *j = NULL;
        if ((st = fib_fmt_json_create(2, &j, &err)) != FIB_OK) {
            free(res);
            return cli_fail(cmd, st, &err);
        }
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "material", m.name);
        fib_fmt_json_kv_string(j, "formula", m.formula);
        fib_fmt_json_kv_number(j, "density_g_cm3", m.density_g_cm3);
        fib_fmt_json_kv_string(j, "density_origin", dsrc);
        fib_fmt_json_kv_string(j, "density_source", m.density_source);
        fib_fmt_json_kv_string(j, "flags", flags);
        fib_fmt_json_kv_number(j, "angle_deg", angle);
        fib_fmt_json_kv_bool(j, "cryo", sp.cryo);
        bool single = n_e == 1 && n_ions == 1 && !compare;
        if (single) {
            fib_fmt_json_kv_string(j, "ion", fib_plan_ion_get(ions[0])->symbol);
            fib_fmt_json_kv_number(j, "energy_keV", energies[0]);
            json_result(j, &res[0]);
        } else {
            fib_fmt_json_key(j, "ions");
            fib_fmt_json_begin_array(j);
            for (size_t ii = 0; ii < n_ions; ii++)
                fib_fmt_json_string(j, fib_plan_ion_get(ions[ii])->symbol);
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "rows");
            fib_fmt_json_begin_array(j);
            for (size_t ie = 0; ie < n_e; ie++)
                for (size_t ii = 0; ii < n_ions; ii++) {
                    const fib_plan_sputter_result *r = &res[ie * n_ions + ii];
                    const fib_plan_sputter_result *r0 = &res[ie * n_ions];
                    fib_fmt_json_begin_object(j);
                    fib_fmt_json_kv_string(j, "ion",
                                           fib_plan_ion_get(ions[ii])->symbol);
                    fib_fmt_json_kv_number(j, "energy_keV", energies[ie]);
                    json_result(j, r);
                    if (n_ions > 1) {
                        fib_fmt_json_key(j, "ratio_to_first");
                        fib_fmt_json_begin_object(j);
                        fib_fmt_json_kv_number(j, "yield",
                                               ratio(r->yield_atoms_per_ion,
                                                     r0->yield_atoms_per_ion));
                        fib_fmt_json_kv_number(j, "removal",
                                               ratio(r->removal_um3_per_nC,
                                                     r0->removal_um3_per_nC));
                        fib_fmt_json_kv_number(j, "range",
                                               ratio(r->projected_range_nm,
                                                     r0->projected_range_nm));
                        fib_fmt_json_kv_number(
                            j, "damage",
                            ratio(r->damage_depth_nm, r0->damage_depth_nm));
                        fib_fmt_json_end_object(j);
                    }
                    fib_fmt_json_end_object(j);
                }
            fib_fmt_json_end_array(j);
        }
        fib_fmt_json_key(j, "warnings");
        fib_fmt_json_begin_array(j);
        for (size_t ii = 0; ii < n_ions; ii++)
            if (warn[ii][0])
                fib_fmt_json_string(j, warn[ii]);
        fib_fmt_json_end_array(j);
        fib_fmt_json_end_object(j);
        free(res);
        return cli_physics_json_print(cmd, j);
    }

    printf("%s (%s), %.4g g/cm^3 [%s: %s], angle %g deg%s\n", m.name, m.formula,
           m.density_g_cm3, dsrc, m.density_source, angle,
           sp.cryo ? ", cryo" : "");
    if (flags[0])
        printf("sensitivity: %s\n", flags);
    if (n_e == 1 && n_ions == 1) {
        const fib_plan_sputter_result *r = &res[0];
        printf("ion %s+ at %g keV (threshold %.3g eV)\n",
               fib_plan_ion_get(ions[0])->symbol, energies[0], r->threshold_eV);
        printf("  yield               %8.4g atoms/ion   [%s]\n",
               r->yield_atoms_per_ion, r->yield_source);
        printf("  removal rate        %8.4g um^3/nC     [%s]\n",
               r->removal_um3_per_nC, r->removal_source);
        if (r->removal_origin != FIB_PLAN_ORIGIN_MODEL)
            printf("  model rate          %8.4g um^3/nC     [model at the "
                   "same angle, for comparison]\n",
                   r->model_removal_um3_per_nC);
        printf("  projected range     %8.4g nm (straggle %.3g nm) [%s]\n",
               r->projected_range_nm, r->range_straggle_nm, r->range_source);
        printf("  damage depth        %8.4g nm          [%s]\n",
               r->damage_depth_nm, r->damage_source);
        printf("  implanted fraction  %8.3g             [model: 1/(1+Y), "
               "steady state, full retention]\n",
               r->implanted_fraction);
        if (sp.cryo)
            printf("  cryo                %s\n", r->cryo_source);
    } else {
        printf("%8s", "E/keV");
        for (size_t ii = 0; ii < n_ions; ii++) {
            const char *s = fib_plan_ion_get(ions[ii])->symbol;
            printf(" | %2s: %7s %8s %7s %7s %-8s", s, "Y", "um3/nC", "Rp/nm",
                   "dmg/nm", "origin");
        }
        if (n_ions > 1)
            printf(" | ratios to %s: Y, um3/nC, Rp, dmg",
                   fib_plan_ion_get(ions[0])->symbol);
        printf("\n");
        for (size_t ie = 0; ie < n_e; ie++) {
            printf("%8g", energies[ie]);
            for (size_t ii = 0; ii < n_ions; ii++) {
                const fib_plan_sputter_result *r = &res[ie * n_ions + ii];
                printf(" |     %7.3g %8.3g %7.3g %7.3g %-8.8s",
                       r->yield_atoms_per_ion, r->removal_um3_per_nC,
                       r->projected_range_nm, r->damage_depth_nm,
                       origin_name(r->removal_origin));
            }
            const fib_plan_sputter_result *r0 = &res[ie * n_ions];
            for (size_t ii = 1; ii < n_ions; ii++) {
                const fib_plan_sputter_result *r = &res[ie * n_ions + ii];
                printf(" | %s %.3g %.3g %.3g %.3g",
                       fib_plan_ion_get(ions[ii])->symbol,
                       ratio(r->yield_atoms_per_ion, r0->yield_atoms_per_ion),
                       ratio(r->removal_um3_per_nC, r0->removal_um3_per_nC),
                       ratio(r->projected_range_nm, r0->projected_range_nm),
                       ratio(r->damage_depth_nm, r0->damage_depth_nm));
            }
            printf("\n");
        }
        printf("sources: removal per row as 'origin'; model = "
               "Yamamura-Tawara 1996; range ZBL+LSS (+-30 %%); damage "
               "calibrated c x Rp\n");
    }
    for (size_t ii = 0; ii < n_ions; ii++)
        if (warn[ii][0])
            printf("warning (%s): %s\n", fib_plan_ion_get(ions[ii])->symbol,
                   warn[ii]);
    free(res);
    return CLI_EXIT_OK;
}
