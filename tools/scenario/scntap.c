/*
 * tools/scenario/scntap.c — TAP output for the scenario runner (see scntap.h).
 */
#include "tools/scenario/scntap.h"

#include <stdarg.h>
#include <string.h>

/* Each line of text as "#   LINE". */
static void diag_text(FILE *f, char *text)
{
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		fprintf(f, "#   %s\n", line);
	}
}

/* fmt formatted, then as diag_text (at most 2 KiB of it) */
static void diag_v(FILE *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void diag_v(FILE *f, const char *fmt, va_list ap)
{
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);
	diag_text(f, msg);
}

void scntap_point(struct scntap *t, int ok, const char *file, unsigned line,
                  const char *what, const char *fmt, ...)
{
	t->n++;
	if (!ok)
		t->failed = 1;
	if (file)
		fprintf(t->out, "%s %u - %s:%u: %s\n", ok ? "ok" : "not ok", t->n,
		        file, line, what);
	else
		fprintf(t->out, "%s %u - %s\n", ok ? "ok" : "not ok", t->n, what);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		diag_v(t->out, fmt, ap);
		va_end(ap);
	}
	fflush(t->out);
}

void scntap_skip(struct scntap *t, const char *file, unsigned line, const char *what,
                 const char *reason)
{
	t->n++;
	fprintf(t->out, "ok %u - %s:%u: %s # SKIP %s\n", t->n, file, line, what, reason);
	fflush(t->out);
}

void scntap_diag(struct scntap *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_v(t->out, fmt, ap);
	va_end(ap);
	fflush(t->out);
}

void scntap_comment(struct scntap *t, const char *fmt, ...)
{
	va_list ap;
	fputs("# ", t->out);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
	fflush(t->out);
}

void scntap_plan(struct scntap *t)
{
	fprintf(t->out, "1..%u\n", t->n);
	fflush(t->out);
}
