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

#include <stddef.h>
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

/* ---- field tables ------------------------------------------------------- */

/* A run of fixed-width fields in wire order: where each member sits in its
 * struct (base); a member is as wide as its field on the wire (1, 2, 4 or
 * 8 bytes), so one table serves the writer and the reader. */
struct fld {
	uint16_t off;
	uint8_t size;
};
#define FLD(T, m) { offsetof(T, m), sizeof(((T *)0)->m) }
#define W_FIELDS(w, base, t) w_fields(w, base, t, sizeof (t) / sizeof (t)[0])
#define R_FIELDS(r, base, t) r_fields(r, base, t, sizeof (t) / sizeof (t)[0])

static void w_fields(struct wr *w, const void *base, const struct fld *f,
                     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *m = (const uint8_t *)base + f[i].off;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;
		switch (f[i].size) {
		case 1: w_u8(w, *m); break;
		case 2: memcpy(&v16, m, 2); w_u16(w, v16); break;
		case 4: memcpy(&v32, m, 4); w_u32(w, v32); break;
		default: memcpy(&v64, m, 8); w_u64(w, v64); break;
		}
	}
}

static void r_fields(struct rd *r, void *base, const struct fld *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *m = (uint8_t *)base + f[i].off;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;
		switch (f[i].size) {
		case 1: *m = r_u8(r); break;
		case 2: v16 = r_u16(r); memcpy(m, &v16, 2); break;
		case 4: v32 = r_u32(r); memcpy(m, &v32, 4); break;
		default: v64 = r_u64(r); memcpy(m, &v64, 8); break;
		}
	}
}

/* r_bad(field) when bad, unless r has failed already. */
static void r_refuse(struct rd *r, int bad, const char *field)
{
	if (!r->err && bad)
		r_bad(r, field);
}

/* A list's u8 count n, at most max: 1 to go on to its items, 0 (refused:
 * the writer's MSG_EVALUE, the reader's, naming the field) to stop. */
static int w_count(struct wr *w, uint8_t n, unsigned max)
{
	if (n > max) {
		w_bad(w);
		return 0;
	}
	w_u8(w, n);
	return 1;
}

static int r_count(struct rd *r, uint8_t *n, unsigned max)
{
	*n = r_u8(r);
	r_refuse(r, *n > max, "n");
	return !r->err;
}

/* ---- domains ------------------------------------------------------------ */

static int is_request_type(int t)
{
	switch (t) {
	case MSG_STATUS: case MSG_BOLUS: case MSG_SILENCE: case MSG_HISTORY:
	case MSG_HELLO: case MSG_PROGRAM: case MSG_REFILL: case MSG_CLEAR: case MSG_LOG:
	case MSG_RUN: case MSG_CONFIG: case MSG_CBOLUS:
	case MSG_STAGE: case MSG_STAGE_CONFIRM: case MSG_STAGE_CANCEL: case MSG_ALARMTEST:
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
/* HELLO's accept: known bits, not 0; the delivery block only with edition
 * 3 (its decoder finds it by the extension after it) */
static int accept_ok(uint32_t a)
{
	return a && !(a & ~MSG_ACCEPT_ALL) &&
	       (!(a & (MSG_ACCEPT_DELIVERY | MSG_ACCEPT_TYPED)) ||
	        (a & MSG_ACCEPT_ED3));
}
static int log_kind_ok(unsigned k) { return k < MSG_LOG_KIND_COUNT; }
static int log_role_ok(unsigned r) { return r < MSG_LOG_ROLE_COUNT; }

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

#define ST(m) FLD(struct msg_state, m)
/* now_ms .. clock_speed */
static const struct fld state_head[] = {
	ST(now_ms), ST(mode), ST(flags), ST(reservoir_nl), ST(capacity_nl),
	ST(low_threshold_nl), ST(concentration_ng_ml), ST(basal_ng_day),
	ST(bolus_dose_ng), ST(bolus_duration_ms), ST(lockout_ms), ST(boluses_24h),
	ST(max_per_24h), ST(bolus_ends_ms), ST(next_bolus_ms),
	ST(next_bolus_reason), ST(next_refill_ms), ST(eri_ms), ST(eos_ms),
	ST(clock_speed),
};
#define AL(m) FLD(struct msg_alarm_info, m)
static const struct fld alarm_fields[] = {
	AL(id), AL(priority), AL(flags), AL(raised_ms), AL(silenced_until_ms),
};

static void w_state(struct wr *w, const struct msg_state *s)
{
	if (!mode_ok(s->mode) || (s->flags & ~MSG_F_ALL) ||
	    !outcome_ok(s->next_bolus_reason) || s->n_alarms > MSG_ALARMS_MAX)
		w_bad(w);
	W_FIELDS(w, s, state_head);
	w_str(w, s->drug, MSG_DRUG_MAX);
	if (w->err)
		return;
	w_u8(w, s->n_alarms);
	for (unsigned i = 0; i < s->n_alarms; i++) {
		const struct msg_alarm_info *a = &s->alarms[i];
		if (!alarm_id(a->id) || !prio_ok(a->priority) ||
		    (a->flags & ~MSG_AF_SILENCED))
			w_bad(w);
		W_FIELDS(w, a, alarm_fields);
	}
}

static void r_state(struct rd *r, struct msg_state *s)
{
	R_FIELDS(r, s, state_head);
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
		R_FIELDS(r, a, alarm_fields);
		r_refuse(r, !alarm_id(a->id) || !prio_ok(a->priority) ||
		         (a->flags & ~MSG_AF_SILENCED), "alarms");
	}
}

/* The state extension (8.9): PENDING exactly when a stage_id is named;
 * staged_ms only then; a bolus kind (8.15) only while a bolus runs. */
static int ext_ok(const struct msg_state *s)
{
	const struct msg_stage_ext *x = &s->ext;
	int pending = (x->flags & MSG_SX_PENDING) != 0;
	return !(x->flags & ~MSG_SX_ALL) && pending == (x->stage_id != 0) &&
	       (pending || x->staged_ms == 0) &&
	       (!(x->flags & MSG_SX_BOLUS_MASK) || (s->flags & MSG_F_BOLUS_RUNNING));
}

static void w_ext(struct wr *w, const struct msg_state *s)
{
	if (!s->has_ext)
		return;
	if (s->has_ext > 1 || !ext_ok(s))
		w_bad(w);
	w_u8(w, s->ext.flags);
	w_u32(w, s->ext.stage_id);
	w_u64(w, s->ext.staged_ms);
}

/* At the message's end: the extension when exactly its length remains. */
static void r_ext(struct rd *r, struct msg_state *s)
{
	if (r->err || r->len - r->n != MSG_SX_LEN)
		return;
	s->has_ext = 1;
	s->ext.flags = r_u8(r);
	s->ext.stage_id = r_u32(r);
	s->ext.staged_ms = r_u64(r);
	if (!r->err && !ext_ok(s))
		r_bad(r, "stage_flags");
}

/* ---- prescription block --------------------------------------------------- */

#define RX(m) FLD(struct msg_rx, m)
static const struct fld rx_head[] = {   /* after drug, before n_steps */
	RX(concentration_ng_ml), RX(capacity_nl), RX(mode), RX(rate_ng_day),
};
static const struct fld step_fields[] = {
	FLD(struct msg_step, start_ms), FLD(struct msg_step, rate_ng_day),
};
static const struct fld rx_tail[] = {   /* after the steps */
	RX(bolus_enabled), RX(bolus_dose_ng), RX(bolus_duration_ms),
	RX(lockout_ms), RX(max_per_24h), RX(ceiling_ng_24h),
	RX(low_threshold_nl), RX(silence_ms),
};

static void w_rx(struct wr *w, const struct msg_rx *x)
{
	if (!mode_ok(x->mode) || x->n_steps > MSG_STEPS_MAX ||
	    x->bolus_enabled > 1)
		w_bad(w);
	w_str(w, x->drug, MSG_DRUG_MAX);
	W_FIELDS(w, x, rx_head);
	if (w->err)
		return;
	w_u8(w, x->n_steps);
	for (unsigned i = 0; i < x->n_steps; i++)
		W_FIELDS(w, &x->steps[i], step_fields);
	W_FIELDS(w, x, rx_tail);
}

static void r_rx(struct rd *r, struct msg_rx *x)
{
	r_str(r, x->drug, MSG_DRUG_MAX, "drug");
	R_FIELDS(r, x, rx_head);
	x->n_steps = r_u8(r);
	if (r->err)
		return;
	if (!mode_ok(x->mode) || x->n_steps > MSG_STEPS_MAX) {
		r_bad(r, !mode_ok(x->mode) ? "mode" : "n_steps");
		return;
	}
	for (unsigned i = 0; i < x->n_steps; i++)
		R_FIELDS(r, &x->steps[i], step_fields);
	R_FIELDS(r, x, rx_tail);
	r_refuse(r, x->bolus_enabled > 1, "bolus_enabled");
}

/* ---- requests ------------------------------------------------------------- */

#define RQ(m) FLD(struct msg_request, u.m)
static const struct fld rq_refill[] = {
	RQ(refill.volume_nl), RQ(refill.concentration_ng_ml),
};
static const struct fld rq_log[] = { RQ(log.after_seq), RQ(log.max) };
static const struct fld rq_fault[] = { RQ(fault.kind), RQ(fault.arg) };
static const struct fld rq_clock[] = { RQ(clock.op), RQ(clock.arg) };
static const struct fld rq_config[] = {
	RQ(config.tubing_nl), RQ(config.catheter_mm), RQ(config.catheter_nl_per_mm),
};
static const struct fld rq_cbolus[] = {
	RQ(cbolus.kind), RQ(cbolus.dose_ng), RQ(cbolus.duration_ms),
	RQ(cbolus.rate_nl_h),
};

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
		break;
	case MSG_HELLO:
		if (!accept_ok(q->u.accept) && q->u.accept)
			w_bad(&w);
		if (q->u.accept)
			w_u32(&w, q->u.accept);
		break;
	case MSG_SILENCE:
	case MSG_CLEAR:
		if (!alarm_or_all(q->u.alarm))
			w_bad(&w);
		w_u8(&w, q->u.alarm);
		break;
	case MSG_ALARMTEST:
		if (!alarm_id(q->u.alarm))
			w_bad(&w);
		w_u8(&w, q->u.alarm);
		break;
	case MSG_STAGE:
		w_rx(&w, &q->u.rx);
		w_str(&w, q->u.rx.override, MSG_OVERRIDE_MAX);
		break;
	case MSG_STAGE_CONFIRM:
	case MSG_STAGE_CANCEL:
		w_u32(&w, q->u.stage_id);
		break;
	case MSG_HISTORY:
		if (q->u.max < 1 || q->u.max > MSG_HISTORY_MAX)
			w_bad(&w);
		w_u16(&w, q->u.max);
		break;
	case MSG_PROGRAM:
		w_rx(&w, &q->u.rx);
		if (q->u.rx.override[0])   /* appended only when there is one */
			w_str(&w, q->u.rx.override, MSG_OVERRIDE_MAX);
		break;
	case MSG_REFILL:
		if (q->u.refill.has_withdrawn > 1)
			w_bad(&w);
		W_FIELDS(&w, q, rq_refill);
		if (q->u.refill.has_withdrawn)
			w_u32(&w, q->u.refill.withdrawn_nl);
		if (q->u.refill.override[0]) {   /* appended after withdrawn_nl */
			if (!q->u.refill.has_withdrawn)
				w_bad(&w);
			w_str(&w, q->u.refill.override, MSG_OVERRIDE_MAX);
		}
		break;
	case MSG_LOG:
		if (q->u.log.max < 1 || q->u.log.max > MSG_LOG_MAX)
			w_bad(&w);
		W_FIELDS(&w, q, rq_log);
		break;
	case MSG_RUN:
		if (q->u.run > 1)
			w_bad(&w);
		w_u8(&w, q->u.run);
		break;
	case MSG_FAULT:
		if (q->u.fault.kind < 1 || q->u.fault.kind >= MSG_FAULT_COUNT)
			w_bad(&w);
		W_FIELDS(&w, q, rq_fault);
		break;
	case MSG_CLOCK:
		if (q->u.clock.op != MSG_CLOCK_ADVANCE &&
		    q->u.clock.op != MSG_CLOCK_SPEED)
			w_bad(&w);
		W_FIELDS(&w, q, rq_clock);
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
		W_FIELDS(&w, q, rq_config);
		break;
	case MSG_CBOLUS:
		if (!cbolus_ok(q->u.cbolus.kind))
			w_bad(&w);
		W_FIELDS(&w, q, rq_cbolus);
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
		break;
	case MSG_HELLO:
		if (r.err || r.n == r.len)
			break;   /* the first edition's HELLO: no accept */
		q.u.accept = r_u32(&r);
		if (!r.err && !accept_ok(q.u.accept))
			r_bad(&r, "accept");
		break;
	case MSG_SILENCE:
	case MSG_CLEAR:
		q.u.alarm = r_u8(&r);
		r_refuse(&r, !alarm_or_all(q.u.alarm), "alarm");
		break;
	case MSG_ALARMTEST:
		q.u.alarm = r_u8(&r);
		if (!r.err && !alarm_id(q.u.alarm))
			r_bad(&r, "alarm");
		break;
	case MSG_STAGE:
		r_rx(&r, &q.u.rx);
		r_str(&r, q.u.rx.override, MSG_OVERRIDE_MAX, "override");
		break;
	case MSG_STAGE_CONFIRM:
	case MSG_STAGE_CANCEL:
		q.u.stage_id = r_u32(&r);
		break;
	case MSG_HISTORY:
		q.u.max = r_u16(&r);
		r_refuse(&r, q.u.max < 1 || q.u.max > MSG_HISTORY_MAX, "max");
		break;
	case MSG_PROGRAM:
		r_rx(&r, &q.u.rx);
		if (!r.err && r.n < r.len) {   /* an appended override */
			r_str(&r, q.u.rx.override, MSG_OVERRIDE_MAX, "override");
			if (!r.err && !q.u.rx.override[0])
				r_bad(&r, "override");
		}
		break;
	case MSG_REFILL:
		R_FIELDS(&r, &q, rq_refill);
		/* the first edition's body ends here; withdrawn_nl is appended */
		if (!r.err && r.n < r.len) {
			q.u.refill.has_withdrawn = 1;
			q.u.refill.withdrawn_nl = r_u32(&r);
		}
		if (!r.err && r.n < r.len) {   /* an override, after withdrawn_nl */
			r_str(&r, q.u.refill.override, MSG_OVERRIDE_MAX, "override");
			if (!r.err && !q.u.refill.override[0])
				r_bad(&r, "override");
		}
		break;
	case MSG_LOG:
		R_FIELDS(&r, &q, rq_log);
		r_refuse(&r, q.u.log.max < 1 || q.u.log.max > MSG_LOG_MAX, "max");
		break;
	case MSG_RUN:
		q.u.run = r_u8(&r);
		r_refuse(&r, q.u.run > 1, "run");
		break;
	case MSG_FAULT:
		R_FIELDS(&r, &q, rq_fault);
		r_refuse(&r, q.u.fault.kind < 1 || q.u.fault.kind >= MSG_FAULT_COUNT,
		         "fault");
		break;
	case MSG_CLOCK:
		R_FIELDS(&r, &q, rq_clock);
		r_refuse(&r, q.u.clock.op != MSG_CLOCK_ADVANCE &&
		         q.u.clock.op != MSG_CLOCK_SPEED, "op");
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
		R_FIELDS(&r, &q, rq_config);
		break;
	case MSG_CBOLUS:
		R_FIELDS(&r, &q, rq_cbolus);
		r_refuse(&r, !cbolus_ok(q.u.cbolus.kind), "kind");
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

static void w_reply_body(struct wr *w, const struct msg_reply *p);

#define RP(m) FLD(struct msg_reply, m)
static const struct fld rp_head[] = { RP(id), RP(req_type), RP(err) };
static const struct fld rp_count[] = {
	FLD(struct msg_count, outcome), FLD(struct msg_count, count),
};
static const struct fld rp_bolus[] = {
	RP(u.bolus.outcome), RP(u.bolus.dose_ng), RP(u.bolus.at_ms),
	RP(u.bolus.wait_ms),
};
static const struct fld rp_history[] = {
	FLD(struct msg_history_entry, at_ms), FLD(struct msg_history_entry, outcome),
	FLD(struct msg_history_entry, dose_ng),
};
static const struct fld rp_log[] = {
	FLD(struct msg_log_entry, seq), FLD(struct msg_log_entry, at_ms),
};
static const struct fld rp_log_typed[] = {
	FLD(struct msg_log_entry, kind), FLD(struct msg_log_entry, role),
	FLD(struct msg_log_entry, wall_ms),
};
static const struct fld rp_config[] = {
	RP(u.config.c.tubing_nl), RP(u.config.c.catheter_mm),
	RP(u.config.c.catheter_nl_per_mm), RP(u.config.catheter_nl),
};
static const struct fld rp_hello[] = {
	RP(u.hello.protocol), RP(u.hello.features),
};
static const struct fld rp_refill[] = {
	RP(u.refill.withdrawn_nl), RP(u.refill.expected_nl),
	RP(u.refill.tolerance_nl), RP(u.refill.flags), RP(u.refill.next_refill_ms),
};
static const struct fld rp_cbolus[] = {
	RP(u.cbolus.kind), RP(u.cbolus.volume_nl), RP(u.cbolus.dose_ng),
	RP(u.cbolus.duration_ms), RP(u.cbolus.ends_at_ms),
};
#define DL(m) FLD(struct msg_delivery, m)
static const struct fld rp_dlv[] = { DL(delivered_ng), DL(reached_ng), DL(reach_pct) };
static int dlv_ok(const struct msg_delivery *d)
{
	return d->reach_pct <= 100 && d->reached_ng <= d->delivered_ng;
}

#define NT(m) FLD(struct msg_notify, m)
static const struct fld nt_head[] = { NT(seq), NT(event), NT(alarm) };

int msg_encode_reply(const struct msg_reply *p, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };

	if (p->err > MSG_E__LAST)
		return MSG_EVALUE;
	if (p->err == MSG_OK && !is_request_type(p->req_type))
		return MSG_EVALUE;
	w_u8(&w, MSG_REPLY);
	W_FIELDS(&w, p, rp_head);
	w_str(&w, p->err == MSG_OK ? "" : p->detail, MSG_DETAIL_MAX);
	w_state(&w, &p->state);
	if (p->err == MSG_E_STALE_ID)
		w_u64(&w, p->u.last_id);
	else if (p->err == MSG_OK)
		w_reply_body(&w, p);
	w_ext(&w, &p->state);
	return w_done(&w);
}

static void w_reply_body(struct wr *w0, const struct msg_reply *p)
{
	struct wr w = *w0;
	switch (p->req_type) {
	case MSG_STATUS:
		if (!w_count(&w, p->u.counts.n, MSG_COUNTS_MAX))
			break;
		for (unsigned i = 0; i < p->u.counts.n; i++) {
			if (!outcome_ok(p->u.counts.c[i].outcome))
				w_bad(&w);
			W_FIELDS(&w, &p->u.counts.c[i], rp_count);
		}
		if (p->has_dlv) {
			if (p->has_dlv > 1 || !p->state.has_ext || !dlv_ok(&p->dlv))
				w_bad(&w);
			W_FIELDS(&w, &p->dlv, rp_dlv);
		}
		break;
	case MSG_BOLUS:
		if (!outcome_ok(p->u.bolus.outcome))
			w_bad(&w);
		W_FIELDS(&w, p, rp_bolus);
		break;
	case MSG_SILENCE:
		w_u8(&w, p->u.silenced);
		break;
	case MSG_HISTORY:
		if (!w_count(&w, p->u.history.n, MSG_HISTORY_MAX))
			break;
		for (unsigned i = 0; i < p->u.history.n; i++) {
			const struct msg_history_entry *e = &p->u.history.e[i];
			if (!outcome_ok(e->outcome))
				w_bad(&w);
			W_FIELDS(&w, e, rp_history);
		}
		break;
	case MSG_LOG:
		if (!w_count(&w, p->u.log.n, MSG_LOG_MAX))
			break;
		for (unsigned i = 0; i < p->u.log.n; i++) {
			const struct msg_log_entry *e = &p->u.log.e[i];
			W_FIELDS(&w, e, rp_log);
			w_str(&w, e->text, MSG_TEXT_MAX);
		}
		/* typed (8.15): each entry's kind, role and wall clock after
		 * the entries, before the state extension it needs */
		for (unsigned i = 0; p->u.log.n && p->u.log.e[0].typed &&
		                     i < p->u.log.n; i++) {
			const struct msg_log_entry *e = &p->u.log.e[i];
			if (e->typed != 1 || !p->state.has_ext ||
			    !log_kind_ok(e->kind) || !log_role_ok(e->role))
				w_bad(&w);
			W_FIELDS(&w, e, rp_log_typed);
		}
		for (unsigned i = 0; p->u.log.n && !p->u.log.e[0].typed &&
		                     i < p->u.log.n; i++)
			if (p->u.log.e[i].typed)
				w_bad(&w);   /* all typed or none */
		break;
	case MSG_CONFIG:
		W_FIELDS(&w, p, rp_config);
		break;
	case MSG_HELLO:
		W_FIELDS(&w, p, rp_hello);
		w_str(&w, p->u.hello.software, MSG_SOFTWARE_MAX);
		break;
	case MSG_REFILL:
		if (p->u.refill.present > 1 || (p->u.refill.flags & ~MSG_RF_ALL))
			w_bad(&w);
		if (!p->u.refill.present)
			break;
		W_FIELDS(&w, p, rp_refill);
		break;
	case MSG_CBOLUS:
		if (!cbolus_ok(p->u.cbolus.kind))
			w_bad(&w);
		W_FIELDS(&w, p, rp_cbolus);
		break;
	case MSG_STAGE: {
		const struct msg_stage_result *g = &p->u.stage;
		if (g->flags & ~MSG_ST_ALL)
			w_bad(&w);
		w_u32(&w, g->stage_id);
		w_u8(&w, g->flags);
		for (int i = 0; i < 2; i++) w_u32(&w, g->daily_ng[i]);
		for (int i = 0; i < 2; i++) w_u32(&w, g->bolus_dose_ng[i]);
		for (int i = 0; i < 2; i++) w_u32(&w, g->lockout_ms[i]);
		for (int i = 0; i < 2; i++) w_u16(&w, g->max_per_24h[i]);
		for (int i = 0; i < 2; i++) w_u32(&w, g->ceiling_ng_24h[i]);
		for (int i = 0; i < 2; i++) w_u64(&w, g->next_refill_ms[i]);
		break;
	}
	default:
		break;
	}
	*w0 = w;
}

int msg_encode_notify(const struct msg_notify *n, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };

	if (n->event >= MSG_EV_COUNT || !alarm_or_all(n->alarm))
		return MSG_EVALUE;
	w_u8(&w, MSG_NOTIFY);
	W_FIELDS(&w, n, nt_head);
	w_state(&w, &n->state);
	w_ext(&w, &n->state);
	return w_done(&w);
}

static void r_reply_body(struct rd *r, struct msg_reply *p);

static void r_reply(struct rd *r, struct msg_reply *p)
{
	R_FIELDS(r, p, rp_head);
	if (r->err)
		return;
	if (p->err > MSG_E__LAST ||
	    (p->err == MSG_OK && !is_request_type(p->req_type))) {
		r_bad(r, p->err > MSG_E__LAST ? "err" : "req_type");
		return;
	}
	r_str(r, p->detail, MSG_DETAIL_MAX, "detail");
	r_refuse(r, p->err == MSG_OK && p->detail[0], "detail");
	r_state(r, &p->state);
	if (r->err)
		return;
	if (p->err == MSG_E_STALE_ID)
		p->u.last_id = r_u64(r);
	else if (p->err == MSG_OK)
		r_reply_body(r, p);
	r_ext(r, &p->state);
}

static void r_reply_body(struct rd *r, struct msg_reply *p)
{
	switch (p->req_type) {
	case MSG_STATUS:
		if (!r_count(r, &p->u.counts.n, MSG_COUNTS_MAX))
			return;
		for (unsigned i = 0; i < p->u.counts.n && !r->err; i++) {
			R_FIELDS(r, &p->u.counts.c[i], rp_count);
			r_refuse(r, !outcome_ok(p->u.counts.c[i].outcome), "outcome");
		}
		/* the delivery block: there exactly when it and the state
		 * extension remain */
		if (!r->err && r->len - r->n == MSG_DLV_LEN + MSG_SX_LEN) {
			p->has_dlv = 1;
			R_FIELDS(r, &p->dlv, rp_dlv);
			r_refuse(r, !dlv_ok(&p->dlv), p->dlv.reach_pct > 100
			                              ? "reach_pct" : "reached_ng");
		}
		break;
	case MSG_BOLUS:
		R_FIELDS(r, p, rp_bolus);
		r_refuse(r, !outcome_ok(p->u.bolus.outcome), "outcome");
		break;
	case MSG_SILENCE:
		p->u.silenced = r_u8(r);
		break;
	case MSG_HISTORY:
		if (!r_count(r, &p->u.history.n, MSG_HISTORY_MAX))
			return;
		for (unsigned i = 0; i < p->u.history.n && !r->err; i++) {
			struct msg_history_entry *e = &p->u.history.e[i];
			R_FIELDS(r, e, rp_history);
			r_refuse(r, !outcome_ok(e->outcome), "outcome");
		}
		break;
	case MSG_LOG:
		if (!r_count(r, &p->u.log.n, MSG_LOG_MAX))
			return;
		for (unsigned i = 0; i < p->u.log.n && !r->err; i++) {
			struct msg_log_entry *e = &p->u.log.e[i];
			R_FIELDS(r, e, rp_log);
			r_str(r, e->text, MSG_TEXT_MAX, "text");
		}
		/* the typed block (8.15): there exactly when it and the state
		 * extension remain (with no entry there is nothing to type) */
		if (!r->err && p->u.log.n > 0 &&
		    r->len - r->n == (size_t)p->u.log.n * MSG_LOG_TYPED_LEN + MSG_SX_LEN) {
			for (unsigned i = 0; i < p->u.log.n && !r->err; i++) {
				struct msg_log_entry *e = &p->u.log.e[i];
				e->typed = 1;
				R_FIELDS(r, e, rp_log_typed);
				r_refuse(r, !log_kind_ok(e->kind), "log.kind");
				r_refuse(r, !log_role_ok(e->role), "log.role");
			}
		}
		break;
	case MSG_CONFIG:
		R_FIELDS(r, p, rp_config);
		break;
	case MSG_HELLO:
		R_FIELDS(r, p, rp_hello);
		r_str(r, p->u.hello.software, MSG_SOFTWARE_MAX, "software");
		break;
	case MSG_REFILL:
		if (r->len - r->n == 0 || r->len - r->n == MSG_SX_LEN)
			break;   /* the request did not carry withdrawn_nl */
		p->u.refill.present = 1;
		R_FIELDS(r, p, rp_refill);
		r_refuse(r, p->u.refill.flags & ~MSG_RF_ALL, "flags");
		break;
	case MSG_CBOLUS:
		R_FIELDS(r, p, rp_cbolus);
		r_refuse(r, !cbolus_ok(p->u.cbolus.kind), "kind");
		break;
	case MSG_STAGE: {
		struct msg_stage_result *g = &p->u.stage;
		g->stage_id = r_u32(r);
		g->flags = r_u8(r);
		for (int i = 0; i < 2; i++) g->daily_ng[i] = r_u32(r);
		for (int i = 0; i < 2; i++) g->bolus_dose_ng[i] = r_u32(r);
		for (int i = 0; i < 2; i++) g->lockout_ms[i] = r_u32(r);
		for (int i = 0; i < 2; i++) g->max_per_24h[i] = r_u16(r);
		for (int i = 0; i < 2; i++) g->ceiling_ng_24h[i] = r_u32(r);
		for (int i = 0; i < 2; i++) g->next_refill_ms[i] = r_u64(r);
		if (!r->err && (g->flags & ~MSG_ST_ALL))
			r_bad(r, "flags");
		break;
	}
	default:
		break;
	}
}

static void r_notify(struct rd *r, struct msg_notify *n)
{
	R_FIELDS(r, n, nt_head);
	if (r->err)
		return;
	if (n->event >= MSG_EV_COUNT || !alarm_or_all(n->alarm)) {
		r_bad(r, n->event >= MSG_EV_COUNT ? "event" : "alarm");
		return;
	}
	r_state(r, &n->state);
	r_ext(r, &n->state);
}

int msg_decode_from_pump(const uint8_t *buf, size_t len, struct msg_from_pump *out)
{
	return msg_decode_from_pump_why(buf, len, out, NULL);
}

int msg_decode_from_pump_why(const uint8_t *buf, size_t len,
                             struct msg_from_pump *out, const char **field_out)
{
	struct msg_from_pump m;
	struct rd r = { buf, len, 0, 0, NULL };

	if (field_out)
		*field_out = NULL;

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
	else if (rc == MSG_EVALUE && field_out)
		*field_out = r.field;
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
	{ MSG_STAGE, "stage" }, { MSG_STAGE_CONFIRM, "confirm" },
	{ MSG_STAGE_CANCEL, "cancel" }, { MSG_ALARMTEST, "alarmtest" },
	{ MSG_FAULT, "fault" }, { MSG_CLOCK, "clock" }, { MSG_LINK, "link" },
	{ MSG_REPLY, "reply" }, { MSG_NOTIFY, "notify" }, { 0, NULL }
};
static const struct name err_names[] = {
	{ MSG_OK, "ok" }, { MSG_E_MALFORMED, "malformed" }, { MSG_E_TYPE, "type" },
	{ MSG_E_ROLE, "role" }, { MSG_E_NOT_SIM, "not_sim" },
	{ MSG_E_STALE_ID, "stale_id" }, { MSG_E_RANGE, "range" },
	{ MSG_E_STATE, "state" }, { MSG_E_STORAGE, "storage" },
	{ MSG_E_INTERNAL, "internal" }, { MSG_E_SOFT_LIMIT, "soft_limit" },
	{ MSG_E_HARD_LIMIT, "hard_limit" }, { 0, NULL }
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
	{ MSG_EV_STOPPED, "stopped" }, { MSG_EV_ALARM_TEST, "alarm_test" },
	{ MSG_EV_STAGED, "staged" }, { MSG_EV_STAGE_ENDED, "stage_ended" },
	{ 0, NULL }
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

static const struct name log_kind_names[] = {
	{ MSG_LOG_NOTE, "note" }, { MSG_LOG_REQUEST, "request" },
	{ MSG_LOG_REFUSED, "refused" }, { MSG_LOG_ALARM, "alarm" },
	{ MSG_LOG_BOLUS, "bolus" }, { MSG_LOG_SCHEDULE, "schedule" },
	{ MSG_LOG_PAIRING, "pairing" }, { MSG_LOG_PUMP, "pump" },
	{ MSG_LOG_SESSION, "session" }, { MSG_LOG_HANDSHAKE, "handshake" },
	{ MSG_LOG_LIMIT, "limit" }, { MSG_LOG_DECRYPT, "decrypt" },
	{ 0, NULL }
};
static const struct name log_role_names[] = {
	{ MSG_LOG_ROLE_PUMP, "pump" }, { MSG_LOG_ROLE_PATIENT, "patient" },
	{ MSG_LOG_ROLE_CLINICIAN, "clinician" }, { MSG_LOG_ROLE_TESTER, "tester" },
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

uint64_t msg_rx_daily_ng(const struct msg_rx *rx)
{
	const uint64_t day = 86400000u;
	uint64_t sum = 0;
	if (rx->mode == MSG_MODE_CONTINUOUS)
		return rx->rate_ng_day;
	if (rx->mode != MSG_MODE_FLEXIBLE)
		return 0;
	for (unsigned i = 0; i < rx->n_steps && i < MSG_STEPS_MAX; i++) {
		uint64_t a = rx->steps[i].start_ms;
		uint64_t b = i + 1 < rx->n_steps ? rx->steps[i + 1].start_ms : day;
		sum += (uint64_t)rx->steps[i].rate_ng_day * (b > a ? b - a : 0) / day;
	}
	return sum;
}
const char *msg_link_kind_name(int k) { return name_of(link_names, k); }
const char *msg_log_kind_name(int k) { return name_of(log_kind_names, k); }
const char *msg_log_role_name(int r) { return name_of(log_role_names, r); }
int msg_log_kind_parse(const char *s) { return parse_of(log_kind_names, s); }

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
