/* main.c -- `cryofib`: one command, many subcommands. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fib/job_mpi.h"

static const cli_command commands[] = {
#define CLI_CMD(name, summary) {#name, summary, cli_cmd_##name},
/* for command words that are not C identifiers ("slice-view") */
#define CLI_CMD_NAMED(name, word, summary) {word, summary, cli_cmd_##name},
#include "commands.h"
#undef CLI_CMD_NAMED
#undef CLI_CMD
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cryofib <command> [options]\n"
            "       cryofib --help | --version\n\n"
            "Cryogenic FIB session planning and FIB-SEM reconstruction.\n\n"
            "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'cryofib <command> --help' for a command's options.\n"
                 "Exit status: 0 success, 1 failure of the work, 2 bad usage "
                 "or bad input.\n");
}

int cli_cmd_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib version\n\nPrint the cryofib version.\n");
        return CLI_EXIT_OK;
    }
    printf("cryofib %s\n", fib_version_string());
    printf("mpi: %s\n", fib_job_mpi_available() ? "yes" : "no");
    return CLI_EXIT_OK;
}

/* Passive OpenMP waiting (house rule: never spin-wait for long on shared
 * machines).  libgomp's default lets a thread that reaches a barrier spin
 * for up to ~300k iterations before it sleeps; with more threads than
 * free cores (another job on the node) every parallel region then waits
 * out the spinning of a descheduled peer: measured on the 2-core machine
 * with two other jobs, a 64^3 skeleton took 0.43 s with 2 spinning
 * threads, 0.047 s passive, 0.043 s with 1 thread.  libgomp reads
 * OMP_WAIT_POLICY when it is loaded, before main(), so when the user has
 * not chosen a policy the command sets PASSIVE and executes itself once
 * more (Linux /proc/self/exe; if that fails it simply runs on).  Results
 * do not depend on it. */
static void passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
}

fib_comm *cli_ranks;

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return cli_cmd_version(1, argv + 1);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cryofib: unknown command '%s' (see 'cryofib --help')\n",
            argv[1]);
    return CLI_EXIT_USAGE;
}

/* Under mpirun (fib/job_mpi.h) rank 0 speaks for all; the others are mute */
int main(int argc, char **argv)
{
    passive_openmp(argv);
    fib_error err = {0};
    fib_status st = fib_job_mpi_begin(&argc, &argv, argc > 1 ? argv[1] : "",
                                      &cli_ranks, &err);
    if (cli_ranks && cli_ranks->rank &&
        (!freopen("/dev/null", "w", stdout) ||
         !freopen("/dev/null", "w", stderr)))
        st = FIB_EIO;
    if (st)
        fprintf(stderr, "cryofib: %s\n", err.msg);
    const int rc = st ? CLI_EXIT_USAGE : run_command(argc, argv);
    fib_job_mpi_end(cli_ranks);
    return rc;
}
