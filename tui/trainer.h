/*
 * tui/trainer.h — training actions through a tester key: skip the time to
 * the next dose, set the reservoir for a lesson.  The tester's link is
 * opened for an action and closed when its replies are in: the pump keeps
 * one session per key, so a link held open would replace, and be replaced
 * by, every ptmctl session with the same key (the demo's).
 */
#ifndef PTM_TUI_TRAINER_H
#define PTM_TUI_TRAINER_H

#include <stdint.h>

#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "tui/hh.h"

struct trainer {
	uv_loop_t *loop;
	keys_secret *key;         /* --tester-key (not owned), or NULL */
	struct client_config cfg; /* the link's configuration (key: key) */
	struct client *cl;        /* open while pending > 0, else NULL */
	unsigned pending;         /* requests without their reply yet */
	hh *h;                    /* where replies and messages go */
	int *dirty;               /* set when the screen must be drawn */
	const int *quitting;      /* set when ptm is closing */
};

/* With no key every action says that it needs one.  patient: the patient
 * link's configuration (address, pump key) to copy. */
void trainer_init(struct trainer *t, uv_loop_t *loop, hh *h, int *dirty,
                  const int *quitting, keys_secret *key,
                  const struct client_config *patient);
/* f: move the pump's clock past the current wait. */
void trainer_skip(struct trainer *t);
/* A lesson's action (LESSONS_DO_*). */
void trainer_lesson(struct trainer *t, int action);
/* Close the link if it is open. */
void trainer_close(struct trainer *t);

#endif
