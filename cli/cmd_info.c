/* cmd_info.c -- `cryofib info FILE [--json] [--all]`: what a file holds. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_formats.h"

static void usage(void)
{
    printf("usage: cryofib info FILE [--json] [--all] [--check]\n\n"
           "Print the kind of FILE (png, tiff, mrc, nrrd), its size, pixel "
           "type,\ncompression, pixel/voxel size and the vendor metadata "
           "found (beam,\nkV, current, tilt, HFW, detector, instrument, data "
           "bar rows).\n\n"
           "  --json   the same keys as one JSON object\n"
           "  --all    also every vendor key/value pair\n"
           "  --check  also decode every slice (the header alone does not\n"
           "           show a truncated or corrupt pixel block); a bad one\n"
           "           is an error naming the slice (exit status 2)\n");
}

int cli_cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, 0, 'j'},
                                             {"all", no_argument, 0, 'a'},
                                             {"check", no_argument, 0, 'c'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    fib_job_info_params p = {0};
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "jach", longopts, NULL)) != -1) {
        if (c == 'j')
            p.json = true;
        else if (c == 'a')
            p.all = true;
        else if (c == 'c')
            p.check = true;
        else
            return cli_usage_error(
                "info", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("info", "expected one FILE (see --help)");
    fib_error err = {0};
    const fib_job_env env = {.message = cli_job_message};
    const fib_status st = fib_job_info(&p, argv[optind], &env, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail("info", st, &err);
}
