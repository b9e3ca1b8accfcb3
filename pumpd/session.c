/* pumpd/session.c — handshakes and sessions (see session.h). */
#include "pumpd/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tai64n.h"
#include "pumpd/dispatch.h"
#include "pumpd/log.h"
#include "pumpd/remote.h"

/* Before any key work: TCP connections are rate limited by source. */
static int on_admit(void *ud, const struct sockaddr *sa,
                    const struct peer_cred *cred, const char *addr)
{
	struct server *srv = ud;
	(void)cred;
	int first = 0;
	if (srv->closing)
		return -1;
	if (srclimit_admit(&srv->src, sa, pclock_mono_ms(), &first))
		return 0;
	if (first)
		log_warn("%s: connections refused: more than %d at once or %d a "
		         "second from this source (further ones not logged)", addr,
		         SRCLIMIT_BURST, SRCLIMIT_PER_S);
	return -1;
}

static int on_accept(void *ud, struct peer *p, const uint8_t key[PEER_KEYLEN],
                     const uint8_t tai[PEER_TAI64N_LEN])
{
	struct server *srv = ud;
	char addr[PEER_ADDR_MAX], b64[KEYS_B64LEN];
	int64_t mono = pclock_mono_ms();

	peer_remote_addr(p, addr, sizeof addr);
	if (srv->closing)
		return -1;
	if (!ratelimit_take(&srv->rl_all, mono, SESSION_RL_ALL_BURST,
	                    SESSION_RL_ALL_PER_S)) {
		log_warn("%s: handshake refused: too many handshakes", addr);
		return -1;
	}
	struct store_remote *sr = malloc(sizeof *sr);
	if (!sr)
		return -1;
	int e = store_remote_find(srv->st, key, sr);
	if (e < 0) {
		free(sr);
		keys_format_public(key, b64);
		log_warn("%s: handshake from %s key %s refused",
		         addr, e == -ENOENT ? "unknown" : "unreadable", b64);
		return -1;
	}
	struct remote *rm = remote_sync(srv, sr);
	free(sr);
	if (!rm)
		return -1;
	if (!ratelimit_take(&rm->rl, mono, SESSION_RL_REMOTE_BURST,
	                    SESSION_RL_REMOTE_PER_S)) {
		log_warn("%s: handshake from %s refused: too many handshakes",
		         addr, rm->name);
		return -1;
	}
	if (rm->has_tai && tai64n_cmp(tai, rm->tai) <= 0) {
		log_warn("%s: handshake from %s refused: message 1 timestamp is not "
		         "newer than the last accepted (replay?)", addr, rm->name);
		srv_audit(srv, rm->name, "handshake refused: old or replayed message 1");
		return -1;
	}
	e = store_remote_set_tai(srv->st, rm->id, tai, pclock_wall_ms());
	if (e < 0) {
		log_error("%s: handshake from %s refused: cannot store its "
		          "timestamp (%s)", addr, rm->name, store_errmsg(srv->st));
		return -1;
	}
	memcpy(rm->tai, tai, 12);
	rm->has_tai = 1;
	/* on_open follows at once (net/peer), before rm could be forgotten */
	peer_set_data(p, rm);
	return 0;
}

static void on_open(void *ud, struct peer *p)
{
	struct server *srv = ud;
	struct remote *rm = peer_data(p);
	if (!rm) {
		peer_close(p);
		return;
	}
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
		peer_set_data(p, NULL);
		peer_close(p);
		return;
	}
	s->srv = srv;
	s->peer = p;
	s->remote = rm;
	s->next = srv->sessions;
	if (srv->sessions)
		srv->sessions->prev = s;
	srv->sessions = s;
	peer_set_data(p, s);
	if (rm->sess) {
		log_info("%s: new session replaces the old one", rm->name);
		struct session *old = rm->sess;
		old->remote = NULL;
		peer_close(old->peer);
	}
	rm->sess = s;
	char addr[PEER_ADDR_MAX];
	peer_remote_addr(p, addr, sizeof addr);
	log_info("%s (%s): session open from %s", rm->name,
	         store_role_name(rm->role), addr);
}

static void on_message(void *ud, struct peer *p, const uint8_t *msg, size_t len)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s || !s->remote || srv->closing)
		return; /* replaced or unpaired: it speaks for no one */
	dispatch_request(srv, s, msg, len);
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s)
		return;
	if (s->remote) {
		log_info("%s: session closed (%s)", s->remote->name,
		         peer_reason_name(reason));
		if (s->remote->sess == s)
			s->remote->sess = NULL;
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

static void on_handshake_fail(void *ud, int reason, const char *addr)
{
	(void)ud;
	log_info("%s: connection ended before a session (%s)", addr,
	         peer_reason_name(reason));
}

void session_callbacks(struct server *srv, struct peer_callbacks *cb)
{
	cb->ud = srv;
	cb->admit = on_admit;
	cb->accept = on_accept;
	cb->on_open = on_open;
	cb->on_message = on_message;
	cb->on_close = on_close;
	cb->on_handshake_fail = on_handshake_fail;
}

void session_send(struct session *s, const uint8_t *buf, size_t len)
{
	int e = peer_send(s->peer, buf, len);
	if (e < 0)
		log_warn("%s: reply not sent (%s)", srv_who(s->remote), strerror(-e));
}

void session_drop_unpaired(struct server *srv, struct session *s, uint64_t id,
                           int type)
{
	struct remote *rm = s->remote;
	if (type >= 0)
		dispatch_refuse(srv, s, id, type, MSG_E_ROLE, "unpaired", 0);
	log_warn("%s: no longer paired: session closed", rm->name);
	srv_audit(srv, rm->name, "session closed: no longer paired");
	peer_close_flush(s->peer, 0);
	remote_forget(srv, rm);
}
