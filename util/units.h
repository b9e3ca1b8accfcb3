/*
 * util/units.h — human units parsed exactly into the pump's integers and
 * printed back: one set of units for prescription files, ptmctl and
 * scenarios.  Integer arithmetic only.
 *
 *   durations      500ms 90s 30m 10 min 2h 2 hours 1d 1h30m 1.5h 0  -> ms
 *   volumes        2mL 1500uL 0.25 mL 20000nL                      -> nL
 *   doses          0.5mg 250mcg 250ug 250µg 1000ng 1g              -> ng
 *   rates          3mg/day 3mg/d 125mcg/h                          -> ng/day
 *   concentrations 10mg/mL 500mcg/mL                               -> ng/mL
 *   times          2026-01-01T08:00:00Z (UTC, optional .mmm)       -> ms
 *
 * A decimal fraction is allowed only as far as it stays a whole number of
 * the base unit ("0.0000001mg" is refused, not 0 ng); a space may stand
 * between number and unit.  Parsers return 0, -EINVAL (malformed, unknown
 * unit, inexact) or -ERANGE (too large) and write *out only on success;
 * units_explain says which, for a message.
 *
 * units_fmt_* print the shortest exact form ("1h50m", "19.95 mL", "250 mcg")
 * into a caller buffer of UNITS_FMT_MAX bytes and return it; units_fmt_span
 * prints a duration as a person says it, to its two largest units ("51 d
 * 2 h", "1 h 50 min"): for people, never for values a program reads back.
 */
#ifndef PTM_UTIL_UNITS_H
#define PTM_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

enum units_kind { UNITS_MS, UNITS_NL, UNITS_NG, UNITS_NG_DAY, UNITS_NG_ML };

int units_parse(int kind, const char *s, uint64_t *out);
int units_parse_uint(const char *s, uint64_t max, uint64_t *out);
int units_parse_time(const char *s, uint64_t *ms);
static inline int units_parse_duration(const char *s, uint64_t *ms)
{ return units_parse(UNITS_MS, s, ms); }
static inline int units_parse_volume(const char *s, uint64_t *nl)
{ return units_parse(UNITS_NL, s, nl); }
static inline int units_parse_dose(const char *s, uint64_t *ng)
{ return units_parse(UNITS_NG, s, ng); }
static inline int units_parse_rate(const char *s, uint64_t *ng_day)
{ return units_parse(UNITS_NG_DAY, s, ng_day); }
static inline int units_parse_conc(const char *s, uint64_t *ng_ml)
{ return units_parse(UNITS_NG_ML, s, ng_ml); }

/* Why units_parse(kind, s) refused s: "is not a number", "needs a unit",
 * "has an unknown unit", "is more precise than the pump can hold" or "is
 * too large" (static strings); NULL when it parses.  *unit_wrong (may be
 * NULL) is set to 1 when the unit is missing or unknown (suggest
 * units_hint), else 0. */
const char *units_explain(int kind, const char *s, int *unit_wrong);
/* The units to suggest for a kind: "mg, mcg, ng" ... (static). */
const char *units_hint(int kind);

#define UNITS_FMT_MAX 48
char *units_fmt_duration(uint64_t ms, char *buf);
char *units_fmt_span(uint64_t ms, char *buf);
char *units_fmt_volume(uint64_t nl, char *buf);
char *units_fmt_dose(uint64_t ng, char *buf);
char *units_fmt_rate(uint64_t ng_day, char *buf);
char *units_fmt_conc(uint64_t ng_ml, char *buf);
char *units_fmt_time(uint64_t ms, char *buf);

#endif
