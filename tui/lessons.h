/*
 * tui/lessons.h — training lessons for a patient, as data, and a checker
 * that follows what the trainee does on the handheld (tui/hh.h).
 *
 * A lesson is a short script of steps.  Each step says what to do, gives a
 * hint, and names a condition on the handheld's state that completes it
 * (an outcome from the pump, a screen opened, a dose available, an alarm
 * active or silenced, or just "n" to go on).  A step may ask the caller to
 * act on a simulated pump first (e.g. make the reservoir low), which needs
 * a key paired as tester.
 *
 * Pure: no curses, no libuv, no clock reads.  Memory: struct lessons is
 * opaque, owned by the caller (lessons_new .. lessons_free); the lesson
 * table is static.
 */
#ifndef PTM_TUI_LESSONS_H
#define PTM_TUI_LESSONS_H

#include <stddef.h>
#include <stdint.h>

#include "tui/hh.h"

enum lessons_cond {
	LESSONS_ACK = 1,     /* the trainee presses n */
	LESSONS_OUTCOME,     /* a bolus outcome in arg's mask (1 << outcome) since the step began */
	LESSONS_SCREEN,      /* the handheld shows screen arg */
	LESSONS_AVAILABLE,   /* a dose is available */
	LESSONS_ALARM,       /* any alarm is active */
	LESSONS_SILENCED,    /* an alarm is active and none sounds */
	LESSONS_LIMIT,       /* the pump says the 24 h limit holds: a daily count or
	                      * ceiling outcome since the step began, or its state
	                      * (every dose of the 24 h used, or the next dose waits
	                      * for a 24 h limit) */
	LESSONS_REFILLED,    /* the pump's state: the reservoir within 1% of full
	                      * and no low reservoir alarm */
};

/* what the caller does on the pump when a step begins */
enum lessons_do {
	LESSONS_DO_NONE = 0,
	LESSONS_DO_LOW_RESERVOIR,  /* tester: set the reservoir below its alarm threshold */
	LESSONS_DO_REFILL,         /* tester: set the reservoir to its capacity */
};

struct lessons_step {
	const char *say;     /* what to do, in plain words */
	const char *hint;    /* shown under it */
	int cond;            /* enum lessons_cond */
	unsigned arg;
	int action;          /* enum lessons_do, when the step begins */
};

struct lessons_lesson {
	const char *title;
	const char *goal;
	const struct lessons_step *steps;
	int n_steps;
	int needs_tester;    /* 1: its steps act on the pump (a tester key) */
};

int lessons_count(void);
/* lesson i (0-based), or NULL */
const struct lessons_lesson *lessons_get(int i);

typedef struct lessons lessons;

lessons *lessons_new(void);
void lessons_free(lessons *l);

/* Whether a tester key is loaded (lessons that act on the pump need one). */
void lessons_set_tester(lessons *l, int tester);

/* Begin lesson i at its first step.  Returns the step's enum lessons_do
 * (the caller performs it), -1 for no such lesson, or LESSONS_E_TESTER
 * when it needs a tester key and none is loaded (nothing changes). */
#define LESSONS_E_TESTER (-2)
int lessons_start(lessons *l, int i, const hh *h, uint64_t now);
/* Leave the lesson (no lesson active). */
void lessons_stop(lessons *l);

/* Check the current step against the handheld; advance while steps are
 * complete.  Returns 1 when the lesson moved on (redraw), else 0.  When a
 * step that begins has an action, *action is set to it (else DO_NONE). */
int lessons_check(lessons *l, const hh *h, uint64_t now, int *action);
/* The trainee pressed n: completes an ACK step (then like lessons_check). */
int lessons_ack(lessons *l, const hh *h, uint64_t now, int *action);

/* -1 when no lesson runs */
int lessons_current(const lessons *l);
/* the step index; == n_steps when the lesson is finished */
int lessons_step(const lessons *l);
int lessons_finished(const lessons *l);
/* The step as the trainee counts them, "step *num of *total": steps that
 * were done before they could be shown (a dose was already available) are
 * not counted, so the numbers never jump. */
void lessons_step_number(const lessons *l, int *num, int *total);
/* 1 when lesson i was finished since ptm started */
int lessons_done(const lessons *l, int i);
/* Lesson i's row in the list: "1  done  Your first dose: ask the pump ...";
 * at most HH_WIDTH - 2 columns. */
void lessons_list_line(const lessons *l, int i, char *out, size_t cap);
/* The list's last row: which lessons need a tester key, when none is
 * loaded ("" otherwise). */
void lessons_list_note(const lessons *l, char *out, size_t cap);

#endif
