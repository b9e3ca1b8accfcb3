/*
 * tools/scenario/scnremote.c — a pump that was running before the scenario:
 * the operator's keys, and the set-up through the protocol (see
 * scnremote.h).
 */
#include "tools/scenario/scnremote.h"

#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "net/client.h"
#include "util/fmt.h"
#include "util/units.h"

#define DAY_MS (24ull * 3600 * 1000)

int scnremote_load(struct scnremote *rm, const char *addr, const char *pump_key,
                   const char *const key[SCN_ROLES], char *why, size_t n)
{
	char err[KEYS_ERRLEN];

	memset(rm, 0, sizeof *rm);
	if (strlen(addr) >= sizeof rm->addr) {
		fmt_set(why, n, "the pump's address is too long");
		return -1;
	}
	memcpy(rm->addr, addr, strlen(addr) + 1);
	if (!pump_key) {
		fmt_set(why, n, "--pump needs --pump-key (the pump's public key)");
		return -1;
	}
	if (keys_load_public(pump_key, rm->pump_pub, err) != 0) {
		fmt_set(why, n, "%s", err);
		return -1;
	}
	for (int role = 0; role < SCN_ROLES; role++) {
		keys_secret *sec = NULL;
		if (!key[role])
			continue;
		if (keys_load_private(key[role], &sec, err) != 0) {
			fmt_set(why, n, "%s key: %s", scn_role_name(role), err);
			scnremote_clear(rm);
			return -1;
		}
		memcpy(rm->priv[role], keys_secret_priv(sec), KEYS_LEN);
		keys_secret_free(sec);
		rm->roles |= 1u << role;
	}
	if (!(rm->roles & (1u << SCN_PATIENT))) {
		fmt_set(why, n, "--pump needs --key (the patient's private key)");
		scnremote_clear(rm);
		return -1;
	}
	return 0;
}

void scnremote_clear(struct scnremote *rm)
{
	sodium_memzero(rm->priv, sizeof rm->priv);
	rm->roles = 0;
}

static const struct msg_rx default_rx = {
	.drug = "morphine",
	.concentration_ng_ml = 10000000u,   /* 10 mg/mL */
	.capacity_nl = 20000000u,           /* 20 mL */
	.mode = MSG_MODE_CONTINUOUS,
	.rate_ng_day = 3000000u,            /* 3 mg/day */
	.bolus_enabled = 1,
	.bolus_dose_ng = 500000u,           /* 0.5 mg */
	.bolus_duration_ms = 10u * 60000u,  /* 10 min */
	.lockout_ms = 2u * 3600000u,        /* 2 h */
	.max_per_24h = 6,
	.ceiling_ng_24h = 7000000u,         /* 7 mg */
	.low_threshold_nl = 2000000u,       /* 2 mL */
	.silence_ms = 3600000u,             /* 1 h */
};

void scnremote_default_rx(struct msg_rx *rx)
{
	*rx = default_rx;
}

/* ---- the set-up ---------------------------------------------------------------- */

struct prep {
	struct scnlink *l;
	uint64_t id[SCN_ROLES];       /* the last id each role sent */
	struct msg_reply rep;         /* the last reply */
	char *why;
	size_t n;
};

/* Send q as role with its next id.  0 with p->rep; -1 with why when no
 * reply came, or (want_ok) the pump refused it. */
static int call(struct prep *p, int role, struct msg_request *q, int want_ok)
{
	int rc;
	q->id = ++p->id[role];
	memset(&p->rep, 0, sizeof p->rep);
	rc = scnlink_call(p->l, role, q, &p->rep);
	if (rc != 0) {
		fmt_set(p->why, p->n, "set-up: %s as %s: no reply: %s", msg_type_name(q->type),
		        scn_role_name(role), client_strerror(rc));
		return -1;
	}
	if (want_ok && p->rep.err != MSG_OK) {
		fmt_set(p->why, p->n, "set-up: %s as %s: the pump refused it: %s%s%s",
		        msg_type_name(q->type), scn_role_name(role), msg_err_name(p->rep.err),
		        p->rep.detail[0] ? " " : "", p->rep.detail);
		return -1;
	}
	return 0;
}

/* Each role's last id: a STATUS with id 1 is answered, or refused as
 * stale with the last id the pump keeps for that remote. */
static int probe_ids(struct prep *p)
{
	for (int role = 0; role < SCN_ROLES; role++) {
		struct msg_request q;
		memset(&q, 0, sizeof q);
		q.type = MSG_STATUS;
		p->id[role] = 0;
		if (call(p, role, &q, 0) != 0)
			return -1;
		if (p->rep.err == MSG_E_STALE_ID)
			p->id[role] = p->rep.u.last_id;
		else if (p->rep.err != MSG_OK)
			return call(p, role, &q, 1);  /* says why */
	}
	return 0;
}

static int clock_op(struct prep *p, int op, uint64_t arg)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = MSG_CLOCK;
	q.u.clock.op = (uint8_t)op;
	q.u.clock.arg = arg;
	return call(p, SCN_TESTER, &q, 1);
}

static int simple(struct prep *p, int role, int type)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = (uint8_t)type;
	return call(p, role, &q, 1);
}

/* 1 when the log has an entry after seq */
static int log_after(struct prep *p, uint64_t seq, int *has)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = MSG_LOG;
	q.u.log.after_seq = seq;
	q.u.log.max = 1;
	if (call(p, SCN_CLINICIAN, &q, 1) != 0)
		return -1;
	*has = p->rep.u.log.n > 0;
	return 0;
}

/* The newest audit-log seq: the least S with no entry after it, found
 * with max=1 reads (a doubling, then halving), about 2 log2(S) of them. */
static int newest_seq(struct prep *p, uint64_t *out)
{
	uint64_t lo = 0, hi = 64;  /* an entry after lo; none after hi (once found) */
	int has;
	for (;;) {
		if (log_after(p, hi, &has) != 0)
			return -1;
		if (!has)
			break;
		lo = hi;
		if (hi > UINT64_MAX / 2) {
			hi = UINT64_MAX;
			break;
		}
		hi *= 2;
	}
	if (log_after(p, lo, &has) != 0)
		return -1;
	if (!has) {
		*out = lo;
		return 0;
	}
	while (hi - lo > 1) {   /* an entry after lo, none after hi */
		uint64_t mid = lo + (hi - lo) / 2;
		if (log_after(p, mid, &has) != 0)
			return -1;
		if (has)
			lo = mid;
		else
			hi = mid;
	}
	*out = hi;
	return 0;
}

int scnremote_prepare(struct scnlink *l, const struct scnremote_setup *su,
                      struct scnsend_base *base, char *why, size_t n)
{
	static struct msg_request q;
	struct prep p;
	const struct msg_state *st = &p.rep.state;
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];

	memset(&p, 0, sizeof p);
	p.l = l;
	p.why = why;
	p.n = n;
	memset(base, 0, sizeof *base);
	if (probe_ids(&p) != 0)
		return -1;
	if (!(st->flags & MSG_F_SIMULATED)) {
		fmt_set(why, n, "the pump runs on its real clock (pumpd run without --sim): "
		        "a scenario moves the clock");
		return 1;
	}
	/* the clock stands still unless a step moves it */
	if (clock_op(&p, MSG_CLOCK_SPEED, 0) != 0)
		return -1;
	if (su->rx->capacity_nl != st->capacity_nl) {
		fmt_set(why, n, "the scenario's pump holds %s, this one %s (a pump's size "
		        "cannot be programmed)", units_fmt_volume(su->rx->capacity_nl, a),
		        units_fmt_volume(st->capacity_nl, b));
		return 1;
	}
	/* the prescription (its concentration comes with a refill) */
	memset(&q, 0, sizeof q);
	q.type = MSG_REFILL;
	q.u.refill.volume_nl = su->rx->capacity_nl;
	q.u.refill.concentration_ng_ml = su->rx->concentration_ng_ml;
	if (call(&p, SCN_CLINICIAN, &q, 1) != 0)
		return -1;
	memset(&q, 0, sizeof q);
	q.type = MSG_PROGRAM;
	q.u.rx = *su->rx;
	if (call(&p, SCN_CLINICIAN, &q, 1) != 0)
		return -1;
	/* a refill that changed the concentration left a bridge due (the old
	 * drug in tubing and catheter): give it now, so that the scenario's
	 * refills find none pending; refused when none is due, or by a pump
	 * of the first edition (no CBOLUS) */
	memset(&q, 0, sizeof q);
	q.type = MSG_CBOLUS;
	q.u.cbolus.kind = MSG_CBOLUS_BRIDGE;
	if (call(&p, SCN_CLINICIAN, &q, 0) != 0 ||
	    simple(&p, SCN_PATIENT, MSG_STATUS) != 0)
		return -1;
	if (st->bolus_ends_ms > st->now_ms &&
	    clock_op(&p, MSG_CLOCK_ADVANCE, st->bolus_ends_ms - st->now_ms) != 0)
		return -1;
	/* past every bolus, lockout and 24 h window of what ran before */
	if (clock_op(&p, MSG_CLOCK_ADVANCE, DAY_MS) != 0 ||
	    simple(&p, SCN_PATIENT, MSG_STATUS) != 0)
		return -1;
	{
		uint64_t until = st->bolus_ends_ms;
		if (st->next_bolus_ms > until && st->next_bolus_reason != MSG_OUT_GRANTED)
			until = st->next_bolus_ms;
		if (until > st->now_ms && clock_op(&p, MSG_CLOCK_ADVANCE, until - st->now_ms) != 0)
			return -1;
	}
	if (su->start_ms) {
		/* start= itself, or (the clock is past it) the next moment with
		 * its time of day: the scenario then sees every time that many
		 * whole days earlier */
		uint64_t to = su->start_ms;
		if (st->now_ms > to) {
			to = st->now_ms + (DAY_MS - (st->now_ms - to) % DAY_MS) % DAY_MS;
			base->time_off = to - su->start_ms;
		}
		if (to > st->now_ms && clock_op(&p, MSG_CLOCK_ADVANCE, to - st->now_ms) != 0)
			return -1;
	}
	/* a full reservoir (or volume=), a new battery, no alarm */
	memset(&q, 0, sizeof q);
	q.type = MSG_REFILL;
	q.u.refill.volume_nl = (uint32_t)(su->volume_nl ? su->volume_nl : su->rx->capacity_nl);
	q.u.refill.concentration_ng_ml = su->rx->concentration_ng_ml;
	if (call(&p, SCN_CLINICIAN, &q, 1) != 0)
		return -1;
	memset(&q, 0, sizeof q);
	q.type = MSG_FAULT;
	q.u.fault.kind = MSG_FAULT_BATTERY_NEW;
	if (call(&p, SCN_TESTER, &q, 1) != 0)
		return -1;
	for (unsigned i = 0, na = st->n_alarms; i < na && i < MSG_ALARMS_MAX; i++) {
		uint8_t id = p.rep.state.alarms[i].id;
		struct msg_reply keep = p.rep;
		if (id == MSG_ALARM_LOW_RESERVOIR || id == MSG_ALARM_EMPTY)
			continue; /* volume= below the threshold: a new pump has it too */
		memset(&q, 0, sizeof q);
		q.type = MSG_CLEAR;
		q.u.alarm = id;
		if (call(&p, SCN_CLINICIAN, &q, 0) != 0)
			return -1;
		p.rep = keep;   /* go on through the list read before */
	}
	if (simple(&p, SCN_CLINICIAN, MSG_STATUS) != 0)
		return -1;
	for (unsigned i = 0; i < st->n_alarms && i < MSG_ALARMS_MAX; i++) {
		uint8_t id = st->alarms[i].id;
		if (id != MSG_ALARM_LOW_RESERVOIR && id != MSG_ALARM_EMPTY) {
			fmt_set(why, n, "set-up: the alarm %s stays after a clear", msg_alarm_name(id));
			return 1;
		}
	}
	if (su->rx->mode != MSG_MODE_STOPPED && !(st->flags & MSG_F_INFUSING) &&
	    !(st->n_alarms)) {
		memset(&q, 0, sizeof q);
		q.type = MSG_RUN;
		q.u.run = 1;
		if (call(&p, SCN_CLINICIAN, &q, 1) != 0)
			return -1;
	}
	if (newest_seq(&p, &base->log_seq) != 0 || simple(&p, SCN_CLINICIAN, MSG_STATUS) != 0)
		return -1;
	base->start_ms = st->now_ms;  /* the pump's time, not shifted */
	base->n_counts = p.rep.u.counts.n;
	memcpy(base->counts, p.rep.u.counts.c, sizeof base->counts);
	memcpy(base->id, p.id, sizeof base->id);
	return 0;
}
