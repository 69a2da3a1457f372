/*
 * cmd_phantom.c -- `cryofib phantom`: write a synthetic slice-and-view
 * series with ground truth (fib/phantom.h): DIR/slice_NNNN.png,
 * DIR/labels.mrc and DIR/true_drift.csv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/phantom.h"
#include "fib/report.h"

#define CMD "phantom"

static void usage(void)
{
    printf("usage: cryofib phantom --kind dendrites|coating|particles --out "
           "DIR\n"
           "       [--seed N] [--size NXxNYxNZ] [--drift-px S] [--bits 8|16]\n"
           "       [--pixel-nm P] [--slice-nm T] [--noise F] [--clean]\n"
           "       [--shine-through] [--no-cap]\n\n"
           "Render a known 3D structure as a FIB-SEM slice series with drift,\n"
           "curtaining, shading, intensity drift and noise; write the slices\n"
           "(PNG), the ground-truth labels (labels.mrc: 0 pore/background,\n"
           "1 and 2 phases, 3 protective cap) and the true drift\n"
           "(true_drift.csv: slice,dx,dy = content displacement, px; the\n"
           "correcting shift is its negative), and recon.cfg, a run file\n"
           "with the pixel size and slice thickness (cryofib recon\n"
           "DIR/recon.cfg writes DIR-recon beside DIR).  For realistic\n"
           "acquisitions of these structures (or of any label volume:\n"
           "tilt, vendor metadata, pore-back, jumps, truth on the recon\n"
           "grid) use `cryofib simulate --phantom KIND` or `cryofib\n"
           "simulate LABELS`.\n\n"
           "  --size NXxNYxNZ   default 256x256x64\n"
           "  --drift-px S      random-walk step sigma, px (default 0.6; 0 "
           "none)\n"
           "  --clean           no stripes, shading, intensity drift, "
           "noise\n");
}

enum {
    O_KIND = 256,
    O_OUT,
    O_SEED,
    O_SIZE,
    O_DRIFT,
    O_BITS,
    O_PIXEL,
    O_SLICE,
    O_NOISE,
    O_CLEAN,
    O_SHINE,
    O_NOCAP
};

int cli_cmd_phantom(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    static const struct option lo[] = {
        {"kind", required_argument, 0, O_KIND},
        {"out", required_argument, 0, O_OUT},
        {"seed", required_argument, 0, O_SEED},
        {"size", required_argument, 0, O_SIZE},
        {"drift-px", required_argument, 0, O_DRIFT},
        {"bits", required_argument, 0, O_BITS},
        {"pixel-nm", required_argument, 0, O_PIXEL},
        {"slice-nm", required_argument, 0, O_SLICE},
        {"noise", required_argument, 0, O_NOISE},
        {"clean", no_argument, 0, O_CLEAN},
        {"shine-through", no_argument, 0, O_SHINE},
        {"no-cap", no_argument, 0, O_NOCAP},
        {0, 0, 0, 0}};
    fib_phantom_params pp = {0};
    const char *out = NULL;
    bool have_kind = false;
    int bits = 16;
    fib_error err = {0};
    double v;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case O_KIND:
            if (fib_phantom_kind_parse(optarg, &pp.kind, &err))
                return cli_fail(CMD, FIB_EINVAL, &err);
            have_kind = true;
            break;
        case O_OUT:
            out = optarg;
            break;
        case O_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-')
                return cli_usage_error(
                    CMD, "--seed expects a non-negative integer (got '%s')",
                    optarg);
            pp.seed = (uint64_t)s;
            break;
        }
        case O_SIZE: {
            unsigned long a, b, c;
            char tail;
            if (sscanf(optarg, "%lux%lux%lu%c", &a, &b, &c, &tail) != 3 ||
                a < 16 || b < 16 || a > 8192 || b > 8192 || c < 1 || c > 4096)
                return cli_usage_error(CMD,
                                       "--size expects NXxNYxNZ with 16..8192 "
                                       "px and 1..4096 slices (got '%s')",
                                       optarg);
            pp.nx = a;
            pp.ny = b;
            pp.nz = c;
            break;
        }
        case O_DRIFT:
            if (!cli_parse_double(CMD, "--drift-px", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v >= 0 && v <= 100))
                return cli_usage_error(
                    CMD, "--drift-px must be in [0, 100] (got %g)", v);
            pp.drift_px = v > 0 ? v : -1;
            break;
        case O_BITS:
            if (strcmp(optarg, "8") && strcmp(optarg, "16"))
                return cli_usage_error(CMD, "--bits expects 8 or 16");
            bits = atoi(optarg);
            break;
        case O_PIXEL:
        case O_SLICE:
            if (!cli_parse_double(CMD,
                                  ch == O_PIXEL ? "--pixel-nm" : "--slice-nm",
                                  optarg, &v))
                return CLI_EXIT_USAGE;
            if (!cli_length_nm_ok(v))
                return cli_usage_error(
                    CMD, "%s must be > 0, in 0.01..1e6 nm (got %g)",
                    ch == O_PIXEL ? "--pixel-nm" : "--slice-nm", v);
            if (ch == O_PIXEL)
                pp.pixel_nm = v;
            else
                pp.slice_nm = v;
            break;
        case O_NOISE:
            if (!cli_parse_double(CMD, "--noise", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v >= 0 && v <= 1))
                return cli_usage_error(CMD,
                                       "--noise must be in [0, 1] (got %g)", v);
            pp.noise = v > 0 ? v : -1;
            break;
        case O_CLEAN:
            pp.noise = pp.stripes = pp.shading = pp.intensity_drift = -1;
            break;
        case O_SHINE:
            pp.shine_through = true;
            break;
        case O_NOCAP:
            pp.no_cap = true;
            break;
        default:
            return cli_usage_error(
                CMD, "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_kind || !out)
        return cli_usage_error(CMD, "--kind and --out are required");
    /* output folder: staged whole by the output transaction (fib/txn.h);
     * an earlier result there (fewer or more slices) is replaced as a
     * whole at the commit */
    static const char *const ph_outputs[] = {"slice_*.png", "labels.mrc",
                                             "recon.cfg", "true_drift.csv"};
    fib_fmt_txn *txn = NULL;
    const char *sout = NULL; /* the staged output folder */
    {
        fib_status tst =
            cli_txn_folder(&txn, out, ph_outputs,
                           cli_dir_has(out, "true_drift.csv")
                               ? sizeof ph_outputs / sizeof *ph_outputs
                               : 0,
                           &sout, &err);
        if (tst != FIB_OK) {
            fib_fmt_txn_abort(txn);
            return tst == FIB_EIO ? cli_usage_error(CMD, "%s", err.msg)
                                  : cli_fail(CMD, tst, &err);
        }
    }

    fib_phantom *ph = NULL;
    fib_image img = {0}, lab = {0};
    fib_fmt_volume_writer *w = NULL;
    fib_fmt_csv *csv = NULL;
    char path[4096];
    int rc = CLI_EXIT_OK, digits = 4;
    cli_progress_state ps;
    fib_progress prog = cli_progress_make(&ps, false);
    fib_status st = fib_phantom_create(&pp, &ph, &err);
    if (st)
        goto fail;
    pp = fib_phantom_get_params(ph);
    st = fib_image_init(&img, bits == 8 ? FIB_PX_U8 : FIB_PX_U16, pp.nx, pp.ny,
                        &err);
    if (!st)
        st = fib_image_init(&lab, FIB_PX_U8, pp.nx, pp.ny, &err);
    if (st)
        goto fail;
    img.pixel_size_nm[0] = img.pixel_size_nm[1] = pp.pixel_nm;
    snprintf(path, sizeof path, "%s/labels.mrc", sout);
    {
        const double vox[3] = {pp.pixel_nm, pp.pixel_nm, pp.slice_nm};
        st = fib_fmt_volume_writer_create(path, FIB_PX_U8, pp.nx, pp.ny, pp.nz,
                                          vox, NULL, &w, &err);
    }
    if (!st)
        st = fib_fmt_csv_create(&csv, &err);
    if (st)
        goto fail;
    fib_fmt_csv_field(csv, "slice");
    fib_fmt_csv_field(csv, "dx");
    fib_fmt_csv_field(csv, "dy");
    fib_fmt_csv_end_row(csv);
    digits = pp.nz > 9999 ? 5 : 4;
    for (size_t z = 0; z < pp.nz; z++) {
        st = fib_progress_report(&prog, "render", z, pp.nz, &err);
        if (!st)
            st = fib_phantom_render(ph, z, &img, &err);
        if (!st) {
            snprintf(path, sizeof path, "%s/slice_%0*zu.png", sout, digits, z);
            st = fib_fmt_image_write(path, &img, NULL, &err);
        }
        if (!st)
            st = fib_phantom_labels(ph, z, &lab, &err);
        if (!st)
            st = fib_fmt_volume_writer_append(w, &lab, &err);
        if (st)
            goto fail;
        double dx, dy;
        fib_phantom_true_drift(ph, z, &dx, &dy);
        fib_fmt_csv_int(csv, (long long)z);
        fib_fmt_csv_number(csv, dx);
        fib_fmt_csv_number(csv, dy);
        fib_fmt_csv_end_row(csv);
    }
    st = fib_fmt_volume_writer_finish(w, &err);
    if (!st) {
        /* a ready run file: the slice thickness is not in the PNG files */
        char cfg[8192], base[256];
        cli_dir_base(out, "phantom", base, sizeof base);
        const int len = snprintf(
            cfg, sizeof cfg,
            "# recon.cfg -- written by cryofib phantom (%s, seed %llu).\n"
            "# Run:  cryofib recon %s/recon.cfg\n"
            "# Paths are relative to this folder.\n"
            "input = \".\";\nout = \"../%s-recon\";\n"
            "pixel_size_nm = %.17g;\nslice_nm = %.17g;\n",
            fib_phantom_kind_name(pp.kind), (unsigned long long)pp.seed, out,
            base, pp.pixel_nm, pp.slice_nm);
        snprintf(path, sizeof path, "%s/recon.cfg", sout);
        if (len < 0 || (size_t)len >= sizeof cfg)
            st = fib_error_set(&err, FIB_ERANGE, "%s: path too long", path);
        else
            st = fib_fmt_write_file_atomic(path, cfg, (size_t)len, &err);
    }
    if (!st) {
        snprintf(path, sizeof path, "%s/true_drift.csv", sout);
        st = fib_fmt_csv_write(csv, path, &err);
    }
    if (st)
        goto fail;
    cli_progress_done(&ps);
    rc = cli_txn_finish(CMD, txn, CLI_EXIT_OK);
    txn = NULL;
    if (rc != CLI_EXIT_OK)
        goto done;
    printf("cryofib phantom: %s, %zu x %zu x %zu, %g nm pixels, %g nm slices, "
           "seed %llu -> %s\n",
           fib_phantom_kind_name(pp.kind), pp.nx, pp.ny, pp.nz, pp.pixel_nm,
           pp.slice_nm, (unsigned long long)pp.seed, out);
    goto done;
fail:
    cli_progress_done(&ps);
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    rc = cli_fail(CMD, st, &err);
done:
    fib_fmt_volume_writer_destroy(w);
    fib_fmt_csv_destroy(csv);
    fib_image_clear(&img);
    fib_image_clear(&lab);
    fib_phantom_destroy(ph);
    fib_fmt_txn_abort(txn); /* NULL once committed */
    return rc;
}
