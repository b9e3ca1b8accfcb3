/*
 * tui/lessons.c — the training lessons and their checker (see lessons.h).
 */
#include "tui/lessons.h"

#include <stdio.h>
#include <stdlib.h>

#define OUT(o) (1u << (o))
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Texts that speak of what the screen shows say what the pump said (past
 * tense) or what holds while the step lasts: the trainee may skip time or
 * wait, and a light that was on goes off. */
static const struct lessons_step first_dose[] = {
	{ "This is your remote. The top line says if you may take a dose now.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Wait until the top line says \"Dose available\".",
	  "Training: press f to skip time forward.", LESSONS_AVAILABLE, 0, LESSONS_DO_NONE },
	{ "Press the DOSE button: Space or Enter, or click it.",
	  "The pump decides. \"Dose started\" shows only when the pump agreed.",
	  LESSONS_OUTCOME, OUT(MSG_OUT_GRANTED), LESSONS_DO_NONE },
	{ "Well done! The pump agreed and said \"Dose started\": the dose and how long it takes.",
	  "Press n to finish.", LESSONS_ACK, 0, LESSONS_DO_NONE },
};

static const struct lessons_step too_soon[] = {
	{ "After a dose the pump waits before it allows the next: the lockout.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Wait until the top line says \"Dose available\".",
	  "Training: press f to skip time forward.", LESSONS_AVAILABLE, 0, LESSONS_DO_NONE },
	{ "Press DOSE, then press it again until the pump says \"Too soon\".",
	  "The second press comes during the lockout.",
	  LESSONS_OUTCOME, OUT(MSG_OUT_LOCKOUT) | OUT(MSG_OUT_RUNNING), LESSONS_DO_NONE },
	{ "The pump said \"Too soon\" and how long to wait: that press gave no extra dose.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "The top line counts down to your next dose. Wait for \"Dose available\".",
	  "Training: press f to skip time forward.", LESSONS_AVAILABLE, 0, LESSONS_DO_NONE },
	{ "The wait is over. Pressing early never shortens it, and does no harm.",
	  "Press n to finish.", LESSONS_ACK, 0, LESSONS_DO_NONE },
};

/* The pump refuses a press while a dose runs as "running", so the last
 * allowed dose is known from the pump's state: taking doses and skipping
 * the lockout ends here, and a skip cannot jump past the limit. */
static const struct lessons_step daily_limit[] = {
	{ "Your clinic also sets the most doses you may take in any 24 hours.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Take doses until \"Doses in 24 h\" shows all of them used, e.g. 6 of 6.",
	  "Press DOSE; when the top line says \"Next dose in\", press f to skip time.",
	  LESSONS_LIMIT, 0, LESSONS_DO_NONE },
	{ "That was the last dose allowed in 24 hours. The top line says when the next is allowed.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "The limit counts the last 24 hours, not the calendar day: midnight does not reset it.",
	  "Press n to finish.", LESSONS_ACK, 0, LESSONS_DO_NONE },
};

static const struct lessons_step alarm[] = {
	{ "Alarms say the pump needs attention. We will make a low reservoir alarm.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Wait for the alarm: the ALARM light comes on and the remote beeps.",
	  "Training: the remote sets the pump's reservoir low (needs --tester-key).",
	  LESSONS_ALARM, 0, LESSONS_DO_LOW_RESERVOIR },
	{ "Press a to read what the alarm means and what to do.",
	  "The alarm screen lists every active alarm.", LESSONS_SCREEN, HH_SCR_ALARMS,
	  LESSONS_DO_NONE },
	{ "Press m to silence the beeping.",
	  "Silencing does not fix the cause: do what the screen says.",
	  LESSONS_SILENCED, 0, LESSONS_DO_NONE },
	{ "Silenced alarms sound again later until the cause is fixed (here: a refill).",
	  "Press n to finish.", LESSONS_ACK, 0, LESSONS_DO_NONE },
};

static const struct lessons_step refill[] = {
	{ "Your clinic refills the pump before it runs out of medicine.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Press s to see the status: how much is left and the next refill date.",
	  "Press b to come back to the home screen later.", LESSONS_SCREEN, HH_SCR_STATUS,
	  LESSONS_DO_NONE },
	{ "The refill date assumes you take every dose allowed. Book your refill before it; \"due now\": call now.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "A \"Low reservoir\" alarm means: call your clinic to book a refill.",
	  "Press n to go on.", LESSONS_ACK, 0, LESSONS_DO_NONE },
	{ "Training: the remote now refills the pump, as your clinic would.",
	  "The alarm ends when its cause is gone (needs --tester-key).",
	  LESSONS_REFILLED, 0, LESSONS_DO_REFILL },
	{ "The pump is full again and no \"Low reservoir\" alarm is left.",
	  "Press n to finish.", LESSONS_ACK, 0, LESSONS_DO_NONE },
};

static const struct lessons_lesson table[] = {
	{ "Your first dose", "ask the pump for a dose and read its answer",
	  first_dose, N(first_dose), 0 },
	{ "Why \"too soon\"", "the lockout between doses", too_soon, N(too_soon), 0 },
	{ "The daily limit", "the most doses in 24 hours", daily_limit, N(daily_limit), 0 },
	{ "What an alarm means", "read an alarm, silence it, know what to do",
	  alarm, N(alarm), 1 },
	{ "Refill reminders", "the refill date and the low reservoir alarm",
	  refill, N(refill), 1 },
};

struct lessons {
	int cur;              /* -1: none */
	int step;
	unsigned seq0;        /* hh_outcome_seq when the step began */
	int fresh;            /* the current step began and was not shown yet */
	int skipped;          /* steps of this run done before they were shown */
	unsigned done_mask;   /* 1 << i: lesson i finished */
	int tester;           /* a tester key is loaded */
};

int lessons_count(void)
{
	return N(table);
}

const struct lessons_lesson *lessons_get(int i)
{
	return i >= 0 && i < N(table) ? &table[i] : NULL;
}

lessons *lessons_new(void)
{
	lessons *l = calloc(1, sizeof *l);
	if (l)
		l->cur = -1;
	return l;
}

void lessons_free(lessons *l)
{
	free(l);
}

static const struct lessons_step *cur_step(const lessons *l)
{
	const struct lessons_lesson *ls = lessons_get(l->cur);
	if (!ls || l->step >= ls->n_steps)
		return NULL;
	return &ls->steps[l->step];
}

static int begin_step(lessons *l, const hh *h)
{
	const struct lessons_step *s = cur_step(l);
	l->seq0 = hh_outcome_seq(h);
	l->fresh = 1;
	if (!s && l->cur >= 0 && l->cur < 32)
		l->done_mask |= 1u << l->cur;      /* past the last step: finished */
	return s ? s->action : LESSONS_DO_NONE;
}

void lessons_set_tester(lessons *l, int tester)
{
	l->tester = tester != 0;
}

int lessons_start(lessons *l, int i, const hh *h, uint64_t now)
{
	(void)now;
	const struct lessons_lesson *ls = lessons_get(i);
	if (!ls)
		return -1;
	if (ls->needs_tester && !l->tester)
		return LESSONS_E_TESTER;
	l->cur = i;
	l->step = 0;
	l->skipped = 0;
	return begin_step(l, h);
}

void lessons_stop(lessons *l)
{
	l->cur = -1;
	l->step = 0;
	l->skipped = 0;
}

/* the pump's state says the 24 h limit holds */
static int limit_holds(const hh *h)
{
	if (!hh_have_state(h))
		return 0;
	const struct msg_state *s = hh_last_state(h);
	if (s->next_bolus_reason == MSG_OUT_DAILY_COUNT ||
	    s->next_bolus_reason == MSG_OUT_CEILING)
		return 1;
	return (s->flags & MSG_F_BOLUS_ENABLED) && s->max_per_24h > 0 &&
	       s->boluses_24h >= s->max_per_24h;
}

static int refilled(const hh *h)
{
	if (!hh_have_state(h) || (hh_alarm_mask(h) & (1u << MSG_ALARM_LOW_RESERVOIR)))
		return 0;
	const struct msg_state *s = hh_last_state(h);
	return s->capacity_nl > 0 && s->reservoir_nl >= s->capacity_nl - s->capacity_nl / 100u;
}

static int done(const lessons *l, const struct lessons_step *s, const hh *h, uint64_t now)
{
	int o;
	switch (s->cond) {
	case LESSONS_OUTCOME:
		o = hh_last_outcome(h);
		return hh_outcome_seq(h) != l->seq0 && o >= 0 && o < 32 &&
		       (s->arg & (1u << o));
	case LESSONS_SCREEN:
		return hh_screen(h) == (int)s->arg;
	case LESSONS_AVAILABLE:
		return hh_dose_available(h, now);
	case LESSONS_ALARM:
		return hh_alarm_mask(h) != 0;
	case LESSONS_SILENCED:
		return hh_alarm_mask(h) != 0 && hh_audible_mask(h, now) == 0;
	case LESSONS_LIMIT:
		o = hh_last_outcome(h);
		if (hh_outcome_seq(h) != l->seq0 &&
		    (o == MSG_OUT_DAILY_COUNT || o == MSG_OUT_CEILING))
			return 1;
		return limit_holds(h);
	case LESSONS_REFILLED:
		return refilled(h);
	default:
		return 0;             /* ACK waits for n */
	}
}

static int advance(lessons *l, const hh *h, uint64_t now, int *action, int moved)
{
	*action = LESSONS_DO_NONE;
	const struct lessons_step *s;
	while ((s = cur_step(l)) && done(l, s, h, now)) {
		if (l->fresh)
			l->skipped++;         /* done before the trainee saw it */
		l->step++;
		int a = begin_step(l, h);
		if (a != LESSONS_DO_NONE)
			*action = a;
		moved = 1;
	}
	return moved;
}

int lessons_check(lessons *l, const hh *h, uint64_t now, int *action)
{
	*action = LESSONS_DO_NONE;
	if (l->cur < 0)
		return 0;
	int moved = advance(l, h, now, action, 0);
	l->fresh = 0;                     /* what is current now is drawn next */
	return moved;
}

int lessons_ack(lessons *l, const hh *h, uint64_t now, int *action)
{
	*action = LESSONS_DO_NONE;
	const struct lessons_step *s = cur_step(l);
	if (!s || s->cond != LESSONS_ACK)
		return 0;
	l->fresh = 0;                     /* the trainee read it */
	l->step++;
	int a = begin_step(l, h);
	int moved = advance(l, h, now, action, 1);
	if (*action == LESSONS_DO_NONE)
		*action = a;
	return moved;
}

int lessons_current(const lessons *l)
{
	return l->cur;
}

int lessons_step(const lessons *l)
{
	return l->step;
}

int lessons_finished(const lessons *l)
{
	const struct lessons_lesson *ls = lessons_get(l->cur);
	return ls && l->step >= ls->n_steps;
}

void lessons_step_number(const lessons *l, int *num, int *total)
{
	const struct lessons_lesson *ls = lessons_get(l->cur);
	*num = l->step - l->skipped + 1;
	*total = ls ? ls->n_steps - l->skipped : 0;
}

int lessons_done(const lessons *l, int i)
{
	return i >= 0 && i < 32 && (l->done_mask & (1u << i)) != 0;
}

void lessons_list_line(const lessons *l, int i, char *out, size_t cap)
{
	const struct lessons_lesson *ls = lessons_get(i);
	if (!ls) {
		fmt_set(out, cap, "%s", "");
		return;
	}
	fmt_set(out, cap, "%d  %-4s  %s: %s", i + 1, lessons_done(l, i) ? "done" : "",
	        ls->title, ls->goal);
}

void lessons_list_note(const lessons *l, char *out, size_t cap)
{
	char nums[32] = "";
	int n = 0;
	size_t k = 0;
	for (int i = 0; i < N(table) && k + 8 < sizeof nums; i++) {
		if (!table[i].needs_tester)
			continue;
		int last = 1;
		for (int j = i + 1; j < N(table); j++)
			last &= !table[j].needs_tester;
		k += (size_t)snprintf(nums + k, sizeof nums - k, "%s%d",
		                      n == 0 ? "" : last ? " and " : ", ", i + 1);
		n++;
	}
	if (l->tester || n == 0) {
		fmt_set(out, cap, "%s", "");
		return;
	}
	fmt_set(out, cap, "Lesson%s %s act%s on the pump: %s ptm --tester-key FILE",
	        n > 1 ? "s" : "", nums, n > 1 ? "" : "s", n > 1 ? "they need" : "it needs");
}
