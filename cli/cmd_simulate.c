/*
 * cmd_simulate.c -- `cryofib simulate LABELS --out DIR`: the slice-and-view
 * digital twin (fib/simulate.h).  Reads a label volume (or builds a
 * phantom's), renders the slices with vendor metadata and writes
 * DIR/slices/slice_NNNNN_z=Z.ZZZZum.tif (Zeiss Atlas 3D names: measured
 * depth in the name), DIR/drift_true.csv, DIR/truth_labels.mrc and
 * DIR/recon.cfg.  Nothing is left behind on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/phantom.h"
#include "fib/report.h"
#include "fib/simulate.h"
#include "fib/vendor_out.h"

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
        "  --clean               no curtains, shading, gain drift, noise\n"
        "  --static              every slice shows the first face (test "
        "mode)\n"
        "  --no-drift            no stage drift (random walk, trend, jumps)\n"
        "  --quiet               no progress output\n");
}

enum {
    O_OUT = 256,
    O_PHANTOM,
    O_SIZE,
    O_VOXEL,
    O_VENDOR,
    O_TILT,
    O_NOTILT,
    O_TILTCORR,
    O_NOTRACK,
    O_PIXEL,
    O_SLICE,
    O_SLICES,
    O_JITTER,
    O_SEED,
    O_BITS,
    O_PNG,
    O_GREY,
    O_TEXTURE,
    O_EDGE,
    O_PSF,
    O_DRIFT,
    O_TREND,
    O_JPROB,
    O_JPX,
    O_CURT,
    O_CWIDTH,
    O_CFADE,
    O_SHADE,
    O_GAIN,
    O_DOSE,
    O_READ,
    O_FRAME,
    O_SHINE,
    O_STATIC,
    O_CLEAN,
    O_NODRIFT,
    O_QUIET
};

/* A non-negative amplitude option: 0 switches the artifact off (the
 * library's "negative = none"). */
static bool amp_opt(const char *opt, const char *arg, double max, double *out)
{
    double v;
    if (!cli_parse_double(CMD, opt, arg, &v))
        return false;
    if (!(v >= 0 && v <= max)) {
        cli_usage_error(CMD, "%s must be in [0, %g] (got %g)", opt, max, v);
        return false;
    }
    *out = v > 0 ? v : -1;
    return true;
}

static bool pos_opt(const char *opt, const char *arg, double max, double *out)
{
    double v;
    if (!cli_parse_double(CMD, opt, arg, &v))
        return false;
    if (!(v > 0 && v <= max)) {
        cli_usage_error(CMD, "%s must be in (0, %g] (got %g)", opt, max, v);
        return false;
    }
    *out = v;
    return true;
}

/* Labels from a file: integer types kept, f32 accepted when every value is
 * a non-negative integer (as `measure` does). */
static fib_status read_labels(const char *in, fib_volume *vol, fib_error *err)
{
    fib_status st = fib_fmt_volume_read(in, NULL, vol, NULL, err);
    if (st || vol->type != FIB_PX_F32)
        return st;
    fib_volume u = {0};
    st = fib_volume_init(&u, FIB_PX_U32, vol->nx, vol->ny, vol->nz, err);
    if (st) {
        fib_volume_clear(vol);
        return st;
    }
    const size_t n = vol->nx * vol->ny * vol->nz;
    for (size_t i = 0; i < n; i++) {
        const float f = ((const float *)vol->data)[i];
        if (!(f >= 0) || f != floorf(f) || f > 16777216.0f) {
            fib_volume_clear(&u);
            fib_volume_clear(vol);
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: voxel %zu holds %g, not a label "
                                 "(integer >= 0)",
                                 in, i, (double)f);
        }
        ((uint32_t *)u.data)[i] = (uint32_t)f;
    }
    memcpy(u.voxel_size_nm, vol->voxel_size_nm, sizeof u.voxel_size_nm);
    fib_volume_clear(vol);
    *vol = u;
    return FIB_OK;
}

int cli_cmd_simulate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    static const struct option lo[] = {
        {"out", required_argument, 0, O_OUT},
        {"phantom", required_argument, 0, O_PHANTOM},
        {"size", required_argument, 0, O_SIZE},
        {"voxel-nm", required_argument, 0, O_VOXEL},
        {"vendor", required_argument, 0, O_VENDOR},
        {"tilt-deg", required_argument, 0, O_TILT},
        {"no-tilt", no_argument, 0, O_NOTILT},
        {"tilt-corrected", no_argument, 0, O_TILTCORR},
        {"no-tracking", no_argument, 0, O_NOTRACK},
        {"pixel-nm", required_argument, 0, O_PIXEL},
        {"slice-nm", required_argument, 0, O_SLICE},
        {"slices", required_argument, 0, O_SLICES},
        {"jitter", required_argument, 0, O_JITTER},
        {"seed", required_argument, 0, O_SEED},
        {"bits", required_argument, 0, O_BITS},
        {"png", no_argument, 0, O_PNG},
        {"grey", required_argument, 0, O_GREY},
        {"texture", required_argument, 0, O_TEXTURE},
        {"edge", required_argument, 0, O_EDGE},
        {"psf-px", required_argument, 0, O_PSF},
        {"drift-px", required_argument, 0, O_DRIFT},
        {"trend-px", required_argument, 0, O_TREND},
        {"jump-prob", required_argument, 0, O_JPROB},
        {"jump-px", required_argument, 0, O_JPX},
        {"curtains", required_argument, 0, O_CURT},
        {"curtain-width-px", required_argument, 0, O_CWIDTH},
        {"curtain-fade-nm", required_argument, 0, O_CFADE},
        {"shading", required_argument, 0, O_SHADE},
        {"gain-drift", required_argument, 0, O_GAIN},
        {"dose", required_argument, 0, O_DOSE},
        {"read-noise", required_argument, 0, O_READ},
        {"frame-stripes", required_argument, 0, O_FRAME},
        {"shine-nm", required_argument, 0, O_SHINE},
        {"static", no_argument, 0, O_STATIC},
        {"clean", no_argument, 0, O_CLEAN},
        {"no-drift", no_argument, 0, O_NODRIFT},
        {"quiet", no_argument, 0, O_QUIET},
        {0, 0, 0, 0}};
    fib_sim_params sp = {0};
    sp.seed = 1;
    fib_phantom_params pp = {0};
    const char *out = NULL;
    bool have_phantom = false, zeiss = false, png = false, quiet = false;
    bool tilt_set = false;
    double voxel[3] = {0, 0, 0}, grey[FIB_SIM_MAX_PHASES];
    size_t n_grey = 0;
    int bits = 8;
    fib_error err = {0};
    double v;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case O_OUT:
            out = optarg;
            break;
        case O_PHANTOM:
            if (fib_phantom_kind_parse(optarg, &pp.kind, &err))
                return cli_fail(CMD, FIB_EINVAL, &err);
            have_phantom = true;
            break;
        case O_SIZE: {
            unsigned long a, b, c;
            char tail;
            if (sscanf(optarg, "%lux%lux%lu%c", &a, &b, &c, &tail) != 3 ||
                a < 16 || b < 16 || a > 4096 || b > 4096 || c < 1 || c > 4096)
                return cli_usage_error(CMD,
                                       "--size expects NXxNYxNZ with 16..4096 "
                                       "px and 1..4096 slices (got '%s')",
                                       optarg);
            pp.nx = a;
            pp.ny = b;
            pp.nz = c;
            break;
        }
        case O_VOXEL: {
            char tail;
            const int k = sscanf(optarg, "%lf,%lf,%lf%c", &voxel[0], &voxel[1],
                                 &voxel[2], &tail);
            if (k == 1)
                voxel[1] = voxel[2] = voxel[0];
            if ((k != 1 && k != 3) || !cli_length_nm_ok(voxel[0]) ||
                !cli_length_nm_ok(voxel[1]) || !cli_length_nm_ok(voxel[2]))
                return cli_usage_error(CMD,
                                       "--voxel-nm expects X,Y,Z (or one "
                                       "value) in [0.01, 1e6] nm (got '%s')",
                                       optarg);
            break;
        }
        case O_VENDOR:
            if (strcmp(optarg, "thermo") == 0 || strcmp(optarg, "fei") == 0)
                zeiss = false;
            else if (strcmp(optarg, "zeiss") == 0)
                zeiss = true;
            else
                return cli_usage_error(
                    CMD, "--vendor expects thermo or zeiss (got '%s')", optarg);
            break;
        case O_TILT:
            if (!cli_parse_double(CMD, "--tilt-deg", optarg, &v))
                return CLI_EXIT_USAGE;
            if (!(v >= 10 && v <= 90))
                return cli_usage_error(
                    CMD, "--tilt-deg must be in [10, 90] (got %g)", v);
            sp.tilt_deg = v;
            tilt_set = true;
            break;
        case O_NOTILT:
            sp.tilt_deg = -1;
            tilt_set = true;
            break;
        case O_TILTCORR:
            sp.tilt_corrected = true;
            break;
        case O_NOTRACK:
            sp.no_tracking = true;
            break;
        case O_PIXEL:
            if (!pos_opt("--pixel-nm", optarg, 1e6, &sp.pixel_nm))
                return CLI_EXIT_USAGE;
            if (!cli_length_nm_ok(sp.pixel_nm))
                return cli_usage_error(CMD,
                                       "--pixel-nm must be in [0.01, 1e6] nm "
                                       "(got %g)",
                                       sp.pixel_nm);
            break;
        case O_SLICE:
            if (!pos_opt("--slice-nm", optarg, 1e6, &sp.slice_nm))
                return CLI_EXIT_USAGE;
            if (!cli_length_nm_ok(sp.slice_nm))
                return cli_usage_error(CMD,
                                       "--slice-nm must be in [0.01, 1e6] nm "
                                       "(got %g)",
                                       sp.slice_nm);
            break;
        case O_SLICES: {
            unsigned long n;
            if (!cli_parse_uint(CMD, "--slices", optarg, 1, 100000, &n))
                return CLI_EXIT_USAGE;
            sp.n_slices = n;
            break;
        }
        case O_JITTER:
            if (!amp_opt("--jitter", optarg, 1, &sp.slice_jitter))
                return CLI_EXIT_USAGE;
            break;
        case O_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-' || !optarg[0])
                return cli_usage_error(
                    CMD, "--seed expects a non-negative integer (got '%s')",
                    optarg);
            sp.seed = (uint64_t)s;
            break;
        }
        case O_BITS:
            if (strcmp(optarg, "8") && strcmp(optarg, "16"))
                return cli_usage_error(CMD, "--bits expects 8 or 16 (got '%s')",
                                       optarg);
            bits = atoi(optarg);
            break;
        case O_PNG:
            png = true;
            break;
        case O_GREY: {
            const char *s = optarg;
            n_grey = 0;
            while (*s) {
                char *end = NULL;
                const double g = strtod(s, &end);
                if (end == s || !(g >= 0 && g <= 1) ||
                    n_grey == FIB_SIM_MAX_PHASES || (*end && *end != ','))
                    return cli_usage_error(
                        CMD,
                        "--grey expects up to %d values in [0, 1] separated "
                        "by commas (got '%s')",
                        FIB_SIM_MAX_PHASES, optarg);
                grey[n_grey++] = g;
                s = *end ? end + 1 : end;
            }
            if (!n_grey)
                return cli_usage_error(CMD, "--grey expects values (got '')");
            break;
        }
        case O_TEXTURE:
            if (!amp_opt("--texture", optarg, 1, &sp.texture))
                return CLI_EXIT_USAGE;
            break;
        case O_EDGE:
            if (!amp_opt("--edge", optarg, 10, &sp.edge_gain))
                return CLI_EXIT_USAGE;
            break;
        case O_PSF:
            if (!amp_opt("--psf-px", optarg, 50, &sp.psf_px))
                return CLI_EXIT_USAGE;
            break;
        case O_DRIFT:
            if (!amp_opt("--drift-px", optarg, 100, &sp.drift_px))
                return CLI_EXIT_USAGE;
            break;
        case O_TREND: {
            char tail;
            double a, b;
            if (sscanf(optarg, "%lf,%lf%c", &a, &b, &tail) != 2 ||
                !(fabs(a) <= 100 && fabs(b) <= 100))
                return cli_usage_error(CMD,
                                       "--trend-px expects X,Y within +-100 "
                                       "px/slice (got '%s')",
                                       optarg);
            sp.trend_px[0] = a == 0 && b == 0 ? (double)NAN : a;
            sp.trend_px[1] = b;
            break;
        }
        case O_JPROB:
            if (!amp_opt("--jump-prob", optarg, 1, &sp.jump_prob))
                return CLI_EXIT_USAGE;
            break;
        case O_JPX:
            if (!pos_opt("--jump-px", optarg, 1000, &sp.jump_px))
                return CLI_EXIT_USAGE;
            break;
        case O_CURT:
            if (!amp_opt("--curtains", optarg, 10, &sp.curtain_amp))
                return CLI_EXIT_USAGE;
            break;
        case O_CWIDTH:
            if (!pos_opt("--curtain-width-px", optarg, 1000,
                         &sp.curtain_width_px))
                return CLI_EXIT_USAGE;
            break;
        case O_CFADE:
            if (!pos_opt("--curtain-fade-nm", optarg, 1e9, &sp.curtain_fade_nm))
                return CLI_EXIT_USAGE;
            break;
        case O_SHADE:
            if (!amp_opt("--shading", optarg, 1, &sp.shading))
                return CLI_EXIT_USAGE;
            break;
        case O_GAIN:
            if (!amp_opt("--gain-drift", optarg, 1, &sp.gain_drift))
                return CLI_EXIT_USAGE;
            break;
        case O_DOSE:
            if (!amp_opt("--dose", optarg, 1e12, &sp.dose))
                return CLI_EXIT_USAGE;
            break;
        case O_READ:
            if (!amp_opt("--read-noise", optarg, 10, &sp.read_noise))
                return CLI_EXIT_USAGE;
            break;
        case O_FRAME:
            if (!amp_opt("--frame-stripes", optarg, 1, &sp.frame_stripes))
                return CLI_EXIT_USAGE;
            if (sp.frame_stripes < 0)
                sp.frame_stripes = 0; /* the library default: none */
            break;
        case O_SHINE:
            if (!amp_opt("--shine-nm", optarg, 1e6, &sp.shine_nm))
                return CLI_EXIT_USAGE;
            break;
        case O_STATIC:
            sp.static_face = true;
            break;
        case O_CLEAN:
            sp.curtain_amp = sp.shading = sp.gain_drift = sp.dose =
                sp.read_noise = -1;
            break;
        case O_NODRIFT:
            sp.drift_px = sp.jump_prob = -1;
            sp.trend_px[0] = (double)NAN;
            break;
        case O_QUIET:
            quiet = true;
            break;
        default:
            return cli_usage_error(
                CMD, "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        }
    }
    const char *in = NULL;
    if (optind < argc)
        in = argv[optind++];
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!out)
        return cli_usage_error(CMD, "--out DIR is required");
    if (!in == !have_phantom)
        return cli_usage_error(CMD, "expected one LABELS file or --phantom "
                                    "KIND");
    if (in) { /* the run folder is rewritten: it may not hold the labels */
        cli_inputs ins = {0};
        cli_inputs_add(&ins, in);
        if (cli_check_dir_not_input(CMD, "--out", out, ins.p, ins.n))
            return CLI_EXIT_USAGE;
    }
    if (!tilt_set)
        sp.tilt_deg = zeiss ? 54.0 : 52.0;
    if (n_grey) {
        sp.grey = grey;
        sp.n_grey = n_grey;
    }
    if (png && bits != 8 && bits != 16)
        bits = 8;

    /* the labels */
    fib_volume vol = {0};
    fib_phantom *ph = NULL;
    fib_status st;
    if (have_phantom) {
        pp.seed = sp.seed;
        pp.pixel_nm = voxel[0] > 0 ? voxel[0] : 0;
        pp.slice_nm = voxel[0] > 0 ? voxel[2] : 0;
        st = fib_phantom_create(&pp, &ph, &err);
        if (!st)
            st = fib_sim_phantom_labels(ph, &vol, &err);
        fib_phantom_destroy(ph);
        if (st)
            return cli_fail(CMD, st, &err);
    } else {
        st = read_labels(in, &vol, &err);
        if (st)
            return cli_fail(CMD, st, &err);
        if (voxel[0] > 0)
            memcpy(vol.voxel_size_nm, voxel, sizeof voxel);
        for (int a = 0; a < 3; a++)
            if (!(vol.voxel_size_nm[a] > 0)) {
                fib_volume_clear(&vol);
                return cli_usage_error(CMD,
                                       "%s: voxel size %c not in the file: "
                                       "give --voxel-nm X,Y,Z",
                                       in, "xyz"[a]);
            }
    }
    fib_sim *sim = NULL;
    st = fib_sim_create(&vol, &sp, &sim, &err);
    if (st) {
        fib_volume_clear(&vol);
        return cli_fail(CMD, st, &err);
    }
    const fib_sim_geometry g = fib_sim_get_geometry(sim);
    sp = fib_sim_get_params(sim);

    /* output folder: staged whole by the output transaction (fib/txn.h);
     * an earlier result there is replaced as a whole at the commit */
    static const char *const sim_outputs[] = {"slices", "truth_labels.mrc",
                                              "recon.cfg", "drift_true.csv"};
    char sdir[4096], path[4096 + 128];
    fib_fmt_txn *txn = NULL;
    const char *sout = NULL; /* the staged output folder */
    st = cli_txn_folder(&txn, out, sim_outputs,
                        cli_dir_has(out, "drift_true.csv")
                            ? sizeof sim_outputs / sizeof *sim_outputs
                            : 0,
                        &sout, &err);
    int rc = CLI_EXIT_OK;
    if (st == FIB_OK) {
        snprintf(sdir, sizeof sdir, "%s/slices", sout);
        if (mkdir(sdir, 0777) != 0)
            st = fib_error_set(&err, FIB_EIO,
                               "%s/slices: cannot create "
                               "folder: %s",
                               out, strerror(errno));
    }
    if (st != FIB_OK) {
        rc = st == FIB_EIO ? cli_usage_error(CMD, "%s", err.msg)
                           : cli_fail(CMD, st, &err);
        fib_fmt_txn_abort(txn);
        fib_sim_destroy(sim);
        fib_volume_clear(&vol);
        return rc;
    }

    fib_image img = {0}, lab = {0};
    fib_fmt_volume_writer *w = NULL;
    fib_fmt_csv *csv = NULL;
    cli_progress_state ps;
    fib_progress prog = cli_progress_make(&ps, quiet);
    const bool big = g.labels[g.n_phases - 1] > 255;
    fib_fmt_meta meta;
    fib_fmt_meta_init(&meta);
    meta.vendor = zeiss ? FIB_VENDOR_ZEISS : FIB_VENDOR_THERMO_FEI;
    meta.beam = FIB_BEAM_ELECTRON;
    meta.pixel_size_nm[0] = meta.pixel_size_nm[1] = g.pixel_nm;
    meta.stage_tilt_deg = g.tilt_deg;
    meta.hv_kV = zeiss ? 1.5 : 2.0;
    meta.current_pA = 100.0;
    meta.working_distance_nm = 4.0e6;
    meta.tilt_correction = sp.tilt_corrected ? 1 : 0;
    snprintf(meta.instrument, sizeof meta.instrument, "%s",
             zeiss ? "Crossbeam-simulated" : "Helios simulated (cryofib)");
    snprintf(meta.detector, sizeof meta.detector, "%s", zeiss ? "SE2" : "TLD");

    st = fib_image_init(&img, bits == 8 ? FIB_PX_U8 : FIB_PX_U16, g.nx, g.ny,
                        &err);
    if (!st)
        st = fib_image_init(&lab, big ? FIB_PX_U32 : FIB_PX_U8, g.nx,
                            g.truth_ny, &err);
    snprintf(path, sizeof path, "%s/truth_labels.mrc", sout);
    if (!st) {
        const double vox[3] = {g.pixel_nm, g.pixel_nm, g.slice_nm};
        st = fib_fmt_volume_writer_create(path, big ? FIB_PX_U32 : FIB_PX_U8,
                                          g.nx, g.truth_ny, g.nz, vox, NULL, &w,
                                          &err);
    }
    if (!st)
        st = fib_fmt_csv_create(&csv, &err);
    if (st)
        goto fail;
    {
        static const char *cols[] = {"slice",    "dx",           "dy",
                                     "stage_dx", "stage_dy",     "face_dy",
                                     "z_nm",     "thickness_nm", "gain"};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            fib_fmt_csv_field(csv, cols[i]);
        fib_fmt_csv_end_row(csv);
    }
    for (size_t k = 0; k < g.nz; k++) {
        const fib_sim_slice q = fib_sim_get_slice(sim, k);
        st = fib_progress_report(&prog, "render", k, g.nz, &err);
        if (!st)
            st = fib_sim_render(sim, k, &img, &err);
        if (!st) {
            snprintf(path, sizeof path, "%s/slice_%05zu_z=%.4fum.%s", sdir, k,
                     q.z_nm * 1e-3, png ? "png" : "tif");
            st = png ? fib_fmt_image_write(path, &img, NULL, &err)
                     : fib_fmt_vendor_tiff_write(path, &img, &meta, &err);
        }
        if (!st)
            st = fib_sim_truth_labels(sim, k, &lab, &err);
        if (!st)
            st = fib_fmt_volume_writer_append(w, &lab, &err);
        if (st)
            goto fail;
        fib_fmt_csv_int(csv, (long long)k);
        const double vals[8] = {q.dx,      q.dy,   q.stage_dx,     q.stage_dy,
                                q.face_dy, q.z_nm, q.thickness_nm, q.gain};
        for (int i = 0; i < 8; i++)
            fib_fmt_csv_number(csv, vals[i]);
        fib_fmt_csv_end_row(csv);
    }
    st = fib_fmt_volume_writer_finish(w, &err);
    if (!st) {
        char cfg[8192], base[256];
        cli_dir_base(out, "sim", base, sizeof base);
        const int len = snprintf(
            cfg, sizeof cfg,
            "# recon.cfg -- written by cryofib simulate (%s, seed %llu,\n"
            "# %s metadata, %zu x %zu x %zu, tilt %g deg%s%s).\n"
            "# Run:  cryofib recon %s/recon.cfg\n"
            "# Paths are relative to this folder.\n"
            "input = \"slices/\";\nout = \"../%s-recon\";\n"
            "pixel_size_nm = %.17g;\nslice_nm = %.17g;\n"
            "tilt_deg = %.17g;\ntilt_corrected = %s;\n",
            have_phantom ? fib_phantom_kind_name(pp.kind) : in,
            (unsigned long long)sp.seed, zeiss ? "Zeiss" : "Thermo/FEI", g.nx,
            g.ny, g.nz, g.tilt_deg, sp.tilt_corrected ? ", tilt-corrected" : "",
            sp.no_tracking ? ", face not tracked" : "", out, base, g.pixel_nm,
            g.slice_nm, g.tilt_deg, sp.tilt_corrected ? "true" : "false");
        snprintf(path, sizeof path, "%s/recon.cfg", sout);
        if (len < 0 || (size_t)len >= sizeof cfg)
            st = fib_error_set(&err, FIB_ERANGE, "%s: path too long", path);
        else
            st = fib_fmt_write_file_atomic(path, cfg, (size_t)len, &err);
    }
    if (!st) {
        snprintf(path, sizeof path, "%s/drift_true.csv", sout);
        st = fib_fmt_csv_write(csv, path, &err);
    }
    if (st)
        goto fail;
    cli_progress_done(&ps);
    rc = cli_txn_finish(CMD, txn, CLI_EXIT_OK);
    txn = NULL;
    if (rc != CLI_EXIT_OK)
        goto done;
    printf("cryofib simulate: %zu x %zu x %zu slices (%g nm pixels, %g nm "
           "slices, tilt %g deg, %zu phases), truth %zu x %zu, seed %llu -> "
           "%s\n",
           g.nx, g.ny, g.nz, g.pixel_nm, g.slice_nm, g.tilt_deg, g.n_phases,
           g.nx, g.truth_ny, (unsigned long long)sp.seed, out);
    goto done;
fail:
    cli_progress_done(&ps);
    fib_fmt_txn_explain(txn, &err); /* name the outputs, not the stage */
    rc = cli_fail(CMD, st, &err);
done:
    fib_fmt_volume_writer_destroy(w);
    fib_fmt_csv_destroy(csv);
    fib_image_clear(&img);
    fib_image_clear(&lab);
    fib_sim_destroy(sim);
    fib_volume_clear(&vol);
    fib_fmt_txn_abort(txn); /* NULL once committed */
    return rc;
}
