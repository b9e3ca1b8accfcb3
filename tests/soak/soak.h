/*
 * tests/soak/soak.h — `make soak`: the pump's promise under kill -9, floods,
 * a full disk and a second daemon (issues 9 and 10).  Shared by the parts:
 * options, the check count, time, a seeded random generator, children.
 *
 * Every part prints its figures and counts checks of behaviour with
 * soak_check; soak_summary ends the run with one line "N passed, N failed"
 * (tests/run.sh counts it).
 */
#ifndef PTM_TESTS_SOAK_H
#define PTM_TESTS_SOAK_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

struct soak_opts {
	int long_run;          /* 1: make soak; 0: the short round of make test */
	unsigned kill_rounds;  /* kill -9 rounds */
	unsigned tries;        /* patient STATUS tries per flood */
	unsigned flood_ms;     /* the tries of one flood spread over this */
	uint64_t seed;         /* PTM_SOAK_SEED replays a run's choices */
	long flood_uid;        /* unix-socket flooders run as this uid, -1: ours */
};

/* ---- checks and figures (soak_report.c) ---- */

/* One check of behaviour: "ok   ..." or "FAIL ..." and counted. */
void soak_check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A figure or a note, indented; counts nothing. */
void soak_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A check that cannot run here: "skip ..."; counts nothing. */
void soak_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "N passed, N failed"; 0 when nothing failed and something passed. */
int soak_summary(void);

/* ---- time, randomness, children (soak_util.c) ---- */

int64_t soak_now_us(void);          /* monotonic clock */
int64_t soak_wall_us(void);         /* wall clock (request ids) */
void soak_pause_us(int64_t us);     /* traffic shape only, never to wait for a state */
uint64_t soak_rand(uint64_t *s);    /* splitmix64 */
uint64_t soak_rand_below(uint64_t *s, uint64_t n);   /* 0..n-1, n > 0 */

/* fork() for a child that dies with the soak (PR_SET_PDEATHSIG).  In the
 * child, returns 0; in the parent, the pid or -1. */
pid_t soak_fork(void);
/* In a child: become uid (and its gid) when uid >= 0; 0 or -1. */
int soak_become(long uid);
/* kill -9 a child we started and reap it. */
void soak_kill_child(pid_t pid);
/* Wait until fd is readable or closed, at most timeout_ms: 1, 0 (timeout). */
int soak_wait_fd(int fd, int timeout_ms);
/* pipe() with both ends close-on-exec (pumpd never inherits them): 0/-1. */
int soak_pipe(int fd[2]);
/* A shared anonymous mapping (counters a child updates, the parent reads). */
void *soak_shared(size_t len);
void soak_unshare(void *p, size_t len);

/* ---- the parts ---- */

void soak_kill_rounds(const struct soak_opts *o);   /* soak_kill.c */
void soak_floods(const struct soak_opts *o);        /* soak_flood.c */
void soak_full_disk(const struct soak_opts *o);     /* soak_disk.c */
void soak_second_daemon(const struct soak_opts *o); /* soak_second.c */
void soak_explore(const struct soak_opts *o);       /* soak_explore.c */

#endif
