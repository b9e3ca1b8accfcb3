/*
 * tests/test_ptmctl_report.c — `ptmctl report` and `ptmctl log --format`
 * against a real pumpd (tests/lib/e2e.h): the report's counts since the
 * log's start equal the pump's own counters, the whole log is read over
 * several LOG pages, typed events filter by kind, the HTML page is one
 * self-contained document, and a patient's key is refused with a reason.
 * Needs $PTM_BUILD/ptmctl or build/ptmctl.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "crypto/tai64n.h"
#include "tests/lib/ctlpump.h"
#include "tests/lib/e2e.h"
#include "tests/lib/prog.h"

#define F ctlpump_F

#define AS(who, ...) CTLPUMP_AS(&F, who, __VA_ARGS__)
#define RUN(c, rc_want, args) do { \
	prog_run((c), F.ptmctl, (args), NULL); \
	cr_assert_eq((c)->rc, (rc_want), "exit %d:\n%s%s", (c)->rc, (c)->out, (c)->err); \
} while (0)


TestSuite(ptmctl_report, .init = ctlpump_setup, .fini = ctlpump_teardown);

static json_int_t jint(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	cr_assert(json_is_integer(v), "%s.%s", a, b ? b : "");
	return json_integer_value(v);
}

Test(ptmctl_report, counts_equal_the_pumps_counters_over_a_log_of_many_pages)
{
	static struct prog c;
	/* boluses granted and refused (each run also writes session rows: the
	 * log grows past one LOG page of 20) */
	for (int i = 0; i < 4; i++) {
		prog_run(&c, F.ptmctl, AS("patient", "bolus"), NULL);
		cr_assert(c.rc == 0 || c.rc == 1, "%s", c.err);
		prog_run(&c, F.ptmctl, AS("patient", "bolus"), NULL);
		cr_assert_eq(c.rc, 1, "a second bolus at once is refused: %s", c.out);
		RUN(&c, 0, AS("tester", "clock", "advance", "3h"));
	}
	RUN(&c, 0, AS("clinician", "refill", "20mL", "10mg/mL"));

	RUN(&c, 0, AS("clinician", "status", "--json"));
	json_t *st = prog_json(&c);

	RUN(&c, 0, AS("clinician", "report", "--format", "json", "--since", "1"));
	json_t *r = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(r, "since_what")), "given");
	cr_assert_gt(jint(r, "log_rows", NULL), 20, "more than one page read");
	json_t *cnt = json_object_get(st, "counts");
	cr_assert_not_null(cnt, "%s", c.out);
	json_int_t refused = 0;
	const char *k;
	json_t *v;
	json_object_foreach(cnt, k, v)
		if (strcmp(k, "granted") != 0)
			refused += json_integer_value(v);
	cr_assert_eq(jint(r, "counts", "granted"), jint(st, "counts", "granted"));
	cr_assert_eq(jint(r, "counts", "granted"), 4);
	cr_assert_eq(jint(r, "counts", "lockout") + jint(r, "counts", "daily_count") +
	             jint(r, "counts", "ceiling") + jint(r, "counts", "other"), refused);
	cr_assert_eq(refused, 4);
	/* the refill is the last visit when --since is not given */
	cr_assert_str_eq(json_string_value(json_object_get(r, "since_what")), "given");
	json_decref(r);
	RUN(&c, 0, AS("clinician", "report", "--format", "json"));
	r = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(r, "since_what")), "refill");
	cr_assert_eq(jint(r, "log_typed_rows", NULL), jint(r, "log_rows", NULL),
	             "every row typed by this pump");
	cr_assert_eq(jint(r, "counts", "granted"), 0);
	cr_assert_eq(jint(r, "last_refill", "volume_nl"), 20000000);
	json_decref(r);
	json_decref(st);

	/* the log as typed events: the boluses only, in CSV */
	RUN(&c, 0, AS("clinician", "log", "--kind", "bolus", "--format", "csv"));
	cr_assert(strncmp(c.out, "seq,at_ms,at,kind,role,who,outcome,dose_ng,text\r\n", 48) == 0,
	          "%s", c.out);
	int rows = 0, granted = 0;
	for (const char *p = strchr(c.out, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		const char *g = strstr(p, ",bolus,patient,patient,granted,");
		const char *eol = strchr(p + 1, '\n');
		rows++;
		granted += g && (!eol || g < eol);
	}
	cr_assert_eq(rows, 8, "%s", c.out);
	cr_assert_eq(granted, 4, "%s", c.out);

	RUN(&c, 0, AS("clinician", "log", "--kind", "refill", "--format", "json"));
	json_t *l = prog_json(&c);
	json_t *evs = json_object_get(l, "events");
	cr_assert_eq(json_array_size(evs), 1);
	json_t *e0 = json_array_get(evs, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e0, "role")), "clinician");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(e0, "data"),
	                                                "concentration_ng_ml")), 10000000);
	json_decref(l);

	RUN(&c, 0, AS("clinician", "report", "--format", "html"));
	cr_assert(strncmp(c.out, "<!DOCTYPE html>", 15) == 0);
	cr_assert(strstr(c.out, "</html>\n"));
	cr_assert_null(strstr(c.out, "<script"));
	cr_assert(strstr(c.out, "<svg"));
}

Test(ptmctl_report, a_patient_key_and_bad_options_are_refused)
{
	static struct prog c;
	RUN(&c, 1, AS("patient", "report"));
	cr_assert(strstr(c.err, "needs a clinician's key"), "%s", c.err);
	RUN(&c, 2, AS("clinician", "report", "--format", "pdf"));
	cr_assert(strstr(c.err, "expected text, json, csv or html"), "%s", c.err);
	RUN(&c, 2, AS("clinician", "log", "--kind", "bolus,nope"));
	cr_assert(strstr(c.err, "'nope'"), "%s", c.err);
	RUN(&c, 2, AS("clinician", "log", "--since", "yesterday"));
	cr_assert(strstr(c.err, "expected a time"), "%s", c.err);
	RUN(&c, 2, AS("clinician", "log", "--format", "csv", "--last"));
	cr_assert_eq(c.nout, 0);
}

/* verifies: SR-FAULT-002 */
Test(ptmctl_report, delivered_against_reached_since_the_occlusion)
{
	static struct prog c;
	/* the default prescription: 3 mg/day.  A day, an occlusion at 50%, a
	 * day: by hand, since the occlusion 3 mg drawn, 1.5 mg reached; since
	 * the pump's start 6 mg drawn, 3 + 1.5 = 4.5 mg reached */
	RUN(&c, 0, AS("tester", "clock", "advance", "1d"));
	RUN(&c, 0, AS("tester", "fault", "occlusion", "50%"));
	RUN(&c, 0, AS("tester", "clock", "advance", "1d"));
	RUN(&c, 0, AS("clinician", "report", "--format", "json"));
	json_t *r = prog_json(&c);
	json_t *d = json_object_get(r, "delivered_reached");
	cr_assert(json_is_object(d), "%s", c.out);
	cr_assert_str_eq(json_string_value(json_object_get(d, "from_what")), "occlusion");
	cr_assert_eq(jint(d, "delivered_ng", NULL), 3000000);
	cr_assert_eq(jint(d, "reached_ng", NULL), 1500000);
	cr_assert_eq(jint(d, "missed_ng", NULL), 1500000);
	cr_assert_eq(json_real_value(json_object_get(d, "missed_pct")), 50.0);
	cr_assert_eq(jint(d, "reach_pct_now", NULL), 50);
	cr_assert_eq(jint(d, "total_delivered_ng", NULL), 6000000);
	cr_assert_eq(jint(d, "total_reached_ng", NULL), 4500000);
	json_decref(r);
	RUN(&c, 0, AS("clinician", "report"));
	cr_assert(strstr(c.out, "delivered  3 mg since the occlusion at "), "%s", c.out);
	cr_assert(strstr(c.out, "reached    1.5 mg (what reached the patient"), "%s", c.out);
	cr_assert(strstr(c.out, "Under-delivery: 1.5 mg of 3 mg (50.0%) did not reach the "
	                        "patient (occlusion: 50% reaches the patient now)\n"), "%s", c.out);
	/* the occlusion ends: the difference stays, said as ended */
	RUN(&c, 0, AS("tester", "fault", "occlusion", "100%"));
	RUN(&c, 0, AS("clinician", "report"));
	cr_assert(strstr(c.out, "(50.0%) did not reach the patient (the occlusion has ended)"),
	          "%s", c.out);
	/* the pump's own status to a patient carries none of it */
	RUN(&c, 0, AS("patient", "status", "--json"));
	cr_assert_null(strstr(c.out, "reached"), "%s", c.out);
	/* a clinician's (or tester's) status shows the pump's totals */
	RUN(&c, 0, AS("clinician", "status", "--json"));
	json_t *st = prog_json(&c);
	d = json_object_get(st, "delivery");
	cr_assert(json_is_object(d), "%s", c.out);
	cr_assert_eq(jint(d, "delivered_ng", NULL), 6000000);
	cr_assert_eq(jint(d, "reached_ng", NULL), 4500000);
	cr_assert_eq(jint(d, "reach_pct", NULL), 100);
	json_decref(st);
	RUN(&c, 0, AS("tester", "fault", "occlusion", "25%"));
	RUN(&c, 0, AS("tester", "status"));
	cr_assert(strstr(c.out, "delivered  6 mg since the pump's start (its count), reached "
	                        "the patient 4.5 mg; OCCLUSION: 25% reaches the patient now\n"),
	          "%s", c.out);
	/* --id: STATUS alone, sent as given (no HELLO before it) */
	RUN(&c, 0, AS("tester", "--id", "99999999999999999", "status", "--json"));
	cr_assert_null(strstr(c.out, "\"delivery\""), "%s", c.out);
}

/* a staged program put in force (CONFIRM: "confirm stage N: in force") is
 * a visit: the counts start again from it, and the basal is charted at the
 * new rate from it on */
Test(ptmctl_report, a_confirmed_program_starts_the_visit)
{
	static struct prog c;
	char rx[] = "/tmp/ptm-report-rx-XXXXXX";
	int fd = mkstemp(rx);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "drug = morphine\nconcentration = 10 mg/mL\ncapacity = 20 mL\n"
	           "mode = continuous\nrate = 3.3 mg/day\nbolus_enabled = off\nlow_threshold = 2 mL\nsilence = 1 h\n");
	fclose(f);
	prog_run(&c, F.ptmctl, AS("patient", "bolus"), NULL);
	RUN(&c, 0, AS("tester", "clock", "advance", "2h"));
	/* a file's error names the command typed, not 'program' */
	RUN(&c, 2, AS("clinician", "stage", "/nonexistent/new.rx"));
	cr_assert(strstr(c.err, "ptmctl stage: /nonexistent/new.rx: "), "%s", c.err);
	RUN(&c, 0, AS("clinician", "--json", "stage", rx));
	unlink(rx);
	json_t *s = prog_json(&c);
	json_int_t id = jint(s, "stage", "stage_id");
	json_decref(s);
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	RUN(&c, 0, AS("clinician", "confirm", ids));
	RUN(&c, 0, AS("tester", "clock", "advance", "1h"));
	RUN(&c, 0, AS("clinician", "report", "--format", "json"));
	json_t *r = prog_json(&c);
	cr_assert_str_eq(json_string_value(json_object_get(r, "since_what")), "program",
	                 "%s", c.out);
	cr_assert_eq(jint(r, "counts", "granted"), 0, "the bolus was before the visit");
	json_t *dl = json_object_get(r, "delivery");
	cr_assert_eq(json_integer_value(json_object_get(dl, "basal_from_ms")),
	             jint(r, "since_ms", NULL), "the basal at 3.3 mg/day from the confirm on");
	json_decref(r);
	/* the printable page: no empty chart of requests, said in words */
	RUN(&c, 0, AS("clinician", "report", "--format", "html"));
	cr_assert(strstr(c.out, "<p>No bolus request in this period.</p>"), "%s", c.out);
	cr_assert_null(strstr(c.out, "bolus requests per day by outcome"));
}

/* The log's kinds are the pump's (PROTOCOL.md 8.15): a handshake refused
 * for a remote's clock is written "NAME: handshake refused: ...", which
 * the words alone (an older pump's text) read as "other"; typed, it is a
 * security event, and --kind finds it there and only there. */
/* verifies: SR-AUDIT-003 */
Test(ptmctl_report, a_refused_handshake_is_a_security_event_by_the_pumps_kind)
{
	static struct prog c;
	uint8_t tai[12];
	cr_assert_eq(tai64n_from_unix(tai, time(NULL) + 3600, 0), 0);
	cr_assert_null(e2e_session_open_tai(F.pump, "patient", tai), "an hour ahead: refused");
	RUN(&c, 0, AS("clinician", "log", "--kind", "security", "--format", "json"));
	json_t *l = prog_json(&c);
	json_t *evs = json_object_get(l, "events");
	json_t *hit = NULL;
	for (size_t i = 0; i < json_array_size(evs); i++) {
		json_t *e = json_array_get(evs, i);
		const char *t = json_string_value(json_object_get(json_object_get(e, "data"), "text"));
		if (t && strstr(t, "patient: handshake refused: "))
			hit = e;
	}
	cr_assert_not_null(hit, "%s", c.out);
	cr_assert_str_eq(json_string_value(json_object_get(hit, "kind")), "security");
	cr_assert(json_is_true(json_object_get(hit, "typed")));
	cr_assert_str_eq(json_string_value(json_object_get(hit, "pump_kind")), "handshake");
	cr_assert_str_eq(json_string_value(json_object_get(hit, "role")), "pump");
	cr_assert(json_is_integer(json_object_get(hit, "wall_ms")));
	json_decref(l);
	/* and not among the others */
	RUN(&c, 0, AS("clinician", "log", "--kind", "other", "--format", "csv"));
	cr_assert_null(strstr(c.out, "handshake refused"), "%s", c.out);
	/* the plain text listing says the same */
	RUN(&c, 0, AS("clinician", "log", "--kind", "security"));
	cr_assert(strstr(c.out, "security  pump      pump: patient: handshake refused: "),
	          "%s", c.out);
}
