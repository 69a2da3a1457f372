/* cmd_recon.c -- `cryofib recon`: option parsing (most options from the
 * run's parameter tables, fib/recon_cfg.h), the input/output identity
 * checks, the output transaction and one fib_job_recon() call. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/correct.h"
#include "fib/job_recon.h"

#define CMD "recon"

static void usage(void)
{
    printf("usage: cryofib recon --input SRC --out DIR [options]\n"
           "       cryofib recon RECON.cfg [--quiet]\n\n"
           "Align a FIB-SEM slice series (folder, glob or list file of "
           "TIFF/PNG\nslices, or one multi-page TIFF/MRC/NRRD/OME-Zarr "
           "stack) without drift\naccumulation, correct the "
           "geometry and write\nDIR/volume.mrc, drift.csv, drift.png, "
           "ortho.png and report.json.\n\n"
           "  --input SRC            slice series (folder, \"glob*\", "
           "list.txt, stack)\n"
           "  --out DIR              output folder (created)\n"
           "  --crop-valid           crop to the region every slice covers "
           "(default)\n  --no-crop-valid        keep the full frame\n"
           "  --roi x,y,w,h          crop input to this rectangle\n"
           "  --fiducial x,y,w,h     align on this rectangle only\n"
           "  --z-csv FILE           slice depths (nm; column z_nm or the "
           "last), one row\n                         per slice: resampled "
           "to uniform z\n"
           "  --memory SIZE          memory budget (default 1G)\n"
           "  --channel NAME=SRC     another channel, same shifts "
           "(repeatable)\n"
           "  --destripe-method M    vsnr|wavelet|wedge|robust (see correct "
           "--help)\n"
           "  --quiet                no progress bar\n"
           "Run parameters (run-file key: the name with '_'; 0 = auto: "
           "leave it out):\n");
    cli_params_help(fib_fmt_recon_cfg_params());
    printf("Artifact correction, in this order (run file: correct = { ... "
           "}):\n");
    cli_params_help(fib_fmt_recon_cfg_correct_params());
}

static char *dupstr(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "cryofib recon: out of memory\n");
        exit(CLI_EXIT_FAIL);
    }
    return d;
}

static bool parse_channel(fib_fmt_recon_cfg *c, const char *t)
{
    char *name, *src;
    if (!cli_parse_name_value(CMD, "--channel", t, &name, &src))
        return false;
    if (c->n_channels >= FIB_RECON_CFG_MAX_CHANNELS) {
        free(name);
        free(src);
        return !cli_usage_error(CMD, "at most %d --channel options",
                                FIB_RECON_CFG_MAX_CHANNELS);
    }
    c->channel_name[c->n_channels] = name;
    c->channel_input[c->n_channels++] = src;
    return true;
}

enum { O_TABLE = 1000, O_CORRECT = 2000 };

/* The command's state: the run's settings and --quiet. */
typedef struct cmd_ctx {
    fib_fmt_recon_cfg *c;
    bool quiet;
} cmd_ctx;

/* One option into the run's settings: a table row, or one of the options
 * that are not rows; the exit status. */
static int option(void *ctx, int ch, const char *a)
{
    fib_fmt_recon_cfg *c = ((cmd_ctx *)ctx)->c;
    const fib_param_table *t = fib_fmt_recon_cfg_params(),
                          *tc = fib_fmt_recon_cfg_correct_params();
    const fib_param *p = ch == 'I'         ? fib_params_find(t, "isotropic")
                         : ch == 'K'       ? fib_params_find(t, "neighbours")
                         : ch >= O_CORRECT ? &tc->rows[ch - O_CORRECT]
                         : ch >= O_TABLE   ? &t->rows[ch - O_TABLE]
                                           : NULL;
    if (p) {
        c->tilt_given = c->tilt_given || !strcmp(p->key, "tilt_deg");
        return cli_params_parse(CMD, p, c, a) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    fib_recon_destripe_method m;
    switch (ch) {
    case 'i':
    case 'o':
        free(ch == 'i' ? c->input : c->out);
        *(ch == 'i' ? &c->input : &c->out) = dupstr(a);
        return CLI_EXIT_OK;
    case 'Z':
        free(c->z_csv);
        c->z_csv = dupstr(a);
        return CLI_EXIT_OK;
    case 'C':
    case 'N':
        if (c->crop_valid >= 0 && c->crop_valid != (ch == 'C'))
            return cli_usage_error(CMD, "--crop-valid and --no-crop-valid "
                                        "contradict each other");
        c->crop_valid = ch == 'C';
        return CLI_EXIT_OK;
    case 'r':
        c->has_roi = cli_parse_rect(CMD, "--roi", a, c->roi);
        return c->has_roi ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    case 'f':
        c->has_fiducial = cli_parse_rect(CMD, "--fiducial", a, c->fiducial);
        return c->has_fiducial ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    case 'm':
        return cli_parse_memory(CMD, a, &c->memory_bytes) ? CLI_EXIT_OK
                                                          : CLI_EXIT_USAGE;
    case 'c':
        return parse_channel(c, a) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    default: /* 'M' */
        if (!fib_recon_destripe_method_parse(a, &m))
            return cli_usage_error(CMD,
                                   "--destripe-method must be one of %s "
                                   "(got '%.40s')",
                                   FIB_DESTRIPE_CHOICES, a);
        c->destripe = true;
        snprintf(c->destripe_method, sizeof c->destripe_method, "%s", a);
        return CLI_EXIT_OK;
    }
}

/* Options into @p x: -1, or the exit status after an error. */
static int parse_args(int argc, char **argv, cmd_ctx *x)
{
    static const cli_opt special[] = {
        CLI_VAL("input", 'i'), CLI_VAL("out", 'o'), CLI_SW("crop-valid", 'C'),
        CLI_SW("no-crop-valid", 'N'), CLI_VAL("roi", 'r'),
        CLI_VAL("fiducial", 'f'), CLI_VAL("memory", 'm'),
        CLI_VAL("channel", 'c'), CLI_VAL("destripe-method", 'M'),
        CLI_SW("quiet", 'q'),
        /* short forms from before the table */
        CLI_SW("iso", 'I'), CLI_VAL("neighbors", 'K'), CLI_VAL("z-csv", 'Z')};
    cli_opt lo[CLI_MAX_OPTS];
    cli_param_name names[CLI_MAX_OPTS];
    size_t n = sizeof special / sizeof special[0];
    memcpy(lo, special, sizeof special);
    lo[9].flag = &x->quiet; /* "quiet" */
    n += cli_params_options(fib_fmt_recon_cfg_params(), O_TABLE, lo + n, names,
                            CLI_MAX_OPTS - n);
    n += cli_params_options(fib_fmt_recon_cfg_correct_params(), O_CORRECT,
                            lo + n, names + n, CLI_MAX_OPTS - n);
    const int rc =
        cli_getopt(CMD, argc, argv, "", lo, n, option, x, CLI_UNKNOWN_SEE);
    return rc == CLI_EXIT_OK ? -1 : rc;
}

static fib_status run_job(const void *ctx, const fib_job_env *env,
                          fib_error *err)
{
    const fib_job_recon_params p = {*(const fib_fmt_recon_cfg *)ctx};
    return fib_job_recon(&p, env, NULL, err);
}

static int run(const fib_fmt_recon_cfg *c, const char *run_file, bool quiet)
{
    /* the output folder may not be, nor hold, an input: the series (a
     * glob's or list's slices too), the run file or a channel */
    const char *const in[3] = {c->input, run_file, c->z_csv};
    fib_error err = {0};
    fib_status st = fib_job_check_dir_not_input("--out", c->out, in,
                                                c->z_csv ? 3 : 2, &err);
    for (size_t k = 0; k <= c->n_channels && !st; k++)
        st = fib_job_check_dir_not_series(
            "--out", c->out, k ? c->channel_input[k - 1] : c->input, &err);
    return st ? cli_fail(CMD, st, &err)
              : cli_job_run(CMD, quiet ? CLI_JOB_QUIET : 0, run_job, c);
}

int cli_cmd_recon(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_recon_params jp;
    fib_job_recon_params_init(&jp);
    fib_fmt_recon_cfg c = jp.run;
    bool quiet = false;
    const char *run_file = NULL;
    int rc = -1;
    /* `cryofib recon RUN.cfg [--quiet]`: a run file instead of options */
    if (argc >= 2 && argv[1][0] != '-') {
        fib_error err = {0};
        fib_status st = fib_fmt_recon_cfg_read(argv[1], &c, &err);
        if (st)
            return cli_fail(CMD, st, &err);
        run_file = argv[1];
        for (int i = 2; i < argc && rc < 0; i++)
            if (!(quiet = !strcmp(argv[i], "--quiet")))
                rc = cli_usage_error(CMD,
                                     "with a run file only --quiet is "
                                     "accepted (got '%s')",
                                     argv[i]);
    } else {
        cmd_ctx x = {&c, false};
        rc = parse_args(argc, argv, &x);
        quiet = x.quiet;
        if (rc < 0 && optind < argc)
            rc = cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
        if (rc < 0 && (!c.input || !c.out))
            rc = cli_usage_error(CMD, "--input and --out are required "
                                      "(see --help)");
    }
    if (rc < 0)
        rc = run(&c, run_file, quiet);
    fib_fmt_recon_cfg_free(&c);
    return rc;
}
