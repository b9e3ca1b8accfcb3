/*
 * fuzz/fuzz_mode.h — the targets whose first input byte picks a mode: the
 * byte taken off the input as the mode (of n), the rest left to the mode.
 */
#ifndef PTM_FUZZ_FUZZ_MODE_H
#define PTM_FUZZ_FUZZ_MODE_H

#include <stddef.h>
#include <stdint.h>

/* The mode 0..n-1 from the first byte, *data and *size past it; -1 for an
 * empty input. */
static inline int fuzz_mode(const uint8_t **data, size_t *size, unsigned n)
{
	if (*size == 0)
		return -1;
	int mode = (int)((*data)[0] % n);
	(*data)++;
	(*size)--;
	return mode;
}

#endif
