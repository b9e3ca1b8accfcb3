/*
 * pump/pump.h — the pump model: prescription, delivery over time, the
 * patient bolus decision, alarms, battery, refill, fast simulation and a
 * serialisable state.
 *
 * Pure C: no I/O, no clock reads, no allocation.  Time is always an argument
 * (epoch ms, pump time).  Units are integers: volume in nL, drug in ng, time
 * in ms, rates in ng per day.
 *
 * Ownership: a `pump` is plain data of fixed size with no pointers; the caller
 * owns it (it may be copied with memcpy or `=`).  Functions never keep a
 * pointer to their arguments.  Errors are negative PUMP_E_* numbers.
 *
 * Time: the model keeps its own monotone clock.  A now_ms earlier than the
 * last one seen is treated as "no time has passed": a clock that goes
 * backwards never shortens a lockout or a 24 h window.
 *
 * Events: every call that changes the pump takes an event callback (cb, ud;
 * cb may be NULL) and reports every event it causes, in time order: those
 * found running delivery up to now_ms, then the action's own (a bolus
 * started, alarms raised or cleared, a bolus cut short, ...).  A call that
 * fails reports nothing and changes nothing.
 */
#ifndef PTM_PUMPD_PUMP_H
#define PTM_PUMPD_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors -------------------------------------------------------------- */

enum {
	PUMP_OK           = 0,
	PUMP_E_INVAL      = -1, /* bad argument (NULL, unknown id or kind) */
	PUMP_E_RANGE      = -2, /* a field out of range (field named by validate) */
	PUMP_E_CAUSE      = -3, /* alarm cannot be cleared: its cause is still there */
	PUMP_E_NOT_ACTIVE = -4, /* alarm is not active */
	PUMP_E_CEILING    = -5, /* program refused: its 24 h ceiling is below drug
	                           already delivered or committed in the window */
	PUMP_E_CORRUPT    = -6, /* serialized state malformed or checksum wrong */
	PUMP_E_VERSION    = -7, /* serialized state of an unknown version */
	PUMP_E_SPACE      = -8, /* output buffer too small */
	PUMP_E_STATE      = -9  /* not possible in the pump's state (e.g. EOS) */
};
/* A short English sentence for an error number (static storage). */
const char *pump_strerror(int err);

/* ---- units and limits ---------------------------------------------------- */

#define PUMP_MS_PER_DAY      86400000LL
#define PUMP_DRUG_MAX        32          /* drug name, including the NUL */
#define PUMP_STEPS_MAX       13          /* flexible schedule steps per day */
#define PUMP_CAPACITY_20ML   20000000u   /* nL */
#define PUMP_CAPACITY_40ML   40000000u   /* nL */
#define PUMP_ERI_BEFORE_EOS_MS (90LL * PUMP_MS_PER_DAY)
#define PUMP_HISTORY_MAX     128         /* bolus records kept (>= 28 h worth) */
#define PUMP_TIME_MAX        (1LL << 53) /* pump times are 0..PUMP_TIME_MAX ms;
                                            later arguments count as this */

/* Ranges checked by pump_rx_validate (inclusive). */
#define PUMP_CONC_MIN        1000u        /* ng/mL = 1 ug/mL */
#define PUMP_CONC_MAX        100000000u   /* ng/mL = 100 mg/mL */
#define PUMP_RATE_MAX        1000000000u  /* ng/day = 1 g/day */
#define PUMP_FLOW_MAX_NL_DAY 24000000u    /* pump mechanism: 24 mL/day basal */
#define PUMP_DOSE_MAX        100000000u   /* ng = 100 mg */
#define PUMP_BOLUS_DUR_MIN   60000u       /* 1 min */
#define PUMP_BOLUS_DUR_MAX   14400000u    /* 4 h */
#define PUMP_LOCKOUT_MAX     86400000u    /* 24 h */
#define PUMP_MAX24_MAX       48u
#define PUMP_SILENCE_MIN     60000u       /* 1 min */
#define PUMP_SILENCE_MAX     86400000u    /* 24 h */
#define PUMP_BATTERY_DAYS_MIN 91u
#define PUMP_BATTERY_DAYS_MAX 3650u

/* ---- prescription (plain data) ------------------------------------------- */

enum pump_mode {
	PUMP_MODE_STOPPED    = 0,
	PUMP_MODE_CONTINUOUS = 1, /* one daily rate: rate_ng_day */
	PUMP_MODE_FLEXIBLE   = 2  /* steps[0..n_steps) by time of day */
};

typedef struct pump_step {
	uint32_t start_ms;    /* ms of the pump's day (now_ms mod 24 h), < 24 h */
	uint32_t rate_ng_day; /* basal rate from start_ms to the next step */
} pump_step;

/* The pump's time zone (pump_zone.c): a POSIX TZ rule as data, from the
 * tz database's footer (pumpd/tzfile.c), e.g. Europe/Paris
 * "CET-1CEST,M3.5.0,M10.5.0/3".  Offsets are ms east of UTC (local = UTC +
 * offset).  All zero (name "") = none: the schedule runs in UTC. */
#define PUMP_ZONE_NAME_MAX 48                   /* IANA name with its NUL */
#define PUMP_ZONE_OFF_MAX  (24LL * 3600000LL)   /* |offset| below this */
#define PUMP_ZONE_TIME_MAX (167LL * 3600000LL)  /* |rule time| at most */
#define PUMP_ZONE_SHIFT_MAX (2LL * 3600000LL)   /* |dst - std| at most */

typedef struct pump_zone_rule { /* POSIX "Mm.w.d/time" */
	uint32_t month;  /* 1..12 */
	uint32_t week;   /* 1..5: the w-th weekday d of the month, 5 = the last */
	uint32_t wday;   /* 0 = Sunday .. 6 */
	int32_t  time_ms; /* local time of the change, in the offset in force
	                    before it; may pass the day (-167 h .. 167 h) */
} pump_zone_rule;

typedef struct pump_zone {
	char     name[PUMP_ZONE_NAME_MAX]; /* "" = none (UTC); else an IANA
	                                      name: A-Z a-z 0-9 / _ + - */
	int32_t  std_ms;    /* standard offset */
	bool     dst;       /* daylight saving: dst_ms from start to end */
	int32_t  dst_ms;    /* != std_ms; |dst - std| <= 2 h (may be below
	                       std: Europe/Dublin) */
	pump_zone_rule start, end; /* months at least 2 apart (cyclically) */
} pump_zone;

typedef struct pump_rx {
	char     drug[PUMP_DRUG_MAX];    /* NUL-terminated printable ASCII, 1..31 */
	uint32_t concentration_ng_ml;    /* drug in the reservoir */
	uint32_t capacity_nl;            /* PUMP_CAPACITY_20ML or _40ML */
	int32_t  mode;                   /* enum pump_mode */
	uint32_t rate_ng_day;            /* CONTINUOUS: daily rate */
	uint32_t n_steps;                 /* FLEXIBLE: 1..13, steps[0].start_ms = 0,
	                                    strictly increasing; unused steps 0 */
	pump_step steps[PUMP_STEPS_MAX];
	/* patient bolus (fields checked only when enabled) */
	bool     bolus_enabled;
	uint32_t bolus_dose_ng;          /* 1..PUMP_DOSE_MAX */
	uint32_t bolus_duration_ms;      /* PUMP_BOLUS_DUR_MIN..MAX */
	uint32_t lockout_ms;       /* start to start; duration..24 h */
	uint32_t max_per_24h;          /* 1..48 bolus starts in any rolling 24 h */
	uint32_t ceiling_ng_24h;         /* 0 = none; else basal + bolus drug in any
	                                    rolling 24 h; >= the schedule's daily
	                                    drug + one dose */
	uint32_t low_threshold_nl;       /* low-reservoir alarm at or below; 1 ..
	                                    capacity/2 */
	uint32_t silence_ms;             /* how long a silenced alarm stays quiet */
	uint32_t battery_life_days;      /* used by pump_init and a new battery
	                                    only; 91..3650 (typically 5-7 years) */
	pump_zone zone;                  /* FLEXIBLE: steps' start_ms are local
	                                    wall-clock ms after local midnight in
	                                    this zone (docs/PROTOCOL.md 8.13);
	                                    none: UTC */
} pump_rx;

/* A demo prescription: morphine 10 mg/mL, 20 mL, continuous 3 mg/day, bolus
 * 0.5 mg over 10 min, lockout 2 h, 6 per 24 h, ceiling 7 mg/24 h, low
 * reservoir at 2 mL, silence 1 h, battery 6 years. */
void pump_rx_default(pump_rx *rx);

/* 0 when valid; else PUMP_E_RANGE (or PUMP_E_INVAL for NULL) and, when
 * field_out is not NULL, *field_out names the offending field (a static
 * string such as "lockout_ms"). */
int pump_rx_validate(const pump_rx *rx, const char **field_out);

/* Highest basal rate of the prescription in ng/day (0 when stopped). */
uint32_t pump_rx_max_rate(const pump_rx *rx);
/* Drug per day of the schedule in ng, rounded up (0 when stopped). */
uint32_t pump_rx_daily_ng(const pump_rx *rx);

/* The most basal drug the schedule can deliver in any 24 h of real time, in
 * ng, rounded up: the daily drug; with daylight saving the most of any 24 h
 * across either night (a window holding the fall-back's held hour, or the
 * spring's skipped one), found exactly at the breakpoints (pump_rx.c). */
uint32_t pump_rx_day_bound_ng(const pump_rx *rx);

/* The first ms after t at which the schedule's rate changes (local steps
 * and daylight-saving changes included), INT64_MAX when it never does (or
 * t is PUMP_TIME_MAX or later). */
int64_t pump_next_rate_change(const pump_rx *rx, int64_t t);

/* ---- local time (pump_zone.c) ------------------------------------------- */

/* 0 when z is none or a valid rule; else PUMP_E_RANGE. */
int pump_zone_validate(const pump_zone *z);
/* Same rule and name. */
bool pump_zone_same(const pump_zone *a, const pump_zone *b);
/* The offset in force at UTC ms t (ms east of UTC). */
int32_t pump_zone_offset(const pump_zone *z, int64_t t);
/* The schedule's clock at UTC t: local wall-clock ms (t + offset), except
 * in the hour lived twice after a fall back, where it holds the value it had
 * just before the change (no step starts again; the rate stays).  *until:
 * the first UTC ms after t where this stops being t + a constant (a change
 * of offset, the end of a held hour), INT64_MAX when never; *held: it holds
 * still on [t, until). */
int64_t pump_zone_sched(const pump_zone *z, int64_t t, int64_t *until,
                        bool *held);
/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). */
int64_t pump_zone_days(int64_t y, uint32_t m, uint32_t d);

/* ---- alarms -------------------------------------------------------------- */

/* Priorities, IEC 60601-1-8 style (its table 1: the harm an unanswered alarm
 * can lead to, and how soon):
 *   high    the critical alarms: drug is not flowing now (withdrawal of an
 *           intrathecal drug such as baclofen can be life-threatening within
 *           hours to days); the pump's two-tone alarm.
 *   medium  low reservoir and ERI: drug still flows, but left unanswered both
 *           end in the same stop (an empty reservoir; end of service), with
 *           a delayed onset (days to 90 days): "death or irreversible injury,
 *           delayed" is medium.  Chosen over low so that neither is mistaken
 *           for a notice; they keep the pump's single non-critical tone.
 *   low     the non-critical memory error: delivery is unaffected; the clinic
 *           should check the pump at the next visit.
 * Every alarm can be silenced for rx.silence_ms and sounds again after it
 * while still active; it clears only when its cause is gone (see pump_clear).
 * A snapshot lists active alarms highest priority first, then oldest first. */
/* The numbers are the protocol's (docs/PROTOCOL.md 8.3; pumpd/wire.c checks
 * that they agree). */
enum pump_alarm {
	PUMP_ALARM_NONE            = 0, /* no alarm; pump_silence: every alarm */
	PUMP_ALARM_LOW_RESERVOIR   = 1, /* medium; cleared by refill (or a lower
	                                   threshold) */
	PUMP_ALARM_ERI             = 2, /* medium; battery: cleared by a new
	                                   battery */
	PUMP_ALARM_EOS             = 3, /* high, critical, the pump stops; cleared
	                                   by a new battery (a new pump) */
	PUMP_ALARM_EMPTY           = 4, /* high, critical; cleared by refill */
	PUMP_ALARM_MOTOR_STALL     = 5, /* high, critical; clinician clears */
	PUMP_ALARM_MEMORY          = 6, /* low; non-critical; clinician clears */
	PUMP_ALARM_MEMORY_CRITICAL = 7, /* high, critical; clinician clears */
	PUMP_ALARM__COUNT
};
#define PUMP_ALARM_FIRST PUMP_ALARM_LOW_RESERVOIR /* alarms are FIRST..COUNT-1 */
#define PUMP_ALARM_ALL   PUMP_ALARM_NONE          /* for pump_silence */

enum pump_priority { PUMP_PRIO_LOW = 1, PUMP_PRIO_MEDIUM = 2, PUMP_PRIO_HIGH = 3 };

const char *pump_alarm_name(int alarm);     /* "low_reservoir", ... or "?" */
int pump_alarm_from_name(const char *name); /* id or PUMP_E_INVAL */
int pump_alarm_priority(int alarm);         /* PUMP_PRIO_* or PUMP_E_INVAL */
bool pump_alarm_is_critical(int alarm);     /* drug not flowing */

/* ---- bolus outcomes ------------------------------------------------------ */

/* The numbers are the protocol's (docs/PROTOCOL.md 8.2). */
enum pump_outcome {
	PUMP_BOLUS_GRANTED = 0,   /* dose_ng, ends_at_ms */
	PUMP_BOLUS_LOCKOUT,       /* wait_ms, next_at_ms = last start + lockout */
	PUMP_BOLUS_DAILY_COUNT,   /* next_at_ms = oldest start in window + 24 h */
	PUMP_BOLUS_CEILING,       /* next_at_ms = when the dose fits (0 unknown) */
	PUMP_BOLUS_RUNNING,       /* a bolus is running: next_at_ms = its end */
	PUMP_BOLUS_DISABLED,      /* patient bolus not enabled */
	PUMP_BOLUS_RESERVOIR_LOW, /* reservoir holds less drug than one dose */
	PUMP_BOLUS_STOPPED,       /* pump stopped (clinician or mode stopped) */
	PUMP_BOLUS_CRITICAL,      /* a critical alarm: alarm says which */
	PUMP_BOLUS__COUNT
};
const char *pump_outcome_name(int outcome); /* "granted", "lockout", ... */

typedef struct pump_bolus_result {
	int32_t  outcome;     /* enum pump_outcome */
	int32_t  alarm;       /* CRITICAL: the alarm; else PUMP_ALARM_NONE */
	uint32_t dose_ng;     /* the prescribed dose (granted or not) */
	int64_t  at_ms;       /* pump time of the decision */
	int64_t  ends_at_ms;  /* GRANTED: when the bolus ends; else 0 */
	int64_t  next_at_ms;  /* earliest time a bolus may be allowed, 0 = n/a */
	int64_t  wait_ms;     /* next_at_ms - at_ms, or 0 */
} pump_bolus_result;

/* ---- events (what every action reports) --------------------------------- */

/* Numbers 0..11 are the protocol's notification events (docs/PROTOCOL.md
 * 8.5; 9, a clock move, is the daemon's); 12 and up are the model's own. */
enum pump_event_kind {
	PUMP_EV_STEP_CHANGE    = 0,  /* flexible schedule: value = new rate ng/day
	                                (the protocol's "state") */
	PUMP_EV_BOLUS_STARTED  = 1,  /* a bolus started: value = dose ng; bolus
	                                says whose (enum pump_bolus_kind) */
	PUMP_EV_BOLUS_END      = 2,  /* it ran its duration: value = ng delivered */
	PUMP_EV_ALARM_RAISED   = 3,  /* an alarm comes on (its cause, a fault) */
	PUMP_EV_ALARM_CLEARED  = 4,  /* its cause is gone */
	PUMP_EV_ALARM_RESOUND  = 5,  /* a silenced alarm sounds again */
	PUMP_EV_ALARM_SILENCED = 6,  /* value = until when (each alarm silenced) */
	PUMP_EV_PROGRAMMED     = 7,  /* a new prescription */
	PUMP_EV_REFILLED       = 8,  /* value = nL now in the reservoir */
	PUMP_EV_STARTED        = 10, /* the clinician started the pump */
	PUMP_EV_STOPPED        = 11, /* the clinician stopped it */
	PUMP_EV_BOLUS_ABORTED  = 12, /* cut short (stop, alarm): value = ng; the
	                                protocol tells it as bolus_ended */
	PUMP_EV_FAULT          = 13, /* a tester's fault: value = enum
	                                pump_fault_kind */
	PUMP_EV_CONFIGURED     = 14, /* tubing and catheter set (pump_configure) */
	PUMP_EV__COUNT
};
const char *pump_event_name(int kind);

typedef struct pump_event {
	int32_t kind;    /* enum pump_event_kind */
	int32_t alarm;   /* for ALARM_*: enum pump_alarm; else PUMP_ALARM_NONE */
	int32_t bolus;   /* for BOLUS_*: enum pump_bolus_kind; else 0 */
	int64_t at_ms;   /* the exact ms it happened */
	int64_t value;   /* see the kind */
} pump_event;

/* Called once per event, in time order; ev valid only during the call.  The
 * callback must not call back into the same pump. */
typedef void (*pump_event_fn)(void *ud, const pump_event *ev);

/* ---- the implanted system and clinician boluses -------------------------- */

/* Whose bolus a history record or a bolus event is.  The numbers are the
 * protocol's (docs/PROTOCOL.md 8.1, CBOLUS). */
enum pump_bolus_kind {
	PUMP_KIND_PATIENT = 0, /* the patient's (pump_bolus) */
	PUMP_KIND_SINGLE  = 1, /* clinician: a dose over a duration */
	PUMP_KIND_PRIME   = 2, /* clinician: fills the catheter */
	PUMP_KIND_BRIDGE  = 3, /* clinician: the old drug in tubing and catheter
	                          at the old dose rate, after a concentration
	                          change; basal pauses while it runs */
	PUMP_KIND__COUNT
};
const char *pump_bolus_kind_name(int kind); /* "patient", "single", ... */

/* The pump's configuration: the drug path's dead volumes.  0 = not set (a
 * priming or bridge bolus then is refused).  Ranges (inclusive): */
#define PUMP_TUBING_NL_MAX      1000000u  /* pump tubing: 0..1 mL */
#define PUMP_CATHETER_MM_MAX    2000u     /* catheter length: 0..2 m */
#define PUMP_CATHETER_NL_MM_MAX 1000u     /* 0..10 uL/cm (1000 nL/mm) */
typedef struct pump_config {
	uint32_t tubing_nl;          /* reservoir outlet to the catheter port */
	uint32_t catheter_mm;        /* implanted catheter length */
	uint32_t catheter_nl_per_mm; /* its inner volume per mm */
} pump_config;

/* 0 when every field is in range; else PUMP_E_RANGE and *field_out names
 * it ("tubing_nl", "catheter_mm", "catheter_nl_per_mm"). */
int pump_config_validate(const pump_config *c, const char **field_out);
/* Catheter volume: catheter_mm * catheter_nl_per_mm (at most 2 mL). */
uint32_t pump_catheter_nl(const pump_config *c);

/* Clinician boluses: ranges (inclusive) */
#define PUMP_CBOLUS_DUR_MIN   60000u     /* 1 min */
#define PUMP_CBOLUS_DUR_MAX   604800000u /* 7 days (a bridge at a low old
                                            rate takes days) */
#define PUMP_PRIME_RATE_MIN   1000u      /* nL/h = 1 uL/h */
#define PUMP_PRIME_RATE_MAX   10000000u  /* nL/h = 10 mL/h */
#define PUMP_CBOLUS_24H_MAX   64u        /* clinician boluses reaching into
                                            any 24 h (the history holds them
                                            beside 48 patient boluses) */

typedef struct pump_cbolus_req {
	int32_t  kind;         /* PUMP_KIND_SINGLE, _PRIME or _BRIDGE */
	uint32_t dose_ng;      /* SINGLE: 1..PUMP_DOSE_MAX */
	uint32_t duration_ms;  /* SINGLE: PUMP_CBOLUS_DUR_MIN..MAX */
	uint32_t rate_nl_h;    /* PRIME: PUMP_PRIME_RATE_MIN..MAX */
} pump_cbolus_req;

/* What a clinician bolus delivers (pump_cbolus_plan, pump_cbolus). */
typedef struct pump_cbolus_info {
	int32_t  kind;
	uint32_t volume_nl;    /* PRIME: the catheter; BRIDGE: tubing +
	                          catheter; SINGLE: dose at the concentration */
	uint32_t dose_ng;      /* drug to the patient (and in the ceiling) */
	uint32_t duration_ms;
	int64_t  start_ms, ends_at_ms;
} pump_cbolus_info;

/* ---- the pump state (plain data; treat fields as private) ---------------- */

typedef struct pump_bolus_rec {
	int64_t  start_ms;
	int64_t  end_ms;     /* planned end, or when it was cut short */
	uint32_t dose_ng;    /* planned dose; after an abort, what was delivered */
	uint32_t done_ng;    /* delivered so far */
	int32_t  kind;       /* enum pump_bolus_kind */
} pump_bolus_rec;

typedef struct pump_alarm_state {
	bool    active;
	int64_t raised_ms;
	int64_t silenced_until_ms; /* 0 = sounding */
} pump_alarm_state;

typedef struct pump {
	pump_rx  rx;
	int64_t  now_ms;            /* monotone pump time */
	int64_t  created_ms;
	bool     running;           /* clinician start/stop */
	/* reservoir since the last fill: content = fill_nl at fill_conc */
	uint32_t fill_nl;
	uint32_t fill_conc;         /* ng/mL */
	uint64_t fill_drug_ng;      /* drug in the fill: floor(fill_nl*conc/1e6) */
	uint64_t drawn_ng;          /* drug delivered since the fill */
	uint64_t basal_rem;         /* basal remainder, ng*ms/day units, < 1 day */
	/* bolus history (ring, oldest first from hist_first); the running bolus,
	 * if any, is the newest record */
	bool     bolus_running;
	uint32_t hist_first;
	uint32_t hist_count;
	pump_bolus_rec hist[PUMP_HISTORY_MAX];
	/* ceiling: basal bound after a program change */
	int64_t  prog_changed_ms;
	uint32_t peak_rate_ng_day;  /* highest rate of a program in force since
	                               prog_changed_ms - 24 h */
	uint32_t change_bound_ng;   /* the most basal a 24 h window starting
	                               before prog_changed_ms can hold; at most
	                               a day at peak_rate_ng_day */
	/* battery */
	int64_t  eos_ms;
	/* alarms */
	pump_alarm_state alarms[PUMP_ALARM__COUNT];
	/* counters */
	uint32_t outcomes[PUMP_BOLUS__COUNT];
	uint64_t basal_ng;          /* totals since pump_init */
	uint64_t bolus_ng;
	uint64_t delivered_nl;      /* volume drawn by delivery, all fills */
	uint64_t filled_nl;         /* volume put in: init, refills, set-volume */
	uint64_t removed_nl;        /* volume taken out at refill / set-volume */
	/* the implanted system (pump_configure) */
	pump_config cfg;
	/* a bridge bolus is due (a refill changed the concentration): the old
	 * drug's concentration and the basal rate in force then; 0 = none */
	uint32_t bridge_conc;
	uint32_t bridge_rate_ng_day;
	/* delivery faults (pump_fault): what reaches the patient, which the
	 * pump itself cannot measure (the emulator's truth beside the pump's
	 * belief, drawn_ng / basal_ng + bolus_ng) */
	uint32_t reach_pct;         /* % of the drug drawn that reaches the
	                               patient: 100 unless occluded */
	uint64_t reached_ng;        /* drug that reached the patient, all fills
	                               (<= basal_ng + bolus_ng) */
	uint32_t reach_rem;         /* remainder of sum(drawn * pct) mod 100 */
	int64_t  stall_until_ms;    /* an intermittent motor stall ends then;
	                               0 = none (a motor_stall alarm is then
	                               permanent until a clinician clears it) */
	/* a staged programming session (pump_stage.c): held pending, never
	 * stored (pump_serial.c leaves it out: a restart discards it) */
	uint32_t stage_id;          /* the pending session, 0 = none */
	uint32_t stage_last_id;     /* the last id given, this run */
	int64_t  staged_ms;
	pump_rx  stage_rx;
} pump;

/* ---- staged programming (pump_stage.c) ------------------------------------ */

/* What a staged prescription changes for the patient: [0] the prescription
 * in force, [1] the pending one.  daily_ng: the schedule's drug in a day;
 * bolus dose and max 0 when patient boluses are disabled; next_refill_ms:
 * the forecast with each put in force now (0 = none). */
typedef struct pump_stage_info {
	uint32_t id;
	bool     replaced;        /* an earlier pending session was replaced */
	bool     stops;           /* the pending prescription's mode is stopped */
	uint32_t daily_ng[2];
	uint32_t bolus_dose_ng[2];
	uint32_t lockout_ms[2];
	uint32_t max_per_24h[2];
	uint32_t ceiling_ng_24h[2];
	int64_t  next_refill_ms[2];
} pump_stage_info;

/* Hold rx pending (replacing any pending session) after the checks
 * pump_program makes, on a copy: nothing in force changes, not even the
 * time.  0 with *out filled, or pump_program's error (and *field_out). */
int pump_stage(pump *p, int64_t now_ms, const pump_rx *rx,
               const char **field_out, pump_stage_info *out);
/* Put the pending session id in force in one step: the pump stops (a
 * running bolus is cut short), takes the prescription as pump_program does
 * and runs again in the same ms if it ran before.  PUMP_E_STATE when id is
 * not the pending session; pump_program's error (the session stays
 * pending, nothing changes) when it no longer passes. */
int pump_stage_confirm(pump *p, int64_t now_ms, uint32_t id,
                       const char **field_out, pump_event_fn cb, void *ud);
/* Discard the pending session id: 0 or PUMP_E_STATE. */
int pump_stage_cancel(pump *p, uint32_t id);

/* ---- life cycle ---------------------------------------------------------- */

/* A new pump with a fresh battery (rx->battery_life_days), running, holding
 * initial_volume_nl (<= capacity) at rx->concentration_ng_ml.  Returns 0, or
 * PUMP_E_RANGE / PUMP_E_INVAL and leaves *p untouched. */
int pump_init(pump *p, const pump_rx *rx, int64_t now_ms,
              uint32_t initial_volume_nl);

/* Run delivery up to now_ms, event to event; cb (may be NULL) sees each. */
void pump_advance(pump *p, int64_t now_ms, pump_event_fn cb, void *ud);

/* Time of the next event (bolus end, step change, threshold, empty, ERI,
 * EOS, alarm re-sound), or INT64_MAX when none is pending. */
int64_t pump_next_event(const pump *p);

/* ---- patient ------------------------------------------------------------- */

/* Advance to now_ms, then decide: exactly one outcome in *res (always filled)
 * and counted in the pump.  Returns the outcome (>= 0) or PUMP_E_INVAL.
 *
 * Checked in this order, the first that applies is the outcome:
 *   critical alarm; stopped (clinician stop or mode stopped); not enabled;
 *   a bolus running; lockout (from the START of the last granted bolus, also
 *   one cut short); count (starts in the rolling (now - 24 h, now], next =
 *   the oldest start that must leave + 24 h); ceiling (see pump_bolus.c:
 *   every 24 h window the new bolus can reach holds at most the ceiling,
 *   scheduled basal and undelivered bolus included); reservoir (the drug
 *   left is less than one dose); else granted.  A refusal that ends by
 *   itself (running, lockout, count, ceiling) is followed: next_at_ms is
 *   when a bolus would be granted, and the outcome names the limit that
 *   holds last (a running bolus stays the outcome while it runs). */
int pump_bolus(pump *p, int64_t now_ms, pump_bolus_result *res,
               pump_event_fn cb, void *ud);

/* The counters of bolus outcomes (every request answered, by outcome). */
void pump_counts(const pump *p, uint32_t out[PUMP_BOLUS__COUNT]);

/* What pump_bolus would answer at the pump's current time, without changing
 * anything (no counters). */
void pump_bolus_check(const pump *p, pump_bolus_result *res);

/* Silence an active alarm (or PUMP_ALARM_ALL) until now + rx.silence_ms.
 * Returns 0, PUMP_E_NOT_ACTIVE, or PUMP_E_INVAL. */
int pump_silence(pump *p, int64_t now_ms, int alarm, pump_event_fn cb,
                 void *ud);

/* ---- clinician ----------------------------------------------------------- */

/* Clear an alarm whose cause is gone: motor stall and memory errors are
 * cleared here (the clinician's action is the fix); low reservoir and empty
 * clear by themselves when a refill (or set volume, or for low reservoir a
 * program with a lower threshold) removes the cause; ERI and EOS by a new
 * battery.  0, PUMP_E_CAUSE, PUMP_E_NOT_ACTIVE or PUMP_E_INVAL. */
int pump_clear(pump *p, int64_t now_ms, int alarm, pump_event_fn cb, void *ud);

/* Replace the prescription.  Concentration and capacity must equal the
 * current ones (concentration changes only at refill); battery_life_days is
 * ignored.  A running bolus keeps its dose.  The bolus history (lockout,
 * 24 h count, ceiling) survives.  A low threshold raised to the reservoir or
 * above raises the low-reservoir alarm; one lowered below it clears it.
 * 0, PUMP_E_RANGE (field named), or PUMP_E_CEILING; on error nothing
 * changes. */
int pump_program(pump *p, int64_t now_ms, const pump_rx *rx,
                 const char **field_out, pump_event_fn cb, void *ud);

/* Empty the reservoir (what is left is removed, not delivered) and fill it
 * with volume_nl (1..capacity) at concentration_ng_ml.  Clears low
 * reservoir and empty alarms when the new volume is above the threshold /
 * non-zero.  A new concentration makes a bridge bolus due (pump_bridge_due)
 * at the old one and the basal rate in force now (none when that is 0).
 * 0, PUMP_E_RANGE or PUMP_E_STATE. */
int pump_refill(pump *p, int64_t now_ms, uint32_t volume_nl,
                uint32_t concentration_ng_ml, pump_event_fn cb, void *ud);

/* A refill that checks itself.  The clinician enters the volume withdrawn
 * from the reservoir (withdrawn_nl, 0..capacity; < 0: not entered); the pump
 * compares it with what it expected to remain (its reservoir at now_ms) and
 * flags a discrepancy beyond pump_refill_tolerance (see pump.c for why that
 * tolerance).  Otherwise as pump_refill.  *out (may be NULL) is filled on
 * success.  0, PUMP_E_RANGE (*field_out: "volume_nl", "concentration_ng_ml"
 * or "withdrawn_nl"), PUMP_E_INVAL. */
typedef struct pump_refill_result {
	bool     checked;         /* a withdrawn volume was entered */
	bool     discrepancy;     /* |withdrawn - expected| > tolerance */
	uint32_t withdrawn_nl;
	uint32_t expected_nl;     /* the reservoir the pump expected (before) */
	uint32_t tolerance_nl;
	bool     bridge_due;      /* the concentration changed: pump_bridge_due */
	int64_t  next_refill_ms;  /* after the refill (pump_snapshot's) */
} pump_refill_result;
int pump_refill_checked(pump *p, int64_t now_ms, uint32_t volume_nl,
                        uint32_t concentration_ng_ml, int64_t withdrawn_nl,
                        pump_refill_result *out, const char **field_out,
                        pump_event_fn cb, void *ud);
/* The tolerance of the withdrawn volume when delivered_nl were to leave the
 * reservoir since its fill: 15% of it plus 0.5 mL (500 000 nL). */
uint32_t pump_refill_tolerance(uint32_t delivered_nl);

/* Clinician stop (false) and start (true).  Stopping aborts a running bolus.
 * The 24 h window survives. */
int pump_set_running(pump *p, int64_t now_ms, bool running, pump_event_fn cb,
                     void *ud);

/* Set the implanted system's dead volumes (advances to now_ms first).  0,
 * or PUMP_E_RANGE with *field_out named; on error nothing changes. */
int pump_configure(pump *p, int64_t now_ms, const pump_config *c,
                   const char **field_out, pump_event_fn cb, void *ud);
void pump_get_config(const pump *p, pump_config *out);
/* A bridge bolus is due (a refill changed the concentration, and no bridge
 * has run since). */
bool pump_bridge_due(const pump *p);

/* A clinician bolus (see pump_clinic.c for the rules and the arithmetic).
 * It is the clinician's decision: the patient's limits (lockout, count,
 * ceiling) never refuse it; its drug counts in every 24 h window later
 * patient boluses are checked against (ceiling), and it is neither a
 * patient bolus in the 24 h count nor a start the lockout runs from.
 * pump_cbolus_plan computes at the pump's current time without changing
 * anything; pump_cbolus advances to now_ms and starts it.  0, or
 * PUMP_E_RANGE (*why names the field: "kind", "dose_ng", "duration_ms",
 * "rate_nl_h"), or PUMP_E_STATE (*why says what: "stopped", "critical
 * alarm", "bolus running", "not configured", "no bridge due", "reservoir",
 * "too many clinician boluses"); on error nothing changes. */
int pump_cbolus_plan(const pump *p, const pump_cbolus_req *req,
                     pump_cbolus_info *out, const char **why);
int pump_cbolus(pump *p, int64_t now_ms, const pump_cbolus_req *req,
                pump_cbolus_info *out, const char **why, pump_event_fn cb,
                void *ud);

/* ---- tester -------------------------------------------------------------- */

/* The numbers are the protocol's (docs/PROTOCOL.md 8.1, FAULT). */
enum pump_fault_kind {
	PUMP_FAULT_MOTOR_STALL     = 1,
	PUMP_FAULT_MEMORY          = 2, /* non-critical memory error */
	PUMP_FAULT_MEMORY_CRITICAL = 3,
	PUMP_FAULT_BATTERY_ERI     = 4, /* battery now at ERI: EOS in 90 days */
	PUMP_FAULT_BATTERY_EOS     = 5, /* battery now at end of service */
	PUMP_FAULT_RESERVOIR       = 6, /* reservoir now holds arg nL (<= capacity) */
	PUMP_FAULT_BATTERY_NEW     = 7, /* a new battery: clears ERI and EOS */
	PUMP_FAULT_OCCLUSION       = 8, /* a partial catheter occlusion or leak:
	                                   arg % (0..100) of the drug drawn
	                                   reaches the patient from now on; the
	                                   pump cannot tell (100 ends it) */
	PUMP_FAULT_STALL_FOR       = 9, /* an intermittent motor stall: the
	                                   motor_stall alarm, which clears by
	                                   itself after arg ms (1 ms .. 7 days);
	                                   delivery then resumes, the drug
	                                   missed is not made up */
	PUMP_FAULT__COUNT
};
const char *pump_fault_name(int kind);    /* "motor_stall", ... */
int pump_fault_from_name(const char *name);

int pump_fault(pump *p, int64_t now_ms, int kind, uint32_t arg,
               pump_event_fn cb, void *ud);

/* ---- status -------------------------------------------------------------- */

typedef struct pump_alarm_info {
	int32_t id;              /* enum pump_alarm */
	int32_t priority;        /* enum pump_priority */
	int64_t raised_ms;
	int64_t silenced_until_ms; /* 0 = sounding */
} pump_alarm_info;

typedef struct pump_snapshot {
	int64_t  now_ms;
	int32_t  mode;                 /* enum pump_mode */
	bool     running;              /* clinician start/stop */
	bool     delivering;           /* drug flowing now */
	char     drug[PUMP_DRUG_MAX];
	uint32_t concentration_ng_ml;
	uint32_t reservoir_nl;
	uint32_t capacity_nl;
	uint32_t low_threshold_nl;
	uint32_t basal_ng_day;    /* in force now (0 when not delivering) */
	bool     bolus_enabled;
	uint32_t bolus_dose_ng;
	uint32_t bolus_duration_ms;
	uint32_t lockout_ms;
	uint32_t max_per_24h;
	uint32_t ceiling_ng_24h;
	bool     bolus_running;
	int32_t  bolus_kind;           /* enum pump_bolus_kind of the running one */
	int64_t  bolus_ends_ms;        /* 0 when none */
	uint32_t boluses_24h;          /* starts in the last 24 h */
	int32_t  bolus_now;            /* outcome a request now would get */
	int64_t  next_bolus_ms;        /* earliest allowed (now if GRANTED), 0 =
	                                  not foreseeable (stopped, disabled) */
	int64_t  next_refill_ms;       /* the first ms the reservoir is at or below
	                                  the low threshold with basal and every
	                                  allowed bolus taken as soon as allowed
	                                  (until one finds less than a dose);
	                                  now_ms when it already is (whatever the
	                                  alarms, mode or battery); 0 when drug
	                                  is not flowing, or end of service comes
	                                  first (see pump_forecast.c) */
	int64_t  eri_ms;
	int64_t  eos_ms;
	uint32_t n_alarms;
	pump_alarm_info alarms[PUMP_ALARM__COUNT]; /* highest priority first */
	uint32_t outcomes[PUMP_BOLUS__COUNT];
	uint64_t delivered_ng;         /* basal_ng + bolus_ng */
	uint64_t basal_ng;
	uint64_t bolus_ng;
	uint64_t delivered_nl;
} pump_snapshot;

/* A snapshot at now_ms (computed on a copy advanced to now_ms; *p is not
 * changed). */
void pump_status(const pump *p, int64_t now_ms, pump_snapshot *out);

/* Reservoir volume now (at p->now_ms). */
uint32_t pump_reservoir_nl(const pump *p);

/* ---- persistence --------------------------------------------------------- */

/* Upper bound of a serialized state's size. */
#define PUMP_SERIAL_MAX 8192
#define PUMP_STALL_FOR_MAX (7LL * PUMP_MS_PER_DAY) /* FAULT stall_for arg */

/* Write the state (versioned, big-endian, checksummed) into buf.  Returns
 * the bytes written, or 0 when cap is too small (nothing useful written). */
size_t pump_serialize(const pump *p, uint8_t *buf, size_t cap);
/* The checksum that closes a serialized state (its last 4 bytes, big-endian,
 * over every byte before them): FNV-1a, 32 bits. */
uint32_t pump_serial_sum(const uint8_t *b, size_t n);

/* Read a state written by pump_serialize.  Every field is checked; on any
 * error *p is left untouched.  0, PUMP_E_CORRUPT or PUMP_E_VERSION. */
int pump_deserialize(pump *p, const uint8_t *buf, size_t len);

#endif
