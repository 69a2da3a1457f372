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
#include "fib/segment.h"

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
    int method = 0; /* 0 otsu, 1 multi, 2 manual, 3 hysteresis */
    double k_classes = 2, thr[255], hy[2] = {0, 0}, open_r = 0, close_r = 0,
           ws_h = -1, vox[3] = {0, 0, 0};
    int nthr = 0, conn = 6;
    bool fill = false, watershed = false, quiet = false;
    size_t min_size = 0;
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:q", lo, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'O':
            method = 0;
            break;
        case 'M':
            method = 1;
            if (!cli_parse_double("segment", "--multi-otsu", optarg,
                                  &k_classes))
                return CLI_EXIT_USAGE;
            if (k_classes < 2 || k_classes > 5 || k_classes != floor(k_classes))
                return cli_usage_error(
                    "segment", "--multi-otsu must be 2..5 (got %s)", optarg);
            break;
        case 'T':
            method = 2;
            nthr = parse_list("--threshold", optarg, thr, 254);
            if (nthr < 1)
                return CLI_EXIT_USAGE;
            break;
        case 'H':
            method = 3;
            if (parse_list("--hysteresis", optarg, hy, 2) != 2)
                return cli_usage_error(
                    "segment", "--hysteresis needs LO,HI (got %s)", optarg);
            break;
        case 'p':
            if (!cli_parse_double("segment", "--open", optarg, &open_r))
                return CLI_EXIT_USAGE;
            break;
        case 'c':
            if (!cli_parse_double("segment", "--close", optarg, &close_r))
                return CLI_EXIT_USAGE;
            break;
        case 'f':
            fill = true;
            break;
        case 'm':
            if (!cli_parse_size("segment", "--min-size", optarg, &min_size))
                return CLI_EXIT_USAGE;
            break;
        case 'w':
            watershed = true;
            if (optarg &&
                !cli_parse_double("segment", "--watershed", optarg, &ws_h))
                return CLI_EXIT_USAGE;
            break;
        case 'C': {
            double d;
            if (!cli_parse_double("segment", "--connectivity", optarg, &d))
                return CLI_EXIT_USAGE;
            conn = (int)d;
            if (d != 6 && d != 18 && d != 26)
                return cli_usage_error(
                    "segment", "--connectivity must be 6, 18 or 26 (got %s)",
                    optarg);
            break;
        }
        case 'v':
            if (parse_list("--voxel-nm", optarg, vox, 3) != 3 ||
                !cli_length_nm_ok(vox[0]) || !cli_length_nm_ok(vox[1]) ||
                !cli_length_nm_ok(vox[2]))
                return cli_usage_error(
                    "segment",
                    "--voxel-nm needs three sizes > 0, in 0.01..1e6 nm (got "
                    "%s)",
                    optarg);
            break;
        case 'q':
            quiet = true;
            break;
        default:
            return cli_usage_error(
                "segment", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("segment", "expected one VOLUME (see --help)");
    if (!out)
        return cli_usage_error("segment", "--out LABELS is required");
    if (fib_fmt_kind_from_path(out) == FIB_FMT_UNKNOWN ||
        fib_fmt_kind_from_path(out) == FIB_FMT_PNG)
        return cli_usage_error(
            "segment", "%s: output must end in .mrc, .tif or .nrrd", out);
    if (open_r < 0 || close_r < 0)
        return cli_usage_error("segment", "--open/--close radius must be >= 0");
    (void)quiet;
    const char *in = argv[optind];
    cli_inputs ins = {0};
    cli_inputs_add(&ins, in);
    if (cli_check_not_input("segment", "--out", out, ins.p, ins.n))
        return CLI_EXIT_USAGE;
    fib_error err = {0};
    fib_volume vol = {0}, lab = {0}, mask = {0}, ws = {0};
    fib_status st = fib_fmt_volume_read(in, NULL, &vol, NULL, &err);
    if (st != FIB_OK)
        return cli_fail("segment", st, &err);
    if (vox[0] > 0)
        memcpy(vol.voxel_size_nm, vox, sizeof vox);
    double t_used[255];
    int n_used = 0;
    if (method == 3) {
        st = fib_recon_hysteresis(&vol, hy[0], hy[1], conn, &mask, &err);
        if (st != FIB_OK)
            goto fail;
        st = fib_volume_init(&lab, FIB_PX_U8, vol.nx, vol.ny, vol.nz, &err);
        if (st != FIB_OK)
            goto fail;
        memcpy(lab.data, mask.data, vol.nx * vol.ny * vol.nz);
        memcpy(lab.voxel_size_nm, vol.voxel_size_nm, sizeof vox);
        fib_volume_clear(&mask);
        n_used = 1;
        t_used[0] = hy[0];
    } else {
        if (method == 0 || method == 1) {
            n_used = method == 0 ? 1 : (int)k_classes - 1;
            st = fib_recon_multi_otsu(&vol, n_used + 1, t_used, &err);
            if (st != FIB_OK)
                goto fail;
        } else {
            n_used = nthr;
            memcpy(t_used, thr, sizeof(double) * (size_t)nthr);
        }
        fib_volume l32;
        st = fib_recon_classify(&vol, t_used, (size_t)n_used, &l32, &err);
        if (st != FIB_OK)
            goto fail;
        st = fib_volume_init(&lab, FIB_PX_U8, vol.nx, vol.ny, vol.nz, &err);
        if (st == FIB_OK) {
            size_t n = vol.nx * vol.ny * vol.nz;
            for (size_t i = 0; i < n; i++)
                ((uint8_t *)lab.data)[i] = (uint8_t)((uint32_t *)l32.data)[i];
            memcpy(lab.voxel_size_nm, vol.voxel_size_nm, sizeof vox);
            memcpy(lab.origin_nm, vol.origin_nm, sizeof vox);
        }
        fib_volume_clear(&l32);
        if (st != FIB_OK)
            goto fail;
    }
    size_t n = vol.nx * vol.ny * vol.nz;
    fib_volume_clear(&vol);
    printf("thresholds:");
    for (int i = 0; i < n_used; i++)
        printf(" %.6g", t_used[i]);
    printf("\n");
    bool post = open_r > 0 || close_r > 0 || fill || min_size > 0;
    if (post) {
        st = fib_volume_init(&mask, FIB_PX_U8, lab.nx, lab.ny, lab.nz, &err);
        if (st != FIB_OK)
            goto fail;
        memcpy(mask.voxel_size_nm, lab.voxel_size_nm, sizeof vox);
        uint8_t *L = lab.data, *M = mask.data;
        uint8_t *res = calloc(n, 1);
        if (!res) {
            st = fib_error_set(&err, FIB_ENOMEM, "segment: out of memory");
            goto fail;
        }
        for (int k = 1; k <= n_used; k++) {
            for (size_t i = 0; i < n; i++)
                M[i] = L[i] == k;
            if (st == FIB_OK && open_r > 0)
                st = fib_recon_morph(&mask, FIB_MORPH_OPEN, open_r, &err);
            if (st == FIB_OK && close_r > 0)
                st = fib_recon_morph(&mask, FIB_MORPH_CLOSE, close_r, &err);
            if (st == FIB_OK && fill)
                st = fib_recon_fill_holes(&mask, &err);
            if (st == FIB_OK && min_size > 0)
                st = fib_recon_remove_small(&mask, conn, min_size, &err);
            for (size_t i = 0; st == FIB_OK && i < n; i++)
                if (M[i])
                    res[i] = (uint8_t)k;
        }
        memcpy(L, res, n);
        free(res);
        fib_volume_clear(&mask);
        if (st != FIB_OK)
            goto fail;
    }
    if (watershed) {
        double sp = lab.voxel_size_nm[0] > 0 ? lab.voxel_size_nm[0] : 1;
        st = fib_volume_init(&mask, FIB_PX_U8, lab.nx, lab.ny, lab.nz, &err);
        if (st != FIB_OK)
            goto fail;
        memcpy(mask.voxel_size_nm, lab.voxel_size_nm, sizeof vox);
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)mask.data)[i] = ((uint8_t *)lab.data)[i] == n_used;
        size_t nl = 0;
        st = fib_recon_watershed(&mask, ws_h >= 0 ? ws_h : sp, &ws, &nl, &err);
        if (st != FIB_OK)
            goto fail;
        printf("watershed: %zu particles\n", nl);
        fib_volume_clear(&lab);
        lab = ws;
        memset(&ws, 0, sizeof ws);
    }
    /* through the output transaction (fib/txn.h): nothing appears until
     * the whole file is written */
    fib_fmt_txn *txn = NULL;
    const char *staged = NULL;
    st = cli_txn_file(&txn, out, &staged, &err);
    if (st == FIB_OK)
        st = fib_fmt_volume_write(staged, &lab, NULL, &err);
    if (st != FIB_OK) {
        fib_fmt_txn_explain(txn, &err);
        fib_fmt_txn_abort(txn);
        goto fail;
    }
    const int rc = cli_txn_finish("segment", txn, CLI_EXIT_OK);
    if (rc == CLI_EXIT_OK)
        printf("wrote %s (%zu x %zu x %zu)\n", out, lab.nx, lab.ny, lab.nz);
    fib_volume_clear(&lab);
    fib_volume_clear(&mask);
    return rc;
fail:
    fib_volume_clear(&vol);
    fib_volume_clear(&lab);
    fib_volume_clear(&mask);
    fib_volume_clear(&ws);
    return cli_fail("segment", st, &err);
}
