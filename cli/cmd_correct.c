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
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* OUT must not be an input: a series' slices (by name in a folder
 * output), its list file, or the input file and its data files. */
static int check_outputs(const char *in, const char *out)
{
    fib_job_inputs all = {0};
    fib_job_inputs_add(&all, in);
    const char *const none = NULL;
    if (!fib_job_correct_is_series(in))
        return cli_check_outputs("correct", all.p, all.n, 1, &none, &out,
                                 false);
    char **paths = NULL;
    size_t n = 0;
    fib_error err = {0};
    fib_status st = fib_fmt_series_list(in, &paths, &n, &err);
    struct stat sb;
    const bool out_dir = stat(out, &sb) == 0 && S_ISDIR(sb.st_mode);
    for (size_t k = 0; k < n && st == FIB_OK; k++) {
        const char *base = strrchr(paths[k], '/');
        char target[4096];
        snprintf(target, sizeof target, "%s/%s", out,
                 base ? base + 1 : paths[k]);
        st = fib_job_check_not_input(NULL, out_dir ? target : out,
                                     (const char *const *)&paths[k], 1, &err);
    }
    fib_fmt_series_free(paths, n);
    if (st == FIB_OK && !out_dir)
        st = fib_job_check_not_input(NULL, out, &in, 1, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail("correct", st, &err);
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
    if (st == FIB_OK)
        st = fib_job_correct_check(&o.jp, out, &err);
    if (st != FIB_OK)
        return cli_fail("correct", st, &err);
    if ((rc = check_outputs(in, out)) != CLI_EXIT_OK)
        return rc;
    o.in = in;
    o.out = out;
    return cli_job_run("correct", o.quiet ? CLI_JOB_QUIET : 0, run, &o);
}
