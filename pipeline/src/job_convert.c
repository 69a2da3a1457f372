/*
 * job_convert.c -- fib_job_convert() (fib/job_formats.h): the `cryofib
 * convert` workflow, an image or volume into another format.
 */
#include <string.h>

#include "fib/job_formats.h"
#include "fib/job_paths.h"

fib_status fib_job_convert_check(const char *out, fib_error *err)
{
    if (!out || fib_fmt_kind_from_path(out) == FIB_FMT_UNKNOWN)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: unknown output extension (use .png, "
                             ".tif, .tiff, .mrc, .map, .rec or .nrrd)",
                             out ? out : "(null)");
    return FIB_OK;
}

/* fib_fmt_volume_write() slice by slice, so that a canceled progress
 * report stops it (and the transaction removes the staged file). */
static fib_status write_volume(const char *out, const fib_volume *vol,
                               const fib_fmt_write_opts *wo,
                               const fib_progress *prog, fib_error *err)
{
    fib_status st = fib_progress_report(prog, "read", 1, 1, err);
    if (st != FIB_OK || fib_fmt_kind_from_path(out) == FIB_FMT_PNG)
        return st != FIB_OK ? st : fib_fmt_volume_write(out, vol, wo, err);
    fib_fmt_volume_writer *w = NULL;
    st = fib_fmt_volume_writer_create(out, vol->type, vol->nx, vol->ny, vol->nz,
                                      vol->voxel_size_nm, wo, &w, err);
    for (size_t z = 0; st == FIB_OK && z < vol->nz; z++) {
        const fib_image s = fib_volume_slice(vol, z);
        st = fib_progress_report(prog, "write", z, vol->nz, err);
        if (st == FIB_OK)
            st = fib_fmt_volume_writer_append(w, &s, err);
    }
    if (st == FIB_OK)
        st = fib_fmt_volume_writer_finish(w, err);
    fib_fmt_volume_writer_destroy(w);
    return st;
}

fib_status fib_job_convert_compress(const char *name, fib_fmt_write_opts *w,
                                    fib_error *err)
{
    static const char *const kinds[3] = {"none", "deflate", "lzw"};
    const int z = fib_fmt_zarr_compressor_parse(
        name && !strcmp(name, "deflate") ? "zlib" : name);
    for (int k = 0; name && k < 3; k++)
        if (!strcmp(name, kinds[k])) {
            w->tiff_compression = k;
            w->zarr_compressor = z >= 0 ? z : FIB_ZARR_ZLIB;
            return FIB_OK;
        }
    if (z >= 0) {
        w->zarr_compressor = z;
        return FIB_OK;
    }
    return fib_error_set(err, FIB_EINVAL,
                         "--compress expects deflate, lzw, zlib, blosc or "
                         "none (got '%s')",
                         name ? name : "");
}

fib_status fib_job_convert(const fib_job_convert_params *p, const char *in,
                           const char *out, const fib_job_env *env,
                           fib_job_convert_result *res, fib_error *err)
{
    fib_status st = fib_job_convert_check(out, err);
    if (st == FIB_OK) /* OUT is not IN nor its data file (fib/job_paths.h) */
        st = fib_job_check_out_of(NULL, out, in, err);
    if (st != FIB_OK)
        return st;
    const fib_job_convert_params none = {0};
    const fib_progress no_progress = {0};
    if (!p)
        p = &none;
    fib_fmt_write_opts wo = p->write;
    if (p->compress && (st = fib_job_convert_compress(p->compress, &wo, err)))
        return st;
    fib_volume vol;
    st = fib_fmt_volume_read(in, &p->read, &vol, NULL, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_txn *own = NULL, *t = NULL;
    const char *staged = NULL;
    st = fib_job_txn(env, &own, &t, err);
    if (st == FIB_OK && fib_fmt_kind_from_path(out) == FIB_FMT_ZARR)
        /* a folder tree: an earlier store of that name is replaced whole */
        st = fib_fmt_txn_tree(t, out, &staged, err);
    else if (st == FIB_OK)
        st = fib_fmt_txn_path(t, out, &staged, err);
    if (st == FIB_OK)
        st = write_volume(staged, &vol, &wo,
                          env ? &env->progress : &no_progress, err);
    const size_t nx = vol.nx, ny = vol.ny, nz = vol.nz;
    fib_volume_clear(&vol);
    if (st != FIB_OK && t)
        fib_fmt_txn_explain(t, err);
    st = fib_job_finish(env, own, st, err);
    if (st != FIB_OK)
        return st;
    if (res)
        *res = (fib_job_convert_result){nx, ny, nz};
    fib_job_say(env, FIB_JOB_RESULT, "wrote %s (%zu x %zu x %zu)", out, nx, ny,
                nz);
    return FIB_OK;
}
