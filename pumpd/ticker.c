/* pumpd/ticker.c — the model's timer (see ticker.h). */
#include "pumpd/ticker.h"

#include "pumpd/change.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"

#define REAL_SAVE_MS    60000      /* real clock: store the time this often */
#define LONGEST_MS      86400000   /* never arm further than a day */

static void on_timer(uv_timer_t *t)
{
	struct server *srv = t->data;
	if (srv->closing)
		return;
	int64_t now = srv_now(srv);
	pump next = srv->pump;
	srv_advance(srv, &next, now);
	/* on the real clock the time reached is stored too, so a pumpd that
	 * is killed and restarted on a wall clock set back goes on from at
	 * most REAL_SAVE_MS before (clock.h) */
	if (srv->nevents || srv->lost_events || !srv->sim) {
		struct notes ns = { 0 };
		char err[256];
		int room = notify_room(srv);
		if (change_store(srv, &next, &ns, NULL, NULL, err, sizeof err) != 0)
			log_error("cannot store the pump's state: %s; it will be "
			          "stored with the next change", err);
		/* time moves on whether or not it could be written: the model
		 * is deterministic, a later save (or a restart) catches up */
		srv_set_pump(srv, &next, NULL);
		struct msg_state st;
		srv_state(srv, now, &st);
		if (room == 0)
			notify_send(srv, &ns, &st);
		else
			log_error("notifications not sent: no sequence numbers left");
	} else {
		srv_set_pump(srv, &next, NULL);
	}
	ticker_arm(srv);
}

void ticker_arm(struct server *srv)
{
	if (srv->closing)
		return;
	int64_t now = srv_now(srv);
	int64_t t = pump_next_event(&srv->pump);
	int64_t d;
	if (t == INT64_MAX)
		d = srv->sim ? -1 : REAL_SAVE_MS;
	else
		d = pclock_delay_ms(&srv->clk, now, t);
	if (!srv->sim && (d < 0 || d > REAL_SAVE_MS))
		d = REAL_SAVE_MS;
	if (d < 0) {
		uv_timer_stop(&srv->timer);
		return;
	}
	if (d > LONGEST_MS)
		d = LONGEST_MS;
	uv_timer_start(&srv->timer, on_timer, (uint64_t)d, 0);
}

void ticker_start(struct server *srv)
{
	uv_timer_init(srv->loop, &srv->timer);
	srv->timer.data = srv;
	ticker_arm(srv);
}

void ticker_close(struct server *srv, uv_close_cb cb)
{
	uv_timer_stop(&srv->timer);
	uv_close((uv_handle_t *)&srv->timer, cb);
}
