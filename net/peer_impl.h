/*
 * net/peer_impl.h — the structs behind the opaque handles of net/peer.h and
 * the calls between the files of the peer, shared by those files only.
 */
#ifndef PTM_NET_PEER_IMPL_H
#define PTM_NET_PEER_IMPL_H

#include "net/peer.h"

#include "crypto/noise.h"
#include "net/frame.h"

/*
 * The files:
 *   peer.c         one connection: lifetime and closing, reading and the
 *                  transport, deadlines and keepalive, the write queue,
 *                  the flushing close
 *   peer_hs.c      the handshake steps: connecting and message 1
 *                  (initiator), message 1 and 2 (responder), message 2
 *                  (initiator), opening the session
 *   peer_server.c  listeners, accepting (admit, placing a connection in
 *                  the pre-auth budget, a connection without memory, the
 *                  per-turn bound), closing and shutting down
 *   peer_src.c     sources and the budgets: who a connection is from, the
 *                  pre-auth connections of each source, whom to evict
 *   peer_replay.c  the set of recent message-1 ephemeral keys
 *   peer_addr.c    address strings and socket addresses
 * Calls run one way, down to peer.c (the connection core), which calls up
 * only through the struct peer_up its maker gives it.  Nothing else
 * includes this header.
 *
 * Memory: a server's peers share one read buffer; an open, idle peer holds
 * about 1.3 KB of heap (handles, keys, deadlines), plus a 4 KB frame
 * reader only while a frame is incomplete, plus up to 4 KB of read bytes
 * while held back for fairness, plus its queued writes (<= write_cap).
 * A server holds its replay set (about 180 KB) and a source table.
 *
 * Fairness (responder peers): a peer hands at most srv->per_turn frames to
 * its callbacks per loop turn (srv->turn, counted by the server's prepare
 * handle).  Bytes of a read left over when its share is used up are copied
 * into p->held, reading stops, and the peer waits on srv's held list; the
 * prepare callback of the next turn feeds them on (another share), and
 * when they are used up reading starts again.  While any peer is held the
 * server's idle handle is active, so the loop polls without blocking and
 * the held bytes are not left waiting for I/O.  A peer is held only
 * between frames (its frame reader empty): no frame deadline runs for
 * bytes that we, not the other side, hold back.
 *
 * Lifetime: a peer owns two handles, its stream and its timer.  Closing
 * (peer_fail) stops reading, closes both and marks the peer P_CLOSING; the
 * memory is freed in the second close callback, after libuv has called
 * every pending write callback.  So any callback may close any peer (or
 * the server) and the code that called it keeps a valid pointer until it
 * returns to the loop: after a callback we look at p->state, never at a
 * freed peer.
 */

enum peer_state {
	P_CONNECTING = 1, /* initiator: TCP/unix connect in progress */
	P_HANDSHAKE,      /* waiting for message 1 (responder) or 2 (initiator) */
	P_OPEN,
	P_FLUSHING,       /* peer_close_flush: draining writes, then closing */
	P_CLOSING,
};

/* Who a connection is from: an IPv4 address, an IPv6 /64, a unix peer's
 * uid and pid, or "unknown" (one source for all that have no name). */
struct peer_srckey {
	uint32_t kind;
	uint8_t b[12];
};
#define PEER_SRC_UNKNOWN 0
#define PEER_SRC_IP4     1
#define PEER_SRC_IP6     2
#define PEER_SRC_UNIX    3

struct peer_source {
	struct peer_srckey key;
	unsigned count;               /* its pre-auth peers */
	struct peer *head, *tail;     /* them, oldest first */
	struct peer_source *hnext;    /* hash chain */
	struct peer_source *next, *prev; /* every source */
};

struct peer_up;

/* A stream handle: TCP or unix. */
union peer_stream {
	uv_handle_t h;
	uv_stream_t s;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct peer {
	union peer_stream u;
	uv_timer_t timer;
	union {
		uv_connect_t creq;    /* initiator, while P_CONNECTING */
		uv_shutdown_t sreq;   /* while P_FLUSHING */
	} r;
	uv_loop_t *loop;
	struct peer_server *srv;      /* responder: the server, else NULL */
	struct peer *next, *prev;     /* in srv->peers */
	struct peer_callbacks cb;
	const struct peer_up *up;     /* the calls up (never NULL) */
	struct peer_limits lim;
	int initiator;
	int state;                    /* enum peer_state */
	int opened;                   /* on_open was called */
	int silent;                   /* no callback at all (setup failed) */
	int reason;                   /* why it is closing */
	int handles;                  /* handles still to close */
	int shut_done;                /* flushing: queue drained, write side shut */
	int eof_seen;                 /* flushing: the other side closed */
	int proven;                   /* responder: on_proven was due/called */
	int is_session;               /* counted in srv->n_sessions */
	/* responder, pre-auth: its source and its place in the source's list
	 * (oldest first), the loop turn it was placed in; or parked: taken
	 * from the listener but waiting for room in the budget */
	struct peer_source *src;
	struct peer *snext, *sprev;
	uint64_t placed_turn;
	struct peer_listener *parked_on;
	struct peer_srckey parked_key;
	/* initiator: a unix connect refused with EAGAIN is tried again at
	 * retry_at (0: none); the stream handle is closing for it (rehandle) */
	uint64_t retry_at;
	uint32_t retry_ms;
	int rehandle;
	noise_hs hs;
	noise_cipher tx, rx;
	uint8_t rs[PEER_KEYLEN];
	int have_rs;
	uint8_t hash[32];
	uint8_t test_ts[PEER_TAI64N_LEN]; /* initiator, tests: fixed timestamp */
	int have_test_ts;
	/* reading: bytes land in scratch (the server's, shared by its peers,
	 * or the initiator's own) and are cut into frames there; only a frame
	 * still incomplete when a read ends moves to fr, allocated for it and
	 * freed once it is complete, so an idle session holds no buffer */
	struct peer_scratch *scratch;
	int own_scratch;              /* scratch came with the peer */
	struct frame_reader *fr;      /* a partial frame, else NULL */
	uint64_t hs_deadline;
	uint64_t frame_deadline;      /* 0: no frame started */
	uint64_t flush_deadline;      /* P_FLUSHING: close by then */
	struct peer_wreq *cork;       /* peer_cork: frames held, in one buffer */
	size_t cork_cap;              /* bytes of cork->buf allocated */
	int corked;
	uint64_t last_send, last_recv;
	uint64_t timer_at;            /* loop time the timer is armed for */
	/* fairness (responder only): frames handled in turn `turn` */
	uint64_t turn;
	unsigned turn_frames;
	/* bytes read but not yet fed, held[held_off..held_len) (malloc'd;
	 * NULL when none); reading is stopped while held_on */
	uint8_t *held;
	size_t held_len, held_off;
	int held_on;                  /* reading stopped for fairness */
	int held_queued;              /* on srv's held list */
	uint64_t held_turn;           /* the turn it was put on the list */
	struct peer *hnext, *hprev;   /* in srv's held list */
	void *data;
	char addr[PEER_ADDR_MAX];
};

/* Read buffer and frame reader used during one read callback only.  One
 * per server (its peers run on one loop, one callback at a time) or per
 * initiator. */
struct peer_scratch {
	uint8_t rbuf[FRAME_MAX + FRAME_HDR];
	struct frame_reader fr;
};

struct peer_listener {
	union peer_stream u;
	/* a connection we cannot serve (no memory) is accepted into spare and
	 * closed at once: libuv stops watching a listener whose connection
	 * was not accepted, so leaving it would stop all accepting */
	union peer_stream spare;
	int spare_busy;               /* spare is closing */
	int pending;                  /* a connection waits for uv_accept */
	struct peer *parked;          /* accepted, waiting for room (at most one;
	                                 accepting waits while it is there) */
	uint64_t acc_turn;            /* connections taken in turn acc_turn */
	unsigned acc_n;
	unsigned ref_n;               /* of this turn's, refused at admit */
	struct peer_server *srv;
	int kind;
	int inited;
	char path[108];
};

struct peer_server {
	uv_loop_t *loop;
	struct peer_listener l[PEER_LISTEN_MAX];
	unsigned n_listen;
	unsigned handles;             /* listener and spare handles not closed */
	const uint8_t *key;           /* the caller's static private key (never
	                                 copied: it stays in guarded memory) */
	uint8_t test_eph[32];
	int have_test_eph;
	void *(*test_alloc)(size_t n);
	struct peer_scratch scratch;  /* for every peer's reads */
	noise_hs hs0;                 /* a responder's state before message 1 */
	struct peer_replay *replay;
	unsigned max_sessions, max_preauth, per_source;
	unsigned n_sessions, n_preauth;
	struct peer_srctab *sources;
	unsigned per_turn;            /* frames per peer per loop turn */
	uint64_t turn;                /* loop turns seen by prep */
	uv_prepare_t prep;            /* counts turns, resumes held peers */
	uv_idle_t idle;               /* active while a peer is held */
	int turn_inited;              /* prep and idle initialised */
	struct peer *held_head, *held_tail; /* held peers, oldest first */
	struct peer_limits lim;
	struct peer_callbacks cb;
	struct peer *peers;
	unsigned count;
	int closing;
	void (*close_cb)(void *ud);
	void *close_ud;
};

/* One queued write: a frame (header + body), freed in its callback. */
struct peer_wreq {
	uv_write_t req;
	struct peer *p;
	size_t len;
	uint8_t buf[];
};

/* What the connection core (peer.c) asks of the files above it: the
 * handshake (peer_hs.c) and, for a responder, its server (peer_server.c,
 * the srv_ calls, made only when p->srv is set). */
struct peer_up {
	/* a whole frame while in P_HANDSHAKE */
	void (*hs_frame)(struct peer *p, const uint8_t *in, size_t len);
	/* initiator: connect again after peer_connect_retry */
	void (*connect_again)(struct peer *p);
	/* p's handles are closed: off srv's list, before p is freed; then
	 * srv may be finished (closing and empty) after p is freed */
	void (*srv_unlink)(struct peer_server *srv, struct peer *p);
	void (*srv_maybe_done)(struct peer_server *srv);
	/* p opened: from the pre-auth budget to the sessions; p starts
	 * closing: it leaves the budgets */
	void (*srv_opened)(struct peer_server *srv, struct peer *p);
	void (*srv_leave)(struct peer_server *srv, struct peer *p);
	/* fairness: onto srv's held list, off it */
	void (*srv_hold)(struct peer_server *srv, struct peer *p);
	void (*srv_unhold)(struct peer_server *srv, struct peer *p);
};

/* ---- peer.c ---- */

/* A zeroed peer with limits (defaults filled in), callbacks and its calls
 * up, its handshake deadline running.  scratch: the server's (then alloc,
 * as calloc(1, n), NULL = calloc, allocates the peer), or NULL: the peer
 * gets its own, in the same allocation.  NULL when out of memory. */
struct peer *peer_alloc(uv_loop_t *loop, const struct peer_limits *lim,
                        const struct peer_callbacks *cb,
                        const struct peer_up *up,
                        struct peer_scratch *scratch,
                        void *(*alloc)(size_t n));
/* Initialise the stream (PEER_ADDR_TCP / _UNIX) and the timer: from then
 * on the peer ends through peer_fail.  On failure (< 0) either nothing is
 * open (p->handles == 0: peer_free it) or the peer is closing silently. */
int peer_init_handles(struct peer *p, int kind);
/* Wipe and free a peer that has no open handle. */
void peer_free(struct peer *p);
/* Start closing (once): stop reading, close both handles; on_close or
 * on_handshake_fail with reason follows from the close callbacks. */
void peer_fail(struct peer *p, int reason);
/* Arm the timer for the earliest deadline of p's state. */
void peer_rearm(struct peer *p);
/* uv_read_start with the peer's reader; 0 or a libuv error. */
int peer_read_start(struct peer *p);
/* A write request with room for a body of body bytes, its frame header
 * filled in; NULL when out of memory. */
struct peer_wreq *peer_wreq_new(struct peer *p, size_t body);
/* Queue w (owned from here on).  0, or -EPIPE with p failed. */
int peer_write_frame(struct peer *p, struct peer_wreq *w);
/* f[0..total): whole frames, with nothing queued or corked before them:
 * handed to the kernel at once (uv_try_write), only what it does not take
 * copied into a write request, so no allocation, write callback or poll
 * change when the socket keeps up.  f is zeroed.  0, or -EPIPE / -ENOMEM
 * with p failed. */
int peer_write_bytes(struct peer *p, uint8_t *f, size_t total);
/* Initiator, connect refused with EAGAIN: close the stream handle and
 * connect again in a fresh one after wait_ms (peer_connect_again). */
void peer_connect_retry(struct peer *p, uint32_t wait_ms);
/* peer_close_flush's work, for an open peer. */
void peer_start_flush(struct peer *p, uint32_t deadline_ms, int reason);
/* End a flush now: reason kept if the queue had drained, else
 * PEER_R_FLUSH_DEADLINE. */
void peer_flush_cut(struct peer *p);

/* ---- peer_hs.c ---- */

/* A whole frame while in P_HANDSHAKE: message 1 (responder) or 2
 * (initiator).  On success the session is open (on_open called); on
 * failure p is failed. */
void peer_hs_frame(struct peer *p, const uint8_t *in, size_t len);

/* Fairness: resume a held peer (called by the server's prepare handle,
 * p already off the held list); it goes back on the list if its bytes
 * outlast this turn's share. */
void peer_resume(struct peer *p);
/* Take p off the held state: off the list, held bytes dropped (freed in
 * peer_free: a callback may be running on them); returns 1 if reading was
 * stopped for fairness (the caller restarts it if it wants to read). */
int peer_unhold(struct peer *p);

/* ---- peer_server.c ---- */


/* ---- peer_src.c ---- */

/* The table: NULL when out of memory. */
struct peer_srctab *peer_src_new(unsigned max_preauth);
void peer_src_free(struct peer_srctab *t);
/* The key of a socket address; of unix credentials (cred NULL: unknown). */
void peer_src_key_sa(const struct sockaddr *sa, struct peer_srckey *k);
void peer_src_key_cred(const struct peer_cred *cred, struct peer_srckey *k);
/* Place p (key k) among srv's pre-auth connections: evicts at most one
 * other (PEER_R_EVICTED) to make room.  0 placed; -EAGAIN nothing may be
 * evicted now (p not placed: try again next turn); -ENOMEM. */
int peer_src_place(struct peer_server *srv, struct peer *p,
                   const struct peer_srckey *k);
/* p leaves the pre-auth budget (opened or closing); no effect if not in it. */
void peer_src_leave(struct peer_server *srv, struct peer *p);

/* ---- peer_replay.c ---- */

struct peer_replay *peer_replay_new(void);
void peer_replay_free(struct peer_replay *r);
/* 1 if e (32 bytes) is among the last PEER_REPLAY_SLOTS added */
int peer_replay_seen(const struct peer_replay *r, const uint8_t e[32]);
void peer_replay_add(struct peer_replay *r, const uint8_t e[32]);

/* ---- peer_addr.c ---- */

/* a (parsed, tcp) as a socket address: 0 or -EINVAL */
int peer_addr_sockaddr(const struct peer_addr *a, struct sockaddr_storage *ss);
/* "tcp:1.2.3.4:5", "tcp:[::1]:5", else "unix:" */
void peer_addr_format(const struct sockaddr_storage *ss, char *buf, size_t n);

#endif
