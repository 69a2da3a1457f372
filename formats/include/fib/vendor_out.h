/*
 * fib/vendor_out.h -- single-page TIFF images carrying the vendor metadata
 * a FIB-SEM writes: Thermo Fisher / FEI INI text in tag 34682
 * ([Scan] PixelWidth in m, [Stage] StageT in radians, [Beam] HV in V,
 * [EBeam]/[IBeam] sections) and Zeiss SmartSEM text in tag 34118
 * (AP_IMAGE_PIXEL_SIZE "Image Pixel Size = 10.00 nm", AP_STAGE_AT_T
 * "Stage at T = 54.0 deg", DP_TILT_CORRECTION ...), laid out as the real
 * files in ../shared/data/fei-* and zeiss-* are, so that this library's
 * reader (vendor_meta.c) and tifffile read them back.  Used by the digital
 * twin (`cryofib simulate`).
 */
#ifndef FIB_VENDOR_OUT_H
#define FIB_VENDOR_OUT_H

#include "fib/common.h"
#include "fib/formats.h"
#include "fib/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Write @p img (u8 or u16, uncompressed, one strip, little-endian classic
 * TIFF) to @p path (temporary name, then rename) with the metadata of
 * @p meta in the vendor's tag: meta->vendor is FIB_VENDOR_THERMO_FEI or
 * FIB_VENDOR_ZEISS; pixel_size_nm[0] (required, > 0; [1] for FEI
 * PixelHeight, NaN = same), stage_tilt_deg, hv_kV, current_pA,
 * working_distance_nm, tilt_correction (0/1; -1 = not written), beam
 * (FEI: EBeam or IBeam section), instrument and detector; NaN fields are
 * left out.  Errors: FIB_EINVAL (type, vendor, pixel size), FIB_EIO.
 */
FIB_API FIB_NODISCARD fib_status
fib_fmt_vendor_tiff_write(const char *path, const fib_image *img,
                          const fib_fmt_meta *meta, fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_VENDOR_OUT_H */
