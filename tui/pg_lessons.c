/*
 * tui/pg_lessons.c — the clinician's lessons and their checker (see
 * pg_lessons.h).
 */
#include <stdio.h>
#include <string.h>

#include "tui/keys.h"
#include "tui/pg_lessons.h"
#include "util/units.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct pg_lessons_step performance[] = {
	{ "Before a refill, confirm that the pump works as programmed.",
	  "Press n to go on.", PGL_ACK, 0 },
	{ "Press i to interrogate: the pump's state and its log since the last visit.",
	  "The counts since the last visit show under the prescription.", PGL_REPORT, 0 },
	{ "Press c: drug per hour, requests per day by outcome, the reservoir.",
	  "Up/Down scroll the charts; b goes back.", PGL_SCREEN, PG_SCR_CHARTS },
	{ "Even basal bars and a steadily falling reservoir: the pump delivers.",
	  "Refusals tell how the patient uses the bolus. Press n to finish.", PGL_ACK, 0 },
};

static const struct pg_lessons_step discrepancy[] = {
	{ "In this exercise the syringe shows %W withdrawn from the reservoir.",
	  "Press n to go on.", PGL_ACK, 0 },
	{ "Refill: r, withdrawn %W, then 20 mL at the same concentration; send it.",
	  "Type what the syringe shows, not what the pump expects.", PGL_DISCREPANCY, 0 },
	{ "The pump flagged a DISCREPANCY: investigate (a leak? not delivering?).",
	  "Do not trust the next refill date before. Press n to finish.", PGL_ACK, 0 },
};

static const struct pg_lessons_step interval[] = {
	{ "Press i to interrogate: the next refill date is on the Reservoir line.",
	  "The pump counts every allowed bolus as used: the date errs early.", PGL_REPORT, 0 },
	{ "In how many days is the next refill due? Type the number, then Enter.",
	  "Count from the pump's time, at the top right.", PGL_NEXT_REFILL, 0 },
	{ "Right. Book the refill before that date.",
	  "Press n to finish.", PGL_ACK, 0 },
};

static const struct pg_lessons_step titration[] = {
	{ "The daily dose is %D. Titrate it up by 10 to 20 percent.",
	  "The one in force: pumpd rx PUMPDIR > new.rx; edit its rate, then n.", PGL_ACK, 0 },
	{ "Press p, type the file's path, compare current with pending, confirm.",
	  "Esc cancels with nothing sent.", PGL_TITRATED, 0 },
	{ "The pump runs the new dose now; the next refill date moved earlier.",
	  "Press n to finish.", PGL_ACK, 0 },
};

static const struct pg_lessons_step document[] = {
	{ "Press i: interrogate again, after the refill and the program.",
	  "The counts start again from the refill.", PGL_REPORT, 0 },
	{ "File the visit from a shell: ptmctl report --format html > visit.html",
	  "With a key of its own (the pump keeps one session a key). n: finish.", PGL_ACK, 0 },
};

static const struct pg_lessons_lesson table[] = {
	{ "Confirm system performance", performance, N(performance) },
	{ "Refill: notice a discrepancy", discrepancy, N(discrepancy) },
	{ "The next refill interval", interval, N(interval) },
	{ "Program a dose titration", titration, N(titration) },
	{ "Document the visit", document, N(document) },
};

int pg_lessons_count(void)
{
	return N(table);
}

const struct pg_lessons_lesson *pg_lessons_get(int i)
{
	return i >= 0 && i < N(table) ? &table[i] : NULL;
}

void pg_lessons_init(struct pg_lessons *l)
{
	memset(l, 0, sizeof *l);
	l->cur = -1;
}

static uint32_t daily_now(const struct pg *p)
{
	return p->st.basal_ng_day;
}

/* the step begins: what it compares with */
static void begin_step(struct pg_lessons *l, const struct pg *p)
{
	l->reads = p->reads;
	l->answer[0] = l->why[0] = '\0';
}

int pg_lessons_start(struct pg_lessons *l, int i, const struct pg *p)
{
	if (!pg_lessons_get(i))
		return -1;
	l->cur = i;
	l->step = 0;
	/* a withdrawn volume 20% of the reservoir and 1 mL away from what the
	 * pump expects: beyond its tolerance (15% of what left + 0.5 mL) */
	uint64_t cap = p->st.capacity_nl, exp = p->st.reservoir_nl;
	uint64_t off = cap / 5 + 1000000;
	l->withdraw_nl = exp >= off ? exp - off : exp + off <= cap ? exp + off : 0;
	l->withdraw_nl = (l->withdraw_nl + 50000) / 100000 * 100000;   /* to 0.1 mL */
	l->daily0 = daily_now(p);
	begin_step(l, p);
	return 0;
}

void pg_lessons_stop(struct pg_lessons *l)
{
	l->cur = -1;
}

static const struct pg_lessons_step *cur_step(const struct pg_lessons *l)
{
	const struct pg_lessons_lesson *ls = pg_lessons_get(l->cur);
	return ls && l->step < ls->n_steps ? &ls->steps[l->step] : NULL;
}

static int advance(struct pg_lessons *l, const struct pg *p)
{
	const struct pg_lessons_lesson *ls = pg_lessons_get(l->cur);
	l->step++;
	if (l->step >= ls->n_steps && l->cur < N(l->done))
		l->done[l->cur] = 1;
	begin_step(l, p);
	return 1;
}

static uint64_t days_to_refill(const struct pg *p)
{
	if (!p->st.next_refill_ms || p->st.next_refill_ms <= p->st.now_ms)
		return 0;
	return (p->st.next_refill_ms - p->st.now_ms) / 86400000u;
}

int pg_lessons_key(struct pg_lessons *l, const struct pg *p, int key)
{
	const struct pg_lessons_step *s = cur_step(l);
	if (!s)
		return 0;
	if (s->cond == PGL_ACK && key == 'n')
		return advance(l, p);
	if (s->cond == PGL_NEXT_REFILL && p->screen == PG_SCR_HOME) {
		size_t n = strlen(l->answer);
		if (key >= '0' && key <= '9') {
			if (n + 1 < sizeof l->answer) {
				l->answer[n] = (char)key;
				l->answer[n + 1] = '\0';
			}
			return 1;
		}
		if (key == KEYS_BACKSPACE) {
			if (n)
				l->answer[n - 1] = '\0';
			return 1;
		}
		if ((key == KEYS_ENTER || key == '\r' || key == '\n') && n) {
			uint64_t typed = 0, want = days_to_refill(p);
			units_parse_uint(l->answer, 100000, &typed);
			if (want && (typed + 1 >= want && typed <= want + 1))
				return advance(l, p);
			snprintf(l->why, sizeof l->why, "Not quite: look at the Reservoir line's "
			         "date and the pump's time.");
			l->answer[0] = '\0';
			return 1;
		}
	}
	return 0;
}

int pg_lessons_check(struct pg_lessons *l, const struct pg *p)
{
	const struct pg_lessons_step *s = cur_step(l);
	if (!s)
		return 0;
	switch (s->cond) {
	case PGL_REPORT:
		return p->reads > l->reads ? advance(l, p) : 0;
	case PGL_SCREEN:
		return p->screen == s->arg ? advance(l, p) : 0;
	case PGL_DISCREPANCY:
		if (p->screen != PG_SCR_REFILL || p->step < PG_RF_RESULT)
			return 0;
		{
			uint64_t w = p->rf.withdrawn_nl, want = l->withdraw_nl;
			uint64_t d = w > want ? w - want : want - w;
			if (d <= 50000 && (p->rf.flags & MSG_RF_DISCREPANCY))
				return advance(l, p);
			if (!l->why[0]) {
				snprintf(l->why, sizeof l->why, d > 50000
				         ? "That was not what the syringe shows: try the exercise again."
				         : "The pump found no discrepancy this time.");
				return 1;
			}
		}
		return 0;
	case PGL_TITRATED:
		if (p->screen != PG_SCR_PROGRAM || p->pstep != PG_PS_DONE)
			return 0;
		{
			struct pg_change c;
			pg_compare(&p->pbefore, &p->rx, &c);
			uint64_t now = c.daily_ng[1], was = l->daily0;
			if (was && now * 100 >= was * 110 && now * 100 <= was * 120)
				return advance(l, p);
			if (!l->why[0]) {
				snprintf(l->why, sizeof l->why, "That changed the daily dose by %lld%%: "
				         "a titration step is 10 to 20%%.",
				         was ? (long long)(now * 100 / was) - 100 : 0LL);
				return 1;
			}
		}
		return 0;
	default:
		return 0;
	}
}

/* s with %W and %D filled in */
static void fill(const struct pg_lessons *l, const char *s, char *out, size_t cap)
{
	char v[UNITS_FMT_MAX];
	size_t n = 0;
	for (; *s && n + 1 < cap; s++) {
		if (s[0] == '%' && (s[1] == 'W' || s[1] == 'D')) {
			if (s[1] == 'W')
				units_fmt_volume(l->withdraw_nl, v);
			else
				units_fmt_rate(l->daily0, v);
			n += (size_t)snprintf(out + n, cap - n, "%s", v);
			if (n >= cap)
				n = cap - 1;
			s++;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

static void add(struct hh_view *v, int tone, const char *text)
{
	if (v->n_lines >= HH_LINES)
		return;
	snprintf(v->lines[v->n_lines], HH_WIDTH + 1, "%.*s", HH_WIDTH, text);
	v->tones[v->n_lines] = tone;
	v->ranks[v->n_lines] = HH_RANK_KEY;
	v->n_lines++;
}

void pg_lessons_render(const struct pg_lessons *l, const struct pg *p, int list,
                       struct hh_view *v)
{
	char b[HH_TEXT * 2];
	(void)p;
	if (list) {
		v->n_lines = 0;
		add(v, HH_TONE_PLAIN, "Clinician lessons: press a number to start one");
		for (int i = 0; i < N(table); i++) {
			snprintf(b, sizeof b, "%d  %-5s %s", i + 1, l->done[i] ? "done" : "",
			         table[i].title);
			add(v, l->cur == i ? HH_TONE_GOOD : HH_TONE_PLAIN, b);
		}
		add(v, HH_TONE_PLAIN, "l or b: back to the programmer   x: leave the lesson");
		return;
	}
	const struct pg_lessons_lesson *ls = pg_lessons_get(l->cur);
	if (!ls)
		return;
	if (l->step >= ls->n_steps) {
		snprintf(b, sizeof b, "-- Lesson %d done: %s. l: the lessons", l->cur + 1, ls->title);
		add(v, HH_TONE_GOOD, b);
		return;
	}
	const struct pg_lessons_step *s = &ls->steps[l->step];
	snprintf(b, sizeof b, "-- Lesson %d, step %d of %d: %s", l->cur + 1, l->step + 1,
	         ls->n_steps, ls->title);
	add(v, HH_TONE_PLAIN, b);
	fill(l, s->say, b, sizeof b);
	add(v, HH_TONE_GOOD, b);
	if (s->cond == PGL_NEXT_REFILL) {
		snprintf(b, sizeof b, "Days: %s_", l->answer);
		add(v, HH_TONE_GOOD, b);
	}
	add(v, l->why[0] ? HH_TONE_WARN : HH_TONE_PLAIN, l->why[0] ? l->why : s->hint);
}
