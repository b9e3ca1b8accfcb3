/*
 * pumpd/errbuf.h — a message into the caller's error buffer, the way the
 * server's and the store's functions report why (char *err, size_t cap).
 */
#ifndef PTM_PUMPD_ERRBUF_H
#define PTM_PUMPD_ERRBUF_H

#include <stddef.h>

/* printf into err (cap bytes, NUL-terminated, cut to fit); nothing when
 * err is NULL or cap is 0. */
void errbuf_set(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
