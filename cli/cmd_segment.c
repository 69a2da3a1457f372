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

static void usage(void)
{
    printf(
        "usage: cryofib segment VOLUME --out LABELS.mrc|.tif|.nrrd [options]\n"
        "\n"
        "Segment a grey volume into classes (0 = background/lowest class).\n"
        "\n"
        "  --otsu               two classes by Otsu (default)\n"
        "  --multi-otsu K       K classes (2..5) by multi-Otsu\n"
        "  --threshold T1,T2..  classes by ascending manual thresholds\n"
        "  --hysteresis LO,HI   foreground > HI grown into > LO\n"
        "  --open R_NM          opening with a ball of radius R nm\n"
        "  --close R_NM         closing with a ball of radius R nm\n"
        "  --fill-holes         fill enclosed cavities of each class\n"
        "  --min-size V         remove components smaller than V voxels\n"
        "  --watershed[=H_NM]   split touching particles of the foreground;\n"
        "                       output = particle labels 1..n (h default 1 "
        "voxel)\n"
        "  --connectivity N     6 (default), 18 or 26\n"
        "  --voxel-nm X,Y,Z     voxel size when the file does not state it\n"
        "  --quiet              no progress output\n"
        "\n"
        "Morphology, hole filling and size filtering act on each class > 0\n"
        "in turn (classes later in order win where they overlap).\n");
}

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

/* Parse buffers of one command line. */
typedef struct lists {
    double thr[FIB_JOB_SEGMENT_MAX_THRESHOLDS], hy[2], k_classes, conn;
} lists;

/* One option into @p p; the exit status. */
static int one_option(fib_job_segment_params *p, lists *b, int c,
                      const char *arg, const char *word, const char **out,
                      bool *quiet)
{
    int n;
    switch (c) {
    case 'o':
        *out = arg;
        return CLI_EXIT_OK;
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
    case 'q':
        *quiet = true;
        return CLI_EXIT_OK;
    default:
        return cli_usage_error(
            "segment", "unknown or incomplete option '%s' (see --help)", word);
    }
}

int cli_cmd_segment(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'},
        {"otsu", no_argument, 0, 'O'},
        {"multi-otsu", required_argument, 0, 'M'},
        {"threshold", required_argument, 0, 'T'},
        {"hysteresis", required_argument, 0, 'H'},
        {"open", required_argument, 0, 'p'},
        {"close", required_argument, 0, 'c'},
        {"fill-holes", no_argument, 0, 'f'},
        {"min-size", required_argument, 0, 'm'},
        {"watershed", optional_argument, 0, 'w'},
        {"connectivity", required_argument, 0, 'C'},
        {"voxel-nm", required_argument, 0, 'v'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *out = NULL;
    lists b = {.k_classes = 2, .conn = 6};
    fib_job_segment_params p = {.classes = 2,
                                .connectivity = 6,
                                .watershed_h_nm = -1,
                                .thresholds = b.thr};
    bool quiet = false;
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, "o:q", lo, NULL)) != -1)
        if ((rc =
                 one_option(&p, &b, c, optarg, argv[optind - 1], &out, &quiet)))
            return rc;
    (void)quiet;
    if (optind != argc - 1)
        return cli_usage_error("segment", "expected one VOLUME (see --help)");
    if (!out)
        return cli_usage_error("segment", "--out LABELS is required");
    fib_error err = {0};
    fib_status st = fib_job_segment_check(&p, out, &err);
    if (st != FIB_OK)
        return cli_fail("segment", st, &err);
    const char *in = argv[optind];
    cli_inputs ins = {0};
    cli_inputs_add(&ins, in);
    if (cli_check_not_input("segment", "--out", out, ins.p, ins.n))
        return CLI_EXIT_USAGE;
    /* through the output transaction (fib/txn.h): nothing appears until
     * the whole file is written */
    fib_job_env env = {.message = cli_job_message};
    cli_signals_install();
    st = fib_fmt_txn_begin(&env.txn, &err);
    if (st == FIB_OK)
        st = fib_job_segment(&p, in, out, &env, NULL, &err);
    if (st != FIB_OK) {
        fib_fmt_txn_abort(env.txn);
        return cli_fail("segment", st, &err);
    }
    return cli_txn_finish("segment", env.txn, CLI_EXIT_OK);
}
