/* tests/soak/soak_report.c — the soak's checks and figures, and its closing
 * "N passed, N failed" line (see soak.h). */
#include "tests/soak/soak.h"

#include <stdio.h>

static unsigned passed, failed;

static void line(const char *tag, const char *fmt, va_list ap)
{
	fputs(tag, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void soak_check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line(ok ? "ok   " : "FAIL ", fmt, ap);
	va_end(ap);
	if (ok)
		passed++;
	else
		failed++;
}

void soak_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line("     ", fmt, ap);
	va_end(ap);
}

void soak_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line("skip ", fmt, ap);
	va_end(ap);
}

int soak_summary(void)
{
	printf("%u passed, %u failed\n", passed, failed);
	fflush(stdout);
	return failed == 0 && passed > 0 ? 0 : 1;
}
