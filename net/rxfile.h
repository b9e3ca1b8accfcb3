/*
 * net/rxfile.h — the prescription text format a clinician reads and edits.
 */
#ifndef PTM_NET_RXFILE_H
#define PTM_NET_RXFILE_H

#include <stddef.h>
#include <stdio.h>

#include "net/msg.h"

/*
 *   # lines are "key = value", '#' starts a comment, blank lines are fine
 *   drug = morphine
 *   concentration = 10 mg/mL
 *   capacity = 20 mL             # the reservoir's size: 20 mL or 40 mL
 *   mode = continuous            # stopped | continuous | flexible
 *   rate = 3 mg/day              # continuous only
 *   step = 00:00 2.4 mg/day      # flexible only, one line a step, up to 13
 *   bolus_enabled = on           # on | off
 *   bolus_dose = 0.5 mg          # mg, mcg, ng
 *   bolus_duration = 10 min      # ms, s, min, h, d
 *   lockout = 2 h
 *   max_per_24h = 6
 *   ceiling_24h = 8 mg           # or: none (the default)
 *   low_threshold = 2 mL         # mL, uL, nL
 *   silence = 1 h                # default 1 h
 *   zone = Europe/Paris          # flexible steps in this IANA zone's local
 *                                # time (pumpd only; default: UTC)
 *
 * Each key is the wire's field name (net/msg.h, docs/PROTOCOL.md 8.4)
 * without its unit; the units are util/units.h's.  Files written before
 * the names were one still read: reservoir (capacity), daily_rate (rate),
 * bolus (bolus_enabled), low_reservoir (low_threshold), alarm_silence
 * (silence).
 *
 * Numbers are parsed into exact integers (nL, ng, ms): a decimal fraction is
 * allowed down to the unit's precision (0.000001 mg = 1 ng); no floating
 * point anywhere.  Unknown keys, duplicates (except step) and missing
 * required keys are errors.  Required: drug, concentration, capacity, mode,
 * bolus_enabled, low_threshold; rate when continuous; at least one step
 * when flexible; bolus_dose, bolus_duration, lockout, max_per_24h when
 * bolus_enabled = on.
 *
 * The parser is fed one line at a time and does no I/O (wireguard-tools
 * style).  Error messages name the file, the line and the field:
 *   rx.txt:7: bolus_dose: '0.5 kg' has an unknown unit (use mg, mcg, ng)
 * The file's bytes they quote, and the file name, are rendered printable
 * (util/esc.h: an escape byte shows as \x1b), so an error can be printed to
 * a terminal or a log as it is.
 * zone is read only when the caller sets allow_zone (pumpd, which resolves
 * the name in the tz database and keeps it with the prescription); the
 * wire's PROGRAM has UTC steps, so any other reader refuses the key rather
 * than send local times as UTC (docs/PROTOCOL.md 8.13).  Only the name's
 * spelling is checked here (tzfile_name_ok's rule, pumpd/tzfile.h).
 * Whether the values suit a pump (limits) is not checked here: that is the
 * pump's job; rxfile_line_of() maps a field name back to the line that set it
 * so the caller can word that error the same way.
 *
 * Memory: struct rxfile is plain data owned by the caller (stack is fine);
 * nothing here allocates.
 */

#define RXFILE_ERR_MAX  256
#define RXFILE_NAME_MAX 64
#define RXFILE_LINE_MAX 512
#define RXFILE_ZONE_MAX 48      /* a zone name with its NUL (pump.h's) */

enum rxfile_key {
	RXK_DRUG, RXK_CONCENTRATION, RXK_CAPACITY, RXK_MODE, RXK_RATE,
	RXK_STEP, RXK_BOLUS_ENABLED, RXK_BOLUS_DOSE, RXK_BOLUS_DURATION,
	RXK_LOCKOUT, RXK_MAX_PER_24H, RXK_CEILING_24H, RXK_LOW_THRESHOLD,
	RXK_SILENCE, RXK_ZONE, RXK_COUNT
};

struct rxfile {
	struct msg_rx rx;               /* what has been read so far */
	char name[RXFILE_NAME_MAX];     /* file name used in messages (printable) */
	unsigned lineno;                /* lines fed so far */
	unsigned line_of[RXK_COUNT];    /* line that set each key (0 = unset) */
	const char *spelled[RXK_COUNT]; /* the name the file used for it */
	char err[RXFILE_ERR_MAX];       /* the last error, "" if none */
	int allow_zone;                 /* set after rxfile_init to read zone */
	char zone[RXFILE_ZONE_MAX];     /* the zone key's name, "" = none */
};

/* Start a parse.  name ("rx.txt", "-" ...) is only used in messages. */
void rxfile_init(struct rxfile *p, const char *name);

/* Feed one line (len bytes, a trailing '\n' or "\r\n" is ignored; no NUL
 * needed).  Returns 0, or -EINVAL with the message in p->err. */
int rxfile_parse_line(struct rxfile *p, const char *line, size_t len);

/* After the last line: check required keys and mode/bolus consistency.
 * On success copies the prescription to *out and returns 0; otherwise
 * -EINVAL with p->err set and *out untouched. */
int rxfile_finish(struct rxfile *p, struct msg_rx *out);

/* Convenience: parse a whole buffer.  On error returns -EINVAL and writes
 * the message to err (errcap bytes, may be NULL); *out untouched. */
int rxfile_parse(const char *name, const char *buf, size_t len,
                 struct msg_rx *out, char *err, size_t errcap);

/* The line that set a field, by file key ("bolus_dose") or by struct msg_rx
 * member name ("bolus_dose_ng", "capacity_nl", "steps" ...).  0 if unknown
 * or unset. */
unsigned rxfile_line_of(const struct rxfile *p, const char *field);

/* The file key for a struct msg_rx member name (or a key itself), NULL if
 * none. */
const char *rxfile_key_of(const char *field);

/* Print a prescription in this format into buf (cap bytes, NUL-terminated).
 * Returns the length written (excluding NUL) or -ENOSPC.  The text parses
 * back to the same struct (for values within the format's ranges). */
int rxfile_write(const struct msg_rx *rx, char *buf, size_t cap);

/* The same to a stdio stream; returns 0 or -EIO. */
int rxfile_fprint(const struct msg_rx *rx, FILE *f);

#endif
