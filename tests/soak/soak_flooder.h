/*
 * tests/soak/soak_flooder.h — unauthenticated floods from a child process,
 * raw sockets in one poll loop, each connection reopened as soon as the
 * pump closes it:
 *
 *   REOPEN   hold connections to the unix socket, send nothing
 *   SLOW     hold connections, send one byte of a message-1 frame every 0.3 s
 *   GARBAGE  random frames, oversize lengths, zero lengths, random 108-byte
 *            message 1s; each connection sends one and waits for the close
 *   STORM    handshakes: a captured real message 1 replayed (even slots) and
 *            random message 1s (odd slots), as fast as the pump closes them
 *
 * Over the unix socket, or over TCP (cfg.tcp) from one loopback source
 * address or from a new one of 127.1.0.0/16 for each connection (rotating
 * sources, which a per-source limit does not see).
 *
 * The child counts in a shared mapping and writes one byte on a pipe when
 * every connection has been opened once ("at full strength").
 */
#ifndef PTM_TESTS_SOAK_FLOODER_H
#define PTM_TESTS_SOAK_FLOODER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum soak_flood_kind {
	SOAK_FL_REOPEN, SOAK_FL_SLOW, SOAK_FL_GARBAGE, SOAK_FL_STORM,
};

struct soak_flooder_cfg {
	int kind;                 /* enum soak_flood_kind */
	unsigned conns;           /* connections at once */
	const char *unix_path;    /* the pump's unix socket (without tcp) */
	int tcp;                  /* 1: to 127.0.0.1:tcp_port instead */
	const char *tcp_src;      /* TCP: this source ("127.0.0.2"); NULL:
	                             rotate over 127.1.0.0/16 */
	unsigned tcp_port;
	const uint8_t *replay;    /* STORM: a captured frame of message 1 */
	size_t replay_len;
	long uid;                 /* run as this uid (-1: ours) */
	uint64_t seed;
};

/* What a flooder did (shared with its child). */
struct soak_flood_stats {
	uint64_t connects;        /* connections opened */
	uint64_t connect_errors;  /* connect() refused (backlog full, ...) */
	uint64_t pump_closes;     /* connections the pump closed */
	uint64_t items;           /* frames / message 1s / bytes sent */
	uint64_t held_max;        /* most connections open at once */
};

struct soak_flooder {
	pid_t pid;
	int ready_fd;
	struct soak_flood_stats *st;
};

/* Start the child: 0, or -1 (nothing started). */
int soak_flooder_start(const struct soak_flooder_cfg *c, struct soak_flooder *f);
/* Start a child of another kind: child(arg, the shared counts, the pipe to
 * write one byte to when at full strength); it must not return. */
int soak_flooder_spawn(struct soak_flooder *f,
                       void (*child)(const void *arg, struct soak_flood_stats *st, int ready_fd),
                       const void *arg);
/* Wait until the child is at full strength: 1, or 0 after timeout_ms. */
int soak_flooder_ready(struct soak_flooder *f, int timeout_ms);
/* kill -9 the child, copy its counts to *out (may be NULL), free. */
void soak_flooder_stop(struct soak_flooder *f, struct soak_flood_stats *out);

#endif
