/*
 * pumpd/ticker.h — the pump model's timer: one uv timer armed for the
 * model's next event (pump_next_event: a bolus end, a schedule step, a
 * threshold, an alarm sounding again), never minute by minute.  When it
 * fires, the pump is advanced to now and stored with the audit rows of
 * what happened, and every change is pushed to the remotes.
 *
 * On the real clock it also wakes at least every minute and stores the time
 * reached (the clock goes on from there after a restart on a wall clock set
 * back, clock.h); on a frozen simulated clock it sleeps until a tester moves
 * it.
 */
#ifndef PTM_PUMPD_TICKER_H
#define PTM_PUMPD_TICKER_H

#include "pumpd/srv.h"

/* Initialise srv->timer on srv->loop and arm it. */
void ticker_start(struct server *srv);

/* Re-arm after anything that changed the pump or its clock. */
void ticker_arm(struct server *srv);

/* Stop it and close the handle: cb(&srv->timer) follows (data = srv). */
void ticker_close(struct server *srv, uv_close_cb cb);

#endif
