/*
 * tui/hh.h — the handheld's own state: what the patient's remote shows.
 *
 * A pure model: no curses, no libuv, no clock reads.  Every function that
 * depends on time takes `now`, the remote's monotonic clock in ms (the
 * caller passes uv_now()).  The pump's clock is known from the last state
 * block: its now_ms plus the local time elapsed since it arrived, times the
 * block's clock_speed (a simulated pump may run N x real time, or be
 * frozen: then its countdowns stand still and nothing is timed here).
 *
 * The model never shows a dose as given unless the pump said so: the
 * "dose started" light and message come only from a GRANTED reply or a
 * pump state/notification saying a bolus runs.  A request that could not
 * complete shows "incomplete communication".
 *
 * hh_render() turns the model into text (struct hh_view); tui/view.c only
 * lays that text out, so everything a patient reads is tested here.
 *
 * Files: hh.c the state machine, hh_render.c the text of each screen,
 * hh_fmt.c numbers and times, hh_alarm.c alarm words and the bell,
 * hh_batt.c the remote's own battery.
 *
 * Memory: struct hh is opaque, owned by the caller (hh_new .. hh_free).
 * hh_view is plain data the caller owns.
 */
#ifndef PTM_TUI_HH_H
#define PTM_TUI_HH_H

#include <stddef.h>
#include <stdint.h>
#include "tui/hh_batt.h"   /* HH_BATT_*: the remote battery's limits */

#include "net/msg.h"
#include "tui/hh_alarm.h"   /* alarm texts, the bell pattern */
#include "tui/hh_fmt.h"     /* numbers and times in plain words */

typedef struct hh hh;

enum hh_screen {
	HH_SCR_HOME = 0,
	HH_SCR_STATUS,   /* reservoir, refill, battery, pump details */
	HH_SCR_ALARMS,   /* each active alarm: meaning and what to do */
	HH_SCR_HISTORY,  /* last doses */
	HH_SCR_HELP,     /* every key */
	HH_SCR_LESSONS,  /* training: the lesson list */
	HH_SCR_COUNT
};

enum hh_link {
	HH_LINK_CONNECTING = 1,
	HH_LINK_UP         = 2,
	HH_LINK_DOWN       = 3,
};

/* why the link is not up: what the remote tells a patient (or a tester
 * setting it up) instead of "Connecting..." forever */
enum hh_why {
	HH_WHY_NONE = 0,
	HH_WHY_NO_PUMP,      /* nothing answers at the address */
	HH_WHY_REFUSED,      /* the pump refused the handshake: this key is not
	                      * paired, the pump key is another pump's, or the
	                      * clocks differ */
	HH_WHY_NO_ANSWER,    /* connected, but no handshake answer in time */
	HH_WHY_LOST,         /* the session broke (the pump went away) */
};

/* indicator lights, in the order the device shows them */
enum hh_light {
	HH_LIGHT_DOSE = 0,    /* dose started (a bolus runs / was just granted) */
	HH_LIGHT_LOCKOUT,     /* interval lockout (too soon / a limit)          */
	HH_LIGHT_INCOMPLETE,  /* incomplete communication                        */
	HH_LIGHT_BATTERY,     /* the remote's own battery is low                 */
	HH_LIGHT_ALARM,       /* a pump alarm is active                          */
	HH_LIGHT_COUNT
};

/* what a line of text means, for colour and attributes */
enum hh_tone {
	HH_TONE_PLAIN = 0,
	HH_TONE_GOOD,        /* dose available / started */
	HH_TONE_WAIT,        /* too soon, a limit */
	HH_TONE_WARN,        /* medium/low alarm, incomplete communication */
	HH_TONE_ALERT,       /* critical alarm, no link */
};

/* what the last request attempt left on the screen */
enum hh_msg {
	HH_MSG_NONE = 0,
	HH_MSG_SENDING,      /* a bolus request is on its way */
	HH_MSG_OUTCOME,      /* the pump answered a bolus request */
	HH_MSG_INCOMPLETE,   /* the request could not complete */
	HH_MSG_REFUSED,      /* the pump answered with an error */
	HH_MSG_NO_LINK,      /* pressed while there is no link */
	HH_MSG_SILENCED,     /* alarms silenced */
	HH_MSG_SILENCE_FAIL, /* silencing did not complete */
	HH_MSG_NOTHING_TO_SILENCE,
	HH_MSG_TEXT,         /* free text (training, tester actions) */
};

#define HH_TEXT     80   /* bytes of one line, NUL included */
#define HH_WIDTH    74   /* columns of text on the device's screen */
#define HH_LINES    80   /* body lines a screen may make (a long history) */
#define HH_BODY_ROWS 11  /* body rows of an 80x24 device, until told (hh_set_body_rows) */

/* how much a body line matters when the screen is too short for them all:
 * the highest rank goes first (hh_view_fit) */
enum hh_rank {
	HH_RANK_KEY  = 0,    /* never dropped: alarms, what to do, a running dose */
	HH_RANK_HIGH = 1,
	HH_RANK_MID  = 2,
	HH_RANK_LOW  = 3,
};
#define HH_HISTORY  MSG_HISTORY_MAX

#define HH_BATTERY_LOW_PCT 20
#define HH_MIN_STEP_MS 100u  /* fastest redraw for a clock faster than real time */

struct hh_view {
	int screen;                   /* enum hh_screen */
	int link;                     /* enum hh_link */
	char link_text[HH_TEXT];      /* "Connected", "Link lost: reconnecting" */
	/* the most important thing, on top: can I take a dose? is anything wrong? */
	char headline[HH_TEXT];       /* "Dose available", "Next dose in 23 min" */
	int headline_tone;
	char alarm_line[HH_TEXT];     /* "ALARM: Low reservoir" or "" */
	int alarm_tone;
	char message[HH_TEXT];        /* the last request's result, or "" */
	int message_tone;
	char clock[16];               /* pump time "14:05", or "" when unknown */
	char day[24];                 /* its day "Tue 14 May", or "" when unknown */
	int lights[HH_LIGHT_COUNT];   /* 0 off, 1 on */
	char lines[HH_LINES][HH_TEXT];/* body of the current screen, each <= HH_WIDTH */
	int n_lines;
	int tones[HH_LINES];
	int ranks[HH_LINES];          /* enum hh_rank */
	int conts[HH_LINES];          /* 1: continues the line above (a wrapped text) */
	/* the alarm and history screens scroll instead of dropping lines:
	 * hh_view_fit shows lines from `scroll` and a last row saying where */
	int scrollable;
	int scroll;                   /* first line shown (clamped to body rows known) */
};

/* hh_view_fit's index for the scroll row of a scrollable screen: its text
 * comes from hh_view_scroll_text */
#define HH_VIEW_SCROLL_ROW (-1)

/* Create with nothing known (link CONNECTING).  NULL on no memory. */
hh *hh_new(void);
void hh_free(hh *h);

/* ---- inputs from the link ---- */

void hh_link(hh *h, int link, uint64_t now);              /* enum hh_link */
/* The address the remote tries, printable (the caller escapes it): the
 * screen names it while there is no link. */
void hh_set_address(hh *h, const char *addr);
/* Why the last attempt failed (enum hh_why), with a short detail such as
 * "no such file" or "" (printable); kept until the link is up. */
void hh_link_why(hh *h, int why, const char *detail);
/* a state block from any reply or notification */
void hh_state(hh *h, const struct msg_state *st, uint64_t now);
/* a notification: its state, and the event it names (a clock move, a
 * new prescription and a refill are said on the message line) */
void hh_notify(hh *h, const struct msg_notify *n, uint64_t now);

/* The patient pressed the bolus button.  Returns 1 when the caller must
 * send a MSG_BOLUS request now (then report with hh_bolus_reply), 0 when
 * not (no link, or a request already pending: the screen says why). */
int hh_bolus_press(hh *h, uint64_t now);
/* status 0 with reply, or a negative local error (CLIENT_E_*) and NULL */
void hh_bolus_reply(hh *h, int status, const struct msg_reply *reply,
                    uint64_t now);

/* Silence: returns 1 when the caller must send MSG_SILENCE (alarm 0); the
 * bell is muted at once for the alarms active now. */
int hh_silence_press(hh *h, uint64_t now);
void hh_silence_reply(hh *h, int status, const struct msg_reply *reply,
                      uint64_t now);

/* a HISTORY reply (status < 0: keep what we had) */
void hh_history_reply(hh *h, int status, const struct msg_reply *reply,
                      uint64_t now);

/* The pump's clock moved by d ms (a tester's skip): said on the message
 * line, "The pump's clock moved forward by 1 day 2 h". */
void hh_clock_moved(hh *h, int64_t d, uint64_t now);
/* free text for the message line (training, tester actions); tone hh_tone */
void hh_message(hh *h, const char *text, int tone, uint64_t now);

void hh_set_screen(hh *h, int screen);
int hh_screen(const hh *h);
/* ---- the remote's own battery ----
 * It drains with time: life_ms from full to empty (pump time on a
 * simulated pump, so a fast clock or a skip drains it as the days would),
 * and with use: each request sent takes 1/requests of a full battery
 * (0: the defaults, HH_BATT_LIFE_MS, HH_BATT_REQUESTS).  Below
 * HH_BATTERY_LOW_PCT its light is on and the home screen says so; empty,
 * the remote stops (no request, no bell, a screen saying so) until
 * hh_replace_batteries. */
void hh_battery_config(hh *h, uint64_t life_ms, uint32_t requests);
void hh_set_remote_battery(hh *h, int pct, uint64_t now);   /* 0..100 */
/* the level now: 0..100, 1 until it is empty; and exactly */
int hh_remote_battery(const hh *h, uint64_t now);
uint32_t hh_remote_battery_ppm(const hh *h, uint64_t now);
int hh_remote_dead(const hh *h, uint64_t now);
/* a request was sent */
void hh_remote_use(hh *h, uint64_t now);
/* new batteries: full again (said on the message line) */
void hh_replace_batteries(hh *h, uint64_t now);
/* how many body rows the device shows (the view says, after a draw):
 * scrolling steps by it; returns 1 when it changed */
int hh_set_body_rows(hh *h, int rows);
/* Scroll the alarm or history screen by delta lines (HH_SCROLL_PAGE:
 * a page down, -HH_SCROLL_PAGE up) from v, its view now (hh_render).
 * Returns 1 when what shows moved, 0 at an end, -1 when the screen does
 * not scroll. */
#define HH_SCROLL_PAGE 10000
int hh_scroll(hh *h, int delta, const struct hh_view *v);

/* ---- queries ---- */

int hh_link_state(const hh *h);
int hh_have_state(const hh *h);
/* the last state block (valid when hh_have_state) */
const struct msg_state *hh_last_state(const hh *h);
/* the pump's clock now, estimated; 0 when unknown */
uint64_t hh_pump_now(const hh *h, uint64_t now);
/* how fast the pump's clock runs: 1 real time, 0 frozen, N = N x; a pump
 * that is not simulated runs at 1 whatever it says; 0 when unknown */
uint32_t hh_clock_speed(const hh *h);
/* 1 when the pump's last word is that a bolus may be granted now */
int hh_dose_available(const hh *h, uint64_t now);
/* ms until the next allowed dose (0: now or unknown) */
uint64_t hh_wait_ms(const hh *h, uint64_t now);
/* the last bolus outcome, and a counter that rises with each one
 * (-1 / 0 before the first) */
int hh_last_outcome(const hh *h);
unsigned hh_outcome_seq(const hh *h);
/* the last message kind (enum hh_msg) */
int hh_message_kind(const hh *h);
/* bit (1 << alarm) for each active alarm, and each audible one */
unsigned hh_alarm_mask(const hh *h);
unsigned hh_audible_mask(const hh *h, uint64_t now);
int hh_light(const hh *h, int light, uint64_t now);

/* The bell: how many bells to ring now (0, 1 or 2: critical is a two-tone
 * pattern repeated every HH_BELL_REPEAT_MS while audible; a non-critical
 * alarm rings once when it is raised or sounds again after a silence). */
int hh_bell(hh *h, uint64_t now);

/* When something visible or audible changes next without any input (the
 * countdown's next step, a bolus ending, a silence running out, the pump
 * clock's next minute, the bell's next repeat): a local time > now, or
 * UINT64_MAX for never.  Pump-time steps are scaled by the clock's speed
 * (never, when frozen; no sooner than HH_MIN_STEP_MS when faster than
 * real time); the bell repeats in real time. */
uint64_t hh_next_change(const hh *h, uint64_t now);

/* Fill *v with everything the screen shows now.  Every text fits
 * HH_WIDTH columns (longer body texts are wrapped onto more lines). */
void hh_render(const hh *h, uint64_t now, struct hh_view *v);

/* The body lines to draw when the screen has only `rows` rows: their
 * indexes into v->lines, in screen order, in idx; returns how many.  Whole
 * entries (a line and its continuations) of the highest rank go first,
 * the lowest on the screen first among equals; HH_RANK_KEY lines go only
 * if nothing else is left (then the end is cut). */
int hh_view_fit(const struct hh_view *v, int rows, int idx[HH_LINES]);
/* The scroll row's text for a scrollable screen shown in rows rows
 * ("Lines 1-10 of 22: Down for more"); "" when everything fits. */
void hh_view_scroll_text(const struct hh_view *v, int rows, char *out, size_t cap);

#endif
