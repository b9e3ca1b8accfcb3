/*
 * tests/soak/soak_kill.h — the kill -9 rounds' shared state, between the
 * rounds (soak_kill.c) and the checks after each restart
 * (soak_kill_check.c).
 */
#ifndef PTM_TESTS_SOAK_KILL_H
#define PTM_TESTS_SOAK_KILL_H

#include <stddef.h>
#include <stdint.h>

#include "tests/lib/e2e.h"
#include "tests/soak/soak_ledger.h"

#define KILL_NPAT 3   /* patient remotes sending boluses at once */

/* Checks counted over all rounds: each fails once, with its first why. */
enum kill_check {
	KC_READY,      /* pumpd restarted (READY) after every kill */
	KC_RESENT,     /* a request in flight at the kill answered after restart */
	KC_ANSWERED,   /* every bolus reply carried an outcome (no error) */
	KC_INTEGRITY,  /* PRAGMA integrity_check ok */
	KC_SEEN,       /* every granted reply seen is in the ledger */
	KC_LOCKOUT,    /* no two grants closer than the lockout */
	KC_WINDOW,     /* at most max_per_24h grants in any 24 h */
	KC_RESERVOIR,  /* reservoir = what the ledger and basal rate imply */
	KC_COUNT24,    /* boluses_24h after restart = the ledger's */
	KC_NEXT,       /* the lockout after restart is not shortened */
	KC_TIME,       /* pump time after restart not before its last grant */
	KC__COUNT
};

struct kill_ctx {
	e2e_pump *p;
	uint64_t rng;
	struct soak_rx rx;
	int64_t rid[KILL_NPAT];           /* the patients' remotes.id */
	uint64_t last_id[KILL_NPAT + 1];  /* highest request id used; [NPAT]: tester */
	uint64_t inflight[KILL_NPAT];     /* a bolus id with no reply at the kill */
	struct soak_grant *seen;          /* granted replies the soak saw */
	size_t nseen, capseen;
	/* figures */
	unsigned rounds, replies, clock_steps, resent, resent_granted;
	size_t ledger_grants;
	int64_t pump_now, restart_us_max, restart_us_sum;
	/* checks */
	unsigned bad[KC__COUNT];
	char why[KC__COUNT][200];
};

/* Record a failure of check c (the first why is kept). */
void kill_fail(struct kill_ctx *k, int c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append a granted reply the soak saw: 0 or -1 (no memory). */
int kill_seen_add(struct kill_ctx *k, int who, int64_t at_ms, uint32_t dose);

/* The first STATUS of a new pump: what the reservoir rule needs.  0/-1. */
int kill_check_start(struct kill_ctx *k);
/* After a restart: every check above that looks at the pump and its
 * database.  0, or -1 when the pump could not be asked at all. */
int kill_check_round(struct kill_ctx *k);

#endif
