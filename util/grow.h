/*
 * util/grow.h — room for one more element at the end of a growing array
 * (doubling from a first capacity).
 */
#ifndef PTM_UTIL_GROW_H
#define PTM_UTIL_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The array arr (n elements of size bytes used, *cap allocated) with room
 * for element n: arr itself when n < *cap, else arr moved to twice *cap
 * (first when *cap is 0) and *cap set.  NULL when out of memory (arr and
 * *cap unchanged, still the caller's). */
static inline void *grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c;
	void *p;
	if (n < *cap)
		return arr;
	c = *cap ? *cap * 2 : first;
	if (c <= *cap || size == 0 || c > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}

#endif
