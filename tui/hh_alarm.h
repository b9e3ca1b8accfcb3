/*
 * tui/hh_alarm.h — pump alarms as the handheld presents them: a title, what
 * the alarm means and what to do, in plain words; and the terminal bell's
 * pattern by priority (IEC 60601-1-8 style: a critical alarm is a two-tone
 * signal repeated until silenced, a non-critical one a single tone).
 *
 * Pure: no curses, no libuv, no clock reads.  Texts are static strings.
 */
#ifndef PTM_TUI_HH_ALARM_H
#define PTM_TUI_HH_ALARM_H

#include <stdint.h>

#define HH_BELL_REPEAT_MS 15000u /* a critical alarm's bell repeats this often */

/* "Low reservoir"; a generic text for an alarm this remote does not know */
const char *hh_alarm_title(int alarm);
/* "The pump is running low on medicine." */
const char *hh_alarm_meaning(int alarm);
/* "call your clinic to book a refill" (lower case: it follows a colon) */
const char *hh_alarm_action(int alarm);
/* its priority (enum msg_priority, PROTOCOL.md 8.3); high for one not known */
int hh_alarm_priority(int alarm);

/* The bell's memory between two steps.  Zero it to start. */
struct hh_alarm_bell {
	unsigned prev;     /* bit (1 << alarm) for each alarm audible at the last step */
	uint64_t next;     /* local ms of a critical alarm's next repeat; 0 = none */
};

/* One step of the bell at local time now: audible has a bit per alarm that
 * sounds now, high the bits of those that are critical.  Returns how many
 * bells to ring: 2 (two-tone) when a critical alarm starts sounding and
 * every HH_BELL_REPEAT_MS while one sounds; 1 when only non-critical
 * alarms start sounding (raised, or back after a silence); else 0. */
int hh_alarm_bell(struct hh_alarm_bell *b, unsigned audible, unsigned high, uint64_t now);

#endif
