/*
 * pumpd/cli/timearg.h — a point in time given on the command line: an ISO 8601
 * UTC date and time ("2026-01-01T08:00:00Z", optionally with milliseconds
 * "...:00.250Z") or ms since the Unix epoch ("1767254400000").  Pure: no
 * clock, no time zone, no locale.
 */
#ifndef PTM_PUMPD_TIMEARG_H
#define PTM_PUMPD_TIMEARG_H

#include <stdint.h>

/* Accepted range: 1970-01-01T00:00:00Z (0) to 9999-12-31T23:59:59.999Z. */
#define TIMEARG_MAX_MS 253402300799999LL

/* Parse s into *ms.  0, or -EINVAL (not one of the two forms, a field out
 * of range such as 2026-02-30, or outside the range above) with *ms
 * untouched. */
int timearg_parse(const char *s, int64_t *ms);

#endif
