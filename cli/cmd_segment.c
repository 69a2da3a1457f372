/* cmd_segment.c -- `cryofib segment VOLUME --out LABELS`: thresholds,
 * morphology, components and watershed into a label volume. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/job_segment.h"

/* the usage text is the job's: fib_job_segment_usage() */

static int parse_list(const char *opt, const char *text, double *v, int max)
{
    int n = 0;
    const char *p = text;
    while (*p && n < max) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x)) {
            fprintf(stderr,
                    "cryofib segment: %s: cannot parse '%s' as numbers\n", opt,
                    text);
            return -1;
        }
        v[n++] = x;
        p = end;
        if (*p == ',')
            p++;
        else if (*p) {
            fprintf(stderr, "cryofib segment: %s: bad list '%s'\n", opt, text);
            return -1;
        }
    }
    return n;
}

/* The command's state: the job's parameters, parse buffers, operands. */
typedef struct cmd_ctx {
    fib_job_segment_params p;
    double thr[FIB_JOB_SEGMENT_MAX_THRESHOLDS], hy[2], k_classes, conn, rounds,
        unl;
    const char *in, *out;
    bool quiet;
} cmd_ctx;

/* One option into the command's state; the exit status. */
static int one_option(void *ctx, int c, const char *arg)
{
    cmd_ctx *b = ctx;
    fib_job_segment_params *p = &b->p;
    int n;
    switch (c) {
    case 'O':
        p->method = FIB_JOB_SEGMENT_OTSU;
        return CLI_EXIT_OK;
    case 'M':
        p->method = FIB_JOB_SEGMENT_MULTI_OTSU;
        if (!cli_parse_double("segment", "--multi-otsu", arg, &b->k_classes))
            return CLI_EXIT_USAGE;
        if (b->k_classes < 2 || b->k_classes > 5 ||
            b->k_classes != floor(b->k_classes))
            return cli_usage_error("segment",
                                   "--multi-otsu must be 2..5 (got %s)", arg);
        p->classes = (int)b->k_classes;
        return CLI_EXIT_OK;
    case 'T':
        p->method = FIB_JOB_SEGMENT_MANUAL;
        if ((n = parse_list("--threshold", arg, b->thr,
                            FIB_JOB_SEGMENT_MAX_THRESHOLDS)) < 1)
            return CLI_EXIT_USAGE;
        p->n_thresholds = (size_t)n;
        return CLI_EXIT_OK;
    case 'H':
        p->method = FIB_JOB_SEGMENT_HYSTERESIS;
        if (parse_list("--hysteresis", arg, b->hy, 2) != 2)
            return cli_usage_error("segment",
                                   "--hysteresis needs LO,HI (got %s)", arg);
        p->hysteresis_lo = b->hy[0];
        p->hysteresis_hi = b->hy[1];
        return CLI_EXIT_OK;
    case 'p':
        if (!cli_parse_double("segment", "--open", arg, &p->open_nm))
            return CLI_EXIT_USAGE;
        return CLI_EXIT_OK;
    case 'c':
        if (!cli_parse_double("segment", "--close", arg, &p->close_nm))
            return CLI_EXIT_USAGE;
        return CLI_EXIT_OK;
    case 'f':
        p->fill_holes = true;
        return CLI_EXIT_OK;
    case 'm':
        if (!cli_parse_size("segment", "--min-size", arg, &p->min_size_vox))
            return CLI_EXIT_USAGE;
        return CLI_EXIT_OK;
    case 'w':
        p->watershed = true;
        if (arg && !cli_parse_double("segment", "--watershed", arg,
                                     &p->watershed_h_nm))
            return CLI_EXIT_USAGE;
        return CLI_EXIT_OK;
    case 'C':
        if (!cli_parse_double("segment", "--connectivity", arg, &b->conn))
            return CLI_EXIT_USAGE;
        if (b->conn != 6 && b->conn != 18 && b->conn != 26)
            return cli_usage_error(
                "segment", "--connectivity must be 6, 18 or 26 (got %s)", arg);
        p->connectivity = (int)b->conn;
        return CLI_EXIT_OK;
    case 'v':
        if (parse_list("--voxel-nm", arg, p->voxel_nm, 3) != 3 ||
            !cli_length_nm_ok(p->voxel_nm[0]) ||
            !cli_length_nm_ok(p->voxel_nm[1]) ||
            !cli_length_nm_ok(p->voxel_nm[2]))
            return cli_usage_error(
                "segment",
                "--voxel-nm needs three sizes > 0, in 0.01..1e6 nm (got "
                "%s)",
                arg);
        return CLI_EXIT_OK;
    case 'S':
        if ((n = parse_list("--scales", arg, p->features.scales,
                            FIB_FEATURES_MAX_SCALES)) < 1)
            return CLI_EXIT_USAGE;
        return CLI_EXIT_OK;
    case 'R':
        if (!cli_parse_double("segment", "--rounds", arg, &b->rounds))
            return CLI_EXIT_USAGE;
        if (b->rounds < 1 || b->rounds > 2000 || b->rounds != floor(b->rounds))
            return cli_usage_error("segment",
                                   "--rounds must be 1..2000 (got %s)", arg);
        p->classifier.rounds = (int)b->rounds;
        return CLI_EXIT_OK;
    case 'U':
        if (strcmp(arg, "none") == 0) {
            p->train_unlabelled = -1;
            return CLI_EXIT_OK;
        }
        if (!cli_parse_double("segment", "--unlabelled", arg, &b->unl) ||
            b->unl < 0 || b->unl > 4294967295.0 || b->unl != floor(b->unl))
            return cli_usage_error("segment",
                                   "--unlabelled must be 0..4294967295 or "
                                   "none (got %s)",
                                   arg);
        p->train_unlabelled = (int64_t)b->unl;
        return CLI_EXIT_OK;
    case 'N':
        return cli_parse_size("segment", "--train-rows", arg,
                              &p->train_rows_per_class)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    case 'B':
        return cli_parse_memory("segment", arg, &p->memory_bytes)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_segment(&c->p, c->in, c->out, env, NULL, err);
}

int cli_cmd_segment(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(fib_job_segment_usage(), stdout);
        return CLI_EXIT_OK;
    }
    cmd_ctx c = {.p = {.classes = 2, .connectivity = 6, .watershed_h_nm = -1},
                 .k_classes = 2,
                 .conn = 6};
    c.p.thresholds = c.thr;
    /* clang-format off */
    const cli_opt rows[] = {
        CLI_STR("out", 'o', &c.out), CLI_SW("otsu", 'O'),
        CLI_VAL("multi-otsu", 'M'), CLI_VAL("threshold", 'T'),
        CLI_VAL("hysteresis", 'H'), CLI_VAL("open", 'p'),
        CLI_VAL("close", 'c'), CLI_SW("fill-holes", 'f'),
        CLI_VAL("min-size", 'm'), {"watershed", optional_argument, 'w', 0, 0},
        CLI_VAL("connectivity", 'C'), CLI_VAL("voxel-nm", 'v'),
        CLI_VAL("memory", 'B'), CLI_FLAG("quiet", 'q', &c.quiet),
        CLI_STR("train", 1001, &c.p.train_path),
        CLI_STR("model", 1002, &c.p.model_path),
        CLI_STR("probabilities", 1003, &c.p.probabilities_path),
        CLI_VAL("scales", 'S'), CLI_VAL("rounds", 'R'),
        CLI_VAL("train-rows", 'N'), CLI_VAL("unlabelled", 'U')};
    /* clang-format on */
    int rc = cli_getopt("segment", argc, argv, "o:q", rows,
                        sizeof rows / sizeof rows[0], one_option, &c,
                        CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("segment", "expected one VOLUME (see --help)");
    if (!c.out && !c.p.train_path) /* training alone writes the model */
        return cli_usage_error("segment", "--out LABELS is required");
    c.in = argv[optind];
    if (c.p.model_path)
        c.p.method = FIB_JOB_SEGMENT_CLASSIFIER;
    /* the job checks the parameters and refuses an output that is the
     * input; through the output transaction (fib/txn.h): nothing appears
     * until the whole file is written */
    return cli_job_run("segment", c.quiet ? CLI_JOB_QUIET : 0, run, &c);
}
