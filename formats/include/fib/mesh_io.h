/*
 * fib/mesh_io.h -- triangle mesh files: binary STL and binary PLY (with an
 * optional per-vertex scalar, e.g. coating thickness, and vertex normals),
 * for ParaView, MeshLab, Blender or a slicer.  Written to a temporary name
 * and renamed when complete.  Coordinates are written in the units of the
 * mesh (nm for recon meshes).
 *
 * Thread-safety: safe on distinct paths.
 */
#ifndef FIB_MESH_IO_H
#define FIB_MESH_IO_H

#include "fib/common.h"
#include "fib/mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Binary STL (80-byte header, uint32 count, 50 bytes per triangle: facet
 * normal, three vertices, attribute 0; little-endian float32).
 * Errors: FIB_EINVAL (empty path), FIB_EIO naming the path.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_mesh_write_stl(const char *path,
                                                        const fib_mesh *m,
                                                        fib_error *err);

/**
 * Binary little-endian PLY: vertex x y z nx ny nz (float) plus
 * @p scalar_name (float, when m->scalar is set; NULL name = "scalar"),
 * face list (uchar count, int indices).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_mesh_write_ply(const char *path,
                                                        const fib_mesh *m,
                                                        const char *scalar_name,
                                                        fib_error *err);

/** Write by extension: .stl or .ply (case-insensitive); other extensions
 *  give FIB_EINVAL naming the path. */
FIB_API FIB_NODISCARD fib_status fib_fmt_mesh_write(const char *path,
                                                    const fib_mesh *m,
                                                    fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_MESH_IO_H */
