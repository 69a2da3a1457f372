/*
 * cmd_correct.c -- `cryofib correct IN OUT`: FIB-SEM artifact correction
 * (curtaining, shading/charging, slice intensity drift, noise) on a single
 * image, a slice series or a volume; output format by OUT's extension.
 * Option parsing, the output identity checks and one fib_job_correct()
 * call (fib/job_correct.h); the options that set one parameter are
 * parsed and described from the correction's parameter tables
 * (fib_recon_correct_param_table()).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/job_correct.h"

/* The help lines of the options that set one row of @p step's table. */
static void row_help(fib_recon_correct_step step)
{
    size_t n = 0;
    const fib_job_correct_option *o = fib_job_correct_options(&n);
    char line[256];
    for (size_t i = 0; i < n; i++)
        if (o[i].step == step)
            printf("%s\n",
                   fib_job_correct_option_help(&o[i], line, sizeof line));
}

static void usage(void)
{
    printf("usage: cryofib correct IN OUT [options]\n\n"
           "Correct FIB-SEM artifacts.  IN is an image (PNG/TIFF/MRC/NRRD), "
           "a volume\n(multi-page TIFF, MRC, NRRD) or a slice series (a "
           "folder of .tif/.tiff/.png\nfiles, a quoted glob pattern or a "
           ".txt/.lst list of paths).\nOUT is an image or volume file "
           "(format by extension: .png .tif .tiff .mrc\n.map .rec .nrrd) or, "
           "for a series, an existing folder (slices keep their\nnames).  "
           "Steps run in this order: destripe, background, normalize, "
           "denoise.\n\nCurtaining:\n"
           "  --destripe             default method: vsnr (wavelet when a "
           "wavelet option\n"
           "                         below is given, wedge with --wedge-deg)\n"
           "  --destripe-method M    " FIB_DESTRIPE_CHOICES "\n"
           "  --robust, --wedge      same as --destripe-method robust / "
           "wedge\n"
           "  --wavelet NAME         haar, db1..db10, sym2..sym10, "
           "coif1..coif5 (db5)\n");
    row_help(FIB_CORRECT_STEP_DESTRIPE);
    printf("Shading/charging:\n  --background " FIB_JOB_BACKGROUND_CHOICES
           "  polynomial surface or large Gaussian\n");
    row_help(FIB_CORRECT_STEP_BACKGROUND);
    printf("Slice intensity:\n");
    row_help(FIB_CORRECT_STEP_NORMALIZE);
    printf("  --quantiles            match the 2 %% / 98 %% quantiles "
           "instead\nNoise:\n  --denoise " FIB_JOB_DENOISE_CHOICES "\n");
    row_help(FIB_CORRECT_STEP_DENOISE);
    printf("Output:\n  --out-type " FIB_JOB_OUT_TYPE_CHOICES
           "  pixel type written (default same as input)\n"
           "  --quiet                no progress bar\n");
}

/* Option values: letters (no short options are accepted), rows from 512. */
enum { O_ROW = 512 };

/* What the options say. */
typedef struct opts {
    fib_job_correct_params jp;
    bool quiet, ds_plain, ds_explicit;
    const char *given[FIB_JOB_CORRECT_GROUPS]; /* by destripe method */
    const char *in, *out;
} opts;

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const opts *o = ctx;
    return fib_job_correct(&o->jp, o->in, o->out, env, NULL, err);
}

/* One option: a parameter row (from O_ROW) or one of the others; the
 * exit status. */
static int one_option(void *ctx, int c, const char *arg)
{
    opts *o = ctx;
    fib_recon_destripe_params *ds = &o->jp.correct.destripe;
    if (c >= O_ROW) {
        size_t n_rows = 0;
        const fib_job_correct_option *r =
            &fib_job_correct_options(&n_rows)[c - O_ROW];
        fib_error err = {0};
        const fib_status st = fib_job_correct_option_set(&o->jp, r, arg, &err);
        o->given[r->group] = r->name;
        return st == FIB_OK ? CLI_EXIT_OK : cli_fail("correct", st, &err);
    }
    switch (c) {
    case 'd':
        o->ds_plain = true;
        return CLI_EXIT_OK;
    case 'm':
        o->ds_explicit = true;
        if (fib_recon_destripe_method_parse(arg, &ds->method))
            return CLI_EXIT_OK;
        return cli_usage_error("correct",
                               "--destripe-method must be one of %s (got "
                               "'%.40s')",
                               FIB_DESTRIPE_CHOICES, arg);
    case 'r':
    case 'w':
        ds->method =
            c == 'r' ? FIB_DESTRIPE_WAVELET_MEDIAN : FIB_DESTRIPE_WEDGE;
        o->ds_explicit = true;
        return CLI_EXIT_OK;
    case 'W':
        o->given[FIB_JOB_CORRECT_WAVELET] = "wavelet";
        ds->wavelet = arg;
        return CLI_EXIT_OK;
    case 'b':
        if (fib_job_background_parse(arg, &o->jp.correct.background.method))
            return CLI_EXIT_OK;
        return cli_usage_error(
            "correct", "--background expects poly or gauss (got '%s')", arg);
    case 'Q':
        o->jp.correct.normalize.enabled = true;
        o->jp.correct.normalize.use_quantiles = true;
        return CLI_EXIT_OK;
    case 'n':
        if (fib_job_denoise_parse(arg, &o->jp))
            return CLI_EXIT_OK;
        return cli_usage_error("correct",
                               "--denoise expects median, median3d, gauss, "
                               "diffusion or nlm (got '%s')",
                               arg);
    case 't':
        if (fib_job_out_type_parse(arg, &o->jp.out_type))
            return CLI_EXIT_OK;
        return cli_usage_error(
            "correct", "--out-type expects same, u8, u16 or f32 (got '%s')",
            arg);
    }
    return CLI_EXIT_OK;
}

int cli_cmd_correct(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    opts o;
    memset(&o, 0, sizeof o);
    o.jp.out_type = FIB_JOB_OUT_SAME;
    size_t n_rows = 0;
    const fib_job_correct_option *rows = fib_job_correct_options(&n_rows);
    cli_opt lo[CLI_MAX_OPTS] = {
        CLI_SW("destripe", 'd'),  CLI_SW("robust", 'r'),
        CLI_SW("wedge", 'w'),     CLI_VAL("destripe-method", 'm'),
        CLI_VAL("wavelet", 'W'),  CLI_VAL("background", 'b'),
        CLI_SW("quantiles", 'Q'), CLI_VAL("denoise", 'n'),
        CLI_VAL("out-type", 't'), CLI_FLAG("quiet", 'q', &o.quiet)};
    size_t n = 10;
    for (size_t i = 0; i < n_rows && n < CLI_MAX_OPTS; i++)
        lo[n++] = (cli_opt){rows[i].name,
                            rows[i].arg ? required_argument : no_argument,
                            O_ROW + (int)i, NULL, NULL};
    int rc = cli_getopt("correct", argc, argv, "", lo, n, one_option, &o,
                        CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 2)
        return cli_usage_error("correct", "expected IN and OUT (see --help)");
    const char *in = argv[optind], *out = argv[optind + 1];
    o.given[FIB_JOB_CORRECT_ANY] = NULL;
    fib_error err = {0};
    fib_status st = fib_job_correct_destripe_pick(
        &o.jp, o.ds_plain && !o.ds_explicit, o.given, &err);
    if (st != FIB_OK)
        return cli_fail("correct", st, &err);
    o.in = in; /* the job checks the rest and refuses an OUT that is an input */
    o.out = out;
    return cli_job_run("correct", o.quiet ? CLI_JOB_QUIET : 0, run, &o);
}
