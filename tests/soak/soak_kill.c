/* tests/soak/soak_kill.c — kill -9 at random moments while several patient
 * remotes stream boluses and a tester moves the simulated clock; after each
 * restart the pump is checked (soak_kill_check.c).  Children report every
 * reply on a pipe; the kill comes after a random number of replies plus a
 * random delay (from the seeded generator). */
#include "tests/soak/soak_kill.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/client.h"
#include "tests/soak/soak.h"

static const char *const patients[KILL_NPAT] = { "patient", "patient2", "patient3" };

/* Short lockout and duration, many per 24 h, no ceiling: many grants. */
static const char rx_text[] =
	"drug = soaktest\n"
	"concentration = 3 mg/mL\n"
	"reservoir = 40 mL\n"
	"mode = continuous\n"
	"daily_rate = 12.345 ug/day\n"
	"bolus = on\n"
	"bolus_dose = 2.5 ug\n"
	"bolus_duration = 1 min\n"
	"lockout = 10 min\n"
	"max_per_24h = 48\n"
	"ceiling_24h = none\n"
	"low_reservoir = 1 mL\n";

/* The tester's clock steps: the bolus duration, around the lockout, and
 * longer ones; a round takes 0..MAX_STEPS of them. */
static const uint32_t steps_ms[] = { 60000, 599999, 600000, 600001, 1020000,
                                     1800000 };
#define MAX_STEPS 8
#define MAX_WAIT_REPLIES 40     /* the kill comes after 0..this many replies */
#define MAX_JITTER_US 3000      /* ... and 0..this long after it */
#define KILL_BUDGET_LONG_S 600  /* the rounds stop after this (a failure) */
#define KILL_BUDGET_SHORT_S 60

enum { REC_REPLY = 1, REC_GRANT, REC_ERROR, REC_INFLIGHT, REC_CLOCK };

/* One report from a child; written whole (< PIPE_BUF). */
struct rec {
	uint8_t kind, who;
	uint16_t err;
	uint32_t dose;
	uint64_t id;
	int64_t at_ms;
};

static void put(int fd, const struct rec *x)
{
	ssize_t w;
	do
		w = write(fd, x, sizeof *x);
	while (w < 0 && errno == EINTR);
}

/* The parent closed its end of the go pipe: stop. */
static int stopped(int go)
{
	struct pollfd pf = { go, POLLIN, 0 };
	return poll(&pf, 1, 0) > 0;
}

static uint64_t next_id(uint64_t last)
{
	uint64_t w = (uint64_t)soak_wall_us();
	return w > last ? w : last + 1;
}

/* A patient: BOLUS after BOLUS, each on a fresh connection; a request with
 * no reply is sent again with the same id (as the client library does). */
static _Noreturn void patient_child(struct kill_ctx *k, int who, int go, int rep)
{
	struct client_config cfg;
	struct msg_reply *r = malloc(sizeof *r);
	if (!r || e2e_client_config(k->p, patients[who], &cfg) < 0)
		_exit(1);
	uint64_t id = next_id(k->last_id[who]), pending = 0;
	while (!stopped(go)) {
		struct msg_request q = { .type = MSG_BOLUS, .id = id };
		if (client_call(&cfg, &q, r, 5000) != 0) {
			pending = id;
			continue;
		}
		pending = 0;
		struct rec x = { .kind = REC_REPLY, .who = (uint8_t)who, .id = id,
		                 .err = r->err };
		if (r->err != MSG_OK) {
			x.kind = REC_ERROR;
		} else if (r->u.bolus.outcome == MSG_OUT_GRANTED) {
			x.kind = REC_GRANT;
			x.at_ms = (int64_t)(r->u.bolus.at_ms - r->u.bolus.wait_ms);
			x.dose = r->u.bolus.dose_ng;
		}
		put(rep, &x);
		id = next_id(id);
	}
	if (pending) {
		struct rec x = { .kind = REC_INFLIGHT, .who = (uint8_t)who, .id = pending };
		put(rep, &x);
	}
	free(r);
	_exit(0);
}

/* The tester: n_steps clock steps, as fast as the pump answers (each lets
 * about one of the patients' boluses through). */
static _Noreturn void tester_child(struct kill_ctx *k, unsigned n_steps, int go, int rep)
{
	struct client_config cfg;
	struct msg_reply *r = malloc(sizeof *r);
	if (!r || e2e_client_config(k->p, "tester", &cfg) < 0)
		_exit(1);
	uint64_t id = k->last_id[KILL_NPAT];
	for (unsigned s = 0; s < n_steps && !stopped(go); s++) {
		id = next_id(id);
		struct msg_request q = { .type = MSG_CLOCK, .id = id };
		q.u.clock.op = MSG_CLOCK_ADVANCE;
		q.u.clock.arg = steps_ms[soak_rand_below(&k->rng,
		                         sizeof steps_ms / sizeof steps_ms[0])];
		if (client_call(&cfg, &q, r, 5000) == 0) {
			struct rec x = { .kind = REC_CLOCK, .who = KILL_NPAT, .id = id };
			put(rep, &x);
		}
	}
	free(r);
	soak_wait_fd(go, 60000);
	_exit(0);
}

static void take(struct kill_ctx *k, const struct rec *x, unsigned *replies)
{
	if (x->who > KILL_NPAT)
		return;
	if (x->id > k->last_id[x->who])
		k->last_id[x->who] = x->id;
	switch (x->kind) {
	case REC_GRANT:
		if (x->who < KILL_NPAT &&
		    kill_seen_add(k, x->who, x->at_ms, x->dose) < 0)
			kill_fail(k, KC_SEEN, "out of memory");
		/* fall through */
	case REC_REPLY:
		k->replies++;
		(*replies)++;
		break;
	case REC_ERROR:
		k->replies++;
		(*replies)++;
		kill_fail(k, KC_ANSWERED, "round %u: bolus id %" PRIu64 " answered "
		          "%s", k->rounds, x->id, msg_err_name(x->err));
		break;
	case REC_CLOCK:
		k->clock_steps++;
		(*replies)++;
		break;
	case REC_INFLIGHT:
		k->inflight[x->who] = x->id;
		break;
	}
}

/* Read records until *replies >= want, or with want < 0 until every child
 * closed the pipe; at most timeout_ms. */
static void drain(struct kill_ctx *k, int fd, unsigned *replies, int want,
                  int timeout_ms)
{
	int64_t end = soak_now_us() + (int64_t)timeout_ms * 1000;
	struct rec buf[64];
	while (want < 0 || *replies < (unsigned)want) {
		int64_t left = (end - soak_now_us()) / 1000;
		if (left <= 0 || !soak_wait_fd(fd, (int)left))
			return;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof buf[0]; i++)
			take(k, &buf[i], replies);
	}
}

/* Ask again, with the same id, each bolus that had no reply at the kill. */
static void resend(struct kill_ctx *k)
{
	struct msg_reply *r = malloc(sizeof *r);
	for (int i = 0; r && i < KILL_NPAT; i++) {
		struct client_config cfg;
		if (!k->inflight[i] || e2e_client_config(k->p, patients[i], &cfg) < 0)
			continue;
		struct msg_request q = { .type = MSG_BOLUS, .id = k->inflight[i] };
		int rc = client_call(&cfg, &q, r, 5000);
		k->resent++;
		if (rc != 0 || r->err != MSG_OK)
			kill_fail(k, KC_RESENT, "round %u: bolus id %" PRIu64 " sent "
			          "again: %s", k->rounds, q.id,
			          rc ? client_strerror(rc) : msg_err_name(r->err));
		else if (r->u.bolus.outcome == MSG_OUT_GRANTED) {
			k->resent_granted++;
			kill_seen_add(k, i, (int64_t)(r->u.bolus.at_ms -
			              r->u.bolus.wait_ms), r->u.bolus.dose_ng);
		}
		k->inflight[i] = 0;
	}
	free(r);
}

/* One round: traffic, kill -9, restart, resend, check.  0 or -1 (stop). */
static int round_once(struct kill_ctx *k)
{
	int go[2], rep[2];
	pid_t kids[KILL_NPAT + 1];
	int nkids = 0;
	if (soak_pipe(go) < 0)
		return -1;
	if (soak_pipe(rep) < 0) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	unsigned n_steps = (unsigned)soak_rand_below(&k->rng, MAX_STEPS + 1);
	for (int i = 0; i <= KILL_NPAT; i++) {
		uint64_t child_rng = soak_rand(&k->rng);
		pid_t pid = soak_fork();
		if (pid == 0) {
			close(go[1]);
			close(rep[0]);
			k->rng = child_rng;
			if (i < KILL_NPAT)
				patient_child(k, i, go[0], rep[1]);
			tester_child(k, n_steps, go[0], rep[1]);
		}
		if (pid > 0)
			kids[nkids++] = pid;
	}
	close(go[0]);
	close(rep[1]);
	unsigned replies = 0;
	int want = (int)soak_rand_below(&k->rng, MAX_WAIT_REPLIES + 1);
	drain(k, rep[0], &replies, want, 10000);
	soak_pause_us((int64_t)soak_rand_below(&k->rng, MAX_JITTER_US + 1));
	e2e_kill9(k->p);
	close(go[1]);                      /* children: stop */
	drain(k, rep[0], &replies, -1, 30000);
	close(rep[0]);
	for (int i = 0; i < nkids; i++)
		soak_kill_child(kids[i]);  /* gone already; reaped */
	k->rounds++;
	int64_t t0 = soak_now_us();
	if (e2e_restart(k->p) < 0) {
		kill_fail(k, KC_READY, "round %u: pumpd did not start again after "
		          "kill -9 (see %s)", k->rounds, e2e_log_path(k->p));
		return -1;
	}
	int64_t dt = soak_now_us() - t0;
	k->restart_us_sum += dt;
	if (dt > k->restart_us_max)
		k->restart_us_max = dt;
	resend(k);
	return kill_check_round(k);
}

static const char *const check_names[KC__COUNT] = {
	[KC_READY] = "pumpd started again (READY) after every kill -9",
	[KC_RESENT] = "every bolus in flight at the kill answered after restart, same id",
	[KC_ANSWERED] = "every bolus request answered with an outcome (no error reply)",
	[KC_INTEGRITY] = "PRAGMA integrity_check ok after every restart",
	[KC_SEEN] = "every granted reply seen is in the ledger",
	[KC_LOCKOUT] = "ledger: no two grants closer than the lockout",
	[KC_WINDOW] = "ledger: at most max_per_24h grants in any 24 h",
	[KC_RESERVOIR] = "reservoir = fill - basal - ledger boluses after every restart",
	[KC_COUNT24] = "boluses_24h after restart = the ledger's",
	[KC_NEXT] = "lockout and running bolus after restart not shortened",
	[KC_TIME] = "pump time after restart not before its last grant",
};

static void report(const struct kill_ctx *k, int64_t spent_us)
{
	soak_note("kill: %u rounds in %.1f s (restart to READY: mean %.1f ms, "
	          "max %.1f ms)", k->rounds, (double)spent_us / 1e6,
	          k->rounds ? (double)k->restart_us_sum / k->rounds / 1e3 : 0.0,
	          (double)k->restart_us_max / 1e3);
	soak_note("kill: %u bolus replies, %zu grants seen (checked against the "
	          "ledger every round), %u sent again after a kill (%u granted), "
	          "%u clock steps", k->replies, k->nseen, k->resent,
	          k->resent_granted, k->clock_steps);
	soak_note("kill: ledger %zu grants; pump time %.1f days after its start",
	          k->ledger_grants,
	          (double)(k->pump_now - k->rx.t0_ms) / SOAK_DAY_MS);
	for (int c = 0; c < KC__COUNT; c++) {
		if (k->bad[c])
			soak_check(0, "kill: %s: %u failures; first: %s",
			           check_names[c], k->bad[c], k->why[c]);
		else
			soak_check(1, "kill: %s", check_names[c]);
	}
	soak_check(k->nseen > 0 && k->clock_steps > 0,
	           "kill: the rounds had traffic (%zu grants, %u clock steps)",
	           k->nseen, k->clock_steps);
}

void soak_kill_rounds(const struct soak_opts *o)
{
	static const char *const init[] = { "--start", "2026-01-01T00:00:00Z", NULL };
	struct kill_ctx *k = calloc(1, sizeof *k);
	if (!k) {
		soak_check(0, "kill: out of memory");
		return;
	}
	k->rng = o->seed ^ 0x6b696c6cu;
	k->p = e2e_start_full(rx_text, E2E_QUIET, init, NULL);
	if (!k->p || e2e_pair(k->p, "patient3", "patient") < 0 ||
	    kill_check_start(k) < 0) {
		soak_check(0, "kill: could not start a pump for the kill rounds");
		goto out;
	}
	soak_note("kill: %u rounds, %d patients and a tester; rx: lockout %u ms, "
	          "duration %u ms, %u per 24 h", o->kill_rounds, KILL_NPAT,
	          k->rx.lockout_ms, k->rx.dur_ms, k->rx.max_24h);
	int64_t t0 = soak_now_us();
	int64_t budget = (o->long_run ? KILL_BUDGET_LONG_S : KILL_BUDGET_SHORT_S) *
	                 INT64_C(1000000);
	for (unsigned r = 0; r < o->kill_rounds; r++) {
		if (round_once(k) < 0)
			break;
		if (soak_now_us() - t0 > budget && r + 1 < o->kill_rounds) {
			soak_note("kill: time budget spent after %u rounds", r + 1);
			break;
		}
		if (o->long_run && (r + 1) % 100 == 0)
			soak_note("kill: round %u, %zu grants seen, %.0f s", r + 1,
			          k->nseen, (double)(soak_now_us() - t0) / 1e6);
	}
	report(k, soak_now_us() - t0);
	soak_check(k->rounds == o->kill_rounds, "kill: %u of %u rounds done "
	           "(within %d s)", k->rounds, o->kill_rounds,
	           o->long_run ? KILL_BUDGET_LONG_S : KILL_BUDGET_SHORT_S);
out:
	e2e_free(k->p);
	free(k->seen);
	free(k);
}
