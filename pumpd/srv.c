/* pumpd/srv.c — helpers shared by the server's files (see srv.h). */
#include "pumpd/srv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/log.h"
#include "pumpd/wire.h"
#include "util/units.h"

int64_t srv_now(const struct server *srv)
{
	return pclock_now(&srv->clk);
}

void srv_set_pump(struct server *srv, const pump *p, const struct pclock *clk)
{
	if (p != &srv->pump)
		srv->pump = *p;
	if (clk)
		srv->clk = *clk;
	srv->pump_gen++;
}

void srv_state(struct server *srv, int64_t now, struct msg_state *st)
{
	if (srv->state_cache.gen != srv->pump_gen + 1 ||
	    srv->state_cache.now_ms != now) {
		wire_pump_state(&srv->pump, now, srv->sim, srv->clk.speed,
		                &srv->state_cache.st);
		srv->state_cache.gen = srv->pump_gen + 1;   /* 0: never filled */
		srv->state_cache.now_ms = now;
	}
	*st = srv->state_cache.st;
}

void srv_collect(void *ud, const pump_event *ev)
{
	struct server *srv = ud;
	if (srv->nevents < SRV_EVENTS_MAX)
		srv->events[srv->nevents++] = *ev;
	else
		srv->lost_events++;
}

void srv_advance(struct server *srv, pump *p, int64_t now)
{
	srv->nevents = 0;
	pump_advance(p, now, srv_collect, srv);
}

int srv_save_pump(struct server *srv, const pump *p)
{
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(p, blob, sizeof blob);
	if (n == 0)
		return -EIO;
	return store_put_blob(srv->st, "pump", blob, n);
}

void srv_send(struct session *s, const uint8_t *buf, size_t len)
{
	struct server *srv = s->srv;
	if (srv->hooks.on_send && srv->hooks.on_send(srv, s, buf, len))
		return;   /* a tester's link fault took it */
	int e = peer_send(s->peer, buf, len);
	if (e < 0)
		log_warn("%s: reply not sent (%s)", srv_who(s->remote), strerror(-e));
}

void srv_fmt_ng(char *b, size_t n, uint64_t ng)
{
	char u[UNITS_FMT_MAX];
	snprintf(b, n, "%s", units_fmt_dose(ng, u));
}

const char *srv_who(const struct remote *rm)
{
	return rm ? rm->name : "pump";
}
