/*
 * tui/hh_impl.h — the struct behind the opaque handle of tui/hh.h, shared
 * by the files of the handheld's model only: hh.c (the state machine:
 * inputs, queries, the next change) and hh_render.c (the text of each
 * screen).  Nothing else includes this header.
 */
#ifndef PTM_TUI_HH_IMPL_H
#define PTM_TUI_HH_IMPL_H

#include "tui/hh.h"
#include "tui/hh_batt.h"

/* What a new prescription tells the patient: the message line says it when
 * it comes, the home screen keeps it until the prescription is seen */
#define HH_RX_CHANGED_TEXT "Your clinic changed your prescription: press s to see it"

struct hh {
	int link;
	int ever_up;
	int why;                  /* enum hh_why: the last failed attempt */
	char why_detail[48];
	char addr[HH_TEXT];       /* the address tried, printable */
	int screen;
	int scroll;               /* first body line shown on a scrollable screen */
	int body_rows;            /* body rows the view showed last */
	struct hh_batt batt;      /* the remote's own battery */

	int have;                 /* a state block arrived */
	struct msg_state st;
	uint64_t st_local;        /* local time it arrived */
	unsigned st_seq;          /* rises with each state block */

	/* the last bolus outcome from the pump */
	int last_outcome;         /* -1 before the first */
	unsigned outcome_seq;
	struct msg_bolus_result out;
	unsigned out_st_seq;      /* st_seq of the reply that brought it */

	/* the message line */
	int msg;                  /* enum hh_msg */
	int msg_tone;
	char msg_text[HH_TEXT];   /* HH_MSG_TEXT, HH_MSG_REFUSED detail */

	int bolus_pending;
	int bolus_retrying;       /* asking again with the same id */
	int silence_pending;
	int incomplete;           /* light */
	unsigned mute_mask;       /* alarms muted locally until the pump answers */

	struct hh_alarm_bell bell;
	int test_bells;           /* an alarm test's round still to ring (1 or 2) */

	int64_t jump_ms;          /* the pump clock's moves seen since the last 'clock' event */
	int rx_changed;           /* the clinic changed the prescription: not yet seen on s */

	int n_hist;
	struct msg_history_entry hist[HH_HISTORY];
};

/* a "why not now" that ends by itself at a time (lockout, daily limits,
 * a running bolus) */
int hh_is_time_reason(int reason);
/* the last bolus outcome still holds: the message line shows it and its
 * light is on (a later state block may have made it stale: a bolus cut
 * short, a critical alarm or a stopped pump in place of a time limit, the
 * wait over) */
int hh_outcome_current(const hh *h, uint64_t now);
/* pump ms until the last outcome's time (a RUNNING refusal: the next
 * allowed dose), 0 when past */
uint64_t hh_outcome_wait(const hh *h, uint64_t now);
/* the screens that scroll */
int hh_screen_scrolls(int screen);
/* the largest first line for n lines in rows rows */
int hh_scroll_max(int n, int rows);
/* the alarm is silenced at pump time pn */
int hh_alarm_silenced(const struct msg_alarm_info *a, uint64_t pn);

#endif
