/*
 * net/peer.h — one encrypted connection on a libuv stream, either role, and
 * the listener that makes responder peers: the only code that touches a socket.
 */
#ifndef PTM_NET_PEER_H
#define PTM_NET_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

/*
 * The protocol: Noise_IK_25519_ChaChaPoly_SHA256, prologue "ptm-pump/1",
 * over frames (crypto/noise.h, net/frame.h, docs/PROTOCOL.md): message 1
 * (initiator, payload a TAI64N timestamp), message 2 (responder, empty),
 * then transport messages; an empty one is a keepalive.
 *
 * The listener keeps two budgets.  Sessions (handshake done) are capped by
 * max_sessions: a handshake that would open one more is refused
 * (PEER_R_FULL); nothing else ever closes a session.  Connections still in
 * the handshake ("pre-auth") are capped by max_preauth overall and by
 * preauth_per_source per source (an IPv4 address, an IPv6 /64, or a unix
 * peer's uid and pid).  A new connection over either cap evicts the oldest
 * pre-auth connection of its own source, or overall of the source holding
 * the most (PEER_R_EVICTED); one accepted in this loop turn or the last is
 * never evicted: when nothing can be, accepting waits for the next turn.
 * Message 1 is refused as cheaply as possible: its length; a repeated
 * ephemeral key (PEER_R_REPLAY, no DH); then one DH and lookup(); the
 * second DH and accept() only for a key the caller knows.
 *
 * Lifetime: on_close comes exactly once for every peer that had on_open
 * and for every peer from peer_connect; a responder peer that ends before
 * on_open is reported only to on_handshake_fail (not after a refusal by a
 * callback).  Any callback may call peer_send / peer_close on any peer and
 * peer_server_close; memory is freed in libuv close callbacks only.
 * Errors are negative: errno values from functions, PEER_R_* as reasons.
 */

#define PEER_KEYLEN     32
#define PEER_TAI64N_LEN 12
#define PEER_LISTEN_MAX 4
#define PEER_ADDR_MAX   128  /* room for any address string we print */

/* defaults for a config value of 0 */
#define PEER_DEF_HANDSHAKE_MS 5000u
#define PEER_DEF_FRAME_MS     5000u
#define PEER_DEF_KEEPALIVE_MS 10000u
#define PEER_DEF_DEAD_MS      35000u
#define PEER_DEF_WRITE_CAP    (256u * 1024u)
#define PEER_DEF_MAX_SESSIONS 16384u /* sessions (handshake done) at once */
#define PEER_DEF_MAX_PREAUTH  512u   /* connections in the handshake at once */
#define PEER_DEF_PREAUTH_PER_SOURCE 128u /* the same, from one source (a
                                          test suite connects 100 remotes
                                          from one process at once) */
#define PEER_DEF_PER_TURN     8u     /* frames per peer per loop turn */
#define PEER_DEF_FLUSH_MS     2000u  /* peer_close_flush, peer_server_shutdown */

/* fixed */
#define PEER_ACCEPT_PER_TURN  64u    /* connections taken per listener per
                                        loop turn (the rest wait in the
                                        kernel's backlog) */
#define PEER_REFUSE_PER_TURN  1024u  /* connections refused by admit per
                                        listener per loop turn (cheap: they
                                        do not count in the share above) */
/* listen(2) backlogs (the kernel caps them at net.core.somaxconn).  A
 * long queue delays a remote behind the connections ahead of it; a full
 * one refuses it: a unix connect fails with EAGAIN (and is retried, see
 * peer_connect), a TCP SYN is dropped and sent again only after 1 s. */
#define PEER_BACKLOG_TCP      4096
#define PEER_BACKLOG_UNIX     256
#define PEER_REPLAY_SLOTS     4096u  /* message-1 ephemeral keys remembered */
#define PEER_CONNECT_RETRY_MS 25u    /* initiator: longest wait between
                                        unix connects refused with EAGAIN */

/* Why a peer closed (the reason given to on_close / on_handshake_fail). */
#define PEER_R_LOCAL        (-1)   /* peer_close was called */
#define PEER_R_EOF          (-2)   /* the other side closed the connection */
#define PEER_R_IO           (-3)   /* a read or write failed */
#define PEER_R_HS_DEADLINE  (-4)   /* handshake not done within handshake_ms */
#define PEER_R_FRAME_DEADLINE (-5) /* a started frame not done within frame_ms */
#define PEER_R_DEAD         (-6)   /* nothing received for dead_ms */
#define PEER_R_DECRYPT      (-7)   /* a transport message failed to decrypt */
#define PEER_R_HANDSHAKE    (-8)   /* a handshake message was refused (bad
                                      bytes, wrong pump key, bad timestamp) */
#define PEER_R_REFUSED      (-9)   /* responder: accept() refused the
                                      initiator; initiator: the pump closed
                                      the connection during the handshake
                                      (not paired, wrong pump key, or an
                                      old timestamp: it never says which) */
#define PEER_R_WRITE_CAP    (-10)  /* the other side does not read */
#define PEER_R_OVERSIZE     (-11)  /* a frame length over 4096 or zero */
#define PEER_R_CONNECT      (-12)  /* could not connect (or bad address) */
#define PEER_R_SHUTDOWN     (-13)  /* peer_server_close */
#define PEER_R_FULL         (-14)  /* responder: max_sessions reached */
#define PEER_R_PROTOCOL     (-15)  /* bytes out of turn, e.g. data during
                                      the handshake or a truncated frame */
#define PEER_R_NOMEM        (-16)
#define PEER_R_NONCE        (-17)  /* the transport nonce ran out */
#define PEER_R_FLUSH_DEADLINE (-18) /* peer_close_flush / peer_server_shutdown:
                                      the write queue did not drain in time
                                      (what was still queued is lost) */
#define PEER_R_EVICTED      (-19)  /* responder: closed in the handshake to
                                      make room for a newer connection */
#define PEER_R_REPLAY       (-20)  /* responder: message 1 repeats an
                                      ephemeral key seen before */
#define PEER_R_LAST         PEER_R_REPLAY  /* the lowest PEER_R_* */

struct peer;
struct peer_server;

/* Deadlines in ms of the loop's clock; 0 = the PEER_DEF_ value. */
struct peer_limits {
	uint32_t handshake_ms;   /* the handshake done within this of the
	                            connection (absolute: trickled bytes do
	                            not extend it) */
	uint32_t frame_ms;       /* a frame done within this of its first
	                            byte (absolute) */
	uint32_t keepalive_ms;   /* nothing sent for this long: a keepalive */
	uint32_t dead_ms;        /* nothing received for this long: closed */
	size_t   write_cap;      /* bytes queued for a slow reader; a send
	                            over it drops the peer (PEER_R_WRITE_CAP) */
};

/* A unix-socket peer's credentials (SO_PEERCRED, at connect time). */
struct peer_cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

struct peer_callbacks {
	void *ud;
	/* responder only, optional: a new connection, before any byte is read
	 * and any key work.  sa: the remote address (AF_INET or AF_INET6) or
	 * NULL for a unix peer; cred: a unix peer's credentials, else NULL
	 * (or when the kernel gave none); remote_addr as peer_remote_addr
	 * prints it.  0 to go on; < 0 to refuse: it is closed at once, nothing
	 * read or sent, no other callback for it.  For rate limits. */
	int  (*admit)(void *ud, const struct sockaddr *sa,
	              const struct peer_cred *cred, const char *remote_addr);
	/* responder only, optional: message 1 passed its first DH and names
	 * this initiator static key (not yet proven: anyone can name any key).
	 * Answer from memory: 0 = a key you know, < 0 = unknown: refused
	 * before the second DH, like a refusal by accept. */
	int  (*lookup)(void *ud, const uint8_t remote_static[PEER_KEYLEN]);
	/* responder only; may be NULL (accept everyone: tests).  Message 1 is
	 * whole and authentic: the initiator holds remote_static's private
	 * key; tai64n is its payload (well formed, not checked against
	 * anything).  0 to accept (message 2 is sent, then on_open), < 0 to
	 * refuse (closed, nothing sent, no further callback). */
	int  (*accept)(void *ud, struct peer *p,
	               const uint8_t remote_static[PEER_KEYLEN],
	               const uint8_t tai64n[PEER_TAI64N_LEN]);
	void (*on_open)(void *ud, struct peer *p);
	/* responder only, optional: once per peer, when its first transport
	 * message (a keepalive too) decrypted: the initiator holds this
	 * session's keys, so message 1 was no replay.  Before that message's
	 * on_message. */
	void (*on_proven)(void *ud, struct peer *p);
	/* plaintext, 0 < len <= MSG_MAX (4080); valid during the call only */
	void (*on_message)(void *ud, struct peer *p, const uint8_t *msg, size_t len);
	void (*on_close)(void *ud, struct peer *p, int reason);
	/* responder only, optional: a connection that ended before on_open
	 * (reason PEER_R_*), except after admit, lookup or accept refused it;
	 * remote_addr as peer_remote_addr prints it */
	void (*on_handshake_fail)(void *ud, int reason, const char *remote_addr);
};

/* Addresses: "tcp:HOST:PORT" (IPv4 dotted, or "[v6]"), port 0 = ephemeral
 * when listening; "unix:PATH"; a bare string containing '/' is a unix path. */
struct peer_server_config {
	/* responder static private key, PEER_KEYLEN bytes, owned by the caller
	 * (keep it in sodium_malloc memory): referenced, never copied, so it
	 * must stay valid until the server is closed */
	const uint8_t *static_key;
	const char *listen[PEER_LISTEN_MAX]; /* unused entries NULL; >= 1 */
	/* the budgets (see the top); 0 = the PEER_DEF_ value */
	unsigned max_sessions;
	unsigned max_preauth;
	unsigned preauth_per_source;
	/* fairness: a peer hands at most this many frames (messages and
	 * keepalives) to the callbacks per loop turn; the rest of its read
	 * waits, in order, for the next turn (and reading stops meanwhile),
	 * so one remote pipelining hundreds of requests delays another by
	 * about per_turn requests' work.  Bytes held back never count against
	 * a deadline.  0 = PEER_DEF_PER_TURN */
	unsigned per_turn;
	struct peer_limits limits;
	struct peer_callbacks cb;
	/* tests only: fixed ephemeral private key for message 2 (else NULL) */
	const uint8_t *test_ephemeral;
	/* tests only: allocates a peer like calloc(1, n) (else NULL = calloc),
	 * to inject allocation failures */
	void *(*test_alloc)(size_t n);
};

struct peer_client_config {
	const char *address;
	const uint8_t *static_key;   /* initiator private key, 32 bytes: referenced
	                                (not copied), valid until on_close */
	const uint8_t *pump_key;     /* responder public key, 32 bytes, copied */
	struct peer_limits limits;
	struct peer_callbacks cb;    /* the responder-only ones unused */
	/* tests only (else NULL): fixed ephemeral private key and message-1
	 * timestamp */
	const uint8_t *test_ephemeral;
	const uint8_t *test_tai64n;
};

/* ---- server ---- */

/* Bind and listen on every address in cfg->listen.  A unix path that
 * exists as a socket is replaced; any other existing file is refused
 * (-EEXIST).  Returns 0 and *out, or a negative error with nothing left
 * open (uv_loop_close on the loop still succeeds). */
int peer_server_new(uv_loop_t *loop, const struct peer_server_config *cfg,
                    struct peer_server **out);

/* The bound address of listener i (0 = the first), e.g. "tcp:127.0.0.1:41234"
 * after port 0.  Returns 0, -ENOENT (no such listener) or -ENOSPC. */
int peer_server_address(const struct peer_server *srv, char *buf, size_t n);
int peer_server_address_at(const struct peer_server *srv, unsigned i,
                           char *buf, size_t n);

/* Connections currently held (handshaking or open); of them, sessions
 * (opened and not closing) and pre-auth connections (reading message 1). */
unsigned peer_server_count(const struct peer_server *srv);
unsigned peer_server_sessions(const struct peer_server *srv);
unsigned peer_server_preauth(const struct peer_server *srv);

/* Stop listening, close every peer (on_close with PEER_R_SHUTDOWN for open
 * ones), unlink unix socket paths, zero the key; cb(ud) when every handle
 * is closed and srv is freed.  cb may be NULL.  Call once, or once after
 * peer_server_shutdown to cut its flushes short (then every peer still
 * flushing closes now, and only the shutdown's cb is called). */
void peer_server_close(struct peer_server *srv, void (*cb)(void *ud), void *ud);

/* Graceful stop (SIGTERM): stop listening at once (unix paths unlinked,
 * the key zeroed), drop peers still handshaking (on_handshake_fail
 * PEER_R_SHUTDOWN), and peer_close_flush every open peer with
 * deadline_ms (0 = PEER_DEF_FLUSH_MS): a reply queued before this call
 * reaches its remote.  Each open peer gets on_close once, reason
 * PEER_R_SHUTDOWN if its queue drained, else PEER_R_FLUSH_DEADLINE or
 * PEER_R_IO.  cb(ud) when every handle is closed and srv is freed (at the
 * latest about deadline_ms from now); cb may be NULL.  Call once. */
void peer_server_shutdown(struct peer_server *srv, uint32_t deadline_ms,
                          void (*cb)(void *ud), void *ud);

/* ---- client ---- */

/* Start connecting; *out is valid until its on_close.  A unix connect
 * refused with EAGAIN (the listener's backlog is full) is tried again,
 * after 1 ms and then longer waits up to PEER_CONNECT_RETRY_MS, until the
 * handshake deadline.  Returns 0, or a negative error (bad address
 * -EINVAL, no memory -ENOMEM) with no callback ever called and nothing
 * left open. */
int peer_connect(uv_loop_t *loop, const struct peer_client_config *cfg,
                 struct peer **out);

/* ---- both ---- */

/* Encrypt msg (1..MSG_MAX bytes), frame it and queue it.  Returns 0, or
 * -EMSGSIZE, -EINVAL (len 0), -ENOTCONN (not open yet / closing),
 * -ENOBUFS (over the write cap: the peer is being dropped with
 * PEER_R_WRITE_CAP). */
int peer_send(struct peer *p, const uint8_t *msg, size_t len);

/* Close (async): on_close(reason PEER_R_LOCAL) follows once from the loop
 * unless the peer was already closing.  Queued writes are abandoned.  On a
 * peer in peer_close_flush this cuts the flush short. */
void peer_close(struct peer *p);

/* Close after what is queued has been written: stop delivering messages
 * (bytes still arriving are read and discarded), let the write queue drain,
 * shut down the write side, then close when the other side closes too or
 * at the deadline (deadline_ms from now, 0 = PEER_DEF_FLUSH_MS), whichever
 * comes first.  on_close follows once from the loop: reason PEER_R_LOCAL
 * if the queue drained, PEER_R_FLUSH_DEADLINE if it had not drained by the
 * deadline, PEER_R_IO if a write failed.  From the call on, peer_send
 * returns -ENOTCONN and peer_is_open 0.  A peer not open yet (connecting,
 * handshaking) has nothing to flush and is closed as by peer_close.  No
 * effect on a peer already closing or flushing. */
void peer_close_flush(struct peer *p, uint32_t deadline_ms);

/* 1 after on_open until closing starts. */
int peer_is_open(const struct peer *p);

void  peer_set_data(struct peer *p, void *data);
void *peer_data(const struct peer *p);

/* The other side's static public key (responder: known from accept on). */
int peer_remote_static(const struct peer *p, uint8_t out[PEER_KEYLEN]);

/* "tcp:127.0.0.1:5555", "tcp:[::1]:5555"; a responder's unix peer
 * "unix:uid=1000,pid=4242" ("unix:" when the kernel gave no credentials);
 * an initiator: the address it connected to */
void peer_remote_addr(const struct peer *p, char *buf, size_t n);

/* The handshake hash (channel binding), after on_open; 0 or -ENOTCONN. */
int peer_handshake_hash(const struct peer *p, uint8_t out[32]);

/* Bytes queued for writing and not yet written (for tests and stats). */
size_t peer_write_queued(const struct peer *p);

/* "eof", "handshake_deadline", ... for a PEER_R_* code */
const char *peer_reason_name(int reason);

/* Parse an address (see above).  Fills *kind (1 tcp, 2 unix), host/port or
 * path.  Returns 0 or -EINVAL.  Exposed for tools and tests. */
struct peer_addr {
	int kind;               /* PEER_ADDR_TCP or PEER_ADDR_UNIX */
	char host[64];          /* tcp: numeric IPv4 or IPv6 (no brackets) */
	uint16_t port;
	char path[108];         /* unix */
};
#define PEER_ADDR_TCP  1
#define PEER_ADDR_UNIX 2
int peer_addr_parse(const char *s, struct peer_addr *out);

#endif
