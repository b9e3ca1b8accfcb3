/*
 * tests/soak/soak_patient.h — a paired patient asking for STATUS as
 * `ptmctl status` does (a fresh connection each try: handshake, STATUS,
 * close; net/client.h), timed.  A try fails when it gets no STATUS reply
 * within its timeout, or an error reply.
 *
 * Percentiles count every planned try, a failed or unmade one as slower
 * than any success: p99 of 100 tries with one failure is the slowest
 * success; with two, it is a failure.
 */
#ifndef PTM_TESTS_SOAK_PATIENT_H
#define PTM_TESTS_SOAK_PATIENT_H

#include <stddef.h>
#include <stdint.h>

#include "net/client.h"

#define SOAK_TRIES_MAX 1000
#define SOAK_TRY_TIMEOUT_MS 1000

struct soak_tries {
	unsigned planned, made, ok;
	int64_t lat_us[SOAK_TRIES_MAX];  /* tries made: latency, -1 failed */
	char first_fail[96];             /* why the first failure failed */
};

/* One try: its latency in us, or -1 with why (cap bytes). */
int64_t soak_status_once(const struct client_config *cfg, int timeout_ms,
                         char *why, size_t cap);

/* n tries (at most SOAK_TRIES_MAX) started one every span_ms / n (or at
 * once after a slow one); tries not made by 2 * span_ms +
 * SOAK_TRY_TIMEOUT_MS count as failed. */
void soak_tries_run(struct soak_tries *t, const struct client_config *cfg,
                    unsigned n, unsigned span_ms);

/* The pct-th percentile in us, -1 when it falls on a failure. */
int64_t soak_tries_pct(const struct soak_tries *t, unsigned pct);

/* "N tries, N failed, p50 X ms, p99 Y ms" */
void soak_tries_fmt(const struct soak_tries *t, char *buf, size_t cap);

/* 1 when at least 99 in 100 of the planned tries succeeded. */
int soak_tries_served(const struct soak_tries *t);

/* Wait until one try succeeds (tries every 50 ms), at most timeout_ms:
 * 0, or -1. */
int soak_status_until_ok(const struct client_config *cfg, int timeout_ms);

#endif
