/* srgan-intl.h — gettext macros for the plug-ins (domain GETTEXT_PACKAGE,
 * "srgan", set by meson).  glib's gi18n-lib.h makes _() a dgettext() call
 * on that domain, so our strings never depend on textdomain(). */
#ifndef SRGAN_INTL_H
#define SRGAN_INTL_H

#include <glib/gi18n-lib.h>

#endif /* SRGAN_INTL_H */
