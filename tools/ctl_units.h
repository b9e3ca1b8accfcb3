/*
 * tools/ctl_units.h — human units on the command line and in scenarios,
 * parsed exactly into the protocol's integers (no floating point).
 *
 *   durations      500ms 90s 30m 2h 1d 1h30m 1.5h 0      -> ms
 *   volumes        2mL 1500uL 0.25 mL 20000nL            -> nL
 *   doses          0.5mg 250ug 250µg 1000ng              -> ng
 *   rates          3mg/day 3mg/d 125ug/h                 -> ng/day
 *   concentrations 10mg/mL 500ug/mL                      -> ng/mL
 *   times          2026-01-01T08:00:00Z (UTC, optional .mmm) -> ms since epoch
 *
 * A number may carry a decimal fraction only as far as it stays a whole
 * number of the base unit ("0.0000001mg" is an error, not 0 ng).  A space
 * between number and unit is allowed.  Every function returns 0 or
 * -EINVAL (malformed, unknown unit, inexact) / -ERANGE (too large) and
 * writes *out only on success.
 *
 * The ctl_fmt_* functions print the shortest exact form ("1h50m",
 * "19.95 mL", "0.5 mg") into a caller buffer and return it; ctl_fmt_span
 * prints a duration as a person would say it, to the two largest units,
 * the smaller rounded to the nearest ("51 d 2 h", "1 h 50 min", "45 s",
 * "500 ms"): for people, never for values a program reads back.
 */
#ifndef PTM_TOOLS_CTL_UNITS_H
#define PTM_TOOLS_CTL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define CTL_FMT_MAX 48 /* enough for every ctl_fmt_* result */

int ctl_parse_uint(const char *s, uint64_t max, uint64_t *out);
int ctl_parse_duration(const char *s, uint64_t *ms);
int ctl_parse_volume(const char *s, uint64_t *nl);
int ctl_parse_dose(const char *s, uint64_t *ng);
int ctl_parse_rate(const char *s, uint64_t *ng_day);
int ctl_parse_conc(const char *s, uint64_t *ng_ml);
int ctl_parse_time(const char *s, uint64_t *ms);

/* buf must hold CTL_FMT_MAX bytes; each returns buf. */
char *ctl_fmt_duration(uint64_t ms, char *buf);
char *ctl_fmt_span(uint64_t ms, char *buf);
char *ctl_fmt_volume(uint64_t nl, char *buf);
char *ctl_fmt_dose(uint64_t ng, char *buf);
char *ctl_fmt_rate(uint64_t ng_day, char *buf);
char *ctl_fmt_conc(uint64_t ng_ml, char *buf);
char *ctl_fmt_time(uint64_t ms, char *buf);

#endif
