/* job_measure_util.c -- label helpers of the pipeline (reading a label
 * volume, distinct values, one mask loop) and the report-unit rules of
 * fib_job_measure(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_measure_internal.h"

const char *const fib__axis_name[3] = {"x", "y", "z"};

void fib__job_label_mask(const fib_volume *labels, uint32_t label,
                         fib_volume *mask)
{
    const size_t n = labels->nx * labels->ny * labels->nz;
    uint8_t *M = mask->data;
    for (size_t i = 0; i < n; i++)
        M[i] = fib_volume_label_at(labels, i) == label;
}

static int cmp_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

size_t fib__job_labels_distinct(const fib_volume *v, uint32_t *vals, size_t max)
{
    const size_t n = v->nx * v->ny * v->nz;
    size_t k = 0;
    if (v->type == FIB_PX_U8 || v->type == FIB_PX_U16) {
        const size_t nb = v->type == FIB_PX_U8 ? 256 : 65536;
        unsigned char *seen = calloc(nb, 1);
        if (!seen)
            return 0;
        for (size_t i = 0; i < n; i++)
            seen[fib_volume_label_at(v, i)] = 1;
        for (size_t b = 0; b < nb && k < max; b++)
            if (seen[b])
                vals[k++] = (uint32_t)b;
        free(seen);
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t x = fib_volume_label_at(v, i);
        size_t j = 0;
        while (j < k && vals[j] != x)
            j++;
        if (j == k) {
            if (k == max)
                break;
            vals[k++] = x;
        }
    }
    qsort(vals, k, sizeof *vals, cmp_u32);
    return k;
}

fib_status fib__job_labels_u32(const char *path, fib_volume *vol,
                               size_t first_voxel, fib_error *err)
{
    if (vol->type != FIB_PX_F32)
        return FIB_OK;
    const size_t n = vol->nx * vol->ny * vol->nz;
    fib_volume u = {0};
    fib_status st =
        fib_volume_init(&u, FIB_PX_U32, vol->nx, vol->ny, vol->nz, err);
    for (size_t i = 0; st == FIB_OK && i < n; i++) {
        const float f = ((const float *)vol->data)[i];
        if (!(f >= 0) || f != floorf(f) || f > 4294967040.0f)
            st = fib_error_set(err, FIB_EINVAL,
                               "%s: voxel %zu holds %g, not a label "
                               "(integer >= 0)",
                               path, first_voxel + i, (double)f);
        else
            ((uint32_t *)u.data)[i] = (uint32_t)f;
    }
    if (st != FIB_OK) {
        fib_volume_clear(&u);
        return st;
    }
    memcpy(u.voxel_size_nm, vol->voxel_size_nm, sizeof u.voxel_size_nm);
    memcpy(u.origin_nm, vol->origin_nm, sizeof u.origin_nm);
    fib_volume_clear(vol);
    *vol = u;
    return FIB_OK;
}

fib_status fib__job_labels_read(const char *path, fib_volume *out,
                                fib_error *err)
{
    fib_volume vol = {0};
    fib_status st = fib_fmt_volume_read(path, NULL, &vol, NULL, err);
    if (st == FIB_OK)
        st = fib__job_labels_u32(path, &vol, 0, err);
    if (st != FIB_OK) {
        fib_volume_clear(&vol);
        return st;
    }
    *out = vol;
    return FIB_OK;
}

/* ---- units: physical, or voxel units when the voxel size is unknown ----
 * With an unknown voxel size the volume is measured with unit voxels
 * (1 "nm" = 1 voxel edge, cubic voxels assumed) and every length, area,
 * volume and density is reported in voxel units under renamed keys
 * (area_um2 -> area_vox2, ..._per_um -> ..._per_vox), never as um or nm
 * that the file does not support.  The rule is read off the key's unit
 * suffix, so keys and values cannot disagree. */
typedef struct unit_rule {
    const char *phys, *vox;
    double factor; /* library value (um-based, 1 nm = 1 voxel) -> voxels */
} unit_rule;

static const unit_rule unit_rules[] = {{"_per_um3", "_per_vox3", 1e-9},
                                       {"_per_um", "_per_vox", 1e-3},
                                       {"_um3", "_vox3", 1e9},
                                       {"_um2", "_vox2", 1e6},
                                       {"_um", "_vox", 1e3},
                                       {"_nm", "_vox", 1.0}};

static const unit_rule *rule_of(const char *key)
{
    const size_t n = strlen(key);
    for (size_t r = 0; r < sizeof unit_rules / sizeof unit_rules[0]; r++) {
        const size_t m = strlen(unit_rules[r].phys);
        if (n >= m && strcmp(key + n - m, unit_rules[r].phys) == 0)
            return &unit_rules[r];
    }
    return NULL;
}

const char *fib__ukey(fib__measure *m, const char *key)
{
    const unit_rule *r = m->vu ? rule_of(key) : NULL;
    if (!r)
        return key;
    char *b = m->ring[m->ring_at++ % 8];
    const size_t stem = strlen(key) - strlen(r->phys);
    snprintf(b, sizeof m->ring[0], "%.*s%s", (int)stem, key, r->vox);
    return b;
}

double fib__uval(const fib__measure *m, const char *key, double v)
{
    const unit_rule *r = m->vu ? rule_of(key) : NULL;
    return r ? v * r->factor : v;
}

void fib__jnum(fib__measure *m, const char *key, double v)
{
    fib_fmt_json_kv_number(m->j, fib__ukey(m, key), fib__uval(m, key, v));
}

void fib__key_u32(fib_fmt_json *j, uint32_t v)
{
    char b[16];
    snprintf(b, sizeof b, "%u", v);
    fib_fmt_json_key(j, b);
}

/* The grey volume under the picture overlay: same size as the labels,
 * shown with their voxel size. */
fib_status fib__measure_read_grey(const fib__measure *m, fib_volume *grey,
                                  fib_error *err)
{
    const char *path = m->p->grey_path;
    const fib_volume *vol = &m->vol;
    fib_status st = fib_fmt_volume_read(path, NULL, grey, NULL, err);
    if (st == FIB_OK &&
        (grey->nx != vol->nx || grey->ny != vol->ny || grey->nz != vol->nz))
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: grey volume is %zux%zux%zu but the labels "
                           "are %zux%zux%zu",
                           path, grey->nx, grey->ny, grey->nz, vol->nx, vol->ny,
                           vol->nz);
    if (st == FIB_OK)
        memcpy(grey->voxel_size_nm, vol->voxel_size_nm,
               sizeof grey->voxel_size_nm);
    return st;
}
