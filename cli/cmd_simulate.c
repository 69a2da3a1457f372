/*
 * cmd_simulate.c -- `cryofib simulate LABELS --out DIR`: the slice-and-view
 * digital twin, run by fib_job_simulate() (fib/job_simulate.h): options,
 * the input/output identity check, the output transaction, one job call.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_simulate.h"

#define CMD "simulate"

static void usage(void)
{
    printf(
        "usage: cryofib simulate LABELS --out DIR [options]\n"
        "       cryofib simulate --phantom dendrites|coating|particles --out "
        "DIR [options]\n\n"
        "Render what a FIB-SEM slice-and-view run records from a label volume\n"
        "(TIFF stack, MRC, NRRD; integer labels, at most 16 values; x along\n"
        "the face, y depth below the top surface = row 0, z the milling\n"
        "direction).  Writes DIR/slices/slice_NNNNN_z=Z.ZZZZum.tif (vendor\n"
        "metadata in each TIFF; measured depth in the name, Zeiss Atlas 3D\n"
        "style), DIR/drift_true.csv (slice,dx,dy = the shift a perfect\n"
        "`cryofib recon` reports in drift.csv, then the stage drift, face\n"
        "shift, depth, thickness and gain), DIR/truth_labels.mrc (the labels\n"
        "on the reconstruction grid: what a perfect recon should segment\n"
        "into) and DIR/recon.cfg.  recon/README.md, \"Digital twin\", gives\n"
        "each parameter's physical meaning.\n\n"
        "  --phantom KIND        built-in phantom labels instead of LABELS\n"
        "  --size NXxNYxNZ       phantom size (default 256x256x64)\n"
        "  --voxel-nm X,Y,Z      label voxel size (required when the file "
        "has none)\n"
        "  --vendor thermo|zeiss metadata and default tilt (52 / 54 deg)\n"
        "  --tilt-deg T          beam angle (10..90); --no-tilt: orthogonal\n"
        "  --tilt-corrected      instrument stretches y (no foreshortening)\n"
        "  --no-tracking         face recession not compensated\n"
        "  --pixel-nm P          image pixel (default: voxel x)\n"
        "  --slice-nm T          nominal slice thickness (default: voxel z)\n"
        "  --slices N            number of slices (default: all that fit)\n"
        "  --jitter F            slice thickness sigma / T (default 0.05)\n"
        "  --seed N              PRNG seed (default 1)\n"
        "  --bits 8|16           TIFF depth (default 8); --png: PNG, no "
        "metadata\n"
        "  --grey G0,G1,...      grey per phase in label order (0..1)\n"
        "  --texture A --edge G --psf-px S\n"
        "  --drift-px S --trend-px X,Y --jump-prob P --jump-px L\n"
        "  --curtains A --curtain-width-px W --curtain-fade-nm D\n"
        "  --shading S --gain-drift S --dose N --read-noise S\n"
        "  --shine-nm L          pore-back attenuation length (0 = off)\n"
        "  --frame-stripes A     stripes fixed in the image frame (default "
        "0)\n"
        "                        see recon/README.md; 0 = off for amplitudes\n"
        "  --scale-drift S --shear-drift H --rotation-drift-deg R  slow "
        "affine\n                        distortion over the run (default 0)\n"
        "  --clean               no curtains, shading, gain drift, noise\n"
        "  --static              every slice shows the first face (test "
        "mode)\n"
        "  --no-drift            no stage drift (random walk, trend, jumps)\n"
        "  --quiet               no progress output\n");
}

/* Every option but --out and --quiet is the job's (its names are
 * fib_job_simulate_option()'s). */
/* clang-format off */
#define A CLI_ARG
#define N CLI_NOARG
static const cli_opt lo[] = {
    A("out"), N("quiet"), A("phantom"), A("size"), A("voxel-nm"),
    A("vendor"), A("tilt-deg"), N("no-tilt"), N("tilt-corrected"),
    N("no-tracking"), A("pixel-nm"), A("slice-nm"), A("slices"),
    A("jitter"), A("seed"), A("bits"), N("png"), A("grey"), A("texture"),
    A("edge"), A("psf-px"), A("drift-px"), A("trend-px"), A("jump-prob"),
    A("jump-px"), A("curtains"), A("curtain-width-px"),
    A("curtain-fade-nm"), A("shading"), A("gain-drift"), A("dose"),
    A("read-noise"), A("frame-stripes"), A("shine-nm"), N("static"),
    N("clean"), N("no-drift"), A("scale-drift"), A("shear-drift"), A("rotation-drift-deg")};
#undef A
#undef N
/* clang-format on */

/* The command's state: the job's parameters, --out, --quiet. */
typedef struct cmd_ctx {
    fib_job_simulate_params p;
    const char *out;
    bool quiet;
} cmd_ctx;

static int option(void *ctx, int val, const char *value)
{
    fib_error err = {0};
    const fib_status st = fib_job_simulate_option(
        &((cmd_ctx *)ctx)->p, lo[val - CLI_OPT_AUTO].name, value, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(CMD, st, &err);
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_simulate(&c->p, c->out, env, NULL, err);
}

int cli_cmd_simulate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    cmd_ctx c = {.out = NULL};
    fib_job_simulate_params_init(&c.p);
    cli_opt rows[sizeof lo / sizeof lo[0]];
    memcpy(rows, lo, sizeof lo);
    rows[0].str = &c.out;
    rows[1].flag = &c.quiet;
    int rc = cli_getopt(CMD, argc, argv, "", rows, sizeof lo / sizeof lo[0],
                        option, &c, CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind < argc)
        c.p.labels_path = argv[optind++];
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!c.out)
        return cli_usage_error(CMD, "--out DIR is required");
    if (!c.p.labels_path == !c.p.use_phantom)
        return cli_usage_error(CMD, "expected one LABELS file or --phantom "
                                    "KIND");
    /* the job refuses a run folder that is, or holds, the labels */
    return cli_job_run(CMD, c.quiet ? CLI_JOB_QUIET : 0, run, &c);
}
