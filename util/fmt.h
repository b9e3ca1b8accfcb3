/*
 * util/fmt.h — printf into a caller's fixed buffer (a message, a line of a
 * screen), and into a buffer that grows or reports that it is full.
 */
#ifndef PTM_UTIL_FMT_H
#define PTM_UTIL_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* printf into buf (cap bytes): always NUL-terminated, cut to fit; nothing
 * when buf is NULL or cap is 0. */
void fmt_set(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same from a va_list; the length the text wanted (as vsnprintf), or
 * -1 when nothing was written. */
int vfmt_set(char *buf, size_t cap, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* A text built piece by piece: zero-initialised it grows (strbuf_free
 * frees it); strbuf_fixed writes into the caller's array instead.  full
 * is set when a piece did not fit (out of memory, or the array's end):
 * that piece and every later one is dropped. */
struct strbuf {
	char *p;
	size_t len, cap;
	int fixed;
	int full;
};
void strbuf_fixed(struct strbuf *b, char *buf, size_t cap);
void strbuf_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_free(struct strbuf *b);

#endif
