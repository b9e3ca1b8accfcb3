/* util/fmt.c — printf into fixed and growing buffers (see fmt.h). */
#include "util/fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vfmt_set(char *buf, size_t cap, const char *fmt, va_list ap)
{
	if (!buf || !cap)
		return -1;
	int n = vsnprintf(buf, cap, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
	return n;
}

void fmt_set(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfmt_set(buf, cap, fmt, ap);
	va_end(ap);
}

void strbuf_fixed(struct strbuf *b, char *buf, size_t cap)
{
	memset(b, 0, sizeof *b);
	b->p = buf;
	b->cap = cap;
	b->fixed = 1;
	if (cap)
		buf[0] = '\0';
	else
		b->full = 1;
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = b->full ? -1 : vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->full = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (b->fixed) {
			b->p[b->len] = '\0';   /* the piece is dropped whole */
			b->full = 1;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->full = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void strbuf_free(struct strbuf *b)
{
	if (!b->fixed)
		free(b->p);
	memset(b, 0, sizeof *b);
}
