/* cmd_convert.c -- `cryofib convert IN OUT`: between PNG, TIFF, MRC and
 * NRRD by extension, keeping voxel sizes. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/formats.h"

static void usage(void)
{
    printf("usage: cryofib convert IN OUT [--gzip] [--keep-databar] "
           "[--compress deflate|lzw] [--max-bytes SIZE]\n\n"
           "Convert an image or volume between PNG, TIFF, MRC and NRRD; the "
           "output\nformat follows OUT's extension (.png .tif .tiff .mrc .map "
           ".rec .nrrd).\nVoxel sizes are kept.  The vendor data bar is "
           "cropped unless\n--keep-databar.  PNG output takes one u8/u16 "
           "image.\n\n"
           "  --gzip           NRRD: gzip encoding\n"
           "  --keep-databar   keep the vendor data bar rows\n"
           "  --compress C     TIFF: deflate or lzw\n"
           "  --max-bytes SIZE refuse inputs with more pixel data (default "
           "4G; the\n                   whole volume is held in memory)\n");
}

/* fib_fmt_volume_write() slice by slice, so that Ctrl-C (a canceled
 * progress report) stops it and the temporary file is removed. */
static fib_status write_volume(const char *out, const fib_volume *vol,
                               const fib_fmt_write_opts *wo,
                               const fib_progress *prog, fib_error *err)
{
    fib_status st = fib_progress_report(prog, "read", 1, 1, err);
    if (st != FIB_OK || fib_fmt_kind_from_path(out) == FIB_FMT_PNG)
        return st != FIB_OK ? st : fib_fmt_volume_write(out, vol, wo, err);
    fib_fmt_volume_writer *w = NULL;
    st = fib_fmt_volume_writer_create(out, vol->type, vol->nx, vol->ny, vol->nz,
                                      vol->voxel_size_nm, wo, &w, err);
    for (size_t z = 0; st == FIB_OK && z < vol->nz; z++) {
        const fib_image s = fib_volume_slice(vol, z);
        st = fib_progress_report(prog, "write", z, vol->nz, err);
        if (st == FIB_OK)
            st = fib_fmt_volume_writer_append(w, &s, err);
    }
    if (st == FIB_OK)
        st = fib_fmt_volume_writer_finish(w, err);
    fib_fmt_volume_writer_destroy(w);
    return st;
}

int cli_cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"gzip", no_argument, 0, 'g'},
        {"keep-databar", no_argument, 0, 'k'},
        {"compress", required_argument, 0, 'c'},
        {"max-bytes", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_fmt_read_opts ro;
    fib_fmt_write_opts wo;
    memset(&ro, 0, sizeof ro);
    memset(&wo, 0, sizeof wo);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "gkc:m:h", longopts, NULL)) != -1) {
        if (c == 'g')
            wo.nrrd_gzip = true;
        else if (c == 'k')
            ro.keep_databar = true;
        else if (c == 'c') {
            if (strcmp(optarg, "deflate") == 0)
                wo.tiff_compression = 1;
            else if (strcmp(optarg, "lzw") == 0)
                wo.tiff_compression = 2;
            else if (strcmp(optarg, "none") == 0)
                wo.tiff_compression = 0;
            else
                return cli_usage_error("convert",
                                       "--compress expects deflate, lzw or "
                                       "none (got '%s')",
                                       optarg);
        } else if (c == 'm') {
            if (!cli_parse_size("convert", "--max-bytes", optarg,
                                &ro.max_bytes))
                return CLI_EXIT_USAGE;
        } else
            return cli_usage_error(
                "convert", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
    }
    if (optind != argc - 2)
        return cli_usage_error("convert", "expected IN and OUT (see --help)");
    const char *in = argv[optind], *out = argv[optind + 1];
    if (fib_fmt_kind_from_path(out) == FIB_FMT_UNKNOWN)
        return cli_usage_error("convert",
                               "%s: unknown output extension (use .png, "
                               ".tif, .tiff, .mrc, .map, .rec or .nrrd)",
                               out);
    cli_inputs ins = {0};
    cli_inputs_add(&ins, in);
    if (cli_check_not_input("convert", NULL, out, ins.p, ins.n))
        return CLI_EXIT_USAGE;
    fib_error err = {0};
    fib_volume vol;
    cli_progress_state ps;
    const fib_progress prog = cli_progress_make(&ps, false);
    fib_status st = fib_fmt_volume_read(in, &ro, &vol, NULL, &err);
    if (st != FIB_OK)
        return cli_fail("convert", st, &err);
    /* through the output transaction (fib/txn.h) */
    fib_fmt_txn *txn = NULL;
    const char *staged = NULL;
    if (fib_fmt_kind_from_path(out) == FIB_FMT_ZARR) {
        /* a folder tree: an earlier store of that name is replaced whole */
        cli_signals_install();
        st = fib_fmt_txn_begin(&txn, &err);
        if (st == FIB_OK)
            st = fib_fmt_txn_tree(txn, out, &staged, &err);
    } else {
        st = cli_txn_file(&txn, out, &staged, &err);
    }
    if (st == FIB_OK)
        st = write_volume(staged, &vol, &wo, &prog, &err);
    cli_progress_done(&ps);
    const size_t nx = vol.nx, ny = vol.ny, nz = vol.nz;
    fib_volume_clear(&vol);
    if (st != FIB_OK) {
        fib_fmt_txn_explain(txn, &err);
        fib_fmt_txn_abort(txn);
        return cli_fail("convert", st, &err);
    }
    const int rc = cli_txn_finish("convert", txn, CLI_EXIT_OK);
    if (rc == CLI_EXIT_OK)
        printf("wrote %s (%zu x %zu x %zu)\n", out, nx, ny, nz);
    return rc;
}
