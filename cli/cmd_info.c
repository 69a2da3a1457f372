/* cmd_info.c -- `cryofib info FILE [--json] [--all]`: what a file holds. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/report.h"

static const char *vendor_name(fib_fmt_vendor v)
{
    switch (v) {
    case FIB_VENDOR_THERMO_FEI:
        return "thermo-fei";
    case FIB_VENDOR_ZEISS:
        return "zeiss";
    case FIB_VENDOR_IMAGEJ:
        return "imagej";
    default:
        return "none";
    }
}

static const char *beam_name(fib_fmt_beam b)
{
    return b == FIB_BEAM_ELECTRON ? "electron"
           : b == FIB_BEAM_ION    ? "ion"
                                  : "unknown";
}

static void print_num(const char *label, double v, const char *unit)
{
    if (isfinite(v))
        printf("%-16s %.6g %s\n", label, v + 0.0, unit);
}

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
    bool json = false, all = false, check = false;
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "jach", longopts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'a')
            all = true;
        else if (c == 'c')
            check = true;
        else
            return cli_usage_error(
                "info", "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("info", "expected one FILE (see --help)");
    const char *path = argv[optind];
    fib_error err = {0};
    fib_fmt_info info;
    fib_status st = fib_fmt_probe(path, NULL, &info, &err);
    if (st != FIB_OK)
        return cli_fail("info", st, &err);
    /* --check: every slice decoded, one at a time (bounded memory) */
    size_t checked = 0;
    for (size_t z = 0; check && z < (info.nz ? info.nz : 1); z++) {
        fib_fmt_read_opts ro = {0};
        ro.page = z;
        ro.keep_databar = true;
        fib_image im = {0};
        st = fib_fmt_image_read(path, &ro, &im, NULL, &err);
        fib_image_clear(&im);
        if (st != FIB_OK) {
            if (info.nz > 1)
                fib_error_prefix(&err, "slice %zu of %zu: ", z, info.nz);
            return cli_fail("info", st, &err);
        }
        checked++;
    }
    char **pairs = NULL;
    size_t np = 0;
    if (all && fib_fmt_vendor_pairs(path, &pairs, &np, &err) != FIB_OK)
        return cli_fail("info", err.code, &err);
    const fib_fmt_meta *m = &info.meta;
    const size_t image_rows =
        m->databar_rows < info.ny ? info.ny - m->databar_rows : info.ny;
    if (json) {
        fib_fmt_json *j = NULL;
        if ((st = fib_fmt_json_create(2, &j, &err)) != FIB_OK) {
            fib_fmt_pairs_free(pairs, np);
            return cli_fail("info", st, &err);
        }
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_string(j, "file", path);
        fib_fmt_json_kv_string(j, "kind", fib_fmt_kind_name(info.kind));
        fib_fmt_json_kv_int(j, "width", (long long)info.nx);
        fib_fmt_json_kv_int(j, "height", (long long)info.ny);
        fib_fmt_json_kv_int(j, "depth", (long long)info.nz);
        fib_fmt_json_kv_string(j, "pixel_type", fib_pixel_type_name(info.type));
        fib_fmt_json_kv_string(j, "compression", info.compression);
        fib_fmt_json_kv_bool(j, "tiled", info.tiled);
        if (check)
            fib_fmt_json_kv_int(j, "slices_checked", (long long)checked);
        fib_fmt_json_kv_number(j, "pixel_size_x_nm", m->pixel_size_nm[0]);
        fib_fmt_json_kv_number(j, "pixel_size_y_nm", m->pixel_size_nm[1]);
        fib_fmt_json_kv_number(j, "voxel_depth_nm", m->voxel_depth_nm);
        fib_fmt_json_kv_string(j, "pixel_size_source", m->source_key);
        fib_fmt_json_kv_string(j, "vendor", vendor_name(m->vendor));
        fib_fmt_json_kv_string(j, "beam", beam_name(m->beam));
        fib_fmt_json_kv_number(j, "hv_kV", m->hv_kV);
        fib_fmt_json_kv_number(j, "current_pA", m->current_pA);
        fib_fmt_json_kv_number(j, "stage_tilt_deg", m->stage_tilt_deg);
        fib_fmt_json_kv_number(j, "hfw_nm", m->hfw_nm);
        fib_fmt_json_kv_number(j, "working_distance_nm",
                               m->working_distance_nm);
        if (m->tilt_correction < 0)
            fib_fmt_json_kv_string(j, "tilt_correction", "unknown");
        else
            fib_fmt_json_kv_bool(j, "tilt_correction", m->tilt_correction == 1);
        fib_fmt_json_kv_string(j, "detector", m->detector);
        fib_fmt_json_kv_string(j, "instrument", m->instrument);
        fib_fmt_json_kv_int(j, "databar_rows", (long long)m->databar_rows);
        fib_fmt_json_kv_int(j, "image_rows", (long long)image_rows);
        if (all) {
            fib_fmt_json_key(j, "vendor_pairs");
            fib_fmt_json_begin_object(j);
            for (size_t i = 0; i < np; i++)
                fib_fmt_json_kv_string(j, pairs[2 * i], pairs[2 * i + 1]);
            fib_fmt_json_end_object(j);
        }
        fib_fmt_json_end_object(j);
        const char *text = NULL;
        st = fib_fmt_json_text(j, &text, &err);
        if (st == FIB_OK)
            fputs(text, stdout);
        fib_fmt_json_destroy(j);
        fib_fmt_pairs_free(pairs, np);
        return st == FIB_OK ? CLI_EXIT_OK : cli_fail("info", st, &err);
    }
    printf("%-16s %s\n", "file", path);
    printf("%-16s %s\n", "kind", fib_fmt_kind_name(info.kind));
    printf("%-16s %zu x %zu x %zu\n", "dimensions", info.nx, info.ny, info.nz);
    printf("%-16s %s\n", "pixel type", fib_pixel_type_name(info.type));
    printf("%-16s %s%s\n", "compression", info.compression,
           info.tiled ? " (tiled)" : "");
    if (check)
        printf("%-16s %zu slice%s decoded\n", "check", checked,
               checked == 1 ? "" : "s");
    if (isfinite(m->pixel_size_nm[0]))
        printf("%-16s %.6g x %.6g nm%s%s%s\n", "pixel size",
               m->pixel_size_nm[0], m->pixel_size_nm[1],
               m->source_key[0] ? " (from " : "", m->source_key,
               m->source_key[0] ? ")" : "");
    else
        printf("%-16s unknown\n", "pixel size");
    print_num("voxel depth", m->voxel_depth_nm, "nm");
    printf("%-16s %s\n", "vendor", vendor_name(m->vendor));
    if (m->beam != FIB_BEAM_UNKNOWN)
        printf("%-16s %s\n", "beam", beam_name(m->beam));
    print_num("hv", m->hv_kV, "kV");
    print_num("current", m->current_pA, "pA");
    print_num("stage tilt", m->stage_tilt_deg, "deg");
    print_num("hfw", m->hfw_nm / 1e3, "um");
    print_num("working dist", m->working_distance_nm / 1e6, "mm");
    if (m->tilt_correction >= 0)
        printf("%-16s %s\n", "tilt correction",
               m->tilt_correction ? "on" : "off");
    if (m->detector[0])
        printf("%-16s %s\n", "detector", m->detector);
    if (m->instrument[0])
        printf("%-16s %s\n", "instrument", m->instrument);
    if (m->vendor == FIB_VENDOR_THERMO_FEI || m->vendor == FIB_VENDOR_ZEISS)
        printf("%-16s %zu (image rows %zu)\n", "data bar rows", m->databar_rows,
               image_rows);
    for (size_t i = 0; i < np; i++)
        printf("  %s = %s\n", pairs[2 * i], pairs[2 * i + 1]);
    fib_fmt_pairs_free(pairs, np);
    return CLI_EXIT_OK;
}
