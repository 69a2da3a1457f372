/*
 * fib/formats.h -- every byte of image and volume data that crosses a file:
 * PNG, TIFF (with Thermo Fisher/FEI and Zeiss vendor metadata, ImageJ
 * stacks), MRC 2014 and NRRD.
 *
 * The format is chosen by file content on read (magic bytes) and by
 * extension on write: .png, .tif/.tiff, .mrc/.map/.rec, .nrrd (raw, or
 * gzip encoding with fib_fmt_write_opts.nrrd_gzip).
 *
 * Every reader validates sizes with checked arithmetic, refuses headers
 * that claim more than opts->max_bytes (default 4 GiB) and names the file
 * and the field in its error.  Every writer writes to a temporary name and
 * renames when complete (fib/report.h).
 *
 * Thread-safety: all functions are safe to call concurrently on distinct
 * files and distinct output structs.
 */
#ifndef FIB_FORMATS_H
#define FIB_FORMATS_H

#include "fib/common.h"
#include "fib/image.h"
#include "fib/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fib_fmt_kind {
    FIB_FMT_UNKNOWN = 0,
    FIB_FMT_PNG,
    FIB_FMT_TIFF,
    FIB_FMT_MRC,
    FIB_FMT_NRRD,
    FIB_FMT_ZARR /**< OME-Zarr (Zarr v2, OME-NGFF 0.4) folder, ".zarr" */
} fib_fmt_kind;

/** "png", "tiff", "mrc", "nrrd", "zarr", "unknown". */
FIB_API const char *fib_fmt_kind_name(fib_fmt_kind kind);

/** Format implied by a path's extension (case-insensitive); UNKNOWN if
 *  none matches. */
FIB_API fib_fmt_kind fib_fmt_kind_from_path(const char *path);

typedef enum fib_fmt_vendor {
    FIB_VENDOR_NONE = 0,
    FIB_VENDOR_THERMO_FEI, /**< INI block in TIFF tag 34682 (or 34680) */
    FIB_VENDOR_ZEISS,      /**< SEM text in TIFF tag 34118 */
    FIB_VENDOR_IMAGEJ      /**< ImageJ ImageDescription */
} fib_fmt_vendor;

typedef enum fib_fmt_beam {
    FIB_BEAM_UNKNOWN = 0,
    FIB_BEAM_ELECTRON,
    FIB_BEAM_ION
} fib_fmt_beam;

/**
 * What a file says about how it was taken.  Every double is NaN when the
 * file does not say it.  Lengths in nm, angles in degrees, HV in kV,
 * current in pA.
 */
typedef struct fib_fmt_meta {
    fib_fmt_vendor vendor;
    fib_fmt_beam beam;
    double pixel_size_nm[2]; /**< x, y as written by the vendor */
    double voxel_depth_nm;   /**< z spacing (MRC, NRRD, ImageJ) */
    double hfw_nm;           /**< horizontal field width */
    double hv_kV;            /**< accelerating voltage (EHT) */
    double current_pA;       /**< beam current */
    double stage_tilt_deg;   /**< stage tilt */
    double working_distance_nm;
    int tilt_correction; /**< 1 on, 0 off, -1 not stated */
    char instrument[64]; /**< e.g. "Helios NanoLab 660" */
    char detector[32];   /**< e.g. "TLD", "SE2", "InLens" */
    char source_key[48]; /**< key the pixel size came from */
    size_t full_height;  /**< image rows in the file, data bar too */
    size_t databar_rows; /**< rows that are vendor data bar */
    /** Angle between the electron and ion columns as the file states it
     *  (Zeiss AP_FIB_SEM_ANGLE, 54 on a Crossbeam); NaN when not stated
     *  (Thermo/FEI files do not state it: 52 on every DualBeam). */
    double beam_angle_deg;
} fib_fmt_meta;

/** Set every field of @p meta to "not stated". */
FIB_API void fib_fmt_meta_init(fib_fmt_meta *meta);

/** Options for readers.  Zero-initialise, then set. */
typedef struct fib_fmt_read_opts {
    bool keep_databar; /**< false (default): crop the vendor data bar */
    size_t page;       /**< page of a multi-page file for image reads */
    size_t max_bytes;  /**< refuse larger pixel data; 0 = 4 GiB */
    /** NRRD: read a detached "data file" outside the header's folder
     *  (absolute, "..", or a link leading out); false (default) refuses
     *  it with FIB_EINVAL naming the field. */
    bool allow_outside_data;
} fib_fmt_read_opts;

/** File summary without reading pixel data (fib_fmt_probe()). */
typedef struct fib_fmt_info {
    fib_fmt_kind kind;
    fib_pixel_type type;
    size_t nx, ny, nz;    /**< nz = pages / sections / slices */
    bool tiled;           /**< TIFF tiles rather than strips */
    char compression[24]; /**< "none", "lzw", "deflate", "gzip", ... */
    fib_fmt_meta meta;
    /** NRRD with detached data: the data file as the reader opens it
     *  (header folder + "data file"); "" otherwise.  An input too. */
    char data_file[1024];
} fib_fmt_info;

/**
 * Read the header(s) of @p path: kind, size, pixel type, metadata.  No
 * pixel data are allocated (except one page of a Zeiss TIFF, to find its
 * data zone), so the size limit defaults to 1 TiB here rather than 4 GiB.
 * Errors: FIB_ENOTFOUND (no such file), FIB_EFORMAT (not a supported or a
 * corrupt file), FIB_ERANGE (claimed size over limits), FIB_EIO.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_probe(const char *path,
                                               const fib_fmt_read_opts *opts,
                                               fib_fmt_info *info,
                                               fib_error *err);

/**
 * Read sections [@p z0, @p z0 + @p count) of a volume (TIFF pages, MRC /
 * NRRD sections, OME-Zarr level 0 -- only the chunks holding them) into a
 * new owned volume of count sections, as fib_fmt_volume_read() would give
 * them (opts->page ignored): the slab reader of streaming work.  Errors:
 * those of fib_fmt_volume_read(), FIB_ERANGE (sections beyond the file),
 * FIB_EINVAL (count 0; a PNG beyond its one image).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_volume_read_z(
    const char *path, const fib_fmt_read_opts *opts, size_t z0, size_t count,
    fib_volume *vol, fib_fmt_meta *meta, fib_error *err);

/**
 * Read one 2D image (page opts->page of a TIFF stack, section opts->page of
 * an MRC or NRRD volume; only that slice is read) into a new owned image of
 * the file's pixel type (RGB/RGBA is converted to grey, ITU-R BT.709 luma
 * Y = 0.2126 R + 0.7152 G + 0.0722 B on the stored values; signed 16-bit
 * MRC mode 1 and int8 are shifted into unsigned range, see the docs).
 * Pixel sizes from the metadata are copied into img->pixel_size_nm.  The
 * data bar is cropped unless opts->keep_databar.  @p meta may be NULL.
 */
FIB_API FIB_NODISCARD fib_status
fib_fmt_image_read(const char *path, const fib_fmt_read_opts *opts,
                   fib_image *img, fib_fmt_meta *meta, fib_error *err);

/**
 * Read a whole volume (multi-page TIFF, MRC, NRRD; a single image gives
 * nz = 1) into a new owned volume.  Voxel sizes come from the header.
 */
FIB_API FIB_NODISCARD fib_status
fib_fmt_volume_read(const char *path, const fib_fmt_read_opts *opts,
                    fib_volume *vol, fib_fmt_meta *meta, fib_error *err);

/** Options for writers.  Zero-initialise, then set. */
typedef struct fib_fmt_write_opts {
    bool nrrd_gzip;       /**< NRRD: gzip encoding instead of raw */
    int tiff_compression; /**< 0 none, 1 deflate, 2 lzw */
    /** OME-Zarr: chunk size z, y, x (0 = 1 x 512 x 512 for grey, 128^3
     *  for labels; clamped to the volume) */
    size_t zarr_chunk[3];
    int zarr_levels;     /**< pyramid levels incl. full size; 0 = halve
                              until the larger xy side is <= 256 */
    bool zarr_labels;    /**< labels: pyramid by the most frequent value
                              (else the mean), 128^3 chunks by default */
    int zarr_zlib_level; /**< 1..9; 0 = 1 */
    /** OME-Zarr chunk compressor (numcodecs ids): FIB_ZARR_ZLIB (default),
     *  FIB_ZARR_BLOSC (lz4, level 5, byte shuffle: zarr-python's default)
     *  or FIB_ZARR_RAW (none). */
    int zarr_compressor;
    /** MRC: a stack of this many volumes of nz / mrc_volumes sections
     *  each (MRC2014 volume stack: ISPG 401, MZ = sections per volume;
     *  mrcfile reads it as a 4-D array, volume first); 0 or 1 = one
     *  volume.  Ignored unless it divides nz. */
    size_t mrc_volumes;
    /** OME-Zarr written by several processes (fib/comm.h), each with its
     *  own writer: this one writes output slices [zarr_z_begin,
     *  zarr_z_end) of the nz announced -- both multiples of
     *  fib_fmt_zarr_z_align(), or zarr_z_end = nz -- and the pyramid
     *  chunks they reduce to, straight into the folder given as the path
     *  (no temporary name: the caller stages the folder, e.g. in an
     *  output transaction, fib/txn.h).  The writer of the part that
     *  starts at 0 writes the metadata.  An empty part writes nothing.
     *  Together the parts give the bytes one writer gives. */
    bool zarr_part;
    size_t zarr_z_begin, zarr_z_end;
} fib_fmt_write_opts;

/** fib_fmt_write_opts.zarr_compressor values. */
enum { FIB_ZARR_ZLIB = 0, FIB_ZARR_BLOSC = 1, FIB_ZARR_RAW = 2 };

/** "zlib", "blosc", "none" for a zarr_compressor value (NULL if unknown);
 *  and back (-1 if unknown). */
FIB_API const char *fib_fmt_zarr_compressor_name(int c);
/** The z alignment of an OME-Zarr volume of nx x ny x nz written with
 *  @p opts (may be NULL): the parts of fib_fmt_write_opts.zarr_part must
 *  start at multiples of it so that no chunk of any pyramid level is
 *  shared by two parts (the least common multiple of chunk depth x 2^L
 *  over the levels L; nz when that exceeds nz). */
FIB_API size_t fib_fmt_zarr_z_align(size_t nx, size_t ny, size_t nz,
                                    const fib_fmt_write_opts *opts);
FIB_API int fib_fmt_zarr_compressor_parse(const char *name);

/** Write one image; format by extension (.png, .tif, .mrc, .nrrd).  PNG
 *  takes u8 and u16 only. */
FIB_API FIB_NODISCARD fib_status
fib_fmt_image_write(const char *path, const fib_image *img,
                    const fib_fmt_write_opts *opts, fib_error *err);

/**
 * Write a volume; format by extension (.tif ImageJ stack, .mrc, .nrrd; .png
 * for nz = 1).  MRC modes: u8 and u16 -> mode 6 (u8 widened, as mrcfile
 * does), f32 -> mode 2, u32 labels -> mode 2 (exact up to 2^24, larger
 * labels give FIB_ERANGE).  Errors: FIB_EINVAL (unknown extension, bad
 * type or size), FIB_EIO; no file is left behind on failure.
 */
FIB_API FIB_NODISCARD fib_status
fib_fmt_volume_write(const char *path, const fib_volume *vol,
                     const fib_fmt_write_opts *opts, fib_error *err);

/** A whole file of at most @p max_bytes into a new buffer (*@p out,
 *  free(); one NUL byte added after the *@p len bytes).  Errors:
 *  FIB_ENOTFOUND, FIB_EIO, FIB_EINVAL (larger than max_bytes, naming the
 *  file and the limit), FIB_ENOMEM. */
FIB_API FIB_NODISCARD fib_status fib_fmt_bytes_read(const char *path,
                                                    size_t max_bytes,
                                                    char **out, size_t *len,
                                                    fib_error *err);

/** @p len bytes into the file @p path, through a temporary name renamed
 *  when complete.  Errors: FIB_EINVAL, FIB_EIO. */
FIB_API FIB_NODISCARD fib_status fib_fmt_bytes_write(const char *path,
                                                     const void *data,
                                                     size_t len,
                                                     fib_error *err);

/**
 * Streaming volume writer: slices are appended one at a time, so a volume
 * larger than memory can be written as it is produced.  The file exists
 * under its final name only after fib_fmt_volume_writer_finish(); destroy
 * without finish removes the temporary file.  @p nz is the number of slices
 * that will be appended (MRC and NRRD headers need it up front).
 */
typedef struct fib_fmt_volume_writer fib_fmt_volume_writer;

FIB_API FIB_NODISCARD fib_status fib_fmt_volume_writer_create(
    const char *path, fib_pixel_type type, size_t nx, size_t ny, size_t nz,
    const double voxel_size_nm[3], const fib_fmt_write_opts *opts,
    fib_fmt_volume_writer **out, fib_error *err);
/** Append the next slice; its size and type must match. */
FIB_API FIB_NODISCARD fib_status fib_fmt_volume_writer_append(
    fib_fmt_volume_writer *w, const fib_image *slice, fib_error *err);
/** Check that nz slices were appended, close and rename into place. */
FIB_API FIB_NODISCARD fib_status
fib_fmt_volume_writer_finish(fib_fmt_volume_writer *w, fib_error *err);
FIB_API void fib_fmt_volume_writer_destroy(fib_fmt_volume_writer *w);

/**
 * Vendor metadata as ordered key/value pairs ("Scan/PixelWidth" ->
 * "9.765625e-008"), for `cryofib info`.  @p *pairs_out is a malloc'ed
 * array of 2 * n malloc'ed strings; free with fib_fmt_pairs_free().
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_vendor_pairs(const char *path,
                                                      char ***pairs_out,
                                                      size_t *n_out,
                                                      fib_error *err);
FIB_API void fib_fmt_pairs_free(char **pairs, size_t n);

/**
 * A slice series: SRC is a folder (all .tif/.tiff/.png files in it), a
 * glob pattern ("run/slice_*.tif") or a list file (.txt/.lst, one path per
 * line, relative to the list's folder, # comments).  Names are sorted in
 * natural order ("slice_2" before "slice_10").  @p *paths_out is a
 * malloc'ed array of malloc'ed strings; free with fib_fmt_series_free().
 * Errors: FIB_ENOTFOUND (nothing matched), FIB_EIO.
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_series_list(const char *src,
                                                     char ***paths_out,
                                                     size_t *n_out,
                                                     fib_error *err);
FIB_API void fib_fmt_series_free(char **paths, size_t n);

/**
 * Measured face positions from slice file names, Zeiss Atlas 3D style:
 * "slice_00100_z=1.0894um.tif" (also "z=1089.4nm", "z=-0.5um", unit um,
 * µm or nm, case-insensitive; the last "z=" of the file's base name).
 * Fills @p z_nm[n] and returns true when every name carries one; else
 * false with *@p first_missing (may be NULL) the first index without.
 */
FIB_API bool fib_fmt_series_z_nm(char *const *paths, size_t n, double *z_nm,
                                 size_t *first_missing);

/**
 * Slice depths from a CSV file: exactly @p n data rows, in slice order;
 * the column named "z_nm" (or "z") of a header row, else the last column;
 * "#" lines and blank lines skipped.  Errors: FIB_ENOTFOUND, FIB_EFORMAT
 * (naming the file, the line and the field: not a number, not finite,
 * another row count).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_read_z_csv(const char *path, size_t n,
                                                    double *z_nm,
                                                    fib_error *err);

/** Natural-order comparison of two names (digit runs compare as numbers). */
FIB_API int fib_fmt_natural_cmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif /* FIB_FORMATS_H */
