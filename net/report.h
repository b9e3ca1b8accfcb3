/*
 * net/report.h — the clinician's interrogation report as data: the audit
 * log's lines read back as typed events, and a visit's figures aggregated
 * from STATUS and LOG.  No I/O, no curses: ptmctl's writers and ptm's
 * programmer both draw from it.
 */
#ifndef PTM_NET_REPORT_H
#define PTM_NET_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"

/* What an audit-log line says.  A typed LOG entry (PROTOCOL.md 8.15)
 * carries the pump's own kind and role: the kind below follows from it,
 * the text read only for what that kind leaves open (which request, its
 * figures).  An older pump's entry is text alone ("WHO: TEXT"; pumpd
 * writes the texts in pumpd/request.c and notify.c): its kind is guessed
 * from its words, the fallback. */
enum report_kind {
	REPORT_EV_OTHER = 0,   /* anything not below */
	REPORT_EV_BOLUS,       /* a patient's bolus request: outcome, dose */
	REPORT_EV_BOLUS_END,   /* a bolus ended: dose delivered */
	REPORT_EV_CBOLUS,      /* a clinician bolus started: dose, end */
	REPORT_EV_REFILL,      /* a refill carried out: volume, concentration */
	REPORT_EV_PROGRAM,     /* a prescription programmed */
	REPORT_EV_RUN,         /* the pump stopped (value 0) or started (1) */
	REPORT_EV_ALARM,       /* raised, sounds again, cleared: alarm */
	REPORT_EV_CLEAR,       /* a clinician cleared an alarm */
	REPORT_EV_SILENCE,     /* a silence request */
	REPORT_EV_CONFIG,      /* the implanted system's volumes set */
	REPORT_EV_PAIRING,     /* paired, unpaired */
	REPORT_EV_SESSION,     /* a session opened or closed */
	REPORT_EV_SECURITY,    /* a handshake or message refused, a limit */
	REPORT_EV_PUMP,        /* initialised, pumpd started or stopped */
	REPORT_EV_TEST,        /* a tester's clock or fault */
	REPORT_EV_REFUSED,     /* a request refused before it was carried out
	                          (its role, a malformed message, ...) */
	REPORT_EV__COUNT
};
const char *report_kind_name(int kind);   /* "bolus" ... or "?" */
int report_kind_parse(const char *s);     /* kind or -1 */

/* Who wrote a line, as far as the log tells (the pairing rows name each
 * remote's role; a remote paired before the oldest row read is "remote"). */
enum report_role {
	REPORT_ROLE_UNKNOWN = 0, REPORT_ROLE_PUMP, REPORT_ROLE_PATIENT,
	REPORT_ROLE_CLINICIAN, REPORT_ROLE_TESTER
};
const char *report_role_name(int role);   /* "pump", "patient" ... "remote" */

#define REPORT_WHO_MAX 32
struct report_event {
	uint64_t seq, at_ms;
	int      kind;                 /* enum report_kind */
	int      role;                 /* enum report_role */
	char     who[REPORT_WHO_MAX + 1];
	char     data[MSG_TEXT_MAX + 1]; /* the text after "WHO: " */
	int      typed;                /* 1: kind and role are the pump's (a
	                                  typed entry), 0: read from the text */
	int      pump_kind;            /* typed: enum msg_log_kind, else -1 */
	uint64_t wall_ms;              /* typed: the wall clock of the row, else 0 */
	/* what the kind carries (0 / -1 when it does not) */
	int      outcome;              /* BOLUS: enum msg_outcome, else -1 */
	int      alarm;                /* ALARM, CLEAR: 1..7, else 0 */
	int      value;                /* RUN: 0 stop, 1 start; ALARM: 1 raised,
	                                  2 sounds again, 3 cleared; REFILL: 1
	                                  discrepancy; else 0 */
	uint64_t dose_ng;              /* BOLUS granted, BOLUS_END, CBOLUS */
	uint64_t ends_ms;              /* BOLUS granted, CBOLUS */
	uint64_t volume_nl;            /* REFILL: the new volume */
	uint64_t conc_ng_ml;           /* REFILL */
	uint64_t expected_nl;          /* REFILL with a withdrawn volume: what
	                                  the pump held before it; else 0 */
	uint64_t withdrawn_nl;         /* the same */
	int      occl_pct;             /* TEST: an occlusion fault's row with the
	                                  pump's totals then: the % that reaches
	                                  the patient from then on; else -1 */
	uint64_t drawn_ng, reached_ng; /* that row's totals (since the pump was
	                                  initialised) */
};

/* Read one LOG entry into ev.  A typed entry gives its kind and role;
 * else the role is REPORT_ROLE_UNKNOWN but for the pump's own lines
 * (report_add fills it in from the pairing rows).  Never fails: a line it
 * cannot read is REPORT_EV_OTHER with its text kept. */
void report_event_parse(const struct msg_log_entry *e, struct report_event *ev);

/* The buckets a clinician reads bolus requests in. */
enum report_count {
	REPORT_C_GRANTED = 0, REPORT_C_LOCKOUT, REPORT_C_DAILY, REPORT_C_CEILING,
	REPORT_C_OTHER, REPORT_C__COUNT
};
const char *report_count_name(int c);    /* "granted", "lockout", "daily_count",
                                            "ceiling", "other" */
int report_count_of(int outcome);        /* the bucket of an outcome */

#define REPORT_DAYS_MAX   62        /* per-day counts kept (the newest) */
#define REPORT_HOURS      72        /* the delivery chart: the last 3 days */
#define REPORT_RES_MAX    64        /* reservoir points (the newest) */
#define REPORT_ALARMS_MAX 64        /* alarm events (the newest) */
#define REPORT_NAMES_MAX  64        /* remotes whose role the log named */
#define REPORT_DAY_MS     86400000ull
#define REPORT_HOUR_MS    3600000ull

struct report_day {
	uint64_t day_ms;                     /* midnight UTC */
	uint32_t n[REPORT_C__COUNT];
};
struct report_point {
	uint64_t at_ms, nl;
	int forecast;                        /* 1: the pump's prediction */
};

/* Where the counts start ("since the last visit"). */
enum report_since { REPORT_SINCE_LOG = 0, REPORT_SINCE_REFILL,
                    REPORT_SINCE_PROGRAM, REPORT_SINCE_GIVEN };
const char *report_since_name(int s);    /* "log start", "refill" ... "given" */

struct report {
	struct msg_state state;              /* STATUS's (report_begin) */
	uint32_t counters[MSG_OUT_COUNT];    /* STATUS's counters, all time */
	uint64_t since_ms;                   /* counts from here (inclusive) */
	int      since_kind;                 /* enum report_since */
	uint32_t n[REPORT_C__COUNT];         /* patient requests since since_ms */
	unsigned n_days;                     /* days[] oldest first */
	struct report_day days[REPORT_DAYS_MAX];
	uint64_t hours_ms;                   /* the first hour of the chart */
	uint64_t basal_ng[REPORT_HOURS];     /* drug per hour, basal */
	uint64_t bolus_ng[REPORT_HOURS];     /* patient and clinician boluses */
	uint64_t basal_from_ms;              /* basal known from here (the last
	                                        program or the log's start):
	                                        earlier hours are 0 */
	unsigned n_res;                      /* reservoir points, by time */
	struct report_point res[REPORT_RES_MAX];
	unsigned n_alarm_ev;                 /* alarm raised/again/cleared */
	struct report_event alarm_ev[REPORT_ALARMS_MAX];
	int      has_refill;                 /* the last refill read */
	struct report_event last_refill;
	uint64_t rows;                       /* log lines read */
	uint64_t typed_rows;                 /* of them, typed by the pump (8.15);
	                                        the others' kinds were guessed */
	/* drug delivered (the pump's belief) and what reached the patient (the
	 * emulator's truth), from STATUS's delivery block (PROTOCOL.md 8.14);
	 * has_dlv 0: the pump did not send it (an older pump) */
	int      has_dlv;
	struct msg_delivery dlv;             /* totals since the pump's start */
	uint64_t dlv_from_ms;                /* counted from the start of the last
	                                        occlusion the log shows (its row's
	                                        totals); 0: from the pump's start */
	uint64_t delivered_ng, reached_ng;   /* since then */
	uint64_t missed_ng;                  /* delivered_ng - reached_ng */
	uint32_t missed_pm;                  /* missed_ng per mille of delivered_ng,
	                                        rounded to the nearest */
	/* private: the aggregation's working state */
	unsigned n_names;
	struct { char who[REPORT_WHO_MAX + 1]; int role; } names[REPORT_NAMES_MAX];
	uint64_t given_since;                /* report_begin's since (0: none) */
	uint64_t last_prog_ms, last_refill_ms, first_ms;
	int      running;                    /* stopped by RUN stop */
	uint64_t stop_ms[REPORT_HOURS + 1], start_ms[REPORT_HOURS + 1];
	unsigned n_stops;
	int      occl_open, occl_have;       /* an occlusion row read, not ended */
	int      run_have;                   /* the last bolus started (patient or */
	uint64_t run_at, run_ends, run_dose; /* clinician), as charted */
	uint64_t occl_ms, occl_drawn, occl_reached;
};

/* Start a report on STATUS's reply (its state and counters).  since_ms:
 * count from there (0: from the last visit the log shows, the last refill,
 * else the last program, else the log's start).  r is large: static or
 * heap. */
void report_begin(struct report *r, const struct msg_reply *status,
                  uint64_t since_ms);
/* Add one log entry (in the log's order, oldest first); *ev (may be NULL)
 * gets it as a typed event with its role. */
void report_add(struct report *r, const struct msg_log_entry *e,
                struct report_event *ev);
/* After the last entry: counts per day, the delivery per hour and the
 * reservoir's points with the forecast. */
void report_end(struct report *r);

/* Event filter for `ptmctl log`: kinds as a bit set (0 = all), times
 * inclusive (0 = open). */
struct report_filter {
	uint32_t kinds;
	uint64_t since_ms, until_ms;
};
int report_filter_match(const struct report_filter *f,
                        const struct report_event *ev);

#endif
