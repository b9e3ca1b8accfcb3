/*
 * tui/pg.h — the clinician's programmer: its screens' state and their text
 * (no curses, no libuv).  ptm opened with --clinician (a clinician's key)
 * shows it: the interrogation (the visit report with terminal charts), a
 * guided refill (withdrawn volume, the pump's check, new volume and
 * concentration, a review, the bridge bolus offered when the
 * concentration changed), programming from a file (staged on a pump that
 * stages: its comparison, confirm or cancel), clinician boluses, the alarm
 * test and help.  Keys go in (pg_key), requests come out
 * as commands (pg_request builds each), replies come back (pg_reply); the
 * text goes out as a struct hh_view that tui/view.c draws as the device.
 *
 * Memory: struct pg is plain data the caller owns (large: keep it static
 * or on the heap); pg_init sets it up.
 */
#ifndef PTM_TUI_PG_H
#define PTM_TUI_PG_H

#include <stdint.h>

#include "net/msg.h"
#include "net/report.h"
#include "tui/hh.h"

enum pg_screen { PG_SCR_HOME = 0, PG_SCR_CHARTS, PG_SCR_REFILL, PG_SCR_HELP, PG_SCR_PROGRAM,
                 PG_SCR_CBOLUS, PG_SCR_ATEST, PG_SCR_COUNT };

/* programming's steps (pg.pstep).  A pump with STAGE (HELLO's features)
 * holds the file's prescription pending and compares it itself; a pump
 * without it gets PROGRAM after ptm's own comparison (the review). */
enum pg_ps_step {
	PG_PS_PATH = 0,       /* type the file's path; Enter reads (and stages) it */
	PG_PS_REVIEW,         /* no STAGE: ptm's comparison; Enter sends PROGRAM */
	PG_PS_SENT,           /* STAGE, PROGRAM, CONFIRM or CANCEL on the wire */
	PG_PS_DONE,           /* in force */
	PG_PS_REASON,         /* past a soft limit: type the override's reason */
	PG_PS_PENDING,        /* staged: the pump's comparison; Enter confirms,
	                         x cancels, Esc leaves it pending */
};

/* the refill's steps, in order */
enum pg_rf_step {
	PG_RF_WITHDRAWN = 0,  /* type the volume emptied from the reservoir */
	PG_RF_VOLUME,         /* the new volume */
	PG_RF_CONC,           /* its concentration */
	PG_RF_REVIEW,         /* old and new side by side: Enter sends */
	PG_RF_SENT,           /* REFILL on the wire */
	PG_RF_RESULT,         /* the pump's check; y/n for a bridge when due */
	PG_RF_BRIDGE_SENT,    /* CBOLUS bridge on the wire */
	PG_RF_DONE,
	PG_RF_REASON,         /* a new concentration past the drug library's
	                         soft limit: type the reason, Enter sends again */
};

/* what the caller must send (pg_request builds it) */
enum pg_cmd {
	PG_CMD_NONE = 0,
	PG_CMD_STATUS,        /* STATUS, then LOG pages: the report (pg_report_*) */
	PG_CMD_REFILL,        /* REFILL with withdrawn_nl */
	PG_CMD_BRIDGE,        /* CBOLUS bridge */
	PG_CMD_LOAD,          /* read the prescription file named in pg.in
	                         (pg_program_loaded / pg_program_error) */
	PG_CMD_PROGRAM,       /* the file's prescription: STAGE when the pump
	                         stages (pg.features), else PROGRAM */
	PG_CMD_CBOLUS,        /* a clinician bolus: single, prime or bridge */
	PG_CMD_CONFIRM,       /* CONFIRM the pending session */
	PG_CMD_CANCEL,        /* CANCEL it */
	PG_CMD_ALARMTEST,     /* ALARMTEST pg.atest: the patient's remotes play it */
	PG_CMD_QUIT,
};

#define PG_IN_MAX 24      /* a typed value */
#define PG_PATH_MAX 200   /* a typed file path */

struct pg {
	int link;                          /* enum hh_link */
	int have_state;
	struct msg_state st;               /* the newest state block */
	int have_report;
	struct report rep;                 /* the last interrogation */
	int reading;                       /* a report is being read */
	int screen;                        /* enum pg_screen */
	int step;                          /* enum pg_rf_step */
	char in[PG_PATH_MAX + 1];          /* what is being typed */
	char error[HH_TEXT];               /* why the typed value was refused */
	uint64_t withdrawn_nl, volume_nl, conc_ng_ml;
	char rf_reason[MSG_OVERRIDE_MAX + 1]; /* the refill's override ("" none) */
	struct msg_state before;           /* the state the refill began with */
	struct msg_refill_result rf;       /* the pump's check */
	struct msg_cbolus_result cb;       /* the bridge started */
	int scroll;                        /* the charts' first line */
	uint32_t features;                 /* the pump's (HELLO; 0: first edition) */
	/* programming: the file, what it holds, stage, confirm */
	int pstep;                         /* enum pg_ps_step */
	char rx_path[PG_PATH_MAX + 1];     /* the file last loaded */
	struct msg_rx rx;                  /* pending (its override: the reason typed) */
	struct msg_state pbefore;          /* the state when it was sent */
	int have_stage;                    /* stage: the pump's answer to our STAGE */
	struct msg_stage_result stage;
	int atest;                         /* the alarm last tested (enum msg_alarm) */
	/* a clinician bolus: its kind (0: not chosen), step (0 kind, 1 dose or
	 * rate, 2 duration, 3 review, 4 sent, 5 done) and values */
	int bkind, bstep;
	uint64_t bdose_ng, bdur_ms, brate_nl_h;
	uint64_t reads, refills, programs; /* interrogations read, refills and
	                                      programs the pump took (lessons) */
	char message[2 * HH_TEXT];         /* the last request's outcome (the
	                                      screen wraps it) */
	int message_tone;
};

void pg_init(struct pg *p);
/* HELLO's answer (status as pg_reply's): the pump's features; none when
 * it is of the first edition (or did not answer). */
void pg_hello(struct pg *p, int status, const struct msg_reply *r);
void pg_link(struct pg *p, int link);             /* enum hh_link */
void pg_state(struct pg *p, const struct msg_state *s);
/* A notification: its state, and the alarm test's and staged session's
 * events said. */
void pg_notify(struct pg *p, const struct msg_notify *n);
/* The pending session the pump says it holds (its state extension), else
 * the one we staged; 0 when none. */
uint32_t pg_pending_id(const struct pg *p);

/* A key (tui/keys.h's KEYS_* and printable ASCII): 1 when the screen
 * changed; *cmd (enum pg_cmd) what to send now. */
int pg_key(struct pg *p, int key, int *cmd);

/* The request for cmd into q (zeroed first); 0, or -1 for PG_CMD_NONE/QUIT. */
int pg_request(const struct pg *p, int cmd, struct msg_request *q);

/* cmd's answer: status as client_reply_fn's (0 = a reply, r its reply;
 * < 0 = no reply, r NULL). */
void pg_reply(struct pg *p, int cmd, int status, const struct msg_reply *r);

/* The interrogation: STATUS's reply starts it, each LOG page adds to it,
 * done ends it (failed: the log could not be read; err the LOG reply's
 * error, 0 for a link failure). */
void pg_report_begin(struct pg *p, const struct msg_reply *status);
void pg_report_page(struct pg *p, const struct msg_reply *log);
void pg_report_done(struct pg *p, int failed, int err);

/* Programming: the prescription read from its file, or why it could not
 * be (the parser's message).  pg_program_loaded returns what to send now
 * (enum pg_cmd): PG_CMD_PROGRAM (STAGE) when the pump stages, else
 * PG_CMD_NONE (ptm's review first). */
int pg_program_loaded(struct pg *p, const struct msg_rx *rx);
void pg_program_error(struct pg *p, const char *why);

/* What a change means for the patient, current beside pending, for a pump
 * without STAGE (whose reply carries the pump's own comparison): computed
 * here from the state block and the file. */
struct pg_change {
	uint32_t daily_ng[2];              /* the schedule's drug in a day */
	uint32_t bolus_dose_ng[2];
	uint32_t lockout_ms[2];
	uint16_t max_per_24h[2];
	uint32_t conc_ng_ml[2];
	int      mode[2];
	int      bolus_enabled[2];
};
void pg_compare(const struct msg_state *cur, const struct msg_rx *pend,
                struct pg_change *out);

/* The current screen as text. */
void pg_render(const struct pg *p, struct hh_view *v);

/* The keys' help and the device's footer line. */
const char *pg_footer(void);
const char *pg_footer_training(void);   /* with l lessons, n next, x leave */

#endif
