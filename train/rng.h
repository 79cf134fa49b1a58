/* rng.h — the trainer's random numbers: xoshiro256** (Blackman & Vigna,
 * https://prng.di.unimi.it/), seeded by splitmix64.  Its whole state is four
 * words, which a checkpoint stores so that a resumed run draws exactly the
 * crops an uninterrupted one would. */
#ifndef TRAIN_RNG_H
#define TRAIN_RNG_H

#include <glib.h>

typedef struct {
    guint64 s[4];
} Rng;

void rng_seed(Rng *rng, guint64 seed);
guint64 rng_next(Rng *rng);
double rng_uniform(Rng *rng);               /* [0, 1) */
guint32 rng_below(Rng *rng, guint32 bound); /* [0, bound), bound ≥ 1 */
float rng_normal(Rng *rng);                 /* N(0, 1), Box–Muller */

#endif
