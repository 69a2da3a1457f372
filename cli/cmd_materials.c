/* cmd_materials.c -- `cryofib materials`: list the materials database
 * (fib_job_materials(), fib/job_physics.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_physics.h"

/* The command's state: the name asked for, the materials file, --json. */
typedef struct cmd_ctx {
    const char *name, *cfg;
    bool json;
} cmd_ctx;

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_materials(c->name, c->cfg, c->json, env, err);
}

int cli_cmd_materials(int argc, char **argv)
{
    static const char *cmd = "materials";
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib materials [NAME|FORMULA] [--json] "
               "[--materials FILE.cfg]\n\n"
               "List the materials database (built-ins plus a user libconfig "
               "file), or show one\nmaterial or parsed formula in detail.\n\n"
               "  --json             machine-readable output\n"
               "  --materials FILE   add/override materials from a libconfig "
               "file\n");
        return CLI_EXIT_OK;
    }
    cmd_ctx c = {.name = NULL};
    const cli_opt rows[] = {CLI_FLAG("json", 'j', &c.json),
                            CLI_STR("materials", 'm', &c.cfg)};
    const int rc =
        cli_getopt(cmd, argc, argv, "+", rows, 2, NULL, NULL, CLI_UNKNOWN);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (argc - optind > 1)
        return cli_usage_error(cmd, "at most one material name expected");
    c.name = optind < argc ? argv[optind] : NULL;
    return cli_job_run(cmd, CLI_JOB_QUIET | CLI_JOB_NO_TXN, run, &c);
}
