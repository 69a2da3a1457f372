/* cmd_demo.c -- `cryofib demo`: the main job on embedded defaults. */
#include <stdio.h>

#include "cli.h"
#include "demo_recon.h"

int cli_cmd_demo(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib demo\n\n"
               "Run the main job on embedded defaults; needs no input "
               "files.\n");
        return CLI_EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error("demo", "unexpected argument '%s' (see --help)",
                               argv[1]);
    printf("cryofib %s demo\n", fib_version_string());
    return cli_demo_recon();
}
