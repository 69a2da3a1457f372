/*
 * vendor_meta.c -- parsers for the text blocks microscope vendors put in
 * TIFF files: Thermo Fisher / FEI INI (tag 34682 / 34680), Zeiss SmartSEM
 * (tag 34118) and ImageJ ImageDescription.  Pure text in, key/value pairs
 * and fib_fmt_meta out; no file access (the fuzzer reaches them through
 * the TIFF reader).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt_internal.h"

static const double PI_ = 3.14159265358979323846;

/* Next line of [*pos, n): sets *ls and *ll to the line without CR/LF/NUL. */
static bool next_line(const char *t, size_t n, size_t *pos, const char **ls,
                      size_t *ll)
{
    size_t p = *pos;
    if (p >= n)
        return false;
    const size_t start = p;
    while (p < n && t[p] != '\n' && t[p] != '\0')
        p++;
    size_t end = p;
    while (end > start &&
           (t[end - 1] == '\r' || t[end - 1] == ' ' || t[end - 1] == '\t'))
        end--;
    *ls = t + start;
    *ll = end - start;
    *pos = p < n ? p + 1 : p;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* strtod on a kv value; NaN when absent, empty or not a number. */
static double num(const fib__kv *kv, const char *key)
{
    const char *v = fib__kv_get(kv, key);
    if (!v || !*v)
        return (double)NAN;
    char *end = NULL;
    const double x = strtod(v, &end);
    if (end == v)
        return (double)NAN;
    return x;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    if (!src)
        return;
    for (size_t i = 0; src[i] && o + 1 < cap; i++) {
        if (src[i] == '"')
            continue; /* Helios 660 writes `Helios NanoLab" 660` */
        dst[o++] = src[i];
    }
    dst[o] = '\0';
}

static int yes_no(const char *v)
{
    if (!v || !*v)
        return -1;
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
        strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
        strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}

/* --- Thermo Fisher / FEI ------------------------------------------------ */

/* The "[Section] key=value" lines of an FEI block into @p kv as
 * "Section/key" pairs; whether it has [EScan] / [IScan] sections. */
static void fei_pairs(const char *text, size_t n, fib__kv *kv, bool *has_escan,
                      bool *has_iscan)
{
    char section[64] = "";
    size_t pos = 0;
    const char *ls;
    size_t ll;
    while (next_line(text, n, &pos, &ls, &ll)) {
        trim(&ls, &ll);
        if (ll == 0 || ls[0] == ';' || ls[0] == '#')
            continue;
        if (ls[0] == '[') {
            const char *close = memchr(ls, ']', ll);
            const size_t sl = close ? (size_t)(close - ls - 1) : ll - 1;
            const size_t cl = sl < sizeof section - 1 ? sl : sizeof section - 1;
            memcpy(section, ls + 1, cl);
            section[cl] = '\0';
            if (strcmp(section, "EScan") == 0)
                *has_escan = true;
            if (strcmp(section, "IScan") == 0)
                *has_iscan = true;
            continue;
        }
        const char *eq = memchr(ls, '=', ll);
        if (!eq)
            continue;
        const char *k = ls;
        size_t kl = (size_t)(eq - ls);
        const char *v = eq + 1;
        size_t vl = ll - kl - 1;
        trim(&k, &kl);
        trim(&v, &vl);
        char key[160];
        const int w = snprintf(key, sizeof key, "%s/%.*s", section, (int)kl, k);
        if (w < 0 || (size_t)w >= sizeof key)
            continue;
        fib__kv_add(kv, key, strlen(key), v, vl);
    }
}

void fib__fei_parse(const char *text, size_t n, size_t height, fib__kv *kv_out,
                    fib_fmt_meta *meta)
{
    fib__kv local = {0};
    fib__kv *kv = kv_out ? kv_out : &local;
    const size_t first = kv->n;
    bool has_escan = false, has_iscan = false;
    fei_pairs(text, n, kv, &has_escan, &has_iscan);
    /* Lookups see only this block's pairs. */
    fib__kv view = *kv;
    view.items = kv->items ? kv->items + 2 * first : NULL;
    view.n = kv->n - first;

    meta->vendor = FIB_VENDOR_THERMO_FEI;
    const char *beam = fib__kv_get(&view, "Beam/Beam");
    const char *bsec = NULL;
    if (beam && strcasecmp(beam, "IBeam") == 0)
        bsec = "IBeam";
    else if (beam && strcasecmp(beam, "EBeam") == 0)
        bsec = "EBeam";
    else if (has_iscan && !has_escan)
        bsec = "IBeam";
    else if (has_escan && !has_iscan)
        bsec = "EBeam";
    if (bsec)
        meta->beam = bsec[0] == 'I' ? FIB_BEAM_ION : FIB_BEAM_ELECTRON;
    char key[64];

    double pw = num(&view, "Scan/PixelWidth");
    double ph = num(&view, "Scan/PixelHeight");
    snprintf(meta->source_key, sizeof meta->source_key, "Scan/PixelWidth");
    if (!(pw > 0) && bsec) {
        snprintf(key, sizeof key, "%cScan/PixelWidth", bsec[0]);
        pw = num(&view, key);
        snprintf(key, sizeof key, "%cScan/PixelHeight", bsec[0]);
        ph = num(&view, key);
        snprintf(meta->source_key, sizeof meta->source_key, "%cScan/PixelWidth",
                 bsec[0]);
    }
    if (pw > 0 && pw < 1.0) {
        meta->pixel_size_nm[0] = pw * 1e9;
        meta->pixel_size_nm[1] = (ph > 0 && ph < 1.0) ? ph * 1e9 : pw * 1e9;
    } else {
        meta->source_key[0] = '\0';
    }
    double hfw = num(&view, "Scan/HorFieldsize");
    if (!(hfw > 0) && bsec) {
        snprintf(key, sizeof key, "%s/HFW", bsec);
        hfw = num(&view, key);
    }
    if (hfw > 0)
        meta->hfw_nm = hfw * 1e9;
    double hv = num(&view, "Beam/HV");
    if (!(hv > 0) && bsec) {
        snprintf(key, sizeof key, "%s/HV", bsec);
        hv = num(&view, key);
    }
    if (hv > 0)
        meta->hv_kV = hv / 1000.0;
    double cur = (double)NAN;
    if (bsec) {
        snprintf(key, sizeof key, "%s/BeamCurrent", bsec);
        cur = num(&view, key);
    }
    if (!(cur >= 0))
        cur = num(&view, "Beam/BeamCurrent");
    if (cur >= 0)
        meta->current_pA = cur * 1e12;
    /* [Stage] StageT is in radians (gamma_example: 0.645764 = 37.0 deg). */
    const double tilt = num(&view, "Stage/StageT");
    if (isfinite(tilt))
        meta->stage_tilt_deg = tilt * 180.0 / PI_;
    double wd = num(&view, "Stage/WorkingDistance");
    if (!(wd > 0) && bsec) {
        snprintf(key, sizeof key, "%s/WD", bsec);
        wd = num(&view, key);
    }
    if (wd > 0)
        meta->working_distance_nm = wd * 1e9;
    if (bsec) {
        snprintf(key, sizeof key, "%s/TiltCorrectionIsOn", bsec);
        meta->tilt_correction = yes_no(fib__kv_get(&view, key));
    }
    copy_str(meta->instrument, sizeof meta->instrument,
             fib__kv_get(&view, "System/SystemType"));
    copy_str(meta->detector, sizeof meta->detector,
             fib__kv_get(&view, "Detectors/Name"));
    /* Data bar: rows below [Image] ResolutionY ([PrivateFei] DatabarHeight
     * is 0 in files that have a 70-row bar, so it is not used). */
    meta->full_height = height;
    const double ry = num(&view, "Image/ResolutionY");
    if (ry >= 1 && ry < (double)height)
        meta->databar_rows = height - (size_t)ry;
    fib__kv_free(&local);
}

/* --- lengths with units ------------------------------------------------- */

double fib__length_to_nm(const char *s)
{
    if (!s)
        return (double)NAN;
    char *end = NULL;
    const double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return (double)NAN;
    while (*end == ' ' || *end == '\t')
        end++;
    const unsigned char *u = (const unsigned char *)end;
    double f = (double)NAN;
    if (u[0] == 0xC2 && u[1] == 0xB5 && u[2] == 'm') /* UTF-8 micro sign */
        f = 1e3, u += 3;
    else if (u[0] == 0xCE && u[1] == 0xBC && u[2] == 'm') /* Greek mu */
        f = 1e3, u += 3;
    else if (u[0] == 0xB5 && u[1] == 'm') /* Latin-1 micro sign */
        f = 1e3, u += 2;
    else if (strncmp((const char *)u, "um", 2) == 0)
        f = 1e3, u += 2;
    else if (strncmp((const char *)u, "micron", 6) == 0)
        f = 1e3, u += 6;
    else if (strncmp((const char *)u, "nm", 2) == 0)
        f = 1.0, u += 2;
    else if (strncmp((const char *)u, "pm", 2) == 0)
        f = 1e-3, u += 2;
    else if (strncmp((const char *)u, "fm", 2) == 0)
        f = 1e-6, u += 2;
    else if (strncmp((const char *)u, "mm", 2) == 0)
        f = 1e6, u += 2;
    else if (strncmp((const char *)u, "cm", 2) == 0)
        f = 1e7, u += 2;
    else if (u[0] == 'm' && !isalpha(u[1]))
        f = 1e9, u += 1;
    if (isalpha(*u))
        return (double)NAN;
    return v * f;
}

/* --- Zeiss SmartSEM ----------------------------------------------------- */

static bool is_zeiss_name(const char *s, size_t n)
{
    if (n < 4 || !(s[0] == 'A' || s[0] == 'D' || s[0] == 'S') || s[2] != '_' ||
        s[1] != 'P' + (s[0] == 'S' ? 'V' - 'P' : 0))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '_'))
            return false;
    return true;
}

/* Value part of "Label = value" (or "Label :value"). */
static void label_value(const char *ls, size_t ll, const char **v, size_t *vl)
{
    const char *eq = memchr(ls, '=', ll);
    if (!eq)
        eq = memchr(ls, ':', ll);
    if (!eq) {
        *v = ls;
        *vl = ll;
    } else {
        *v = eq + 1;
        *vl = ll - (size_t)(eq + 1 - ls);
    }
    trim(v, vl);
}

void fib__zeiss_parse(const char *text, size_t n, fib__kv *kv_out,
                      fib_fmt_meta *meta)
{
    fib__kv local = {0};
    fib__kv *kv = kv_out ? kv_out : &local;
    const size_t first = kv->n;
    size_t pos = 0;
    const char *ls;
    size_t ll;
    char name[64] = "";
    while (next_line(text, n, &pos, &ls, &ll)) {
        trim(&ls, &ll);
        if (ll == 0)
            continue;
        if (is_zeiss_name(ls, ll) && ll < sizeof name) {
            memcpy(name, ls, ll);
            name[ll] = '\0';
            continue;
        }
        if (name[0]) {
            const char *v;
            size_t vl;
            label_value(ls, ll, &v, &vl);
            fib__kv_add(kv, name, strlen(name), v, vl);
            name[0] = '\0';
        }
    }
    fib__kv view = *kv;
    view.items = kv->items ? kv->items + 2 * first : NULL;
    view.n = kv->n - first;

    meta->vendor = FIB_VENDOR_ZEISS;
    const char *v;
    /* The beam that made the image: DP_FIB_IMAGING ("FIB Imaging = SEM"
     * or "= FIB") on a Crossbeam; an SEM without it (no FIB column) images
     * with electrons.  Any other value (e.g. a mixed signal) is left
     * unknown rather than guessed. */
    const char *img_beam = fib__kv_get(&view, "DP_FIB_IMAGING");
    if (!img_beam || !*img_beam || strncasecmp(img_beam, "SEM", 3) == 0)
        meta->beam = FIB_BEAM_ELECTRON;
    else if (strncasecmp(img_beam, "FIB", 3) == 0 ||
             strncasecmp(img_beam, "Ion", 3) == 0)
        meta->beam = FIB_BEAM_ION;
    else
        meta->beam = FIB_BEAM_UNKNOWN;
    /* AP_FIB_SEM_ANGLE: "FIB SEM Angle = 54.0 deg" (degrees) */
    v = fib__kv_get(&view, "AP_FIB_SEM_ANGLE");
    if (v) {
        char *end = NULL;
        const double a = strtod(v, &end);
        if (end != v && a > 0 && a <= 90)
            meta->beam_angle_deg = a;
    }
    double px = fib__length_to_nm(fib__kv_get(&view, "AP_IMAGE_PIXEL_SIZE"));
    if (px > 0) {
        snprintf(meta->source_key, sizeof meta->source_key,
                 "AP_IMAGE_PIXEL_SIZE");
    } else {
        px = fib__length_to_nm(fib__kv_get(&view, "AP_PIXEL_SIZE"));
        if (px > 0)
            snprintf(meta->source_key, sizeof meta->source_key,
                     "AP_PIXEL_SIZE");
    }
    if (px > 0)
        meta->pixel_size_nm[0] = meta->pixel_size_nm[1] = px;
    const double hfw = fib__length_to_nm(fib__kv_get(&view, "AP_WIDTH"));
    if (hfw > 0)
        meta->hfw_nm = hfw;
    const double wd = fib__length_to_nm(fib__kv_get(&view, "AP_WD"));
    if (wd > 0)
        meta->working_distance_nm = wd;
    v = fib__kv_get(&view, "AP_ACTUALKV");
    if (v) {
        const double kv_ = strtod(v, NULL);
        if (kv_ > 0)
            meta->hv_kV =
                strstr(v, "kV") ? kv_ : (strstr(v, "V") ? kv_ / 1e3 : kv_);
    }
    v = fib__kv_get(&view, "AP_IPROBE");
    if (v) {
        char *end = NULL;
        const double i = strtod(v, &end);
        if (end != v) {
            while (*end == ' ')
                end++;
            const unsigned char *u = (const unsigned char *)end;
            double f = (double)NAN;
            if (u[0] == 'p')
                f = 1.0;
            else if (u[0] == 'n')
                f = 1e3;
            else if ((u[0] == 0xC2 && u[1] == 0xB5) || u[0] == 'u')
                f = 1e6;
            else if (u[0] == 'm' && u[1] == 'A')
                f = 1e9;
            else if (u[0] == 'A')
                f = 1e12;
            if (isfinite(f))
                meta->current_pA = i * f;
        }
    }
    v = fib__kv_get(&view, "AP_STAGE_AT_T");
    if (v) {
        char *end = NULL;
        const double t = strtod(v, &end);
        if (end != v)
            meta->stage_tilt_deg = t;
    }
    v = fib__kv_get(&view, "DP_TILT_CORRECTION");
    if (v)
        meta->tilt_correction = yes_no(v);
    copy_str(meta->detector, sizeof meta->detector,
             fib__kv_get(&view, "DP_DETECTOR_CHANNEL"));
    if (!meta->detector[0])
        copy_str(meta->detector, sizeof meta->detector,
                 fib__kv_get(&view, "DP_DETECTOR_TYPE"));
    copy_str(meta->instrument, sizeof meta->instrument,
             fib__kv_get(&view, "SV_SERIAL_NUMBER"));
    fib__kv_free(&local);
}

size_t fib__zeiss_databar_rows(const fib_image *img)
{
    const size_t h = img->height, w = img->width;
    if (h < 8 || w == 0)
        return 0;
    double vmin = 0, vmax = 0;
    fib_image_minmax(img, &vmin, &vmax);
    if (!(vmax > 0))
        return 0;
    for (size_t y = h - h / 4; y + 1 < h; y++) {
        size_t black = 0, black_next = 0;
        for (size_t x = 0; x < w; x++) {
            black += fib_image_get(img, x, y) == 0.0;
            black_next += fib_image_get(img, x, y + 1) == 0.0;
        }
        /* >= 95 % black, and the row below mostly not black */
        if (!(black * 20 >= w * 19 && black_next * 2 < w))
            continue;
        /* the zone below is a light panel with dark text: mean at least
         * half the image maximum (a dark image region is not) */
        double sum = 0;
        for (size_t yy = y + 1; yy < h; yy++)
            for (size_t x = 0; x < w; x++)
                sum += fib_image_get(img, x, yy);
        if (sum / ((double)(h - y - 1) * (double)w) >= 0.5 * vmax)
            return h - y;
    }
    return 0;
}

/* --- ImageJ ------------------------------------------------------------- */

static double unit_to_nm(const char *u)
{
    if (!u || !*u)
        return (double)NAN;
    if (strcmp(u, "nm") == 0 || strcmp(u, "nanometer") == 0)
        return 1.0;
    if (strcmp(u, "micron") == 0 || strcmp(u, "um") == 0 ||
        strcmp(u, "\xC2\xB5m") == 0 || strcmp(u, "\\u00B5m") == 0 ||
        strcmp(u, "microns") == 0 || strcmp(u, "\xB5m") == 0)
        return 1e3;
    if (strcmp(u, "mm") == 0)
        return 1e6;
    if (strcmp(u, "cm") == 0)
        return 1e7;
    if (strcmp(u, "m") == 0 || strcmp(u, "meter") == 0)
        return 1e9;
    if (strcmp(u, "A") == 0 || strcmp(u, "angstrom") == 0 ||
        strcmp(u, "\xC3\x85") == 0)
        return 0.1;
    if (strcmp(u, "pm") == 0)
        return 1e-3;
    return (double)NAN;
}

void fib__imagej_parse(const char *text, size_t n, fib__kv *kv_out,
                       fib_fmt_meta *meta, double *unit_nm, size_t *images_out)
{
    fib__kv local = {0};
    fib__kv *kv = kv_out ? kv_out : &local;
    const size_t first = kv->n;
    size_t pos = 0;
    const char *ls;
    size_t ll;
    while (next_line(text, n, &pos, &ls, &ll)) {
        const char *eq = memchr(ls, '=', ll);
        if (!eq)
            continue;
        const char *k = ls, *v = eq + 1;
        size_t kl = (size_t)(eq - ls), vl = ll - kl - 1;
        trim(&k, &kl);
        trim(&v, &vl);
        fib__kv_add(kv, k, kl, v, vl);
    }
    fib__kv view = *kv;
    view.items = kv->items ? kv->items + 2 * first : NULL;
    view.n = kv->n - first;
    meta->vendor = FIB_VENDOR_IMAGEJ;
    const double u = unit_to_nm(fib__kv_get(&view, "unit"));
    *unit_nm = u;
    const double sp = num(&view, "spacing");
    if (sp > 0 && u > 0)
        meta->voxel_depth_nm = sp * u;
    const double im = num(&view, "images");
    *images_out = (im >= 1 && im < 1e12) ? (size_t)im : 0;
    fib__kv_free(&local);
}
