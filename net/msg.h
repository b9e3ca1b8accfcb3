/*
 * net/msg.h — the pump protocol's application messages: plain structs and a
 * codec with no I/O.  These are the plaintexts carried inside Noise
 * transport messages (see docs/PROTOCOL.md).  All integers are big-endian
 * and unsigned; times are ms since the Unix epoch on the pump's clock; volume
 * in nL, drug in ng.
 *
 * The codec checks structure: lengths, no trailing bytes, enumeration values
 * that exist, string lengths and characters.  Whether a value makes sense for
 * a pump (a dose within limits, a role allowed a request) is the pump's job,
 * not this file's: nothing in net/ knows pump rules.
 *
 * Memory: every struct here is plain data with fixed-size arrays; encode and
 * decode never allocate.  Decoders write *out only on success.
 */
#ifndef PTM_NET_MSG_H
#define PTM_NET_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Largest plaintext: a 4096-byte frame less the 16-byte Noise tag. */
#define MSG_MAX 4080

#define MSG_DRUG_MAX     31  /* drug name bytes, printable ASCII        */
#define MSG_STEPS_MAX    13  /* flexible schedule steps                 */
#define MSG_ALARMS_MAX   8   /* alarms listed in a state block          */
#define MSG_HISTORY_MAX  64  /* entries in one HISTORY reply            */
#define MSG_LOG_MAX      20  /* entries in one LOG reply                */
#define MSG_TEXT_MAX     120 /* bytes of one audit-log line             */
#define MSG_DETAIL_MAX   63  /* bytes of an error reply's detail        */
#define MSG_COUNTS_MAX   16  /* outcome counters in a STATUS reply      */
#define MSG_REMOTE_MAX   32  /* LINK's remote name: [A-Za-z0-9._-]       */
#define MSG_OVERRIDE_MAX 63  /* bytes of a soft-limit override's reason */

/* Message types: the first byte of every plaintext. */
enum msg_type {
	/* requests, remote -> pump: u8 type, u64 request id, body */
	MSG_STATUS  = 0x01, /* patient+  body: none                          */
	MSG_BOLUS   = 0x02, /* patient+  body: none (the dose is the pump's)  */
	MSG_SILENCE = 0x03, /* patient+  body: u8 alarm (0 = every active)    */
	MSG_HISTORY = 0x04, /* patient+  body: u16 max entries (1..64)        */
	MSG_HELLO   = 0x06, /* patient+  body: none; reply: what the pump
	                       supports (protocol, features, software)         */
	MSG_PROGRAM = 0x10, /* clinician+ body: prescription block            */
	MSG_REFILL  = 0x11, /* clinician+ body: u32 volume_nl, u32 conc ng/mL
	                       [, u32 withdrawn_nl: appended, optional
	                       [, str8 override (1..63): appended after it]]   */
	MSG_CLEAR   = 0x12, /* clinician+ body: u8 alarm                      */
	MSG_LOG     = 0x13, /* clinician+ body: u64 after_seq, u16 max (1..20)*/
	MSG_RUN     = 0x14, /* clinician+ body: u8 0 = stop, 1 = start        */
	MSG_CONFIG  = 0x15, /* clinician+ body: u32 tubing_nl, u32 catheter_mm,
	                       u32 catheter_nl_per_mm                          */
	MSG_CBOLUS  = 0x16, /* clinician+ body: u8 kind, u32 dose_ng,
	                       u32 duration_ms, u32 rate_nl_h                  */
	MSG_STAGE   = 0x17, /* clinician+ body: prescription block, str8
	                       override (0..63): held pending (8.9)           */
	MSG_STAGE_CONFIRM = 0x18, /* clinician+ body: u32 stage_id: put it in force */
	MSG_STAGE_CANCEL  = 0x19, /* clinician+ body: u32 stage_id: discard it      */
	MSG_ALARMTEST = 0x1A, /* clinician+ body: u8 alarm (1..7): remotes play it */
	MSG_FAULT   = 0x20, /* tester, sim only: u8 fault, u64 arg            */
	MSG_CLOCK   = 0x21, /* tester, sim only: u8 op, u64 arg               */
	MSG_LINK    = 0x22, /* tester, sim only: u8 kind, str8 remote,
	                       u32 count, u32 ms: a link fault            */
	/* pump -> remote */
	MSG_REPLY   = 0x80, /* the answer to one request                      */
	MSG_NOTIFY  = 0x81, /* pushed whenever the pump's state changes        */
};

/* Error codes in a reply (u16).  0 = the request was carried out (a bolus
 * request is always carried out: its outcome says granted or why not). */
enum msg_err {
	MSG_OK           = 0,
	MSG_E_MALFORMED  = 1,  /* bad length, trailing bytes, bad enum value   */
	MSG_E_TYPE       = 2,  /* unknown message type                         */
	MSG_E_ROLE       = 3,  /* not allowed for this remote's role           */
	MSG_E_NOT_SIM    = 4,  /* tester request while the pump runs real time */
	MSG_E_STALE_ID   = 5,  /* request id older than the last; result: u64 last id */
	MSG_E_RANGE      = 6,  /* a field is out of range; detail names it     */
	MSG_E_STATE      = 7,  /* not possible now (e.g. clearing an alarm whose cause remains) */
	MSG_E_STORAGE    = 8,  /* the pump could not store the change; nothing changed */
	MSG_E_INTERNAL   = 9,
	MSG_E_SOFT_LIMIT = 10, /* past the drug library's soft limit, no override
	                          (edition-3 sessions; others get RANGE) */
	MSG_E_HARD_LIMIT = 11, /* past the drug library's hard limit (idem) */
	MSG_E__LAST      = MSG_E_HARD_LIMIT,
};

/* Bolus outcomes (u8), also the "why not now" of a state block. */
enum msg_outcome {
	MSG_OUT_GRANTED     = 0, /* granted: dose_ng, at_ms = end of bolus          */
	MSG_OUT_LOCKOUT     = 1, /* too soon: at_ms = next allowed, wait_ms         */
	MSG_OUT_DAILY_COUNT = 2, /* most per 24 h reached: at_ms, wait_ms           */
	MSG_OUT_CEILING     = 3, /* 24 h drug ceiling: at_ms, wait_ms               */
	MSG_OUT_RUNNING     = 4, /* a bolus is running: at_ms = next allowed       */
	MSG_OUT_DISABLED    = 5, /* patient bolus not enabled                       */
	MSG_OUT_RESERVOIR   = 6, /* reservoir too low for the dose                  */
	MSG_OUT_STOPPED     = 7, /* pump stopped                                    */
	MSG_OUT_CRITICAL    = 8, /* a critical alarm: drug is not flowing           */
	MSG_OUT_COUNT
};

/* Alarms (u8).  0 is "none" / "every active alarm" where a request allows. */
enum msg_alarm {
	MSG_ALARM_LOW_RESERVOIR   = 1, /* medium */
	MSG_ALARM_ERI             = 2, /* medium: battery, replace within 90 days */
	MSG_ALARM_EOS             = 3, /* high: battery end of service, pump stopped */
	MSG_ALARM_EMPTY           = 4, /* high: reservoir empty */
	MSG_ALARM_MOTOR_STALL     = 5, /* high */
	MSG_ALARM_MEMORY          = 6, /* low: non-critical memory error */
	MSG_ALARM_MEMORY_CRITICAL = 7, /* high */
	MSG_ALARM_COUNT
};

enum msg_priority { MSG_PRIO_LOW = 1, MSG_PRIO_MEDIUM = 2, MSG_PRIO_HIGH = 3 };

enum msg_mode { MSG_MODE_STOPPED = 0, MSG_MODE_CONTINUOUS = 1, MSG_MODE_FLEXIBLE = 2 };

enum msg_fault {
	MSG_FAULT_MOTOR_STALL     = 1,
	MSG_FAULT_MEMORY          = 2,
	MSG_FAULT_MEMORY_CRITICAL = 3,
	MSG_FAULT_BATTERY_ERI     = 4,
	MSG_FAULT_BATTERY_EOS     = 5,
	MSG_FAULT_RESERVOIR       = 6, /* arg: reservoir volume in nL */
	MSG_FAULT_BATTERY_NEW     = 7, /* a new battery: clears ERI and EOS */
	MSG_FAULT_OCCLUSION       = 8, /* arg: % of the drug reaching the patient */
	MSG_FAULT_STALL_FOR       = 9, /* arg: ms until the motor turns again */
	MSG_FAULT_COUNT
};

/* Link fault kinds (u8; LINK, docs/PROTOCOL.md 8.9). */
enum msg_link_kind {
	MSG_LINK_CLEAR         = 0, /* every link fault of the target ends      */
	MSG_LINK_DROP_REQUESTS = 1, /* the next count requests are discarded   */
	MSG_LINK_DROP_REPLIES  = 2, /* the next count replies are not sent     */
	MSG_LINK_DELAY         = 3, /* replies wait ms (count of them, 0 = all) */
	MSG_LINK_CUT           = 4, /* the next count reply frames cut short   */
	MSG_LINK_DUPLICATE     = 5, /* the next count replies are sent twice   */
	MSG_LINK_OUT_OF_RANGE  = 6, /* nothing passes, for ms (0 = until clear) */
	MSG_LINK_BUSY          = 7, /* the next count requests: state "busy"   */
	MSG_LINK_COUNT
};
#define MSG_LINK_COUNT_MAX 1000u        /* LINK count */
#define MSG_LINK_MS_MAX    3600000u     /* LINK ms: at most an hour */

/* Clinician bolus kinds (u8; CBOLUS and its reply). */
enum msg_cbolus_kind {
	MSG_CBOLUS_SINGLE = 1, /* dose_ng over duration_ms                      */
	MSG_CBOLUS_PRIME  = 2, /* the catheter's volume at rate_nl_h            */
	MSG_CBOLUS_BRIDGE = 3, /* tubing + catheter of the old drug at the old
	                          dose rate (after a concentration change)     */
	MSG_CBOLUS_COUNT
};

enum msg_clock_op {
	MSG_CLOCK_ADVANCE = 1, /* arg: ms to move the simulated clock forward */
	MSG_CLOCK_SPEED   = 2, /* arg: speed factor (0 = frozen, 1 = real time, N = N x) */
};

/* Why a notification was pushed (u8). */
enum msg_event {
	MSG_EV_STATE          = 0, /* anything else that changed the state block */
	MSG_EV_BOLUS_STARTED  = 1,
	MSG_EV_BOLUS_ENDED    = 2,
	MSG_EV_ALARM_RAISED   = 3, /* alarm field names it */
	MSG_EV_ALARM_CLEARED  = 4,
	MSG_EV_ALARM_RESOUND  = 5, /* a silence ran out */
	MSG_EV_ALARM_SILENCED = 6,
	MSG_EV_PROGRAMMED     = 7,
	MSG_EV_REFILLED       = 8,
	MSG_EV_CLOCK          = 9,
	MSG_EV_STARTED        = 10,
	MSG_EV_STOPPED        = 11,
	/* edition 3 (sent only to a session that accepted it, PROTOCOL.md 8.8) */
	MSG_EV_ALARM_TEST     = 12, /* play the alarm's tones and name it */
	MSG_EV_STAGED         = 13, /* a programming session is pending */
	MSG_EV_STAGE_ENDED    = 14, /* it was cancelled or confirmed */
	MSG_EV_COUNT
};

/* state block flags */
#define MSG_F_INFUSING      0x01 /* basal delivery running               */
#define MSG_F_BOLUS_RUNNING 0x02
#define MSG_F_BOLUS_ENABLED 0x04
#define MSG_F_SIMULATED     0x08 /* the pump runs on a simulated clock   */
#define MSG_F_ALL           0x0f
/* alarm flags */
#define MSG_AF_SILENCED     0x01

struct msg_alarm_info {
	uint8_t  id;            /* enum msg_alarm */
	uint8_t  priority;      /* enum msg_priority */
	uint8_t  flags;         /* MSG_AF_* */
	uint64_t raised_ms;
	uint64_t silenced_until_ms; /* 0 when not silenced */
};

/* The state extension (PROTOCOL.md 8.9): appended after the body of every
 * reply and notification of a session that accepted edition 3. */
#define MSG_SX_PENDING 0x01 /* a programming session is pending */
#define MSG_SX_STOPPED 0x02 /* the pump is stopped (mode 0 or RUN stop) */
/* bits 2-3: the running bolus's kind, to a session that accepted
 * MSG_ACCEPT_TYPED only: 0 the patient's (or none), else the clinician's
 * (enum msg_cbolus_kind); not 0 only while MSG_F_BOLUS_RUNNING */
#define MSG_SX_BOLUS_SHIFT 2
#define MSG_SX_BOLUS_MASK  0x0c
#define MSG_SX_ALL     0x0f
#define MSG_SX_LEN     13   /* bytes on the wire */
/* The running clinician bolus's kind in ext.flags (0: the patient's, none). */
#define MSG_SX_BOLUS_KIND(f) (((f) & MSG_SX_BOLUS_MASK) >> MSG_SX_BOLUS_SHIFT)
struct msg_stage_ext {
	uint8_t  flags;              /* MSG_SX_* */
	uint32_t stage_id;           /* 0 = none pending */
	uint64_t staged_ms;          /* 0 = none pending */
};

/* The delivery block (PROTOCOL.md 8.14): in a STATUS reply, after the
 * counters and before the state extension, to a clinician's or tester's
 * session that accepted MSG_ACCEPT_DELIVERY.  Totals since the pump was
 * initialised; reached is the emulator's truth (a real pump cannot know it). */
#define MSG_DLV_LEN 17      /* bytes on the wire */
struct msg_delivery {
	uint64_t delivered_ng;       /* drug drawn for delivery: the pump's belief */
	uint64_t reached_ng;         /* of it, what reached the patient (<= delivered) */
	uint8_t  reach_pct;          /* % of the drug drawn that reaches the patient
	                                now: 100 = no occlusion (0..100) */
};

/* The pump state every reply and notification carries. */
struct msg_state {
	uint64_t now_ms;             /* the pump's clock */
	uint8_t  mode;               /* enum msg_mode */
	uint8_t  flags;              /* MSG_F_* */
	uint32_t reservoir_nl;
	uint32_t capacity_nl;
	uint32_t low_threshold_nl;
	uint32_t concentration_ng_ml;
	uint32_t basal_ng_day;       /* current basal rate */
	uint32_t bolus_dose_ng;
	uint32_t bolus_duration_ms;
	uint32_t lockout_ms;
	uint16_t boluses_24h;        /* granted in the last 24 h */
	uint16_t max_per_24h;
	uint64_t bolus_ends_ms;      /* 0 when no bolus runs */
	uint64_t next_bolus_ms;      /* earliest a bolus may be granted; <= now_ms: now; 0: not while the reason lasts */
	uint8_t  next_bolus_reason;  /* enum msg_outcome; GRANTED = available */
	uint64_t next_refill_ms;     /* 0 = no prediction */
	uint64_t eri_ms;             /* battery: elective replacement indicator date */
	uint64_t eos_ms;             /* battery: end of service date */
	uint32_t clock_speed;        /* the pump clock's speed: 1 = real clock,
	                              * 0 = frozen, N = N x (simulated) */
	char     drug[MSG_DRUG_MAX + 1];
	uint8_t  n_alarms;
	struct msg_alarm_info alarms[MSG_ALARMS_MAX];
	/* Not in the block itself: when has_ext, the extension is written at
	 * the message's end (after a reply's body, after a notification's
	 * state), and a decoder sets it when the message carries it. */
	uint8_t  has_ext;
	struct msg_stage_ext ext;
};

struct msg_step {
	uint32_t start_ms;           /* ms after midnight, pump time (UTC) */
	uint32_t rate_ng_day;
};

/* A prescription as it travels in PROGRAM. */
struct msg_rx {
	char     drug[MSG_DRUG_MAX + 1];
	uint32_t concentration_ng_ml;
	uint32_t capacity_nl;
	uint8_t  mode;               /* enum msg_mode */
	uint32_t rate_ng_day;        /* MODE_CONTINUOUS */
	uint8_t  n_steps;            /* MODE_FLEXIBLE: 1..13 */
	struct msg_step steps[MSG_STEPS_MAX];
	uint8_t  bolus_enabled;      /* 0 or 1 */
	uint32_t bolus_dose_ng;
	uint32_t bolus_duration_ms;
	uint32_t lockout_ms;
	uint16_t max_per_24h;
	uint32_t ceiling_ng_24h;     /* 0 = no ceiling */
	uint32_t low_threshold_nl;
	uint32_t silence_ms;         /* how long a silenced alarm stays quiet */
	/* Not in the block: the reason for passing a drug library's soft
	 * limit.  STAGE always carries it ("" = none); PROGRAM appends it
	 * only when not "" (PROTOCOL.md 8.10). */
	char     override[MSG_OVERRIDE_MAX + 1];
};

/* The implanted system's dead volumes (CONFIG and its reply). */
struct msg_config {
	uint32_t tubing_nl;          /* pump tubing */
	uint32_t catheter_mm;        /* catheter length */
	uint32_t catheter_nl_per_mm; /* catheter volume per mm */
};

/* This edition of the protocol (docs/PROTOCOL.md 8.8) and its features. */
#define MSG_PROTOCOL          2
#define MSG_FEAT_CONFIG       0x00000001u /* CONFIG */
#define MSG_FEAT_CBOLUS       0x00000002u /* CBOLUS */
#define MSG_FEAT_REFILL_CHECK 0x00000004u /* REFILL's withdrawn_nl */
#define MSG_FEAT_STAGE        0x00000008u /* STAGE, CONFIRM, CANCEL, state extension */
#define MSG_FEAT_DRUGLIB      0x00000010u /* drug library: override, errors 10, 11 */
#define MSG_FEAT_ALARMTEST    0x00000020u /* ALARMTEST, event alarm_test */
#define MSG_FEAT_LINK         0x00000040u /* LINK (tester) */
#define MSG_FEAT_REFILL_LIB   0x00000080u /* REFILL's new concentration checked
                                             against the drug library; its
                                             appended override */
#define MSG_FEAT_TYPED        0x00000100u /* accept MSG_ACCEPT_TYPED: typed
                                             LOG entries, the running bolus's
                                             kind (8.15) */
/* HELLO's appended accept bits (what the remote reads) */
#define MSG_ACCEPT_ED3        0x00000001u /* state extension, events 12..14,
                                             errors 10 and 11 */
#define MSG_ACCEPT_DELIVERY   0x00000002u /* STATUS's delivery block (8.14);
                                             only with ED3; a clinician's or
                                             tester's session gets it */
#define MSG_ACCEPT_TYPED      0x00000004u /* LOG entries typed (kind, role,
                                             wall_ms) and the state
                                             extension's bolus kind (8.15);
                                             only with ED3 */
#define MSG_ACCEPT_ALL        0x00000007u
#define MSG_SOFTWARE_MAX      31          /* bytes of HELLO's software */

/* The HELLO reply's body.  A remote ignores feature bits it does not
 * know (a later pump may set more). */
struct msg_hello {
	uint16_t protocol;           /* 1 = the first edition, 2 = this one */
	uint32_t features;           /* MSG_FEAT_* */
	char     software[MSG_SOFTWARE_MAX + 1]; /* "pumpd 0.1.0" */
};

/* The REFILL reply's body, present only when the request carried
 * withdrawn_nl. */
#define MSG_RF_DISCREPANCY 0x01 /* |withdrawn - expected| > tolerance */
#define MSG_RF_BRIDGE_DUE  0x02 /* the concentration changed: CBOLUS bridge */
#define MSG_RF_ALL         0x03
struct msg_refill_result {
	uint8_t  present;            /* the body is there */
	uint32_t withdrawn_nl;
	uint32_t expected_nl;        /* what the pump expected to remain */
	uint32_t tolerance_nl;
	uint8_t  flags;              /* MSG_RF_* */
	uint64_t next_refill_ms;     /* 0 = no prediction */
};

/* What a staged prescription changes (the STAGE reply), old = in force. */
#define MSG_ST_OVERRIDE  0x01 /* a soft limit passed under the override */
#define MSG_ST_STOPS     0x02 /* the pending prescription stops the pump */
#define MSG_ST_REPLACED  0x04 /* it replaced an earlier pending session */
#define MSG_ST_NO_LIB    0x08 /* its drug is not in the library */
#define MSG_ST_ALL       0x0f
struct msg_stage_result {
	uint32_t stage_id;
	uint8_t  flags;              /* MSG_ST_* */
	uint32_t daily_ng[2];        /* [0] old, [1] new */
	uint32_t bolus_dose_ng[2];
	uint32_t lockout_ms[2];
	uint16_t max_per_24h[2];
	uint32_t ceiling_ng_24h[2];
	uint64_t next_refill_ms[2];
};

/* What a clinician bolus delivers (the CBOLUS reply). */
struct msg_cbolus_result {
	uint8_t  kind;               /* enum msg_cbolus_kind */
	uint32_t volume_nl;
	uint32_t dose_ng;            /* drug to the patient */
	uint32_t duration_ms;
	uint64_t ends_at_ms;
};

struct msg_request {
	uint8_t  type;               /* enum msg_type, a request */
	uint64_t id;                 /* rises per remote; >= 1 */
	union {
		uint8_t alarm;                               /* SILENCE, CLEAR, ALARMTEST */
		uint16_t max;                                /* HISTORY */
		struct msg_rx rx;                            /* PROGRAM, STAGE */
		uint32_t accept;                             /* HELLO: 0 = absent */
		uint32_t stage_id;                           /* CONFIRM, CANCEL */
		struct {
			uint32_t volume_nl, concentration_ng_ml;
			uint8_t  has_withdrawn;  /* 1: withdrawn_nl was sent */
			uint32_t withdrawn_nl;   /* the volume the clinician took out */
			char override[MSG_OVERRIDE_MAX + 1]; /* "" = none; sent only
			                                        with withdrawn_nl */
		} refill;
		struct { uint64_t after_seq; uint16_t max; } log;
		uint8_t run;                                 /* RUN */
		struct { uint8_t kind; uint64_t arg; } fault;
		struct { uint8_t op; uint64_t arg; } clock;
		struct {                                     /* LINK */
			uint8_t  kind;       /* enum msg_link_kind */
			char     remote[MSG_REMOTE_MAX + 1]; /* "" = every remote */
			uint32_t count, ms;
		} link;
		struct msg_config config;                    /* CONFIG */
		struct {                                     /* CBOLUS */
			uint8_t  kind;       /* enum msg_cbolus_kind */
			uint32_t dose_ng;    /* SINGLE; else 0 */
			uint32_t duration_ms;/* SINGLE; else 0 */
			uint32_t rate_nl_h;  /* PRIME; else 0 */
		} cbolus;
	} u;
};

struct msg_bolus_result {
	uint8_t  outcome;            /* enum msg_outcome */
	uint32_t dose_ng;            /* granted dose, or the prescribed dose */
	uint64_t at_ms;              /* granted: bolus end; refused: next allowed (0 = n/a) */
	uint64_t wait_ms;            /* granted: duration; refused: time left (0 = n/a) */
};

struct msg_history_entry {
	uint64_t at_ms;
	uint8_t  outcome;            /* enum msg_outcome */
	uint32_t dose_ng;            /* dose granted (0 when refused) */
};

/* A LOG entry's kind (PROTOCOL.md 8.15): the pump's audit-row kinds,
 * numbered as its store numbers them (pumpd checks this at compile time). */
enum msg_log_kind {
	MSG_LOG_NOTE      = 0,  /* anything else: initialised, ... */
	MSG_LOG_REQUEST   = 1,  /* a remote's request, carried out or not */
	MSG_LOG_REFUSED   = 2,  /* a request refused before it was carried out */
	MSG_LOG_ALARM     = 3,  /* raised, cleared, sounds again */
	MSG_LOG_BOLUS     = 4,  /* a bolus ended or was cut short */
	MSG_LOG_SCHEDULE  = 5,  /* a flexible schedule's step began */
	MSG_LOG_PAIRING   = 6,  /* paired, unpaired */
	MSG_LOG_PUMP      = 7,  /* pumpd started, stopped */
	MSG_LOG_SESSION   = 8,  /* a session opened or closed */
	MSG_LOG_HANDSHAKE = 9,  /* a handshake refused */
	MSG_LOG_LIMIT     = 10, /* a rate limit or a cap */
	MSG_LOG_DECRYPT   = 11, /* a message that did not decrypt */
	MSG_LOG_KIND_COUNT
};
/* A LOG entry's role: who wrote the row (0: the pump, or nobody known). */
enum msg_log_role {
	MSG_LOG_ROLE_PUMP = 0, MSG_LOG_ROLE_PATIENT = 1,
	MSG_LOG_ROLE_CLINICIAN = 2, MSG_LOG_ROLE_TESTER = 3,
	MSG_LOG_ROLE_COUNT
};
#define MSG_LOG_TYPED_LEN 10  /* bytes per entry of a typed LOG's block */

struct msg_log_entry {
	uint64_t seq;                /* rising audit-log sequence */
	uint64_t at_ms;
	char     text[MSG_TEXT_MAX + 1];
	/* Not on the wire itself: 1 when the entry travels typed (a session
	 * that accepted MSG_ACCEPT_TYPED; every entry of a reply alike, and
	 * only with state.has_ext); a decoder sets it when the reply is. */
	uint8_t  typed;
	/* a typed entry's: */
	uint8_t  kind;               /* enum msg_log_kind */
	uint8_t  role;               /* enum msg_log_role */
	uint64_t wall_ms;            /* the wall clock when the row was written */
};

struct msg_count {
	uint8_t  outcome;            /* enum msg_outcome */
	uint32_t count;
};

struct msg_reply {
	uint64_t id;                 /* the request's id */
	uint8_t  req_type;           /* the request's type (0 if it could not be read) */
	uint16_t err;                /* enum msg_err */
	char     detail[MSG_DETAIL_MAX + 1]; /* err != 0: the field or reason, may be "" */
	struct msg_state state;
	uint8_t  has_dlv;            /* STATUS, err == MSG_OK: the delivery block
	                                is there (needs state.has_ext) */
	struct msg_delivery dlv;
	union {                      /* present only when err == MSG_OK, by req_type; */
		struct { uint8_t n; struct msg_count c[MSG_COUNTS_MAX]; } counts; /* STATUS */
		struct msg_bolus_result bolus;                    /* BOLUS */
		uint8_t silenced;                                 /* SILENCE: alarms silenced */
		struct { uint8_t n; struct msg_history_entry e[MSG_HISTORY_MAX]; } history;
		struct { uint8_t n; struct msg_log_entry e[MSG_LOG_MAX]; } log;
		struct { struct msg_config c; uint32_t catheter_nl; } config; /* CONFIG */
		struct msg_cbolus_result cbolus;                  /* CBOLUS */
		struct msg_refill_result refill;                  /* REFILL */
		struct msg_hello hello;                           /* HELLO */
		struct msg_stage_result stage;                    /* STAGE */
		uint64_t last_id;                                 /* err == STALE_ID */
	} u;
};

struct msg_notify {
	uint64_t seq;                /* rises per pump */
	uint8_t  event;              /* enum msg_event */
	uint8_t  alarm;              /* for alarm events, else 0 */
	struct msg_state state;
};

/* What a remote receives: one of the two. */
struct msg_from_pump {
	uint8_t type;                /* MSG_REPLY or MSG_NOTIFY */
	union { struct msg_reply reply; struct msg_notify notify; } u;
};

/* Codec errors (negative). */
#define MSG_ESHORT   (-1) /* truncated */
#define MSG_ETRAIL   (-2) /* trailing bytes */
#define MSG_ETYPE    (-3) /* unknown type */
#define MSG_EVALUE   (-4) /* an enumeration/string/count out of its domain */
#define MSG_ESPACE   (-5) /* output buffer too small (encode) */

/* Encode into buf[0..cap); on success return the length (> 0). */
int msg_encode_request(const struct msg_request *r, uint8_t *buf, size_t cap);
int msg_encode_reply(const struct msg_reply *r, uint8_t *buf, size_t cap);
int msg_encode_notify(const struct msg_notify *n, uint8_t *buf, size_t cap);

/* Decode exactly len bytes; 0 on success, MSG_E* (< 0) on failure.
 * msg_decode_request on MSG_ETYPE/MSG_EVALUE still fills *type_out and *id_out
 * when the header could be read, so the pump can answer with an error reply
 * naming the request; on MSG_EVALUE *field_out names the first field out of
 * its domain as docs/PROTOCOL.md does ("id", "alarm", "max", "run", "fault",
 * "op", "kind", and in PROGRAM "drug", "mode", "n_steps", "bolus_enabled"), else
 * NULL (a static string).  Each out pointer may be NULL. */
int msg_decode_request(const uint8_t *buf, size_t len, struct msg_request *out,
                       uint8_t *type_out, uint64_t *id_out,
                       const char **field_out);
int msg_decode_from_pump(const uint8_t *buf, size_t len, struct msg_from_pump *out);
/* The same; on MSG_EVALUE *field_out (may be NULL) names the field out of
 * its domain ("log.kind", "log.role", "stage_flags", ...), else NULL. */
int msg_decode_from_pump_why(const uint8_t *buf, size_t len,
                             struct msg_from_pump *out, const char **field_out);

/* Stable lower-case identifiers for logs, JSON and scenario files
 * ("lockout", "low_reservoir", ...); "unknown" for values out of range.
 * The *_parse functions return the value or -1. */
const char *msg_type_name(int type);
const char *msg_err_name(int err);
const char *msg_outcome_name(int outcome);
const char *msg_alarm_name(int alarm);
const char *msg_priority_name(int prio);
const char *msg_mode_name(int mode);
const char *msg_fault_name(int fault);
const char *msg_event_name(int event);
const char *msg_cbolus_kind_name(int kind);  /* "single", "prime", "bridge" */
/* The drug a prescription block delivers in a day of UTC steps (ng): the
 * rate when continuous, each flexible step from its start to the next
 * (the last to midnight), 0 when stopped. */
uint64_t msg_rx_daily_ng(const struct msg_rx *rx);
const char *msg_link_kind_name(int kind);    /* "drop_replies", ... */
const char *msg_log_kind_name(int kind);     /* "request", "handshake", ... */
const char *msg_log_role_name(int role);     /* "pump", "patient", ... */
int msg_type_parse(const char *s);
int msg_outcome_parse(const char *s);
int msg_alarm_parse(const char *s);
int msg_fault_parse(const char *s);
int msg_mode_parse(const char *s);
int msg_cbolus_kind_parse(const char *s);
int msg_link_kind_parse(const char *s);      /* '-' may stand for '_' */
int msg_log_kind_parse(const char *s);

#endif
