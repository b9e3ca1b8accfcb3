/*
 * tui/app.h — ptm's loop: the terminal (stdin poll, SIGWINCH, quit
 * signals), the patient's link to the pump, and one timer armed for the
 * next visible change.  Redraws are flagged by state changes and drawn once
 * per loop turn (a check handle), as tmux does: no polling, no fixed tick.
 */
#ifndef PTM_TUI_APP_H
#define PTM_TUI_APP_H

#include <stdint.h>

#include <uv.h>

#include "net/client.h"
#include "net/scnrec.h"
#include "tui/hh.h"
#include "tui/lessons.h"
#include "tui/trainer.h"
#include "tui/view.h"

/* notifications kept for the recording while a bolus is unsettled */
#define APP_REC_HELD 16

struct app {
	uv_loop_t *loop;
	uv_poll_t in;
	uv_signal_t winch, sigint, sigterm, sighup;
	uv_timer_t timer;
	uv_timer_t retry;        /* the unanswered bolus asked again */
	uv_check_t check;
	struct client *cl;       /* the patient's link */
	const char *addr;        /* its address, as given */
	struct trainer tr;       /* training actions (tester key) */
	hh *h;
	lessons *ls;             /* NULL unless --train */
	view *v;
	int dirty, clear;
	uint64_t due;            /* local ms of the next visible change (UINT64_MAX: none) */
	int quitting;
	int status_pending;
	uint64_t bolus_id;       /* the bolus request whose answer never came:
	                            asked again with this id (0: none) */
	unsigned bolus_tries;    /* times it was sent */
	struct scnrec *rec;      /* --record: the session as a scenario, or NULL */
	struct msg_notify rec_held[APP_REC_HELD]; /* notes that came while a
	                            bolus was unsettled: recorded after it */
	unsigned n_rec_held;
	unsigned held;           /* requests held until the bolus is settled
	                            (1 << KEYS_CMD_*): a newer id would make
	                            its retry stale */
};

/* A bolus request without an answer is sent this many times in all, with
 * the same id, before the remote says it got no answer (docs/PROTOCOL.md
 * 10: the pump never carries one id out twice). */
#define APP_BOLUS_TRIES 3
/* ... each after this pause, the Incomplete light and message on */
#define APP_BOLUS_RETRY_MS 2000
/* history entries asked for */
#define APP_HISTORY_MAX 20

/* The patient link's callbacks (ud = the app). */
void app_on_link(void *ud, int state, int reason);
void app_on_notify(void *ud, const struct msg_notify *n);

/* With loop, cl, tr, h, ls and v set: start the handles and draw the
 * first frame.  uv_run then runs ptm until it quits. */
void app_start(struct app *a);

#endif
