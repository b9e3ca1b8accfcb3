/* pumpd/druglib_shipped.c — the shipped drug library (data/druglib.txt),
 * built into pumpd so that it is there wherever pumpd runs. */
#include "pumpd/druglib.h"

static const char shipped[] = {
#include "druglib_shipped.inc"
};

const char *druglib_shipped(size_t *len)
{
	*len = sizeof shipped;
	return shipped;
}
