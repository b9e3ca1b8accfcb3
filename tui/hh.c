/*
 * tui/hh.c — the handheld's own state machine (see hh.h): what the link,
 * the pump's state blocks and notifications, and the patient's presses do
 * to the model; the queries; when the screen next changes by itself.  The
 * text is made in hh_render.c, numbers in hh_fmt.c, alarm words and the
 * bell pattern in hh_alarm.c.  No curses, no libuv, no clock reads: time
 * is always an argument.
 */
#include "tui/hh_impl.h"
#include "tui/hh_refuse.h"

#include <stdlib.h>
#include <string.h>

int hh_is_time_reason(int r)
{
	return r == MSG_OUT_LOCKOUT || r == MSG_OUT_DAILY_COUNT ||
	       r == MSG_OUT_CEILING || r == MSG_OUT_RUNNING;
}

/* the battery's moment: pump time counts on a simulated pump */
static struct hh_batt_at batt_at(const hh *h, uint64_t now)
{
	return (struct hh_batt_at){ .local = now, .pump = hh_pump_now(h, now),
	                            .sim = h->have && (h->st.flags & MSG_F_SIMULATED) };
}

/* ---- the remote's own battery (the model in hh_batt.c) ---- */

void hh_battery_config(hh *h, uint64_t life_ms, uint32_t requests)
{
	hh_batt_config(&h->batt, life_ms, requests);
}

void hh_set_remote_battery(hh *h, int pct, uint64_t now)
{
	hh_batt_set_pct(&h->batt, pct, batt_at(h, now));
}

uint32_t hh_remote_battery_ppm(const hh *h, uint64_t now)
{
	return hh_batt_ppm(&h->batt, batt_at(h, now));
}

int hh_remote_battery(const hh *h, uint64_t now)
{
	return hh_batt_pct(&h->batt, batt_at(h, now));
}

int hh_remote_dead(const hh *h, uint64_t now)
{
	return hh_batt_ppm(&h->batt, batt_at(h, now)) == 0;
}

void hh_remote_use(hh *h, uint64_t now)
{
	hh_batt_use(&h->batt, batt_at(h, now));
}

void hh_replace_batteries(hh *h, uint64_t now)
{
	hh_batt_fill(&h->batt, batt_at(h, now));
	hh_message(h, "New batteries in the remote: 100%", HH_TONE_GOOD, now);
}

/* ---- model ---------------------------------------------------------------------- */

hh *hh_new(void)
{
	hh *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->link = HH_LINK_CONNECTING;
	h->screen = HH_SCR_HOME;
	hh_batt_init(&h->batt);
	h->body_rows = HH_BODY_ROWS;
	h->last_outcome = -1;
	return h;
}

void hh_free(hh *h)
{
	free(h);
}

void hh_link(hh *h, int link, uint64_t now)
{
	if (link != HH_LINK_CONNECTING && link != HH_LINK_UP && link != HH_LINK_DOWN)
		return;
	if (!h->batt.started)
		hh_batt_commit(&h->batt, batt_at(h, now));   /* the battery counts from here */
	h->link = link;
	if (link == HH_LINK_UP) {
		h->ever_up = 1;
		h->why = HH_WHY_NONE;
		h->why_detail[0] = '\0';
	}
}

void hh_set_address(hh *h, const char *addr)
{
	fmt_set(h->addr, sizeof h->addr, "%s", addr ? addr : "");
}

void hh_link_why(hh *h, int why, const char *detail)
{
	if (why < HH_WHY_NONE || why > HH_WHY_LOST)
		why = HH_WHY_LOST;
	h->why = why;
	fmt_set(h->why_detail, sizeof h->why_detail, "%s", detail ? detail : "");
}

void hh_state(hh *h, const struct msg_state *st, uint64_t now)
{
	struct hh_batt_at t = batt_at(h, now);
	hh_batt_commit(&h->batt, t);
	h->st = *st;
	h->st_local = now;
	h->have = 1;
	h->st_seq++;
	hh_batt_rebase(&h->batt, t.sim, st->now_ms);
}

/* a move of the pump's clock worth telling: more than a minute, and more
 * than the estimate could be off at a fast simulated speed (2 s of it) */
static int64_t clock_jump(const hh *h, const struct msg_state *st, uint64_t now)
{
	if (!h->have)
		return 0;
	uint64_t est = hh_pump_now(h, now);
	int64_t d = st->now_ms >= est ? (int64_t)(st->now_ms - est) : -(int64_t)(est - st->now_ms);
	int64_t least = 60000;
	uint32_t sp = hh_clock_speed(h);
	if ((int64_t)sp * 2000 > least)
		least = (int64_t)sp * 2000;
	return d >= least || d <= -least ? d : 0;
}

void hh_clock_moved(hh *h, int64_t d, uint64_t now)
{
	char a[48], b[HH_TEXT];
	if (h->bolus_pending)
		return;                   /* "Asking the pump" stays until its answer */
	hh_fmt_span(d >= 0 ? (uint64_t)d : (uint64_t)-d, a, sizeof a);
	fmt_set(b, sizeof b, "The pump's clock moved %s by %s", d >= 0 ? "forward" : "back", a);
	hh_message(h, b, HH_TONE_PLAIN, now);
}

void hh_notify(hh *h, const struct msg_notify *n, uint64_t now)
{
	/* a clock move pushes the events it found, each with the state at
	 * its end, then 'clock': add the moves up and say them at 'clock' */
	h->jump_ms += clock_jump(h, &n->state, now);
	hh_state(h, &n->state, now);
	if (n->event == MSG_EV_CLOCK) {
		if (h->jump_ms != 0)
			hh_clock_moved(h, h->jump_ms, now);
		h->jump_ms = 0;
	} else if (n->event == MSG_EV_PROGRAMMED) {
		h->rx_changed = 1;
		if (!h->bolus_pending)
			hh_message(h, HH_RX_CHANGED_TEXT, HH_TONE_WARN, now);
	} else if (n->event == MSG_EV_REFILLED) {
		char v[32], b[HH_TEXT];
		hh_fmt_volume(n->state.reservoir_nl, v, sizeof v);
		fmt_set(b, sizeof b, "Your pump was refilled: it holds %s", v);
		if (!h->bolus_pending)
			hh_message(h, b, HH_TONE_PLAIN, now);
	}
	if (n->event == MSG_EV_ALARM_TEST && n->alarm > 0 && n->alarm < MSG_ALARM_COUNT) {
		/* the clinic plays an alarm so that the patient learns it: one
		 * round of its pattern (two-tone for the critical ones), named */
		int high = hh_alarm_priority(n->alarm) == MSG_PRIO_HIGH;
		char b[HH_TEXT];
		fmt_set(b, sizeof b, "Alarm test: %s (this is its sound)",
		        hh_alarm_title(n->alarm));
		h->test_bells = high ? 2 : 1;
		hh_message(h, b, high ? HH_TONE_ALERT : HH_TONE_WARN, now);
	}
	if (n->event == MSG_EV_ALARM_RESOUND) {
		/* sound again even if our estimate had not seen the silence end */
		if (n->alarm > 0 && n->alarm < 32)
			h->bell.prev &= ~(1u << n->alarm);
		else
			h->bell.prev = 0;
		h->mute_mask = 0;
	}
}

uint32_t hh_clock_speed(const hh *h)
{
	if (!h->have)
		return 0;
	if (!(h->st.flags & MSG_F_SIMULATED))
		return 1;                 /* a real pump's clock always runs */
	return h->st.clock_speed;
}

uint64_t hh_pump_now(const hh *h, uint64_t now)
{
	if (!h->have)
		return 0;
	uint64_t speed = hh_clock_speed(h);
	uint64_t el = now > h->st_local ? now - h->st_local : 0;
	if (speed == 0 || el == 0)
		return h->st.now_ms;
	if (el > (UINT64_MAX - h->st.now_ms) / speed)
		return UINT64_MAX;
	return h->st.now_ms + el * speed;
}

int hh_link_state(const hh *h) { return h->link; }
int hh_have_state(const hh *h) { return h->have; }
const struct msg_state *hh_last_state(const hh *h) { return &h->st; }
int hh_last_outcome(const hh *h) { return h->last_outcome; }
unsigned hh_outcome_seq(const hh *h) { return h->outcome_seq; }
int hh_message_kind(const hh *h) { return h->msg; }
int hh_screen(const hh *h) { return h->screen; }

void hh_set_screen(hh *h, int screen)
{
	if (screen >= 0 && screen < HH_SCR_COUNT) {
		if (screen != h->screen)
			h->scroll = 0;        /* a screen opens at its top */
		if (screen == HH_SCR_STATUS)
			h->rx_changed = 0;    /* seen */
		h->screen = screen;
	}
}

int hh_screen_scrolls(int screen)
{
	return screen == HH_SCR_ALARMS || screen == HH_SCR_HISTORY;
}

int hh_scroll_max(int n, int rows)
{
	if (rows < 2 || n <= rows)
		return 0;
	return n - (rows - 1);        /* the last row says where we are */
}

int hh_set_body_rows(hh *h, int rows)
{
	if (rows < 1 || rows == h->body_rows)
		return 0;
	h->body_rows = rows;
	return 1;
}

int hh_scroll(hh *h, int delta, const struct hh_view *v)
{
	if (!hh_screen_scrolls(h->screen))
		return -1;
	int page = h->body_rows > 2 ? h->body_rows - 2 : 1;
	if (delta == HH_SCROLL_PAGE)
		delta = page;
	else if (delta == -HH_SCROLL_PAGE)
		delta = -page;
	int max = hh_scroll_max(v->n_lines, h->body_rows);
	int to = v->scroll + delta;
	to = to < 0 ? 0 : to > max ? max : to;
	int moved = to != v->scroll;
	h->scroll = to;
	return moved;
}


int hh_dose_available(const hh *h, uint64_t now)
{
	if (!h->have)
		return 0;
	int r = h->st.next_bolus_reason;
	if (r != MSG_OUT_GRANTED && !hh_is_time_reason(r))
		return 0;
	if (!(h->st.flags & MSG_F_BOLUS_ENABLED))
		return 0;
	return h->st.next_bolus_ms <= hh_pump_now(h, now) &&
	       (r == MSG_OUT_GRANTED || h->st.next_bolus_ms != 0);
}

uint64_t hh_wait_ms(const hh *h, uint64_t now)
{
	if (!h->have || !hh_is_time_reason(h->st.next_bolus_reason))
		return 0;
	uint64_t pn = hh_pump_now(h, now);
	return h->st.next_bolus_ms > pn ? h->st.next_bolus_ms - pn : 0;
}

/* the next allowed dose a RUNNING refusal waits for: the later of its
 * at_ms and the state's next dose */
static uint64_t running_next(const hh *h)
{
	if (h->have && hh_is_time_reason(h->st.next_bolus_reason) &&
	    h->st.next_bolus_ms > h->out.at_ms)
		return h->st.next_bolus_ms;
	return h->out.at_ms;
}

uint64_t hh_outcome_wait(const hh *h, uint64_t now)
{
	uint64_t pn = hh_pump_now(h, now);
	uint64_t at = h->last_outcome == MSG_OUT_RUNNING ? running_next(h) : h->out.at_ms;
	return at > pn ? at - pn : 0;
}

int hh_outcome_current(const hh *h, uint64_t now)
{
	if (h->msg != HH_MSG_OUTCOME)
		return 0;
	int o = h->last_outcome, r = h->st.next_bolus_reason;
	int later = h->st_seq != h->out_st_seq;   /* the pump spoke since */
	switch (o) {
	case MSG_OUT_GRANTED:
		/* a bolus cut short (stopped, a stall) is over when the pump says so */
		return hh_outcome_wait(h, now) > 0 &&
		       (!later || (h->st.flags & MSG_F_BOLUS_RUNNING));
	case MSG_OUT_LOCKOUT:
	case MSG_OUT_DAILY_COUNT:
	case MSG_OUT_CEILING:
	case MSG_OUT_RUNNING:
		/* a limit in time holds only while the pump's next dose still
		 * waits for time: not once a dose is available, nor when an
		 * alarm, a stop or an empty reservoir is what holds now */
		if (hh_dose_available(h, now))
			return 0;
		if (!hh_is_time_reason(r) && r != MSG_OUT_GRANTED)
			return 0;
		return hh_outcome_wait(h, now) > 0 || hh_wait_ms(h, now) > 0;
	default:
		/* not enabled, reservoir, stopped, critical: until the pump's
		 * state says something else holds */
		return !later || r == o;
	}
}

int hh_alarm_silenced(const struct msg_alarm_info *a, uint64_t pn)
{
	if (!(a->flags & MSG_AF_SILENCED))
		return 0;
	return a->silenced_until_ms == 0 || a->silenced_until_ms > pn;
}

unsigned hh_alarm_mask(const hh *h)
{
	unsigned m = 0;
	if (!h->have)
		return 0;
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++)
		if (h->st.alarms[i].id > 0 && h->st.alarms[i].id < 32)
			m |= 1u << h->st.alarms[i].id;
	return m;
}

/* bit (1 << alarm) for each alarm that sounds now: active, not silenced by
 * the pump, not muted here while a silence request is on its way */
static unsigned audible(const hh *h, uint64_t now)
{
	unsigned m = 0;
	uint64_t pn = hh_pump_now(h, now);
	if (!h->have)
		return 0;
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *a = &h->st.alarms[i];
		if (a->id == 0 || a->id >= 32 || hh_alarm_silenced(a, pn))
			continue;
		if (h->mute_mask & (1u << a->id))
			continue;
		m |= 1u << a->id;
	}
	return m;
}

unsigned hh_audible_mask(const hh *h, uint64_t now)
{
	return audible(h, now);
}

int hh_bell(hh *h, uint64_t now)
{
	unsigned a = hh_remote_dead(h, now) ? 0 : audible(h, now);
	unsigned hi = 0;
	if (h->test_bells) {   /* an alarm test rings once, its pattern */
		int n = hh_remote_dead(h, now) ? 0 : h->test_bells;
		h->test_bells = 0;
		if (n)
			return n;
	}
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *ai = &h->st.alarms[i];
		if (ai->id > 0 && ai->id < 32 && ai->priority == MSG_PRIO_HIGH)
			hi |= 1u << ai->id;
	}
	return hh_alarm_bell(&h->bell, a, hi, now);
}

int hh_light(const hh *h, int light, uint64_t now)
{
	uint64_t pn = hh_pump_now(h, now);
	switch (light) {
	case HH_LIGHT_DOSE:
		if (h->have && (h->st.flags & MSG_F_BOLUS_RUNNING) &&
		    (h->st.bolus_ends_ms == 0 || h->st.bolus_ends_ms > pn))
			return 1;
		return h->last_outcome == MSG_OUT_GRANTED && hh_outcome_current(h, now);
	case HH_LIGHT_LOCKOUT:
		return hh_is_time_reason(h->last_outcome) && hh_outcome_current(h, now);
	case HH_LIGHT_INCOMPLETE:
		return h->incomplete;
	case HH_LIGHT_BATTERY:
		return hh_remote_battery(h, now) < HH_BATTERY_LOW_PCT && !hh_remote_dead(h, now);
	case HH_LIGHT_ALARM:
		return hh_alarm_mask(h) != 0;
	default:
		return 0;
	}
}

/* ---- requests ------------------------------------------------------------------- */

int hh_bolus_press(hh *h, uint64_t now)
{
	if (hh_remote_dead(h, now))
		return 0;                     /* a remote without power asks nothing */
	if (h->bolus_pending)
		return 0;                     /* the message already says "Asking" */
	h->incomplete = 0;
	if (h->link != HH_LINK_UP) {
		h->msg = HH_MSG_NO_LINK;
		h->incomplete = 1;
		return 0;
	}
	h->bolus_pending = 1;
	h->msg = HH_MSG_SENDING;
	return 1;
}

void hh_bolus_retry(hh *h)
{
	h->bolus_pending = 1;
	h->bolus_retrying = 1;
	h->incomplete = 1;
	h->msg = HH_MSG_INCOMPLETE;
}

void hh_bolus_reply(hh *h, int status, const struct msg_reply *reply, uint64_t now)
{
	h->bolus_pending = 0;
	h->bolus_retrying = 0;
	if (status < 0 || !reply) {
		h->msg = HH_MSG_INCOMPLETE;
		h->incomplete = 1;
		return;
	}
	hh_state(h, &reply->state, now);
	if (reply->err != MSG_OK) {
		h->msg = HH_MSG_REFUSED;
		h->incomplete = 1;
		hh_refuse_say(reply->err, reply->detail, h->msg_text, sizeof h->msg_text);
		return;
	}
	h->incomplete = 0;            /* the outcome is known now (a retry's) */
	h->out = reply->u.bolus;
	h->out_st_seq = h->st_seq;
	h->last_outcome = reply->u.bolus.outcome;
	h->outcome_seq++;
	h->msg = HH_MSG_OUTCOME;
	if (h->last_outcome == MSG_OUT_GRANTED && h->n_hist < HH_HISTORY) {
		/* newest first, as HISTORY replies list them */
		memmove(&h->hist[1], &h->hist[0], (size_t)h->n_hist * sizeof h->hist[0]);
		h->hist[0].at_ms = reply->u.bolus.at_ms - reply->u.bolus.wait_ms;
		h->hist[0].outcome = MSG_OUT_GRANTED;
		h->hist[0].dose_ng = reply->u.bolus.dose_ng;
		h->n_hist++;
	}
}

int hh_silence_press(hh *h, uint64_t now)
{
	if (hh_remote_dead(h, now))
		return 0;
	unsigned a = hh_audible_mask(h, now);
	if (!a) {
		h->msg = HH_MSG_NOTHING_TO_SILENCE;
		return 0;
	}
	h->mute_mask |= a;
	if (h->silence_pending)
		return 0;
	if (h->link != HH_LINK_UP) {
		/* muted on this remote only: the pump cannot be told now */
		h->msg = HH_MSG_SILENCED;
		return 0;
	}
	h->silence_pending = 1;
	return 1;
}

void hh_silence_reply(hh *h, int status, const struct msg_reply *reply, uint64_t now)
{
	h->silence_pending = 0;
	h->mute_mask = 0;
	if (status < 0 || !reply) {
		h->msg = HH_MSG_SILENCE_FAIL;
		return;
	}
	hh_state(h, &reply->state, now);
	if (reply->err != MSG_OK) {
		h->msg = HH_MSG_SILENCE_FAIL;
		return;
	}
	h->msg = HH_MSG_SILENCED;
	/* what we muted stays quiet without a fresh bell now */
	h->bell.prev = hh_audible_mask(h, now);
}

void hh_history_reply(hh *h, int status, const struct msg_reply *reply, uint64_t now)
{
	if (status < 0 || !reply || reply->err != MSG_OK)
		return;
	hh_state(h, &reply->state, now);
	unsigned n = reply->u.history.n;
	if (n > HH_HISTORY)
		n = HH_HISTORY;
	memcpy(h->hist, reply->u.history.e, n * sizeof h->hist[0]);
	h->n_hist = (int)n;
	/* newest first whatever the pump's order */
	for (int i = 1; i < h->n_hist; i++) {
		struct msg_history_entry e = h->hist[i];
		int j = i - 1;
		while (j >= 0 && h->hist[j].at_ms < e.at_ms) {
			h->hist[j + 1] = h->hist[j];
			j--;
		}
		h->hist[j + 1] = e;
	}
}

void hh_message(hh *h, const char *text, int tone, uint64_t now)
{
	(void)now;
	h->msg = HH_MSG_TEXT;
	h->msg_tone = tone;
	fmt_set(h->msg_text, sizeof h->msg_text, "%s", text);
}

/* ---- next change -------------------------------------------------------------- */

/* local ms until the displayed wait r (pump ms) next changes */
static uint64_t wait_step(uint64_t r)
{
	if (r == 0)
		return 0;
	uint64_t unit = r <= 60000u ? 1000u : 60000u;
	uint64_t below = ((r - 1) / unit) * unit;
	if (unit == 60000u && below < 60000u)
		below = 60000u;           /* "2 min" turns into "60 s" at 60 s */
	return r - below;
}

static void earliest(uint64_t *best, uint64_t t)
{
	if (t < *best)
		*best = t;
}

/* the local time at which pump_ms more of pump time will have passed:
 * rounded up (never before the pump gets there), UINT64_MAX on a frozen
 * clock; at a simulated speed above real time no sooner than
 * HH_MIN_STEP_MS, so a fast clock does not redraw a thousand times a
 * second */
static uint64_t local_after(const hh *h, uint64_t now, uint64_t pump_ms)
{
	uint64_t speed = hh_clock_speed(h);
	if (speed == 0)
		return UINT64_MAX;
	uint64_t d = pump_ms / speed + (pump_ms % speed != 0);
	if (speed > 1 && d < HH_MIN_STEP_MS)
		d = HH_MIN_STEP_MS;
	return d > UINT64_MAX - now ? UINT64_MAX : now + d;
}

uint64_t hh_next_change(const hh *h, uint64_t now)
{
	uint64_t best = UINT64_MAX;
	if (h->bell.next > now)
		earliest(&best, h->bell.next);     /* the bell keeps real time */
	uint64_t bms;
	struct hh_batt_at bt = batt_at(h, now);
	if (hh_batt_next_change(&h->batt, bt, &bms)) {
		/* the battery's next percent: pump time on a simulated pump */
		if (bt.sim)
			earliest(&best, local_after(h, now, bms));
		else
			earliest(&best, bms > UINT64_MAX - now ? UINT64_MAX : now + bms);
	}
	if (!h->have)
		return best;
	uint64_t pn = hh_pump_now(h, now);
	uint64_t r = hh_wait_ms(h, now);
	if (r > 0)
		earliest(&best, local_after(h, now, wait_step(r)));
	if (h->st.bolus_ends_ms > pn)
		earliest(&best, local_after(h, now, h->st.bolus_ends_ms - pn));
	if (h->msg == HH_MSG_OUTCOME && h->out.at_ms > pn) {
		uint64_t d = h->out.at_ms - pn;
		earliest(&best, local_after(h, now,
		                            hh_is_time_reason(h->last_outcome) ? wait_step(d) : d));
	}
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *a = &h->st.alarms[i];
		if ((a->flags & MSG_AF_SILENCED) && a->silenced_until_ms > pn)
			earliest(&best, local_after(h, now, a->silenced_until_ms - pn));
	}
	/* the pump clock on screen shows minutes */
	earliest(&best, local_after(h, now, 60000u - pn % 60000u));
	return best;
}
