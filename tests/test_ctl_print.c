/*
 * tests/test_ctl_print.c — ptmctl's words for what the pump sent: text that
 * came over the wire (the drug's name, an error's detail, audit-log lines)
 * reaches the terminal rendered printable, even from a pump whose codec
 * would let an escape sequence through; micrograms as "mcg"; a reply's
 * answer without the state block unless asked; and the JSON of every u64
 * exact.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/msg.h"
#include "tools/ctl.h"
#include "net/msgjson.h"

/* ctl_print_reply(r, with_state) into a string the caller frees */
static char *printed_state(const struct msg_reply *r, int with_state)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	cr_assert_not_null(f);
	ctl_print_reply(f, r, with_state);
	cr_assert_eq(fclose(f), 0);
	return mem;
}

static void no_controls(const char *s)
{
	for (const char *c = s; *c; c++)
		cr_assert(*c == '\n' || ((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f),
		          "raw byte 0x%02x at %td in:\n%s", (unsigned char)*c, c - s, s);
}

Test(ctl_print, text_from_the_pump_is_printed_printable)
{
	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_LOG;
	r.state.now_ms = 1767225600000ull;
	snprintf(r.state.drug, sizeof r.state.drug, "mor\x1b[31mphine");
	r.u.log.n = 1;
	r.u.log.e[0].seq = 1;
	r.u.log.e[0].at_ms = 1767225600000ull;
	snprintf(r.u.log.e[0].text, sizeof r.u.log.e[0].text, "pumpd started\x1b]0;x\x07");
	char *out = printed_state(&r, 1);
	no_controls(out);
	cr_assert(strstr(out, "drug       mor\\x1b[31mphine "), "%s", out);
	cr_assert(strstr(out, "pumpd started\\x1b]0;x\\x07\n"), "%s", out);
	free(out);

	r.req_type = MSG_BOLUS;
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "volume_nl\r\x1b[2K");
	out = printed_state(&r, 0);
	no_controls(out);
	cr_assert(strstr(out, ": volume_nl\\r\\x1b[2K\n"), "%s", out);
	free(out);
}

/* A reply of type to a request, everything zero but the state, which is
 * as the default prescription's pump sends it. */
static void a_reply(struct msg_reply *r, int type)
{
	struct msg_state *s = &r->state;
	memset(r, 0, sizeof *r);
	r->req_type = (uint8_t)type;
	s->now_ms = 1767225600000ull;
	s->mode = MSG_MODE_CONTINUOUS;
	s->flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED;
	snprintf(s->drug, sizeof s->drug, "baclofen");
	s->reservoir_nl = 20000000;
	s->capacity_nl = 20000000;
	s->low_threshold_nl = 2000000;
	s->concentration_ng_ml = 50000;
	s->basal_ng_day = 1500;
	s->bolus_dose_ng = 99999;
	s->bolus_duration_ms = 600000;
	s->lockout_ms = 1800000;
	s->max_per_24h = 6;
}

/* ptm writes mcg; ptmctl wrote ug.  Every place a dose, a rate or a
 * concentration is printed, at the unit's edges. */
Test(ctl_print, micrograms_are_mcg)
{
	static struct msg_reply r;
	a_reply(&r, MSG_STATUS);
	char *out = printed_state(&r, 0);
	cr_assert(strstr(out, "\ndrug       baclofen 50 mcg/mL, basal 1.5 mcg/day\n"), "%s", out);
	cr_assert(strstr(out, "\nbolus      99.999 mcg over 10 min,"), "%s", out);
	cr_assert(!strstr(out, " ug"), "%s", out);
	free(out);

	r.req_type = MSG_BOLUS;
	r.u.bolus.outcome = MSG_OUT_GRANTED;
	r.u.bolus.dose_ng = 1000;
	r.u.bolus.at_ms = r.state.now_ms + 600000;
	out = printed_state(&r, 0);
	cr_assert(strncmp(out, "bolus granted: 1 mcg, ends in 10 min (", 38) == 0, "%s", out);
	free(out);
	r.u.bolus.dose_ng = 999;
	out = printed_state(&r, 0);
	cr_assert(strncmp(out, "bolus granted: 999 ng, ends ", 28) == 0, "%s", out);
	free(out);
	r.u.bolus.dose_ng = 100000;
	out = printed_state(&r, 0);
	cr_assert(strncmp(out, "bolus granted: 0.1 mg, ends ", 28) == 0, "%s", out);
	free(out);

	r.req_type = MSG_HISTORY;
	r.u.history.n = 1;
	r.u.history.e[0].at_ms = r.state.now_ms;
	r.u.history.e[0].outcome = MSG_OUT_GRANTED;
	r.u.history.e[0].dose_ng = 12345;
	out = printed_state(&r, 0);
	cr_assert(strstr(out, "granted     12.345 mcg\n"), "%s", out);
	free(out);

	r.req_type = MSG_PROGRAM;
	out = printed_state(&r, 0);
	cr_assert_str_eq(out, "program: done; baclofen 50 mcg/mL, basal 1.5 mcg/day; bolus "
	                 "99.999 mcg over 10 min, lockout 30 min, at most 6 in 24 h\n");
	free(out);
}

/* STATUS: the state first, the counters last and in words. */
Test(ctl_print, status_counts_come_last_in_words)
{
	static struct msg_reply r;
	a_reply(&r, MSG_STATUS);
	r.u.counts.n = MSG_OUT_COUNT;
	for (int i = 0; i < MSG_OUT_COUNT; i++)
		r.u.counts.c[i].outcome = (uint8_t)i;
	char *out = printed_state(&r, 0);
	cr_assert(strncmp(out, "pump       ", 11) == 0, "%s", out);
	cr_assert(strstr(out, "\nalarms     none\nrequests   none yet\n"), "%s", out);
	free(out);
	r.u.counts.c[MSG_OUT_GRANTED].count = 4;
	out = printed_state(&r, 0);
	cr_assert(strstr(out, "\nrequests   4 granted, none refused\n"), "%s", out);
	free(out);
	r.u.counts.c[MSG_OUT_DAILY_COUNT].count = 2;
	r.u.counts.c[MSG_OUT_CRITICAL].count = 1;
	out = printed_state(&r, 1);   /* --state: status is the state already */
	cr_assert(strstr(out, "\nrequests   4 granted, 3 refused (2 daily count, 1 critical alarm)\n"),
	          "%s", out);
	cr_assert_eq(strstr(out, "\npump  "), NULL, "the state twice:\n%s", out);
	free(out);
}

/* An answer alone; the state block after it only when asked. */
Test(ctl_print, an_answer_has_the_state_block_only_when_asked)
{
	static struct msg_reply r;
	a_reply(&r, MSG_CLOCK);
	char *out = printed_state(&r, 0);
	cr_assert_str_eq(out, "clock: done; pump time 2026-01-01T00:00:00Z\n");
	free(out);
	out = printed_state(&r, 1);
	cr_assert(strncmp(out, "clock: done; pump time 2026-01-01T00:00:00Z\npump       ", 55) == 0,
	          "%s", out);
	free(out);
	r.err = MSG_E_ROLE;
	snprintf(r.detail, sizeof r.detail, "patient");
	out = printed_state(&r, 0);
	cr_assert_str_eq(out, "clock refused: role (not allowed for this remote's role): patient\n");
	free(out);
}

static char *json_text(json_t *j)
{
	cr_assert_not_null(j);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	cr_assert_not_null(s);
	return s;
}

/* jansson's integers are signed 64-bit: an id of 2^63 or more was printed
 * as 9223372036854775807.  Numbers up to 2^53 - 1, decimal strings above. */
Test(ctl_print, json_carries_every_u64_exactly)
{
	static struct msg_reply r;
	static struct msg_notify n;
	a_reply(&r, MSG_BOLUS);
	r.err = MSG_E_STALE_ID;
	r.id = 9223372036854775808ull;
	r.u.last_id = UINT64_MAX;
	char *s = json_text(msgjson_reply(&r));
	cr_assert(strncmp(s, "{\"type\":\"reply\",\"id\":\"9223372036854775808\",", 42) == 0, "%s", s);
	cr_assert(strstr(s, ",\"last_id\":\"18446744073709551615\","), "%s", s);
	free(s);
	r.id = 9007199254740991ull;
	r.u.last_id = 9007199254740992ull;
	s = json_text(msgjson_reply(&r));
	cr_assert(strstr(s, "\"id\":9007199254740991,"), "%s", s);
	cr_assert(strstr(s, "\"last_id\":\"9007199254740992\","), "%s", s);
	free(s);
	r.id = 7;
	r.u.last_id = 9;
	s = json_text(msgjson_reply(&r));
	cr_assert(strstr(s, "\"id\":7,"), "%s", s);
	cr_assert(strstr(s, "\"last_id\":9,"), "%s", s);
	free(s);

	r.err = MSG_OK;
	r.req_type = MSG_LOG;
	r.u.log.n = 1;
	r.u.log.e[0].seq = UINT64_MAX - 1;
	r.u.log.e[0].at_ms = r.state.now_ms;
	s = json_text(msgjson_reply(&r));
	cr_assert(strstr(s, "\"log\":[{\"seq\":\"18446744073709551614\",\"at_ms\":1767225600000,"),
	          "%s", s);
	free(s);

	memset(&n, 0, sizeof n);
	n.state = r.state;
	n.seq = 1ull << 63;
	n.event = MSG_EV_STATE;
	s = json_text(msgjson_notify(&n));
	cr_assert(strncmp(s, "{\"type\":\"notify\",\"seq\":\"9223372036854775808\",", 44) == 0,
	          "%s", s);
	free(s);

	s = json_text(msgjson_paircode("012345"));
	cr_assert_str_eq(s, "{\"type\":\"paircode\",\"code\":\"012345\"}");
	free(s);
}

/* STAGE's reply: current beside pending, in words and in JSON; the state
 * extension in JSON when the session read it. */
/* verifies: SR-RX-005 */
Test(ctl_print, stage_reply_current_beside_pending)
{
	static struct msg_reply r;
	a_reply(&r, MSG_STAGE);
	struct msg_stage_result *g = &r.u.stage;
	g->stage_id = 3;
	g->flags = MSG_ST_STOPS | MSG_ST_NO_LIB;
	g->daily_ng[0] = 3000000; g->daily_ng[1] = 0;
	g->bolus_dose_ng[0] = 500000; g->bolus_dose_ng[1] = 0;
	g->lockout_ms[0] = 7200000;
	g->max_per_24h[0] = 6;
	g->ceiling_ng_24h[0] = 7000000;
	g->next_refill_ms[0] = 1767225600000ull + 86400000ull;
	char *out = printed_state(&r, 0);
	cr_assert(strstr(out, "stage: 3 pending (ptmctl confirm 3 / cancel 3)"), "%s", out);
	cr_assert(strstr(out, "  daily dose       3 mg             0 mg\n"), "%s", out);
	cr_assert(strstr(out, "  bolus dose       0.5 mg           off\n"), "%s", out);
	cr_assert(strstr(out, "  lockout          2 h              -\n"), "%s", out);
	cr_assert(strstr(out, "  boluses per 24 h 6                0\n"), "%s", out);
	cr_assert(strstr(out, "  ceiling 24 h     7 mg             none\n"), "%s", out);
	cr_assert(strstr(out, "  next refill      2026-01-02T00:00:00Z none\n"), "%s", out);
	cr_assert(strstr(out, "CONFIRMING STOPS THE PUMP"), "%s", out);
	cr_assert(strstr(out, "not in the pump's drug library"), "%s", out);
	free(out);
	r.state.has_ext = 1;
	r.state.ext = (struct msg_stage_ext){ MSG_SX_PENDING, 3, 1767225600000ull };
	char *j = json_text(msgjson_reply(&r));
	cr_assert(strstr(j, "\"stage\":{\"stage_id\":3,\"overridden\":false,\"stops\":true,"
	                    "\"replaced\":false,\"in_library\":false,\"current\":{\"daily_ng\":3000000"), "%s", j);
	cr_assert(strstr(j, "\"programming\":{\"pending\":true,\"stopped\":false,\"stage_id\":3,"
	                    "\"staged_ms\":1767225600000}"), "%s", j);
	free(j);
}

/* HELLO: the features the pump names, by their protocol names, the bits
 * this ptmctl does not know as a number, none as "none". */
Test(ctl_print, hello_names_the_features)
{
	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_HELLO;
	r.u.hello.protocol = 2;
	snprintf(r.u.hello.software, sizeof r.u.hello.software, "pumpd 0.1.0");
	r.u.hello.features = MSG_FEAT_CONFIG | MSG_FEAT_REFILL_CHECK | MSG_FEAT_DRUGLIB |
	                     MSG_FEAT_LINK | 0x80000000u;
	char *out = printed_state(&r, 0);
	cr_assert(strstr(out, "hello: pumpd 0.1.0, protocol 2; features: config refill_check "
	                      "drug_library link (and 0x80000000, unknown here)\n"), "%s", out);
	free(out);
	r.u.hello.features = MSG_FEAT_CBOLUS | MSG_FEAT_STAGE | MSG_FEAT_ALARMTEST;
	out = printed_state(&r, 0);
	cr_assert(strstr(out, "features: cbolus stage alarmtest\n"), "%s", out);
	free(out);
	r.u.hello.features = 0;
	out = printed_state(&r, 0);
	cr_assert(strstr(out, "features: none\n"), "%s", out);
	free(out);
}
