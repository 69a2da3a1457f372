/*
 * rng.h -- private: the seeded pseudo-random generator shared by the
 * phantom (phantom.c) and the digital twin (simulate.c).
 *
 * xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47:36, 2021) seeded through splitmix64, so that
 * (seed, stream, salt) gives an independent, reproducible stream on every
 * platform; normals by Box-Muller (one value per call).  Not for
 * cryptography.
 */
#ifndef FIB_RECON_RNG_H
#define FIB_RECON_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct fib__rng {
    uint64_t s[4];
} fib__rng;

static inline uint64_t fib__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seed stream @p stream of @p seed; @p salt separates callers that use
 * the same stream numbers (the phantom uses 0). */
static inline void fib__rng_seed(fib__rng *r, uint64_t seed, uint64_t stream,
                                 uint64_t salt)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL) ^ salt;
    for (int i = 0; i < 4; i++)
        r->s[i] = fib__splitmix64(&x);
}

static inline uint64_t fib__rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t fib__rng_next(fib__rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = fib__rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fib__rotl64(s[3], 45);
    return result;
}

/* uniform in [0, 1) with 53 random bits */
static inline double fib__rng_uniform(fib__rng *r)
{
    return (double)(fib__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* standard normal (Box-Muller, one value per call) */
static inline double fib__rng_normal(fib__rng *r)
{
    double u = fib__rng_uniform(r);
    const double v = fib__rng_uniform(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

#endif
