/* cmd_measure.c -- `cryofib measure LABELS --json REPORT.json`: volume
 * fractions, surfaces, objects, local thickness, tortuosity, skeleton,
 * deposit height and coating of a label volume.  Option parsing, the
 * input/output identity checks and the output transaction; the work is
 * fib_job_measure() (fib/job_measure.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/job_measure.h"

/* option rows: a value parsed by parse_opt(), a path, a flag */
#define R CLI_VAL
#define S CLI_STR
#define F CLI_FLAG
/* print the one-line error and return 2 */
#define BAD(...) return cli_usage_error("measure", __VA_ARGS__)

/* the usage text is the job's: fib_job_measure_usage() */

/* Parse option @p c (value @p arg) into @p ctx (the job's parameters);
 * 0 or the exit status. */
static int parse_opt(void *ctx, int c, const char *arg)
{
    static const char *const faces[6] = {"x0", "x1", "y0", "y1", "z0", "z1"};
    fib_job_measure_params *p = ctx;
    double d, *v = p->voxel_nm, *w = p->view;
    switch (c) {
    case 'p':
        if (!cli_parse_double("measure", "--phase", arg, &d))
            return CLI_EXIT_USAGE;
        if (d < 0 || d > 4294967295.0 || d != floor(d))
            BAD("--phase must be a label value >= 0 (got %s)", arg);
        if (p->n_phases == FIB_JOB_MEASURE_MAX_PHASES)
            BAD("at most %d --phase values", FIB_JOB_MEASURE_MAX_PHASES);
        p->phases[p->n_phases++] = (uint32_t)d;
        return 0;
    case 't':
        for (const char *q = arg; strcmp(arg, "all") && *q; q++)
            if (*q != ',' && (*q < 'x' || *q > 'z'))
                BAD("--tortuosity must be x, y, z or all (got %s)", arg);
        for (int a = 0; a < 3; a++)
            p->tortuosity_axes[a] |=
                !strcmp(arg, "all") || strchr(arg, 'x' + a);
        return 0;
    case 'v':
        if (sscanf(arg, "%lf,%lf,%lf", &v[0], &v[1], &v[2]) != 3 ||
            !cli_length_nm_ok(v[0]) || !cli_length_nm_ok(v[1]) ||
            !cli_length_nm_ok(v[2]))
            BAD("--voxel-nm needs X,Y,Z sizes > 0, in 0.01..1e6 nm (got %s)",
                arg);
        return 0;
    case 'U':
        for (int u = 0; u < 3; u++)
            if (!strcmp(arg, (const char *[]){"auto", "physical", "voxel"}[u]))
                return (p->units = (fib_job_measure_units)u), 0;
        BAD("--units must be auto, physical or voxel (got %s)", arg);
    case 's':
        for (int f = 0; f < 6; f++)
            if (!strcmp(arg, faces[f]))
                return (p->substrate_face = f), 0;
        BAD("--substrate must be x0, x1, y0, y1, z0 or z1 (got %s)", arg);
    case 'C': {
        double *k3[3] = {&p->coating_particle, &p->coating_label,
                         &p->coating_min_nm};
        const int k = sscanf(arg, "%lf,%lf,%lf", k3[0], k3[1], k3[2]);
        if (k < 2 || *k3[0] < 0 || *k3[1] < 0 || *k3[0] == *k3[1] ||
            (k == 3 && !(*k3[2] >= 0)))
            BAD("--coating needs P,C[,TMIN_NM] with two different labels "
                "(got %s)",
                arg);
        if (k == 2)
            *k3[2] = -1;
        p->coating = true;
        return 0;
    }
    case 'n':
        if (!cli_parse_double("measure", "--connectivity", arg, &d))
            return CLI_EXIT_USAGE;
        if (d != 6 && d != 18 && d != 26)
            BAD("--connectivity must be 6, 18 or 26 (got %s)", arg);
        p->connectivity = (int)d;
        return 0;
    case 'S': /* --smooth, --tol ranges: fib_job_measure_check() */
        return cli_parse_double("measure", "--smooth", arg, &p->smooth_vox)
                   ? 0
                   : CLI_EXIT_USAGE;
    case 'B': {
        unsigned long t[3];
        char tail;
        if (sscanf(arg, "%lu,%lu,%lu%c", &t[0], &t[1], &t[2], &tail) != 3 ||
            t[0] > UINT32_MAX || t[1] > UINT32_MAX || t[2] > UINT32_MAX ||
            t[0] == t[1] || t[0] == t[2] || t[1] == t[2])
            BAD("--tpb expects three distinct labels A,B,C (got '%s')", arg);
        for (int k = 0; k < 3; k++)
            p->tpb_labels[k] = (uint32_t)t[k];
        p->tpb = true;
        return 0;
    }
    case 'W':
        if (!cli_parse_double("measure", "--two-point", arg, &d))
            return CLI_EXIT_USAGE;
        if (d < 1 || d > 100000 || d != floor(d))
            BAD("--two-point expects a lag of 1 to 100000 voxels (got '%s')",
                arg);
        p->two_point_lag = (size_t)d;
        return 0;
    case 'u':
        p->uncertainty = true;
        if (!strcmp(arg, "auto"))
            return 0;
        if (!cli_parse_double("measure", "--uncertainty", arg,
                              &p->uncertainty_delta))
            return CLI_EXIT_USAGE;
        if (!(p->uncertainty_delta >= 0))
            BAD("--uncertainty must be auto or a grey delta >= 0 (got %s)",
                arg);
        return 0;
    case 'X':
        if (strlen(arg) != 1 || arg[0] < 'x' || arg[0] > 'z')
            BAD("--battery-axis must be x, y or z (got '%s')", arg);
        p->battery_axis = arg[0] - 'x';
        return 0;
    case 'o':
        return cli_parse_double("measure", "--tol", arg, &p->tortuosity_tol)
                   ? 0
                   : CLI_EXIT_USAGE;
    case 'y':
        return cli_parse_memory("measure", arg, &p->memory_bytes)
                   ? 0
                   : CLI_EXIT_USAGE;
    case 'V':
        if (sscanf(arg, "%lf,%lf,%lf", &w[0], &w[1], &w[2]) != 3 ||
            !isfinite(w[0] + w[1] + w[2]) ||
            !(fabs(w[0]) + fabs(w[1]) + fabs(w[2]) > 0))
            BAD("--view needs a direction X,Y,Z (got %s)", arg);
        return 0;
    }
    return 0;
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_measure(ctx, env, NULL, err);
}

int cli_cmd_measure(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(fib_job_measure_usage(), stdout);
        return CLI_EXIT_OK;
    }
    fib_job_measure_params p;
    fib_job_measure_defaults(&p);
    bool quiet = false, no_thickness = false;
    /* clang-format off */
    const cli_opt rows[] = {
        R("phase", 'p'), R("tortuosity", 't'), R("voxel-nm", 'v'),
        R("units", 'U'), S("json", 'j', &p.json_path),
        S("csv", 'c', &p.csv_path), S("mesh", 'm', &p.mesh_path),
        S("pictures", 'P', &p.pictures_dir), S("grey", 'G', &p.grey_path),
        S("flux-map", 'F', &p.flux_map_path),
        S("conductivity", 'D', &p.conductivity),
        R("substrate", 's'), R("coating", 'C'), R("connectivity", 'n'),
        R("smooth", 'S'), F("skeleton", 'k', &p.skeleton), R("tpb", 'B'),
        F("chords", 'L', &p.chords), R("two-point", 'W'),
        F("battery", 'Y', &p.battery), R("battery-axis", 'X'),
        F("no-thickness", 'T', &no_thickness), R("tol", 'o'), R("view", 'V'),
        F("quiet", 'q', &quiet), F("porosimetry", 'I', &p.porosimetry),
        F("particle-sizes", 'Z', &p.particle_sizes),
        F("contact", 'K', &p.contact), F("mesh-closed", 'M', &p.mesh_closed),
        R("uncertainty", 'u'), R("memory", 'y')};
    /* clang-format on */
    int rc = cli_getopt("measure", argc, argv, "q", rows,
                        sizeof rows / sizeof rows[0], parse_opt, &p,
                        CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    p.thickness = !no_thickness;
    if (optind != argc - 1)
        return cli_usage_error("measure",
                               "expected one LABELS file (see --help)");
    if (!p.json_path)
        return cli_usage_error("measure", "--json REPORT.json is required");
    /* the job checks the rest and refuses an output that is an input */
    p.labels_path = argv[optind];
    return cli_job_run("measure", quiet ? CLI_JOB_QUIET : 0, run, &p);
}
