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

/* The command's state: the job's parameters and the file. */
typedef struct cmd_ctx {
    fib_job_info_params p;
    const char *path;
} cmd_ctx;

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_info(&c->p, c->path, env, err);
}

int cli_cmd_info(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    cmd_ctx c = {.path = NULL};
    const cli_opt rows[] = {CLI_FLAG("json", 'j', &c.p.json),
                            CLI_FLAG("all", 'a', &c.p.all),
                            CLI_FLAG("check", 'c', &c.p.check)};
    const int rc = cli_getopt("info", argc, argv, "jac", rows, 3, NULL, NULL,
                              CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("info", "expected one FILE (see --help)");
    c.path = argv[optind];
    return cli_job_run("info", CLI_JOB_QUIET | CLI_JOB_NO_TXN, run, &c);
}
