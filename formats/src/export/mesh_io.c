/* mesh_io.c -- binary STL and PLY writers (see fib/mesh_io.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "atomic.h"
#include "fib/mesh_io.h"

static void put_f32(unsigned char *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    b[0] = (unsigned char)(u & 0xff);
    b[1] = (unsigned char)((u >> 8) & 0xff);
    b[2] = (unsigned char)((u >> 16) & 0xff);
    b[3] = (unsigned char)(u >> 24);
}

static void put_u32(unsigned char *b, uint32_t u)
{
    b[0] = (unsigned char)(u & 0xff);
    b[1] = (unsigned char)((u >> 8) & 0xff);
    b[2] = (unsigned char)((u >> 16) & 0xff);
    b[3] = (unsigned char)(u >> 24);
}

static fib_status check_mesh(const char *path, const fib_mesh *m,
                             fib_error *err)
{
    if (!path || !*path)
        return fib_error_set(err, FIB_EINVAL, "formats: empty mesh path");
    if (!m || (m->n_triangles && (!m->triangles || !m->vertices)))
        return fib_error_set(err, FIB_EINVAL, "%s: mesh has no data", path);
    if (m->n_triangles > UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "%s: %zu triangles exceed the stl/ply limit", path,
                             m->n_triangles);
    for (size_t k = 0; k < 3 * m->n_triangles; k++)
        if (m->triangles[k] >= m->n_vertices)
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: triangle %zu refers to vertex %u of %zu",
                                 path, k / 3, m->triangles[k], m->n_vertices);
    return FIB_OK;
}

fib_status fib_fmt_mesh_write_stl(const char *path, const fib_mesh *m,
                                  fib_error *err)
{
    fib__atomic_file af;
    fib_status st = check_mesh(path, m, err);
    if (st != FIB_OK)
        return st;
    if ((st = fib__atomic_begin(path, &af, err)) != FIB_OK)
        return st;
    unsigned char head[84];
    memset(head, 0, sizeof head);
    (void)snprintf((char *)head, 80, "cryofib mesh, units nm");
    put_u32(head + 80, (uint32_t)m->n_triangles);
    fwrite(head, 1, sizeof head, af.fp);
    unsigned char rec[50];
    for (size_t k = 0; k < m->n_triangles; k++) {
        const float *p[3];
        for (int j = 0; j < 3; j++)
            p[j] = m->vertices + 3 * (size_t)m->triangles[3 * k + (size_t)j];
        float u[3], v[3], n[3];
        for (int i = 0; i < 3; i++) {
            u[i] = p[1][i] - p[0][i];
            v[i] = p[2][i] - p[0][i];
        }
        n[0] = u[1] * v[2] - u[2] * v[1];
        n[1] = u[2] * v[0] - u[0] * v[2];
        n[2] = u[0] * v[1] - u[1] * v[0];
        float l = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        for (int i = 0; i < 3; i++)
            put_f32(rec + 4 * i, l > 0 ? n[i] / l : 0.0f);
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 3; i++)
                put_f32(rec + 12 + 12 * j + 4 * i, p[j][i]);
        rec[48] = rec[49] = 0;
        fwrite(rec, 1, sizeof rec, af.fp);
    }
    return fib__atomic_commit(&af, err);
}

fib_status fib_fmt_mesh_write_ply(const char *path, const fib_mesh *m,
                                  const char *scalar_name, fib_error *err)
{
    fib__atomic_file af;
    fib_status st = check_mesh(path, m, err);
    if (st != FIB_OK)
        return st;
    const char *sn = scalar_name && *scalar_name ? scalar_name : "scalar";
    for (const char *c = sn; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_'))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: ply property name '%s' must be "
                                 "alphanumeric",
                                 path, sn);
    float *nrm = fib_mesh_vertex_normals(m);
    if (!nrm)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    if ((st = fib__atomic_begin(path, &af, err)) != FIB_OK) {
        free(nrm);
        return st;
    }
    char hdr[768];
    int hl = snprintf(
        hdr, sizeof hdr,
        "ply\nformat binary_little_endian 1.0\ncomment cryofib mesh, "
        "units nm\nelement vertex %zu\nproperty float x\nproperty float "
        "y\nproperty float z\nproperty float nx\nproperty float "
        "ny\nproperty float nz\n%s%s%selement face %zu\nproperty list "
        "uchar int vertex_indices\nend_header\n",
        m->n_vertices, m->scalar ? "property float " : "", m->scalar ? sn : "",
        m->scalar ? "\n" : "", m->n_triangles);
    if (hl <= 0 || (size_t)hl >= sizeof hdr) {
        free(nrm);
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_EINVAL, "%s: ply header too long", path);
    }
    fwrite(hdr, 1, (size_t)hl, af.fp);
    unsigned char rec[28];
    for (size_t k = 0; k < m->n_vertices; k++) {
        for (int i = 0; i < 3; i++) {
            put_f32(rec + 4 * i, m->vertices[3 * k + (size_t)i]);
            put_f32(rec + 12 + 4 * i, nrm[3 * k + (size_t)i]);
        }
        size_t len = 24;
        if (m->scalar) {
            put_f32(rec + 24, m->scalar[k]);
            len = 28;
        }
        fwrite(rec, 1, len, af.fp);
    }
    unsigned char face[13];
    face[0] = 3;
    for (size_t k = 0; k < m->n_triangles; k++) {
        for (int j = 0; j < 3; j++)
            put_u32(face + 1 + 4 * j, m->triangles[3 * k + (size_t)j]);
        fwrite(face, 1, sizeof face, af.fp);
    }
    free(nrm);
    return fib__atomic_commit(&af, err);
}

fib_status fib_fmt_mesh_write(const char *path, const fib_mesh *m,
                              fib_error *err)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && strcasecmp(dot, ".stl") == 0)
        return fib_fmt_mesh_write_stl(path, m, err);
    if (dot && strcasecmp(dot, ".ply") == 0)
        return fib_fmt_mesh_write_ply(path, m, NULL, err);
    return fib_error_set(err, FIB_EINVAL,
                         "%s: mesh output must end in .stl or .ply",
                         path ? path : "(null)");
}
