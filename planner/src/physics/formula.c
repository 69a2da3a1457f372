/*
 * formula.c -- chemical formula parser (fractional stoichiometry, nested
 * groups) and per-material helpers (mean mass, atom density, density
 * estimate, validation, flag names).
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "physics_internal.h"

bool fib__str_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

void fib__str_copy(char *dst, size_t size, const char *src)
{
    if (!dst || size == 0)
        return;
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void fib__str_fmt(char *dst, size_t size, const char *fmt, ...)
{
    if (!dst || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    if (w < 0)
        dst[0] = '\0';
}

/* ---------------------------------------------------------------- parser */

enum { MAX_DEPTH = 4 };

typedef struct parser {
    const char *text; /* whole formula (for messages) */
    const char *p;    /* cursor */
    int z[FIB_PLAN_MAX_COMPONENTS * 2];
    double count[FIB_PLAN_MAX_COMPONENTS * 2];
    size_t n;
    fib_error *err;
} parser;

static int pos_of(const parser *ps)
{
    return (int)(ps->p - ps->text) + 1;
}

static void skip_space(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

/* Optional count: digits with optional fraction; 1 when absent. */
static fib_status parse_count(parser *ps, double *out)
{
    skip_space(ps);
    const char *s = ps->p;
    if (!isdigit((unsigned char)*s) &&
        !(*s == '.' && isdigit((unsigned char)s[1]))) {
        *out = 1.0;
        return FIB_OK;
    }
    double v = 0.0;
    while (isdigit((unsigned char)*s))
        v = v * 10.0 + (double)(*s++ - '0');
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return fib_error_set(ps->err, FIB_EINVAL,
                                 "physics: formula '%s': malformed number at "
                                 "position %d",
                                 ps->text, pos_of(ps));
        double scale = 0.1;
        while (isdigit((unsigned char)*s)) {
            v += scale * (double)(*s++ - '0');
            scale *= 0.1;
        }
    }
    if (!(v > 0.0) || !(v < 1e6))
        return fib_error_set(ps->err, FIB_EINVAL,
                             "physics: formula '%s': count at position %d must "
                             "be > 0 and < 1e6",
                             ps->text, pos_of(ps));
    ps->p = s;
    *out = v;
    return FIB_OK;
}

static fib_status add_atom(parser *ps, int z, double count)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->z[i] == z) {
            ps->count[i] += count;
            return FIB_OK;
        }
    if (ps->n >= FIB_PLAN_MAX_COMPONENTS)
        return fib_error_set(ps->err, FIB_ERANGE,
                             "physics: formula '%s': more than %d distinct "
                             "elements",
                             ps->text, FIB_PLAN_MAX_COMPONENTS);
    ps->z[ps->n] = z;
    ps->count[ps->n] = count;
    ps->n++;
    return FIB_OK;
}

/* sequence := (element count | '(' sequence ')' count)*, until @p close. */
static fib_status parse_seq(parser *ps, double mult, int depth, char close)
{
    fib_status st;
    size_t items = 0;
    for (;;) {
        skip_space(ps);
        char c = *ps->p;
        if (c == '\0' || c == ')' || c == ']') {
            if (c != close) {
                if (close == '\0')
                    return fib_error_set(ps->err, FIB_EINVAL,
                                         "physics: formula '%s': unbalanced "
                                         "'%c' at position %d",
                                         ps->text, c, pos_of(ps));
                return fib_error_set(ps->err, FIB_EINVAL,
                                     "physics: formula '%s': missing '%c' "
                                     "(group not closed)",
                                     ps->text, close);
            }
            if (items == 0)
                return fib_error_set(
                    ps->err, FIB_EINVAL,
                    "physics: formula '%s': empty %s at "
                    "position %d",
                    ps->text, close == '\0' ? "formula" : "group", pos_of(ps));
            return FIB_OK;
        }
        if (c == '(' || c == '[') {
            if (depth >= MAX_DEPTH)
                return fib_error_set(ps->err, FIB_EINVAL,
                                     "physics: formula '%s': groups nested "
                                     "deeper than %d at position %d",
                                     ps->text, MAX_DEPTH, pos_of(ps));
            /* Parse the group into a sub-parser sharing the cursor, then
             * multiply by the count after the closing bracket. */
            parser sub = *ps;
            sub.n = 0;
            sub.p = ps->p + 1;
            st = parse_seq(&sub, 1.0, depth + 1, c == '(' ? ')' : ']');
            if (st != FIB_OK)
                return st;
            ps->p = sub.p + 1; /* past the close */
            double k;
            if ((st = parse_count(ps, &k)) != FIB_OK)
                return st;
            for (size_t i = 0; i < sub.n; i++)
                if ((st = add_atom(ps, sub.z[i], sub.count[i] * k * mult)) !=
                    FIB_OK)
                    return st;
            items++;
            continue;
        }
        if (!isupper((unsigned char)c))
            return fib_error_set(ps->err, FIB_EINVAL,
                                 "physics: formula '%s': expected an element "
                                 "symbol at position %d, got '%c'",
                                 ps->text, pos_of(ps), c);
        char sym[3] = {c, 0, 0};
        int at = pos_of(ps);
        ps->p++;
        if (islower((unsigned char)*ps->p))
            sym[1] = *ps->p++;
        const fib_plan_element *el = fib_plan_element_find(sym);
        if (!el)
            return fib_error_set(ps->err, FIB_EINVAL,
                                 "physics: formula '%s': unknown element '%s' "
                                 "at position %d",
                                 ps->text, sym, at);
        double k;
        if ((st = parse_count(ps, &k)) != FIB_OK)
            return st;
        if ((st = add_atom(ps, el->z, k * mult)) != FIB_OK)
            return st;
        items++;
    }
}

fib_status fib_plan_formula_parse(const char *formula, fib_plan_material *out,
                                  fib_error *err)
{
    if (!formula || !out)
        return fib_error_set(err, FIB_EINVAL, "physics: formula is NULL");
    if (strlen(formula) >= FIB_PLAN_FORMULA_MAX)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: formula longer than %d characters",
                             FIB_PLAN_FORMULA_MAX - 1);
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.text = formula;
    ps.p = formula;
    ps.err = err;
    fib_status st = parse_seq(&ps, 1.0, 0, '\0');
    if (st != FIB_OK)
        return st;
    out->n_components = ps.n;
    for (size_t i = 0; i < ps.n; i++) {
        out->comp[i].z = ps.z[i];
        out->comp[i].count = ps.count[i];
    }
    fib__str_copy(out->formula, sizeof out->formula, formula);
    return FIB_OK;
}

/* --------------------------------------------------------------- helpers */

double fib_plan_material_atoms_per_unit(const fib_plan_material *m)
{
    double n = 0.0;
    for (size_t i = 0; m && i < m->n_components; i++)
        n += m->comp[i].count;
    return n;
}

double fib_plan_material_mean_mass_u(const fib_plan_material *m)
{
    double n = fib_plan_material_atoms_per_unit(m), s = 0.0;
    if (!(n > 0.0))
        return 0.0;
    for (size_t i = 0; i < m->n_components; i++) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
        if (el)
            s += m->comp[i].count * el->mass_u;
    }
    return s / n;
}

double fib_plan_material_mean_z(const fib_plan_material *m)
{
    double n = fib_plan_material_atoms_per_unit(m), s = 0.0;
    if (!(n > 0.0))
        return 0.0;
    for (size_t i = 0; i < m->n_components; i++)
        s += m->comp[i].count * (double)m->comp[i].z;
    return s / n;
}

double fib_plan_material_atom_density_cm3(const fib_plan_material *m)
{
    double mm = fib_plan_material_mean_mass_u(m);
    if (!m || !(m->density_g_cm3 > 0.0) || !(mm > 0.0))
        return 0.0;
    return m->density_g_cm3 / mm * FIB_PLAN_AVOGADRO;
}

/* Density estimate (documented in planner/README.md):
 *  - compositions without O, N, F, Cl or H (alloys, intermetallics,
 *    semiconductors, sulfides): additive elemental molar volumes (Vegard-
 *    like); steel 0.99x, GaAs 1.09x of the true density;
 *  - compositions with O, N, F, Cl or H (ionic and molecular solids): the
 *    molar volume is f * sum(elemental volumes of the other elements) +
 *    6.35 per O/N/F + 6.91 per H + 13.4 per Cl (cm^3/mol), f = 0.447.
 *    f, v_X and v_H are a relative least-squares fit to the 20 densities of
 *    the built-in compounds with those elements (CRC / crystallographic
 *    [L]); v_Cl from LiCl (2.068 g/cm^3 [L]).  Fit mean |ln error| 0.13,
 *    leave-one-out 0.17 (about +-19 %), worst SiO2 0.66x. */
#define EST_F 0.447
#define EST_VX 6.35
#define EST_VH 6.91
#define EST_VCL 13.4

static bool is_anion_gas(int z)
{
    return z == 1 || z == 7 || z == 8 || z == 9 || z == 17;
}

static double elemental_volume(const fib_plan_element *el)
{
    if (el->density_g_cm3 > 0.0 && el->z != 2 && el->z != 10 && el->z != 18 &&
        el->z != 36 && el->z != 54 && !is_anion_gas(el->z))
        return el->mass_u / el->density_g_cm3;
    return 20.0; /* rare gases: solid-state order of magnitude */
}

fib_status fib_plan_density_estimate(const fib_plan_material *m,
                                     double *density_g_cm3, fib_error *err)
{
    if (!m || !density_g_cm3 || m->n_components == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: density estimate needs a composition");
    bool ionic = false;
    for (size_t i = 0; i < m->n_components; i++)
        ionic = ionic || is_anion_gas(m->comp[i].z);
    double mass = 0.0, vol = 0.0;
    for (size_t i = 0; i < m->n_components; i++) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
        if (!el)
            return fib_error_set(err, FIB_EINVAL,
                                 "physics: no element with Z = %d",
                                 m->comp[i].z);
        double n = m->comp[i].count, v;
        mass += n * el->mass_u;
        switch (el->z) {
        case 1:
            v = EST_VH;
            break;
        case 7:
        case 8:
        case 9:
            v = EST_VX;
            break;
        case 17:
            v = EST_VCL;
            break;
        default:
            v = (ionic ? EST_F : 1.0) * elemental_volume(el);
        }
        vol += n * v;
    }
    if (!(vol > 0.0) || !(mass > 0.0))
        return fib_error_set(err, FIB_ENUMERIC,
                             "physics: density estimate failed for '%s'",
                             m->formula);
    *density_g_cm3 = mass / vol;
    return FIB_OK;
}

fib_status fib_plan_material_add_rate(fib_plan_material *m,
                                      const fib_plan_rate *rate, fib_error *err)
{
    if (!m || !rate)
        return fib_error_set(err, FIB_EINVAL, "physics: NULL rate");
    if (!(rate->um3_per_nC > 0.0) || !(rate->energy_keV > 0.0))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': rate and energy must "
                             "be > 0 (got %g um^3/nC at %g keV)",
                             m->name, rate->um3_per_nC, rate->energy_keV);
    if (m->n_rates >= FIB_PLAN_MAX_RATES)
        return fib_error_set(err, FIB_ERANGE,
                             "physics: material '%s': more than %d measured "
                             "rates",
                             m->name, FIB_PLAN_MAX_RATES);
    m->rates[m->n_rates++] = *rate;
    return FIB_OK;
}

fib_status fib_plan_material_validate(const fib_plan_material *m,
                                      fib_error *err)
{
    if (!m)
        return fib_error_set(err, FIB_EINVAL, "physics: NULL material");
    const char *nm = m->name[0] ? m->name : m->formula;
    if (m->name[0] == '\0')
        return fib_error_set(err, FIB_EINVAL, "physics: material has no name");
    if (m->n_components == 0 || m->n_components > FIB_PLAN_MAX_COMPONENTS)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': composition has %zu "
                             "elements (need 1..%d)",
                             nm, m->n_components, FIB_PLAN_MAX_COMPONENTS);
    for (size_t i = 0; i < m->n_components; i++) {
        if (!fib_plan_element_by_z(m->comp[i].z))
            return fib_error_set(err, FIB_EINVAL,
                                 "physics: material '%s': unknown element "
                                 "Z = %d",
                                 nm, m->comp[i].z);
        if (!(m->comp[i].count > 0.0))
            return fib_error_set(err, FIB_EINVAL,
                                 "physics: material '%s': count of Z = %d "
                                 "must be > 0 (got %g)",
                                 nm, m->comp[i].z, m->comp[i].count);
    }
    if (!(m->density_g_cm3 > 0.0) || !(m->density_g_cm3 < 30.0))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': density_g_cm3 must be "
                             "in (0, 30) (got %g)",
                             nm, m->density_g_cm3);
    if (m->binding_eV < 0.0 || isnan(m->binding_eV) || m->binding_eV > 50.0)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': binding_eV must be in "
                             "[0, 50] (got %g)",
                             nm, m->binding_eV);
    if (m->redep_k < 0.0 || isnan(m->redep_k))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': redep_k must be >= 0 "
                             "(got %g)",
                             nm, m->redep_k);
    if (m->cryo_yield_factor < 0.0 || isnan(m->cryo_yield_factor))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': cryo_yield_factor must "
                             "be >= 0 (got %g)",
                             nm, m->cryo_yield_factor);
    if (m->n_rates > FIB_PLAN_MAX_RATES)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': too many rates", nm);
    for (size_t i = 0; i < m->n_rates; i++) {
        const fib_plan_rate *r = &m->rates[i];
        if (!(r->um3_per_nC > 0.0) || !(r->energy_keV > 0.0) ||
            (unsigned)r->ion >= FIB_PLAN_ION_COUNT_)
            return fib_error_set(err, FIB_EINVAL,
                                 "physics: material '%s': rate %zu must have "
                                 "a valid ion, energy > 0 and um3_per_nC > 0",
                                 nm, i + 1);
    }
    return FIB_OK;
}

static const char *const sens_names[] = {
    "air",     "moisture",    "e-beam",      "ion-beam",
    "thermal", "li-ga-alloy", "sublimation", "cryo-only"};

unsigned fib_plan_sens_from_name(const char *name)
{
    for (unsigned b = 0; b < sizeof sens_names / sizeof sens_names[0]; b++)
        if (fib__str_ieq(name, sens_names[b]))
            return 1u << b;
    return 0;
}

const char *fib_plan_sens_string(unsigned flags, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    buf[0] = '\0';
    size_t len = 0;
    for (unsigned b = 0; b < sizeof sens_names / sizeof sens_names[0]; b++) {
        if (!(flags & (1u << b)))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                         sens_names[b]);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    return buf;
}
