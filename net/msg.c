/*
 * net/msg.c — the application message codec (see msg.h and
 * docs/PROTOCOL.md for the wire layout).  No I/O, no allocation.
 *
 * Layout summary (all integers big-endian, unsigned):
 *   request  = u8 type, u64 id, body(type)
 *   reply    = u8 0x80, u64 id, u8 req_type, u16 err, str8 detail,
 *              state, [body(req_type) if err == 0] [u64 last_id if STALE_ID]
 *   notify   = u8 0x81, u64 seq, u8 event, u8 alarm, state
 *   str8     = u8 length, that many printable ASCII bytes (0x20..0x7e)
 *   state    = u64 now, u8 mode, u8 flags, u32 reservoir, u32 capacity,
 *              u32 low_threshold, u32 concentration, u32 basal, u32 dose,
 *              u32 duration, u32 lockout, u16 boluses_24h, u16 max_per_24h,
 *              u64 bolus_ends, u64 next_bolus, u8 next_reason,
 *              u64 next_refill, u64 eri, u64 eos, u32 clock_speed, str8 drug,
 *              u8 n_alarms, n x (u8 id, u8 priority, u8 flags,
 *                                u64 raised, u64 silenced_until)
 */
#include "net/msg.h"

#include <string.h>

#include "util/be.h"

/* ---- writer ------------------------------------------------------------- */

struct wr {
	uint8_t *p;
	size_t cap, n;
	int err;
};

static void w_bytes(struct wr *w, const void *src, size_t len)
{
	if (w->err)
		return;
	if (w->cap - w->n < len) {
		w->err = MSG_ESPACE;
		return;
	}
	memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void w_u8(struct wr *w, uint8_t v) { w_bytes(w, &v, 1); }

static void w_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2];
	be16_put(b, v);
	w_bytes(w, b, 2);
}

static void w_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];
	be32_put(b, v);
	w_bytes(w, b, 4);
}

static void w_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];
	be64_put(b, v);
	w_bytes(w, b, 8);
}

static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A NUL-terminated string held in a char[max + 1] array. */
static void w_str(struct wr *w, const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);
	if (len > max || !printable(s, len)) {
		if (!w->err)
			w->err = MSG_EVALUE;
		return;
	}
	w_u8(w, (uint8_t)len);
	w_bytes(w, s, len);
}

static void w_bad(struct wr *w)
{
	if (!w->err)
		w->err = MSG_EVALUE;
}

static int w_done(struct wr *w)
{
	if (w->err)
		return w->err;
	return (int)w->n;
}

/* ---- reader ------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, n;
	int err;
	const char *field;   /* MSG_EVALUE: the field refused (docs' name) */
};

static int r_need(struct rd *r, size_t k)
{
	if (r->err)
		return 0;
	if (r->len - r->n < k) {
		r->err = MSG_ESHORT;
		return 0;
	}
	return 1;
}

static uint8_t r_u8(struct rd *r)
{
	if (!r_need(r, 1))
		return 0;
	return r->p[r->n++];
}

static uint16_t r_u16(struct rd *r)
{
	if (!r_need(r, 2))
		return 0;
	r->n += 2;
	return be16_get(r->p + r->n - 2);
}

static uint32_t r_u32(struct rd *r)
{
	if (!r_need(r, 4))
		return 0;
	r->n += 4;
	return be32_get(r->p + r->n - 4);
}

static uint64_t r_u64(struct rd *r)
{
	if (!r_need(r, 8))
		return 0;
	r->n += 8;
	return be64_get(r->p + r->n - 8);
}

/* The first value out of its domain: the field as docs/PROTOCOL.md names
 * it. */
static void r_bad(struct rd *r, const char *field)
{
	if (!r->err) {
		r->err = MSG_EVALUE;
		r->field = field;
	}
}

/* str8 into char[max + 1] */
static void r_str(struct rd *r, char *out, size_t max, const char *field)
{
	uint8_t len = r_u8(r);
	out[0] = '\0';
	if (r->err)
		return;
	if (len > max) {
		r_bad(r, field);
		return;
	}
	if (!r_need(r, len))
		return;
	if (!printable((const char *)r->p + r->n, len)) {
		r_bad(r, field);
		return;
	}
	memcpy(out, r->p + r->n, len);
	out[len] = '\0';
	r->n += len;
}

static int r_done(struct rd *r)
{
	if (r->err)
		return r->err;
	if (r->n != r->len)
		return MSG_ETRAIL;
	return 0;
}

/* ---- domains ------------------------------------------------------------ */

static int is_request_type(int t)
{
	switch (t) {
	case MSG_STATUS: case MSG_BOLUS: case MSG_SILENCE: case MSG_HISTORY:
	case MSG_HELLO: case MSG_PROGRAM: case MSG_REFILL: case MSG_CLEAR: case MSG_LOG:
	case MSG_RUN: case MSG_CONFIG: case MSG_CBOLUS:
	case MSG_FAULT: case MSG_CLOCK: case MSG_LINK:
		return 1;
	default:
		return 0;
	}
}

static int alarm_or_all(unsigned a) { return a < MSG_ALARM_COUNT; }
static int alarm_id(unsigned a) { return a >= 1 && a < MSG_ALARM_COUNT; }
static int mode_ok(unsigned m) { return m <= MSG_MODE_FLEXIBLE; }
static int prio_ok(unsigned p) { return p >= MSG_PRIO_LOW && p <= MSG_PRIO_HIGH; }
static int outcome_ok(unsigned o) { return o < MSG_OUT_COUNT; }
static int cbolus_ok(unsigned k) { return k >= 1 && k < MSG_CBOLUS_COUNT; }
static int link_ok(unsigned k) { return k < MSG_LINK_COUNT; }

/* A remote's name as pumpd pairs it: [A-Za-z0-9._-], or "" for all. */
static int remote_name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- state block ---------------------------------------------------------- */

static void w_state(struct wr *w, const struct msg_state *s)
{
	if (!mode_ok(s->mode) || (s->flags & ~MSG_F_ALL) ||
	    !outcome_ok(s->next_bolus_reason) || s->n_alarms > MSG_ALARMS_MAX)
		w_bad(w);
	w_u64(w, s->now_ms);
	w_u8(w, s->mode);
	w_u8(w, s->flags);
	w_u32(w, s->reservoir_nl);
	w_u32(w, s->capacity_nl);
	w_u32(w, s->low_threshold_nl);
	w_u32(w, s->concentration_ng_ml);
	w_u32(w, s->basal_ng_day);
	w_u32(w, s->bolus_dose_ng);
	w_u32(w, s->bolus_duration_ms);
	w_u32(w, s->lockout_ms);
	w_u16(w, s->boluses_24h);
	w_u16(w, s->max_per_24h);
	w_u64(w, s->bolus_ends_ms);
	w_u64(w, s->next_bolus_ms);
	w_u8(w, s->next_bolus_reason);
	w_u64(w, s->next_refill_ms);
	w_u64(w, s->eri_ms);
	w_u64(w, s->eos_ms);
	w_u32(w, s->clock_speed);
	w_str(w, s->drug, MSG_DRUG_MAX);
	if (w->err)
		return;
	w_u8(w, s->n_alarms);
	for (unsigned i = 0; i < s->n_alarms; i++) {
		const struct msg_alarm_info *a = &s->alarms[i];
		if (!alarm_id(a->id) || !prio_ok(a->priority) ||
		    (a->flags & ~MSG_AF_SILENCED))
			w_bad(w);
		w_u8(w, a->id);
		w_u8(w, a->priority);
		w_u8(w, a->flags);
		w_u64(w, a->raised_ms);
		w_u64(w, a->silenced_until_ms);
	}
}

static void r_state(struct rd *r, struct msg_state *s)
{
	s->now_ms = r_u64(r);
	s->mode = r_u8(r);
	s->flags = r_u8(r);
	s->reservoir_nl = r_u32(r);
	s->capacity_nl = r_u32(r);
	s->low_threshold_nl = r_u32(r);
	s->concentration_ng_ml = r_u32(r);
	s->basal_ng_day = r_u32(r);
	s->bolus_dose_ng = r_u32(r);
	s->bolus_duration_ms = r_u32(r);
	s->lockout_ms = r_u32(r);
	s->boluses_24h = r_u16(r);
	s->max_per_24h = r_u16(r);
	s->bolus_ends_ms = r_u64(r);
	s->next_bolus_ms = r_u64(r);
	s->next_bolus_reason = r_u8(r);
	s->next_refill_ms = r_u64(r);
	s->eri_ms = r_u64(r);
	s->eos_ms = r_u64(r);
	s->clock_speed = r_u32(r);
	if (r->err)
		return;
	if (!mode_ok(s->mode) || (s->flags & ~MSG_F_ALL) ||
	    !outcome_ok(s->next_bolus_reason)) {
		r_bad(r, !mode_ok(s->mode) ? "mode" : (s->flags & ~MSG_F_ALL) ?
		      "flags" : "next_bolus_reason");
		return;
	}
	r_str(r, s->drug, MSG_DRUG_MAX, "drug");
	s->n_alarms = r_u8(r);
	if (r->err)
		return;
	if (s->n_alarms > MSG_ALARMS_MAX) {
		r_bad(r, "n_alarms");
		return;
	}
	for (unsigned i = 0; i < s->n_alarms && !r->err; i++) {
		struct msg_alarm_info *a = &s->alarms[i];
		a->id = r_u8(r);
		a->priority = r_u8(r);
		a->flags = r_u8(r);
		a->raised_ms = r_u64(r);
		a->silenced_until_ms = r_u64(r);
		if (!r->err && (!alarm_id(a->id) || !prio_ok(a->priority) ||
		                (a->flags & ~MSG_AF_SILENCED)))
			r_bad(r, "alarms");
	}
}

/* ---- prescription block --------------------------------------------------- */

static void w_rx(struct wr *w, const struct msg_rx *x)
{
	if (!mode_ok(x->mode) || x->n_steps > MSG_STEPS_MAX ||
	    x->bolus_enabled > 1)
		w_bad(w);
	w_str(w, x->drug, MSG_DRUG_MAX);
	w_u32(w, x->concentration_ng_ml);
	w_u32(w, x->capacity_nl);
	w_u8(w, x->mode);
	w_u32(w, x->rate_ng_day);
	if (w->err)
		return;
	w_u8(w, x->n_steps);
	for (unsigned i = 0; i < x->n_steps; i++) {
		w_u32(w, x->steps[i].start_ms);
		w_u32(w, x->steps[i].rate_ng_day);
	}
	w_u8(w, x->bolus_enabled);
	w_u32(w, x->bolus_dose_ng);
	w_u32(w, x->bolus_duration_ms);
	w_u32(w, x->lockout_ms);
	w_u16(w, x->max_per_24h);
	w_u32(w, x->ceiling_ng_24h);
	w_u32(w, x->low_threshold_nl);
	w_u32(w, x->silence_ms);
}

static void r_rx(struct rd *r, struct msg_rx *x)
{
	r_str(r, x->drug, MSG_DRUG_MAX, "drug");
	x->concentration_ng_ml = r_u32(r);
	x->capacity_nl = r_u32(r);
	x->mode = r_u8(r);
	x->rate_ng_day = r_u32(r);
	x->n_steps = r_u8(r);
	if (r->err)
		return;
	if (!mode_ok(x->mode) || x->n_steps > MSG_STEPS_MAX) {
		r_bad(r, !mode_ok(x->mode) ? "mode" : "n_steps");
		return;
	}
	for (unsigned i = 0; i < x->n_steps; i++) {
		x->steps[i].start_ms = r_u32(r);
		x->steps[i].rate_ng_day = r_u32(r);
	}
	x->bolus_enabled = r_u8(r);
	x->bolus_dose_ng = r_u32(r);
	x->bolus_duration_ms = r_u32(r);
	x->lockout_ms = r_u32(r);
	x->max_per_24h = r_u16(r);
	x->ceiling_ng_24h = r_u32(r);
	x->low_threshold_nl = r_u32(r);
	x->silence_ms = r_u32(r);
	if (!r->err && x->bolus_enabled > 1)
		r_bad(r, "bolus_enabled");
}

/* ---- requests ------------------------------------------------------------- */

int msg_encode_request(const struct msg_request *q, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };

	if (!is_request_type(q->type))
		return MSG_ETYPE;
	if (q->id == 0)
		return MSG_EVALUE;
	w_u8(&w, q->type);
	w_u64(&w, q->id);
	switch (q->type) {
	case MSG_STATUS:
	case MSG_BOLUS:
	case MSG_HELLO:
		break;
	case MSG_SILENCE:
	case MSG_CLEAR:
		if (!alarm_or_all(q->u.alarm))
			w_bad(&w);
		w_u8(&w, q->u.alarm);
		break;
	case MSG_HISTORY:
		if (q->u.max < 1 || q->u.max > MSG_HISTORY_MAX)
			w_bad(&w);
		w_u16(&w, q->u.max);
		break;
	case MSG_PROGRAM:
		w_rx(&w, &q->u.rx);
		break;
	case MSG_REFILL:
		if (q->u.refill.has_withdrawn > 1)
			w_bad(&w);
		w_u32(&w, q->u.refill.volume_nl);
		w_u32(&w, q->u.refill.concentration_ng_ml);
		if (q->u.refill.has_withdrawn)
			w_u32(&w, q->u.refill.withdrawn_nl);
		break;
	case MSG_LOG:
		if (q->u.log.max < 1 || q->u.log.max > MSG_LOG_MAX)
			w_bad(&w);
		w_u64(&w, q->u.log.after_seq);
		w_u16(&w, q->u.log.max);
		break;
	case MSG_RUN:
		if (q->u.run > 1)
			w_bad(&w);
		w_u8(&w, q->u.run);
		break;
	case MSG_FAULT:
		if (q->u.fault.kind < 1 || q->u.fault.kind >= MSG_FAULT_COUNT)
			w_bad(&w);
		w_u8(&w, q->u.fault.kind);
		w_u64(&w, q->u.fault.arg);
		break;
	case MSG_CLOCK:
		if (q->u.clock.op != MSG_CLOCK_ADVANCE &&
		    q->u.clock.op != MSG_CLOCK_SPEED)
			w_bad(&w);
		w_u8(&w, q->u.clock.op);
		w_u64(&w, q->u.clock.arg);
		break;
	case MSG_LINK:
		if (!link_ok(q->u.link.kind) || !remote_name_ok(q->u.link.remote))
			w_bad(&w);
		w_u8(&w, q->u.link.kind);
		w_str(&w, q->u.link.remote, MSG_REMOTE_MAX);
		w_u32(&w, q->u.link.count);
		w_u32(&w, q->u.link.ms);
		break;
	case MSG_CONFIG:
		w_u32(&w, q->u.config.tubing_nl);
		w_u32(&w, q->u.config.catheter_mm);
		w_u32(&w, q->u.config.catheter_nl_per_mm);
		break;
	case MSG_CBOLUS:
		if (!cbolus_ok(q->u.cbolus.kind))
			w_bad(&w);
		w_u8(&w, q->u.cbolus.kind);
		w_u32(&w, q->u.cbolus.dose_ng);
		w_u32(&w, q->u.cbolus.duration_ms);
		w_u32(&w, q->u.cbolus.rate_nl_h);
		break;
	}
	return w_done(&w);
}

int msg_decode_request(const uint8_t *buf, size_t len, struct msg_request *out,
                       uint8_t *type_out, uint64_t *id_out,
                       const char **field_out)
{
	struct msg_request q;
	struct rd r = { buf, len, 0, 0, NULL };

	if (field_out)
		*field_out = NULL;
	memset(&q, 0, sizeof q);
	q.type = r_u8(&r);
	if (r.err)
		return r.err;
	if (type_out)
		*type_out = q.type;
	q.id = r_u64(&r);
	if (r.err)
		return r.err;
	if (id_out)
		*id_out = q.id;
	if (!is_request_type(q.type))
		return MSG_ETYPE;
	if (q.id == 0)
		r_bad(&r, "id");
	switch (q.type) {
	case MSG_STATUS:
	case MSG_BOLUS:
	case MSG_HELLO:
		break;
	case MSG_SILENCE:
	case MSG_CLEAR:
		q.u.alarm = r_u8(&r);
		if (!r.err && !alarm_or_all(q.u.alarm))
			r_bad(&r, "alarm");
		break;
	case MSG_HISTORY:
		q.u.max = r_u16(&r);
		if (!r.err && (q.u.max < 1 || q.u.max > MSG_HISTORY_MAX))
			r_bad(&r, "max");
		break;
	case MSG_PROGRAM:
		r_rx(&r, &q.u.rx);
		break;
	case MSG_REFILL:
		q.u.refill.volume_nl = r_u32(&r);
		q.u.refill.concentration_ng_ml = r_u32(&r);
		/* the first edition's body ends here; withdrawn_nl is appended */
		if (!r.err && r.n < r.len) {
			q.u.refill.has_withdrawn = 1;
			q.u.refill.withdrawn_nl = r_u32(&r);
		}
		break;
	case MSG_LOG:
		q.u.log.after_seq = r_u64(&r);
		q.u.log.max = r_u16(&r);
		if (!r.err && (q.u.log.max < 1 || q.u.log.max > MSG_LOG_MAX))
			r_bad(&r, "max");
		break;
	case MSG_RUN:
		q.u.run = r_u8(&r);
		if (!r.err && q.u.run > 1)
			r_bad(&r, "run");
		break;
	case MSG_FAULT:
		q.u.fault.kind = r_u8(&r);
		q.u.fault.arg = r_u64(&r);
		if (!r.err && (q.u.fault.kind < 1 || q.u.fault.kind >= MSG_FAULT_COUNT))
			r_bad(&r, "fault");
		break;
	case MSG_CLOCK:
		q.u.clock.op = r_u8(&r);
		q.u.clock.arg = r_u64(&r);
		if (!r.err && q.u.clock.op != MSG_CLOCK_ADVANCE &&
		    q.u.clock.op != MSG_CLOCK_SPEED)
			r_bad(&r, "op");
		break;
	case MSG_LINK:
		q.u.link.kind = r_u8(&r);
		if (!r.err && !link_ok(q.u.link.kind))
			r_bad(&r, "kind");
		r_str(&r, q.u.link.remote, MSG_REMOTE_MAX, "remote");
		if (!r.err && !remote_name_ok(q.u.link.remote))
			r_bad(&r, "remote");
		q.u.link.count = r_u32(&r);
		q.u.link.ms = r_u32(&r);
		break;
	case MSG_CONFIG:
		q.u.config.tubing_nl = r_u32(&r);
		q.u.config.catheter_mm = r_u32(&r);
		q.u.config.catheter_nl_per_mm = r_u32(&r);
		break;
	case MSG_CBOLUS:
		q.u.cbolus.kind = r_u8(&r);
		q.u.cbolus.dose_ng = r_u32(&r);
		q.u.cbolus.duration_ms = r_u32(&r);
		q.u.cbolus.rate_nl_h = r_u32(&r);
		if (!r.err && !cbolus_ok(q.u.cbolus.kind))
			r_bad(&r, "kind");
		break;
	}
	int rc = r_done(&r);
	if (rc == 0)
		*out = q;
	if (field_out)
		*field_out = rc == MSG_EVALUE ? r.field : NULL;
	return rc;
}

/* ---- replies and notifications -------------------------------------------- */

int msg_encode_reply(const struct msg_reply *p, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };

	if (p->err > MSG_E__LAST)
		return MSG_EVALUE;
	if (p->err == MSG_OK && !is_request_type(p->req_type))
		return MSG_EVALUE;
	w_u8(&w, MSG_REPLY);
	w_u64(&w, p->id);
	w_u8(&w, p->req_type);
	w_u16(&w, p->err);
	w_str(&w, p->err == MSG_OK ? "" : p->detail, MSG_DETAIL_MAX);
	w_state(&w, &p->state);
	if (p->err == MSG_E_STALE_ID) {
		w_u64(&w, p->u.last_id);
		return w_done(&w);
	}
	if (p->err != MSG_OK)
		return w_done(&w);
	switch (p->req_type) {
	case MSG_STATUS:
		if (p->u.counts.n > MSG_COUNTS_MAX) {
			w_bad(&w);
			break;
		}
		w_u8(&w, p->u.counts.n);
		for (unsigned i = 0; i < p->u.counts.n; i++) {
			if (!outcome_ok(p->u.counts.c[i].outcome))
				w_bad(&w);
			w_u8(&w, p->u.counts.c[i].outcome);
			w_u32(&w, p->u.counts.c[i].count);
		}
		break;
	case MSG_BOLUS:
		if (!outcome_ok(p->u.bolus.outcome))
			w_bad(&w);
		w_u8(&w, p->u.bolus.outcome);
		w_u32(&w, p->u.bolus.dose_ng);
		w_u64(&w, p->u.bolus.at_ms);
		w_u64(&w, p->u.bolus.wait_ms);
		break;
	case MSG_SILENCE:
		w_u8(&w, p->u.silenced);
		break;
	case MSG_HISTORY:
		if (p->u.history.n > MSG_HISTORY_MAX) {
			w_bad(&w);
			break;
		}
		w_u8(&w, p->u.history.n);
		for (unsigned i = 0; i < p->u.history.n; i++) {
			const struct msg_history_entry *e = &p->u.history.e[i];
			if (!outcome_ok(e->outcome))
				w_bad(&w);
			w_u64(&w, e->at_ms);
			w_u8(&w, e->outcome);
			w_u32(&w, e->dose_ng);
		}
		break;
	case MSG_LOG:
		if (p->u.log.n > MSG_LOG_MAX) {
			w_bad(&w);
			break;
		}
		w_u8(&w, p->u.log.n);
		for (unsigned i = 0; i < p->u.log.n; i++) {
			const struct msg_log_entry *e = &p->u.log.e[i];
			w_u64(&w, e->seq);
			w_u64(&w, e->at_ms);
			w_str(&w, e->text, MSG_TEXT_MAX);
		}
		break;
	case MSG_CONFIG:
		w_u32(&w, p->u.config.c.tubing_nl);
		w_u32(&w, p->u.config.c.catheter_mm);
		w_u32(&w, p->u.config.c.catheter_nl_per_mm);
		w_u32(&w, p->u.config.catheter_nl);
		break;
	case MSG_HELLO:
		w_u16(&w, p->u.hello.protocol);
		w_u32(&w, p->u.hello.features);
		w_str(&w, p->u.hello.software, MSG_SOFTWARE_MAX);
		break;
	case MSG_REFILL:
		if (p->u.refill.present > 1 || (p->u.refill.flags & ~MSG_RF_ALL))
			w_bad(&w);
		if (!p->u.refill.present)
			break;
		w_u32(&w, p->u.refill.withdrawn_nl);
		w_u32(&w, p->u.refill.expected_nl);
		w_u32(&w, p->u.refill.tolerance_nl);
		w_u8(&w, p->u.refill.flags);
		w_u64(&w, p->u.refill.next_refill_ms);
		break;
	case MSG_CBOLUS:
		if (!cbolus_ok(p->u.cbolus.kind))
			w_bad(&w);
		w_u8(&w, p->u.cbolus.kind);
		w_u32(&w, p->u.cbolus.volume_nl);
		w_u32(&w, p->u.cbolus.dose_ng);
		w_u32(&w, p->u.cbolus.duration_ms);
		w_u64(&w, p->u.cbolus.ends_at_ms);
		break;
	default:
		break;
	}
	return w_done(&w);
}

int msg_encode_notify(const struct msg_notify *n, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };

	if (n->event >= MSG_EV_COUNT || !alarm_or_all(n->alarm))
		return MSG_EVALUE;
	w_u8(&w, MSG_NOTIFY);
	w_u64(&w, n->seq);
	w_u8(&w, n->event);
	w_u8(&w, n->alarm);
	w_state(&w, &n->state);
	return w_done(&w);
}

static void r_reply(struct rd *r, struct msg_reply *p)
{
	p->id = r_u64(r);
	p->req_type = r_u8(r);
	p->err = r_u16(r);
	if (r->err)
		return;
	if (p->err > MSG_E__LAST ||
	    (p->err == MSG_OK && !is_request_type(p->req_type))) {
		r_bad(r, p->err > MSG_E__LAST ? "err" : "req_type");
		return;
	}
	r_str(r, p->detail, MSG_DETAIL_MAX, "detail");
	if (!r->err && p->err == MSG_OK && p->detail[0])
		r_bad(r, "detail");
	r_state(r, &p->state);
	if (r->err)
		return;
	if (p->err == MSG_E_STALE_ID) {
		p->u.last_id = r_u64(r);
		return;
	}
	if (p->err != MSG_OK)
		return;
	switch (p->req_type) {
	case MSG_STATUS:
		p->u.counts.n = r_u8(r);
		if (!r->err && p->u.counts.n > MSG_COUNTS_MAX) {
			r_bad(r, "n");
			return;
		}
		for (unsigned i = 0; i < p->u.counts.n && !r->err; i++) {
			p->u.counts.c[i].outcome = r_u8(r);
			p->u.counts.c[i].count = r_u32(r);
			if (!r->err && !outcome_ok(p->u.counts.c[i].outcome))
				r_bad(r, "outcome");
		}
		break;
	case MSG_BOLUS:
		p->u.bolus.outcome = r_u8(r);
		p->u.bolus.dose_ng = r_u32(r);
		p->u.bolus.at_ms = r_u64(r);
		p->u.bolus.wait_ms = r_u64(r);
		if (!r->err && !outcome_ok(p->u.bolus.outcome))
			r_bad(r, "outcome");
		break;
	case MSG_SILENCE:
		p->u.silenced = r_u8(r);
		break;
	case MSG_HISTORY:
		p->u.history.n = r_u8(r);
		if (!r->err && p->u.history.n > MSG_HISTORY_MAX) {
			r_bad(r, "n");
			return;
		}
		for (unsigned i = 0; i < p->u.history.n && !r->err; i++) {
			struct msg_history_entry *e = &p->u.history.e[i];
			e->at_ms = r_u64(r);
			e->outcome = r_u8(r);
			e->dose_ng = r_u32(r);
			if (!r->err && !outcome_ok(e->outcome))
				r_bad(r, "outcome");
		}
		break;
	case MSG_LOG:
		p->u.log.n = r_u8(r);
		if (!r->err && p->u.log.n > MSG_LOG_MAX) {
			r_bad(r, "n");
			return;
		}
		for (unsigned i = 0; i < p->u.log.n && !r->err; i++) {
			struct msg_log_entry *e = &p->u.log.e[i];
			e->seq = r_u64(r);
			e->at_ms = r_u64(r);
			r_str(r, e->text, MSG_TEXT_MAX, "text");
		}
		break;
	case MSG_CONFIG:
		p->u.config.c.tubing_nl = r_u32(r);
		p->u.config.c.catheter_mm = r_u32(r);
		p->u.config.c.catheter_nl_per_mm = r_u32(r);
		p->u.config.catheter_nl = r_u32(r);
		break;
	case MSG_HELLO:
		p->u.hello.protocol = r_u16(r);
		p->u.hello.features = r_u32(r);
		r_str(r, p->u.hello.software, MSG_SOFTWARE_MAX, "software");
		break;
	case MSG_REFILL:
		if (r->n == r->len)
			break;   /* the request did not carry withdrawn_nl */
		p->u.refill.present = 1;
		p->u.refill.withdrawn_nl = r_u32(r);
		p->u.refill.expected_nl = r_u32(r);
		p->u.refill.tolerance_nl = r_u32(r);
		p->u.refill.flags = r_u8(r);
		p->u.refill.next_refill_ms = r_u64(r);
		if (!r->err && (p->u.refill.flags & ~MSG_RF_ALL))
			r_bad(r, "flags");
		break;
	case MSG_CBOLUS:
		p->u.cbolus.kind = r_u8(r);
		p->u.cbolus.volume_nl = r_u32(r);
		p->u.cbolus.dose_ng = r_u32(r);
		p->u.cbolus.duration_ms = r_u32(r);
		p->u.cbolus.ends_at_ms = r_u64(r);
		if (!r->err && !cbolus_ok(p->u.cbolus.kind))
			r_bad(r, "kind");
		break;
	default:
		break;
	}
}

static void r_notify(struct rd *r, struct msg_notify *n)
{
	n->seq = r_u64(r);
	n->event = r_u8(r);
	n->alarm = r_u8(r);
	if (r->err)
		return;
	if (n->event >= MSG_EV_COUNT || !alarm_or_all(n->alarm)) {
		r_bad(r, n->event >= MSG_EV_COUNT ? "event" : "alarm");
		return;
	}
	r_state(r, &n->state);
}

int msg_decode_from_pump(const uint8_t *buf, size_t len, struct msg_from_pump *out)
{
	struct msg_from_pump m;
	struct rd r = { buf, len, 0, 0, NULL };

	memset(&m, 0, sizeof m);
	m.type = r_u8(&r);
	if (r.err)
		return r.err;
	if (m.type == MSG_REPLY)
		r_reply(&r, &m.u.reply);
	else if (m.type == MSG_NOTIFY)
		r_notify(&r, &m.u.notify);
	else
		return MSG_ETYPE;
	int rc = r_done(&r);
	if (rc == 0)
		memcpy(out, &m, sizeof m);
	return rc;
}

/* ---- names ------------------------------------------------------------------ */

struct name { int v; const char *s; };

static const struct name type_names[] = {
	{ MSG_STATUS, "status" }, { MSG_BOLUS, "bolus" },
	{ MSG_SILENCE, "silence" }, { MSG_HISTORY, "history" },
	{ MSG_HELLO, "hello" },
	{ MSG_PROGRAM, "program" }, { MSG_REFILL, "refill" },
	{ MSG_CLEAR, "clear" }, { MSG_LOG, "log" }, { MSG_RUN, "run" },
	{ MSG_CONFIG, "config" }, { MSG_CBOLUS, "cbolus" },
	{ MSG_FAULT, "fault" }, { MSG_CLOCK, "clock" }, { MSG_LINK, "link" },
	{ MSG_REPLY, "reply" }, { MSG_NOTIFY, "notify" }, { 0, NULL }
};
static const struct name err_names[] = {
	{ MSG_OK, "ok" }, { MSG_E_MALFORMED, "malformed" }, { MSG_E_TYPE, "type" },
	{ MSG_E_ROLE, "role" }, { MSG_E_NOT_SIM, "not_sim" },
	{ MSG_E_STALE_ID, "stale_id" }, { MSG_E_RANGE, "range" },
	{ MSG_E_STATE, "state" }, { MSG_E_STORAGE, "storage" },
	{ MSG_E_INTERNAL, "internal" }, { 0, NULL }
};
static const struct name outcome_names[] = {
	{ MSG_OUT_GRANTED, "granted" }, { MSG_OUT_LOCKOUT, "lockout" },
	{ MSG_OUT_DAILY_COUNT, "daily_count" }, { MSG_OUT_CEILING, "ceiling" },
	{ MSG_OUT_RUNNING, "running" }, { MSG_OUT_DISABLED, "disabled" },
	{ MSG_OUT_RESERVOIR, "reservoir" }, { MSG_OUT_STOPPED, "stopped" },
	{ MSG_OUT_CRITICAL, "critical" }, { 0, NULL }
};
static const struct name alarm_names[] = {
	{ 0, "none" },
	{ MSG_ALARM_LOW_RESERVOIR, "low_reservoir" }, { MSG_ALARM_ERI, "eri" },
	{ MSG_ALARM_EOS, "eos" }, { MSG_ALARM_EMPTY, "empty" },
	{ MSG_ALARM_MOTOR_STALL, "motor_stall" }, { MSG_ALARM_MEMORY, "memory" },
	{ MSG_ALARM_MEMORY_CRITICAL, "memory_critical" }, { 0, NULL }
};
static const struct name prio_names[] = {
	{ MSG_PRIO_LOW, "low" }, { MSG_PRIO_MEDIUM, "medium" },
	{ MSG_PRIO_HIGH, "high" }, { 0, NULL }
};
static const struct name mode_names[] = {
	{ MSG_MODE_STOPPED, "stopped" }, { MSG_MODE_CONTINUOUS, "continuous" },
	{ MSG_MODE_FLEXIBLE, "flexible" }, { 0, NULL }
};
static const struct name fault_names[] = {
	{ MSG_FAULT_MOTOR_STALL, "motor_stall" }, { MSG_FAULT_MEMORY, "memory" },
	{ MSG_FAULT_MEMORY_CRITICAL, "memory_critical" },
	{ MSG_FAULT_BATTERY_ERI, "battery_eri" },
	{ MSG_FAULT_BATTERY_EOS, "battery_eos" },
	{ MSG_FAULT_RESERVOIR, "reservoir" },
	{ MSG_FAULT_BATTERY_NEW, "battery_new" },
	{ MSG_FAULT_OCCLUSION, "occlusion" }, { MSG_FAULT_STALL_FOR, "stall_for" },
	{ 0, NULL }
};
static const struct name event_names[] = {
	{ MSG_EV_STATE, "state" }, { MSG_EV_BOLUS_STARTED, "bolus_started" },
	{ MSG_EV_BOLUS_ENDED, "bolus_ended" },
	{ MSG_EV_ALARM_RAISED, "alarm_raised" },
	{ MSG_EV_ALARM_CLEARED, "alarm_cleared" },
	{ MSG_EV_ALARM_RESOUND, "alarm_resound" },
	{ MSG_EV_ALARM_SILENCED, "alarm_silenced" },
	{ MSG_EV_PROGRAMMED, "programmed" }, { MSG_EV_REFILLED, "refilled" },
	{ MSG_EV_CLOCK, "clock" }, { MSG_EV_STARTED, "started" },
	{ MSG_EV_STOPPED, "stopped" }, { 0, NULL }
};
static const struct name cbolus_names[] = {
	{ MSG_CBOLUS_SINGLE, "single" }, { MSG_CBOLUS_PRIME, "prime" },
	{ MSG_CBOLUS_BRIDGE, "bridge" }, { 0, NULL }
};
static const struct name link_names[] = {
	{ MSG_LINK_CLEAR, "clear" }, { MSG_LINK_DROP_REQUESTS, "drop_requests" },
	{ MSG_LINK_DROP_REPLIES, "drop_replies" }, { MSG_LINK_DELAY, "delay" },
	{ MSG_LINK_CUT, "cut" }, { MSG_LINK_DUPLICATE, "duplicate" },
	{ MSG_LINK_OUT_OF_RANGE, "out_of_range" }, { MSG_LINK_BUSY, "busy" },
	{ 0, NULL }
};

static const char *name_of(const struct name *t, int v)
{
	for (; t->s; t++)
		if (t->v == v)
			return t->s;
	return "unknown";
}

static int parse_of(const struct name *t, const char *s)
{
	if (!s)
		return -1;
	for (; t->s; t++)
		if (strcmp(t->s, s) == 0)
			return t->v;
	return -1;
}

const char *msg_type_name(int type) { return name_of(type_names, type); }
const char *msg_err_name(int err) { return name_of(err_names, err); }
const char *msg_outcome_name(int o) { return name_of(outcome_names, o); }
const char *msg_alarm_name(int a) { return name_of(alarm_names, a); }
const char *msg_priority_name(int p) { return name_of(prio_names, p); }
const char *msg_mode_name(int m) { return name_of(mode_names, m); }
const char *msg_fault_name(int f) { return name_of(fault_names, f); }
const char *msg_event_name(int e) { return name_of(event_names, e); }
const char *msg_cbolus_kind_name(int k) { return name_of(cbolus_names, k); }
const char *msg_link_kind_name(int k) { return name_of(link_names, k); }

int msg_type_parse(const char *s) { return parse_of(type_names, s); }
int msg_outcome_parse(const char *s) { return parse_of(outcome_names, s); }
int msg_fault_parse(const char *s) { return parse_of(fault_names, s); }
int msg_mode_parse(const char *s) { return parse_of(mode_names, s); }
int msg_cbolus_kind_parse(const char *s) { return parse_of(cbolus_names, s); }

int msg_link_kind_parse(const char *s)
{
	char w[16];
	size_t i = 0;
	if (!s)
		return -1;
	for (; s[i] && i < sizeof w - 1; i++)
		w[i] = s[i] == '-' ? '_' : s[i];   /* drop-replies = drop_replies */
	if (s[i])
		return -1;
	w[i] = '\0';
	return parse_of(link_names, w);
}

int msg_alarm_parse(const char *s)
{
	if (s && strcmp(s, "all") == 0)
		return 0;
	return parse_of(alarm_names, s);
}
