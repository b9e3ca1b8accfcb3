/*
 * tests/test_pumpd_zone.c — a prescription's time zone in a real pumpd:
 * init --rx with a zone, `pumpd status` shows it and its offset, and it
 * is kept across a restart (the state's version 4).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/rxflex.h"

static char out[8192];

static const char rx_paris[] = RXFLEX_NIGHT_STEP "zone = Europe/Paris\n";

static void status_has(e2e_pump *p, const char *want)
{
	const char *argv[] = { "status", e2e_state_dir(p), NULL };
	cr_assert_eq(e2e_cli(argv, out, sizeof out), 0, "%s", out);
	cr_assert_not_null(strstr(out, want), "want '%s' in:\n%s", want, out);
}

/* verifies: SR-RX-007 */
Test(pumpd_zone, status_shows_the_zone_and_a_restart_keeps_it)
{
	/* 2027-10-31T00:30Z: summer time, half an hour before it ends */
	static const char *const init[] = { "--start", "2027-10-31T00:30:00Z",
	                                    NULL };
	e2e_pump *p = e2e_start_full(rx_paris, 0, init, NULL);
	cr_assert_not_null(p);
	status_has(p, "\nzone Europe/Paris\nutc_offset +02:00\n");
	cr_assert_eq(e2e_restart(p), 0);
	status_has(p, "\nzone Europe/Paris\nutc_offset +02:00\n");
	e2e_free(p);
}

/* verifies: SR-RX-007 */
Test(pumpd_zone, no_zone_is_none)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert_not_null(p);
	status_has(p, "\nzone none\nutc_offset +00:00\n");
	e2e_free(p);
}

/* verifies: SR-RX-007 */
Test(pumpd_zone, init_refuses_an_unknown_zone)
{
	char dir[] = "/tmp/ptm-zone-XXXXXX", state[64], rx[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/pump", dir);
	snprintf(rx, sizeof rx, "%s/rx.txt", dir);
	FILE *f = fopen(rx, "w");
	cr_assert_not_null(f);
	fprintf(f, "%.*szone = Europe/Atlantis\n",
	        (int)(sizeof rx_paris - 1 - strlen("zone = Europe/Paris\n")),
	        rx_paris);
	fclose(f);
	const char *argv[] = { "init", state, "--rx", rx, NULL };
	cr_assert_neq(e2e_cli(argv, out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "rx.txt:10: zone: 'Europe/Atlantis' is not "
	                          "in the time zone database"), "%s", out);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A continuous prescription over the wire (its steps, none, are UTC). */
static void wire_rx(struct msg_request *q, uint8_t type)
{
	*q = (struct msg_request){ .type = type };
	struct msg_rx *rx = &q->u.rx;
	strcpy(rx->drug, "baclofen");
	rx->concentration_ng_ml = 2000000;
	rx->capacity_nl = 20000000;
	rx->mode = MSG_MODE_CONTINUOUS;
	rx->rate_ng_day = 100000;
	rx->low_threshold_nl = 2000000;
	rx->silence_ms = 3600000;
}

/* The pump's Paris prescription is gone, and one audit row starting with
 * head says the zone was dropped. */
static void zone_dropped(e2e_pump *p, const char *head)
{
	status_has(p, "\nzone none\nutc_offset +00:00\n");
	struct msg_request q = { .type = MSG_LOG };
	struct msg_reply r;
	q.u.log.max = 20;
	cr_assert_eq(e2e_call(p, "clinician", &q, &r), 0);
	int seen = 0;
	for (int i = 0; i < r.u.log.n; i++)
		seen += strstr(r.u.log.e[i].text, head) &&
		        strstr(r.u.log.e[i].text, "; steps in UTC, zone Europe/Paris "
		                                  "dropped") != NULL;
	cr_assert_eq(seen, 1, "an audit row '%s...' says the zone was dropped",
	             head);
}

static e2e_pump *start_paris(void)
{
	static const char *const init[] = { "--start", "2027-10-31T00:30:00Z",
	                                    NULL };
	e2e_pump *p = e2e_start_full(rx_paris, 0, init, NULL);
	cr_assert_not_null(p);
	return p;
}

/* q sent by the clinician's key, answered OK: the reply. */
static struct msg_reply clinician_ok(e2e_pump *p, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "clinician", &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK, "%s", r.detail);
	return r;
}

/* PROGRAM over the wire has UTC steps: the prescription it puts in force
 * has no zone, and the audit row says the zone was dropped. */
/* verifies: SR-RX-007 */
Test(pumpd_zone, a_wire_program_drops_the_zone_and_says_so)
{
	e2e_pump *p = start_paris();
	struct msg_request q;
	wire_rx(&q, MSG_PROGRAM);
	clinician_ok(p, q);
	zone_dropped(p, "program baclofen: done");
	e2e_free(p);
}

/* A staged session's prescription came over the wire too: its CONFIRM
 * drops the zone and says so, as PROGRAM does; the STAGE alone keeps it. */
/* verifies: SR-RX-007 */
Test(pumpd_zone, a_confirmed_stage_drops_the_zone_and_says_so)
{
	e2e_pump *p = start_paris();
	struct msg_request q;
	wire_rx(&q, MSG_STAGE);
	struct msg_reply r = clinician_ok(p, q);
	status_has(p, "\nzone Europe/Paris\n");
	q = (struct msg_request){ .type = MSG_STAGE_CONFIRM };
	q.u.stage_id = r.u.stage.stage_id;
	clinician_ok(p, q);
	zone_dropped(p, "confirm stage ");
	e2e_free(p);
}

/* `pumpd rx` puts a zone in force on a running pump from a file, and
 * prints it back with the prescription, running or stopped: the printed
 * file reads back as the same schedule in the same zone. */
/* verifies: SR-RX-007 */
Test(pumpd_zone, pumpd_rx_programs_and_prints_the_zone)
{
	static const char *const init[] = { "--start", "2027-06-01T12:00:00Z",
	                                    NULL };
	static const char rx0[] =
		"drug = baclofen\n"
		"concentration = 2 mg/mL\n"
		"capacity = 20 mL\n"
		"mode = continuous\n"
		"rate = 100 mcg/day\n"
		"bolus_enabled = off\n"
		"low_threshold = 2 mL\n";
	e2e_pump *p = e2e_start_full(rx0, 0, init, NULL);
	cr_assert_not_null(p);
	status_has(p, "\nzone none\n");
	char path[512];
	cr_assert_eq(e2e_put_file(p, "paris.rx", rx_paris, path, sizeof path), 0);
	const char *prog[] = { "rx", e2e_state_dir(p), path, NULL };
	cr_assert_eq(e2e_cli(prog, out, sizeof out), 0, "%s", out);
	status_has(p, "\nzone Europe/Paris\nutc_offset +02:00\n");
	const char *show[] = { "rx", e2e_state_dir(p), NULL };
	cr_assert_eq(e2e_cli(show, out, sizeof out), 0, "%s", out);
	cr_assert_not_null(strstr(out, "step = 01:00 2.4 mg/day\n"), "%s", out);
	cr_assert_not_null(strstr(out, "\nzone = Europe/Paris\n"), "%s", out);
	/* stopped: from the stored state */
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert_eq(e2e_cli(show, out, sizeof out), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\nzone = Europe/Paris\n"), "%s", out);
	e2e_free(p);
}
