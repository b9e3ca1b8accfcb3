/*
 * tui/pg_lessons.h — the clinician's training lessons on the programmer
 * (ptm --clinician --train), following the refill visit: confirm system
 * performance, a refill with a discrepancy to notice, the next refill
 * interval, a dose titration, documenting.  Each step names what completes
 * it on the programmer's model (tui/pg.h): a screen, a report read, a
 * refill the pump checked, a program in force, or n.  Pure: no curses, no
 * libuv.  Memory: struct pg_lessons is plain data the caller owns.
 */
#ifndef PTM_TUI_PG_LESSONS_H
#define PTM_TUI_PG_LESSONS_H

#include <stddef.h>
#include <stdint.h>

#include "tui/pg.h"

enum pg_lessons_cond {
	PGL_ACK = 1,        /* the trainee presses n */
	PGL_REPORT,         /* an interrogation read since the step began */
	PGL_SCREEN,         /* the programmer shows screen arg */
	PGL_DISCREPANCY,    /* a refill the pump flagged, sent with the withdrawn
	                       volume the lesson gave (within 0.05 mL) */
	PGL_TITRATED,       /* a program in force whose daily drug is 110..120%
	                       of the daily drug when the lesson began */
	PGL_NEXT_REFILL,    /* the trainee typed the days to the next refill the
	                       pump predicts (within one day) */
};

struct pg_lessons_step {
	const char *say;    /* what to do; "%W" stands for the volume to withdraw,
	                       "%D" for the daily dose at the start */
	const char *hint;
	int cond;           /* enum pg_lessons_cond */
	int arg;
};

struct pg_lessons_lesson {
	const char *title;
	const struct pg_lessons_step *steps;
	int n_steps;
};

int pg_lessons_count(void);
const struct pg_lessons_lesson *pg_lessons_get(int i);   /* or NULL */

struct pg_lessons {
	int cur;                    /* -1: none */
	int step;                   /* == n_steps: finished */
	int done[8];
	uint64_t reads;             /* interrogations seen when the step began */
	uint64_t withdraw_nl;       /* lesson 2: the volume the syringe shows */
	uint32_t daily0;            /* the daily drug when the lesson began */
	char answer[8];             /* typed days (PGL_NEXT_REFILL) */
	char why[HH_TEXT];          /* why the last attempt did not count */
};

void pg_lessons_init(struct pg_lessons *l);
/* Begin lesson i on the programmer's current state: 0, or -1. */
int pg_lessons_start(struct pg_lessons *l, int i, const struct pg *p);
void pg_lessons_stop(struct pg_lessons *l);
/* A key the lesson takes (n, digits and Backspace/Enter on a typed answer):
 * 1 when taken (the programmer must not see it). */
int pg_lessons_key(struct pg_lessons *l, const struct pg *p, int key);
/* After every change of the programmer's model: 1 when the lesson moved on. */
int pg_lessons_check(struct pg_lessons *l, const struct pg *p);
/* The lesson's panel as text lines appended to v (HH_RANK_KEY: never
 * dropped), or the list of lessons when list is 1. */
void pg_lessons_render(const struct pg_lessons *l, const struct pg *p, int list,
                       struct hh_view *v);

#endif
