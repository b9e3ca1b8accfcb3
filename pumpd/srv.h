/*
 * pumpd/srv.h — the running server's own data, shared by the files that make
 * up pumpd/server.h and by nothing else:
 */
#ifndef PTM_PUMPD_SRV_H
#define PTM_PUMPD_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/msg.h"
#include "net/peer.h"
#include "pumpd/clock.h"
#include "pump/pump.h"
#include "pumpd/ratelimit.h"
#include "pumpd/srclimit.h"
#include "pumpd/statelock.h"
#include "pumpd/store.h"

/*
 *   server.c    life cycle: open the state, catch up, listen, stop
 *   session.c   peer callbacks: handshakes (rate limits, pairing, message-1
 *               timestamps), one live session per remote, closes
 *   dispatch.c  one request: decode, request ids, roles, one transaction,
 *               the reply remembered and sent, then the notifications
 *   request.c   what each request type does to the pump
 *   ticker.c    the model's timer: wake at the pump's next event
 *   change.c    a change of its own (ticker, control socket, start, stop)
 *   stage.c     the clinic's edition-3 requests (staged programming,
 *               the alarm test)
 *   notify.c    notifications: audit rows and notes of model events,
 *               sequence numbers, broadcast
 *   linkfault.c the tester's link faults, on requests and replies
 *   audit.c     audit rows
 *   remote.c    the paired remotes in memory, and whether still paired
 *   batch.c     the turn's group commit
 *   edition.c   what an edition-N session reads (replies, events)
 *   srv.c       small helpers they all use (below)
 *
 * Each file calls only files below it in this list; the few calls back up
 * (from the batch after its commit, from a broadcast that meets an unpaired
 * remote, from srv_send to the link faults) go through srv->hooks, which
 * server.c sets.
 *
 * Memory: struct server owns its remotes (list), sessions (list), store,
 * key, timer and link faults (srv->lf); a session is freed in its peer's
 * on_close, a remote when it is forgotten or at close.  A session's remote
 * pointer is NULL once the session no longer speaks for it (replaced,
 * unpaired).
 */

#define SRV_EVENTS_MAX 64            /* model events kept per change */
#define SRV_NOTES_MAX  (SRV_EVENTS_MAX + 16)

struct session;
struct control;
struct linkfault;

/* A paired remote as the running pump knows it (the daemon is the only
 * writer of the state while it runs, so this is the truth; the store has
 * the same rows). */
struct remote {
	int64_t id;                  /* store row id */
	char name[STORE_NAME_MAX + 1];
	int role;                    /* enum store_role */
	uint8_t pub[32];
	int64_t paired_ms;
	int64_t last_seen_ms;        /* wall clock of its last handshake */
	int has_tai;
	uint8_t tai[12];             /* newest accepted message-1 timestamp */
	int tai_dirty;               /* tai/last_seen not yet stored (disk full) */
	int unpaired;                /* no longer in the set: its session keeps
	                                it until the session finds out */
	uint64_t last_req_id;        /* request-id memory */
	size_t reply_len;
	uint8_t *reply;              /* the encoded reply to last_req_id
	                                (malloc'd, reply_len bytes) */
	struct session *sess;        /* its live session, or NULL */
	struct ratelimit rl;         /* its handshakes */
	int have_ss;
	uint8_t ss[32];              /* DH(pump static, pub), cached for its
	                                handshakes; zeroed when freed */
	struct remote *next;         /* in remote_set.list */
	struct remote *hnext;        /* in its hash bucket */
};

/* The paired remotes: a list (for iteration) and a hash on the public key
 * (pumpd/remote.h). */
struct remote_set {
	struct remote *list;
	struct remote **bucket;
	size_t nbucket;              /* a power of two, or 0 */
	size_t count;
	size_t dirty;                /* remotes with tai_dirty set */
	int dirty_warned;            /* said so in the log since the last commit */
};

struct session {
	struct server *srv;
	struct peer *peer;
	struct remote *remote;       /* NULL: replaced or unpaired */
	uint32_t accept;             /* HELLO's accept bits (pumpd/edition.h) */
	struct session *next, *prev;
};

/* Notifications of one change, sent after its commit. */
struct notes {
	unsigned n;
	struct { uint8_t event, alarm; } e[SRV_NOTES_MAX];
};

/* One held reply of the open batch (pumpd/batch.h). */
struct batch_entry {
	struct session *s;           /* NULL: its session closed */
	struct remote *rm;           /* a change: whose memory it set */
	int kind;                    /* BATCH_CHANGE, _READ, _PLAIN (batch.c) */
	uint64_t id;                 /* a change: the request's id and type */
	uint8_t type;
	uint64_t prev_id;            /* a change: rm's memory before it */
	uint8_t *prev_reply;
	size_t prev_len;
	struct msg_request *q;       /* a read: the request (malloc'd) */
	uint8_t *reply;              /* what to send (malloc'd) */
	size_t len;
};

/* The turn's group commit (pumpd/batch.h). */
struct batch {
	int open;                    /* a transaction is open */
	int err;                     /* a statement in it failed: undo */
	pump committed;              /* the pump and clock before the turn */
	struct pclock committed_clk;
	struct batch_entry *e;
	size_t n, cap;
	struct { uint8_t event, alarm; } *note;
	size_t nnotes, notecap;
	int state_noted;             /* a `state` note is among them */
	int pump_dirty;              /* srv->pump changed: stored once, at the
	                                commit (batch_pump_changed) */
	uv_check_t check;            /* commits at the end of the turn */
	uv_idle_t idle;              /* no blocking poll while open */
	uv_timer_t lazy;             /* commits a batch of what may wait */
};

/* A burst of one security event (pumpd/audit.h). */
#define AUDIT_BURSTS 16
struct audit_burst {
	int used, kind;
	char key[64];
	uint64_t more;               /* events after the first */
	int64_t first_mono, last_mono;
};

/* What the lower files ask of the higher ones (set by server.c). */
struct srv_hooks {
	/* batch.c, after a commit that failed: a change refused, a read
	 * answered again (dispatch.c) */
	void (*refuse)(struct server *srv, struct session *s, uint64_t id,
	               int type, int err, const char *detail, uint64_t last_id);
	void (*read_again)(struct server *srv, struct session *s,
	                   const struct msg_request *q);
	/* batch.c, after a commit: the turn's notes to every session
	 * (notify.c), the model's timer armed again (ticker.c) */
	void (*send_notes)(struct server *srv, const struct notes *ns,
	                   const struct msg_state *st);
	void (*after_commit)(struct server *srv);
	/* notify.c: a session whose remote is no longer paired is closed
	 * (dispatch.c) */
	void (*drop_unpaired)(struct server *srv, struct session *s,
	                      uint64_t id, int type);
	/* srv_send: 1 when a tester's link fault took the reply
	 * (linkfault.c), 0 to send it; NULL: no link faults */
	int (*on_send)(struct server *srv, struct session *s,
	               const uint8_t *buf, size_t len);
};

struct server {
	uv_loop_t *loop;
	struct srv_hooks hooks;
	struct statelock lock;       /* the state directory: ours alone */
	struct control *control;     /* DIR/control.sock (control.h) */
	struct peer_server *ps;
	struct store *st;
	struct druglib *druglib;     /* PROGRAM's and STAGE's limits, or NULL */
	keys_secret *key;
	uv_timer_t timer;            /* ticker.c */
	int sim;                     /* simulated clock */
	struct pclock clk;
	pump pump;                   /* as of the last commit, or the open
	                                batch's working state; changed only
	                                by srv_set_pump */
	uint64_t pump_gen;           /* counts those changes */
	struct {                     /* the state block of pump_gen at now_ms */
		uint64_t gen;
		int64_t now_ms;
		struct msg_state st;
	} state_cache;
	struct batch batch;
	struct linkfault *lf;        /* the tester's link faults (linkfault.c
	                                allocates and frees it), or NULL */
	struct {
		struct audit_burst burst[AUDIT_BURSTS];
		unsigned since_trim;     /* rows since the log was last trimmed */
		uv_timer_t timer;        /* closes ended bursts */
	} audit;
	uint64_t boot;               /* this start's number, stored at start */
	uint32_t seq_n;              /* notifications sent in this start */
	struct remote_set remotes;
	struct session *sessions;
	struct srclimit src;         /* TCP connections by source address */
	int closing;
	void (*close_cb)(void *);
	void *close_ud;
	int pending_closes;
	/* scratch for one change (the loop runs one at a time) */
	struct msg_reply reply;
	uint8_t buf[MSG_MAX];
	pump_event events[SRV_EVENTS_MAX];
	unsigned nevents, lost_events;
};

/* The pump's clock now. */
int64_t srv_now(const struct server *srv);

/* The pump (and its clock, unless clk is NULL) is now *p. */
void srv_set_pump(struct server *srv, const pump *p, const struct pclock *clk);

/* The state block of the pump at now (computed once per pump and ms: a
 * burst of reads in one ms shares it). */
void srv_state(struct server *srv, int64_t now, struct msg_state *st);

/* Advance p to now, keeping the model's events in srv->events (reset
 * first; events beyond SRV_EVENTS_MAX are counted in lost_events). */
void srv_advance(struct server *srv, pump *p, int64_t now);

/* A pump_event_fn (ud = srv) that appends to srv->events: for the model's
 * actions, after srv_advance. */
void srv_collect(void *ud, const pump_event *ev);

/* Store p as the pump's state (inside the caller's transaction). */
int srv_save_pump(struct server *srv, const pump *p);

/* Queue bytes for s's remote; a failure is logged. */
void srv_send(struct session *s, const uint8_t *buf, size_t len);

/* "1.500 mg" for a whole number of µg from 1 mg up, else "500000 ng". */
void srv_fmt_ng(char *buf, size_t n, uint64_t ng);

/* The name a remote is logged under ("pump" for none). */
const char *srv_who(const struct remote *rm);

#endif
