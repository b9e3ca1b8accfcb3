/*
 * tools/scenario/scnmsg.c — the scenario runner's message buffers (see scnmsg.h).
 */
#include "tools/scenario/scnmsg.h"

#include <stdarg.h>
#include <stdio.h>

void scnmsg_printf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}
