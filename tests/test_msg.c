/* tests/test_msg.c — the message codec: exact bytes, round trips of every
 * type, and refusal of every malformed input (truncation at each length,
 * trailing bytes, unknown types, values out of their domain). */
#include <criterion/criterion.h>
#include <string.h>

#include "net/msg.h"

/* A request of type with id, every other field 0. */
static struct msg_request request(uint64_t id, uint8_t type)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.id = id;
	q.type = type;
	return q;
}

/* good (len bytes, a request) with its byte at set to v: refused as
 * MSG_EVALUE naming field want, its header still read (type, id). */
static void refused_by_name(const uint8_t *good, size_t len, size_t at, uint8_t v,
                            const char *want, uint8_t type, uint64_t id)
{
	uint8_t bad[64];
	struct msg_request d;
	const char *field = NULL;
	uint8_t t = 0;
	uint64_t got_id = 0;
	cr_assert_leq(len, sizeof bad);
	memcpy(bad, good, len);
	bad[at] = v;
	cr_assert_eq(msg_decode_request(bad, len, &d, &t, &got_id, &field), MSG_EVALUE);
	cr_assert_str_eq(field, want);
	cr_assert_eq(t, type);
	cr_assert_eq(got_id, id);
}

static struct msg_state sample_state(void)
{
	struct msg_state s;
	memset(&s, 0, sizeof s);
	s.now_ms = 1700000000123ull;
	s.mode = MSG_MODE_CONTINUOUS;
	s.flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED;
	s.reservoir_nl = 18500000;
	s.capacity_nl = 20000000;
	s.low_threshold_nl = 2000000;
	s.concentration_ng_ml = 1000000;
	s.basal_ng_day = 3000000;
	s.bolus_dose_ng = 50000;
	s.bolus_duration_ms = 60000;
	s.lockout_ms = 3600000;
	s.boluses_24h = 2;
	s.max_per_24h = 6;
	s.next_bolus_ms = 1700000100000ull;
	s.next_bolus_reason = MSG_OUT_LOCKOUT;
	s.next_refill_ms = 1702000000000ull;
	s.eri_ms = 1800000000000ull;
	s.eos_ms = 1807776000000ull;
	s.clock_speed = 1;
	strcpy(s.drug, "morphine");
	s.n_alarms = 1;
	s.alarms[0].id = MSG_ALARM_LOW_RESERVOIR;
	s.alarms[0].priority = MSG_PRIO_MEDIUM;
	s.alarms[0].flags = MSG_AF_SILENCED;
	s.alarms[0].raised_ms = 1699999000000ull;
	s.alarms[0].silenced_until_ms = 1700003600000ull;
	return s;
}

#define STATE_LEN (8 + 1 + 1 + 8 * 4 + 2 + 2 + 8 + 8 + 1 + 8 * 3 + 4 + 1 + 8 + 1 + 19)

Test(msg, status_request_bytes)
{
	struct msg_request q = { .type = MSG_STATUS, .id = 0x0102030405060708ull };
	uint8_t b[64];
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9);
	const uint8_t want[9] = { 0x01, 1, 2, 3, 4, 5, 6, 7, 8 };
	cr_assert_arr_eq(b, want, 9);
	struct msg_request d;
	cr_assert_eq(msg_decode_request(b, 9, &d, NULL, NULL, NULL), 0);
	cr_assert_eq(d.type, MSG_STATUS);
	cr_assert_eq(d.id, 0x0102030405060708ull);
	cr_assert_eq(msg_encode_request(&q, b, 8), MSG_ESPACE);
}

Test(msg, request_bodies_bytes)
{
	uint8_t b[256];
	struct msg_request q;
	q = request(1, MSG_REFILL);
	q.u.refill.volume_nl = 20000000;        /* 0x01312d00 */
	q.u.refill.concentration_ng_ml = 500;   /* 0x000001f4 */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 17);
	const uint8_t want[17] = { 0x11, 0, 0, 0, 0, 0, 0, 0, 1,
	                           0x01, 0x31, 0x2d, 0x00, 0x00, 0x00, 0x01, 0xf4 };
	cr_assert_arr_eq(b, want, 17);
	q.type = MSG_LOG;
	q.u.log.after_seq = 0x100;
	q.u.log.max = 20;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 19);
	cr_assert_eq(b[15], 0x01);
	cr_assert_eq(b[18], 20);
	q.type = MSG_CLOCK;
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 86400000;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 18);
	cr_assert_eq(b[9], 1);
}

static void roundtrip_request(const struct msg_request *q)
{
	uint8_t b[MSG_MAX];
	int n = msg_encode_request(q, b, sizeof b);
	cr_assert_gt(n, 0, "type %d did not encode: %d", q->type, n);
	struct msg_request d;
	cr_assert_eq(msg_decode_request(b, (size_t)n, &d, NULL, NULL, NULL), 0);
	uint8_t b2[MSG_MAX];
	cr_assert_eq(msg_encode_request(&d, b2, sizeof b2), n);
	cr_assert_arr_eq(b, b2, (size_t)n);
	/* every truncation is refused, and trailing bytes too */
	for (int k = 0; k < n; k++) {
		/* a PROGRAM cut before its appended override is one without */
		if (q->type == MSG_PROGRAM && q->u.rx.override[0] &&
		    k == n - 1 - (int)strlen(q->u.rx.override))
			continue;
		if (q->type == MSG_HELLO && q->u.accept && k == n - 4)
			continue;   /* ... and a HELLO before its accept */
		if (q->type == MSG_REFILL && q->u.refill.override[0] &&
		    (k == n - 1 - (int)strlen(q->u.refill.override) || k == 17))
			continue;   /* ... and a REFILL before its override, or
			               before its withdrawn_nl */
		cr_assert_eq(msg_decode_request(b, (size_t)k, &d, NULL, NULL, NULL), MSG_ESHORT,
		             "type %d cut at %d", q->type, k);
	}
	b[n] = 0;
	/* a first-edition REFILL's next byte begins the appended withdrawn_nl */
	/* ... and HELLO's accept, PROGRAM's override (an empty one: refused) */
	int extra = (q->type == MSG_REFILL && !q->u.refill.has_withdrawn) ||
	            (q->type == MSG_HELLO && !q->u.accept) ? MSG_ESHORT
	          : q->type == MSG_PROGRAM && !q->u.rx.override[0] ? MSG_EVALUE
	          : q->type == MSG_REFILL && !q->u.refill.override[0] ? MSG_EVALUE
	          : MSG_ETRAIL;
	cr_assert_eq(msg_decode_request(b, (size_t)n + 1, &d, NULL, NULL, NULL), extra);
}

static struct msg_rx sample_rx(void)
{
	struct msg_rx x;
	memset(&x, 0, sizeof x);
	strcpy(x.drug, "baclofen");
	x.concentration_ng_ml = 2000000;
	x.capacity_nl = 40000000;
	x.mode = MSG_MODE_FLEXIBLE;
	x.n_steps = 2;
	x.steps[0].start_ms = 0;
	x.steps[0].rate_ng_day = 100000;
	x.steps[1].start_ms = 79200000;
	x.steps[1].rate_ng_day = 200000;
	x.bolus_enabled = 1;
	x.bolus_dose_ng = 25000;
	x.bolus_duration_ms = 300000;
	x.lockout_ms = 7200000;
	x.max_per_24h = 4;
	x.ceiling_ng_24h = 500000;
	x.low_threshold_nl = 4000000;
	x.silence_ms = 3600000;
	return x;
}

Test(msg, every_request_round_trips)
{
	struct msg_request q;
	q = request(1700000000000000ull, MSG_STATUS); roundtrip_request(&q);
	q.type = MSG_BOLUS; roundtrip_request(&q);
	q.type = MSG_SILENCE; q.u.alarm = 0; roundtrip_request(&q);
	q.u.alarm = MSG_ALARM_MEMORY_CRITICAL; roundtrip_request(&q);
	q.type = MSG_HISTORY; q.u.max = 64; roundtrip_request(&q);
	q.type = MSG_PROGRAM; q.u.rx = sample_rx(); roundtrip_request(&q);
	q.type = MSG_REFILL; q.u.refill.volume_nl = 1; roundtrip_request(&q);
	q.type = MSG_CLEAR; q.u.alarm = MSG_ALARM_EMPTY; roundtrip_request(&q);
	q.type = MSG_LOG; q.u.log.after_seq = 5; q.u.log.max = 1; roundtrip_request(&q);
	q.type = MSG_RUN; q.u.run = 1; roundtrip_request(&q);
	q.type = MSG_FAULT; q.u.fault.kind = MSG_FAULT_RESERVOIR; q.u.fault.arg = 7; roundtrip_request(&q);
	q.u.fault.kind = MSG_FAULT_BATTERY_NEW; q.u.fault.arg = 0; roundtrip_request(&q);
	q.type = MSG_CLOCK; q.u.clock.op = MSG_CLOCK_SPEED; q.u.clock.arg = 3600; roundtrip_request(&q);
}

Test(msg, program_bytes_length)
{
	struct msg_request q;
	q = request(9, MSG_PROGRAM);
	q.u.rx = sample_rx();
	uint8_t b[512];
	/* 9 header + 1+8 drug + 4+4+1+4 + 1 + 2*8 + 1+4+4+4+2+4+4+4 */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9 + 9 + 13 + 1 + 16 + 27);
}

/* verifies: SR-LINK-005 */
Test(msg, bad_requests_refused)
{
	uint8_t b[64];
	struct msg_request d;
	uint8_t t = 0;
	uint64_t id = 0;
	/* unknown type: header still reported for the error reply */
	const uint8_t unk[9] = { 0x7f, 0, 0, 0, 0, 0, 0, 0, 42 };
	cr_assert_eq(msg_decode_request(unk, 9, &d, &t, &id, NULL), MSG_ETYPE);
	cr_assert_eq(t, 0x7f);
	cr_assert_eq(id, 42);
	/* a reply is not a request */
	const uint8_t rep[9] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 1 };
	cr_assert_eq(msg_decode_request(rep, 9, &d, NULL, NULL, NULL), MSG_ETYPE);
	/* id 0 */
	const uint8_t zero[9] = { 0x01, 0, 0, 0, 0, 0, 0, 0, 0 };
	const char *field = NULL;
	cr_assert_eq(msg_decode_request(zero, 9, &d, &t, &id, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "id");
	/* alarm 8 */
	const uint8_t sil[10] = { 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 8 };
	cr_assert_eq(msg_decode_request(sil, 10, &d, &t, &id, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "alarm");
	cr_assert_eq(t, MSG_SILENCE);
	cr_assert_eq(id, 1);
	/* history 0 and 65 */
	const uint8_t h0[11] = { 0x04, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 };
	const uint8_t h65[11] = { 0x04, 0, 0, 0, 0, 0, 0, 0, 1, 0, 65 };
	cr_assert_eq(msg_decode_request(h0, 11, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "max");
	cr_assert_eq(msg_decode_request(h65, 11, &d, NULL, NULL, NULL), MSG_EVALUE);
	/* run 2, fault 0, clock op 3 */
	const uint8_t run2[10] = { 0x14, 0, 0, 0, 0, 0, 0, 0, 1, 2 };
	cr_assert_eq(msg_decode_request(run2, 10, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "run");
	uint8_t f[18] = { 0x20, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	cr_assert_eq(msg_decode_request(f, 18, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "fault");
	f[0] = 0x21;
	f[9] = 3;
	cr_assert_eq(msg_decode_request(f, 18, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "op");
	/* empty input: nothing refused by value */
	cr_assert_eq(msg_decode_request(b, 0, &d, &t, &id, &field), MSG_ESHORT);
	cr_assert_null(field);
	/* a drug name with a control character, and one too long */
	struct msg_request q;
	q = request(1, MSG_PROGRAM);
	q.u.rx = sample_rx();
	uint8_t pb[512];
	int n = msg_encode_request(&q, pb, sizeof pb);
	cr_assert_gt(n, 0);
	pb[10] = '\n';
	cr_assert_eq(msg_decode_request(pb, (size_t)n, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "drug");
	/* mode 3, then 14 steps: mode after the drug and two u32 */
	int n2 = msg_encode_request(&q, pb, sizeof pb);
	size_t mode_at = 9 + 1 + strlen(q.u.rx.drug) + 8;
	pb[mode_at] = 3;
	cr_assert_eq(msg_decode_request(pb, (size_t)n2, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "mode");
	pb[mode_at] = MSG_MODE_CONTINUOUS;
	pb[mode_at + 5] = 14;
	cr_assert_eq(msg_decode_request(pb, (size_t)n2, &d, NULL, NULL, &field), MSG_EVALUE);
	cr_assert_str_eq(field, "n_steps");
	q.u.rx.drug[2] = '\t';
	cr_assert_eq(msg_encode_request(&q, pb, sizeof pb), MSG_EVALUE);
	memset(q.u.rx.drug, 'a', sizeof q.u.rx.drug); /* no NUL within 32 */
	cr_assert_eq(msg_encode_request(&q, pb, sizeof pb), MSG_EVALUE);
	q.u.rx = sample_rx();
	q.u.rx.n_steps = 14;
	cr_assert_eq(msg_encode_request(&q, pb, sizeof pb), MSG_EVALUE);
	q.u.rx = sample_rx();
	q.u.rx.bolus_enabled = 2;
	cr_assert_eq(msg_encode_request(&q, pb, sizeof pb), MSG_EVALUE);
	/* decode leaves *out alone on failure */
	memset(&d, 0xab, sizeof d);
	cr_assert_eq(msg_decode_request(h0, 11, &d, NULL, NULL, NULL), MSG_EVALUE);
	cr_assert_eq(d.type, 0xab);
}

/* a reply of type to request id, with the sample state, the rest zero */
static struct msg_reply reply_of(int type, uint64_t id)
{
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.id = id;
	r.req_type = (uint8_t)type;
	r.state = sample_state();
	return r;
}

/* a STATUS reply to id with two counters, granted and lockout */
static struct msg_reply status_of(uint64_t id, uint32_t granted, uint32_t lockout)
{
	struct msg_reply r = reply_of(MSG_STATUS, id);
	r.u.counts.n = 2;
	r.u.counts.c[0].outcome = MSG_OUT_GRANTED;
	r.u.counts.c[0].count = granted;
	r.u.counts.c[1].outcome = MSG_OUT_LOCKOUT;
	r.u.counts.c[1].count = lockout;
	return r;
}

static void roundtrip_reply(const struct msg_reply *r, int want_len)
{
	uint8_t b[MSG_MAX];
	int n = msg_encode_reply(r, b, sizeof b);
	cr_assert_eq(n, want_len, "req_type %d err %d: %d bytes", r->req_type, r->err, n);
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.type, MSG_REPLY);
	uint8_t b2[MSG_MAX];
	cr_assert_eq(msg_encode_reply(&d.u.reply, b2, sizeof b2), n);
	cr_assert_arr_eq(b, b2, (size_t)n);
	for (int k = 0; k < n; k++) {
		/* a REFILL reply cut before its body is one without a body */
		if (r->req_type == MSG_REFILL && r->u.refill.present &&
		    k == n - 21 - (r->state.has_ext ? MSG_SX_LEN : 0))
			continue;
		/* a reply cut before its state extension is one without it */
		if (r->state.has_ext && k == n - MSG_SX_LEN)
			continue;
		cr_assert_lt(msg_decode_from_pump(b, (size_t)k, &d), 0);
	}
	b[n] = 0;
	/* a REFILL reply with no body: a next byte begins the body */
	int extra = r->req_type == MSG_REFILL && r->err == MSG_OK && !r->u.refill.present
	                ? MSG_ESHORT : MSG_ETRAIL;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n + 1, &d), extra);
}

#define REPLY_HDR (1 + 8 + 1 + 2 + 1)

Test(msg, every_reply_round_trips)
{
	struct msg_reply r = status_of(77, 12, 3);
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 1 + 2 * 5);
	r.req_type = MSG_BOLUS;
	r.u.bolus.outcome = MSG_OUT_LOCKOUT;
	r.u.bolus.dose_ng = 50000;
	r.u.bolus.at_ms = 1700000100000ull;
	r.u.bolus.wait_ms = 99877;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 21);
	r.req_type = MSG_SILENCE;
	r.u.silenced = 2;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 1);
	r.req_type = MSG_HISTORY;
	r.u.history.n = 64;
	for (int i = 0; i < 64; i++) {
		r.u.history.e[i].at_ms = 1700000000000ull + (uint64_t)i;
		r.u.history.e[i].outcome = (uint8_t)(i % MSG_OUT_COUNT);
		r.u.history.e[i].dose_ng = (uint32_t)i;
	}
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 1 + 64 * 13);
	r.req_type = MSG_LOG;
	memset(&r.u, 0, sizeof r.u);
	r.u.log.n = 20;
	for (int i = 0; i < 20; i++) {
		r.u.log.e[i].seq = (uint64_t)i + 1;
		r.u.log.e[i].at_ms = 5;
		memset(r.u.log.e[i].text, 'x', MSG_TEXT_MAX);
		r.u.log.e[i].text[MSG_TEXT_MAX] = 0;
	}
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 1 + 20 * (17 + MSG_TEXT_MAX));
	r.req_type = MSG_PROGRAM;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN);
	/* errors: detail, no body; STALE_ID carries the last id */
	r.req_type = MSG_BOLUS;
	r.err = MSG_E_ROLE;
	strcpy(r.detail, "patient");
	roundtrip_reply(&r, REPLY_HDR + 7 + STATE_LEN);
	r.err = MSG_E_STALE_ID;
	r.detail[0] = 0;
	r.u.last_id = 1234;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 8);
	r.err = MSG_E_TYPE;
	r.req_type = 0x7f;   /* an unknown type is echoed */
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN);
	/* the largest reply fits in one frame */
	cr_assert_leq(REPLY_HDR + MSG_DETAIL_MAX + STATE_LEN + 7 * 18 + 1 + 64 * 13, MSG_MAX);
	cr_assert_leq(REPLY_HDR + STATE_LEN + 31 + 7 * 18 + 1 + 20 * (17 + MSG_TEXT_MAX), MSG_MAX);
}

/* verifies: SR-LINK-005 */
Test(msg, bad_replies_refused)
{
	struct msg_reply r = reply_of(MSG_BOLUS, 1);
	uint8_t b[MSG_MAX];
	struct msg_from_pump d;
	int n = msg_encode_reply(&r, b, sizeof b);
	cr_assert_gt(n, 0);
	/* positions: type 0, id 1..8, req_type 9, err 10..11, detail len 12,
	 * state from 13: mode at 21, flags 22 */
	uint8_t c[MSG_MAX];
#define MUT(pos, val, want) do { memcpy(c, b, (size_t)n); c[pos] = (val); \
	cr_assert_eq(msg_decode_from_pump(c, (size_t)n, &d), want, "byte %d = %d", pos, val); } while (0)
	MUT(0, 0x82, MSG_ETYPE);
	MUT(0, 0x01, MSG_ETYPE);
	MUT(9, 0x7f, MSG_EVALUE);      /* OK reply to an unknown request type */
	MUT(11, MSG_E__LAST + 1, MSG_EVALUE); /* an err past the last */
	MUT(12, 1, MSG_EVALUE);        /* an OK reply with a detail */
	MUT(21, 3, MSG_EVALUE);        /* mode 3 */
	MUT(22, 0x10, MSG_EVALUE);     /* unknown flag */
	int reason = 13 + 8 + 2 + 32 + 4 + 16;
	MUT(reason, MSG_OUT_COUNT, MSG_EVALUE);
	int drug = reason + 1 + 24 + 4; /* next_refill, eri, eos, clock_speed */
	MUT(drug, 32, MSG_EVALUE);     /* drug longer than 31 */
	MUT(drug + 1, 0x7f, MSG_EVALUE);
	int nal = drug + 1 + 8;
	MUT(nal, 9, MSG_EVALUE);       /* 9 alarms */
	MUT(nal + 1, 0, MSG_EVALUE);   /* alarm id 0 */
	MUT(nal + 1, 8, MSG_EVALUE);
	MUT(nal + 2, 4, MSG_EVALUE);   /* priority 4 */
	MUT(nal + 3, 2, MSG_EVALUE);   /* alarm flag */
	MUT(nal + 20, MSG_OUT_COUNT, MSG_EVALUE); /* bolus outcome */
#undef MUT
	/* encoder refuses what the decoder would */
	r.state.n_alarms = 9;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r.state = sample_state();
	r.err = 99;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r.err = 0;
	r.req_type = MSG_STATUS;
	r.u.counts.n = 17;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	cr_assert_eq(msg_decode_from_pump(b, 0, &d), MSG_ESHORT);
}

Test(msg, clock_speed_and_battery_new_bytes)
{
	/* clock_speed is a u32 right after eos_ms: in a notification the state
	 * starts at 11 and eos_ms ends 87 bytes into it */
	struct msg_notify nt;
	memset(&nt, 0, sizeof nt);
	nt.seq = 1;
	nt.event = MSG_EV_CLOCK;
	nt.state = sample_state();
	nt.state.flags |= MSG_F_SIMULATED;
	nt.state.clock_speed = 3600;              /* 0x00000e10 */
	uint8_t b[MSG_MAX];
	int n = msg_encode_notify(&nt, b, sizeof b);
	cr_assert_eq(n, 11 + STATE_LEN);
	const uint8_t eos_speed[12] = { 0x00, 0x00, 0x01, 0xa4, 0xe7, 0xd8, 0xa8, 0x00,
	                                0x00, 0x00, 0x0e, 0x10 };
	cr_assert_arr_eq(b + 11 + 79, eos_speed, 12);
	cr_assert_eq(b[11 + 91], 8);              /* then the drug's length */
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.u.notify.state.clock_speed, 3600);
	cr_assert_eq(d.u.notify.state.eos_ms, 1807776000000ull);
	cr_assert_str_eq(d.u.notify.state.drug, "morphine");
	nt.state.clock_speed = 0;                 /* frozen */
	cr_assert_eq(msg_encode_notify(&nt, b, sizeof b), n);
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.u.notify.state.clock_speed, 0);

	/* FAULT battery_new: kind 7; occlusion 8, stall_for 9; 10 is past the end */
	const uint8_t f7[18] = { 0x20, 0, 0, 0, 0, 0, 0, 0, 3, 7 };
	struct msg_request q;
	cr_assert_eq(msg_decode_request(f7, 18, &q, NULL, NULL, NULL), 0);
	cr_assert_eq(q.u.fault.kind, MSG_FAULT_BATTERY_NEW);
	const uint8_t f9[18] = { 0x20, 0, 0, 0, 0, 0, 0, 0, 3, 9 };
	cr_assert_eq(msg_decode_request(f9, 18, &q, NULL, NULL, NULL), 0);
	cr_assert_eq(q.u.fault.kind, MSG_FAULT_STALL_FOR);
	uint8_t f10[18] = { 0x20, 0, 0, 0, 0, 0, 0, 0, 3, 10 };
	cr_assert_eq(msg_decode_request(f10, 18, &q, NULL, NULL, NULL), MSG_EVALUE);
}

Test(msg, notify_round_trip)
{
	struct msg_notify nt;
	memset(&nt, 0, sizeof nt);
	nt.seq = 5;
	nt.event = MSG_EV_ALARM_RAISED;
	nt.alarm = MSG_ALARM_LOW_RESERVOIR;
	nt.state = sample_state();
	uint8_t b[MSG_MAX];
	int n = msg_encode_notify(&nt, b, sizeof b);
	cr_assert_eq(n, 11 + STATE_LEN);
	cr_assert_eq(b[0], 0x81);
	cr_assert_eq(b[9], MSG_EV_ALARM_RAISED);
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.type, MSG_NOTIFY);
	cr_assert_eq(d.u.notify.seq, 5);
	cr_assert_eq(d.u.notify.state.reservoir_nl, 18500000);
	cr_assert_eq(d.u.notify.state.alarms[0].silenced_until_ms, 1700003600000ull);
	cr_assert_str_eq(d.u.notify.state.drug, "morphine");
	b[9] = MSG_EV_COUNT;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	b[9] = 0;
	b[10] = MSG_ALARM_COUNT;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	nt.event = MSG_EV_COUNT;
	cr_assert_eq(msg_encode_notify(&nt, b, sizeof b), MSG_EVALUE);
}

Test(msg, names)
{
	cr_assert_str_eq(msg_type_name(MSG_BOLUS), "bolus");
	cr_assert_str_eq(msg_type_name(0x55), "unknown");
	cr_assert_str_eq(msg_err_name(MSG_E_STALE_ID), "stale_id");
	cr_assert_str_eq(msg_outcome_name(MSG_OUT_DAILY_COUNT), "daily_count");
	cr_assert_str_eq(msg_alarm_name(MSG_ALARM_ERI), "eri");
	cr_assert_str_eq(msg_priority_name(MSG_PRIO_HIGH), "high");
	cr_assert_str_eq(msg_mode_name(MSG_MODE_FLEXIBLE), "flexible");
	cr_assert_str_eq(msg_fault_name(MSG_FAULT_BATTERY_EOS), "battery_eos");
	cr_assert_str_eq(msg_fault_name(MSG_FAULT_BATTERY_NEW), "battery_new");
	cr_assert_eq(msg_fault_parse("battery_new"), 7);
	cr_assert_str_eq(msg_fault_name(MSG_FAULT_COUNT), "unknown");
	cr_assert_str_eq(msg_event_name(MSG_EV_ALARM_RESOUND), "alarm_resound");
	for (int t = 0; t < 256; t++)
		if (strcmp(msg_type_name(t), "unknown"))
			cr_assert_eq(msg_type_parse(msg_type_name(t)), t);
	for (int o = 0; o < MSG_OUT_COUNT; o++)
		cr_assert_eq(msg_outcome_parse(msg_outcome_name(o)), o);
	for (int a = 0; a < MSG_ALARM_COUNT; a++)
		cr_assert_eq(msg_alarm_parse(msg_alarm_name(a)), a);
	cr_assert_eq(msg_alarm_parse("all"), 0);
	for (int f = 1; f < MSG_FAULT_COUNT; f++)
		cr_assert_eq(msg_fault_parse(msg_fault_name(f)), f);
	cr_assert_eq(msg_mode_parse("continuous"), MSG_MODE_CONTINUOUS);
	cr_assert_eq(msg_mode_parse("bogus"), -1);
	cr_assert_eq(msg_type_parse(NULL), -1);
}

/* ---- the worked example in docs/PROTOCOL.md ----------------------------- */
/* The transcript between "<!-- transcript:begin -->" and
 * "<!-- transcript:end -->" in docs/PROTOCOL.md is generated here from
 * fixed keys, ephemerals and timestamp, and checked byte for byte, so the
 * document cannot drift from the code.  PTM_PRINT_TRANSCRIPT=1 prints it. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/keys.h"
#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/frame.h"

static void hexlines(char **p, const char *label, const uint8_t *b, size_t n)
{
	*p += sprintf(*p, "%s (%zu bytes):\n", label, n);
	for (size_t i = 0; i < n; i += 32) {
		*p += sprintf(*p, "    ");
		for (size_t j = i; j < n && j < i + 32; j++)
			*p += sprintf(*p, "%02x", b[j]);
		*p += sprintf(*p, "\n");
	}
}

static size_t framed(uint8_t *out, const uint8_t *body, size_t n)
{
	cr_assert_eq(frame_header(n, out), 0);
	memcpy(out + 2, body, n);
	return n + 2;
}

static void make_transcript(char *text)
{
	uint8_t sp[32], spub[32], rp[32], rpub[32], ei[32], er[32];
	for (int i = 0; i < 32; i++) {
		sp[i] = (uint8_t)(0x01 + i);   /* pump static */
		rp[i] = (uint8_t)(0x21 + i);   /* remote static */
		ei[i] = (uint8_t)(0x41 + i);   /* remote ephemeral */
		er[i] = (uint8_t)(0x61 + i);   /* pump ephemeral */
	}
	cr_assert_eq(keys_public(spub, sp), 0);
	cr_assert_eq(keys_public(rpub, rp), 0);
	uint8_t ts[12];
	cr_assert_eq(tai64n_from_unix(ts, 1700000000, 0), 0);

	noise_hs hi, hr;
	cr_assert_eq(noise_hs_init_initiator(&hi, rp, spub, (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_init_responder(&hr, sp, (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_set_ephemeral(&hi, ei), 0);
	cr_assert_eq(noise_hs_set_ephemeral(&hr, er), 0);
	uint8_t m1[128], m2[64], pl[16], f[4200];
	size_t n1, n2, plen;
	cr_assert_eq(noise_hs_write_msg1(&hi, ts, 12, m1, sizeof m1, &n1), 0);
	cr_assert_eq(noise_hs_read_msg1(&hr, m1, n1, pl, sizeof pl, &plen), 0);
	cr_assert_eq(plen, 12);
	cr_assert_eq(noise_hs_write_msg2(&hr, NULL, 0, m2, sizeof m2, &n2), 0);
	cr_assert_eq(noise_hs_read_msg2(&hi, m2, n2, pl, sizeof pl, &plen), 0);
	cr_assert_eq(plen, 0);
	uint8_t h[32];
	cr_assert_eq(noise_hs_hash(&hi, h), 0);
	noise_cipher i_tx, i_rx, r_tx, r_rx;
	cr_assert_eq(noise_hs_split(&hi, &i_tx, &i_rx), 0);
	cr_assert_eq(noise_hs_split(&hr, &r_tx, &r_rx), 0);

	struct msg_request q = { .type = MSG_STATUS, .id = 1700000000000000ull };
	uint8_t qb[64], qc[128];
	int qn = msg_encode_request(&q, qb, sizeof qb);
	cr_assert_eq(qn, 9);
	int qcn = noise_cipher_encrypt(&i_tx, NULL, 0, qb, (size_t)qn, qc);
	cr_assert_eq(qcn, 25);

	struct msg_reply r = status_of(q.id, 2, 1);
	r.state.now_ms = 1700000000250ull;
	uint8_t rb[MSG_MAX], rc[MSG_MAX + 16];
	int rn = msg_encode_reply(&r, rb, sizeof rb);
	cr_assert_gt(rn, 0);
	int rcn = noise_cipher_encrypt(&r_tx, NULL, 0, rb, (size_t)rn, rc);
	cr_assert_eq(rcn, rn + 16);
	/* and the other side reads both */
	uint8_t back[MSG_MAX];
	cr_assert_eq(noise_cipher_decrypt(&r_rx, NULL, 0, qc, (size_t)qcn, back), qn);
	cr_assert_eq(noise_cipher_decrypt(&i_rx, NULL, 0, rc, (size_t)rcn, back), rn);

	char *p = text;
	p += sprintf(p, "Noise_IK_25519_ChaChaPoly_SHA256, prologue \"ptm-pump/1\"\n\n");
	hexlines(&p, "pump static private", sp, 32);
	hexlines(&p, "pump static public", spub, 32);
	hexlines(&p, "remote static private", rp, 32);
	hexlines(&p, "remote static public", rpub, 32);
	hexlines(&p, "remote ephemeral private", ei, 32);
	hexlines(&p, "pump ephemeral private", er, 32);
	hexlines(&p, "message 1 payload: TAI64N of 1700000000 s, 0 ns", ts, 12);
	p += sprintf(p, "\n");
	hexlines(&p, "remote -> pump: frame of message 1", f, framed(f, m1, n1));
	hexlines(&p, "pump -> remote: frame of message 2", f, framed(f, m2, n2));
	hexlines(&p, "handshake hash", h, 32);
	p += sprintf(p, "\n");
	hexlines(&p, "STATUS request plaintext (id 1700000000000000)", qb, (size_t)qn);
	hexlines(&p, "remote -> pump: frame of transport message, nonce 0", f, framed(f, qc, (size_t)qcn));
	hexlines(&p, "STATUS reply plaintext", rb, (size_t)rn);
	hexlines(&p, "pump -> remote: frame of transport message, nonce 0", f, framed(f, rc, (size_t)rcn));
	noise_cipher_wipe(&i_tx); noise_cipher_wipe(&i_rx);
	noise_cipher_wipe(&r_tx); noise_cipher_wipe(&r_rx);
}

Test(protocol, transcript_in_docs_matches_code)
{
	static char text[16384];
	make_transcript(text);
	if (getenv("PTM_PRINT_TRANSCRIPT"))
		fputs(text, stdout);
	const char *dir = getenv("PTM_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/docs/PROTOCOL.md", dir ? dir : ".");
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "cannot open %s (run from the repository root)", path);
	static char doc[262144];
	size_t n = fread(doc, 1, sizeof doc - 1, fp);
	fclose(fp);
	doc[n] = 0;
	const char *b = strstr(doc, "<!-- transcript:begin -->\n```\n");
	const char *e = strstr(doc, "```\n<!-- transcript:end -->");
	cr_assert(b && e && e > b, "no transcript markers in %s", path);
	b += strlen("<!-- transcript:begin -->\n```\n");
	cr_assert_eq((size_t)(e - b), strlen(text), "transcript length differs");
	cr_assert(strncmp(b, text, strlen(text)) == 0,
	          "docs/PROTOCOL.md transcript differs from the code; regenerate with PTM_PRINT_TRANSCRIPT=1");
}

/* ---- CONFIG and CBOLUS (docs/PROTOCOL.md 8.1, 8.2) ------------------------ */

/* verifies: SR-LINK-005 SR-RX-008 */
Test(msg, config_and_cbolus_bytes)
{
	uint8_t b[64];
	struct msg_request q = request(1, MSG_CONFIG);
	q.u.config.tubing_nl = 260000;          /* 0x0003f7a0 */
	q.u.config.catheter_mm = 900;           /* 0x00000384 */
	q.u.config.catheter_nl_per_mm = 220;    /* 0x000000dc */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 21);
	const uint8_t cfg[21] = { 0x15, 0, 0, 0, 0, 0, 0, 0, 1,
	                          0x00, 0x03, 0xf7, 0xa0, 0x00, 0x00, 0x03, 0x84,
	                          0x00, 0x00, 0x00, 0xdc };
	cr_assert_arr_eq(b, cfg, 21);
	roundtrip_request(&q);
	q = request(2, MSG_CBOLUS);
	q.u.cbolus.kind = MSG_CBOLUS_SINGLE;
	q.u.cbolus.dose_ng = 500000;            /* 0x0007a120 */
	q.u.cbolus.duration_ms = 600000;        /* 0x000927c0 */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 22);
	const uint8_t cb[22] = { 0x16, 0, 0, 0, 0, 0, 0, 0, 2, 0x01,
	                         0x00, 0x07, 0xa1, 0x20, 0x00, 0x09, 0x27, 0xc0,
	                         0, 0, 0, 0 };
	cr_assert_arr_eq(b, cb, 22);
	roundtrip_request(&q);
	q.u.cbolus.kind = MSG_CBOLUS_PRIME;
	q.u.cbolus.dose_ng = q.u.cbolus.duration_ms = 0;
	q.u.cbolus.rate_nl_h = 1000000;
	roundtrip_request(&q);
	q.u.cbolus.kind = MSG_CBOLUS_BRIDGE;
	q.u.cbolus.rate_nl_h = 0;
	roundtrip_request(&q);
	/* kinds 0 and 4 are refused by name, header still read */
	refused_by_name(cb, 22, 9, 0, "kind", MSG_CBOLUS, 2);
	refused_by_name(cb, 22, 9, 4, "kind", MSG_CBOLUS, 2);
	cr_assert_eq(msg_encode_request(&(struct msg_request){ .type = MSG_CBOLUS, .id = 1 },
	                                b, sizeof b), MSG_EVALUE);
	/* names */
	cr_assert_str_eq(msg_type_name(MSG_CONFIG), "config");
	cr_assert_str_eq(msg_type_name(MSG_CBOLUS), "cbolus");
	cr_assert_eq(msg_cbolus_kind_parse("bridge"), MSG_CBOLUS_BRIDGE);
	cr_assert_eq(msg_cbolus_kind_parse("patient"), -1);
	cr_assert_str_eq(msg_cbolus_kind_name(MSG_CBOLUS_PRIME), "prime");
}

/* verifies: SR-LINK-005 */
Test(msg, config_and_cbolus_replies_round_trip)
{
	struct msg_reply r = reply_of(MSG_CONFIG, 9);
	r.u.config.c = (struct msg_config){ 260000, 900, 220 };
	r.u.config.catheter_nl = 198000;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 16);
	r.req_type = MSG_CBOLUS;
	r.u.cbolus.kind = MSG_CBOLUS_PRIME;
	r.u.cbolus.volume_nl = 198000;
	r.u.cbolus.dose_ng = 1980000;
	r.u.cbolus.duration_ms = 712800;
	r.u.cbolus.ends_at_ms = 1700000712923ull;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 21);
	/* a kind out of its domain in a reply is malformed */
	uint8_t b[MSG_MAX];
	int n = msg_encode_reply(&r, b, sizeof b);
	cr_assert_gt(n, 0);
	b[n - 21] = 4;
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	r.u.cbolus.kind = 0;
	cr_assert_lt(msg_encode_reply(&r, b, sizeof b), 0);
}

/* ---- REFILL's appended withdrawn volume (docs/PROTOCOL.md 8.7) ------------ */

/* A first-edition REFILL: 20 mL at 500 ng/mL, id 1. */
static struct msg_request refill_q(void)
{
	struct msg_request q = request(1, MSG_REFILL);
	q.u.refill.volume_nl = 20000000;
	q.u.refill.concentration_ng_ml = 500;
	return q;
}

/* verifies: SR-LINK-005 SR-RX-004 */
Test(msg, refill_withdrawn_appended)
{
	uint8_t b[64];
	struct msg_request q = refill_q(), d;
	/* the first edition's body: 17 bytes, decodes with nothing withdrawn */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 17);
	cr_assert_eq(msg_decode_request(b, 17, &d, NULL, NULL, NULL), 0);
	cr_assert_eq(d.u.refill.has_withdrawn, 0);
	/* with the appended u32: 21 bytes */
	q.u.refill.has_withdrawn = 1;
	q.u.refill.withdrawn_nl = 3100000;      /* 0x002f4d60 */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 21);
	const uint8_t want[21] = { 0x11, 0, 0, 0, 0, 0, 0, 0, 1,
	                           0x01, 0x31, 0x2d, 0x00, 0x00, 0x00, 0x01, 0xf4,
	                           0x00, 0x2f, 0x4d, 0x60 };
	cr_assert_arr_eq(b, want, 21);
	cr_assert_eq(msg_decode_request(b, 21, &d, NULL, NULL, NULL), 0);
	cr_assert_eq(d.u.refill.has_withdrawn, 1);
	cr_assert_eq(d.u.refill.withdrawn_nl, 3100000u);
	/* a withdrawn of 0 (an empty reservoir) is a value, not an absence */
	q.u.refill.withdrawn_nl = 0;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 21);
	cr_assert_eq(msg_decode_request(b, 21, &d, NULL, NULL, NULL), 0);
	cr_assert_eq(d.u.refill.has_withdrawn, 1);
	/* part of it is truncated, more is trailing */
	for (size_t k = 18; k < 21; k++)
		cr_assert_eq(msg_decode_request(b, k, &d, NULL, NULL, NULL), MSG_ESHORT);
	/* the next byte begins the appended override: an empty one is refused */
	b[21] = 0;
	cr_assert_eq(msg_decode_request(b, 22, &d, NULL, NULL, NULL), MSG_EVALUE);
}

/* verifies: SR-RX-004 */
Test(msg, refill_override_appended_after_withdrawn)
{
	uint8_t b[128];
	struct msg_request q = refill_q(), d;
	strcpy(q.u.refill.override, "why");
	/* an override needs withdrawn_nl before it: one encoding */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), MSG_EVALUE);
	q.u.refill.has_withdrawn = 1;
	q.u.refill.withdrawn_nl = 3100000;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 21 + 1 + 3);
	cr_assert_eq(b[21], 3);
	cr_assert_arr_eq(b + 22, "why", 3);
	cr_assert_eq(msg_decode_request(b, 25, &d, NULL, NULL, NULL), 0);
	cr_assert_str_eq(d.u.refill.override, "why");
	cr_assert_eq(d.u.refill.withdrawn_nl, 3100000u);
	roundtrip_request(&q);
	/* a non-printable reason is malformed, a long one cannot be sent */
	b[23] = 0x07;
	cr_assert_eq(msg_decode_request(b, 25, &d, NULL, NULL, NULL), MSG_EVALUE);
	memset(q.u.refill.override, 'a', MSG_OVERRIDE_MAX);
	q.u.refill.override[MSG_OVERRIDE_MAX] = '\0';
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 21 + 1 + MSG_OVERRIDE_MAX);
}

/* verifies: SR-LINK-005 SR-RX-004 */
Test(msg, refill_reply_body_only_when_checked)
{
	struct msg_reply r = reply_of(MSG_REFILL, 3);
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN);   /* as the first edition */
	r.u.refill.present = 1;
	r.u.refill.withdrawn_nl = 15000000;
	r.u.refill.expected_nl = 17000000;
	r.u.refill.tolerance_nl = 950000;
	r.u.refill.flags = MSG_RF_DISCREPANCY | MSG_RF_BRIDGE_DUE;
	r.u.refill.next_refill_ms = 1702000000000ull;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 21);
	uint8_t b[MSG_MAX];
	int n = msg_encode_reply(&r, b, sizeof b);
	b[n - 9] = 0x04;   /* a flag that does not exist */
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	r.u.refill.flags = 0x80;
	cr_assert_lt(msg_encode_reply(&r, b, sizeof b), 0);
}

/* ---- HELLO (docs/PROTOCOL.md 8.8) ----------------------------------------- */

/* verifies: SR-LINK-005 */
Test(msg, hello_bytes_and_reply)
{
	uint8_t b[MSG_MAX];
	struct msg_request q = { .type = MSG_HELLO, .id = 1 };
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9);
	cr_assert_eq(b[0], 0x06);
	roundtrip_request(&q);
	cr_assert_str_eq(msg_type_name(MSG_HELLO), "hello");
	struct msg_reply r = reply_of(MSG_HELLO, 1);
	r.u.hello.protocol = MSG_PROTOCOL;
	r.u.hello.features = MSG_FEAT_CONFIG | MSG_FEAT_CBOLUS | MSG_FEAT_REFILL_CHECK;
	strcpy(r.u.hello.software, "pumpd 0.1.0");
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 2 + 4 + 1 + 11);
	/* a later pump's feature bits are read, not refused */
	r.u.hello.features = 0xffffffffu;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 2 + 4 + 1 + 11);
	/* the software string is printable ASCII, at most 31 bytes */
	int n = msg_encode_reply(&r, b, sizeof b);
	cr_assert_gt(n, 0);
	b[n - 1] = 0x07;
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	memset(r.u.hello.software, 'x', MSG_SOFTWARE_MAX);
	r.u.hello.software[MSG_SOFTWARE_MAX] = 0;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 2 + 4 + 1 + MSG_SOFTWARE_MAX);
}

Test(msg, link_bytes_and_refusals)
{
	uint8_t b[64];
	struct msg_request q, d;
	q = request(3, MSG_LINK);
	q.u.link.kind = MSG_LINK_DELAY;
	memcpy(q.u.link.remote, "ptm1", 5);
	q.u.link.count = 2;
	q.u.link.ms = 1500;                     /* 0x000005dc */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 23);
	const uint8_t lk[23] = { 0x22, 0, 0, 0, 0, 0, 0, 0, 3, 0x03,
	                         4, 'p', 't', 'm', '1', 0, 0, 0, 2,
	                         0x00, 0x00, 0x05, 0xdc };
	cr_assert_arr_eq(b, lk, 23);
	roundtrip_request(&q);
	q.u.link.remote[0] = '\0';              /* every remote: an empty str8 */
	q.u.link.kind = MSG_LINK_CLEAR;
	q.u.link.count = q.u.link.ms = 0;
	roundtrip_request(&q);
	/* a kind past busy, a name with a space: refused by name */
	refused_by_name(lk, 23, 9, MSG_LINK_COUNT, "kind", MSG_LINK, 3);
	refused_by_name(lk, 23, 12, ' ', "remote", MSG_LINK, 3);
	/* truncated and trailing */
	cr_assert_eq(msg_decode_request(lk, 22, &d, NULL, NULL, NULL), MSG_ESHORT);
	uint8_t longer[24];
	memcpy(longer, lk, 23);
	longer[23] = 0;
	cr_assert_eq(msg_decode_request(longer, 24, &d, NULL, NULL, NULL), MSG_ETRAIL);
	/* names: '-' stands for '_' */
	cr_assert_str_eq(msg_type_name(MSG_LINK), "link");
	cr_assert_eq(msg_link_kind_parse("drop-replies"), MSG_LINK_DROP_REPLIES);
	cr_assert_eq(msg_link_kind_parse("out_of_range"), MSG_LINK_OUT_OF_RANGE);
	cr_assert_eq(msg_link_kind_parse("drop"), -1);
	cr_assert_str_eq(msg_link_kind_name(MSG_LINK_BUSY), "busy");
}

/* ---- edition 3: STAGE, CONFIRM, CANCEL, ALARMTEST, HELLO accept, the
 * state extension (docs/PROTOCOL.md 8.8-8.11) ---- */

/* verifies: SR-RX-005 */
Test(msg, clinic_requests_bytes)
{
	uint8_t b[MSG_MAX];
	struct msg_request q;
	q = request(5, MSG_STAGE);
	q.u.rx = sample_rx();
	/* the PROGRAM block (79 bytes) then str8 override, here empty */
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9 + 9 + 13 + 1 + 16 + 27 + 1);
	cr_assert_eq(b[0], 0x17);
	roundtrip_request(&q);
	strcpy(q.u.rx.override, "titration agreed with pain team");
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9 + 66 + 1 + 31);
	roundtrip_request(&q);
	/* PROGRAM appends the override only when there is one */
	q.type = MSG_PROGRAM;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 9 + 66 + 1 + 31);
	roundtrip_request(&q);
	q.type = MSG_STAGE_CONFIRM; q.u.stage_id = 0x01020304;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 13);
	cr_assert_eq(b[0], 0x18);
	cr_assert_eq(b[9], 1);
	cr_assert_eq(b[12], 4);
	roundtrip_request(&q);
	q.type = MSG_STAGE_CANCEL;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 13);
	cr_assert_eq(b[0], 0x19);
	roundtrip_request(&q);
	q.type = MSG_ALARMTEST; q.u.alarm = MSG_ALARM_MOTOR_STALL;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 10);
	cr_assert_eq(b[0], 0x1a);
	roundtrip_request(&q);
	q.type = MSG_HELLO; q.u.accept = MSG_ACCEPT_ED3;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 13);
	cr_assert_eq(b[12], 1);
	roundtrip_request(&q);
	cr_assert_str_eq(msg_type_name(MSG_STAGE), "stage");
	cr_assert_eq(msg_type_parse("alarmtest"), MSG_ALARMTEST);
	cr_assert_str_eq(msg_err_name(MSG_E_SOFT_LIMIT), "soft_limit");
	cr_assert_str_eq(msg_err_name(MSG_E_HARD_LIMIT), "hard_limit");
	cr_assert_str_eq(msg_event_name(MSG_EV_ALARM_TEST), "alarm_test");
}

static int refused_field(const uint8_t *b, size_t n, const char **field)
{
	struct msg_request d;
	return msg_decode_request(b, n, &d, NULL, NULL, field);
}

/* verifies: SR-LINK-005 */
Test(msg, clinic_requests_refused_with_field)
{
	const char *f = NULL;
	/* ALARMTEST 0 ("every alarm") is not an alarm to play */
	const uint8_t at0[10] = { 0x1a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	cr_assert_eq(refused_field(at0, 10, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "alarm");
	const uint8_t at8[10] = { 0x1a, 0, 0, 0, 0, 0, 0, 0, 1, 8 };
	cr_assert_eq(refused_field(at8, 10, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "alarm");
	/* HELLO accept 0 (one encoding: leave it out) and unknown bits */
	const uint8_t h0[13] = { 0x06, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	cr_assert_eq(refused_field(h0, 13, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "accept");
	const uint8_t h2[13] = { 0x06, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2 };
	cr_assert_eq(refused_field(h2, 13, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "accept");
	cr_assert_eq(refused_field(h2, 12, &f), MSG_ESHORT);
	/* CONFIRM: exactly 4 bytes of stage_id */
	const uint8_t c5[14] = { 0x18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0 };
	cr_assert_eq(refused_field(c5, 14, &f), MSG_ETRAIL);
	cr_assert_eq(refused_field(c5, 12, &f), MSG_ESHORT);
	/* an override that is not printable, in STAGE and PROGRAM */
	uint8_t b[MSG_MAX];
	struct msg_request q;
	q = request(1, MSG_STAGE);
	q.u.rx = sample_rx();
	strcpy(q.u.rx.override, "ok");
	int n = msg_encode_request(&q, b, sizeof b);
	cr_assert_gt(n, 0);
	b[n - 1] = 0x1b;
	cr_assert_eq(refused_field(b, (size_t)n, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "override");
	q.type = MSG_PROGRAM;
	n = msg_encode_request(&q, b, sizeof b);
	b[n - 1] = 0x7f;
	cr_assert_eq(refused_field(b, (size_t)n, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "override");
	/* a STAGE without its override byte is short */
	q.type = MSG_STAGE;
	q.u.rx.override[0] = 0;
	n = msg_encode_request(&q, b, sizeof b);
	cr_assert_eq(refused_field(b, (size_t)n - 1, &f), MSG_ESHORT);
	/* the encoder refuses what the decoder would */
	q.type = MSG_ALARMTEST; q.u.alarm = 0;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), MSG_EVALUE);
	q.type = MSG_HELLO; q.u.accept = 4;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), MSG_EVALUE);
}

/* verifies: SR-RX-005 */
Test(msg, stage_reply_and_state_extension)
{
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.id = 3;
	r.state = sample_state();
	r.req_type = MSG_STAGE;
	struct msg_stage_result *g = &r.u.stage;
	g->stage_id = 2;
	g->flags = MSG_ST_OVERRIDE | MSG_ST_REPLACED;
	g->daily_ng[0] = 3000000; g->daily_ng[1] = 3600000;
	g->bolus_dose_ng[0] = 500000; g->bolus_dose_ng[1] = 250000;
	g->lockout_ms[0] = 7200000; g->lockout_ms[1] = 3600000;
	g->max_per_24h[0] = 4; g->max_per_24h[1] = 6;
	g->ceiling_ng_24h[0] = 5000000; g->ceiling_ng_24h[1] = 5200000;
	g->next_refill_ms[0] = 1700864000000ull; g->next_refill_ms[1] = 1700700000000ull;
	const int body = 4 + 1 + 8 + 8 + 8 + 4 + 8 + 16;
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + body);
	/* with the extension: 13 bytes at the end */
	r.state.has_ext = 1;
	r.state.ext = (struct msg_stage_ext){ MSG_SX_PENDING, 2, 1700000000000ull };
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + body + MSG_SX_LEN);
	uint8_t b[MSG_MAX];
	int n = msg_encode_reply(&r, b, sizeof b);
	cr_assert_eq(b[n - 13], MSG_SX_PENDING);
	cr_assert_eq(b[n - 9], 2);
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.u.reply.state.has_ext, 1);
	cr_assert_eq(d.u.reply.state.ext.staged_ms, 1700000000000ull);
	cr_assert_eq(d.u.reply.u.stage.next_refill_ms[1], 1700700000000ull);
	/* pending without an id, or an id without pending: refused both ways */
	b[n - 13] = 0;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), MSG_EVALUE);
	r.state.ext.flags = 0;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r.state.ext = (struct msg_stage_ext){ MSG_SX_STOPPED, 0, 0 };
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + body + MSG_SX_LEN);
	r.state.ext.flags = 0x04;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	/* an error reply and a REFILL reply carry it after their end too */
	r.state.ext = (struct msg_stage_ext){ 0, 0, 0 };
	r.err = MSG_E_SOFT_LIMIT;
	strcpy(r.detail, "daily_ng: soft limit 10000000 ng");
	roundtrip_reply(&r, REPLY_HDR + 32 + STATE_LEN + MSG_SX_LEN);
	r.err = MSG_OK;
	r.detail[0] = 0;
	r.req_type = MSG_REFILL;
	memset(&r.u, 0, sizeof r.u);
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + MSG_SX_LEN);
	r.u.refill = (struct msg_refill_result){ 1, 16050000, 17000000, 950000, 0, 0 };
	roundtrip_reply(&r, REPLY_HDR + STATE_LEN + 21 + MSG_SX_LEN);
	/* a notification's extension follows its state */
	struct msg_notify no;
	memset(&no, 0, sizeof no);
	no.seq = 9;
	no.event = MSG_EV_ALARM_TEST;
	no.alarm = MSG_ALARM_EOS;
	no.state = sample_state();
	n = msg_encode_notify(&no, b, sizeof b);
	cr_assert_eq(n, 1 + 8 + 1 + 1 + STATE_LEN);
	no.state.has_ext = 1;
	no.state.ext = (struct msg_stage_ext){ MSG_SX_PENDING | MSG_SX_STOPPED, 7, 5 };
	n = msg_encode_notify(&no, b, sizeof b);
	cr_assert_eq(n, 1 + 8 + 1 + 1 + STATE_LEN + MSG_SX_LEN);
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(d.u.notify.event, MSG_EV_ALARM_TEST);
	cr_assert_eq(d.u.notify.state.ext.stage_id, 7);
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n - 1, &d), MSG_ETRAIL);
}

/* ---- STATUS's delivery block (docs/PROTOCOL.md 8.14) ---------------------- */

/* verifies: SR-FAULT-002 */
Test(msg, status_delivery_block_bytes)
{
	struct msg_reply r = status_of(12, 3, 1);
	const int body = 1 + 2 * 5;
	uint8_t v2[MSG_MAX], e3[MSG_MAX], dl[MSG_MAX];
	/* a second-edition remote's bytes, and an edition-3 one's that did
	 * not ask: what they were (the transcript in PROTOCOL.md holds them) */
	int n2 = msg_encode_reply(&r, v2, sizeof v2);
	cr_assert_eq(n2, REPLY_HDR + STATE_LEN + body);
	r.state.has_ext = 1;
	int n3 = msg_encode_reply(&r, e3, sizeof e3);
	cr_assert_eq(n3, n2 + MSG_SX_LEN);
	cr_assert_arr_eq(e3, v2, (size_t)n2);
	/* asked: 17 bytes after the counters, before the extension */
	r.has_dlv = 1;
	r.dlv = (struct msg_delivery){ 6000000, 4500000, 50 };
	int nd = msg_encode_reply(&r, dl, sizeof dl);
	cr_assert_eq(nd, n3 + MSG_DLV_LEN);
	cr_assert_arr_eq(dl, v2, (size_t)n2);
	const uint8_t want[MSG_DLV_LEN] = { 0, 0, 0, 0, 0, 0x5b, 0x8d, 0x80,
	                                    0, 0, 0, 0, 0, 0x44, 0xaa, 0x20, 50 };
	cr_assert_arr_eq(dl + n2, want, MSG_DLV_LEN);
	cr_assert_arr_eq(dl + n2 + MSG_DLV_LEN, e3 + n2, MSG_SX_LEN);
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(dl, (size_t)nd, &d), 0);
	cr_assert_eq(d.u.reply.has_dlv, 1);
	cr_assert_eq(d.u.reply.dlv.delivered_ng, 6000000u);
	cr_assert_eq(d.u.reply.dlv.reached_ng, 4500000u);
	cr_assert_eq(d.u.reply.dlv.reach_pct, 50);
	cr_assert_eq(d.u.reply.state.has_ext, 1);
	/* the replies without it decode without it */
	cr_assert_eq(msg_decode_from_pump(e3, (size_t)n3, &d), 0);
	cr_assert_eq(d.u.reply.has_dlv, 0);
	cr_assert_eq(msg_decode_from_pump(v2, (size_t)n2, &d), 0);
	cr_assert_eq(d.u.reply.has_dlv, 0);
	/* cut: the block without the extension after it is trailing bytes */
	cr_assert_eq(msg_decode_from_pump(dl, (size_t)nd - MSG_SX_LEN, &d), MSG_ETRAIL);
	/* out of its domain, both ways: more than 100%, more reached than
	 * delivered, a block without the extension */
	uint8_t bad[MSG_MAX];
	memcpy(bad, dl, (size_t)nd);
	bad[n2 + 16] = 101;
	cr_assert_eq(msg_decode_from_pump(bad, (size_t)nd, &d), MSG_EVALUE);
	memcpy(bad, dl, (size_t)nd);
	bad[n2 + 12] = 1;    /* reached 2^24 more: past delivered */
	cr_assert_eq(msg_decode_from_pump(bad, (size_t)nd, &d), MSG_EVALUE);
	uint8_t b[MSG_MAX];
	r.dlv.reach_pct = 101;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r.dlv = (struct msg_delivery){ 1, 2, 100 };
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r.dlv = (struct msg_delivery){ 2, 2, 100 };
	r.state.has_ext = 0;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	/* HELLO asks for it with edition 3: accept 3 */
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.id = 1;
	q.type = MSG_HELLO;
	q.u.accept = MSG_ACCEPT_ED3 | MSG_ACCEPT_DELIVERY;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 13);
	cr_assert_eq(b[12], 3);
	roundtrip_request(&q);
	q.u.accept = MSG_ACCEPT_DELIVERY;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), MSG_EVALUE);
}

/* ---- typed LOG entries and the running bolus's kind (PROTOCOL.md 8.15) ---- */

/* a LOG reply of two entries, typed or not, with the extension or not */
static struct msg_reply log_reply(int typed, int ext)
{
	struct msg_reply r = reply_of(MSG_LOG, 4);
	r.state.has_ext = (uint8_t)ext;
	r.u.log.n = 2;
	r.u.log.e[0] = (struct msg_log_entry){ .seq = 7, .at_ms = 1700000000000ull,
	                                       .text = "pump: x" };
	r.u.log.e[1] = (struct msg_log_entry){ .seq = 8, .at_ms = 1700000000001ull,
	                                       .text = "c: ok" };
	if (typed) {
		r.u.log.e[0].typed = r.u.log.e[1].typed = 1;
		r.u.log.e[0].kind = MSG_LOG_HANDSHAKE;
		r.u.log.e[0].role = MSG_LOG_ROLE_PUMP;
		r.u.log.e[0].wall_ms = 1800000000000ull;
		r.u.log.e[1].kind = MSG_LOG_REQUEST;
		r.u.log.e[1].role = MSG_LOG_ROLE_CLINICIAN;
		r.u.log.e[1].wall_ms = 1800000000002ull;
	}
	return r;
}

/* verifies: SR-LINK-005 */
Test(msg, typed_log_bytes_only_when_asked)
{
	/* the entries as every edition reads them: exactly these bytes */
	static const uint8_t entries[] = {
		2,
		0, 0, 0, 0, 0, 0, 0, 7,  0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,
		7, 'p', 'u', 'm', 'p', ':', ' ', 'x',
		0, 0, 0, 0, 0, 0, 0, 8,  0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x01,
		5, 'c', ':', ' ', 'o', 'k',
	};
	/* then, typed: kind, role, wall_ms per entry, before the extension */
	static const uint8_t block[2 * MSG_LOG_TYPED_LEN] = {
		MSG_LOG_HANDSHAKE, 0, 0, 0, 0x01, 0xa3, 0x18, 0x5c, 0x50, 0x00,
		MSG_LOG_REQUEST, 2, 0, 0, 0x01, 0xa3, 0x18, 0x5c, 0x50, 0x02,
	};
	const size_t head = REPLY_HDR + STATE_LEN;
	uint8_t v2[MSG_MAX], e3[MSG_MAX], ty[MSG_MAX];
	struct msg_reply r = log_reply(0, 0);
	int n2 = msg_encode_reply(&r, v2, sizeof v2);
	cr_assert_eq(n2, (int)(head + sizeof entries));
	cr_assert_arr_eq(v2 + head, entries, sizeof entries);
	r = log_reply(0, 1);
	int n3 = msg_encode_reply(&r, e3, sizeof e3);
	cr_assert_eq(n3, n2 + MSG_SX_LEN);
	cr_assert_arr_eq(e3, v2, (size_t)n2);
	r = log_reply(1, 1);
	int nt = msg_encode_reply(&r, ty, sizeof ty);
	cr_assert_eq(nt, n3 + (int)sizeof block);
	cr_assert_arr_eq(ty, v2, (size_t)n2, "the entries come first, as before");
	cr_assert_arr_eq(ty + n2, block, sizeof block);
	cr_assert_arr_eq(ty + n2 + sizeof block, e3 + n2, MSG_SX_LEN);
	/* decoded: typed exactly when the block is there; encoded again, the
	 * same bytes */
	struct msg_from_pump d;
	uint8_t again[MSG_MAX];
	cr_assert_eq(msg_decode_from_pump(ty, (size_t)nt, &d), 0);
	cr_assert_eq(msg_encode_reply(&d.u.reply, again, sizeof again), nt);
	cr_assert_arr_eq(again, ty, (size_t)nt);
	/* cut anywhere but where an untyped reply ends, it is refused */
	for (int k = n2 + 1; k < nt; k++)
		if (k != n3)
			cr_assert_lt(msg_decode_from_pump(ty, (size_t)k, &d), 0, "cut at %d", k);
	cr_assert_eq(d.u.reply.u.log.e[0].typed, 1);
	cr_assert_eq(d.u.reply.u.log.e[0].kind, MSG_LOG_HANDSHAKE);
	cr_assert_eq(d.u.reply.u.log.e[1].role, MSG_LOG_ROLE_CLINICIAN);
	cr_assert_eq(d.u.reply.u.log.e[1].wall_ms, 1800000000002ull);
	cr_assert_str_eq(d.u.reply.u.log.e[1].text, "c: ok");
	cr_assert_eq(msg_decode_from_pump(e3, (size_t)n3, &d), 0);
	cr_assert_eq(d.u.reply.u.log.e[0].typed, 0);
	cr_assert_eq(d.u.reply.u.log.e[1].kind, 0);
	cr_assert_eq(msg_decode_from_pump(v2, (size_t)n2, &d), 0);
	cr_assert_eq(d.u.reply.u.log.e[0].typed, 0);
	/* the block without the extension after it: trailing bytes */
	cr_assert_eq(msg_decode_from_pump(ty, (size_t)nt - MSG_SX_LEN, &d), MSG_ETRAIL);
	/* an empty page is the same typed or not */
	r = log_reply(1, 1);
	r.u.log.n = 0;
	cr_assert_eq(msg_encode_reply(&r, ty, sizeof ty), (int)(head + 1 + MSG_SX_LEN));
}

/* verifies: SR-LINK-005 */
Test(msg, typed_log_out_of_range_is_malformed_with_its_field)
{
	struct msg_reply r = log_reply(1, 1);
	uint8_t b[MSG_MAX], c[MSG_MAX];
	int n = msg_encode_reply(&r, b, sizeof b);
	cr_assert_gt(n, 0);
	const size_t blk = (size_t)n - MSG_SX_LEN - 2 * MSG_LOG_TYPED_LEN;
	struct msg_from_pump d;
	const char *f = NULL;
	/* kind 12 (one past the last), role 4: named */
	memcpy(c, b, (size_t)n);
	c[blk + MSG_LOG_TYPED_LEN] = MSG_LOG_KIND_COUNT;
	cr_assert_eq(msg_decode_from_pump_why(c, (size_t)n, &d, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "log.kind");
	memcpy(c, b, (size_t)n);
	c[blk + 1] = MSG_LOG_ROLE_COUNT;
	cr_assert_eq(msg_decode_from_pump_why(c, (size_t)n, &d, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "log.role");
	cr_assert_eq(msg_decode_from_pump_why(b, (size_t)n, &d, &f), 0);
	cr_assert_null(f);
	/* the encoder refuses what the decoder would: a kind or role out of
	 * range, a typed page without the extension, typed and not mixed */
	r.u.log.e[1].kind = MSG_LOG_KIND_COUNT;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r = log_reply(1, 1);
	r.u.log.e[0].role = MSG_LOG_ROLE_COUNT;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r = log_reply(1, 0);
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r = log_reply(1, 1);
	r.u.log.e[1].typed = 0;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	r = log_reply(0, 1);
	r.u.log.e[1].typed = 1;
	cr_assert_eq(msg_encode_reply(&r, b, sizeof b), MSG_EVALUE);
	/* names: the store's vocabulary */
	cr_assert_str_eq(msg_log_kind_name(MSG_LOG_HANDSHAKE), "handshake");
	cr_assert_str_eq(msg_log_kind_name(MSG_LOG_NOTE), "note");
	cr_assert_str_eq(msg_log_kind_name(MSG_LOG_KIND_COUNT), "unknown");
	cr_assert_eq(msg_log_kind_parse("decrypt"), MSG_LOG_DECRYPT);
	cr_assert_str_eq(msg_log_role_name(MSG_LOG_ROLE_TESTER), "tester");
}

/* verifies: SR-LINK-005 */
Test(msg, hello_typed_accept_and_the_bolus_kind_in_the_extension)
{
	/* HELLO accept 5 (edition 3 and typed): the bytes; 4 alone is
	 * malformed, as 2 alone is */
	struct msg_request q = request(1, MSG_HELLO);
	uint8_t b[MSG_MAX];
	q.u.accept = MSG_ACCEPT_ED3 | MSG_ACCEPT_TYPED;
	cr_assert_eq(msg_encode_request(&q, b, sizeof b), 13);
	cr_assert_eq(b[12], 5);
	roundtrip_request(&q);
	q.u.accept = MSG_ACCEPT_ALL;
	roundtrip_request(&q);
	const char *f = NULL;
	const uint8_t h4[13] = { 0x06, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4 };
	cr_assert_eq(refused_field(h4, 13, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "accept");
	const uint8_t h8[13] = { 0x06, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9 };
	cr_assert_eq(refused_field(h8, 13, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "accept");
	/* a bridge bolus running: kind 3 in stage_flags bits 2-3 */
	struct msg_notify no;
	memset(&no, 0, sizeof no);
	no.seq = 3;
	no.event = MSG_EV_BOLUS_STARTED;
	no.state = sample_state();
	no.state.flags |= MSG_F_BOLUS_RUNNING;
	no.state.bolus_ends_ms = 1700194400123ull;
	no.state.has_ext = 1;
	no.state.ext.flags = MSG_CBOLUS_BRIDGE << MSG_SX_BOLUS_SHIFT;
	int n = msg_encode_notify(&no, b, sizeof b);
	cr_assert_eq(n, 1 + 8 + 1 + 1 + STATE_LEN + MSG_SX_LEN);
	cr_assert_eq(b[n - MSG_SX_LEN], 0x0c);
	struct msg_from_pump d;
	cr_assert_eq(msg_decode_from_pump(b, (size_t)n, &d), 0);
	cr_assert_eq(MSG_SX_BOLUS_KIND(d.u.notify.state.ext.flags), MSG_CBOLUS_BRIDGE);
	/* with no bolus running, a kind is malformed both ways */
	b[20] &= (uint8_t)~MSG_F_BOLUS_RUNNING;   /* the state's flags */
	cr_assert_eq(msg_decode_from_pump_why(b, (size_t)n, &d, &f), MSG_EVALUE);
	cr_assert_str_eq(f, "stage_flags");
	no.state.flags &= (uint8_t)~MSG_F_BOLUS_RUNNING;
	cr_assert_eq(msg_encode_notify(&no, b, sizeof b), MSG_EVALUE);
	/* bits above the kind stay malformed */
	no.state.flags |= MSG_F_BOLUS_RUNNING;
	no.state.ext.flags = 0x10;
	cr_assert_eq(msg_encode_notify(&no, b, sizeof b), MSG_EVALUE);
}
