/*
 * tui/hh_render.c — the handheld's model as text (hh_render in hh.h): the
 * headline, the alarm line, the last request's message, the lights and the
 * body of each screen.  Everything a patient reads is made here, so it is
 * tested without a terminal.
 */
#include "tui/hh_impl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* one body line of at most HH_WIDTH columns */
static void put_line(struct hh_view *v, int tone, int rank, int cont, const char *s,
                     size_t n)
{
	if (v->n_lines >= HH_LINES)
		return;
	if (n >= HH_TEXT)
		n = HH_TEXT - 1;
	memcpy(v->lines[v->n_lines], s, n);
	v->lines[v->n_lines][n] = '\0';
	v->tones[v->n_lines] = tone;
	v->ranks[v->n_lines] = rank;
	v->conts[v->n_lines] = cont;
	v->n_lines++;
}

/* Add a body line; a text wider than the screen is word-wrapped onto
 * continuation lines indented two more than the first.  rank: HH_RANK_*,
 * which lines go first when the screen is short (hh_view_fit). */
static void line(struct hh_view *v, int tone, int rank, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line(struct hh_view *v, int tone, int rank, const char *fmt, ...)
{
	char buf[4 * HH_TEXT], pad[HH_WIDTH];
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (r < 0)
		buf[0] = '\0';
	size_t indent = strspn(buf, " ") + 2;
	if (indent > HH_WIDTH / 2)
		indent = HH_WIDTH / 2;
	memset(pad, ' ', sizeof pad);
	const char *p = buf;
	for (int cont = 0; ; cont = 1) {
		size_t lead = cont ? indent : 0;
		const char *rest;
		size_t n = hh_fmt_wrap(p, HH_WIDTH - lead, &rest);
		char one[HH_TEXT];
		memcpy(one, pad, lead);
		memcpy(one + lead, p, n);
		put_line(v, tone, rank, cont, one, lead + n);
		p = rest;
		if (*p == '\0')
			break;
	}
}

int hh_view_fit(const struct hh_view *v, int rows, int idx[HH_LINES])
{
	int keep[HH_LINES], n = v->n_lines < HH_LINES ? v->n_lines : HH_LINES, shown = n;
	if (rows > HH_LINES)
		rows = HH_LINES;
	if (v->scrollable && n > rows && rows >= 2) {
		/* nothing dropped: a window on the lines, and where it is */
		int from = v->scroll, max = hh_scroll_max(n, rows);
		from = from < 0 ? 0 : from > max ? max : from;
		int k = 0;
		for (int i = from; i < n && k < rows - 1; i++)
			idx[k++] = i;
		idx[k++] = HH_VIEW_SCROLL_ROW;
		return k;
	}
	for (int i = 0; i < n; i++)
		keep[i] = 1;
	/* drop whole entries (a line and its continuations), the least
	 * important first, the lowest on the screen first among equals */
	while (shown > rows) {
		int worst = -1;
		for (int i = 0; i < n; i++)
			if (keep[i] && !v->conts[i] && v->ranks[i] > 0 &&
			    (worst < 0 || v->ranks[i] >= v->ranks[worst]))
				worst = i;
		if (worst < 0)
			break;
		int j = worst;
		do {
			keep[j] = 0;
			shown--;
			j++;
		} while (j < n && v->conts[j]);
	}
	int k = 0;
	for (int i = 0; i < n && k < rows; i++)
		if (keep[i])
			idx[k++] = i;    /* still too many: the screen cuts the end */
	return k;
}

void hh_view_scroll_text(const struct hh_view *v, int rows, char *out, size_t cap)
{
	int n = v->n_lines;
	if (!v->scrollable || n <= rows || rows < 2) {
		fmt_set(out, cap, "%s", "");
		return;
	}
	int max = hh_scroll_max(n, rows);
	int from = v->scroll < 0 ? 0 : v->scroll > max ? max : v->scroll;
	int to = from + rows - 1;
	fmt_set(out, cap, "Lines %d-%d of %d: %s", from + 1, to, n,
	        from == 0 ? "Down or PgDn for more" :
	        to >= n ? "Up or PgUp to go back" : "Up / Down to scroll");
}

/* ---- rendering ------------------------------------------------------------------- */

static const struct msg_alarm_info *top_alarm(const hh *h)
{
	const struct msg_alarm_info *best = NULL;
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *a = &h->st.alarms[i];
		if (!best || a->priority > best->priority)
			best = a;
	}
	return best;
}

/* what an outcome says whenever it came: rows up to one of outcome -1
 * (any other) */
struct said {
	int key, tone;   /* an outcome or an HH_MSG_; -1 ends a table */
	const char *text;
};

static const struct said *said_for(const struct said *t, int key)
{
	while (t->key != -1 && t->key != key)
		t++;
	return t;
}

/* the outcome of a bolus request as a patient reads it; "" once it no
 * longer holds (hh_outcome_current) */
static void outcome_text(const hh *h, uint64_t now, uint64_t pn, char *out, size_t cap,
                         int *tone)
{
	const struct msg_bolus_result *o = &h->out;
	char a[32], b[48];
	out[0] = '\0';
	if (!hh_outcome_current(h, now))
		return;            /* the top line and the home screen say what holds now */
	uint64_t left = hh_outcome_wait(h, now);
	switch (h->last_outcome) {
	case MSG_OUT_GRANTED:
		hh_fmt_dose(o->dose_ng, a, sizeof a);
		hh_fmt_duration(o->wait_ms, b, sizeof b);
		fmt_set(out, cap, "Dose started: %s over %s", a, b);
		*tone = HH_TONE_GOOD;
		return;
	case MSG_OUT_LOCKOUT:
		if (left == 0)
			return;        /* the wait is over: the top line says so */
		hh_fmt_wait(left, a, sizeof a);
		fmt_set(out, cap, "Too soon: next dose in %s", a);
		*tone = HH_TONE_WAIT;
		return;
	case MSG_OUT_DAILY_COUNT:
	case MSG_OUT_CEILING:
		if (left == 0)
			return;
		hh_fmt_when(o->at_ms, pn, b, sizeof b);
		fmt_set(out, cap, "%s: next dose at %s",
		    h->last_outcome == MSG_OUT_CEILING ? "Daily medicine limit reached"
		                                       : "Daily limit reached", b);
		*tone = HH_TONE_WAIT;
		return;
	case MSG_OUT_RUNNING:
		/* the wait that matters is the next allowed dose (at_ms, as the
		 * state's next_bolus), not the bolus end */
		if (left == 0)
			return;        /* the wait is over: the top line says so */
		hh_fmt_wait(left, a, sizeof a);
		if (h->have && (h->st.flags & MSG_F_BOLUS_RUNNING) && h->st.bolus_ends_ms > pn)
			fmt_set(out, cap, "Too soon: a dose is still running. Next dose in %s", a);
		else
			fmt_set(out, cap, "Too soon: next dose in %s", a);
		*tone = HH_TONE_WAIT;
		return;
	default:
		break;
	}
	/* the refusals that say the same whenever they came (the last: any other) */
	static const struct said said[] = {
		{ MSG_OUT_DISABLED, HH_TONE_WARN,
		  "No dose: the dose button is not set up. Ask your clinic" },
		{ MSG_OUT_RESERVOIR, HH_TONE_WARN, "No dose: too little medicine left. Call your clinic" },
		{ MSG_OUT_STOPPED, HH_TONE_WARN, "No dose: the pump is stopped. Call your clinic" },
		{ MSG_OUT_CRITICAL, HH_TONE_ALERT, "No dose: the pump has an alarm. See the alarm" },
		{ -1, HH_TONE_WARN, "No dose: the pump refused it. Call your clinic" },
	};
	const struct said *w = said_for(said, h->last_outcome);
	fmt_set(out, cap, "%s", w->text);
	*tone = w->tone;
}

static void render_message(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	/* the messages that say the same whenever they stand */
	static const struct said fixed[] = {
		{ HH_MSG_SENDING, HH_TONE_PLAIN, "Asking the pump for a dose..." },
		{ HH_MSG_NO_LINK, HH_TONE_WARN,
		  "Pump not connected: no dose asked. Try again when connected" },
		{ HH_MSG_SILENCE_FAIL, HH_TONE_WARN, "Could not silence the alarm: try again" },
		{ -1, HH_TONE_PLAIN, NULL },
	};
	const struct said *w = said_for(fixed, h->msg);
	unsigned audible = hh_audible_mask(h, now);
	v->message_tone = w->tone;
	if (w->text) {
		fmt_set(v->message, sizeof v->message, "%s", w->text);
		return;
	}
	switch (h->msg) {
	case HH_MSG_NONE:
		v->message[0] = '\0';
		break;
	case HH_MSG_OUTCOME:
		outcome_text(h, now, pn, v->message, sizeof v->message, &v->message_tone);
		break;
	case HH_MSG_INCOMPLETE:   /* says whether it asks again (same id) */
		fmt_set(v->message, sizeof v->message, h->bolus_retrying
		        ? "Incomplete communication: asking the pump again..."
		        : "Incomplete communication: no answer. Try again");
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_REFUSED:
		fmt_set(v->message, sizeof v->message,
		    "No dose: %s. Try again", h->msg_text);
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_SILENCED:
		/* true while the alarms it silenced are quiet: not beside an
		 * alarm that sounds (a new one, or one whose silence ran out),
		 * nor once every alarm is gone */
		if (hh_alarm_mask(h) && !audible)
			fmt_set(v->message, sizeof v->message,
			    "Alarm silenced for now: it will sound again if not fixed");
		break;
	case HH_MSG_NOTHING_TO_SILENCE:
		if (!audible)
			fmt_set(v->message, sizeof v->message, "No alarm is sounding");
		break;
	case HH_MSG_TEXT:
		fmt_set(v->message, sizeof v->message, "%s", h->msg_text);
		v->message_tone = h->msg_tone;
		break;
	default:   /* the fixed ones, above */
		break;
	}
}

static void render_headline(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[48];
	if (!h->have) {
		const char *t = h->why == HH_WHY_NO_PUMP ? "Pump not found" :
		                h->why == HH_WHY_REFUSED ? "The pump refused this remote" :
		                h->why == HH_WHY_NO_ANSWER ? "The pump did not answer" :
		                h->link == HH_LINK_DOWN ? "Pump not connected" :
		                                          "Connecting to pump...";
		fmt_set(v->headline, sizeof v->headline, "%s", t);
		v->headline_tone = h->why || h->link == HH_LINK_DOWN ? HH_TONE_ALERT
		                                                      : HH_TONE_PLAIN;
		return;
	}
	if (h->link != HH_LINK_UP) {
		fmt_set(v->headline, sizeof v->headline, "Pump not connected: no dose possible");
		v->headline_tone = HH_TONE_ALERT;
		return;
	}
	const struct msg_state *s = &h->st;
	v->headline_tone = HH_TONE_WAIT;
	if (hh_dose_available(h, now)) {
		fmt_set(v->headline, sizeof v->headline, "Dose available");
		v->headline_tone = HH_TONE_GOOD;
		return;
	}
	switch (s->next_bolus_reason) {
	case MSG_OUT_LOCKOUT:
	case MSG_OUT_RUNNING:
	case MSG_OUT_GRANTED:
		hh_fmt_wait(hh_wait_ms(h, now), a, sizeof a);
		fmt_set(v->headline, sizeof v->headline, "Next dose in %s", a);
		return;
	case MSG_OUT_DAILY_COUNT:
	case MSG_OUT_CEILING:
		hh_fmt_when(s->next_bolus_ms, pn, a, sizeof a);
		fmt_set(v->headline, sizeof v->headline, "Daily limit reached: next dose at %s", a);
		return;
	default:
		break;
	}
	static const struct said why_not[] = {
		{ MSG_OUT_DISABLED, HH_TONE_PLAIN, "Dose button not set up" },
		{ MSG_OUT_RESERVOIR, HH_TONE_WARN, "No dose: reservoir too low" },
		{ MSG_OUT_STOPPED, HH_TONE_WARN, "No dose: pump stopped" },
		{ MSG_OUT_CRITICAL, HH_TONE_ALERT, "No dose: pump alarm" },
		{ -1, HH_TONE_WAIT, "No dose now" },
	};
	const struct said *w = said_for(why_not, s->next_bolus_reason);
	fmt_set(v->headline, sizeof v->headline, "%s", w->text);
	v->headline_tone = w->tone;
}

static void render_alarm_line(const hh *h, uint64_t pn, struct hh_view *v)
{
	v->alarm_line[0] = '\0';
	v->alarm_tone = HH_TONE_PLAIN;
	const struct msg_alarm_info *a = h->have ? top_alarm(h) : NULL;
	if (!a)
		return;
	char more[40] = "";
	/* on the alarm screen they are all listed below (a would leave it) */
	if (h->st.n_alarms > 1)
		fmt_set(more, sizeof more, ", and %u more%s", (unsigned)h->st.n_alarms - 1,
		           h->screen == HH_SCR_ALARMS ? " (below)" : ": press a");
	fmt_set(v->alarm_line, sizeof v->alarm_line, "ALARM: %s%s%s", hh_alarm_title(a->id),
	    hh_alarm_silenced(a, pn) ? " (silenced)" : "", more);
	v->alarm_tone = a->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN;
}

static void capital(const char *s, char *out, size_t cap)
{
	fmt_set(out, cap, "%s", s);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static void battery_text(const struct msg_state *s, uint64_t pn, char *out, size_t cap)
{
	char d[32];
	if (s->eos_ms && pn >= s->eos_ms) {
		fmt_set(out, cap, "empty: the pump has stopped");
	} else if (s->eri_ms && pn >= s->eri_ms) {
		hh_fmt_date(s->eos_ms, d, sizeof d);
		fmt_set(out, cap, "replace by %s", d);
	} else if (s->eri_ms) {
		hh_fmt_date(s->eri_ms, d, sizeof d);
		fmt_set(out, cap, "OK (replacement due %s)", d);
	} else {
		fmt_set(out, cap, "OK");
	}
}

static void refill_text(const struct msg_state *s, uint64_t pn, char *out, size_t cap)
{
	if (s->next_refill_ms == 0)
		fmt_set(out, cap, "not predicted");
	else if (s->next_refill_ms <= pn)
		fmt_set(out, cap, "due now");
	else
		hh_fmt_date(s->next_refill_ms, out, cap);
}

/* "19.99 mL of 20 mL" */
static void reservoir_text(const struct msg_state *s, char *out, size_t cap)
{
	char a[32], b[32];
	hh_fmt_volume(s->reservoir_nl, a, sizeof a);
	hh_fmt_volume_exact(s->capacity_nl, b, sizeof b);
	fmt_set(out, cap, "%s of %s", a, b);
}

/* no pump state yet: which address, what went wrong, what to check */
static void render_why(const hh *h, struct hh_view *v)
{
	const char *addr = h->addr[0] ? h->addr : "the pump's address";
	char d[64] = "";
	if (h->why_detail[0])
		fmt_set(d, sizeof d, " (%s)", h->why_detail);
	switch (h->why) {
	case HH_WHY_NO_PUMP:
		line(v, HH_TONE_ALERT, HH_RANK_KEY, "No pump answers at %s%s.", addr, d);
		line(v, HH_TONE_PLAIN, HH_RANK_KEY,
		     "Is pumpd running, and is this its address (--pump, PTM_PUMP)? "
		     "'pumpd status DIR' says where a pump serves.");
		break;
	case HH_WHY_REFUSED:
		line(v, HH_TONE_ALERT, HH_RANK_KEY, "The pump at %s refused this remote's key.",
		     addr);
		line(v, HH_TONE_PLAIN, HH_RANK_KEY,
		     "This remote is not paired with it (pumpd pair DIR --role patient "
		     "NAME.pub), or --pump-key is another pump's key (use DIR/pump.pub), "
		     "or the two clocks differ by more than 10 min.");
		break;
	case HH_WHY_NO_ANSWER:
		line(v, HH_TONE_ALERT, HH_RANK_KEY,
		     "Something answers at %s but no pump handshake came.", addr);
		line(v, HH_TONE_PLAIN, HH_RANK_KEY, "Is this the pump's address?");
		break;
	case HH_WHY_LOST:
		line(v, HH_TONE_ALERT, HH_RANK_KEY, "The link to the pump at %s broke%s.",
		     addr, d);
		break;
	default:
		line(v, HH_TONE_PLAIN, HH_RANK_KEY, "Connecting to the pump at %s.", addr);
		return;
	}
	line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "The remote keeps trying by itself.");
}

/* "at 14:05", "yesterday at 14:05", "at 14:05 on Mon 13 May 2024" */
static void last_when(uint64_t at, uint64_t pn, char *out, size_t cap)
{
	char c[16], d[32];
	hh_fmt_clock(at, c, sizeof c);
	hh_fmt_day(at, pn, d, sizeof d);
	if (strcmp(d, "Today") == 0)
		fmt_set(out, cap, "at %s", c);
	else if (strcmp(d, "Yesterday") == 0)
		fmt_set(out, cap, "yesterday at %s", c);
	else
		fmt_set(out, cap, "at %s on %s", c, d);
}

static void render_home(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[HH_TEXT], b[48];
	const struct msg_state *s = &h->st;
	if (!h->have) {
		render_why(h, v);
		return;
	}
	/* what to do about an alarm comes first */
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &s->alarms[i];
		line(v, al->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN,
		     HH_RANK_KEY, "%s: %s", hh_alarm_title(al->id), hh_alarm_action(al->id));
	}
	if ((s->flags & MSG_F_BOLUS_RUNNING) && s->bolus_ends_ms > pn) {
		hh_fmt_wait(s->bolus_ends_ms - pn, a, sizeof a);
		/* whose bolus (8.15: a pump that says so): the clinic's in words */
		static const char *const what[MSG_CBOLUS_COUNT] = {
			"Dose running",
			"Clinic bolus running (a single dose from your clinic)",
			"Priming the catheter (filling it with drug)",
			"Clinic bolus running (bridge: the old drug in the catheter)",
		};
		unsigned k = s->has_ext ? MSG_SX_BOLUS_KIND(s->ext.flags) : 0;
		line(v, HH_TONE_GOOD, HH_RANK_KEY, "%s: ends in %s",
		     what[k < MSG_CBOLUS_COUNT ? k : 0], a);
	}
	/* not twice on one screen: while the message line says it, it is said */
	if (h->rx_changed && !(h->msg == HH_MSG_TEXT &&
	                       strcmp(h->msg_text, HH_RX_CHANGED_TEXT) == 0))
		line(v, HH_TONE_WARN, HH_RANK_KEY, "%s.", HH_RX_CHANGED_TEXT);
	/* a programming session left pending (edition 3): the pump keeps the
	 * prescription in force; say so, and a stop beside it loudly */
	if (s->has_ext && (s->ext.flags & MSG_SX_PENDING))
		line(v, (s->ext.flags & MSG_SX_STOPPED) ? HH_TONE_ALERT : HH_TONE_WARN,
		     HH_RANK_KEY, (s->ext.flags & MSG_SX_STOPPED)
		         ? "Pump STOPPED, programming pending: call your clinic."
		         : "Programming pending: your current prescription runs.");
	if (hh_light(h, HH_LIGHT_BATTERY, now))
		line(v, HH_TONE_WARN, HH_RANK_KEY,
		     "Remote battery low (%d%%): put new batteries in soon (p).",
		     hh_remote_battery(h, now));
	reservoir_text(s, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Reservoir:     %s", a);
	refill_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_MID, "Next refill:   %s", a);
	battery_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_LOW, "Pump battery:  %s", a);
	for (int i = 0; i < h->n_hist; i++) {
		if (h->hist[i].outcome != MSG_OUT_GRANTED)
			continue;
		hh_fmt_dose(h->hist[i].dose_ng, a, sizeof a);
		last_when(h->hist[i].at_ms, pn, b, sizeof b);
		line(v, HH_TONE_PLAIN, HH_RANK_MID, "Last dose:     %s %s", a, b);
		break;
	}
	if (s->flags & MSG_F_BOLUS_ENABLED)
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Doses in 24 h: %u of %u",
		     (unsigned)s->boluses_24h, (unsigned)s->max_per_24h);
}

static void render_status(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[48], b[48], c[48];
	const struct msg_state *s = &h->st;
	if (!h->have) {
		line(v, HH_TONE_PLAIN, HH_RANK_KEY, "No pump status yet.");
		return;
	}
	hh_fmt_dose(s->concentration_ng_ml, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Medicine:       %s, %s/mL",
	     s->drug[0] ? s->drug : "-", a);
	reservoir_text(s, a, sizeof a);
	hh_fmt_volume_exact(s->low_threshold_nl, c, sizeof c);
	line(v, HH_TONE_PLAIN, HH_RANK_KEY, "Reservoir:      %s (alarm below %s)", a, c);
	refill_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_KEY, "Next refill:    %s", a);
	battery_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, HH_RANK_MID, "Pump battery:   %s", a);
	if (s->mode == MSG_MODE_STOPPED) {
		line(v, HH_TONE_PLAIN, HH_RANK_MID, "Infusion:       stopped by the clinic");
	} else if (!(s->flags & MSG_F_INFUSING)) {
		line(v, HH_TONE_WARN, HH_RANK_MID, "Infusion:       %s, not flowing now",
		     s->mode == MSG_MODE_FLEXIBLE ? "flexible" : "continuous");
	} else {
		hh_fmt_dose(s->basal_ng_day, a, sizeof a);
		line(v, HH_TONE_PLAIN, HH_RANK_MID, "Infusion:       %s, %s a day now",
		     s->mode == MSG_MODE_FLEXIBLE ? "flexible" : "continuous", a);
	}
	if (s->flags & MSG_F_BOLUS_ENABLED) {
		hh_fmt_dose(s->bolus_dose_ng, a, sizeof a);
		hh_fmt_duration(s->bolus_duration_ms, b, sizeof b);
		hh_fmt_duration(s->lockout_ms, c, sizeof c);
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Dose button:    %s over %s, every %s at most",
		     a, b, c);
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Doses in 24 h:  %u of %u allowed",
		     (unsigned)s->boluses_24h, (unsigned)s->max_per_24h);
	} else {
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH, "Dose button:    not set up");
	}
	hh_fmt_clock(pn, a, sizeof a);
	hh_fmt_date(pn, b, sizeof b);
	uint32_t sp = hh_clock_speed(h);
	if (!(s->flags & MSG_F_SIMULATED))
		c[0] = '\0';
	else if (sp == 0)
		fmt_set(c, sizeof c, " (simulated, stopped)");
	else if (sp == 1)
		fmt_set(c, sizeof c, " (simulated)");
	else
		fmt_set(c, sizeof c, " (simulated, %" PRIu32 " x real time)", sp);
	line(v, HH_TONE_PLAIN, HH_RANK_LOW, "Pump clock:     %s %s%s", a, b, c);
	line(v, hh_light(h, HH_LIGHT_BATTERY, now) ? HH_TONE_WARN : HH_TONE_PLAIN, HH_RANK_LOW,
	     "Remote battery: %d%%%s", hh_remote_battery(h, now),
	     hh_light(h, HH_LIGHT_BATTERY, now) ? " (low: press p for new batteries)" : "");
}

static void render_alarms(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[HH_TEXT], t[16];
	if (!h->have || h->st.n_alarms == 0) {
		line(v, HH_TONE_GOOD, HH_RANK_KEY, "No alarms. The pump is working normally.");
		return;
	}
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &h->st.alarms[i];
		int tone = al->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN;
		if (hh_alarm_silenced(al, pn) && al->silenced_until_ms) {
			hh_fmt_clock(al->silenced_until_ms, t, sizeof t);
			fmt_set(a, sizeof a, " (silenced until %s)", t);
		} else if (hh_alarm_silenced(al, pn)) {
			fmt_set(a, sizeof a, " (silenced)");
		} else {
			a[0] = '\0';
		}
		line(v, tone, HH_RANK_KEY, "%s%s%s", al->priority == MSG_PRIO_HIGH ? "URGENT: " : "",
		     hh_alarm_title(al->id), a);
		line(v, HH_TONE_PLAIN, HH_RANK_MID, "  %s", hh_alarm_meaning(al->id));
		capital(hh_alarm_action(al->id), a, sizeof a);
		line(v, HH_TONE_PLAIN, HH_RANK_KEY, "  What to do: %s.", a);
	}
	if (hh_audible_mask(h, now))
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH,
		     "Press m to silence. It sounds again while not fixed.");
	else
		line(v, HH_TONE_PLAIN, HH_RANK_HIGH,
		     "Silenced alarms sound again later while not fixed.");
}

/* why a dose was not given, in a patient's words */
static const char *refusal_words(int outcome)
{
	switch (outcome) {
	case MSG_OUT_LOCKOUT:     return "too soon";
	case MSG_OUT_DAILY_COUNT: return "daily limit";
	case MSG_OUT_CEILING:     return "daily medicine limit";
	case MSG_OUT_RUNNING:     return "a dose was running";
	case MSG_OUT_DISABLED:    return "dose button not set up";
	case MSG_OUT_RESERVOIR:   return "too little medicine left";
	case MSG_OUT_STOPPED:     return "the pump was stopped";
	case MSG_OUT_CRITICAL:    return "a pump alarm";
	default:                  return "refused by the pump";
	}
}

/* one row per request, in columns whatever the date's length:
 * "Today            14:05  Dose given  50 mcg" */
static void render_history(const hh *h, uint64_t pn, struct hh_view *v)
{
	char d[32], c[16], b[48];
	if (h->n_hist == 0) {
		line(v, HH_TONE_PLAIN, HH_RANK_KEY, "No doses asked for yet.");
		return;
	}
	for (int i = 0; i < h->n_hist && v->n_lines < HH_LINES; i++) {
		const struct msg_history_entry *e = &h->hist[i];
		hh_fmt_day(e->at_ms, pn, d, sizeof d);
		hh_fmt_clock(e->at_ms, c, sizeof c);
		if (e->outcome == MSG_OUT_GRANTED) {
			hh_fmt_dose(e->dose_ng, b, sizeof b);
			line(v, HH_TONE_GOOD, HH_RANK_KEY, "%-15s  %5s  Dose given  %s", d, c, b);
		} else {
			line(v, HH_TONE_PLAIN, HH_RANK_KEY, "%-15s  %5s  Not given   %s", d, c,
			     refusal_words(e->outcome));
		}
	}
}

/* an empty remote: nothing but how to bring it back */
static void render_dead(const hh *h, struct hh_view *v)
{
	(void)h;
	v->screen = HH_SCR_HOME;
	fmt_set(v->headline, sizeof v->headline, "Remote batteries empty");
	v->headline_tone = HH_TONE_ALERT;
	fmt_set(v->message, sizeof v->message, "Press p to put new batteries in (q quits)");
	v->message_tone = HH_TONE_WARN;
	fmt_set(v->link_text, sizeof v->link_text, "Remote off: no link to the pump");
	line(v, HH_TONE_ALERT, HH_RANK_KEY, "The remote has stopped: its batteries are empty.");
	line(v, HH_TONE_PLAIN, HH_RANK_KEY,
	     "It asks for no dose and shows no alarm until new batteries are in (p).");
	line(v, HH_TONE_PLAIN, HH_RANK_KEY,
	     "The pump keeps working, and sounds its own alarms.");
}

void hh_render(const hh *h, uint64_t now, struct hh_view *v)
{
	memset(v, 0, sizeof *v);
	uint64_t pn = hh_pump_now(h, now);
	if (hh_remote_dead(h, now)) {
		v->link = h->link;
		render_dead(h, v);
		return;
	}
	v->screen = h->screen;
	v->link = h->link;
	v->scrollable = hh_screen_scrolls(h->screen);
	char t[16];
	if (h->link == HH_LINK_UP) {
		fmt_set(v->link_text, sizeof v->link_text, "Link: connected to pump");
	} else if (h->ever_up && h->have) {
		/* once connected, any time without the link is a lost link; what
		 * the screen shows is the pump's last word */
		hh_fmt_clock(h->st.now_ms, t, sizeof t);
		fmt_set(v->link_text, sizeof v->link_text,
		           h->why == HH_WHY_REFUSED
		           ? "Link lost: the pump refuses this remote now. Pump data from %s"
		           : "Link lost: reconnecting... Pump data from %s", t);
	} else if (h->ever_up) {
		fmt_set(v->link_text, sizeof v->link_text, "Link lost: reconnecting...");
	} else if (h->why == HH_WHY_REFUSED) {
		fmt_set(v->link_text, sizeof v->link_text, "Link: refused by the pump, retrying...");
	} else if (h->why != HH_WHY_NONE || h->link == HH_LINK_DOWN) {
		fmt_set(v->link_text, sizeof v->link_text, "Link: pump not found, retrying...");
	} else {
		fmt_set(v->link_text, sizeof v->link_text, "Link: connecting to pump...");
	}
	if (h->have) {
		hh_fmt_clock(pn, v->clock, sizeof v->clock);
		hh_fmt_day_short(pn, v->day, sizeof v->day);
	}
	render_headline(h, now, pn, v);
	render_alarm_line(h, pn, v);
	render_message(h, now, pn, v);
	for (int i = 0; i < HH_LIGHT_COUNT; i++)
		v->lights[i] = hh_light(h, i, now);
	switch (h->screen) {
	case HH_SCR_HOME:    render_home(h, now, pn, v); break;
	case HH_SCR_STATUS:  render_status(h, now, pn, v); break;
	case HH_SCR_ALARMS:  render_alarms(h, now, pn, v); break;
	case HH_SCR_HISTORY: render_history(h, pn, v); break;
	default: break;      /* help and lessons are drawn from their tables */
	}
	if (v->scrollable) {
		int max = hh_scroll_max(v->n_lines, h->body_rows);
		v->scroll = h->scroll > max ? max : h->scroll;
	}
}
