/* cmd_workflow.c -- `cryofib workflow`: cryo workflow 1-4 for a session. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/planner.h"
#include "fib/report.h"
#include "fib/materials_cfg.h"
#include "fib/session_cfg.h"
#include "plan_out.h"
#include "session_out.h"

static const char *cmd = "workflow";

static void usage(void)
{
    printf("usage: cryofib workflow SESSION.cfg [--json FILE] [--materials "
           "FILE]\n\n"
           "Recommend the cryogenic workflow (1-4, Shin et al., Table 1; 0 = "
           "conventional\nroom-temperature FIB) from the sample's "
           "sensitivities (sample.sensitive, or the\nlayers' database flags) "
           "and size (sample.nanoscale), with the equipment it\nneeds and "
           "what it protects against, checked against the session's "
           "temperature:\na room-temperature session of a sample that needs "
           "cryo milling is a warning.\n");
}

int cli_cmd_workflow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", required_argument, NULL, 'j'},
        {"materials", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *json = NULL, *mats = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hj:m:", opts, NULL)) != -1) {
        if (ch == 'h') {
            usage();
            return CLI_EXIT_OK;
        }
        if (ch == 'j')
            json = optarg;
        else if (ch == 'm')
            mats = optarg;
        else
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one SESSION.cfg; see --help");
    if (cli_check_not_input(cmd, "--json", json,
                            (const char *const[]){argv[optind], mats}, 2))
        return CLI_EXIT_USAGE;
    fib_error err = {0};
    fib_plan_materials *db = NULL;
    fib_fmt_json *j = NULL;
    fib_plan_request req;
    unsigned sens = 0;
    int rc = CLI_EXIT_OK;
    fib_status st = fib_plan_materials_create(&db, &err);
    if (st == FIB_OK && mats)
        st = fib_fmt_materials_cfg_load(db, mats, &err);
    if (st == FIB_OK)
        st = fib_fmt_session_read(argv[optind], db, NULL, &req, &err);
    if (st == FIB_OK)
        st = fib_plan_request_sens(&req, db, &sens, &err);
    if (st != FIB_OK) {
        rc = cli_fail(cmd, st, &err);
        goto done;
    }
    fib_plan_workflow w = fib_plan_workflow_recommend(sens, req.nanoscale);
    printf("session: %s\n", req.name[0] ? req.name : "(unnamed)");
    cli_print_workflow(&w, sens);
    /* checked against the session's own temperature */
    cli_print_workflow_check(&w, req.cryo);
    if (json) {
        st = fib_fmt_json_create(2, &j, &err);
        if (st == FIB_OK) {
            char sb[160];
            fib_fmt_json_begin_object(j);
            fib_fmt_json_key(j, "workflow");
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_int(j, "number", w.number);
            fib_fmt_json_kv_string(j, "summary", w.summary);
            fib_fmt_json_kv_string(j, "reason", w.reason);
            fib_fmt_json_key(j, "requires");
            fib_fmt_json_begin_array(j);
            for (int i = 0; i < 6 && w.requires[i]; i++)
                fib_fmt_json_string(j, w.requires[i]);
            fib_fmt_json_end_array(j);
            fib_fmt_json_key(j, "protects");
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_bool(j, "electron_beam", w.protects_ebeam);
            fib_fmt_json_kv_bool(j, "air_moisture", w.protects_air);
            fib_fmt_json_kv_bool(j, "ion_beam", w.protects_ion);
            fib_fmt_json_kv_bool(j, "thermal", w.protects_thermal);
            fib_fmt_json_end_object(j);
            fib_fmt_json_kv_string(j, "sensitivities",
                                   fib_plan_sens_string(sens, sb, sizeof sb));
            fib_fmt_json_kv_bool(j, "nanoscale", req.nanoscale);
            cli_json_workflow_check(j, &w, req.cryo);
            fib_fmt_json_end_object(j);
            fib_fmt_json_end_object(j);
            /* through the output transaction (fib/txn.h) */
            fib_fmt_txn *txn = NULL;
            const char *staged = NULL;
            st = cli_txn_file(&txn, json, &staged, &err);
            if (st == FIB_OK)
                st = fib_fmt_json_write(j, staged, &err);
            if (st != FIB_OK) {
                fib_fmt_txn_explain(txn, &err);
                fib_fmt_txn_abort(txn);
            } else
                rc = cli_txn_finish(cmd, txn, CLI_EXIT_OK);
        }
        if (st != FIB_OK)
            rc = cli_fail(cmd, st, &err);
    }
done:
    fib_fmt_json_destroy(j);
    fib_plan_materials_destroy(db);
    return rc;
}
