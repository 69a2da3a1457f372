/* job_measure_blocks.c -- `measure --memory`: a label volume larger than
 * the budget measured block-wise (issue 15 item 2; fib/job_measure.h,
 * params.memory_bytes).
 *
 * Pass 1 reads slabs of sections and counts the label values (the volume
 * fractions, exactly the whole path's count / total).  Pass 2 reads each
 * slab again with a halo of 3 + ceil(3 smooth_vox) sections on both sides
 * and, per measured label, meshes the cube layers the slab owns
 * (fib_recon_phase_surface_layers(): the whole mesh's triangles of those
 * layers, interface labels included) and pushes its own sections into a
 * fib_objects_stream (components joined across slab faces by union-find;
 * closed object surfaces summed per cube).  The slab depth is the largest
 * whose working set fits half the budget; the other half holds the object
 * tables (and the statistics they become), checked after every slab.
 * Pass 3 (local thickness) reads slabs again with a halo that grows until
 * fib_recon_local_thickness_part() accepts it, and merges the owned
 * voxels' values as distinct counts (fib_recon_distribution_counts()). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "job_measure_internal.h"

/* Working bytes of a slab of @p d owned sections read with @p h halo
 * sections on each side, per voxel of a section (measured with the peak
 * resident size, tests/cli_measure_blocks.sh): every section read holds
 * the labels as read (f32 also as u32) and the marching-cubes field
 * (f32); every owned one the mask (u8), the component labels (u32), the
 * labelling's rows and runs (about 12), and the triangles with their
 * labels while the parts are welded (about 28 on a busy surface); plus
 * the marching cubes' edge caches, 24 bytes per voxel of a section for
 * each thread. */
static double slab_bytes(fib_pixel_type t, double d, double h)
{
    const double lab =
        (double)fib_pixel_size_bytes(t) + (t == FIB_PX_F32 ? 4.0 : 0.0);
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    return (d + 2 * h) * (lab + 4.0) + d * (1.0 + 4.0 + 12.0 + 28.0) +
           24.0 * threads;
}

/* The whole path's working set: labels, mask, component labels, the
 * surface field and mesh (about 28 bytes per voxel on a busy surface, as
 * slab_bytes) and, with thickness, the distance and thickness maps; the
 * peak measured by bench/run_scale.sh is about 40 bytes per voxel. */
static double whole_bytes(const fib_job_measure_params *p,
                          const fib_fmt_info *in)
{
    const double lab = (double)fib_pixel_size_bytes(in->type) +
                       (in->type == FIB_PX_F32 ? 4.0 : 0.0);
    return (lab + 1.0 + 4.0 + 4.0 + 28.0 + (p->thickness ? 8.0 : 0.0)) *
           (double)in->nx * (double)in->ny * (double)in->nz;
}

/* The first asked option that needs the whole volume, or NULL. */
static const char *needs_whole(const fib_job_measure_params *p)
{
    const struct {
        bool on;
        const char *name;
    } w[] = {
        {p->tortuosity_axes[0] || p->tortuosity_axes[1] ||
             p->tortuosity_axes[2],
         "--tortuosity"},
        {p->skeleton, "--skeleton"},
        {p->coating, "--coating"},
        {p->mesh_path != NULL, "--mesh"},
        {p->pictures_dir != NULL, "--pictures"},
        {p->battery, "--battery"},
        {p->chords, "--chords"},
        {p->tpb, "--tpb"},
        {p->two_point_lag > 0, "--two-point"},
        {p->porosimetry, "--porosimetry"},
        {p->particle_sizes, "--particle-sizes"},
        {p->contact, "--contact"},
        {p->conductivity != NULL, "--conductivity"},
        {p->flux_map_path != NULL, "--flux-map"},
        {p->uncertainty, "--uncertainty"},
    };
    for (size_t k = 0; k < sizeof w / sizeof *w; k++)
        if (w[k].on)
            return w[k].name;
    return NULL;
}

/* Label value counts: direct for u8/u16, else the first
 * FIB_JOB_MEASURE_MAX_LABELS distinct values in raster order (the rule of
 * fib__job_labels_distinct()). */
typedef struct hist {
    double *direct; /* 65536 counts, or NULL */
    uint32_t val[FIB_JOB_MEASURE_MAX_LABELS];
    double cnt[FIB_JOB_MEASURE_MAX_LABELS];
    size_t n;
} hist;

static void hist_add(hist *h, const fib_volume *v)
{
    const size_t n = v->nx * v->ny * v->nz;
    for (size_t i = 0; i < n; i++) {
        const uint32_t x = fib_volume_label_at(v, i);
        if (h->direct) {
            h->direct[x] += 1;
            continue;
        }
        size_t j = 0;
        while (j < h->n && h->val[j] != x)
            j++;
        if (j == h->n) {
            if (h->n == FIB_JOB_MEASURE_MAX_LABELS)
                continue;
            h->val[h->n++] = x;
        }
        h->cnt[j] += 1;
    }
}

/* The distinct values, sorted, with their fractions into m. */
static void hist_finish(fib__measure *m, hist *h, double total)
{
    m->nval = 0;
    if (h->direct) {
        for (size_t b = 0; b < 65536 && m->nval < FIB_JOB_MEASURE_MAX_LABELS;
             b++)
            if (h->direct[b] > 0) {
                m->blk->frac[m->nval] = h->direct[b] / total;
                m->vals[m->nval++] = (uint32_t)b;
            }
        return;
    }
    for (size_t k = 0; k < h->n; k++) { /* insertion sort, <= 256 */
        size_t j = k;
        while (j > 0 && h->val[j - 1] > h->val[j]) {
            const uint32_t tv = h->val[j];
            const double tc = h->cnt[j];
            h->val[j] = h->val[j - 1];
            h->cnt[j] = h->cnt[j - 1];
            h->val[j - 1] = tv;
            h->cnt[j - 1] = tc;
            j--;
        }
    }
    for (size_t k = 0; k < h->n; k++) {
        m->vals[k] = h->val[k];
        m->blk->frac[k] = h->cnt[k] / total;
    }
    m->nval = h->n;
}

/* Sections [z0, z0 + n) as labels (f32 checked and converted). */
static fib_status read_slab(const fib__measure *m, size_t z0, size_t n,
                            fib_volume *v, fib_error *err)
{
    const char *path = m->p->labels_path;
    fib_status st = fib_fmt_volume_read_z(path, NULL, z0, n, v, NULL, err);
    if (st == FIB_OK)
        st = fib__job_labels_u32(path, v, z0 * v->nx * v->ny, err);
    return st;
}

/* Pass 1: voxel size, label values and fractions. */
static fib_status pass_values(fib__measure *m, const fib_fmt_info *in,
                              fib_error *err)
{
    const size_t nz = in->nz, d = m->blk->depth + 2 * m->blk->halo;
    const bool direct = in->type == FIB_PX_U8 || in->type == FIB_PX_U16;
    hist *h = calloc(1, sizeof *h);
    if (h && direct)
        h->direct = calloc(65536, sizeof *h->direct);
    if (!h || (direct && !h->direct)) {
        free(h);
        return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    }
    fib_status st = FIB_OK;
    for (size_t z0 = 0; st == FIB_OK && z0 < nz; z0 += d) {
        fib_volume v = {0};
        st = fib_progress_report(m->prog, "measure: label values", z0, nz, err);
        if (st == FIB_OK)
            st = read_slab(m, z0, nz - z0 < d ? nz - z0 : d, &v, err);
        if (st == FIB_OK && z0 == 0)
            memcpy(m->vol.voxel_size_nm, v.voxel_size_nm,
                   sizeof v.voxel_size_nm);
        if (st == FIB_OK)
            hist_add(h, &v);
        fib_volume_clear(&v);
    }
    if (st == FIB_OK)
        hist_finish(m, h, (double)in->nx * (double)in->ny * (double)nz);
    free(h->direct);
    free(h);
    return st;
}

fib_status fib__measure_blocks_plan(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    if (!p->memory_bytes)
        return FIB_OK;
    fib_fmt_info in;
    fib_status st = fib_fmt_probe(p->labels_path, NULL, &in, err);
    if (st != FIB_OK)
        return st;
    const double budget = (double)p->memory_bytes, mib = 1048576.0;
    const double need = whole_bytes(p, &in);
    if (need <= budget)
        return FIB_OK;
    const char *whole = needs_whole(p);
    if (whole)
        return fib_error_set(err, FIB_EBUDGET,
                             "measure: %s needs the whole volume %s in "
                             "memory (about %.0f MiB; --memory %.0f MiB): "
                             "raise --memory or leave %s out (block-wise: "
                             "fractions, surfaces, objects, thickness)",
                             whole, p->labels_path, need / mib, budget / mib,
                             whole);
    /* half for the slab, half for the object tables */
    const size_t halo = 3 + (size_t)ceil(3.0 * p->smooth_vox);
    const double plane = (double)in.nx * (double)in.ny;
    /* slab_bytes is linear in the depth */
    const double b0 = slab_bytes(in.type, 0, (double)halo) * plane;
    const double b1 = slab_bytes(in.type, 1, (double)halo) * plane - b0;
    const double fit = floor((0.5 * budget - b0) / b1);
    if (fit < 1)
        return fib_error_set(err, FIB_EBUDGET,
                             "measure: one section of %s with its %zu-section "
                             "halo needs about %.0f MiB (--memory %.0f MiB "
                             "keeps half for slabs): raise --memory",
                             p->labels_path, 2 * halo,
                             slab_bytes(in.type, 1, (double)halo) * plane / mib,
                             budget / mib);
    m->blk = calloc(1, sizeof *m->blk);
    if (!m->blk)
        return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    m->blk->depth = fit >= (double)in.nz ? in.nz : (size_t)fit;
    m->blk->halo = halo;
    m->blk->n_slabs = (in.nz + m->blk->depth - 1) / m->blk->depth;
    m->blk->whole_bytes = need;
    m->vol.type = in.type == FIB_PX_F32 ? FIB_PX_U32 : in.type;
    m->vol.nx = in.nx;
    m->vol.ny = in.ny;
    m->vol.nz = in.nz;
    return pass_values(m, &in, err);
}

void fib__measure_blocks_free(fib__measure *m)
{
    if (!m->blk)
        return;
    for (size_t k = 0; k < FIB_JOB_MEASURE_MAX_PHASES; k++) {
        free(m->blk->obj[k]);
        free(m->blk->htop[k]);
        free(m->blk->hcnt[k]);
    }
    free(m->blk);
    m->blk = NULL;
}

/* The slab's surface areas of label @p k's cube layers into the sums. */
static void add_surface(fib_phase_surface *sum, const fib_phase_surface *s)
{
    sum->area_um2 += s->area_um2;
    for (size_t q = 0; q < s->n_interfaces; q++) {
        size_t j = 0;
        while (j < sum->n_interfaces && sum->other[j] != s->other[q])
            j++;
        if (j == sum->n_interfaces) {
            if (j < 16)
                sum->other[sum->n_interfaces++] = s->other[q];
            else
                j = 15; /* pooled, as the whole path */
        }
        sum->interface_area_um2[j] += s->interface_area_um2[q];
    }
}

/* ---- deposit heights (as fib_recon_height_map()) ----------------------- */

/* The two axes of the face's columns (b fastest) and the voxel size. */
static void face_axes(const fib__measure *m, int *ax, int *b, int *c,
                      size_t dims[3], double sp[3])
{
    *ax = m->p->substrate_face / 2;
    *b = *ax == 0 ? 1 : 0;
    *c = *ax == 2 ? 1 : 2;
    dims[0] = m->vol.nx;
    dims[1] = m->vol.ny;
    dims[2] = m->vol.nz;
    for (int a = 0; a < 3; a++) {
        const double v = m->vol.voxel_size_nm[a];
        sp[a] = v > 0 && isfinite(v) ? v : 1.0;
    }
}

/* The height and count maps of label k over the owned sections [z0, z1)
 * of @p mask (their own sections only). */
static void heights_add(fib__measure *m, size_t k, const uint8_t *M, size_t z0,
                        size_t z1)
{
    int ax, b, c;
    size_t dims[3];
    double sp[3];
    face_axes(m, &ax, &b, &c, dims, sp);
    const bool hi = m->p->substrate_face % 2;
    double *top = m->blk->htop[k];
    uint32_t *cnt = m->blk->hcnt[k];
    size_t i = 0;
    for (size_t z = z0; z < z1; z++)
        for (size_t y = 0; y < dims[1]; y++)
            for (size_t x = 0; x < dims[0]; x++, i++) {
                if (!M[i])
                    continue;
                const size_t q[3] = {x, y, z}, t = q[ax];
                const size_t col = q[c] * dims[b] + q[b];
                const double d = hi ? (double)(dims[ax] - t) * sp[ax]
                                    : (double)(t + 1) * sp[ax];
                if (d > top[col])
                    top[col] = d;
                cnt[col]++;
            }
}

/* The statistics of fib_recon_height_map() from the maps of label k. */
static void heights_finish(fib__measure *m, size_t k)
{
    int ax, b, c;
    size_t dims[3];
    double sp[3];
    face_axes(m, &ax, &b, &c, dims, sp);
    const double *top = m->blk->htop[k];
    const uint32_t *cnt = m->blk->hcnt[k];
    const size_t ncol = dims[b] * dims[c];
    double sum = 0, sum2 = 0, mx = 0, dsum = 0, ra = 0;
    size_t cov = 0;
    for (size_t i = 0; i < ncol; i++) {
        sum += top[i];
        sum2 += top[i] * top[i];
        dsum += (double)cnt[i] * sp[ax];
        if (top[i] > mx)
            mx = top[i];
        cov += cnt[i] > 0;
    }
    fib_height_stats *hs = &m->blk->hs[k];
    hs->mean_nm = sum / (double)ncol;
    const double var = sum2 / (double)ncol - hs->mean_nm * hs->mean_nm;
    hs->std_nm = hs->rq_nm = sqrt(var > 0 ? var : 0);
    hs->max_nm = mx;
    hs->dense_mean_nm = dsum / (double)ncol;
    hs->covered_fraction = (double)cov / (double)ncol;
    for (size_t i = 0; i < ncol; i++) /* the map holds floats there */
        ra += fabs((double)(float)top[i] - hs->mean_nm);
    hs->ra_nm = ra / (double)ncol;
}

/* The maps of every measured label, within a quarter of the budget. */
static fib_status heights_alloc(fib__measure *m, fib_error *err)
{
    if (m->p->substrate_face < 0)
        return FIB_OK;
    int ax, b, c;
    size_t dims[3];
    double sp[3];
    face_axes(m, &ax, &b, &c, dims, sp);
    const size_t ncol = dims[b] * dims[c];
    const double bytes = (double)ncol * 12.0 * (double)m->nphase;
    if (bytes > (double)m->p->memory_bytes / 4)
        return fib_error_set(err, FIB_EBUDGET,
                             "measure: the deposit height maps of %s on face "
                             "%d need %.0f MiB, over a quarter of --memory "
                             "%.0f MiB: raise --memory",
                             m->p->labels_path, m->p->substrate_face,
                             bytes / 1048576.0,
                             (double)m->p->memory_bytes / 1048576.0);
    for (size_t k = 0; k < m->nphase; k++) {
        m->blk->htop[k] = calloc(ncol, sizeof(double));
        m->blk->hcnt[k] = calloc(ncol, sizeof(uint32_t));
        if (!m->blk->htop[k] || !m->blk->hcnt[k])
            return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    }
    return FIB_OK;
}

/* One slab: owned sections [z0, z1), read [a, b). */
static fib_status one_slab(fib__measure *m, fib_objects_stream **os, size_t z0,
                           size_t z1, fib_volume *mask, fib_error *err)
{
    const size_t nz = m->vol.nz, h = m->blk->halo,
                 plane = m->vol.nx * m->vol.ny;
    const size_t a = z0 > h ? z0 - h : 0;
    const size_t b = z1 + 1 + h < nz ? z1 + 1 + h : nz;
    const size_t l1 = z1 < nz - 1 ? z1 : nz - 1; /* owned cube layers */
    fib_volume v = {0};
    fib_status st = read_slab(m, a, b - a, &v, err);
    if (st == FIB_OK)
        memcpy(v.voxel_size_nm, m->vol.voxel_size_nm, sizeof v.voxel_size_nm);
    for (size_t k = 0; st == FIB_OK && k < m->nphase; k++) {
        const uint32_t ph = m->phases[k];
        if (l1 > z0) {
            fib_phase_surface s;
            st = fib_recon_phase_surface_layers(&v, ph, m->p->smooth_vox,
                                                z0 - a, l1 - a, &s, err);
            if (st == FIB_OK)
                add_surface(&m->blk->surf[k], &s);
        }
        uint8_t *M = mask->data;
        mask->nz = z1 - z0;
        for (size_t i = 0; i < mask->nz * plane; i++)
            M[i] = fib_volume_label_at(&v, (z0 - a) * plane + i) == ph;
        if (st == FIB_OK)
            st = fib_objects_stream_push(os[k], mask, err);
        if (st == FIB_OK && m->blk->htop[k])
            heights_add(m, k, M, z0, z1);
    }
    fib_volume_clear(&v);
    return st;
}

/* The object tables must stay within their half of the budget. */
static fib_status tables_fit(const fib__measure *m, fib_objects_stream **os,
                             fib_error *err)
{
    double bytes = 0;
    for (size_t k = 0; k < m->nphase; k++)
        bytes += (double)fib_objects_stream_bytes(os[k]);
    const double budget = (double)m->p->memory_bytes;
    if (bytes <= budget / 2)
        return FIB_OK;
    return fib_error_set(err, FIB_EBUDGET,
                         "measure: the object tables of %s need %.0f MiB, "
                         "over half of --memory %.0f MiB: raise --memory",
                         m->p->labels_path, bytes / 1048576.0,
                         budget / 1048576.0);
}

static void blockwise_entry(fib__measure *m)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "blockwise");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_number(j, "memory_mib",
                           (double)m->p->memory_bytes / 1048576.0);
    fib_fmt_json_kv_number(j, "whole_volume_mib",
                           m->blk->whole_bytes / 1048576.0);
    fib_fmt_json_kv_int(j, "sections_per_slab", (long long)m->blk->depth);
    fib_fmt_json_kv_int(j, "halo_sections", (long long)m->blk->halo);
    fib_fmt_json_kv_int(j, "slabs", (long long)m->blk->n_slabs);
    if (m->p->thickness) {
        fib_fmt_json_kv_int(j, "thickness_halo_sections",
                            (long long)m->blk->lt_halo);
        fib_fmt_json_kv_int(j, "thickness_slabs", (long long)m->blk->lt_slabs);
    }
    fib_fmt_json_end_object(j);
}

/* Give the heap's free memory back between passes: glibc keeps freed
 * blocks of the previous pass resident (its mmap threshold grows after
 * large frees), which would add to the next pass's slab. */
static void trim_heap(void)
{
#ifdef __GLIBC__
    (void)malloc_trim(0);
#endif
}

/* ---- local thickness (fib_recon_local_thickness_part) ---------------- */

/* Distinct values and their counts, ascending. */
typedef struct rle {
    float *v;
    double *c;
    size_t n, cap;
} rle;

static void rle_free(rle *r)
{
    free(r->v);
    free(r->c);
    memset(r, 0, sizeof *r);
}

static bool rle_push(rle *r, float v, double c)
{
    if (r->n && r->v[r->n - 1] == v) {
        r->c[r->n - 1] += c;
        return true;
    }
    if (r->n == r->cap) {
        const size_t cap = r->cap ? 2 * r->cap : 256;
        float *nv = realloc(r->v, cap * sizeof *nv);
        if (nv)
            r->v = nv;
        double *nc = realloc(r->c, cap * sizeof *nc);
        if (nc)
            r->c = nc;
        if (!nv || !nc)
            return false;
        r->cap = cap;
    }
    r->v[r->n] = v;
    r->c[r->n++] = c;
    return true;
}

/* @p a merged with @p b into @p a. */
static bool rle_merge(rle *a, const rle *b)
{
    rle o = {0};
    size_t i = 0, k = 0;
    bool ok = true;
    while (ok && (i < a->n || k < b->n)) {
        if (k == b->n || (i < a->n && a->v[i] < b->v[k])) {
            ok = rle_push(&o, a->v[i], a->c[i]);
            i++;
        } else {
            ok = rle_push(&o, b->v[k], b->c[k]);
            k++;
        }
    }
    if (!ok) {
        rle_free(&o);
        return false;
    }
    rle_free(a);
    *a = o;
    return true;
}

static int cmp_float(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return a < b ? -1 : a > b;
}

/* The thickness values of the owned mask voxels, as distinct counts. */
static bool slab_values(const fib_volume *t, const uint8_t *mask, float *buf,
                        rle *out)
{
    const size_t n = t->nx * t->ny * t->nz;
    const float *v = t->data;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mask[i] && isfinite(v[i]))
            buf[k++] = v[i];
    qsort(buf, k, sizeof *buf, cmp_float);
    bool ok = true;
    for (size_t i = 0; ok && i < k; i++)
        ok = rle_push(out, buf[i], 1);
    return ok;
}

/* Working bytes of a thickness slab per voxel of a section: the region
 * read (labels, the mask, the EDT, the painted map) and the owned
 * sections' values. */
static double lt_bytes(fib_pixel_type t, double d, double h)
{
    const double lab =
        (double)fib_pixel_size_bytes(t) + (t == FIB_PX_F32 ? 4.0 : 0.0);
    return (d + 2 * h) * (lab + 1.0 + 4.0 + 4.0) + d * (4.0 + 4.0);
}

/* One thickness slab [z0, z1) of every measured label with @p halo; the
 * values into @p acc only when every label's halo sufficed, else *need. */
static fib_status lt_slab(fib__measure *m, size_t z0, size_t z1, size_t halo,
                          rle *acc, size_t *need, fib_error *err)
{
    const size_t nz = m->vol.nz, plane = m->vol.nx * m->vol.ny;
    const size_t a = z0 > halo ? z0 - halo : 0;
    const size_t b = z1 + halo < nz ? z1 + halo : nz;
    fib_volume v = {0}, mask = {0}, t = {0};
    rle got[FIB_JOB_MEASURE_MAX_PHASES] = {{0}};
    float *buf = malloc((z1 - z0) * plane * sizeof *buf);
    fib_status st =
        buf ? read_slab(m, a, b - a, &v, err)
            : fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    if (st == FIB_OK)
        st = fib_volume_init(&mask, FIB_PX_U8, v.nx, v.ny, v.nz, err);
    if (st == FIB_OK)
        memcpy(mask.voxel_size_nm, m->vol.voxel_size_nm,
               sizeof mask.voxel_size_nm);
    *need = 0;
    for (size_t k = 0; st == FIB_OK && !*need && k < m->nphase; k++) {
        fib__job_label_mask(&v, m->phases[k], &mask);
        size_t nh = 0;
        st = fib_recon_local_thickness_part(&mask, z0 - a, z1 - a, a > 0,
                                            b < nz, &t, &nh, err);
        if (st == FIB_ERANGE) { /* read again with the halo asked */
            *need = nh;
            st = FIB_OK;
            fib_error_clear(err);
        } else if (st == FIB_OK &&
                   !slab_values(&t,
                                (const uint8_t *)mask.data + (z0 - a) * plane,
                                buf, &got[k])) {
            st = fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
        }
        fib_volume_clear(&t);
    }
    for (size_t k = 0; st == FIB_OK && !*need && k < m->nphase; k++)
        if (!rle_merge(&acc[k], &got[k]))
            st = fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    for (size_t k = 0; k < m->nphase; k++)
        rle_free(&got[k]);
    free(buf);
    fib_volume_clear(&mask);
    fib_volume_clear(&v);
    return st;
}

/* Pass 3: local thickness slab by slab, the halo grown until every ball
 * that reaches a slab is seen (fib_recon_local_thickness_part()). */
static fib_status pass_thickness(fib__measure *m, fib_error *err)
{
    fib__measure_blk *B = m->blk;
    const size_t nz = m->vol.nz;
    const double plane = (double)m->vol.nx * (double)m->vol.ny;
    const double half = (double)m->p->memory_bytes / 2;
    rle acc[FIB_JOB_MEASURE_MAX_PHASES] = {{0}};
    size_t halo = 8;
    fib_status st = FIB_OK;
    B->lt_slabs = 0;
    for (size_t z0 = 0; st == FIB_OK && z0 < nz;) {
        const double b0 = lt_bytes(m->vol.type, 0, (double)halo) * plane;
        const double b1 = lt_bytes(m->vol.type, 1, (double)halo) * plane - b0;
        const double fit = floor((half - b0) / b1);
        if (fit < 1) {
            st = fib_error_set(err, FIB_EBUDGET,
                               "measure: local thickness of %s needs a halo of "
                               "%zu sections (balls up to about %.0f nm), "
                               "about %.0f MiB a section (--memory %.0f MiB "
                               "keeps half for slabs): raise --memory or pass "
                               "--no-thickness",
                               m->p->labels_path, halo,
                               (double)halo / 2 * m->vol.voxel_size_nm[2],
                               (b0 + b1) / 1048576.0, 2 * half / 1048576.0);
            break;
        }
        const size_t z1 = fit >= (double)(nz - z0) ? nz : z0 + (size_t)fit;
        size_t need = 0;
        st = fib_progress_report(m->prog, "measure: local thickness", z0, nz,
                                 err);
        if (st == FIB_OK)
            st = lt_slab(m, z0, z1, halo, acc, &need, err);
        if (st == FIB_OK && need) {
            halo = need > halo ? need : 2 * halo;
            trim_heap();
            continue;
        }
        B->lt_slabs++;
        z0 = z1;
        trim_heap();
    }
    B->lt_halo = halo;
    for (size_t k = 0; st == FIB_OK && k < m->nphase; k++)
        st = fib_recon_distribution_counts(acc[k].v, acc[k].c, acc[k].n, 32,
                                           &B->lt[k], err);
    for (size_t k = 0; k < m->nphase; k++)
        rle_free(&acc[k]);
    return st;
}

fib_status fib__measure_blocks_run(fib__measure *m, fib_error *err)
{
    fib__measure_blk *B = m->blk;
    const size_t nz = m->vol.nz;
    fib_objects_stream *os[FIB_JOB_MEASURE_MAX_PHASES] = {0};
    fib_volume mask = {0};
    fib_status st =
        fib_volume_init(&mask, FIB_PX_U8, m->vol.nx, m->vol.ny, B->depth, err);
    if (st == FIB_OK)
        st = heights_alloc(m, err);
    for (size_t k = 0; st == FIB_OK && k < m->nphase; k++)
        st = fib_objects_stream_create(
            m->vol.nx, m->vol.ny, nz, m->vol.voxel_size_nm, NULL,
            m->p->connectivity, m->p->substrate_face, &os[k], err);
    for (size_t z0 = 0; st == FIB_OK && z0 < nz; z0 += B->depth) {
        const size_t z1 = z0 + B->depth < nz ? z0 + B->depth : nz;
        st = fib_progress_report(m->prog, "measure: surfaces and objects", z0,
                                 nz, err);
        if (st == FIB_OK)
            st = one_slab(m, os, z0, z1, &mask, err);
        if (st == FIB_OK)
            st = tables_fit(m, os, err);
    }
    /* the whole path's per-volume densities (fib_recon_phase_surface) */
    double sp[3];
    for (int a = 0; a < 3; a++)
        sp[a] = m->vol.voxel_size_nm[a] > 0 ? m->vol.voxel_size_nm[a] : 1.0;
    const double vtot = (double)m->vol.nx * (double)m->vol.ny * (double)nz *
                        sp[0] * sp[1] * sp[2] * 1e-9;
    for (size_t k = 0; st == FIB_OK && k < m->nphase; k++) {
        st = fib_objects_stream_finish(os[k], &B->obj[k], &B->nobj[k], err);
        double frac = 0;
        for (size_t v = 0; v < m->nval; v++)
            if (m->vals[v] == m->phases[k])
                frac = B->frac[v];
        if (B->htop[k])
            heights_finish(m, k);
        fib_phase_surface *s = &B->surf[k];
        s->per_total_um = vtot > 0 ? s->area_um2 / vtot : 0;
        s->per_phase_um = frac > 0 ? s->area_um2 / (frac * vtot) : 0;
    }
    for (size_t k = 0; k < m->nphase; k++)
        fib_objects_stream_destroy(os[k]);
    fib_volume_clear(&mask);
    trim_heap();
    if (st == FIB_OK && m->p->thickness)
        st = pass_thickness(m, err);
    if (st != FIB_OK)
        return st;
    blockwise_entry(m);
    FIB__SAY(m,
             "measure: block-wise in %zu slabs of %zu sections (--memory "
             "%.0f MiB; the whole volume needs about %.0f MiB)",
             B->n_slabs, B->depth, (double)m->p->memory_bytes / 1048576.0,
             B->whole_bytes / 1048576.0);
    if (m->res) {
        m->res->blockwise = true;
        m->res->block_sections = B->depth;
    }
    return FIB_OK;
}
