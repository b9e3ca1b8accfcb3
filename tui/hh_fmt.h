/*
 * tui/hh_fmt.h — numbers, durations and pump times as a patient reads them
 * on the handheld.  Integer units in (ng, nL, ms); no floating point.  A
 * wait is never shown shorter than it is, a reservoir never fuller.
 *
 * Pure: no curses, no libuv, no clock reads (dates and clock times use the
 * remote's local time zone, TZ).  Every function writes a NUL-terminated
 * string into out[0..cap) (cut short if cap is too small; nothing when cap
 * is 0).  Memory: the caller owns out.
 */
#ifndef PTM_TUI_HH_FMT_H
#define PTM_TUI_HH_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "util/fmt.h"

/* "0.5 mg", "50 mcg", "1.25 mg" (mcg, never µg: it is not mistaken for mg) */
void hh_fmt_dose(uint32_t ng, char *out, size_t cap);
/* "10 min", "45 s", "1 h 5 min": minutes rounded up, never sooner than true */
void hh_fmt_wait(uint64_t ms, char *out, size_t cap);
/* a duration as set by the clinic: "10 min", "30 s", "1 h" (exact) */
void hh_fmt_duration(uint64_t ms, char *out, size_t cap);
/* pump time as "14:05" (local time zone of the remote) */
void hh_fmt_clock(uint64_t pump_ms, char *out, size_t cap);
/* what a reservoir holds: "19.97 mL" from nL, rounded down to 0.01 mL
 * (never fuller than it is); "less than 0.01 mL" for a trace, "0 mL" */
void hh_fmt_volume(uint32_t nl, char *out, size_t cap);
/* a volume as the clinic set it: exact, no trailing zeros ("20 mL", "1.5 mL") */
void hh_fmt_volume_exact(uint32_t nl, char *out, size_t cap);
/* "Tue 14 May 2024" */
void hh_fmt_date(uint64_t pump_ms, char *out, size_t cap);
/* "14:05" when at is on pump_now's day, "14:05 tomorrow", else
 * "14:05 on Tue 14 May 2024"; just the clock when pump_now is 0 */
void hh_fmt_when(uint64_t at, uint64_t pump_now, char *out, size_t cap);

/* how far a clock moved: "45 s", "30 min 1 s", "2 h 5 min", "1 day 2 h"
 * (to the second below an hour, else to the nearest minute) */
void hh_fmt_span(uint64_t ms, char *out, size_t cap);
/* a short day for the frame: "Tue 14 May" */
void hh_fmt_day_short(uint64_t pump_ms, char *out, size_t cap);
/* the day of at as a column: "Today", "Yesterday", "Tomorrow" (from
 * pump_now's day), else "Tue 14 May 2024" (at most 15 characters) */
void hh_fmt_day(uint64_t at, uint64_t pump_now, char *out, size_t cap);

/* Word wrap: the bytes of s's first line at width w (up to the last space
 * that fits; w when one word is longer); *next: where the next line starts
 * (its spaces skipped). */
size_t hh_fmt_wrap(const char *s, size_t w, const char **next);

#endif
