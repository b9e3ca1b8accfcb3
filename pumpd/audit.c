/* pumpd/audit.c — typed, bounded, summarised audit rows (see audit.h). */
#include "pumpd/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/batch.h"
#include "pumpd/log.h"

#define TRIM_EVERY 1024   /* rows between two trims of the log */

int audit_row_at(struct server *srv, int kind, const char *who, int role,
                 int64_t at_ms, const char *text)
{
	struct store_event ev = { at_ms, pclock_wall_ms(), kind, who, role, text };
	int e = store_audit_defer(srv->st, &ev);   /* written with the turn's */
	if (e < 0)
		return e;
	if (++srv->audit.since_trim >= TRIM_EVERY) {
		int n = store_audit_trim(srv->st, AUDIT_KEEP);
		if (n < 0)
			return n;
		srv->audit.since_trim = 0;
	}
	return 0;
}

static void row(struct server *srv, int kind, const char *who, int role,
                const char *text)
{
	if (batch_begin(srv) < 0 ||
	    audit_row_at(srv, kind, who, role, srv_now(srv), text) < 0)
		log_error("audit log not written: %s", store_errmsg(srv->st));
}

void audit_row(struct server *srv, int kind, const struct remote *rm,
               const char *fmt, ...)
{
	char text[MSG_TEXT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	row(srv, kind, rm ? rm->name : "pump", rm ? rm->role : 0, text);
}

/* The burst's summary, when more followed its first row. */
static void close_burst(struct server *srv, struct audit_burst *b)
{
	if (b->more) {
		char text[MSG_TEXT_MAX + 1];
		snprintf(text, sizeof text, "%.60s: %llu more in %lld s", b->key,
		         (unsigned long long)b->more,
		         (long long)((b->last_mono - b->first_mono) / 1000));
		log_warn("%s", text);
		row(srv, b->kind, "pump", 0, text);
	}
	b->used = 0;
}

void audit_burst(struct server *srv, int kind, const char *key,
                 const char *fmt, ...)
{
	int64_t mono = pclock_mono_ms();
	struct audit_burst *b = NULL, *oldest = NULL;
	for (int i = 0; i < AUDIT_BURSTS; i++) {
		struct audit_burst *c = &srv->audit.burst[i];
		if (c->used && c->kind == kind && strcmp(c->key, key) == 0) {
			b = c;
			break;
		}
		if (!oldest || !c->used || (oldest->used && c->last_mono < oldest->last_mono))
			oldest = c;
	}
	if (b && mono - b->last_mono < AUDIT_BURST_MS) {
		b->more++;
		b->last_mono = mono;
		return;
	}
	if (b)
		close_burst(srv, b);
	else if (oldest->used)
		close_burst(srv, oldest);
	b = b ? b : oldest;
	b->used = 1;
	b->kind = kind;
	snprintf(b->key, sizeof b->key, "%s", key);
	b->more = 0;
	b->first_mono = b->last_mono = mono;
	char text[MSG_TEXT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	log_warn("%s", text);
	row(srv, kind, "pump", 0, text);
}

static void on_tick(uv_timer_t *t)
{
	struct server *srv = t->data;
	int64_t mono = pclock_mono_ms();
	for (int i = 0; i < AUDIT_BURSTS; i++) {
		struct audit_burst *b = &srv->audit.burst[i];
		if (b->used && mono - b->last_mono >= AUDIT_BURST_MS)
			close_burst(srv, b);
	}
}

void audit_init(struct server *srv)
{
	uv_timer_init(srv->loop, &srv->audit.timer);
	srv->audit.timer.data = srv;
	uv_timer_start(&srv->audit.timer, on_tick, AUDIT_BURST_MS, AUDIT_BURST_MS);
	uv_unref((uv_handle_t *)&srv->audit.timer);
}

void audit_close(struct server *srv, uv_close_cb cb)
{
	for (int i = 0; i < AUDIT_BURSTS; i++)
		if (srv->audit.burst[i].used)
			close_burst(srv, &srv->audit.burst[i]);
	uv_timer_stop(&srv->audit.timer);
	uv_close((uv_handle_t *)&srv->audit.timer, cb);
}
