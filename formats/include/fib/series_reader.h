/*
 * fib/series_reader.h -- read a series of image files in order, decoding
 * ahead on threads of its own, and serve a second pass without decoding
 * again.
 *
 * A slice-and-view series is read twice by the reconstruction (fib/recon.h:
 * pass 1 measures, pass 2 resamples), each time in increasing slice order,
 * from the calling thread.  Decoding compressed files (PNG: inflate and the
 * row filters) costs more than the alignment itself, so this reader decodes
 * the next slices on its own threads while the caller works on the current
 * one, and -- when asked -- copies every decoded slice into an unlinked
 * temporary file of raw pixels so that a second pass reads them back at
 * memory speed (the page cache) instead of decoding them again.  Memory
 * stays flat in the slice count: at most `ahead` decoded slices plus the
 * one handed out are held; the spill file lives on disk (and vanishes
 * with the process, even when it is killed).
 *
 * Results do not depend on the number of threads: each slice is decoded
 * by exactly one call of fib_fmt_image_read(), whichever thread runs it.
 * Waiting is passive (condition variables), never a spin.
 */
#ifndef FIB_SERIES_READER_H
#define FIB_SERIES_READER_H

#include "fib/common.h"
#include "fib/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fib_fmt_series_reader fib_fmt_series_reader;

typedef struct fib_fmt_series_reader_opts {
    /** Decoder threads started by the reader; 0 = decode on the calling
     *  thread inside fib_fmt_series_reader_get() (no thread started). */
    int threads;
    /** Slices decoded ahead of the one asked for (the memory held is
     *  ahead + 1 decoded slices); 0 = 2 x threads + 1.  Ignored without
     *  threads. */
    size_t ahead;
    /** A folder for the spill file (NULL = no spill): every slice decoded
     *  without error and of the first slice's size and type is written
     *  there as raw pixels, and a later fib_fmt_series_reader_get() of it
     *  reads those bytes instead of decoding the file.  Failure to create
     *  or write the spill is not an error: those slices are decoded
     *  again. */
    const char *spill_dir;
    /** Slice i is page (section) i of paths[i] -- a multi-page TIFF, MRC,
     *  NRRD or OME-Zarr stack whose path is repeated n times -- rather
     *  than the first image of its own file. */
    bool pages;
} fib_fmt_series_reader_opts;

/**
 * A reader over the @p n files @p paths (borrowed: they must outlive the
 * reader).  Errors: FIB_EINVAL (no files, bad options), FIB_ENOMEM,
 * FIB_EIO (a thread could not be started).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_series_reader_create(
    char *const *paths, size_t n, const fib_fmt_series_reader_opts *opts,
    fib_fmt_series_reader **out, fib_error *err);

/**
 * Decoded slice @p i (as fib_fmt_image_read() gives it, data bar cropped)
 * in *@p img, owned by the reader and valid until the next call or
 * fib_fmt_series_reader_destroy().  Calls are cheapest in increasing order
 * i, i + 1, ...; any other order is served (the read-ahead restarts at
 * @p i).  Errors: those of fib_fmt_image_read() for that file (the message
 * names it), FIB_EINVAL (@p i out of range).
 */
FIB_API FIB_NODISCARD fib_status fib_fmt_series_reader_get(
    fib_fmt_series_reader *r, size_t i, const fib_image **img, fib_error *err);

/** Slices served from the spill file so far (not decoded again). */
FIB_API size_t fib_fmt_series_reader_spill_hits(const fib_fmt_series_reader *r);

/** Stop the threads, free everything, close the spill.  NULL is a no-op. */
FIB_API void fib_fmt_series_reader_destroy(fib_fmt_series_reader *r);

#ifdef __cplusplus
}
#endif

#endif
