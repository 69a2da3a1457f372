/* test_formats_vendor.c -- the readers on the real vendor files in
 * ../shared/data (each folder's README.md states the facts asserted here).
 * Skips (77) when the shared data are absent. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib_test.h"

typedef struct vendor_case {
    const char *rel;
    size_t w, h; /* stored size */
    fib_pixel_type type;
    double px_nm;       /* pixel size */
    const char *source; /* key it came from */
    fib_fmt_vendor vendor;
    fib_fmt_beam beam;
    double kV;
    size_t databar;    /* data bar rows */
    double tilt_deg;   /* NaN: not checked */
    double current_pA; /* NaN: not checked */
    const char *detector;
    const char *instrument;
} vendor_case;

static const vendor_case CASES[] = {
    {"thermo-helios-pfib-ibeam/gamma_example.tif", 1536, 1024, FIB_PX_U8,
     97.6562, "Scan/PixelWidth", FIB_VENDOR_THERMO_FEI, FIB_BEAM_ION, 20.0, 0,
     0.645764 * 57.29577951308232, 20.0, "ETD", "Helios G4 PFIB UNSPE"},
    {"thermo-helios-pfib-ibeam/test_image_2.tif", 1536, 1024, FIB_PX_U8,
     97.6562, "Scan/PixelWidth", FIB_VENDOR_THERMO_FEI, FIB_BEAM_ION, 30.0, 0,
     (double)NAN, (double)NAN, "ETD", "Helios G4 PFIB UNSPE"},
    {"fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-8bits.tif", 512, 471,
     FIB_PX_U8, 3372.4, "Scan/PixelWidth", FIB_VENDOR_THERMO_FEI,
     FIB_BEAM_ELECTRON, 5.0, 29, 6.54498e-06 * 57.29577951308232, 6.25, "ETD",
     "Helios NanoLab 660"},
    {"fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-16bits.tif", 512, 471,
     FIB_PX_U16, 3372.4, "Scan/PixelWidth", FIB_VENDOR_THERMO_FEI,
     FIB_BEAM_ELECTRON, 5.0, 29, (double)NAN, 6.25, "ETD",
     "Helios NanoLab 660"},
    {"fei-teneo-sem-databar/fei-sem-rbc.tif", 1536, 1094, FIB_PX_U8, 7.70833,
     "Scan/PixelWidth", FIB_VENDOR_THERMO_FEI, FIB_BEAM_ELECTRON, 2.0, 70,
     (double)NAN, 50.0, "ETD", "Teneo"},
    {"zeiss-sem-metadata/test_tiff_Zeiss_SEM_1k.tif", 1024, 768, FIB_PX_U8,
     2615.0, "AP_IMAGE_PIXEL_SIZE", FIB_VENDOR_ZEISS, FIB_BEAM_ELECTRON, 25.0,
     768 - 691, -0.0, 1000.0, "HE-SE2", "Merlin-61-08"},
    {"zeiss-sem-metadata/test_tiff_Zeiss_SEM_512pix.tif", 512, 384, FIB_PX_U8,
     5.825, "AP_PIXEL_SIZE", FIB_VENDOR_ZEISS, FIB_BEAM_ELECTRON, 5.0,
     384 - 350, 0.0, (double)NAN, "InLens", "ULTRA 55-36-06"},
};
enum { N_CASES = sizeof CASES / sizeof CASES[0] };

START_TEST(vendor_file_metadata_and_crop)
{
    const vendor_case *c = &CASES[_i];
    char p[1024];
    ck_assert(fib_test_shared(c->rel, p, sizeof p));
    fib_error err = {0};
    fib_fmt_info info;
    ck_assert_msg(fib_fmt_probe(p, NULL, &info, &err) == FIB_OK, "%s", err.msg);
    ck_assert_int_eq(info.kind, FIB_FMT_TIFF);
    ck_assert_uint_eq(info.nx, c->w);
    ck_assert_uint_eq(info.ny, c->h);
    ck_assert_uint_eq(info.nz, 1);
    ck_assert_int_eq(info.type, c->type);
    const fib_fmt_meta *m = &info.meta;
    ck_assert_int_eq(m->vendor, c->vendor);
    ck_assert_int_eq(m->beam, c->beam);
    ck_assert_msg(fib_test_rel(m->pixel_size_nm[0], c->px_nm) < 1e-9,
                  "%s: pixel size %g nm, expected %g", c->rel,
                  m->pixel_size_nm[0], c->px_nm);
    ck_assert(fib_test_rel(m->pixel_size_nm[1], c->px_nm) < 1e-9);
    ck_assert_str_eq(m->source_key, c->source);
    ck_assert(fib_test_rel(m->hv_kV, c->kV) < 1e-9);
    ck_assert_uint_eq(m->full_height, c->h);
    ck_assert_msg(m->databar_rows == c->databar, "%s: data bar %zu, want %zu",
                  c->rel, m->databar_rows, c->databar);
    if (!isnan(c->tilt_deg))
        ck_assert(fabs(m->stage_tilt_deg - c->tilt_deg) < 1e-6);
    if (!isnan(c->current_pA))
        ck_assert(fib_test_rel(m->current_pA, c->current_pA) < 1e-9);
    ck_assert_str_eq(m->detector, c->detector);
    ck_assert_str_eq(m->instrument, c->instrument);

    fib_image img;
    fib_fmt_meta m2;
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, &m2, &err), FIB_OK);
    ck_assert_uint_eq(img.width, c->w);
    ck_assert_uint_eq(img.height, c->h - c->databar);
    ck_assert(fib_test_rel(img.pixel_size_nm[0], c->px_nm) < 1e-9);
    fib_image_clear(&img);
    fib_fmt_read_opts keep = {.keep_databar = true};
    ck_assert_int_eq(fib_fmt_image_read(p, &keep, &img, NULL, &err), FIB_OK);
    ck_assert_uint_eq(img.height, c->h);
    fib_image_clear(&img);

    char **pairs = NULL;
    size_t np = 0;
    ck_assert_int_eq(fib_fmt_vendor_pairs(p, &pairs, &np, &err), FIB_OK);
    ck_assert_uint_gt(np, 20);
    /* the 1k Zeiss block announces "724" parameters before the pairs */
    if (strstr(c->rel, "Zeiss_SEM_1k"))
        ck_assert_uint_eq(np, 724);
    fib_fmt_pairs_free(pairs, np);
}
END_TEST

START_TEST(fei_helios_16bit_is_8bit_times_256_and_crop_is_blank)
{
    char p8[1024], p16[1024];
    ck_assert(fib_test_shared(
        "fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-8bits.tif", p8,
        sizeof p8));
    ck_assert(fib_test_shared(
        "fei-helios660-ebeam-metadata/FEI-Helios-Ebeam-16bits.tif", p16,
        sizeof p16));
    fib_error err = {0};
    fib_image a, b;
    fib_fmt_read_opts keep = {.keep_databar = true};
    ck_assert_int_eq(fib_fmt_image_read(p8, &keep, &a, NULL, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_image_read(p16, &keep, &b, NULL, &err), FIB_OK);
    double in_image = 0, in_bar = 0;
    for (size_t y = 0; y < a.height; y++)
        for (size_t x = 0; x < a.width; x++) {
            const double v = fib_image_get(&a, x, y);
            ck_assert_double_eq(fib_image_get(&b, x, y), 256.0 * v);
            if (y < 442)
                in_image += v;
            else
                in_bar += v;
        }
    /* README: the image area is blank, the data bar below row 442 is not */
    ck_assert_double_eq(in_image, 0.0);
    ck_assert_double_gt(in_bar, 0.0);
    fib_image_clear(&a);
    fib_image_clear(&b);
}
END_TEST

/* Label fractions from the folders' READMEs. */
START_TEST(multipage_label_volumes)
{
    static const struct {
        const char *rel;
        size_t n[3];
        const char *comp;
        double labels[3];
        double frac[3];
    } V[] = {
        {"nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif",
         {301, 301, 251},
         "packbits",
         {0, 1, 2},
         {0.401, 0.499, 0.100}},
        {"taufactor-electrode/electrode.tiff",
         {256, 256, 256},
         "deflate",
         {0, 85, 170},
         {0.4499, 0.4005, 0.1496}},
    };
    for (int k = 0; k < 2; k++) {
        char p[1024];
        ck_assert(fib_test_shared(V[k].rel, p, sizeof p));
        fib_error err = {0};
        fib_fmt_info info;
        ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
        ck_assert_str_eq(info.compression, V[k].comp);
        fib_volume vol;
        ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                         FIB_OK);
        ck_assert_uint_eq(vol.nx, V[k].n[0]);
        ck_assert_uint_eq(vol.ny, V[k].n[1]);
        ck_assert_uint_eq(vol.nz, V[k].n[2]);
        ck_assert_int_eq(vol.type, FIB_PX_U8);
        size_t count[3] = {0, 0, 0}, other = 0;
        const size_t n = vol.nx * vol.ny * vol.nz;
        const unsigned char *d = vol.data;
        for (size_t i = 0; i < n; i++) {
            int j = 0;
            while (j < 3 && (double)d[i] != V[k].labels[j])
                j++;
            if (j < 3)
                count[j]++;
            else
                other++;
        }
        ck_assert_uint_eq(other, 0);
        for (int j = 0; j < 3; j++)
            ck_assert_msg(fabs((double)count[j] / (double)n - V[k].frac[j]) <
                              6e-4,
                          "%s label %g: %g", V[k].rel, V[k].labels[j],
                          (double)count[j] / (double)n);
        fib_volume_clear(&vol);
    }
}
END_TEST

int main(void)
{
    char probe[1024];
    const bool have = fib_test_shared(
        "thermo-helios-pfib-ibeam/gamma_example.tif", probe, sizeof probe);
    Suite *s = suite_create("formats_vendor");
    TCase *tc = tcase_create("vendor");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, vendor_file_metadata_and_crop, 0, N_CASES);
    tcase_add_test(tc, fei_helios_16bit_is_8bit_times_256_and_crop_is_blank);
    tcase_add_test(tc, multipage_label_volumes);
    suite_add_tcase(s, tc);
    return fib_test_run(s, have ? NULL : "../shared/data not present");
}
