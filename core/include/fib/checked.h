/*
 * fib/checked.h -- overflow-checked size arithmetic and a memory budget.
 *
 * Every size computed from file data (width * height * bytes, slices *
 * slice bytes, header offsets) goes through these helpers (house style
 * rule 7).  Each returns false on overflow and leaves *out unspecified.
 */
#ifndef FIB_CHECKED_H
#define FIB_CHECKED_H

#include "fib/common.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline bool fib_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool fib_add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/** a * b * c without overflow. */
static inline bool fib_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return fib_mul_size(a, b, &ab) && fib_mul_size(ab, c, out);
}

/**
 * A memory budget: a byte limit that large allocations are charged against,
 * so that streaming code can size its slabs and refuse work that would not
 * fit (curl's "toobig" idea).  Not thread-safe: one budget per context, or
 * charge it from one thread.
 */
typedef struct fib_budget {
    size_t limit_bytes; /**< 0 = unlimited */
    size_t used_bytes;
    size_t peak_bytes;
} fib_budget;

/** Default budget used when a caller gives none: 1 GiB. */
#define FIB_BUDGET_DEFAULT_BYTES ((size_t)1 << 30)

/** A budget of @p limit_bytes (0 = unlimited) with nothing charged. */
FIB_API fib_budget fib_budget_make(size_t limit_bytes);

/**
 * Charge @p bytes for @p what.  Errors: FIB_EBUDGET with a message naming
 * @p what, the request and the limit; the budget is unchanged then.
 * A NULL budget accepts everything.
 */
FIB_API FIB_NODISCARD fib_status fib_budget_charge(fib_budget *b, size_t bytes,
                                                   const char *what,
                                                   fib_error *err);

/** Give back @p bytes charged earlier (clamped at zero). NULL is a no-op. */
FIB_API void fib_budget_release(fib_budget *b, size_t bytes);

/**
 * Parse a human size ("512M", "2G", "1.5GiB", "1000000") into bytes.
 * K/M/G/T are powers of 1024.  Errors: FIB_EINVAL naming the text.
 */
FIB_API FIB_NODISCARD fib_status fib_parse_size(const char *text,
                                                size_t *bytes_out,
                                                fib_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FIB_CHECKED_H */
