/* tests/soak/soak_kill_check.c — after each restart of the kill rounds: the
 * pump's answer and its database against the replies seen and the
 * prescription (see soak_kill.h, soak_ledger.h). */
#include "tests/soak/soak_kill.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/client.h"
#include "tests/soak/soak_db.h"

void kill_fail(struct kill_ctx *k, int c, const char *fmt, ...)
{
	if (k->bad[c]++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(k->why[c], sizeof k->why[c], fmt, ap);
		va_end(ap);
	}
}

int kill_seen_add(struct kill_ctx *k, int who, int64_t at_ms, uint32_t dose)
{
	if (k->nseen == k->capseen) {
		size_t nc = k->capseen ? k->capseen * 2 : 1024;
		struct soak_grant *n = realloc(k->seen, nc * sizeof *n);
		if (!n)
			return -1;
		k->seen = n;
		k->capseen = nc;
	}
	k->seen[k->nseen++] = (struct soak_grant){ k->rid[who], at_ms, dose };
	return 0;
}

/* STATUS as the tester (a fresh connection): 0 and *st, or -1. */
static int tester_status(struct kill_ctx *k, struct msg_state *st)
{
	struct client_config cfg;
	struct msg_request q;
	struct msg_reply *r = malloc(sizeof *r);
	if (!r || e2e_client_config(k->p, "tester", &cfg) < 0) {
		free(r);
		return -1;
	}
	memset(&q, 0, sizeof q);
	q.type = MSG_STATUS;
	int rc = client_call(&cfg, &q, r, 5000);
	int ok = rc == 0 && r->err == MSG_OK;
	if (ok)
		*st = r->state;
	else
		fprintf(stderr, "soak: STATUS after restart: %s\n",
		        rc ? client_strerror(rc) : msg_err_name(r->err));
	free(r);
	return ok ? 0 : -1;
}

int kill_check_start(struct kill_ctx *k)
{
	struct msg_state st;
	char err[256];
	struct soak_db *db;
	if (tester_status(k, &st) < 0)
		return -1;
	k->rx = (struct soak_rx){
		.t0_ms = (int64_t)st.now_ms, .fill_nl = st.reservoir_nl,
		.conc_ng_ml = st.concentration_ng_ml, .rate_ng_day = st.basal_ng_day,
		.dur_ms = st.bolus_duration_ms, .lockout_ms = st.lockout_ms,
		.max_24h = st.max_per_24h,
	};
	if (soak_db_open(e2e_state_dir(k->p), &db, err, sizeof err) < 0) {
		fprintf(stderr, "soak: %s\n", err);
		return -1;
	}
	static const char *const names[KILL_NPAT] = { "patient", "patient2", "patient3" };
	int rc = 0;
	for (int i = 0; i < KILL_NPAT; i++)
		if ((k->rid[i] = soak_db_remote_id(db, names[i])) < 0)
			rc = -1;
	soak_db_close(db);
	return rc;
}

static void check_ledger(struct kill_ctx *k, const struct soak_grant *g, size_t n)
{
	char why[200];
	for (size_t i = 0; i < k->nseen; i++)
		if (!soak_ledger_has(g, n, &k->seen[i]))
			kill_fail(k, KC_SEEN, "round %u: granted reply (remote %" PRId64
			          ", at %" PRId64 " ms) not in the ledger", k->rounds,
			          k->seen[i].remote_id, k->seen[i].at_ms);
	if (soak_ledger_lockout(g, n, k->rx.lockout_ms, why, sizeof why))
		kill_fail(k, KC_LOCKOUT, "round %u: %s", k->rounds, why);
	if (soak_ledger_window(g, n, k->rx.max_24h, why, sizeof why))
		kill_fail(k, KC_WINDOW, "round %u: %s", k->rounds, why);
}

/* The pump's state after restart against its ledger. */
static void check_state(struct kill_ctx *k, const struct msg_state *st,
                        const struct soak_grant *g, size_t n)
{
	int64_t now = (int64_t)st->now_ms;
	uint32_t want = soak_ledger_reservoir(&k->rx, g, n, now);
	if (st->reservoir_nl != want)
		kill_fail(k, KC_RESERVOIR, "round %u: reservoir %" PRIu32 " nL at %"
		          PRId64 " ms, the ledger (%zu grants) implies %" PRIu32,
		          k->rounds, st->reservoir_nl, now, n, want);
	unsigned day = soak_ledger_in_day(g, n, now);
	if (st->boluses_24h != day)
		kill_fail(k, KC_COUNT24, "round %u: boluses_24h %u, the ledger has %u",
		          k->rounds, st->boluses_24h, day);
	if (n == 0)
		return;
	int64_t last = g[n - 1].at_ms;
	if (now < last)
		kill_fail(k, KC_TIME, "round %u: pump time %" PRId64 " ms before its "
		          "last grant at %" PRId64, k->rounds, now, last);
	int64_t free_at = last + (int64_t)k->rx.lockout_ms;
	if (now < free_at && (st->next_bolus_reason == MSG_OUT_GRANTED ||
	                      (int64_t)st->next_bolus_ms < free_at))
		kill_fail(k, KC_NEXT, "round %u: next bolus %s at %" PRIu64 " ms, "
		          "the lockout of the grant at %" PRId64 " ends at %" PRId64,
		          k->rounds, msg_outcome_name(st->next_bolus_reason),
		          st->next_bolus_ms, last, free_at);
	int64_t ends = last + (int64_t)k->rx.dur_ms;
	if (now < ends && (!(st->flags & MSG_F_BOLUS_RUNNING) ||
	                   (int64_t)st->bolus_ends_ms != ends))
		kill_fail(k, KC_NEXT, "round %u: the bolus of %" PRId64 " ms should "
		          "run until %" PRId64 " (flags 0x%02x, ends %" PRIu64 ")",
		          k->rounds, last, ends, st->flags, st->bolus_ends_ms);
}

int kill_check_round(struct kill_ctx *k)
{
	struct msg_state st;
	struct soak_db *db;
	struct soak_grant *g = NULL;
	size_t n = 0;
	char why[256];
	if (tester_status(k, &st) < 0) {
		kill_fail(k, KC_READY, "round %u: STATUS after restart failed",
		          k->rounds);
		return -1;
	}
	k->pump_now = (int64_t)st.now_ms;
	if (soak_db_open(e2e_state_dir(k->p), &db, why, sizeof why) < 0) {
		kill_fail(k, KC_INTEGRITY, "round %u: %s", k->rounds, why);
		return 0;
	}
	if (soak_db_integrity(db, why, sizeof why) < 0)
		kill_fail(k, KC_INTEGRITY, "round %u: integrity_check: %s",
		          k->rounds, why);
	if (soak_db_grants(db, &g, &n) < 0) {
		kill_fail(k, KC_INTEGRITY, "round %u: the ledger cannot be read",
		          k->rounds);
	} else {
		k->ledger_grants = n;
		check_ledger(k, g, n);
		check_state(k, &st, g, n);
	}
	free(g);
	soak_db_close(db);
	return 0;
}
