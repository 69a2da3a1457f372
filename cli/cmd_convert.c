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
           "[--compress C] [--max-bytes SIZE]\n\n"
           "Convert an image or volume between PNG, TIFF, MRC, NRRD and "
           "OME-Zarr; the\noutput format follows OUT's extension (.png .tif "
           ".tiff .mrc .map .rec\n.nrrd .zarr).\nVoxel sizes are kept.  The "
           "vendor data bar is "
           "cropped unless\n--keep-databar.  PNG output takes one u8/u16 "
           "image.\n\n"
           "  --gzip           NRRD: gzip encoding\n"
           "  --keep-databar   keep the vendor data bar rows\n"
           "  --compress C     TIFF: deflate, lzw or none (default); OME-Zarr:"
           "\n                   zlib (default; also deflate), blosc (lz4 + "
           "shuffle, as\n                   zarr-python writes) or none\n"
           "  --max-bytes SIZE refuse inputs with more pixel data (default "
           "4G; the\n                   whole volume is held in memory)\n");
}

/* The command's state: the job's parameters and the operands. */
typedef struct cmd_ctx {
    fib_job_convert_params p;
    const char *in, *out;
} cmd_ctx;

static int option(void *ctx, int c, const char *arg)
{
    fib_job_convert_params *p = &((cmd_ctx *)ctx)->p;
    if (c == 'm')
        return cli_parse_size("convert", "--max-bytes", arg, &p->read.max_bytes)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    fib_error err = {0}; /* --compress: the names are the job's */
    return fib_job_convert_compress(arg, &p->write, &err)
               ? cli_usage_error("convert", "%s", err.msg)
               : CLI_EXIT_OK;
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_convert(&c->p, c->in, c->out, env, NULL, err);
}

int cli_cmd_convert(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    cmd_ctx c;
    memset(&c, 0, sizeof c);
    const cli_opt rows[] = {
        CLI_FLAG("gzip", 'g', &c.p.write.nrrd_gzip),
        CLI_FLAG("keep-databar", 'k', &c.p.read.keep_databar),
        CLI_VAL("compress", 'c'), CLI_VAL("max-bytes", 'm')};
    int rc = cli_getopt("convert", argc, argv, "gkc:m:", rows, 4, option, &c,
                        CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 2)
        return cli_usage_error("convert", "expected IN and OUT (see --help)");
    c.in = argv[optind];
    c.out = argv[optind + 1];
    /* the job checks OUT's kind and refuses an OUT that is IN; the output
     * transaction */
    return cli_job_run("convert", 0, run, &c);
}
