/*
 * tools/scenario/scnlink.c — a scenario's per-role sessions and their notification
 * windows (see scnlink.h).
 */
#include "tools/scenario/scnlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/client.h"
#include "net/peer.h"

struct role_link {
	struct scnlink *l;
	int role;
	struct client *c;          /* NULL when none (or closing) */
	int state;                 /* enum client_link of c */
	int down_reason;           /* PEER_R_* the last time it went down */
	int closing;               /* client_close called, callback not yet */
	int fresh;                 /* up, floor not set yet */
	uint64_t floor;            /* notes up to this seq came before the session */
	uint64_t last_seq;         /* highest seq received on this session */
	struct msg_notify *notes;  /* the window's notes: owned array */
	size_t n, cap;

	/* the call in progress */
	int waiting;               /* 1 until the reply callback */
	int status;
	struct msg_reply *out;
	uint64_t seq_at_reply;     /* last_seq when the reply arrived */
};

struct scnlink {
	uv_loop_t loop;
	uv_timer_t timer;
	int timed_out;
	char address[PEER_ADDR_MAX];
	const uint8_t *pump_pub;
	const uint8_t (*priv)[32];
	uint32_t timeout_ms;
	uint32_t connect_ms;
	unsigned roles;            /* the roles to open */
	uint64_t time_off;         /* taken off every time in a kept note */
	void (*on_note)(void *ud, int role, const struct msg_notify *n);
	void *ud;
	uint64_t base;             /* the window: notes with seq > base */
	struct role_link r[SCN_ROLES];
};

/* ---- loop helpers ------------------------------------------------------------ */

static void on_timer(uv_timer_t *t)
{
	struct scnlink *l = t->data;
	l->timed_out = 1;
}

/* Run until done(ud) or ms pass: 1 if done. */
static int run_until(struct scnlink *l, uint32_t ms, int (*done)(void *ud), void *ud)
{
	int ok;
	l->timed_out = 0;
	uv_update_time(&l->loop); /* the loop may have slept outside uv_run */
	uv_timer_start(&l->timer, on_timer, ms, 0);
	while (!(ok = done(ud)) && !l->timed_out)
		uv_run(&l->loop, UV_RUN_ONCE);
	uv_timer_stop(&l->timer);
	return ok;
}

/* Read whatever has already arrived, without waiting. */
static void drain(struct scnlink *l)
{
	uv_run(&l->loop, UV_RUN_NOWAIT);
}

/* ---- notes -------------------------------------------------------------------- */

static void keep_note(struct role_link *rl, const struct msg_notify *n)
{
	if (rl->n == rl->cap) {
		size_t cap = rl->cap ? rl->cap * 2 : 16;
		struct msg_notify *p = realloc(rl->notes, cap * sizeof *p);
		if (!p)
			return; /* a note lost to memory: expect notify will say so */
		rl->notes = p;
		rl->cap = cap;
	}
	rl->notes[rl->n++] = *n;
}

uint64_t scnlink_shift(uint64_t t, uint64_t off)
{
	return t > off ? t - off : t ? 1 : 0;
}

void scnlink_shift_state(struct msg_state *st, uint64_t off)
{
	if (!off)
		return;
	st->now_ms = scnlink_shift(st->now_ms, off);
	st->bolus_ends_ms = scnlink_shift(st->bolus_ends_ms, off);
	st->next_bolus_ms = scnlink_shift(st->next_bolus_ms, off);
	st->next_refill_ms = scnlink_shift(st->next_refill_ms, off);
	st->eri_ms = scnlink_shift(st->eri_ms, off);
	st->eos_ms = scnlink_shift(st->eos_ms, off);
	for (unsigned i = 0; i < st->n_alarms && i < MSG_ALARMS_MAX; i++) {
		st->alarms[i].raised_ms = scnlink_shift(st->alarms[i].raised_ms, off);
		st->alarms[i].silenced_until_ms = scnlink_shift(st->alarms[i].silenced_until_ms, off);
	}
}

void scnlink_set_time_offset(struct scnlink *l, uint64_t off)
{
	l->time_off = off;
}

/* Drop every kept note at or below the window's base. */
static void prune(struct scnlink *l)
{
	for (int i = 0; i < SCN_ROLES; i++) {
		struct role_link *rl = &l->r[i];
		size_t w = 0;
		for (size_t k = 0; k < rl->n; k++)
			if (rl->notes[k].seq > l->base)
				rl->notes[w++] = rl->notes[k];
		rl->n = w;
	}
}

/* ---- client callbacks ------------------------------------------------------- */

static void on_link(void *ud, int state, int reason)
{
	struct role_link *rl = ud;
	rl->state = state;
	if (state == CLIENT_DOWN)
		rl->down_reason = reason;
	if (state == CLIENT_UP) {
		rl->last_seq = 0;
		rl->fresh = 1;
	}
}

/* After sessions came up: everything the pump pushed before it opened a
 * session was written before its handshake reply, so it can be read on the
 * other sessions now.  It belongs to earlier windows, not this session's
 * first one. */
static void set_floors(struct scnlink *l)
{
	uint64_t top = l->base;
	drain(l);
	for (int i = 0; i < SCN_ROLES; i++)
		if (l->r[i].last_seq > top)
			top = l->r[i].last_seq;
	for (int i = 0; i < SCN_ROLES; i++)
		if (l->r[i].fresh) {
			l->r[i].floor = top;
			l->r[i].fresh = 0;
		}
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	static struct msg_notify m;   /* with the times the scenario sees */
	struct role_link *rl = ud;
	struct scnlink *l = rl->l;
	m = *n;
	scnlink_shift_state(&m.state, l->time_off);
	if (m.seq > rl->last_seq)
		rl->last_seq = m.seq;
	if (l->on_note)
		l->on_note(l->ud, rl->role, &m);
	if (m.seq > l->base)
		keep_note(rl, &m);
}

static void on_reply(void *ud, int status, const struct msg_reply *rep)
{
	struct role_link *rl = ud;
	rl->waiting = 0;
	rl->status = status;
	rl->seq_at_reply = rl->last_seq;
	if (status == 0)
		*rl->out = *rep;
}

static void on_closed(void *ud)
{
	struct role_link *rl = ud;
	rl->closing = 0;
}

/* ---- sessions ------------------------------------------------------------------ */

static void drop_client(struct role_link *rl)
{
	if (!rl->c)
		return;
	rl->closing = 1;
	client_close(rl->c, on_closed, rl);
	rl->c = NULL;
	rl->state = CLIENT_DOWN;
	rl->last_seq = 0;
}

static int start_client(struct scnlink *l, struct role_link *rl)
{
	struct client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.address = l->address;
	cfg.key = l->priv[rl->role];
	cfg.pump_key = l->pump_pub;
	cfg.reconnect = 0;
	cfg.request_timeout_ms = l->timeout_ms;
	cfg.limits.handshake_ms = l->connect_ms;
	cfg.ud = rl;
	cfg.on_link = on_link;
	cfg.on_notify = on_notify;
	rl->state = CLIENT_CONNECTING;
	rl->down_reason = 0;
	if (client_new(&l->loop, &cfg, &rl->c) != 0) {
		rl->c = NULL;
		rl->state = CLIENT_DOWN;
		return PEER_R_CONNECT;
	}
	return 0;
}

/* every started client is up or down */
static int settled(void *ud)
{
	struct scnlink *l = ud;
	for (int i = 0; i < SCN_ROLES; i++)
		if (l->r[i].c && l->r[i].state == CLIENT_CONNECTING)
			return 0;
	return 1;
}

/* Why rl is not up, as a status. */
static int down_status(const struct role_link *rl)
{
	if (rl->state == CLIENT_CONNECTING)
		return CLIENT_E_TIMEOUT;
	return rl->down_reason < 0 ? rl->down_reason : CLIENT_E_LINK;
}

int scnlink_connect(struct scnlink *l, int *role)
{
	for (int i = 0; i < SCN_ROLES; i++) {
		struct role_link *rl = &l->r[i];
		if (!(l->roles & (1u << i)))
			continue;
		if (rl->c && rl->state == CLIENT_DOWN)
			drop_client(rl);
		if (!rl->c) {
			int rc = start_client(l, rl);
			if (rc) {
				*role = i;
				return rc;
			}
		}
	}
	run_until(l, l->connect_ms, settled, l);
	set_floors(l);
	for (int i = 0; i < SCN_ROLES; i++) {
		if ((l->roles & (1u << i)) && l->r[i].state != CLIENT_UP) {
			int rc = down_status(&l->r[i]);
			drop_client(&l->r[i]);
			*role = i;
			return rc;
		}
	}
	return 0;
}

uint32_t scnlink_timeout(const struct scnlink *l)
{
	return l->timeout_ms;
}

void scnlink_set_timeout(struct scnlink *l, uint32_t timeout_ms)
{
	l->timeout_ms = timeout_ms ? timeout_ms : CLIENT_DEF_TIMEOUT_MS;
}

int scnlink_connected(const struct scnlink *l, int role)
{
	return role >= 0 && role < SCN_ROLES && l->r[role].c &&
	       l->r[role].state == CLIENT_UP;
}

static int answered(void *ud)
{
	const struct role_link *rl = ud;
	return !rl->waiting;
}

int scnlink_call(struct scnlink *l, int role, const struct msg_request *req,
                 struct msg_reply *out)
{
	static struct msg_request q; /* large (PROGRAM) */
	struct role_link *rl = &l->r[role];
	int rc;

	if (!(l->roles & (1u << role)))
		return CLIENT_E_LINK; /* no key for this role */
	drain(l); /* notice a session the pump closed meanwhile */
	if (!scnlink_connected(l, role)) {
		int who = role;
		drop_client(rl);
		rc = scnlink_connect(l, &who);
		if (!scnlink_connected(l, role))
			return rc && who == role ? rc : down_status(rl);
	}
	q = *req;
	rl->out = out;
	rl->waiting = 1;
	rl->status = CLIENT_E_TIMEOUT;
	rc = client_request(rl->c, &q, on_reply, rl);
	if (rc < 0) {
		rl->waiting = 0;
		return rc == -EINVAL ? CLIENT_E_ENCODE : rc;
	}
	if (!run_until(l, l->timeout_ms, answered, rl)) {
		/* the client's own timeout comes at the same time; give up on
		 * the session rather than wait for it */
		drop_client(rl);
		rl->waiting = 0;
		return CLIENT_E_TIMEOUT;
	}
	if (rl->status != 0) {
		if (rl->state != CLIENT_UP)
			drop_client(rl);
		return rl->status;
	}
	/* the new window: after what this session had seen before the reply */
	l->base = rl->seq_at_reply > rl->floor ? rl->seq_at_reply : rl->floor;
	prune(l);
	drain(l);
	return 0;
}

const struct msg_notify *scnlink_notes(const struct scnlink *l, int role, size_t *n)
{
	*n = l->r[role].n;
	return l->r[role].notes;
}

int scnlink_wait(struct scnlink *l, int (*done)(void *ud), void *ud)
{
	drain(l);
	return run_until(l, l->timeout_ms, done, ud);
}

struct scnlink *scnlink_new(const struct scnlink_config *cfg)
{
	struct scnlink *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	if (uv_loop_init(&l->loop) != 0) {
		free(l);
		return NULL;
	}
	uv_timer_init(&l->loop, &l->timer);
	l->timer.data = l;
	snprintf(l->address, sizeof l->address, "%s", cfg->address);
	l->pump_pub = cfg->pump_pub;
	l->priv = cfg->priv;
	l->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : CLIENT_DEF_TIMEOUT_MS;
	l->connect_ms = cfg->connect_ms ? cfg->connect_ms : l->timeout_ms;
	l->roles = cfg->roles ? cfg->roles : (1u << SCN_ROLES) - 1;
	l->on_note = cfg->on_note;
	l->ud = cfg->ud;
	for (int i = 0; i < SCN_ROLES; i++) {
		l->r[i].l = l;
		l->r[i].role = i;
		l->r[i].state = CLIENT_DOWN;
	}
	return l;
}

static int all_closed(void *ud)
{
	struct scnlink *l = ud;
	for (int i = 0; i < SCN_ROLES; i++)
		if (l->r[i].closing)
			return 0;
	return 1;
}

void scnlink_free(struct scnlink *l)
{
	if (!l)
		return;
	for (int i = 0; i < SCN_ROLES; i++)
		drop_client(&l->r[i]);
	while (!all_closed(l))
		if (uv_run(&l->loop, UV_RUN_ONCE) == 0)
			break;
	uv_close((uv_handle_t *)&l->timer, NULL);
	uv_run(&l->loop, UV_RUN_DEFAULT);
	uv_loop_close(&l->loop);
	for (int i = 0; i < SCN_ROLES; i++)
		free(l->r[i].notes);
	free(l);
}
