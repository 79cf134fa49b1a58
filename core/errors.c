/* errors.c — the SRGAN_ERROR domain (codes in srgan.h). */
#include "srgan.h"

G_DEFINE_QUARK(srgan-error-quark, srgan_error)
