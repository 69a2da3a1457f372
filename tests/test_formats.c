/* test_formats.c -- PNG/TIFF/MRC/NRRD round trips, conversions, vendor
 * metadata on tiny fixtures (tests/data/fmt_*, made by
 * tests/data/make_format_fixtures.py), bad input and atomic output. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fib/formats.h"
#include "fib_test.h"

static char tmpdir[512];

static void setup(void)
{
    fib_test_tmpdir(tmpdir, sizeof tmpdir);
    ck_assert(tmpdir[0] != '\0');
}

static void teardown(void)
{
    fib_test_rmdir(tmpdir);
}

static void tpath(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

/* Copy the first @p keep bytes of @p src to @p dst. */
static void truncate_copy(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb");
    ck_assert_ptr_nonnull(in);
    char *buf = malloc((size_t)keep);
    ck_assert_uint_eq(fread(buf, 1, (size_t)keep, in), (size_t)keep);
    fclose(in);
    write_bytes(dst, buf, (size_t)keep);
    free(buf);
}

static long file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (long)st.st_size;
}

/* Run the system python on a snippet with FILE as argv[1]; 77 when the
 * module is missing (checked by the snippet), else its exit status. */
static int py_check(const char *module, const char *code, const char *file)
{
    const char *py = getenv("FIB_PYTHON");
    if (!py || !*py)
        return 77;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -c 'import %s' 2>/dev/null", py, module);
    if (system(cmd) != 0)
        return 77;
    snprintf(cmd, sizeof cmd, "%s -c '%s' '%s'", py, code, file);
    const int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : 1;
}

static fib_volume make_volume(fib_pixel_type t, size_t nx, size_t ny, size_t nz)
{
    fib_volume v;
    fib_error err = {0};
    ck_assert_int_eq(fib_volume_init(&v, t, nx, ny, nz, &err), FIB_OK);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                double val = (double)((x * 37 + y * 101 + z * 1009) % 251);
                if (t == FIB_PX_U16)
                    val = (double)((x * 3001 + y * 17 + z * 7919) % 65536);
                else if (t == FIB_PX_F32)
                    val = -3.25 + 0.125 * (double)x - 0.5 * (double)y +
                          (double)z * 1e3;
                else if (t == FIB_PX_U32)
                    val = (double)(x + 1000 * y + 100000 * z);
                fib_volume_set(&v, x, y, z, val);
            }
    v.voxel_size_nm[0] = 4.5;
    v.voxel_size_nm[1] = 5.25;
    v.voxel_size_nm[2] = 10.0;
    return v;
}

static void assert_same_values(const fib_volume *a, const fib_volume *b)
{
    ck_assert_uint_eq(a->nx, b->nx);
    ck_assert_uint_eq(a->ny, b->ny);
    ck_assert_uint_eq(a->nz, b->nz);
    for (size_t z = 0; z < a->nz; z++)
        for (size_t y = 0; y < a->ny; y++)
            for (size_t x = 0; x < a->nx; x++)
                ck_assert_double_eq(fib_volume_get(a, x, y, z),
                                    fib_volume_get(b, x, y, z));
}

/* --- PNG ---------------------------------------------------------------- */

START_TEST(png_u16_round_trip_bit_exact)
{
    char p[600];
    tpath(p, sizeof p, "a.png");
    fib_error err = {0};
    fib_image img;
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U16, 37, 23, &err), FIB_OK);
    for (size_t y = 0; y < 23; y++)
        for (size_t x = 0; x < 37; x++)
            ((uint16_t *)fib_image_row(&img, y))[x] =
                (uint16_t)((x * 1237 + y * 4099 + 1) * 7 % 65536);
    ((uint16_t *)img.data)[0] = 65535;
    ((uint16_t *)img.data)[1] = 0;
    img.pixel_size_nm[0] = 97.65625;
    img.pixel_size_nm[1] = 3.3724e3;
    ck_assert_int_eq(fib_fmt_image_write(p, &img, NULL, &err), FIB_OK);
    fib_image back;
    fib_fmt_meta meta;
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &back, &meta, &err), FIB_OK);
    ck_assert_int_eq(back.type, FIB_PX_U16);
    ck_assert_uint_eq(back.width, 37);
    ck_assert_uint_eq(back.height, 23);
    for (size_t y = 0; y < 23; y++)
        ck_assert_int_eq(
            memcmp(fib_image_row(&img, y), fib_image_row(&back, y), 37 * 2), 0);
    ck_assert_double_eq(back.pixel_size_nm[0], 97.65625);
    ck_assert_double_eq(back.pixel_size_nm[1], 3.3724e3);
    fib_fmt_info info;
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
    ck_assert_int_eq(info.kind, FIB_FMT_PNG);
    ck_assert_int_eq(info.type, FIB_PX_U16);
    fib_image_clear(&img);
    fib_image_clear(&back);
}
END_TEST

START_TEST(png_u8_strided_view_round_trip)
{
    char p[600];
    tpath(p, sizeof p, "b.png");
    fib_error err = {0};
    fib_image img, view, back;
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_U8, 30, 20, &err), FIB_OK);
    for (size_t y = 0; y < 20; y++)
        for (size_t x = 0; x < 30; x++)
            fib_image_set(&img, x, y, (double)((x * 7 + y * 13) % 256));
    ck_assert_int_eq(fib_image_view(&img, 3, 2, 11, 9, &view, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_image_write(p, &view, NULL, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &back, NULL, &err), FIB_OK);
    ck_assert_uint_eq(back.width, 11);
    for (size_t y = 0; y < 9; y++)
        for (size_t x = 0; x < 11; x++)
            ck_assert_double_eq(fib_image_get(&back, x, y),
                                fib_image_get(&img, x + 3, y + 2));
    ck_assert_double_eq(back.pixel_size_nm[0], 0.0);
    fib_image_clear(&img);
    fib_image_clear(&back);
}
END_TEST

static double luma(double r, double g, double b)
{
    return floor(0.2126 * r + 0.7152 * g + 0.0722 * b + 0.5);
}

START_TEST(png_colour_inputs_become_bt709_luma)
{
    char p[600];
    fib_error err = {0};
    fib_image img;
    fib_test_data("fmt_rgb8.png", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_int_eq(img.type, FIB_PX_U8);
    for (size_t y = 0; y < 3; y++)
        for (size_t x = 0; x < 4; x++)
            ck_assert_double_eq(fib_image_get(&img, x, y),
                                luma(60.0 * (double)x, 100.0 * (double)y,
                                     30.0 * (double)(x + y)));
    fib_image_clear(&img);
    /* 16-bit RGBA: alpha dropped, no gamma despite the gAMA chunk */
    fib_test_data("fmt_rgba16.png", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_int_eq(img.type, FIB_PX_U16);
    for (size_t y = 0; y < 2; y++)
        for (size_t x = 0; x < 3; x++)
            ck_assert_double_eq(
                fib_image_get(&img, x, y),
                luma(20000.0 * (double)x, 30000.0 * (double)y, 1000.0));
    fib_image_clear(&img);
    fib_test_data("fmt_pal8.png", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 0, 0), luma(255, 0, 0));
    ck_assert_double_eq(fib_image_get(&img, 1, 0), luma(0, 255, 0));
    ck_assert_double_eq(fib_image_get(&img, 2, 0), luma(0, 0, 255));
    ck_assert_double_eq(fib_image_get(&img, 3, 0), luma(10, 20, 30));
    fib_image_clear(&img);
    fib_test_data("fmt_ga8.png", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    for (size_t y = 0; y < 2; y++)
        for (size_t x = 0; x < 2; x++)
            ck_assert_double_eq(fib_image_get(&img, x, y),
                                10.0 + 50.0 * (double)(x + 2 * y));
    /* pHYs alone (no fib text chunk): 2e8 and 1.25e8 pixels per metre */
    ck_assert_double_eq(img.pixel_size_nm[0], 5.0);
    ck_assert_double_eq(img.pixel_size_nm[1], 8.0);
    fib_image_clear(&img);
}
END_TEST

START_TEST(png_rejects_float_and_leaves_nothing)
{
    char p[600];
    tpath(p, sizeof p, "f.png");
    fib_error err = {0};
    fib_image img;
    ck_assert_int_eq(fib_image_init(&img, FIB_PX_F32, 4, 4, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_image_write(p, &img, NULL, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "f.png"));
    ck_assert_uint_eq(count_files(tmpdir), 0);
    fib_image_clear(&img);
}
END_TEST

/* --- TIFF --------------------------------------------------------------- */

START_TEST(tiff_fixtures_tiled_signed_float_rgb_pages)
{
    char p[600];
    fib_error err = {0};
    fib_image img;
    fib_volume vol;
    fib_fmt_info info;
    fib_test_data("fmt_tiled_u16.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
    ck_assert(info.tiled);
    ck_assert_str_eq(info.compression, "deflate");
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_uint_eq(img.width, 40);
    ck_assert_uint_eq(img.height, 30);
    for (size_t y = 0; y < 30; y++)
        for (size_t x = 0; x < 40; x++)
            ck_assert_double_eq(fib_image_get(&img, x, y),
                                1000.0 * (double)x + (double)y);
    fib_image_clear(&img);

    fib_test_data("fmt_int16.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_int_eq(img.type, FIB_PX_U16);
    for (size_t y = 0; y < 4; y++)
        for (size_t x = 0; x < 5; x++) /* int16 shifted by +32768 */
            ck_assert_double_eq(fib_image_get(&img, x, y),
                                3000.0 * (double)(x + 5 * y));
    fib_image_clear(&img);

    fib_test_data("fmt_f64.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_int_eq(img.type, FIB_PX_F32);
    ck_assert_double_eq(fib_image_get(&img, 5, 4), 2.5 - 1.0);
    fib_image_clear(&img);

    fib_test_data("fmt_rgb_zlib.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    for (size_t y = 0; y < 3; y++)
        for (size_t x = 0; x < 4; x++)
            ck_assert_double_eq(fib_image_get(&img, x, y),
                                luma(60.0 * (double)x, 100.0 * (double)y,
                                     30.0 * (double)(x + y)));
    fib_image_clear(&img);

    fib_test_data("fmt_pal8.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 0, 0), luma(255, 0, 0));
    ck_assert_double_eq(fib_image_get(&img, 1, 0), luma(0, 255, 0));
    ck_assert_double_eq(fib_image_get(&img, 2, 0), luma(0, 0, 255));
    fib_image_clear(&img);

    fib_test_data("fmt_pages_be.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_uint_eq(vol.nz, 3);
    for (size_t z = 0; z < 3; z++)
        for (size_t y = 0; y < 6; y++)
            for (size_t x = 0; x < 8; x++)
                ck_assert_double_eq(fib_volume_get(&vol, x, y, z),
                                    (double)(10 * z + x + 8 * y));
    fib_volume_clear(&vol);
    fib_fmt_read_opts ro = {.page = 2};
    ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 1, 1), 20.0 + 1.0 + 8.0);
    fib_image_clear(&img);
    ro.page = 3;
    ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err), FIB_ERANGE);
}
END_TEST

START_TEST(tiff_stack_round_trip_all_types_and_compressions)
{
    static const fib_pixel_type types[] = {FIB_PX_U8, FIB_PX_U16, FIB_PX_F32,
                                           FIB_PX_U32};
    for (int c = 0; c < 3; c++) {
        for (size_t t = 0; t < 4; t++) {
            char p[600];
            char name[64];
            snprintf(name, sizeof name, "s%d_%zu.tif", c, t);
            tpath(p, sizeof p, name);
            fib_error err = {0};
            fib_volume v = make_volume(types[t], 19, 13, 4), back;
            fib_fmt_write_opts wo = {.tiff_compression = c};
            ck_assert_int_eq(fib_fmt_volume_write(p, &v, &wo, &err), FIB_OK);
            fib_fmt_meta meta;
            ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &back, &meta, &err),
                             FIB_OK);
            ck_assert_int_eq(back.type, types[t]);
            assert_same_values(&v, &back);
            ck_assert_int_eq(meta.vendor, FIB_VENDOR_IMAGEJ);
            ck_assert(fib_test_rel(back.voxel_size_nm[0], 4.5) < 1e-6);
            ck_assert(fib_test_rel(back.voxel_size_nm[1], 5.25) < 1e-6);
            ck_assert(fib_test_rel(back.voxel_size_nm[2], 10.0) < 1e-9);
            fib_volume_clear(&v);
            fib_volume_clear(&back);
        }
    }
}
END_TEST

START_TEST(tiff_imagej_stack_opens_in_tifffile_with_voxel_size)
{
    char p[600];
    tpath(p, sizeof p, "ij.tif");
    fib_error err = {0};
    fib_volume v = make_volume(FIB_PX_U16, 16, 8, 5);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = 20.0;
    v.voxel_size_nm[2] = 30.0;
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, &err), FIB_OK);
    const int r =
        py_check("tifffile",
                 "import sys,tifffile\n"
                 "t=tifffile.TiffFile(sys.argv[1]); m=t.imagej_metadata\n"
                 "ok = t.is_imagej and m[\"images\"]==5 and m[\"slices\"]==5\n"
                 "ok = ok and abs(m[\"spacing\"]-0.03)<1e-9 and "
                 "m[\"unit\"]==\"micron\"\n"
                 "x = t.pages[0].tags[\"XResolution\"].value\n"
                 "ok = ok and abs(x[0]/x[1]-50.0)<1e-3\n"
                 "ok = ok and t.asarray().shape==(5,8,16)\n"
                 "o = [p.dataoffsets[0] for p in t.pages]\n"
                 "ok = ok and all(o[i]==o[0]+i*8*16*2 for i in range(5))\n"
                 "import numpy as np\n"
                 "z,y,x = np.mgrid[0:5,0:8,0:16]\n"
                 "ok = ok and (t.asarray()==(x*3001+y*17+z*7919)%65536).all()\n"
                 "sys.exit(0 if ok else 1)",
                 p);
    if (r != 77)
        ck_assert_int_eq(r, 0);
    /* compressed: "slices" only (ImageJ then walks the IFDs), LZW */
    fib_fmt_write_opts lzw = {.tiff_compression = 2};
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, &lzw, &err), FIB_OK);
    const int r2 = py_check(
        "tifffile",
        "import sys,tifffile\n"
        "t=tifffile.TiffFile(sys.argv[1]); m=t.imagej_metadata\n"
        "d=t.pages[0].description\n"
        "ok = m[\"slices\"]==5 and \"images=\" not in d and len(t.pages)==5\n"
        "ok = ok and t.pages[0].compression==5\n"
        "sys.exit(0 if ok else 1)",
        p);
    if (r2 != 77)
        ck_assert_int_eq(r2, 0);
    fib_volume_clear(&v);
}
END_TEST

/* One IFD, images=3, slices stored back to back (ImageJ > 4 GiB style). */
START_TEST(tiff_imagej_contiguous_stack)
{
    char p[600], q[600];
    fib_error err = {0};
    fib_volume vol;
    fib_image img;
    fib_test_data("fmt_ij_contig.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_uint_eq(vol.nz, 3);
    for (size_t z = 0; z < 3; z++)
        for (size_t y = 0; y < 3; y++)
            for (size_t x = 0; x < 4; x++)
                ck_assert_double_eq(fib_volume_get(&vol, x, y, z),
                                    (double)(100 * z + 10 * y + x));
    ck_assert(fib_test_rel(vol.voxel_size_nm[0], 50.0) < 1e-6);
    ck_assert(fib_test_rel(vol.voxel_size_nm[2], 250.0) < 1e-12);
    fib_volume_clear(&vol);
    fib_fmt_read_opts ro = {.page = 2};
    ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 3, 2), 223.0);
    fib_image_clear(&img);
    ro.page = 3;
    ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err), FIB_ERANGE);
    fib_error_clear(&err);
    /* images=3 but IFDs between the slices: the IFDs are walked */
    fib_test_data("fmt_ij_gaps.tif", q, sizeof q);
    ck_assert_int_eq(fib_fmt_volume_read(q, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_uint_eq(vol.nz, 3);
    for (size_t z = 0; z < 3; z++)
        for (size_t y = 0; y < 6; y++)
            for (size_t x = 0; x < 8; x++)
                ck_assert_double_eq(fib_volume_get(&vol, x, y, z),
                                    (double)(10 * z + x + 8 * y));
    fib_volume_clear(&vol);
    ro.page = 2;
    ck_assert_int_eq(fib_fmt_image_read(q, &ro, &img, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 1, 1), 29.0);
    fib_image_clear(&img);
    tpath(q, sizeof q, "ij_cut.tif");
    truncate_copy(p, q, file_size(p) - 4);
    ck_assert_int_eq(fib_fmt_volume_read(q, NULL, &vol, NULL, &err),
                     FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "ij_cut.tif"));
}
END_TEST

/* UTF-8 micro sign in an ImageJ unit (not re-encoded as Latin-1). */
START_TEST(tiff_imagej_utf8_unit)
{
    char p[600];
    fib_error err = {0};
    fib_fmt_info info;
    fib_test_data("fmt_ij_utf8.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
    ck_assert_int_eq(info.meta.vendor, FIB_VENDOR_IMAGEJ);
    ck_assert(fib_test_rel(info.meta.pixel_size_nm[0], 125.0) < 1e-9);
    char **pairs = NULL;
    size_t np = 0;
    ck_assert_int_eq(fib_fmt_vendor_pairs(p, &pairs, &np, &err), FIB_OK);
    ck_assert_uint_ge(np, 2);
    ck_assert_str_eq(pairs[2], "unit");
    ck_assert_str_eq(pairs[3], "\xC2\xB5m");
    fib_fmt_pairs_free(pairs, np);
}
END_TEST

START_TEST(tiff_vendor_fixtures_fei_ion_and_zeiss_pm)
{
    char p[600];
    fib_error err = {0};
    fib_image img;
    fib_fmt_meta m;
    fib_test_data("fmt_fei_ion.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, &m, &err), FIB_OK);
    ck_assert_int_eq(m.vendor, FIB_VENDOR_THERMO_FEI);
    ck_assert_int_eq(m.beam, FIB_BEAM_ION);
    ck_assert(fib_test_rel(m.pixel_size_nm[0], 2.5) < 1e-12);
    ck_assert(fib_test_rel(m.pixel_size_nm[1], 3.0) < 1e-12);
    ck_assert(fib_test_rel(m.current_pA, 100.0) < 1e-12);
    ck_assert(fib_test_rel(m.hv_kV, 30.0) < 1e-12);
    ck_assert(fib_test_rel(m.stage_tilt_deg, 35.0) < 1e-6); /* rad in file */
    ck_assert(fib_test_rel(m.hfw_nm, 40.0) < 1e-12);
    ck_assert_int_eq(m.tilt_correction, 1);
    ck_assert_str_eq(m.detector, "ICE");
    ck_assert_str_eq(m.instrument, "Helios 5 Hydra");
    ck_assert_uint_eq(m.full_height, 12);
    ck_assert_uint_eq(m.databar_rows, 3); /* ResolutionY 9, not Databar 0 */
    ck_assert_uint_eq(img.height, 9);
    ck_assert_double_eq(img.pixel_size_nm[1], m.pixel_size_nm[1]);
    ck_assert_double_eq(fib_image_get(&img, 5, 8), (double)((8 * 16 + 5)));
    fib_image_clear(&img);
    fib_fmt_read_opts keep = {.keep_databar = true};
    ck_assert_int_eq(fib_fmt_image_read(p, &keep, &img, &m, &err), FIB_OK);
    ck_assert_uint_eq(img.height, 12);
    fib_image_clear(&img);
    char **pairs = NULL;
    size_t np = 0;
    ck_assert_int_eq(fib_fmt_vendor_pairs(p, &pairs, &np, &err), FIB_OK);
    bool found = false;
    for (size_t i = 0; i < np; i++)
        if (strcmp(pairs[2 * i], "IBeam/BeamCurrent") == 0) {
            ck_assert_str_eq(pairs[2 * i + 1], "1e-010");
            found = true;
        }
    ck_assert(found);
    fib_fmt_pairs_free(pairs, np);

    fib_test_data("fmt_zeiss_pm.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, &m, &err), FIB_OK);
    ck_assert_int_eq(m.vendor, FIB_VENDOR_ZEISS);
    ck_assert_str_eq(m.source_key, "AP_PIXEL_SIZE");
    ck_assert(fib_test_rel(m.pixel_size_nm[0], 0.25) < 1e-12);
    ck_assert(fib_test_rel(m.hfw_nm, 5.0) < 1e-12); /* 0.005 (0xB5)m */
    ck_assert(fib_test_rel(m.hv_kV, 1.5) < 1e-12);
    ck_assert(fib_test_rel(m.current_pA, 25.0) < 1e-12);
    ck_assert(fib_test_rel(m.stage_tilt_deg, 54.0) < 1e-12);
    ck_assert_str_eq(m.detector, "SE2");
    ck_assert_str_eq(m.instrument, "Crossbeam-550");
    ck_assert_uint_eq(m.databar_rows, 4);
    ck_assert_uint_eq(img.height, 12);
    fib_image_clear(&img);
    fib_test_data("fmt_zeiss_dark.tif", p, sizeof p);
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, &m, &err), FIB_OK);
    ck_assert_int_eq(m.vendor, FIB_VENDOR_ZEISS);
    ck_assert_uint_eq(m.databar_rows, 0); /* dark below the line */
    ck_assert_uint_eq(img.height, 16);
    fib_image_clear(&img);
    ck_assert_int_eq(fib_fmt_vendor_pairs(p, &pairs, &np, &err), FIB_OK);
    found = false;
    for (size_t i = 0; i < np; i++)
        if (strcmp(pairs[2 * i], "AP_WIDTH") == 0) {
            ck_assert_str_eq(pairs[2 * i + 1], "0.005 \xC2\xB5m"); /* UTF-8 */
            found = true;
        }
    ck_assert(found);
    fib_fmt_pairs_free(pairs, np);
}
END_TEST

/* --- MRC ---------------------------------------------------------------- */

static const char *MRC_VALIDATE =
    "import sys,mrcfile; sys.exit(0 if mrcfile.validate(sys.argv[1]) else 1)";

START_TEST(mrc_round_trip_all_types_validates)
{
    static const fib_pixel_type types[] = {FIB_PX_U8, FIB_PX_U16, FIB_PX_F32,
                                           FIB_PX_U32};
    for (size_t t = 0; t < 4; t++) {
        char p[600];
        char name[32];
        snprintf(name, sizeof name, "v%zu.mrc", t);
        tpath(p, sizeof p, name);
        fib_error err = {0};
        fib_volume v = make_volume(types[t], 21, 11, 6), back;
        ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, &err), FIB_OK);
        ck_assert_int_eq(file_size(p),
                         1024 + 21 * 11 * 6 * (t < 2 ? 2 : 4)); /* mode 6/2 */
        fib_fmt_meta meta;
        ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &back, &meta, &err),
                         FIB_OK);
        /* u8 -> mode 6 (u16), u32 -> mode 2 (f32): values kept */
        ck_assert_int_eq(back.type, types[t] == FIB_PX_U8    ? FIB_PX_U16
                                    : types[t] == FIB_PX_U32 ? FIB_PX_F32
                                                             : types[t]);
        assert_same_values(&v, &back);
        ck_assert(fib_test_rel(back.voxel_size_nm[0], 4.5) < 1e-6);
        ck_assert(fib_test_rel(back.voxel_size_nm[1], 5.25) < 1e-6);
        ck_assert(fib_test_rel(back.voxel_size_nm[2], 10.0) < 1e-6);
        const int r = py_check("mrcfile", MRC_VALIDATE, p);
        if (r != 77)
            ck_assert_int_eq(r, 0);
        fib_volume_clear(&v);
        fib_volume_clear(&back);
    }
}
END_TEST

/* A hand-made MRC header. */
static void mrc_header(unsigned char h[1024], int nx, int ny, int nz, int mode,
                       bool big)
{
    memset(h, 0, 1024);
    const int32_t v[4] = {nx, ny, nz, mode};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            h[4 * i + (big ? 3 - b : b)] =
                (unsigned char)(((uint32_t)v[i] >> (8 * b)) & 0xFF);
    for (int i = 0; i < 3; i++) /* mapc mapr maps */
        h[64 + 4 * i + (big ? 3 : 0)] = (unsigned char)(i + 1);
    memcpy(h + 208, "MAP ", 4);
    h[212] = big ? 0x11 : 0x44;
    h[213] = big ? 0x11 : 0x44;
}

START_TEST(mrc_reads_signed_modes_shifted_and_big_endian)
{
    char p[600];
    tpath(p, sizeof p, "m1.mrc");
    unsigned char buf[1024 + 8];
    fib_error err = {0};
    fib_volume vol;
    mrc_header(buf, 2, 2, 1, 1, true); /* int16 big endian */
    const int16_t vals[4] = {-32768, -1, 0, 32767};
    for (int i = 0; i < 4; i++) {
        buf[1024 + 2 * i] = (unsigned char)(((uint16_t)vals[i]) >> 8);
        buf[1024 + 2 * i + 1] = (unsigned char)(((uint16_t)vals[i]) & 0xFF);
    }
    write_bytes(p, buf, 1024 + 8);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_int_eq(vol.type, FIB_PX_U16);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq(
            fib_volume_get(&vol, (size_t)(i % 2), (size_t)(i / 2), 0),
            (double)vals[i] + 32768.0);
    fib_volume_clear(&vol);
    mrc_header(buf, 4, 1, 1, 0, false); /* int8 */
    const int8_t b8[4] = {-128, -1, 0, 127};
    memcpy(buf + 1024, b8, 4);
    write_bytes(p, buf, 1024 + 4);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_int_eq(vol.type, FIB_PX_U8);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq(fib_volume_get(&vol, (size_t)i, 0, 0),
                            (double)b8[i] + 128.0);
    fib_volume_clear(&vol);
    /* extended header skipped: nsymbt = 4 */
    mrc_header(buf, 2, 1, 1, 0, false);
    buf[92] = 4;
    memcpy(buf + 1024, "\x01\x02\x03\x04\x85\x86", 6);
    write_bytes(p, buf, 1024 + 6);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_volume_get(&vol, 0, 0, 0), 5.0); /* 0x85 = -123 */
    fib_volume_clear(&vol);
}
END_TEST

START_TEST(mrc_u32_label_over_2p24_refused_no_output)
{
    char p[600];
    tpath(p, sizeof p, "big.mrc");
    fib_error err = {0};
    fib_volume v = make_volume(FIB_PX_U32, 4, 4, 2);
    fib_volume_set(&v, 1, 1, 1, 20000000.0);
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, &err), FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "big.mrc"));
    ck_assert_uint_eq(count_files(tmpdir), 0);
    fib_volume_clear(&v);
}
END_TEST

/* --- NRRD --------------------------------------------------------------- */

START_TEST(nrrd_round_trip_raw_and_gzip)
{
    static const fib_pixel_type types[] = {FIB_PX_U8, FIB_PX_U16, FIB_PX_F32,
                                           FIB_PX_U32};
    for (int gz = 0; gz < 2; gz++)
        for (size_t t = 0; t < 4; t++) {
            char p[600];
            char name[32];
            snprintf(name, sizeof name, "n%d_%zu.nrrd", gz, t);
            tpath(p, sizeof p, name);
            fib_error err = {0};
            fib_volume v = make_volume(types[t], 33, 7, 5), back;
            fib_fmt_write_opts wo = {.nrrd_gzip = gz != 0};
            ck_assert_int_eq(fib_fmt_volume_write(p, &v, &wo, &err), FIB_OK);
            fib_fmt_info info;
            ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
            ck_assert_str_eq(info.compression, gz ? "gzip" : "none");
            ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &back, NULL, &err),
                             FIB_OK);
            ck_assert_int_eq(back.type, types[t]);
            assert_same_values(&v, &back);
            for (int i = 0; i < 3; i++)
                ck_assert_double_eq(back.voxel_size_nm[i], v.voxel_size_nm[i]);
            /* one slice: raw seeks, gzip inflates past the others */
            fib_fmt_read_opts ro = {.page = 3};
            fib_image img;
            ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err),
                             FIB_OK);
            ck_assert_uint_eq(img.width, 33);
            ck_assert_uint_eq(img.height, 7);
            for (size_t y = 0; y < 7; y++)
                for (size_t x = 0; x < 33; x++)
                    ck_assert_double_eq(fib_image_get(&img, x, y),
                                        fib_volume_get(&v, x, y, 3));
            fib_image_clear(&img);
            ro.page = 5;
            ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err),
                             FIB_ERANGE);
            fib_error_clear(&err);
            fib_volume_clear(&v);
            fib_volume_clear(&back);
        }
}
END_TEST

START_TEST(nrrd_reads_big_endian_space_directions_and_units)
{
    char p[600];
    tpath(p, sizeof p, "h.nrrd");
    const char hdr[] = "NRRD0005\n# comment\ntype: unsigned short\n"
                       "dimension: 3\nsizes: 2 1 2\n"
                       "space dimension: 3\n"
                       "space directions: (0.5,0,0) (0,0.25,0) (0,0,2)\n"
                       "space units: \"um\" \"um\" \"um\"\n"
                       "endian: big\nencoding: raw\nkey:=value\n\n";
    const unsigned char data[8] = {0x01, 0x02, 0xFF, 0xFE, 0, 7, 0x80, 0};
    char buf[sizeof hdr + 8];
    memcpy(buf, hdr, sizeof hdr - 1);
    memcpy(buf + sizeof hdr - 1, data, 8);
    write_bytes(p, buf, sizeof hdr - 1 + 8);
    fib_error err = {0};
    fib_volume vol;
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_volume_get(&vol, 0, 0, 0), 0x0102);
    ck_assert_double_eq(fib_volume_get(&vol, 1, 0, 0), 0xFFFE);
    ck_assert_double_eq(fib_volume_get(&vol, 0, 0, 1), 7);
    ck_assert_double_eq(fib_volume_get(&vol, 1, 0, 1), 0x8000);
    ck_assert_double_eq(vol.voxel_size_nm[0], 500.0);
    ck_assert_double_eq(vol.voxel_size_nm[1], 250.0);
    ck_assert_double_eq(vol.voxel_size_nm[2], 2000.0);
    fib_volume_clear(&vol);
}
END_TEST

/* --- conversions -------------------------------------------------------- */

START_TEST(convert_chain_keeps_voxel_sizes)
{
    char a[600], b[600], c[600], d[600];
    tpath(a, sizeof a, "c.tif");
    tpath(b, sizeof b, "c.mrc");
    tpath(c, sizeof c, "c.nrrd");
    tpath(d, sizeof d, "c2.tif");
    fib_error err = {0};
    fib_volume v = make_volume(FIB_PX_F32, 9, 8, 3), r1, r2, r3;
    ck_assert_int_eq(fib_fmt_volume_write(a, &v, NULL, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_volume_read(a, NULL, &r1, NULL, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_volume_write(b, &r1, NULL, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_volume_read(b, NULL, &r2, NULL, &err), FIB_OK);
    fib_fmt_write_opts gz = {.nrrd_gzip = true};
    ck_assert_int_eq(fib_fmt_volume_write(c, &r2, &gz, &err), FIB_OK);
    ck_assert_int_eq(fib_fmt_volume_read(c, NULL, &r3, NULL, &err), FIB_OK);
    assert_same_values(&v, &r3);
    for (int i = 0; i < 3; i++)
        ck_assert(fib_test_rel(r3.voxel_size_nm[i], v.voxel_size_nm[i]) < 1e-6);
    fib_fmt_meta meta;
    fib_image img;
    fib_fmt_read_opts ro = {.page = 1};
    ck_assert_int_eq(fib_fmt_image_read(b, &ro, &img, &meta, &err), FIB_OK);
    ck_assert_double_eq(fib_image_get(&img, 2, 3), fib_volume_get(&v, 2, 3, 1));
    fib_image_clear(&img);
    ro.page = 3;
    ck_assert_int_eq(fib_fmt_image_read(b, &ro, &img, &meta, &err), FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "c.mrc"));
    fib_volume_clear(&v);
    fib_volume_clear(&r1);
    fib_volume_clear(&r2);
    fib_volume_clear(&r3);
}
END_TEST

/* --- bad input ---------------------------------------------------------- */

START_TEST(missing_empty_and_unknown_files)
{
    char p[600];
    fib_error err = {0};
    fib_volume vol;
    fib_fmt_info info;
    tpath(p, sizeof p, "nope.tif");
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, "nope.tif"));
    fib_error_clear(&err);
    tpath(p, sizeof p, "empty.png");
    write_bytes(p, "", 0);
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "empty.png"));
    fib_error_clear(&err);
    tpath(p, sizeof p, "text.dat");
    write_bytes(p, "hello world, not an image", 25);
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_EFORMAT);
    fib_error_clear(&err);
    fib_volume v = make_volume(FIB_PX_U8, 3, 3, 2);
    tpath(p, sizeof p, "out.xyz");
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "out.xyz"));
    fib_error_clear(&err);
    fib_image s = fib_volume_slice(&v, 0);
    ck_assert_int_eq(fib_fmt_image_write(p, &s, NULL, &err), FIB_EINVAL);
    fib_error_clear(&err);
    tpath(p, sizeof p, "out.png"); /* a volume does not fit a png */
    ck_assert_int_eq(fib_fmt_volume_write(p, &v, NULL, &err), FIB_EINVAL);
    ck_assert_uint_eq(count_files(tmpdir), 2);
    fib_error_clear(&err);
    ck_assert_int_eq(
        fib_fmt_volume_write("/nonexistent-dir/x.mrc", &v, NULL, &err),
        FIB_EIO);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(truncated_files_of_every_format)
{
    static const char *const names[] = {"t.png", "t.tif", "t.mrc", "t.nrrd",
                                        "tz.nrrd"};
    for (int i = 0; i < 5; i++) {
        char p[600], q[600];
        tpath(p, sizeof p, names[i]);
        snprintf(q, sizeof q, "%s/cut_%s", tmpdir, names[i]);
        fib_error err = {0};
        fib_volume v = make_volume(FIB_PX_U16, 64, 48, i == 1 ? 2 : 1), back;
        fib_fmt_write_opts wo = {.nrrd_gzip = i == 4};
        ck_assert_int_eq(fib_fmt_volume_write(p, &v, &wo, &err), FIB_OK);
        const long n = file_size(p);
        /* TIFF: libtiff puts the directory at the end; cut the pixel data
         * of page 2 by zeroing nothing but keeping the header: cut at 60%
         * is enough for the others. */
        truncate_copy(p, q, i == 1 ? 200 : n * 6 / 10);
        fib_status st = fib_fmt_volume_read(q, NULL, &back, NULL, &err);
        ck_assert_msg(st == FIB_EFORMAT, "%s: got %s (%s)", names[i],
                      fib_status_name(st), err.msg);
        ck_assert_ptr_nonnull(strstr(err.msg, "cut_"));
        fib_volume_clear(&v);
    }
}
END_TEST

START_TEST(huge_and_zero_headers_refused)
{
    char p[600];
    fib_error err = {0};
    fib_volume vol;
    fib_fmt_info info;
    unsigned char h[1024];
    tpath(p, sizeof p, "huge.mrc");
    mrc_header(h, 100000, 100000, 100000, 2, false);
    write_bytes(p, h, sizeof h);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "huge.mrc"));
    ck_assert_ptr_nonnull(strstr(err.msg, "limit"));
    ck_assert_ptr_null(vol.data);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_ERANGE);
    fib_error_clear(&err);
    mrc_header(h, 4, 0, 1, 2, false);
    tpath(p, sizeof p, "zero.mrc");
    write_bytes(p, h, sizeof h);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "height"));
    fib_error_clear(&err);
    mrc_header(h, -5, 4, 1, 2, false);
    write_bytes(p, h, sizeof h);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_EFORMAT);
    fib_error_clear(&err);
    mrc_header(h, 4, 4, 3000000, 2, false); /* extent over 2^20 */
    write_bytes(p, h, sizeof h);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "depth"));
    fib_error_clear(&err);
    tpath(p, sizeof p, "huge.nrrd");
    const char *nh = "NRRD0004\ntype: float\ndimension: 3\n"
                     "sizes: 100000 100000 100000\nencoding: raw\n\n";
    write_bytes(p, nh, strlen(nh));
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "huge.nrrd"));
    fib_error_clear(&err);
    /* 32 GB claimed: a probe describes it, a default read refuses it, a
     * one-slice read is checked for that slice only (and is truncated) */
    const char *bh = "NRRD0004\ntype: float\ndimension: 3\n"
                     "sizes: 2000 2000 2000\nencoding: raw\n\n";
    write_bytes(p, bh, strlen(bh));
    ck_assert_int_eq(fib_fmt_probe(p, NULL, &info, &err), FIB_OK);
    ck_assert_uint_eq(info.nz, 2000);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ERANGE);
    fib_error_clear(&err);
    fib_image img;
    ck_assert_int_eq(fib_fmt_image_read(p, NULL, &img, NULL, &err),
                     FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
    fib_error_clear(&err);
    fib_fmt_read_opts small = {.max_bytes = 1000};
    ck_assert_int_eq(fib_fmt_probe(p, &small, &info, &err), FIB_ERANGE);
    fib_error_clear(&err);
    const char *zh = "NRRD0004\ntype: float\ndimension: 2\n"
                     "sizes: 0 10\nencoding: raw\n\n";
    write_bytes(p, zh, strlen(zh));
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_EFORMAT);
    fib_error_clear(&err);
    /* TIFF claiming 100000 x 100000 x 1 float32 (40 GB) */
    static const unsigned char tif[] = {
        'I',  'I',  42, 0, 8, 0, 0, 0, /* header, IFD at 8 */
        8,    0,                       /* 8 entries */
        0x00, 0x01, 4,  0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0, /* width */
        0x01, 0x01, 4,  0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0, /* length */
        0x02, 0x01, 3,  0, 1, 0, 0, 0, 32,   0,    0,    0, /* bps 32 */
        0x06, 0x01, 3,  0, 1, 0, 0, 0, 1,    0,    0,    0, /* minisblack */
        0x11, 0x01, 4,  0, 1, 0, 0, 0, 0x80, 0,    0,    0, /* strip off */
        0x16, 0x01, 4,  0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0, /* rows/strip */
        0x17, 0x01, 4,  0, 1, 0, 0, 0, 0x10, 0,    0,    0, /* byte count */
        0x53, 0x01, 3,  0, 1, 0, 0, 0, 3,    0,    0,    0, /* float */
        0,    0,    0,  0};
    tpath(p, sizeof p, "huge.tif");
    write_bytes(p, tif, sizeof tif);
    ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &vol, NULL, &err),
                     FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "huge.tif"));
    fib_error_clear(&err);
    /* a PNG claiming 100000 x 100000: refused by size, named */
    static const unsigned char png[] = {
        0x89, 'P',  'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,    0,
        13,   'I',  'H', 'D', 'R',  0,    1,    0x86, 0xA0, 0,    1,
        0x86, 0xA0, 16,  0,   0,    0,    0,    0x6b, 0xa4, 0x0c, 0x94};
    tpath(p, sizeof p, "huge.png");
    write_bytes(p, png, sizeof png);
    const fib_status st = fib_fmt_volume_read(p, NULL, &vol, NULL, &err);
    ck_assert(st == FIB_ERANGE || st == FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "huge.png"));
}
END_TEST

START_TEST(streaming_writer_leaves_nothing_on_failure)
{
    static const char *const names[] = {"w.mrc", "w.nrrd", "w.tif"};
    for (int i = 0; i < 3; i++) {
        char p[600];
        tpath(p, sizeof p, names[i]);
        fib_error err = {0};
        fib_volume v = make_volume(FIB_PX_U16, 10, 6, 3);
        fib_fmt_write_opts wo = {.nrrd_gzip = true};
        fib_fmt_volume_writer *w = NULL;
        ck_assert_int_eq(fib_fmt_volume_writer_create(p, v.type, 10, 6, 3,
                                                      v.voxel_size_nm, &wo, &w,
                                                      &err),
                         FIB_OK);
        fib_image s = fib_volume_slice(&v, 0);
        ck_assert_int_eq(fib_fmt_volume_writer_append(w, &s, &err), FIB_OK);
        ck_assert_uint_eq(count_files(tmpdir), 1); /* the temporary */
        fib_image bad;
        ck_assert_int_eq(fib_image_init(&bad, FIB_PX_U8, 10, 6, &err), FIB_OK);
        ck_assert_int_eq(fib_fmt_volume_writer_append(w, &bad, &err),
                         FIB_EINVAL);
        fib_image_clear(&bad);
        fib_error_clear(&err);
        ck_assert_int_eq(fib_fmt_volume_writer_finish(w, &err), FIB_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "1 of 3"));
        fib_fmt_volume_writer_destroy(w);
        ck_assert_uint_eq(count_files(tmpdir), 0);
        /* and a complete one lands under its name only */
        ck_assert_int_eq(fib_fmt_volume_writer_create(p, v.type, 10, 6, 3,
                                                      v.voxel_size_nm, &wo, &w,
                                                      &err),
                         FIB_OK);
        for (size_t z = 0; z < 3; z++) {
            s = fib_volume_slice(&v, z);
            ck_assert_int_eq(fib_fmt_volume_writer_append(w, &s, &err), FIB_OK);
        }
        ck_assert_int_eq(fib_fmt_volume_writer_append(w, &s, &err), FIB_ERANGE);
        fib_error_clear(&err);
        ck_assert_int_eq(fib_fmt_volume_writer_finish(w, &err), FIB_OK);
        fib_fmt_volume_writer_destroy(w);
        ck_assert_uint_eq(count_files(tmpdir), 1);
        fib_volume back;
        ck_assert_int_eq(fib_fmt_volume_read(p, NULL, &back, NULL, &err),
                         FIB_OK);
        assert_same_values(&v, &back);
        fib_volume_clear(&back);
        fib_volume_clear(&v);
        ck_assert_int_eq(remove(p), 0);
    }
}
END_TEST

typedef struct reader_job {
    const char *path;
    fib_status want;
    int bad; /* iterations with an unexpected status or message */
} reader_job;

static void *reader_thread(void *arg)
{
    reader_job *j = arg;
    for (int i = 0; i < 40; i++) {
        fib_error err = {0};
        fib_volume v;
        const fib_status st =
            fib_fmt_volume_read(j->path, NULL, &v, NULL, &err);
        if (st != j->want ||
            (st != FIB_OK && strstr(err.msg, j->path) == NULL) ||
            (st == FIB_OK && err.msg[0] != '\0'))
            j->bad++;
        if (st == FIB_OK)
            fib_volume_clear(&v);
    }
    return NULL;
}

/* libtiff messages go to per-call handlers: a failing read in one thread
 * never leaks its message into a good read in another. */
START_TEST(concurrent_tiff_reads_keep_errors_apart)
{
    char good[600], cut[600];
    tpath(good, sizeof good, "good.tif");
    tpath(cut, sizeof cut, "cut.tif");
    fib_error err = {0};
    fib_volume v = make_volume(FIB_PX_U16, 40, 30, 3);
    fib_fmt_write_opts wo = {.tiff_compression = 1};
    ck_assert_int_eq(fib_fmt_volume_write(good, &v, &wo, &err), FIB_OK);
    truncate_copy(good, cut, file_size(good) / 2);
    reader_job a = {good, FIB_OK, 0}, b = {cut, FIB_EFORMAT, 0};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, reader_thread, &a), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, reader_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.bad, 0);
    ck_assert_int_eq(b.bad, 0);
    fib_volume_clear(&v);
}
END_TEST

/* --- issue 13: data files, memory before decoding, non-finite pixels ---- */

static void nrrd_header(const char *path, const char *data_file)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp,
            "NRRD0004\ntype: uint8\ndimension: 2\nsizes: 4 4\nencoding: "
            "raw\ndata file: %s\n\n",
            data_file);
    fclose(fp);
}

START_TEST(nrrd_detached_data_confined_to_header_folder)
{
    char h[600], d[600], sub[600], abs_h[600], up_h[600], lnk[600], lnk_h[600];
    unsigned char bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (unsigned char)(10 * i);
    tpath(d, sizeof d, "d.raw");
    write_bytes(d, bytes, sizeof bytes);
    tpath(h, sizeof h, "h.nrrd");
    nrrd_header(h, "d.raw");
    fib_error err = {0};
    fib_fmt_info info;
    ck_assert_int_eq(fib_fmt_probe(h, NULL, &info, &err), FIB_OK);
    ck_assert_str_eq(info.data_file, d); /* an input of the caller too */
    fib_volume v;
    ck_assert_int_eq(fib_fmt_volume_read(h, NULL, &v, NULL, &err), FIB_OK);
    ck_assert_double_eq(fib_volume_get(&v, 3, 2, 0), 110.0);
    fib_volume_clear(&v);
    /* absolute name, "..", a link leading out: refused naming the field */
    tpath(sub, sizeof sub, "sub");
    ck_assert_int_eq(mkdir(sub, 0777), 0);
    tpath(abs_h, sizeof abs_h, "sub/abs.nrrd");
    nrrd_header(abs_h, d);
    tpath(up_h, sizeof up_h, "sub/up.nrrd");
    nrrd_header(up_h, "../d.raw");
    tpath(lnk, sizeof lnk, "sub/l.raw");
    ck_assert_int_eq(symlink(d, lnk), 0);
    tpath(lnk_h, sizeof lnk_h, "sub/l.nrrd");
    nrrd_header(lnk_h, "l.raw");
    const char *bad[3] = {abs_h, up_h, lnk_h};
    for (int i = 0; i < 3; i++) {
        fib_error_clear(&err);
        ck_assert_int_eq(fib_fmt_volume_read(bad[i], NULL, &v, NULL, &err),
                         FIB_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "'data file'"));
        ck_assert_ptr_nonnull(strstr(err.msg, bad[i]));
        fib_error_clear(&err);
        ck_assert_int_eq(fib_fmt_probe(bad[i], NULL, &info, &err), FIB_EINVAL);
        /* a caller that trusts the header may allow it */
        fib_fmt_read_opts ro = {.allow_outside_data = true};
        ck_assert_int_eq(fib_fmt_volume_read(bad[i], &ro, &v, NULL, &err),
                         FIB_OK);
        ck_assert_double_eq(fib_volume_get(&v, 3, 2, 0), 110.0);
        fib_volume_clear(&v);
    }
}
END_TEST

START_TEST(png_decode_charged_before_allocation)
{
    /* 20000 x 20000 grey declared, a few bytes of data: 400 MB of image
     * over a 100 MB limit must be refused from the header (ERANGE), not
     * allocated and then found truncated (EFORMAT) */
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    unsigned char f[8 + 25 + 12];
    memcpy(f, sig, 8);
    unsigned char *c = f + 8;
    const unsigned char ihdr[17] = {'I', 'H',  'D',  'R', 0, 0, 0x4e, 0x20, 0,
                                    0,   0x4e, 0x20, 8,   0, 0, 0,    0};
    c[0] = c[1] = c[2] = 0;
    c[3] = 13;
    memcpy(c + 4, ihdr, 17);
    /* CRC-32 of type + data (IEEE, reflected) */
    uint32_t crc = 0xffffffffu;
    for (int i = 0; i < 17; i++) {
        crc ^= ihdr[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xffffffffu;
    c[21] = (unsigned char)(crc >> 24);
    c[22] = (unsigned char)(crc >> 16);
    c[23] = (unsigned char)(crc >> 8);
    c[24] = (unsigned char)crc;
    /* an empty IDAT chunk: libpng's header read stops at it */
    static const unsigned char idat[12] = {0,   0,   0,    0,    'I',  'D',
                                           'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
    memcpy(f + 33, idat, 12);
    char p[600];
    tpath(p, sizeof p, "tall.png");
    write_bytes(p, f, sizeof f);
    fib_error err = {0};
    fib_fmt_read_opts ro = {.max_bytes = (size_t)100 << 20};
    fib_image img;
    ck_assert_int_eq(fib_fmt_image_read(p, &ro, &img, NULL, &err), FIB_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "tall.png"));
    ck_assert_ptr_nonnull(strstr(err.msg, "exceeds the limit of 104857600"));
}
END_TEST

START_TEST(nonfinite_float_pixels_refused_and_never_written_to_mrc)
{
    char n[600], m[600];
    tpath(n, sizeof n, "nan.nrrd");
    tpath(m, sizeof m, "nan.mrc");
    fib_error err = {0};
    fib_volume v = make_volume(FIB_PX_F32, 6, 5, 3);
    fib_volume_set(&v, 4, 2, 1, (double)NAN);
    fib_volume_set(&v, 1, 3, 2, (double)INFINITY);
    /* NRRD can hold them (a file from elsewhere), every reader refuses */
    ck_assert_int_eq(fib_fmt_volume_write(n, &v, NULL, &err), FIB_OK);
    fib_volume back;
    ck_assert_int_eq(fib_fmt_volume_read(n, NULL, &back, NULL, &err),
                     FIB_EFORMAT);
    ck_assert_ptr_nonnull(
        strstr(err.msg, "2 non-finite pixel(s) (NaN or Inf) in float data, "
                        "first at x 4, y 2, slice 1"));
    fib_error_clear(&err);
    fib_fmt_read_opts ro = {.page = 2};
    fib_image img;
    ck_assert_int_eq(fib_fmt_image_read(n, &ro, &img, NULL, &err), FIB_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "x 1, y 3, slice 2"));
    ro.page = 0; /* a finite slice reads */
    ck_assert_int_eq(fib_fmt_image_read(n, &ro, &img, NULL, &err), FIB_OK);
    fib_image_clear(&img);
    /* the MRC writer never writes one */
    fib_error_clear(&err);
    const size_t before = count_files(tmpdir);
    ck_assert_int_eq(fib_fmt_volume_write(m, &v, NULL, &err), FIB_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "nan.mrc") != NULL, "%s", err.msg);
    ck_assert_uint_eq(count_files(tmpdir), before);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(kind_names_and_extensions)
{
    ck_assert_int_eq(fib_fmt_kind_from_path("a/b.TIF"), FIB_FMT_TIFF);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.tiff"), FIB_FMT_TIFF);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.rec"), FIB_FMT_MRC);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.map"), FIB_FMT_MRC);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.nrrd"), FIB_FMT_NRRD);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.Png"), FIB_FMT_PNG);
    ck_assert_int_eq(fib_fmt_kind_from_path("dir.tif/x"), FIB_FMT_UNKNOWN);
    ck_assert_int_eq(fib_fmt_kind_from_path("x.jpg"), FIB_FMT_UNKNOWN);
    ck_assert_str_eq(fib_fmt_kind_name(FIB_FMT_MRC), "mrc");
    ck_assert_str_eq(fib_fmt_kind_name((fib_fmt_kind)77), "unknown");
    fib_fmt_meta m;
    fib_fmt_meta_init(&m);
    ck_assert(isnan(m.pixel_size_nm[0]) && isnan(m.current_pA));
    ck_assert_int_eq(m.tilt_correction, -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("formats");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, png_u16_round_trip_bit_exact);
    tcase_add_test(tc, png_u8_strided_view_round_trip);
    tcase_add_test(tc, png_colour_inputs_become_bt709_luma);
    tcase_add_test(tc, png_rejects_float_and_leaves_nothing);
    tcase_add_test(tc, tiff_fixtures_tiled_signed_float_rgb_pages);
    tcase_add_test(tc, tiff_stack_round_trip_all_types_and_compressions);
    tcase_add_test(tc, tiff_imagej_stack_opens_in_tifffile_with_voxel_size);
    tcase_add_test(tc, tiff_imagej_contiguous_stack);
    tcase_add_test(tc, tiff_imagej_utf8_unit);
    tcase_add_test(tc, tiff_vendor_fixtures_fei_ion_and_zeiss_pm);
    tcase_add_test(tc, mrc_round_trip_all_types_validates);
    tcase_add_test(tc, mrc_reads_signed_modes_shifted_and_big_endian);
    tcase_add_test(tc, mrc_u32_label_over_2p24_refused_no_output);
    tcase_add_test(tc, nrrd_round_trip_raw_and_gzip);
    tcase_add_test(tc, nrrd_reads_big_endian_space_directions_and_units);
    tcase_add_test(tc, convert_chain_keeps_voxel_sizes);
    tcase_add_test(tc, missing_empty_and_unknown_files);
    tcase_add_test(tc, truncated_files_of_every_format);
    tcase_add_test(tc, huge_and_zero_headers_refused);
    tcase_add_test(tc, streaming_writer_leaves_nothing_on_failure);
    tcase_add_test(tc, concurrent_tiff_reads_keep_errors_apart);
    tcase_add_test(tc, kind_names_and_extensions);
    tcase_add_test(tc, nrrd_detached_data_confined_to_header_folder);
    tcase_add_test(tc, png_decode_charged_before_allocation);
    tcase_add_test(tc, nonfinite_float_pixels_refused_and_never_written_to_mrc);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
