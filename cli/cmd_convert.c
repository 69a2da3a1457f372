/* cmd_convert.c -- `cryofib convert IN OUT`: between PNG, TIFF, MRC and
 * NRRD by extension, keeping voxel sizes. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_formats.h"

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
    fib_job_convert_params p;
    memset(&p, 0, sizeof p);
    fib_fmt_read_opts *ro = &p.read;
    fib_fmt_write_opts *wo = &p.write;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "gkc:m:h", longopts, NULL)) != -1) {
        if (c == 'g')
            wo->nrrd_gzip = true;
        else if (c == 'k')
            ro->keep_databar = true;
        else if (c == 'c') {
            if (strcmp(optarg, "deflate") == 0)
                wo->tiff_compression = 1;
            else if (strcmp(optarg, "lzw") == 0)
                wo->tiff_compression = 2;
            else if (strcmp(optarg, "none") == 0)
                wo->tiff_compression = 0;
            else
                return cli_usage_error("convert",
                                       "--compress expects deflate, lzw or "
                                       "none (got '%s')",
                                       optarg);
        } else if (c == 'm') {
            if (!cli_parse_size("convert", "--max-bytes", optarg,
                                &ro->max_bytes))
                return CLI_EXIT_USAGE;
        } else
            return cli_usage_error(
                "convert", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
    }
    if (optind != argc - 2)
        return cli_usage_error("convert", "expected IN and OUT (see --help)");
    const char *in = argv[optind], *out = argv[optind + 1];
    fib_error err = {0};
    fib_status st = fib_job_convert_check(out, &err);
    if (st != FIB_OK)
        return cli_fail("convert", st, &err);
    cli_inputs ins = {0};
    cli_inputs_add(&ins, in);
    if (cli_check_not_input("convert", NULL, out, ins.p, ins.n))
        return CLI_EXIT_USAGE;
    cli_progress_state ps;
    fib_job_env env = {.message = cli_job_message};
    env.progress = cli_progress_make(&ps, false);
    cli_signals_install(); /* the output transaction (fib/txn.h) */
    st = fib_fmt_txn_begin(&env.txn, &err);
    if (st == FIB_OK)
        st = fib_job_convert(&p, in, out, &env, NULL, &err);
    cli_progress_done(&ps);
    if (st != FIB_OK) {
        fib_fmt_txn_abort(env.txn);
        return cli_fail("convert", st, &err);
    }
    return cli_txn_finish("convert", env.txn, CLI_EXIT_OK);
}
