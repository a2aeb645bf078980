/* SPDX-License-Identifier: GPL-2.0 */
/* The one-line reason a library function leaves in its caller's buffer: the only way it reports. */
#ifndef IOVB_ERRF_H
#define IOVB_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* printf into err[errlen]; does nothing when the caller gave no buffer. */
__attribute__((format(printf, 3, 4))) static inline void iovb_errf(char *err, size_t errlen,
								   const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
