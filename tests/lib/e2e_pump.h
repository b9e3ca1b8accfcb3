/*
 * tests/lib/e2e_pump.h — a real pumpd for a test, in a private temporary
 * directory, started by the private-pumpd launcher the scenario runner
 * uses (tools/scenario/scnpump.h).
 *
 * e2e_start makes DIR=$TMPDIR/ptm-e2e-XXXXXX (TMPDIR default /tmp), runs
 * `pumpd init DIR/pump` (with the given prescription text), generates key
 * pairs DIR/keys/NAME.key|.pub for the remotes "patient", "patient2",
 * "clinician", "tester" and pairs them with those roles, then starts
 * `pumpd run DIR/pump --unix DIR/pump.sock --ready-fd 3 --sim --speed 0
 * --log-level debug` with its output to DIR/pumpd.log, and waits for the
 * READY line on the pipe (never a sleep).  The simulated clock is frozen:
 * tests move it with MSG_CLOCK.  The program is e2e_pumpd_path().
 *
 * Every child (pumpd run, pumpd commands) dies with the test process
 * (PR_SET_PDEATHSIG), so a failing test leaves no pumpd behind; a pump a
 * failed test could not free is freed (its directory removed) when the
 * test process exits.  PTM_E2E_KEEP=1 keeps the directories.
 *
 * Deadlines (READY, a pumpd command, an exit, a log line) are scaled with
 * e2e_ms() (e2e_time.h), and so are pumpd's deadlines on the test's
 * remotes: when the scale is above 1, `pumpd run` gets --handshake-timeout
 * and --frame-timeout of 5 s (their defaults) times the scale.
 *
 * Every function returns 0 / a pointer on success and a negative number /
 * NULL on failure, after printing why to stderr.  Not thread-safe; each
 * Criterion worker has its own pumpd.  An e2e_pump is the caller's until
 * e2e_free.
 */
#ifndef PTM_TESTS_LIB_E2E_PUMP_H
#define PTM_TESTS_LIB_E2E_PUMP_H

#include <stddef.h>
#include <stdint.h>

struct client_config;

typedef struct e2e_pump e2e_pump;

#define E2E_REAL_CLOCK 0x01  /* run on the real clock (no --sim) */
#define E2E_SPEED1     0x02  /* --sim at real-time speed instead of frozen */
#define E2E_TCP        0x04  /* also listen on tcp:127.0.0.1:0 */
#define E2E_QUIET      0x08  /* --log-level warn */

/* Start a pump (see above).  rx_text: prescription file text or NULL for
 * the default. */
e2e_pump *e2e_start(const char *rx_text, unsigned flags);
/* The same with more `pumpd run` arguments (NULL-terminated, up to 15, or
 * NULL). */
e2e_pump *e2e_start_args(const char *rx_text, unsigned flags,
                         const char *const *extra);
/* The same with more `pumpd init` arguments (NULL-terminated, up to 7, or
 * NULL), e.g. { "--start", "2026-01-01T08:00:00Z", NULL }. */
e2e_pump *e2e_start_full(const char *rx_text, unsigned flags,
                         const char *const *init_extra,
                         const char *const *extra);

/* Stop with SIGTERM and wait; returns pumpd's exit status (or -1). */
int e2e_stop(e2e_pump *p);
/* Send pumpd a signal: 0 or -1. */
int e2e_signal(e2e_pump *p, int sig);
/* Wait for pumpd to exit by itself: its exit status, or -1 (killed with -9
 * when still running after timeout_ms). */
int e2e_wait(e2e_pump *p, int timeout_ms);
/* kill -9 and reap.  Returns 0. */
int e2e_kill9(e2e_pump *p);
/* Start pumpd again on the same directory and socket (killing it first
 * when it runs); waits for READY. */
int e2e_restart(e2e_pump *p);
/* Stop pumpd if running, remove the directory, free.  When pumpd's log
 * holds a sanitizer report (ASan/UBSan build), prints it and aborts: the
 * test fails. */
void e2e_free(e2e_pump *p);

const char *e2e_dir(const e2e_pump *p);       /* the temporary directory */
/* Write text to the file DIR/name (its path in path[size]): 0 or -1. */
int e2e_put_file(const e2e_pump *p, const char *name, const char *text,
                 char *path, size_t size);
const char *e2e_state_dir(const e2e_pump *p); /* DIR/pump */
const char *e2e_sock_path(const e2e_pump *p); /* DIR/pump.sock */
const char *e2e_addr(const e2e_pump *p);      /* "unix:DIR/pump.sock" */
const char *e2e_tcp_addr(const e2e_pump *p);  /* "tcp:127.0.0.1:PORT" or NULL */
const char *e2e_log_path(const e2e_pump *p);  /* DIR/pumpd.log */
int e2e_pid(const e2e_pump *p);               /* 0 when not running */
const uint8_t *e2e_pump_pub(const e2e_pump *p);              /* 32 bytes */
/* A paired remote's private key (32 bytes) / key file path, NULL if none. */
const uint8_t *e2e_key(const e2e_pump *p, const char *name);
const char *e2e_key_path(const e2e_pump *p, const char *name, int pub);

/* Fill a net/client.h config for a remote: address, key, pump_key (the
 * pointers stay valid until e2e_free); other fields zero.  0 or -1. */
int e2e_client_config(e2e_pump *p, const char *name, struct client_config *cfg);

/* Generate a fresh key pair NAME in DIR/keys and pair it with role
 * (pumpd pair), as a user would.  0 or -1. */
int e2e_pair(e2e_pump *p, const char *name, const char *role);

/* Count lines of the pumpd log containing needle. */
int e2e_log_count(const e2e_pump *p, const char *needle);
/* Re-read the log until a line contains needle: 0, or -1 after timeout_ms. */
int e2e_log_wait(const e2e_pump *p, const char *needle, int timeout_ms);

/* ---- how the pump's blocking remotes (e2e_remote.h) reach it ---- */

/* From now on, connections of p (e2e_connect_fd, sessions) go to the pump's
 * TCP listener (needs E2E_TCP) from the loopback address src_ip (e.g.
 * "127.0.0.2": any 127.x.y.z is this machine), or to the unix socket again
 * when src_ip is NULL.  0 or -1. */
int e2e_set_tcp_source(e2e_pump *p, const char *src_ip);
/* The source address set, or NULL (the unix socket). */
const char *e2e_tcp_source(const e2e_pump *p);

/* From now on, sessions of p write one byte per system call (a slow peer). */
void e2e_set_slow(e2e_pump *p, int on);
int e2e_slow(const e2e_pump *p);

/* The id of a request to p: id when not 0 (later ones rise above it), else
 * the next rising one. */
uint64_t e2e_next_id(e2e_pump *p, uint64_t id);

#endif
