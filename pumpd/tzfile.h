/*
 * pumpd/tzfile.h — a time zone from the system's tz database: the TZif
 * file's POSIX TZ footer (RFC 8536), parsed into the pump model's rule.
 */
#ifndef PTM_PUMPD_TZFILE_H
#define PTM_PUMPD_TZFILE_H

#include <stddef.h>
#include <stdint.h>

#include "pump/pump.h"

#define TZFILE_DIR      "/usr/share/zoneinfo" /* unless $TZDIR says */
#define TZFILE_SIZE_MAX (1 << 20)             /* a TZif file at most */

/* A POSIX TZ rule as TZif footers spell it ("CET-1CEST,M3.5.0,M10.5.0/3",
 * "<-03>3", "JST-9"): names (3+ letters, or <...> of letters, digits, + and
 * -), offsets [+-]h[:mm[:ss]] west of UTC (0..24 h), a daylight offset (an
 * hour ahead if not given), and Mm.w.d[/time] rules (time
 * [+-]h[:mm[:ss]], -167..167 h; Julian-day rules are refused).  Fills
 * *out (name left "") and returns 0, or -EINVAL with why in err. */
int tzfile_parse_rule(const char *rule, pump_zone *out, char *err,
                      size_t errcap);

/* The footer of a TZif file's bytes (version 2 or later) into footer (cap
 * bytes, NUL-terminated): 0, or -EINVAL with why in err. */
int tzfile_footer(const uint8_t *buf, size_t len, char *footer, size_t cap,
                  char *err, size_t errcap);

/* An IANA zone name: 1..PUMP_ZONE_NAME_MAX - 1 of A-Z a-z 0-9 _ + - in
 * parts split by single '/' (no leading, trailing or empty part). */
int tzfile_name_ok(const char *name);

/* The zone `name` from dir (NULL: $TZDIR, else TZFILE_DIR): read its TZif
 * file, take its footer's rule, check it (pump_zone_validate).  0 with *out
 * filled (its name set), or -EINVAL / -ENOENT with why in err (the name
 * quoted printable). */
int tzfile_load(const char *dir, const char *name, pump_zone *out, char *err,
                size_t errcap);

#endif
