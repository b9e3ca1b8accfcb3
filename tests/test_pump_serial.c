/*
 * tests/test_pump_serial.c — the pump state as bytes: exact round trip,
 * every corruption refused with the output left untouched.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pump/pump.h"

#define DAY  PUMP_MS_PER_DAY
#define HOUR 3600000LL
#define T0   1699920000000LL

/* byte offsets in versions 1 and 2 (see pump/pump_serial.c) */
#define OFF_CONC    (8 + 32)
#define OFF_RUNNING (8 + 189 + 16)
#define OFF_FILL_NL (OFF_RUNNING + 1)
/* version 4's time zone at the end: name 48, std 4, dst 1, dst_ms 4, two
 * rules of 16 */
#define ZONE_BYTES  (48 + 4 + 1 + 4 + 16 + 16)
/* version 5's basal bound after a change (u32), after the zone */
#define BOUND_BYTES 4

static void reseal(uint8_t *b, size_t n)
{
	uint32_t h = pump_serial_sum(b, n - 4);
	b[n - 4] = (uint8_t)(h >> 24);
	b[n - 3] = (uint8_t)(h >> 16);
	b[n - 2] = (uint8_t)(h >> 8);
	b[n - 1] = (uint8_t)h;
}

/* A pump with history: boluses, a refill, an alarm silenced, a stall. */
static pump busy(void)
{
	pump_rx rx;
	pump p;
	pump_bolus_result r;
	pump_rx_default(&rx);
	cr_assert_eq(pump_init(&p, &rx, T0, 2100000u), 0);
	for (int i = 0; i < 20; i++)
		pump_bolus(&p, T0 + i * 97 * 60000LL, &r, NULL, NULL);
	pump_silence(&p, T0 + 31 * HOUR, PUMP_ALARM_ALL, NULL, NULL);
	pump_refill(&p, T0 + 32 * HOUR, 19000000u, 10000000u, NULL, NULL);
	pump_snapshot s;
	pump_status(&p, T0 + 33 * HOUR, &s);
	cr_assert_gt(s.next_bolus_ms, 0);
	cr_assert_eq(pump_bolus(&p, s.next_bolus_ms, &r, NULL, NULL), PUMP_BOLUS_GRANTED);
	pump_advance(&p, s.next_bolus_ms + 4 * 60000, NULL, NULL); /* mid-bolus */
	pump_fault(&p, s.next_bolus_ms + 5 * 60000, PUMP_FAULT_MEMORY, 0, NULL, NULL);
	cr_assert(p.bolus_running);
	return p;
}

/* verifies: SR-WIN-001 */
Test(pump_serial, round_trip_exact_and_continues_identically)
{
	pump p = busy(), q;
	uint8_t a[PUMP_SERIAL_MAX], b[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, a, sizeof a);
	cr_assert_gt(n, 0u);
	cr_assert_eq(pump_deserialize(&q, a, n), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
	/* both run on identically */
	pump_bolus_result r1, r2;
	for (int i = 1; i <= 30; i++) {
		pump_bolus(&p, T0 + 34 * HOUR + i * 3 * HOUR, &r1, NULL, NULL);
		pump_bolus(&q, T0 + 34 * HOUR + i * 3 * HOUR, &r2, NULL, NULL);
		cr_assert_eq(r1.outcome, r2.outcome);
	}
	cr_assert_eq(pump_serialize(&p, a, sizeof a),
	             pump_serialize(&q, b, sizeof b));
	cr_assert_eq(memcmp(a, b, n), 0);
}

Test(pump_serial, full_history_fits)
{
	pump_rx rx;
	pump p;
	pump_bolus_result r;
	pump_rx_default(&rx);
	rx.bolus_duration_ms = 60000;
	rx.lockout_ms = 60000;
	rx.max_per_24h = PUMP_MAX24_MAX;
	rx.bolus_dose_ng = 1000;
	cr_assert_eq(pump_init(&p, &rx, T0, 20000000u), 0);
	int granted = 0;
	for (int i = 0; i < 400; i++)
		granted += pump_bolus(&p, T0 + i * 60000LL, &r, NULL, NULL) == PUMP_BOLUS_GRANTED;
	cr_assert_eq(granted, 48); /* the count, not the history, limits it */
	uint8_t a[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, a, sizeof a);
	cr_assert_gt(n, 0u);
	cr_assert_eq(pump_serialize(&p, a, n - 1), 0u);
}

/* verifies: SR-STORE-003 */
Test(pump_serial, every_flipped_byte_is_refused)
{
	pump p = busy(), out;
	uint8_t a[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, a, sizeof a);
	memset(&out, 0x77, sizeof out);
	pump keep = out;
	for (size_t i = 0; i < n; i++) {
		a[i] ^= 0x10;
		int rc = pump_deserialize(&out, a, n);
		cr_assert(rc == PUMP_E_CORRUPT || rc == PUMP_E_VERSION,
		          "byte %zu: %d", i, rc);
		a[i] ^= 0x10;
	}
	for (size_t len = 0; len < n; len++)
		cr_assert_lt(pump_deserialize(&out, a, len), 0, "length %zu", len);
	cr_assert_eq(memcmp(&out, &keep, sizeof out), 0);
	cr_assert_eq(pump_deserialize(&out, a, n), 0);
}

/* verifies: SR-STORE-003 */
Test(pump_serial, checksummed_but_out_of_range_is_refused)
{
	pump p = busy(), out;
	uint8_t a[PUMP_SERIAL_MAX], b[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, a, sizeof a);
	memset(&out, 0, sizeof out);

	memcpy(b, a, n);
	memset(b + OFF_CONC, 0, 4); /* concentration 0 */
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&out, b, n), PUMP_E_CORRUPT);

	memcpy(b, a, n);
	b[OFF_RUNNING] = 2; /* a bool that is neither */
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&out, b, n), PUMP_E_CORRUPT);

	memcpy(b, a, n);
	b[OFF_FILL_NL] = 0x7f; /* fill above the capacity */
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&out, b, n), PUMP_E_CORRUPT);

	memcpy(b, a, n);
	b[5] = 6; /* version 6: not yet */
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&out, b, n), PUMP_E_VERSION);

	memcpy(b, a, n);
	b[5] = 4; /* version 5's bytes called version 4 */
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&out, b, n), PUMP_E_CORRUPT);

	memcpy(b, a, n);
	b[n] = 0; /* trailing byte */
	reseal(b, n + 1);
	cr_assert_eq(pump_deserialize(&out, b, n + 1), PUMP_E_CORRUPT);

	/* the untouched blob still loads */
	cr_assert_eq(pump_deserialize(&out, a, n), 0);
	cr_assert_eq(pump_deserialize(NULL, a, n), PUMP_E_INVAL);
}

/* verifies: SR-STORE-003 */
Test(pump_serial, inconsistent_running_bolus_is_refused)
{
	pump p = busy(), out;
	uint8_t a[PUMP_SERIAL_MAX];
	memset(&out, 0, sizeof out);
	pump_bolus_rec *run = &p.hist[(p.hist_first + p.hist_count - 1) %
	                              PUMP_HISTORY_MAX];
	cr_assert(run->done_ng > 0);
	/* what the running bolus delivered differs from its share of the time */
	pump q = p;
	q.hist[(q.hist_first + q.hist_count - 1) % PUMP_HISTORY_MAX].done_ng--;
	size_t n = pump_serialize(&q, a, sizeof a);
	cr_assert_gt(n, 0u);
	cr_assert_eq(pump_deserialize(&out, a, n), PUMP_E_CORRUPT);
	/* a bolus running while the pump is stopped, or in a critical alarm */
	q = p;
	q.running = false;
	n = pump_serialize(&q, a, sizeof a);
	cr_assert_eq(pump_deserialize(&out, a, n), PUMP_E_CORRUPT);
	q = p;
	q.alarms[PUMP_ALARM_MOTOR_STALL].active = true;
	q.alarms[PUMP_ALARM_MOTOR_STALL].raised_ms = q.now_ms;
	n = pump_serialize(&q, a, sizeof a);
	cr_assert_eq(pump_deserialize(&out, a, n), PUMP_E_CORRUPT);
	/* the consistent one loads */
	n = pump_serialize(&p, a, sizeof a);
	cr_assert_eq(pump_deserialize(&out, a, n), 0);
}

/* In the golden states below, bytes 32 to 191 (of the drug name's padding
 * and the default prescription): the same in versions 1 and 2. */
#define RX_DEFAULT_HEX \
	"00000000000000000098968001312d0000000001002dc6c00000000000000000" \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"00000000010007a120000927c0006ddd0000000006006acfc0001e84800036ee"

/* Bytes a pump wrote before the alarm numbers became the protocol's (pump
 * at 2026-03-01T08:00Z, a motor stall at 1 h, the reservoir set to 1.5 mL
 * at 2 h, low reservoir silenced at 2 h 1 min 40 s, a memory error at
 * 2 h 3 min 20 s): version 1 keeps its order of alarms, so they still load
 * as the same alarms, and are written back byte for byte. */
static const char v1_alarms_hex[] =
	"50544d50000100006d6f727068696e6500000000000000000000000000000000"
	RX_DEFAULT_HEX
	"800000088f0000019ca8da3a400000019ca8695000010016e360009896800000"
	"000000e4e1c00000000000000000000000000000000000000000000000000000"
	"00019ca342f400002dc6c0000001c8bbb6b400010000019ca8d72d000000019c"
	"a90fa2200000000000000000000000000000000000010000019ca8da3a400000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000010000019ca8a03e80000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000001e84800000000000000000000"
	"0000000030d40000000001481060000000000130fc2c707e7f84";

/* the bytes a hex text spells */
static size_t unhex(const char *hex, uint8_t *b)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	return n;
}

/* verifies: SR-STORE-009 */
Test(pump_serial, version_1_alarms_load_as_the_same_alarms)
{
	static uint8_t b[sizeof v1_alarms_hex / 2], out[sizeof b + 256];
	size_t n = unhex(v1_alarms_hex, b);
	pump p;
	cr_assert_eq(pump_deserialize(&p, b, n), 0);
	const int64_t t0 = 1772352000000LL;
	for (int a = PUMP_ALARM_FIRST; a < PUMP_ALARM__COUNT; a++) {
		bool want = a == PUMP_ALARM_MOTOR_STALL ||
		            a == PUMP_ALARM_LOW_RESERVOIR || a == PUMP_ALARM_MEMORY;
		cr_assert_eq(p.alarms[a].active, want, "%s", pump_alarm_name(a));
	}
	cr_assert_eq(p.alarms[PUMP_ALARM_MOTOR_STALL].raised_ms, t0 + HOUR);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].raised_ms, t0 + 2 * HOUR);
	cr_assert_eq(p.alarms[PUMP_ALARM_LOW_RESERVOIR].silenced_until_ms,
	             t0 + 7300000 + HOUR);
	cr_assert_eq(p.alarms[PUMP_ALARM_MEMORY].raised_ms, t0 + 7400000);
	/* written back as version 5 (no history: 20 bytes of configuration
	 * and bridge more, 24 of delivery faults, 89 of time zone, 4 of the
	 * bound after a change), which loads as the same pump */
	size_t m = pump_serialize(&p, out, sizeof out);
	cr_assert_eq(m, n + 20 + 24 + ZONE_BYTES + BOUND_BYTES);
	cr_assert_eq(out[5], 5);
	pump q;
	cr_assert_eq(pump_deserialize(&q, out, m), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
}

/* Bytes version 1 wrote for a pump with a bolus history: the default
 * prescription from T0 with 2.1 mL, boluses granted at 5 h and 8 h, one
 * refused at 9 h (lockout), one granted at 10 h 1 min and still running at
 * 10 h 5 min when it was saved. */
static const char v1_history_hex[] =
	"50544d50000100006d6f727068696e6500000000000000000000000000000000"
	RX_DEFAULT_HEX
	"800000088f0000018bcd4a98e00000018bcb20b4000100200b20009896800000"
	"000001406f400000000000258b0000000000036ee80001000000000000000300"
	"00018bcc335c800000018bcc3c84400007a1200007a1200000018bccd8280000"
	"00018bcce14fc00007a1200007a1200000018bcd46ef600000018bcd50172000"
	"07a12000030d400000018bc5fa5800002dc6c0000001b7de6e1800010000018b"
	"cc39f40000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000300000001000000000000"
	"000000000000000000000000000000000000000000000000000000133b800000"
	"000000124f8000000000000000000000000000200b200000000000000000bdd7"
	"e019"
;

/* verifies: SR-STORE-009 */
Test(pump_serial, version_1_history_loads_as_patient_boluses)
{
	static uint8_t b[sizeof v1_history_hex / 2], out[PUMP_SERIAL_MAX];
	size_t n = unhex(v1_history_hex, b);
	pump p;
	cr_assert_eq(pump_deserialize(&p, b, n), 0);
	cr_assert_eq(p.hist_count, 3u);
	cr_assert(p.bolus_running);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(p.hist[(p.hist_first + i) % PUMP_HISTORY_MAX].kind,
		             PUMP_KIND_PATIENT);
	cr_assert_eq(p.drawn_ng, 2460416u);
	cr_assert_eq(p.bolus_ng, 1200000u);
	pump_config c;
	pump_get_config(&p, &c);
	cr_assert_eq(c.tubing_nl + c.catheter_mm + c.catheter_nl_per_mm, 0u);
	cr_assert(!pump_bridge_due(&p));
	/* the rules go on as before: the running bolus ends at 10 h 11 min,
	 * the lockout runs from its start (10 h 1 min + 2 h) */
	pump_snapshot s;
	pump_status(&p, p.now_ms, &s);
	cr_assert_eq(s.bolus_ends_ms, T0 + 10 * HOUR + 11 * 60000);
	cr_assert_eq(s.next_bolus_ms, T0 + 12 * HOUR + 60000);
	cr_assert_eq(s.boluses_24h, 3u);
	/* version 5: one kind byte per record and 20 + 24 + 89 + 4 bytes at
	 * the end */
	size_t m = pump_serialize(&p, out, sizeof out);
	cr_assert_eq(m, n + 3 + 20 + 24 + ZONE_BYTES + BOUND_BYTES);
	pump q;
	cr_assert_eq(pump_deserialize(&q, out, m), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
}

/* verifies: SR-STORE-003 */
Test(pump_serial, configuration_clinician_boluses_and_bridge_round_trip)
{
	pump p = busy(), q;
	pump_advance(&p, p.now_ms + HOUR, NULL, NULL);
	pump_clear(&p, p.now_ms, PUMP_ALARM_MEMORY, NULL, NULL);
	pump_config c = { 260000u, 900u, 220u };
	cr_assert_eq(pump_configure(&p, p.now_ms, &c, NULL, NULL, NULL), 0);
	pump_cbolus_req rq = { .kind = PUMP_KIND_SINGLE, .dose_ng = 100000u,
	                       .duration_ms = 600000u };
	cr_assert_eq(pump_cbolus(&p, p.now_ms, &rq, NULL, NULL, NULL, NULL), 0);
	pump_advance(&p, p.now_ms + 300000, NULL, NULL);  /* mid-bolus */
	cr_assert_eq(pump_refill(&p, p.now_ms, 18000000u, 5000000u, NULL, NULL), 0);
	cr_assert(pump_bridge_due(&p));
	uint8_t a[PUMP_SERIAL_MAX], b[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, a, sizeof a);
	cr_assert_gt(n, 0u);
	cr_assert_eq(pump_deserialize(&q, a, n), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
	/* a kind out of range, a catheter too long, half a bridge: refused */
	pump bad = p;
	bad.hist[(bad.hist_first + bad.hist_count - 1) % PUMP_HISTORY_MAX].kind = 4;
	size_t m = pump_serialize(&bad, b, sizeof b);
	cr_assert_eq(pump_deserialize(&q, b, m), PUMP_E_CORRUPT);
	bad = p;
	bad.cfg.catheter_mm = PUMP_CATHETER_MM_MAX + 1;
	m = pump_serialize(&bad, b, sizeof b);
	cr_assert_eq(pump_deserialize(&q, b, m), PUMP_E_CORRUPT);
	bad = p;
	bad.bridge_rate_ng_day = 0;
	m = pump_serialize(&bad, b, sizeof b);
	cr_assert_eq(pump_deserialize(&q, b, m), PUMP_E_CORRUPT);
	cr_assert_eq(pump_deserialize(&q, a, n), 0);
}

/* Bytes version 2 wrote (before the delivery faults): the default
 * prescription from T0 with 2.1 mL, a bolus granted at 5 h, saved 4 min
 * into it (drawn 833333 ng: 633333 basal, 200000 bolus). */
static const char v2_hex[] =
	"50544d50000200006d6f727068696e6500000000000000000000000000000000"
	RX_DEFAULT_HEX
	"800000088f0000018bcc3706000000018bcb20b4000100200b20009896800000"
	"000001406f4000000000000cb7350000000001b7740001000000000000000100"
	"00018bcc335c800000018bcc3c84400007a12000030d40000000018bc5fa5800"
	"002dc6c0000001b7de6e18000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000100000000000000000000000000000000000000000000000000"
	"00000000000000000000000009a9f50000000000030d40000000000000000000"
	"00000000200b2000000000000000000000000000000000000000000000000000"
	"0000008665b564";

/* verifies: SR-STORE-009 SR-FAULT-002 */
Test(pump_serial, version_2_loads_with_all_its_drug_reaching_the_patient)
{
	static uint8_t b[sizeof v2_hex / 2], out[PUMP_SERIAL_MAX];
	size_t n = unhex(v2_hex, b);
	cr_assert_eq(b[5], 2);
	pump p;
	cr_assert_eq(pump_deserialize(&p, b, n), 0);
	cr_assert_eq(p.drawn_ng, 833333u);
	cr_assert_eq(p.basal_ng + p.bolus_ng, 833333u);
	cr_assert_eq(p.reached_ng, 833333u, "a version 2 pump lost nothing");
	cr_assert_eq(p.reach_pct, 100u);
	cr_assert_eq(p.stall_until_ms, 0);
	cr_assert(p.bolus_running);
	/* written back as version 5: 24 + 89 + 4 bytes more, loading as the
	 * same pump */
	size_t m = pump_serialize(&p, out, sizeof out);
	cr_assert_eq(m, n + 24 + ZONE_BYTES + BOUND_BYTES);
	cr_assert_eq(out[5], 5);
	pump q;
	cr_assert_eq(pump_deserialize(&q, out, m), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
	/* it delivers on as before */
	pump_advance(&q, q.now_ms + HOUR, NULL, NULL);
	cr_assert_eq(q.reached_ng, q.basal_ng + q.bolus_ng);
}

/* verifies: SR-FAULT-002 */
Test(pump_serial, delivery_faults_round_trip_and_are_checked)
{
	pump p = busy(), q;
	pump_clear(&p, p.now_ms, PUMP_ALARM_MEMORY, NULL, NULL);
	cr_assert_eq(pump_fault(&p, p.now_ms, PUMP_FAULT_OCCLUSION, 40, NULL, NULL), 0);
	pump_advance(&p, p.now_ms + HOUR, NULL, NULL);
	cr_assert_eq(pump_fault(&p, p.now_ms, PUMP_FAULT_STALL_FOR, 600000, NULL, NULL), 0);
	uint8_t b[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, b, sizeof b);
	cr_assert_gt(n, 0);
	cr_assert_eq(pump_deserialize(&q, b, n), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
	cr_assert_eq(q.reach_pct, 40u);
	cr_assert_lt(q.reached_ng, q.basal_ng + q.bolus_ng);
	/* the 24 bytes before the zone: pct, reached, rem, until; e is their end */
	size_t e = n - 4 - BOUND_BYTES - ZONE_BYTES;
	uint8_t c[PUMP_SERIAL_MAX];
	memcpy(c, b, n);
	c[e - 24 + 3] = 101;          /* reach_pct 101 */
	reseal(c, n);
	cr_assert_eq(pump_deserialize(&q, c, n), PUMP_E_CORRUPT);
	memcpy(c, b, n);
	c[e - 8 - 4 - 8] = 0x7f;      /* reached far above what was drawn */
	reseal(c, n);
	cr_assert_eq(pump_deserialize(&q, c, n), PUMP_E_CORRUPT);
	memcpy(c, b, n);
	memset(c + e - 8, 0, 8);      /* stall_until 0 with the alarm on: a */
	reseal(c, n);                     /* permanent stall, which is fine */
	cr_assert_eq(pump_deserialize(&q, c, n), 0);
	memcpy(c, b, n);
	c[e - 1] = 1;                 /* a stall ending in the past */
	memset(c + e - 8, 0, 7);
	reseal(c, n);
	cr_assert_eq(pump_deserialize(&q, c, n), PUMP_E_CORRUPT);
}

/* Bytes version 4 wrote: morphine 10 mg/mL from 2027-10-31 00:00 CEST
 * (22:00Z) holding 20 mL, a flexible schedule in Europe/Paris (1 mg/day,
 * 24 mg/day from 01:00 to 04:00 local), saved at 01:00Z, the fall-back
 * change itself: 1 h of 1 mg/day and 2 h of 24 mg/day delivered
 * (2 041 666 ng). */
static const char v4_zone_hex[] =
	"50544d50000400006d6f727068696e6500000000000000000000000000000000"
	"00000000000000000098968001312d0000000002000000000000000300000000"
	"000f42400036ee80016e360000dbba00000f4240000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"00000000010007a120000927c0006ddd000000000600000000001e84800036ee"
	"800000088f000001a8e729a680000001a8e684db000101312d00009896800000"
	"00000bebc20000000000001f274200000000036ee80000000000000000000000"
	"0001a8e15e7f00016e3600000001d4f9d23f0000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000001f274200000000000000000000"
	"0000000000000000000001312d00000000000000000000000000000000000000"
	"000000000000000000000000006400000000001f274200000000000000000000"
	"00004575726f70652f5061726973000000000000000000000000000000000000"
	"0000000000000000000000000000000000000036ee8001006ddd000000000300"
	"00000500000000006ddd000000000a000000050000000000a4cb80021c94cb";

/* verifies: SR-RX-007 SR-STORE-009 */
Test(pump_serial, version_4_keeps_the_zone)
{
	static uint8_t b[sizeof v4_zone_hex / 2], out[PUMP_SERIAL_MAX];
	size_t n = unhex(v4_zone_hex, b);
	cr_assert_eq(b[5], 4);
	pump p;
	cr_assert_eq(pump_deserialize(&p, b, n), 0);
	cr_assert_str_eq(p.rx.zone.name, "Europe/Paris");
	cr_assert_eq(p.rx.zone.std_ms, 3600000);
	cr_assert(p.rx.zone.dst);
	cr_assert_eq(p.rx.zone.dst_ms, 7200000);
	cr_assert_eq(p.rx.zone.start.month, 3u);
	cr_assert_eq(p.rx.zone.end.month, 10u);
	cr_assert_eq(p.rx.zone.end.time_ms, 3 * 3600000);
	cr_assert_eq(p.basal_ng, 2041666u);
	/* version 4 had no bound after a change: the rate rule's */
	cr_assert_eq(p.change_bound_ng, p.peak_rate_ng_day);
	/* written back byte for byte, and the bound as version 5 */
	size_t m = pump_serialize(&p, out, sizeof out);
	cr_assert_eq(m, n + BOUND_BYTES);
	cr_assert_eq(memcmp(out, b, 5), 0);
	cr_assert_eq(out[5], 5);
	cr_assert_eq(memcmp(out + 6, b + 6, n - 10), 0);
	cr_assert_eq((uint32_t)out[n - 4] << 24 | (uint32_t)out[n - 3] << 16 |
	             (uint32_t)out[n - 2] << 8 | out[n - 1], p.change_bound_ng);
	/* it runs on in local time: the repeated hour holds 24 mg/day, the
	 * step ends at 04:00 CET (03:00Z): 2 mg more */
	pump_advance(&p, p.now_ms + 2 * HOUR, NULL, NULL);
	cr_assert_eq(p.basal_ng, 4041666u);
	/* a zone the model refuses does not load */
	memcpy(out, b, n);
	out[n - 4 - 32 - 4 - 1 - 4 - 48] = ' ';   /* a space in the name */
	reseal(out, n);
	cr_assert_eq(pump_deserialize(&p, out, n), PUMP_E_CORRUPT);
	memcpy(out, b, n);
	out[n - 4 - 32 + 3] = 11;                 /* start month 11: too near */
	reseal(out, n);
	cr_assert_eq(pump_deserialize(&p, out, n), PUMP_E_CORRUPT);
}

/* verifies: SR-STORE-009 SR-WIN-002 */
Test(pump_serial, bound_after_a_change_round_trips_and_is_checked)
{
	pump_rx rx;
	pump_rx_default(&rx);
	pump p, q;
	cr_assert_eq(pump_init(&p, &rx, T0, 20000000u), 0);
	pump_rx f = rx;   /* 3 mg/day to 6 mg/day from noon at 01:00 */
	f.mode = PUMP_MODE_FLEXIBLE;
	f.n_steps = 2;
	f.steps[0] = (pump_step){ 0, 0 };
	f.steps[1] = (pump_step){ (uint32_t)(12 * HOUR), 6000000u };
	cr_assert_eq(pump_program(&p, T0 + HOUR, &f, NULL, NULL, NULL), 0);
	cr_assert_eq(p.change_bound_ng, 3125000u);
	uint8_t b[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(&p, b, sizeof b);
	cr_assert_gt(n, 0);
	cr_assert_eq(pump_deserialize(&q, b, n), 0);
	cr_assert_eq(memcmp(&p, &q, sizeof p), 0);
	/* above the highest rate: a day of no schedule holds it */
	uint32_t big = PUMP_RATE_MAX + 1u;
	b[n - 8] = (uint8_t)(big >> 24);
	b[n - 7] = (uint8_t)(big >> 16);
	b[n - 6] = (uint8_t)(big >> 8);
	b[n - 5] = (uint8_t)big;
	reseal(b, n);
	cr_assert_eq(pump_deserialize(&q, b, n), PUMP_E_CORRUPT);
}
