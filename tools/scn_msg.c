/*
 * tools/scn_msg.c — the scenario runner's message buffers (see scn_msg.h).
 */
#include "tools/scn_msg.h"

#include <stdarg.h>
#include <stdio.h>

void scnmsg_printf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}
