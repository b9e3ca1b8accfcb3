/* pumpd/session.c — handshakes and sessions (see session.h). */
#include "pumpd/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "pumpd/audit.h"
#include "pumpd/batch.h"
#include "pumpd/dispatch.h"
#include "pumpd/linkfault.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"
#include "pumpd/remote.h"

/* Before any key work: TCP connections are rate limited by source. */
static int on_admit(void *ud, const struct sockaddr *sa,
                    const struct peer_cred *cred, const char *addr)
{
	struct server *srv = ud;
	int first = 0;
	(void)cred;   /* unix peers are sources of net/peer's budgets */
	if (srv->closing)
		return -1;
	if (srclimit_admit(&srv->src, sa, pclock_mono_ms(), &first))
		return 0;
	audit_burst(srv, STORE_EV_LIMIT, "source rate", "connections refused from "
	            "%s: more than %d at once or %d a second from one source", addr,
	            SRCLIMIT_BURST, SRCLIMIT_PER_S);
	return -1;
}

/* After message 1's first DH: is this key paired?  From memory; an
 * unknown key is refused before the second DH. */
static int on_lookup(void *ud, const uint8_t key[PEER_KEYLEN])
{
	struct server *srv = ud;
	if (remote_find(srv, key))
		return 0;
	char b64[KEYS_B64LEN];
	keys_format_public(key, b64);
	audit_burst(srv, STORE_EV_HANDSHAKE, "unknown key", "handshake refused: "
	            "unknown key %s", b64);
	return -1;
}

/* After lookup: ss = DH(pump static, key), computed on the remote's first
 * handshake and kept with it (zeroed when it is unpaired or pumpd exits). */
static int on_static_dh(void *ud, const uint8_t key[PEER_KEYLEN], uint8_t ss[32])
{
	struct server *srv = ud;
	struct remote *rm = remote_find(srv, key);
	if (!rm)
		return -1;
	if (!rm->have_ss) {
		if (noise_static_dh(rm->ss, keys_secret_priv(srv->key), key) < 0)
			return -1;   /* a low-order key: the handshake refuses it */
		rm->have_ss = 1;
	}
	memcpy(ss, rm->ss, 32);
	return 0;
}

/* "3h12m" for a span of ms (rounded down to what a person reads). */
static void span(char *buf, size_t n, int64_t ms)
{
	int64_t s = ms / 1000 % (100000LL * 86400);   /* fits: < 100000 days */
	if (s < 120)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, n, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, n, "%lldh%02lldm", (long long)(s / 3600),
		         (long long)(s / 60 % 60));
	else
		snprintf(buf, n, "%lldd", (long long)(s / 86400));
}

/* The timestamp's verdict: 0 when it is newer than the remote's last and
 * not ahead of the pump's clock by more than SESSION_CLOCK_AHEAD_MS; else
 * -1 and the reason in why. */
static int check_tai(const struct remote *rm, const uint8_t tai[PEER_TAI64N_LEN],
                     int64_t wall, char *why, size_t n)
{
	int64_t sec = 0;
	uint32_t nsec = 0;
	char d[16];
	/* before 1970 or past what milliseconds hold: invalid */
	if (tai64n_to_unix(tai, &sec, &nsec) < 0 || (sec == 0 && nsec == 0) ||
	    sec < 0 || sec > INT64_MAX / 1000 - 1) {
		snprintf(why, n, "timestamp zero or invalid");
		return -1;
	}
	int64_t ms = sec * 1000 + nsec / 1000000;
	if (ms > wall + SESSION_CLOCK_AHEAD_MS) {
		span(d, sizeof d, ms - wall);
		snprintf(why, n, "timestamp %s ahead of the pump's clock", d);
		return -1;
	}
	if (!rm->has_tai && ms < rm->paired_ms - SESSION_CLOCK_BEHIND_PAIRING_MS) {
		span(d, sizeof d, rm->paired_ms - ms);
		snprintf(why, n, "first timestamp %s before its pairing", d);
		return -1;
	}
	if (rm->has_tai && tai64n_cmp(tai, rm->tai) <= 0) {
		int64_t lsec = 0;
		uint32_t lnsec = 0;
		tai64n_to_unix(rm->tai, &lsec, &lnsec);
		span(d, sizeof d, lsec * 1000 + lnsec / 1000000 - ms);
		snprintf(why, n, "timestamp %s behind its last handshake (a replay, "
		         "or the remote's clock went back)", d);
		return -1;
	}
	return 0;
}

static int on_accept(void *ud, struct peer *p, const uint8_t key[PEER_KEYLEN],
                     const uint8_t tai[PEER_TAI64N_LEN])
{
	struct server *srv = ud;
	char addr[PEER_ADDR_MAX], why[160], key_[80];
	if (srv->closing)
		return -1;
	struct remote *rm = remote_find(srv, key);
	if (!rm)
		return -1;
	peer_remote_addr(p, addr, sizeof addr);
	/* the bound: the pump's own clock on the real clock (it never goes
	 * back: clock.h); the wall clock when the pump's time is simulated */
	int64_t wall = pclock_wall_ms();
	int64_t ref = srv->sim ? wall : srv_now(srv);
	if (check_tai(rm, tai, ref, why, sizeof why) < 0) {
		/* refused silently, as every refusal (docs/PROTOCOL.md, 4), and
		 * not stored: a timestamp far ahead locks no remote out */
		snprintf(key_, sizeof key_, "%s clock", rm->name);
		audit_burst(srv, STORE_EV_HANDSHAKE, key_, "%s: handshake refused: %s "
		            "(from %s)", rm->name, why, addr);
		return -1;
	}
	if (!ratelimit_take(&rm->rl, pclock_mono_ms(), SESSION_RL_REMOTE_BURST,
	                    SESSION_RL_REMOTE_PER_S)) {
		snprintf(key_, sizeof key_, "%s rate", rm->name);
		audit_burst(srv, STORE_EV_LIMIT, key_, "%s: handshake refused: more "
		            "than %d at once or %d a second (from %s)", rm->name,
		            SESSION_RL_REMOTE_BURST, SESSION_RL_REMOTE_PER_S, addr);
		return -1;
	}
	remote_seen(srv, rm, tai, wall);
	/* on_open follows at once (net/peer), before rm could be forgotten */
	peer_set_data(p, rm);
	return 0;
}

static void on_open(void *ud, struct peer *p)
{
	struct server *srv = ud;
	struct remote *rm = peer_data(p);
	peer_set_data(p, NULL);
	if (!rm || rm->unpaired) {
		peer_close(p);
		return;
	}
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
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
	/* with no live session this one is the remote's at once; else the
	 * old one stays until this one is proven (on_proven) */
	if (!rm->sess)
		rm->sess = s;
	char addr[PEER_ADDR_MAX];
	peer_remote_addr(p, addr, sizeof addr);
	log_info("%s (%s): session open from %s", rm->name,
	         store_role_name(rm->role), addr);
	audit_row(srv, STORE_EV_SESSION, rm, "session opened from %s", addr);
}

/* Its first transport message decrypted: the initiator holds the keys of
 * this handshake, so message 1 was not replayed by someone else.  Only now
 * does it take the place of the remote's older session. */
static void on_proven(void *ud, struct peer *p)
{
	(void)ud;
	struct session *s = peer_data(p);
	struct remote *rm = s ? s->remote : NULL;
	if (!rm || rm->sess == s)
		return;
	if (rm->sess) {
		log_info("%s: new session proven: it replaces the old one", rm->name);
		struct session *old = rm->sess;
		old->remote = NULL;
		peer_close(old->peer);
	}
	rm->sess = s;
}

static void on_message(void *ud, struct peer *p, const uint8_t *msg, size_t len)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s || !s->remote || srv->closing)
		return; /* replaced or unpaired: it speaks for no one */
	if (linkfault_on_request(srv, s, msg, len))
		return; /* a tester's link fault took it */
	dispatch_request(srv, s, msg, len);
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s)
		return;
	batch_forget_session(srv, s);
	linkfault_forget_session(srv, s);
	struct remote *rm = s->remote;
	if (rm) {
		log_info("%s: session closed (%s)", rm->name,
		         peer_reason_name(reason));
		if (reason == PEER_R_DECRYPT) {
			char key[80];
			snprintf(key, sizeof key, "%s decrypt", rm->name);
			audit_burst(srv, STORE_EV_DECRYPT, key, "%s: a message did not "
			            "decrypt (tampered with, or corrupted): session "
			            "closed", rm->name);
		} else if (!srv->closing) {
			audit_row(srv, STORE_EV_SESSION, rm, "session closed (%s)",
			          peer_reason_name(reason));
		}
		if (rm->sess == s)
			rm->sess = NULL;
		if (rm->unpaired && !rm->sess)
			remote_forget(srv, rm);   /* the session kept it alive */
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

/* A connection that ended before a session: refusals the pump made are
 * security events, summarised; the rest (a peer that gave up) only logged. */
static void on_handshake_fail(void *ud, int reason, const char *addr)
{
	struct server *srv = ud;
	const char *cause = NULL;
	int kind = STORE_EV_HANDSHAKE;
	switch (reason) {
	case PEER_R_REPLAY: cause = "message 1 replayed"; break;
	case PEER_R_HANDSHAKE: cause = "message 1 malformed or for another pump key"; break;
	case PEER_R_EVICTED: cause = "evicted by newer connections"; kind = STORE_EV_LIMIT; break;
	case PEER_R_FULL: cause = "too many sessions"; kind = STORE_EV_LIMIT; break;
	case PEER_R_HS_DEADLINE: cause = "handshake not done in time"; kind = STORE_EV_LIMIT; break;
	default:
		log_debug("%s: connection ended before a session (%s)", addr,
		          peer_reason_name(reason));
		return;
	}
	if (srv->closing)
		return;
	audit_burst(srv, kind, cause, "connection refused: %s (from %s)", cause, addr);
}

void session_callbacks(struct server *srv, struct peer_callbacks *cb)
{
	cb->ud = srv;
	cb->admit = on_admit;
	cb->lookup = on_lookup;
	cb->static_dh = on_static_dh;
	cb->accept = on_accept;
	cb->on_open = on_open;
	cb->on_proven = on_proven;
	cb->on_message = on_message;
	cb->on_close = on_close;
	cb->on_handshake_fail = on_handshake_fail;
}

