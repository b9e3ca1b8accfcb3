/*
 * tools/scenario/scnstep.h — a scenario's steps as data: what the parser
 * (scn.c, scnreq.c, scnexpect.c) makes and the runner (scnrun.c) carries
 * out; the roles by name.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNSTEP_H
#define PTM_TOOLS_SCENARIO_SCNSTEP_H

#include <stdint.h>

#include "net/msg.h"

#define SCN_CHECKS_MAX 24
#define SCN_STR_MAX    128

enum scn_role { SCN_PATIENT = 0, SCN_CLINICIAN = 1, SCN_TESTER = 2, SCN_ROLES };

enum scn_kind {
	SCN_PUMP,      /* pump sim [start=TIME] [volume=VOL]: start the hermetic pumpd */
	SCN_REQUEST,   /* as ROLE [id=N] REQUEST ...   (also: clock ..., fault ...) */
	SCN_RETRY,     /* as ROLE retry: the role's previous request, same id */
	SCN_EXPECT,    /* expect WHAT ... */
	SCN_RESTART,   /* restart: SIGTERM the pump, start it again */
	SCN_KILL9,     /* kill9: SIGKILL the pump, start it again */
	SCN_EXPLORE,   /* explore N [seed=S]: N random steps, invariants checked */
};

#define SCN_EXPLORE_MAX 100000 /* steps of one explore line */

enum scn_expect {
	SCN_X_OK,       /* expect ok: err == 0 (and a bolus was granted) */
	SCN_X_ERROR,    /* expect error NAME [detail=TEXT] [last_id=N] */
	SCN_X_OUTCOME,  /* expect outcome NAME [dose= ends_in= at= wait=] */
	SCN_X_STATE,    /* expect state FIELD OP VALUE ... */
	SCN_X_SAME,     /* expect same: this reply equals the one before (body) */
	SCN_X_COUNTS,   /* expect counts OUTCOME=N ...  (STATUS reply) */
	SCN_X_HISTORY,  /* expect history [count=N] [OUTCOME=N ...] */
	SCN_X_LOG,      /* expect log contains "TEXT" | expect log count=N */
	SCN_X_SILENCED, /* expect silenced N  (SILENCE reply) */
	SCN_X_NOTIFY,   /* expect notify [ROLE...] EVENT [ALARM] [FIELD OP VALUE ...] */
	SCN_X_CBOLUS,   /* expect cbolus KIND [volume= dose= duration= ends_in=]
	                   (an ok CBOLUS reply) */
	SCN_X_REFILL,   /* expect refill [withdrawn= expected= tolerance=
	                   discrepancy= bridge_due=] (an ok checked REFILL) */
	SCN_X_STAGE,    /* expect stage [stage_id= daily_old= daily_new= bolus_old=
	                   bolus_new= ceiling_old= ceiling_new= refill_old=
	                   refill_new= overridden= stops= in_library=] */
	SCN_X__COUNT
};

#define SCN_EVENT_ANY (-1) /* expect notify any: every event matches */

enum scn_op { SCN_EQ, SCN_NE, SCN_LT, SCN_LE, SCN_GT, SCN_GE };

/* What a check's value means. */
enum scn_vtype {
	SCN_V_UINT,     /* plain integer */
	SCN_V_NL,       /* volume */
	SCN_V_NG,       /* dose */
	SCN_V_NG_DAY,   /* rate */
	SCN_V_NG_ML,    /* concentration */
	SCN_V_MS,       /* duration */
	SCN_V_WHEN,     /* a moment: now | never | in DURATION | TIME */
	SCN_V_BOOL,     /* yes/no */
	SCN_V_ENUM,     /* a name (mode, outcome ...): value holds the enum */
	SCN_V_ALARMS,   /* a set of alarms: value holds a bit mask (1 << id) */
	SCN_V_STR,      /* text (drug, detail) */
};

/* SCN_V_WHEN forms */
enum scn_when { SCN_W_NOW, SCN_W_NEVER, SCN_W_IN, SCN_W_AT };

/* Fields a check can name.  State fields read the state block of the last
 * reply; the others read the reply body. */
enum scn_field {
	/* state block */
	SCN_F_NOW, SCN_F_MODE, SCN_F_INFUSING, SCN_F_BOLUS_RUNNING,
	SCN_F_BOLUS_ENABLED, SCN_F_SIMULATED, SCN_F_RESERVOIR, SCN_F_CAPACITY,
	SCN_F_LOW_THRESHOLD, SCN_F_CONCENTRATION, SCN_F_BASAL, SCN_F_BOLUS_DOSE,
	SCN_F_BOLUS_DURATION, SCN_F_LOCKOUT, SCN_F_BOLUSES_24H, SCN_F_MAX_PER_24H,
	SCN_F_BOLUS_ENDS, SCN_F_NEXT_BOLUS, SCN_F_NEXT_BOLUS_REASON,
	SCN_F_NEXT_REFILL, SCN_F_ERI, SCN_F_EOS, SCN_F_DRUG, SCN_F_ALARMS,
	SCN_F_SILENCED, SCN_F_CRITICAL, SCN_F_CLOCK_SPEED,
	/* bolus result */
	SCN_F_DOSE, SCN_F_ENDS_IN, SCN_F_AT, SCN_F_WAIT,
	/* error reply */
	SCN_F_DETAIL, SCN_F_LAST_ID,
	/* counts / history / log */
	SCN_F_COUNT,      /* history/log: number of entries */
	SCN_F_OUTCOME_N,  /* counts/history: entries of outcome `arg` */
	SCN_F_CONTAINS,   /* log: some entry's text contains str */
	SCN_F_VOLUME,     /* cbolus: volume_nl */
	SCN_F_DURATION,   /* cbolus: duration_ms */
	SCN_F_WITHDRAWN,  /* refill: withdrawn_nl */
	SCN_F_EXPECTED,   /* refill: expected_nl */
	SCN_F_TOLERANCE,  /* refill: tolerance_nl */
	SCN_F_DISCREPANCY,/* refill: flags & discrepancy */
	SCN_F_BRIDGE_DUE, /* refill: flags & bridge due */
	SCN_F_STAGE_ID,   /* stage: the session's id */
	SCN_F_DAILY_OLD, SCN_F_DAILY_NEW,     /* stage: the day's basal drug */
	SCN_F_BOLUS_OLD, SCN_F_BOLUS_NEW,     /* stage: the patient bolus dose */
	SCN_F_CEILING_OLD, SCN_F_CEILING_NEW, /* stage: the 24 h ceiling */
	SCN_F_REFILL_OLD, SCN_F_REFILL_NEW,   /* stage: the next refill date */
	SCN_F_OVERRIDDEN, SCN_F_STOPS, SCN_F_IN_LIBRARY, /* stage: flags */
	SCN_F__COUNT
};

struct scn_check {
	uint8_t  field;        /* enum scn_field */
	uint8_t  op;           /* enum scn_op */
	uint8_t  vtype;        /* enum scn_vtype */
	uint8_t  when;         /* enum scn_when, for SCN_V_WHEN */
	int      arg;          /* SCN_F_OUTCOME_N: the outcome */
	uint64_t value;
	char     str[SCN_STR_MAX];
	char     text[64];     /* the check as written, for messages */
};

struct scn_step {
	uint8_t  kind;         /* enum scn_kind */
	unsigned line;         /* 1-based line in the file */
	char     src[160];     /* the line as written (trimmed), for TAP */

	/* SCN_PUMP */
	uint64_t start_ms;     /* 0 = pumpd's default */
	uint64_t volume_nl;    /* 0 = pumpd's default (the rx capacity) */

	/* SCN_EXPLORE */
	uint64_t explore_n;    /* steps */
	int      has_seed;     /* seed=S given (else the run's --seed or a new one) */
	uint64_t seed;

	/* SCN_REQUEST / SCN_RETRY */
	uint8_t  role;         /* enum scn_role */
	int      has_id;       /* an explicit id=N was given */
	uint64_t id;
	struct msg_request req;/* type and body; PROGRAM's rx comes from rx_text
	                          or rx_file; REFILL concentration 0 = keep the
	                          pump's current one */
	const char *rx_text;   /* PROGRAM <<EOF body, owned by the scn */
	const char *rx_file;   /* PROGRAM FILE, as written (relative to the
	                          scenario file's directory); owned by the scn */
	unsigned rx_line;      /* line of the first body line (for messages) */

	/* SCN_EXPECT */
	uint8_t  expect;       /* enum scn_expect */
	int      code;         /* ERROR: enum msg_err; OUTCOME: enum msg_outcome;
	                          SILENCED: count; NOTIFY: enum msg_event or
	                          SCN_EVENT_ANY */
	uint8_t  roles;        /* NOTIFY: 1 << role for each role named;
	                          0 = every role */
	uint8_t  alarm;        /* NOTIFY: enum msg_alarm, 0 = any */
	unsigned n_checks;
	struct scn_check checks[SCN_CHECKS_MAX];
};

const char *scn_role_name(int role);   /* "patient" ... or "unknown" */
int scn_role_parse(const char *s);     /* enum scn_role or -1 */

#endif
