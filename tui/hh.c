/*
 * tui/hh.c — the handheld's own state model (see hh.h).  No curses, no
 * libuv, no clock reads: time is always an argument.
 */
#include "tui/hh.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


struct hh {
	int link;
	int ever_up;
	int screen;
	int remote_batt;

	int have;                 /* a state block arrived */
	struct msg_state st;
	uint64_t st_local;        /* local time it arrived */

	/* the last bolus outcome from the pump */
	int last_outcome;         /* -1 before the first */
	unsigned outcome_seq;
	struct msg_bolus_result out;

	/* the message line */
	int msg;                  /* enum hh_msg */
	int msg_tone;
	char msg_text[HH_TEXT];   /* HH_MSG_TEXT, HH_MSG_REFUSED detail */

	int bolus_pending;
	int silence_pending;
	int incomplete;           /* light */
	unsigned mute_mask;       /* alarms muted locally until the pump answers */

	unsigned prev_audible;    /* hh_bell's memory */
	uint64_t bell_next;       /* next repeat of a critical bell (local) */

	int n_hist;
	struct msg_history_entry hist[HH_HISTORY];
};

/* ---- small helpers ---------------------------------------------------------- */

static void put(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	if (cap == 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		out[0] = '\0';
}

static void line(struct hh_view *v, int tone, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void line(struct hh_view *v, int tone, const char *fmt, ...)
{
	va_list ap;
	if (v->n_lines >= HH_LINES)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(v->lines[v->n_lines], HH_TEXT, fmt, ap);
	va_end(ap);
	if (n < 0)
		v->lines[v->n_lines][0] = '\0';
	v->tones[v->n_lines] = tone;
	v->n_lines++;
}

static int is_time_reason(int r)
{
	return r == MSG_OUT_LOCKOUT || r == MSG_OUT_DAILY_COUNT ||
	       r == MSG_OUT_CEILING || r == MSG_OUT_RUNNING;
}

/* ---- formatting ----------------------------------------------------------------- */

/* whole.frac with the fraction's trailing zeros trimmed; frac has `digits` digits */
static void fmt_decimal(uint32_t whole, uint32_t frac, int digits, const char *unit,
                        char *out, size_t cap)
{
	if (frac == 0) {
		put(out, cap, "%" PRIu32 " %s", whole, unit);
		return;
	}
	char f[12];
	put(f, sizeof f, "%0*" PRIu32, digits, frac);
	size_t n = strlen(f);
	while (n > 0 && f[n - 1] == '0')
		f[--n] = '\0';
	put(out, cap, "%" PRIu32 ".%s %s", whole, f, unit);
}

void hh_fmt_dose(uint32_t ng, char *out, size_t cap)
{
	if (ng >= 100000u)
		fmt_decimal(ng / 1000000u, ng % 1000000u, 6, "mg", out, cap);
	else if (ng >= 1000u)
		fmt_decimal(ng / 1000u, ng % 1000u, 3, "mcg", out, cap);
	else
		put(out, cap, "%" PRIu32 " ng", ng);
}

static void fmt_hm(uint64_t min, char *out, size_t cap)
{
	if (min >= 60) {
		if (min % 60)
			put(out, cap, "%" PRIu64 " h %" PRIu64 " min", min / 60, min % 60);
		else
			put(out, cap, "%" PRIu64 " h", min / 60);
	} else {
		put(out, cap, "%" PRIu64 " min", min);
	}
}

void hh_fmt_wait(uint64_t ms, char *out, size_t cap)
{
	if (ms <= 60000u)
		put(out, cap, "%" PRIu64 " s", (ms + 999u) / 1000u);
	else
		fmt_hm((ms + 59999u) / 60000u, out, cap);
}

void hh_fmt_duration(uint64_t ms, char *out, size_t cap)
{
	if (ms % 60000u == 0)
		fmt_hm(ms / 60000u, out, cap);
	else if (ms % 1000u == 0 && ms < 60000u)
		put(out, cap, "%" PRIu64 " s", ms / 1000u);
	else if (ms % 1000u == 0)
		put(out, cap, "%" PRIu64 " min %" PRIu64 " s", ms / 60000u,
		    (ms % 60000u) / 1000u);
	else
		put(out, cap, "%" PRIu64 " ms", ms);
}

static int tm_of(uint64_t pump_ms, struct tm *tm)
{
	time_t t = (time_t)(pump_ms / 1000u);
	return localtime_r(&t, tm) != NULL;
}

void hh_fmt_clock(uint64_t pump_ms, char *out, size_t cap)
{
	struct tm tm;
	if (!tm_of(pump_ms, &tm)) {
		put(out, cap, "--:--");
		return;
	}
	put(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void hh_fmt_date(uint64_t pump_ms, char *out, size_t cap)
{
	static const char *const wd[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (!tm_of(pump_ms, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		put(out, cap, "unknown");
		return;
	}
	put(out, cap, "%s %d %s %d", wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
	    tm.tm_year + 1900);
}

void hh_fmt_volume(uint32_t nl, char *out, size_t cap)
{
	put(out, cap, "%" PRIu32 ".%" PRIu32 " mL", nl / 1000000u, (nl % 1000000u) / 100000u);
}

/* "14:05", or "14:05 tomorrow" / "14:05 on Tue 14 May 2024" when not today */
static void fmt_when(uint64_t at, uint64_t pnow, char *out, size_t cap)
{
	char c[16];
	hh_fmt_clock(at, c, sizeof c);
	struct tm a, b;
	if (pnow == 0 || !tm_of(at, &a) || !tm_of(pnow, &b) ||
	    (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)) {
		put(out, cap, "%s", c);
		return;
	}
	uint64_t next_day = pnow + 86400000u;
	struct tm t;
	if (tm_of(next_day, &t) && a.tm_year == t.tm_year && a.tm_yday == t.tm_yday) {
		put(out, cap, "%s tomorrow", c);
		return;
	}
	char d[32];
	hh_fmt_date(at, d, sizeof d);
	put(out, cap, "%s on %s", c, d);
}

/* ---- alarms in plain words ----------------------------------------------------- */

struct alarm_text { const char *title, *meaning, *action; };

static const struct alarm_text alarm_texts[MSG_ALARM_COUNT] = {
	[MSG_ALARM_LOW_RESERVOIR] = { "Low reservoir",
		"The pump is running low on medicine.",
		"call your clinic to book a refill" },
	[MSG_ALARM_ERI] = { "Pump battery low",
		"The pump's battery must be replaced within 90 days.",
		"call your clinic to plan a pump replacement" },
	[MSG_ALARM_EOS] = { "Pump battery empty",
		"The pump has stopped: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_EMPTY] = { "Reservoir empty",
		"The pump is out of medicine: none is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_MOTOR_STALL] = { "Pump motor stopped",
		"The pump's motor stalled: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_MEMORY] = { "Pump memory error",
		"The pump found a minor error in its memory. It keeps working.",
		"call your clinic during opening hours" },
	[MSG_ALARM_MEMORY_CRITICAL] = { "Pump memory failure",
		"The pump has stopped: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
};

static const struct alarm_text *alarm_text(int a)
{
	if (a <= 0 || a >= MSG_ALARM_COUNT || !alarm_texts[a].title)
		return NULL;
	return &alarm_texts[a];
}

const char *hh_alarm_title(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->title : "Pump alarm";
}

const char *hh_alarm_meaning(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->meaning : "The pump raised an alarm this remote does not know.";
}

const char *hh_alarm_action(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->action : "call your clinic";
}

/* ---- model ---------------------------------------------------------------------- */

hh *hh_new(void)
{
	hh *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->link = HH_LINK_CONNECTING;
	h->screen = HH_SCR_HOME;
	h->remote_batt = 100;
	h->last_outcome = -1;
	return h;
}

void hh_free(hh *h)
{
	free(h);
}

void hh_link(hh *h, int link, uint64_t now)
{
	(void)now;
	if (link != HH_LINK_CONNECTING && link != HH_LINK_UP && link != HH_LINK_DOWN)
		return;
	h->link = link;
	if (link == HH_LINK_UP)
		h->ever_up = 1;
}

void hh_state(hh *h, const struct msg_state *st, uint64_t now)
{
	h->st = *st;
	h->st_local = now;
	h->have = 1;
}

void hh_notify(hh *h, const struct msg_notify *n, uint64_t now)
{
	hh_state(h, &n->state, now);
	if (n->event == MSG_EV_ALARM_RESOUND) {
		/* sound again even if our estimate had not seen the silence end */
		if (n->alarm > 0 && n->alarm < 32)
			h->prev_audible &= ~(1u << n->alarm);
		else
			h->prev_audible = 0;
		h->mute_mask = 0;
	}
}

uint64_t hh_pump_now(const hh *h, uint64_t now)
{
	if (!h->have)
		return 0;
	return h->st.now_ms + (now > h->st_local ? now - h->st_local : 0);
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
	if (screen >= 0 && screen < HH_SCR_COUNT)
		h->screen = screen;
}

void hh_set_remote_battery(hh *h, int pct)
{
	h->remote_batt = pct < 0 ? 0 : pct > 100 ? 100 : pct;
}

int hh_dose_available(const hh *h, uint64_t now)
{
	if (!h->have)
		return 0;
	int r = h->st.next_bolus_reason;
	if (r != MSG_OUT_GRANTED && !is_time_reason(r))
		return 0;
	if (!(h->st.flags & MSG_F_BOLUS_ENABLED))
		return 0;
	return h->st.next_bolus_ms <= hh_pump_now(h, now) &&
	       (r == MSG_OUT_GRANTED || h->st.next_bolus_ms != 0);
}

uint64_t hh_wait_ms(const hh *h, uint64_t now)
{
	if (!h->have || !is_time_reason(h->st.next_bolus_reason))
		return 0;
	uint64_t pn = hh_pump_now(h, now);
	return h->st.next_bolus_ms > pn ? h->st.next_bolus_ms - pn : 0;
}

static int alarm_silenced(const struct msg_alarm_info *a, uint64_t pn)
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

static unsigned audible(const hh *h, uint64_t now, int *high)
{
	unsigned m = 0;
	uint64_t pn = hh_pump_now(h, now);
	*high = 0;
	if (!h->have)
		return 0;
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *a = &h->st.alarms[i];
		if (a->id == 0 || a->id >= 32 || alarm_silenced(a, pn))
			continue;
		if (h->mute_mask & (1u << a->id))
			continue;
		m |= 1u << a->id;
		if (a->priority == MSG_PRIO_HIGH)
			*high = 1;
	}
	return m;
}

unsigned hh_audible_mask(const hh *h, uint64_t now)
{
	int high;
	return audible(h, now, &high);
}

int hh_bell(hh *h, uint64_t now)
{
	int high;
	unsigned a = audible(h, now, &high);
	unsigned fresh = a & ~h->prev_audible;
	h->prev_audible = a;
	if (!high)
		h->bell_next = 0;
	if (fresh) {
		int fresh_high = 0;
		for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
			const struct msg_alarm_info *ai = &h->st.alarms[i];
			if (ai->id < 32 && (fresh & (1u << ai->id)) &&
			    ai->priority == MSG_PRIO_HIGH)
				fresh_high = 1;
		}
		if (high)
			h->bell_next = now + HH_BELL_REPEAT_MS;
		return fresh_high ? 2 : 1;
	}
	if (high && h->bell_next != 0 && now >= h->bell_next) {
		h->bell_next = now + HH_BELL_REPEAT_MS;
		return 2;
	}
	if (high && h->bell_next == 0)
		h->bell_next = now + HH_BELL_REPEAT_MS;
	return 0;
}

int hh_light(const hh *h, int light, uint64_t now)
{
	uint64_t pn = hh_pump_now(h, now);
	switch (light) {
	case HH_LIGHT_DOSE:
		if (h->have && (h->st.flags & MSG_F_BOLUS_RUNNING) &&
		    (h->st.bolus_ends_ms == 0 || h->st.bolus_ends_ms > pn))
			return 1;
		return h->msg == HH_MSG_OUTCOME && h->last_outcome == MSG_OUT_GRANTED &&
		       h->out.at_ms > pn;
	case HH_LIGHT_LOCKOUT:
		return h->msg == HH_MSG_OUTCOME && is_time_reason(h->last_outcome) &&
		       (h->out.at_ms > pn || hh_wait_ms(h, now) > 0);
	case HH_LIGHT_INCOMPLETE:
		return h->incomplete;
	case HH_LIGHT_BATTERY:
		return h->remote_batt < HH_BATTERY_LOW_PCT;
	case HH_LIGHT_ALARM:
		return hh_alarm_mask(h) != 0;
	default:
		return 0;
	}
}

/* ---- requests ------------------------------------------------------------------- */

int hh_bolus_press(hh *h, uint64_t now)
{
	(void)now;
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

void hh_bolus_reply(hh *h, int status, const struct msg_reply *reply, uint64_t now)
{
	h->bolus_pending = 0;
	if (status < 0 || !reply) {
		h->msg = HH_MSG_INCOMPLETE;
		h->incomplete = 1;
		return;
	}
	hh_state(h, &reply->state, now);
	if (reply->err != MSG_OK) {
		h->msg = HH_MSG_REFUSED;
		h->incomplete = 1;
		put(h->msg_text, sizeof h->msg_text, "%s", msg_err_name(reply->err));
		return;
	}
	h->out = reply->u.bolus;
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
	h->prev_audible = hh_audible_mask(h, now);
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
	put(h->msg_text, sizeof h->msg_text, "%s", text);
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

uint64_t hh_next_change(const hh *h, uint64_t now)
{
	uint64_t best = UINT64_MAX;
	if (!h->have)
		return best;
	uint64_t pn = hh_pump_now(h, now);
	uint64_t r = hh_wait_ms(h, now);
	if (r > 0)
		earliest(&best, now + wait_step(r));
	if (h->st.bolus_ends_ms > pn)
		earliest(&best, now + (h->st.bolus_ends_ms - pn));
	if (h->msg == HH_MSG_OUTCOME && h->out.at_ms > pn) {
		uint64_t d = h->out.at_ms - pn;
		earliest(&best, now + (is_time_reason(h->last_outcome) ? wait_step(d) : d));
	}
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *a = &h->st.alarms[i];
		if ((a->flags & MSG_AF_SILENCED) && a->silenced_until_ms > pn)
			earliest(&best, now + (a->silenced_until_ms - pn));
	}
	if (h->bell_next > now)
		earliest(&best, h->bell_next);
	/* the pump clock on screen shows minutes */
	earliest(&best, now + (60000u - pn % 60000u));
	return best;
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

/* the outcome of a bolus request as a patient reads it */
static void outcome_text(const hh *h, uint64_t pn, char *out, size_t cap, int *tone)
{
	const struct msg_bolus_result *o = &h->out;
	char a[32], b[48];
	uint64_t left = o->at_ms > pn ? o->at_ms - pn : 0;
	switch (h->last_outcome) {
	case MSG_OUT_GRANTED:
		hh_fmt_dose(o->dose_ng, a, sizeof a);
		hh_fmt_duration(o->wait_ms, b, sizeof b);
		put(out, cap, "Dose started: %s over %s", a, b);
		*tone = HH_TONE_GOOD;
		return;
	case MSG_OUT_LOCKOUT:
		if (left == 0) {
			out[0] = '\0';     /* the wait is over: the top line says so */
			return;
		}
		hh_fmt_wait(left, a, sizeof a);
		put(out, cap, "Too soon: next dose in %s", a);
		*tone = HH_TONE_WAIT;
		return;
	case MSG_OUT_DAILY_COUNT:
	case MSG_OUT_CEILING:
		fmt_when(o->at_ms, pn, b, sizeof b);
		put(out, cap, "%s: next dose at %s",
		    h->last_outcome == MSG_OUT_CEILING ? "Daily medicine limit reached"
		                                       : "Daily limit reached", b);
		*tone = HH_TONE_WAIT;
		return;
	case MSG_OUT_RUNNING: {
		/* the wait that matters is the next allowed dose, not the bolus end */
		uint64_t next = h->have && is_time_reason(h->st.next_bolus_reason) &&
		                h->st.next_bolus_ms > o->at_ms ? h->st.next_bolus_ms : o->at_ms;
		left = next > pn ? next - pn : 0;
		if (left == 0) {
			out[0] = '\0';     /* the wait is over: the top line says so */
			return;
		}
		hh_fmt_wait(left, a, sizeof a);
		if (o->at_ms > pn)
			put(out, cap, "Too soon: a dose is still running. Next dose in %s", a);
		else
			put(out, cap, "Too soon: next dose in %s", a);
		*tone = HH_TONE_WAIT;
		return;
	}
	case MSG_OUT_DISABLED:
		put(out, cap, "No dose: the dose button is not set up. Ask your clinic");
		*tone = HH_TONE_WARN;
		return;
	case MSG_OUT_RESERVOIR:
		put(out, cap, "No dose: too little medicine left. Call your clinic");
		*tone = HH_TONE_WARN;
		return;
	case MSG_OUT_STOPPED:
		put(out, cap, "No dose: the pump is stopped. Call your clinic");
		*tone = HH_TONE_WARN;
		return;
	case MSG_OUT_CRITICAL:
		put(out, cap, "No dose: the pump has an alarm. See the alarm");
		*tone = HH_TONE_ALERT;
		return;
	default:
		put(out, cap, "The pump answered: %s", msg_outcome_name(h->last_outcome));
		*tone = HH_TONE_PLAIN;
		return;
	}
}

static void render_message(const hh *h, uint64_t pn, struct hh_view *v)
{
	v->message_tone = HH_TONE_PLAIN;
	switch (h->msg) {
	case HH_MSG_NONE:
		v->message[0] = '\0';
		break;
	case HH_MSG_SENDING:
		put(v->message, sizeof v->message, "Asking the pump for a dose...");
		break;
	case HH_MSG_OUTCOME:
		outcome_text(h, pn, v->message, sizeof v->message, &v->message_tone);
		break;
	case HH_MSG_INCOMPLETE:
		put(v->message, sizeof v->message, "Pump not responding: try again");
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_REFUSED:
		put(v->message, sizeof v->message,
		    "Pump could not complete the request (%s): try again", h->msg_text);
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_NO_LINK:
		put(v->message, sizeof v->message,
		    "Pump not connected: no dose asked. Try again when connected");
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_SILENCED:
		put(v->message, sizeof v->message,
		    "Alarm silenced for now: it will sound again if not fixed");
		break;
	case HH_MSG_SILENCE_FAIL:
		put(v->message, sizeof v->message, "Could not silence the alarm: try again");
		v->message_tone = HH_TONE_WARN;
		break;
	case HH_MSG_NOTHING_TO_SILENCE:
		put(v->message, sizeof v->message, "No alarm is sounding");
		break;
	case HH_MSG_TEXT:
		put(v->message, sizeof v->message, "%s", h->msg_text);
		v->message_tone = h->msg_tone;
		break;
	}
}

static void render_headline(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[48];
	if (!h->have) {
		put(v->headline, sizeof v->headline, "%s",
		    h->link == HH_LINK_DOWN ? "Pump not connected" : "Connecting to pump...");
		v->headline_tone = h->link == HH_LINK_DOWN ? HH_TONE_ALERT : HH_TONE_PLAIN;
		return;
	}
	if (h->link != HH_LINK_UP) {
		put(v->headline, sizeof v->headline, "Pump not connected: no dose possible");
		v->headline_tone = HH_TONE_ALERT;
		return;
	}
	const struct msg_state *s = &h->st;
	v->headline_tone = HH_TONE_WAIT;
	if (hh_dose_available(h, now)) {
		put(v->headline, sizeof v->headline, "Dose available");
		v->headline_tone = HH_TONE_GOOD;
		return;
	}
	switch (s->next_bolus_reason) {
	case MSG_OUT_LOCKOUT:
	case MSG_OUT_RUNNING:
	case MSG_OUT_GRANTED:
		hh_fmt_wait(hh_wait_ms(h, now), a, sizeof a);
		put(v->headline, sizeof v->headline, "Next dose in %s", a);
		return;
	case MSG_OUT_DAILY_COUNT:
	case MSG_OUT_CEILING:
		fmt_when(s->next_bolus_ms, pn, a, sizeof a);
		put(v->headline, sizeof v->headline, "Daily limit reached: next dose at %s", a);
		return;
	case MSG_OUT_DISABLED:
		put(v->headline, sizeof v->headline, "Dose button not set up");
		v->headline_tone = HH_TONE_PLAIN;
		return;
	case MSG_OUT_RESERVOIR:
		put(v->headline, sizeof v->headline, "No dose: reservoir too low");
		v->headline_tone = HH_TONE_WARN;
		return;
	case MSG_OUT_STOPPED:
		put(v->headline, sizeof v->headline, "No dose: pump stopped");
		v->headline_tone = HH_TONE_WARN;
		return;
	case MSG_OUT_CRITICAL:
		put(v->headline, sizeof v->headline, "No dose: pump alarm");
		v->headline_tone = HH_TONE_ALERT;
		return;
	default:
		put(v->headline, sizeof v->headline, "No dose now");
		return;
	}
}

static void render_alarm_line(const hh *h, uint64_t pn, struct hh_view *v)
{
	v->alarm_line[0] = '\0';
	v->alarm_tone = HH_TONE_PLAIN;
	const struct msg_alarm_info *a = h->have ? top_alarm(h) : NULL;
	if (!a)
		return;
	char more[24] = "";
	if (h->st.n_alarms > 1)
		put(more, sizeof more, " (+%u more)", (unsigned)h->st.n_alarms - 1);
	put(v->alarm_line, sizeof v->alarm_line, "ALARM: %s%s%s", hh_alarm_title(a->id),
	    more, alarm_silenced(a, pn) ? " (silenced)" : "");
	v->alarm_tone = a->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN;
}

static void capital(const char *s, char *out, size_t cap)
{
	put(out, cap, "%s", s);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static void battery_text(const struct msg_state *s, uint64_t pn, char *out, size_t cap)
{
	char d[32];
	if (s->eos_ms && pn >= s->eos_ms) {
		put(out, cap, "empty: the pump has stopped");
	} else if (s->eri_ms && pn >= s->eri_ms) {
		hh_fmt_date(s->eos_ms, d, sizeof d);
		put(out, cap, "replace by %s", d);
	} else if (s->eri_ms) {
		hh_fmt_date(s->eri_ms, d, sizeof d);
		put(out, cap, "OK (until %s)", d);
	} else {
		put(out, cap, "OK");
	}
}

static void render_home(const hh *h, uint64_t now, uint64_t pn, struct hh_view *v)
{
	char a[48], b[48], c[48];
	const struct msg_state *s = &h->st;
	if (!h->have) {
		line(v, HH_TONE_PLAIN, "Waiting for the pump to answer.");
		return;
	}
	if ((s->flags & MSG_F_BOLUS_RUNNING) && s->bolus_ends_ms > pn) {
		hh_fmt_wait(s->bolus_ends_ms - pn, a, sizeof a);
		line(v, HH_TONE_GOOD, "Dose running: ends in %s", a);
	}
	hh_fmt_volume(s->reservoir_nl, a, sizeof a);
	hh_fmt_volume(s->capacity_nl, b, sizeof b);
	line(v, HH_TONE_PLAIN, "Reservoir:    %s of %s", a, b);
	if (s->next_refill_ms) {
		hh_fmt_date(s->next_refill_ms, a, sizeof a);
		line(v, HH_TONE_PLAIN, "Next refill:  %s", a);
	} else {
		line(v, HH_TONE_PLAIN, "Next refill:  not predicted");
	}
	battery_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, "Pump battery: %s", a);
	for (int i = 0; i < h->n_hist; i++) {
		if (h->hist[i].outcome != MSG_OUT_GRANTED)
			continue;
		hh_fmt_dose(h->hist[i].dose_ng, a, sizeof a);
		fmt_when(h->hist[i].at_ms, pn, b, sizeof b);
		line(v, HH_TONE_PLAIN, "Last dose:    %s at %s", a, b);
		break;
	}
	line(v, HH_TONE_PLAIN, "Doses today:  %u of %u in 24 h",
	     (unsigned)s->boluses_24h, (unsigned)s->max_per_24h);
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &s->alarms[i];
		put(c, sizeof c, "%s", hh_alarm_title(al->id));
		line(v, al->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN,
		     "%s: %s", c, hh_alarm_action(al->id));
	}
	(void)now;
}

static void render_status(const hh *h, uint64_t pn, struct hh_view *v)
{
	char a[48], b[48], c[48];
	const struct msg_state *s = &h->st;
	if (!h->have) {
		line(v, HH_TONE_PLAIN, "No pump status yet.");
		return;
	}
	hh_fmt_dose(s->concentration_ng_ml, a, sizeof a);
	line(v, HH_TONE_PLAIN, "Medicine:       %s, %s/mL", s->drug[0] ? s->drug : "-", a);
	hh_fmt_volume(s->reservoir_nl, a, sizeof a);
	hh_fmt_volume(s->capacity_nl, b, sizeof b);
	hh_fmt_volume(s->low_threshold_nl, c, sizeof c);
	line(v, HH_TONE_PLAIN, "Reservoir:      %s of %s (alarm below %s)", a, b, c);
	if (s->next_refill_ms) {
		hh_fmt_date(s->next_refill_ms, a, sizeof a);
		line(v, HH_TONE_PLAIN, "Next refill:    %s", a);
	} else {
		line(v, HH_TONE_PLAIN, "Next refill:    not predicted");
	}
	battery_text(s, pn, a, sizeof a);
	line(v, HH_TONE_PLAIN, "Pump battery:   %s", a);
	hh_fmt_dose(s->basal_ng_day, a, sizeof a);
	line(v, HH_TONE_PLAIN, "Infusion:       %s, %s a day",
	     s->mode == MSG_MODE_STOPPED ? "stopped" :
	     s->mode == MSG_MODE_FLEXIBLE ? "flexible" : "continuous", a);
	if (s->flags & MSG_F_BOLUS_ENABLED) {
		hh_fmt_dose(s->bolus_dose_ng, a, sizeof a);
		hh_fmt_duration(s->bolus_duration_ms, b, sizeof b);
		hh_fmt_duration(s->lockout_ms, c, sizeof c);
		line(v, HH_TONE_PLAIN, "Dose button:    %s over %s, every %s at most", a, b, c);
		line(v, HH_TONE_PLAIN, "Doses in 24 h:  %u of %u allowed",
		     (unsigned)s->boluses_24h, (unsigned)s->max_per_24h);
	} else {
		line(v, HH_TONE_PLAIN, "Dose button:    not set up");
	}
	hh_fmt_clock(pn, a, sizeof a);
	hh_fmt_date(pn, b, sizeof b);
	line(v, HH_TONE_PLAIN, "Pump clock:     %s %s%s", a, b,
	     (s->flags & MSG_F_SIMULATED) ? " (simulated)" : "");
	line(v, HH_TONE_PLAIN, "Remote battery: %d%%", h->remote_batt);
}

static void render_alarms(const hh *h, uint64_t pn, struct hh_view *v)
{
	char a[HH_TEXT], t[16];
	if (!h->have || h->st.n_alarms == 0) {
		line(v, HH_TONE_GOOD, "No alarms. The pump is working normally.");
		return;
	}
	for (unsigned i = 0; i < h->st.n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &h->st.alarms[i];
		int tone = al->priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN;
		if (alarm_silenced(al, pn) && al->silenced_until_ms) {
			hh_fmt_clock(al->silenced_until_ms, t, sizeof t);
			put(a, sizeof a, " (silenced until %s)", t);
		} else if (alarm_silenced(al, pn)) {
			put(a, sizeof a, " (silenced)");
		} else {
			a[0] = '\0';
		}
		line(v, tone, "%s%s%s", al->priority == MSG_PRIO_HIGH ? "URGENT: " : "",
		     hh_alarm_title(al->id), a);
		line(v, HH_TONE_PLAIN, "  %s", hh_alarm_meaning(al->id));
		capital(hh_alarm_action(al->id), a, sizeof a);
		line(v, HH_TONE_PLAIN, "  What to do: %s.", a);
	}
	line(v, HH_TONE_PLAIN, "Press m to silence. It sounds again while not fixed.");
}

static void render_history(const hh *h, uint64_t pn, struct hh_view *v)
{
	char a[48], b[48];
	if (h->n_hist == 0) {
		line(v, HH_TONE_PLAIN, "No doses asked for yet.");
		return;
	}
	for (int i = 0; i < h->n_hist && v->n_lines < HH_LINES; i++) {
		const struct msg_history_entry *e = &h->hist[i];
		fmt_when(e->at_ms, pn, a, sizeof a);
		if (e->outcome == MSG_OUT_GRANTED) {
			hh_fmt_dose(e->dose_ng, b, sizeof b);
			line(v, HH_TONE_GOOD, "%-22s Dose given    %s", a, b);
		} else {
			line(v, HH_TONE_PLAIN, "%-22s Not given     %s", a,
			     e->outcome == MSG_OUT_LOCKOUT ? "too soon" :
			     e->outcome == MSG_OUT_DAILY_COUNT ? "daily limit" :
			     e->outcome == MSG_OUT_CEILING ? "daily medicine limit" :
			     e->outcome == MSG_OUT_RUNNING ? "dose running" :
			     msg_outcome_name(e->outcome));
		}
	}
}

void hh_render(const hh *h, uint64_t now, struct hh_view *v)
{
	memset(v, 0, sizeof *v);
	uint64_t pn = hh_pump_now(h, now);
	v->screen = h->screen;
	v->link = h->link;
	switch (h->link) {
	case HH_LINK_UP:
		put(v->link_text, sizeof v->link_text, "Connected to pump");
		break;
	default:
		/* once connected, any time without the link is a lost link */
		put(v->link_text, sizeof v->link_text, "%s",
		    h->ever_up ? "Link lost: reconnecting..."
		    : h->link == HH_LINK_DOWN ? "Pump not found: retrying..."
		                              : "Connecting to pump...");
		break;
	}
	if (h->have)
		hh_fmt_clock(pn, v->clock, sizeof v->clock);
	render_headline(h, now, pn, v);
	render_alarm_line(h, pn, v);
	render_message(h, pn, v);
	for (int i = 0; i < HH_LIGHT_COUNT; i++)
		v->lights[i] = hh_light(h, i, now);
	switch (h->screen) {
	case HH_SCR_HOME:    render_home(h, now, pn, v); break;
	case HH_SCR_STATUS:  render_status(h, pn, v); break;
	case HH_SCR_ALARMS:  render_alarms(h, pn, v); break;
	case HH_SCR_HISTORY: render_history(h, pn, v); break;
	default: break;      /* help and lessons are drawn from their tables */
	}
}
