/*
 * util/esc.c — untrusted bytes rendered printable (see esc.h).
 */
#include "util/esc.h"

#include <string.h>

/* The rendering of one byte into e (at least 5 bytes); its length. */
static size_t one(unsigned char c, char e[5])
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c <= 0x7e && c != '\\') {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '\\';
	switch (c) {
	case '\\': e[1] = '\\'; return 2;
	case '\n': e[1] = 'n'; return 2;
	case '\r': e[1] = 'r'; return 2;
	case '\t': e[1] = 't'; return 2;
	default:
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		return 4;
	}
}

size_t esc_mem(char *out, size_t cap, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t n = 0;      /* length of the whole rendering */
	size_t w = 0;      /* bytes written to out */
	int full = cap == 0;
	char e[5];

	for (size_t i = 0; i < len; i++) {
		size_t k = one(p[i], e);
		if (!full && w + k < cap) {
			memcpy(out + w, e, k);
			w += k;
		} else {
			full = 1;  /* never half an escape, never resume after a cut */
		}
		n += k;
	}
	if (cap)
		out[w] = '\0';
	return n;
}

size_t esc_str(char *out, size_t cap, const char *s)
{
	return esc_mem(out, cap, s ? s : "", s ? strlen(s) : 0);
}

const char *esc_s(char *buf, size_t cap, const char *s)
{
	esc_str(buf, cap, s);
	return buf;
}

int esc_fputs(const char *s, FILE *f)
{
	char e[5];
	if (!s)
		return 0;
	for (; *s; s++) {
		size_t k = one((unsigned char)*s, e);
		if (fwrite(e, 1, k, f) != k)
			return EOF;
	}
	return 0;
}
