/*
 * tiff_vendor_out.c -- single-page TIFF with Thermo/FEI (tag 34682) or
 * Zeiss (tag 34118) metadata text (fib/vendor_out.h).  Hand-written
 * classic TIFF (as tiff_ij_out.c): header, one IFD, the values, one strip;
 * no libtiff, so no private-tag registration (TIFFMergeFieldInfo) is
 * needed and nothing global is touched.
 *
 * Text layouts follow the real files in ../shared/data: FEI INI sections
 * with CRLF line ends ([User], [System], [Beam], [EBeam]/[IBeam], [Scan],
 * [EScan]/[IScan], [Stage], [Detectors], [Image]; SI units, StageT in
 * radians); Zeiss: leading numeric lines, then NAME / "Label = value" line
 * pairs, lengths with units, the degree sign in Latin-1 (0xB0) as SmartSEM
 * writes it.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "fib/vendor_out.h"

typedef struct text {
    char buf[6144];
    size_t n;
    bool over;
} text;

/* Append formatted text; a text that does not fit sets t->over. */
static void vadd(text *t, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vadd(text *t, const char *fmt, va_list ap)
{
    const int w = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
    if (w < 0 || (size_t)w >= sizeof t->buf - t->n)
        t->over = true;
    else
        t->n += (size_t)w;
}

static void add(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(t, fmt, ap);
    va_end(ap);
}

static void fei_text(text *t, const fib_fmt_meta *m, size_t w, size_t h)
{
    const bool ion = m->beam == FIB_BEAM_ION;
    const char *bs = ion ? "IBeam" : "EBeam", *sc = ion ? "IScan" : "EScan";
    const double pw = m->pixel_size_nm[0] * 1e-9;
    const double ph =
        (m->pixel_size_nm[1] > 0 ? m->pixel_size_nm[1] : m->pixel_size_nm[0]) *
        1e-9;
    add(t, "[User]\r\nUser=cryofib\r\nUserText=cryofib simulate\r\n\r\n");
    add(t, "[System]\r\nType=DualBeam\r\nSource=FEG\r\nSystemType=%s\r\n\r\n",
        m->instrument[0] ? m->instrument : "simulated DualBeam");
    add(t, "[Beam]\r\n");
    if (isfinite(m->hv_kV))
        add(t, "HV=%.6g\r\n", m->hv_kV * 1e3);
    add(t, "Beam=%s\r\nScan=%s\r\n\r\n", bs, sc);
    add(t, "[%s]\r\n", bs);
    if (isfinite(m->hv_kV))
        add(t, "HV=%.6g\r\n", m->hv_kV * 1e3);
    add(t, "HFW=%.9g\r\nVFW=%.9g\r\n", pw * (double)w, ph * (double)h);
    if (isfinite(m->working_distance_nm))
        add(t, "WD=%.9g\r\n", m->working_distance_nm * 1e-9);
    if (isfinite(m->current_pA))
        add(t, "BeamCurrent=%.6g\r\n", m->current_pA * 1e-12);
    if (m->tilt_correction >= 0)
        add(t, "TiltCorrectionIsOn=%s\r\n", m->tilt_correction ? "yes" : "no");
    add(t,
        "\r\n[Scan]\r\nInternalScan=true\r\nPixelWidth=%.9g\r\n"
        "PixelHeight=%.9g\r\nHorFieldsize=%.9g\r\nVerFieldsize=%.9g\r\n\r\n",
        pw, ph, pw * (double)w, ph * (double)h);
    add(t, "[%s]\r\nPixelWidth=%.9g\r\nPixelHeight=%.9g\r\n\r\n", sc, pw, ph);
    add(t, "[Stage]\r\n");
    if (isfinite(m->stage_tilt_deg))
        add(t, "StageT=%.9g\r\n",
            m->stage_tilt_deg * 3.14159265358979323846 / 180.0);
    if (isfinite(m->working_distance_nm))
        add(t, "WorkingDistance=%.9g\r\n", m->working_distance_nm * 1e-9);
    add(t, "\r\n[Detectors]\r\nNumber=1\r\nName=%s\r\nMode=SE\r\n\r\n",
        m->detector[0] ? m->detector : (ion ? "ICE" : "TLD"));
    add(t, "[Image]\r\nResolutionX=%zu\r\nResolutionY=%zu\r\n", w, h);
}

static void zeiss_pair(text *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void zeiss_pair(text *t, const char *name, const char *fmt, ...)
{
    add(t, "%s\r\n", name);
    va_list ap;
    va_start(ap, fmt);
    vadd(t, fmt, ap);
    va_end(ap);
    add(t, "\r\n");
}

static void zeiss_text(text *t, const fib_fmt_meta *m, size_t w)
{
    const double px = m->pixel_size_nm[0];
    /* leading unnamed values as SmartSEM writes them (pixel size in m) */
    add(t, "0\r\n0\r\n0\r\n%e\r\n", px * 1e-9);
    size_t n = (size_t)(3 + (isfinite(m->hv_kV) != 0) +
                        (isfinite(m->current_pA) != 0) +
                        (isfinite(m->working_distance_nm) != 0) +
                        (isfinite(m->stage_tilt_deg) != 0) +
                        (m->tilt_correction >= 0) + 2);
    add(t, "%zu\r\n", n);
    zeiss_pair(t, "DP_DETECTOR_CHANNEL", "Signal A = %s",
               m->detector[0] ? m->detector : "SE2");
    if (m->tilt_correction >= 0)
        zeiss_pair(t, "DP_TILT_CORRECTION", "Tilt Corrn. = %s",
                   m->tilt_correction ? "On" : "Off");
    if (isfinite(m->working_distance_nm))
        zeiss_pair(t, "AP_WD", "WD = %6.3f mm", m->working_distance_nm * 1e-6);
    if (isfinite(m->hv_kV))
        zeiss_pair(t, "AP_ACTUALKV", "EHT = %.2f kV", m->hv_kV);
    if (isfinite(m->current_pA))
        zeiss_pair(t, "AP_IPROBE", "I Probe = %.1f pA", m->current_pA);
    if (isfinite(m->stage_tilt_deg))
        zeiss_pair(t, "AP_STAGE_AT_T", "Stage at T = %5.1f \xb0",
                   m->stage_tilt_deg);
    zeiss_pair(t, "AP_PIXEL_SIZE", "Pixel Size = %.4f nm", px);
    zeiss_pair(t, "AP_IMAGE_PIXEL_SIZE", "Image Pixel Size = %.4f nm", px);
    zeiss_pair(t, "AP_WIDTH", "Width = %.4f \xb5m", px * (double)w * 1e-3);
    zeiss_pair(t, "SV_SERIAL_NUMBER", "Serial No. = %s",
               m->instrument[0] ? m->instrument : "Crossbeam-simulated");
}

static void put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static void entry(unsigned char *e, uint16_t tag, uint16_t type, uint32_t count,
                  uint32_t value)
{
    put16(e, tag);
    put16(e + 2, type);
    put32(e + 4, count);
    if (type == 3 && count == 1) {
        put16(e + 8, value);
        put16(e + 10, 0);
    } else {
        put32(e + 8, value);
    }
}

fib_status fib_fmt_vendor_tiff_write(const char *path, const fib_image *img,
                                     const fib_fmt_meta *meta, fib_error *err)
{
    if (!path || !img || !img->data || !meta)
        return fib_error_set(err, FIB_EINVAL, "formats: NULL argument");
    if (img->type != FIB_PX_U8 && img->type != FIB_PX_U16)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: vendor TIFF takes u8 or u16 (got %s)", path,
                             fib_pixel_type_name(img->type));
    if (meta->vendor != FIB_VENDOR_THERMO_FEI &&
        meta->vendor != FIB_VENDOR_ZEISS)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: vendor must be Thermo/FEI or Zeiss", path);
    if (!(meta->pixel_size_nm[0] > 0) || !isfinite(meta->pixel_size_nm[0]))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: pixel size must be > 0 nm (got %g)", path,
                             meta->pixel_size_nm[0]);
    const size_t w = img->width, h = img->height;
    const size_t es = fib_pixel_size_bytes(img->type), row = w * es;
    if (w > 65535 || h > 65535 || (double)row * (double)h > 3.5e9)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: image %zu x %zu too large for a vendor "
                             "TIFF",
                             path, w, h);
    text *t = calloc(1, sizeof *t);
    if (!t)
        return fib_error_set(err, FIB_ENOMEM, "%s: out of memory", path);
    const bool fei = meta->vendor == FIB_VENDOR_THERMO_FEI;
    if (fei)
        fei_text(t, meta, w, h);
    else
        zeiss_text(t, meta, w);
    if (t->over) {
        free(t);
        return fib_error_set(err, FIB_ERANGE, "%s: metadata text too long",
                             path);
    }
    /* layout: header 8 | IFD (2 + 12 N + 4) | x/y resolution 16 | text
     * (NUL-terminated, padded to even) | pixels */
    enum { N = 13 };
    const uint32_t ifd = 8, ifd_len = 2 + 12 * N + 4;
    const uint32_t res = ifd + ifd_len;
    const uint32_t txt = res + 16;
    const uint32_t tlen = (uint32_t)t->n + 1;
    const uint32_t pix = txt + tlen + (tlen & 1u);
    const uint32_t nbytes = (uint32_t)(row * h);
    unsigned char head[8 + 2 + 12 * N + 4 + 16];
    memset(head, 0, sizeof head);
    head[0] = 'I';
    head[1] = 'I';
    put16(head + 2, 42);
    put32(head + 4, ifd);
    unsigned char *d = head + ifd;
    put16(d, N);
    unsigned char *e = d + 2;
    /* ascending tag order, as TIFF 6.0 requires */
    entry(e + 0 * 12, 254, 4, 1, 0);
    entry(e + 1 * 12, 256, 4, 1, (uint32_t)w);
    entry(e + 2 * 12, 257, 4, 1, (uint32_t)h);
    entry(e + 3 * 12, 258, 3, 1, (uint32_t)(es * 8));
    entry(e + 4 * 12, 259, 3, 1, 1);
    entry(e + 5 * 12, 262, 3, 1, 1);
    entry(e + 6 * 12, 273, 4, 1, pix);
    entry(e + 7 * 12, 277, 3, 1, 1);
    entry(e + 8 * 12, 278, 4, 1, (uint32_t)h);
    entry(e + 9 * 12, 279, 4, 1, nbytes);
    entry(e + 10 * 12, 282, 5, 1, res);
    entry(e + 11 * 12, 283, 5, 1, res + 8);
    entry(e + 12 * 12, fei ? 34682 : 34118, 2, tlen, txt);
    put32(e + 12 * N, 0); /* no next IFD */
    /* X/YResolution 72/1 with the default ResolutionUnit (inch), as the
     * vendors write placeholders: the pixel size is in the vendor text */
    put32(head + res, 72);
    put32(head + res + 4, 1);
    put32(head + res + 8, 72);
    put32(head + res + 12, 1);

    fib__atomic_file af;
    fib_status st = fib__atomic_begin(path, &af, err);
    if (st) {
        free(t);
        return st;
    }
    bool ok = fwrite(head, 1, sizeof head, af.fp) == sizeof head &&
              fwrite(t->buf, 1, t->n, af.fp) == t->n && fputc(0, af.fp) != EOF;
    if (ok && (tlen & 1u))
        ok = fputc(0, af.fp) != EOF;
    unsigned char *buf = malloc(row ? row : 1);
    if (!buf)
        ok = false;
    for (size_t y = 0; ok && y < h; y++) {
        const unsigned char *src = fib_image_row(img, y);
        if (es == 1) {
            memcpy(buf, src, row);
        } else {
            for (size_t x = 0; x < w; x++) {
                uint16_t v;
                memcpy(&v, src + 2 * x, 2);
                put16(buf + 2 * x, v);
            }
        }
        ok = fwrite(buf, 1, row, af.fp) == row;
    }
    free(buf);
    free(t);
    if (!ok) {
        fib__atomic_abort(&af);
        return fib_error_set(err, FIB_EIO, "%s: write failed", path);
    }
    return fib__atomic_commit(&af, err);
}
