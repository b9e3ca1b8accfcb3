/* tests/test_pumpd_druglib.c — the drug library beyond PROGRAM and STAGE
 * (docs/PROTOCOL.md 8.10, pumpd(8)): a REFILL's new concentration on the
 * real pumpd, `pumpd init --rx` and `pumpd rx` (with no pumpd running, and
 * sent to a running one): refused past a hard limit, past a soft one only
 * under an override that the audit log keeps, accepted in range.  The
 * shipped library: morphine daily soft 10 mg, hard 20 mg. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/msg.h"
#include "pumpd/store.h"
#include "tests/lib/e2e.h"
#include "tests/lib/tmpdir.h"

static char dir[TMPDIR_MAX], state[128], lib[128], out[4096];

static void setup(void)
{
	tmpdir_make(dir, "ptm-pumpd-druglib");
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(lib, sizeof lib, "%s/lib.txt", dir);
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(pumpd_druglib, .init = setup, .fini = teardown);

/* DIR/name holds text; its path in path (128 bytes). */
static void put(const char *name, const char *text, char *path)
{
	snprintf(path, 128, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

/* The default prescription at a daily rate of `rate`, no ceiling. */
static void rx_file(const char *name, const char *rate, char *path)
{
	char t[512];
	snprintf(t, sizeof t, "drug = morphine\nconcentration = 10 mg/mL\n"
	         "capacity = 20 mL\nmode = continuous\nrate = %s\n"
	         "bolus_enabled = on\nbolus_dose = 0.5 mg\n"
	         "bolus_duration = 10 min\nlockout = 2 h\nmax_per_24h = 6\n"
	         "low_threshold = 2 mL\n", rate);
	put(name, t, path);
}

/* pumpd run with a library of morphine alone: concentration and daily
 * limits as given (mg/mL, mg), the bolus soft and hard 1 mg. */
static e2e_pump *start_with_library(const char *conc, const char *daily)
{
	char t[256];
	snprintf(t, sizeof t, "[morphine]\nsource = a test's\nconcentration = %s\n"
	         "daily = %s\nbolus = soft 1 mg, hard 1 mg\n", conc, daily);
	put("lib.txt", t, lib);
	const char *extra[] = { "--drug-library", lib, NULL };
	e2e_pump *p = e2e_start_args(NULL, 0, extra);
	cr_assert(p);
	return p;
}

static int run(const char *const *argv)
{
	return e2e_cli(argv, out, sizeof out);
}

/* 1 when an audit row of the state directory sdir contains needle (no
 * pumpd running). */
static int audit_has(const char *sdir, const char *needle)
{
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/state.db", sdir);
	struct store *st = NULL;
	cr_assert_eq(store_open(path, &st, err, sizeof err), 0, "%s", err);
	struct store_log_row *rows = calloc(64, sizeof *rows);
	cr_assert(rows);
	int n = store_audit_read(st, 0, 64, rows), found = 0;
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++)
		found |= strstr(rows[i].text, needle) != NULL;
	free(rows);
	store_close(st);
	return found;
}

/* verifies: SR-RX-006 */
Test(pumpd_druglib, init_rx_checked_against_the_library, .timeout = 60)
{
	char hard[128], soft[128], ok[128];
	rx_file("hard.rx", "21 mg/day", hard);
	rx_file("soft.rx", "11 mg/day", soft);
	rx_file("ok.rx", "3 mg/day", ok);
	/* past a hard limit: refused, nothing made, override or not */
	const char *a[] = { "init", state, "--rx", hard, "--override", "why", NULL };
	cr_assert_eq(run(a), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: hard limit 20000000 ng"), "%s", out);
	cr_assert_neq(access(state, F_OK), 0, "nothing created");
	/* past a soft limit: refused without an override */
	const char *b[] = { "init", state, "--rx", soft, NULL };
	cr_assert_eq(run(b), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: soft limit 10000000 ng"), "%s", out);
	cr_assert(strstr(out, "--override REASON"), "%s", out);
	cr_assert_neq(access(state, F_OK), 0, "nothing created");
	/* ... and with one: made, the reason in the audit log */
	const char *c[] = { "init", state, "--rx", soft, "--override",
	                    "titration agreed", NULL };
	cr_assert_eq(run(c), 0, "%s", out);
	cr_assert(audit_has(state, "pump initialised"));
	cr_assert(audit_has(state, "override: titration agreed (daily_ng: soft "
	                    "limit 10000000 ng)"));
	/* another library: what the shipped one passes is refused */
	put("lib.txt", "[morphine]\nsource = a test's\n"
	    "concentration = soft 25 mg/mL, hard 25 mg/mL\n"
	    "daily = soft 1 mg, hard 2 mg\nbolus = soft 1 mg, hard 1 mg\n", lib);
	char s2[160];
	snprintf(s2, sizeof s2, "%s/two", dir);
	const char *d[] = { "init", s2, "--rx", ok, "--drug-library", lib, NULL };
	cr_assert_eq(run(d), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: hard limit 2000000 ng"), "%s", out);
	cr_assert_neq(access(s2, F_OK), 0, "nothing created");
	/* none: no limits */
	const char *e[] = { "init", s2, "--rx", hard, "--drug-library", "none", NULL };
	cr_assert_eq(run(e), 0, "%s", out);
	/* in range: made, no override in its row */
	char s3[160];
	snprintf(s3, sizeof s3, "%s/three", dir);
	const char *f[] = { "init", s3, "--rx", ok, NULL };
	cr_assert_eq(run(f), 0, "%s", out);
	cr_assert(audit_has(s3, "pump initialised"));
	cr_assert(!audit_has(s3, "override"));
	/* a library that does not load: a clear error, nothing made */
	char s4[160];
	snprintf(s4, sizeof s4, "%s/four", dir);
	const char *g[] = { "init", s4, "--drug-library", "/nonexistent/lib", NULL };
	cr_assert_eq(run(g), 2, "%s", out);
	cr_assert(strstr(out, "drug library /nonexistent/lib"), "%s", out);
	cr_assert_neq(access(s4, F_OK), 0, "nothing created");
}

/* verifies: SR-RX-006 */
Test(pumpd_druglib, rx_file_checked_against_the_library, .timeout = 60)
{
	char hard[128], soft[128], ok[128];
	rx_file("hard.rx", "21 mg/day", hard);
	rx_file("soft.rx", "11 mg/day", soft);
	rx_file("ok.rx", "4 mg/day", ok);
	const char *init[] = { "init", state, NULL };
	cr_assert_eq(run(init), 0, "%s", out);
	const char *show[] = { "rx", state, NULL };
	const char *a[] = { "rx", state, hard, "--override", "why", NULL };
	cr_assert_eq(run(a), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: hard limit 20000000 ng"), "%s", out);
	const char *b[] = { "rx", state, soft, NULL };
	cr_assert_eq(run(b), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: soft limit 10000000 ng"), "%s", out);
	cr_assert_eq(run(show), 0);
	cr_assert(strstr(out, "rate = 3 mg/day\n"), "unchanged: %s", out);
	const char *c[] = { "rx", state, soft, "--override", "titration agreed",
	                    NULL };
	cr_assert_eq(run(c), 0, "%s", out);
	cr_assert_eq(run(show), 0);
	cr_assert(strstr(out, "rate = 11 mg/day\n"), "%s", out);
	cr_assert(audit_has(state, "override: titration agreed (daily_ng: soft "
	                    "limit 10000000 ng)"));
	const char *d[] = { "rx", state, ok, NULL };
	cr_assert_eq(run(d), 0, "%s", out);
	cr_assert_eq(run(show), 0);
	cr_assert(strstr(out, "rate = 4 mg/day\n"), "%s", out);
	/* --drug-library none: no limits on this command */
	const char *e[] = { "rx", state, hard, "--drug-library", "none", NULL };
	cr_assert_eq(run(e), 0, "%s", out);
	/* the options need a file; a bad reason is a usage error */
	const char *f[] = { "rx", state, "--override", "why", NULL };
	cr_assert_eq(run(f), 2, "%s", out);
	const char *g[] = { "rx", state, soft, "--override", "", NULL };
	cr_assert_eq(run(g), 2, "%s", out);
}

/* A running pumpd checks a file sent to it against its own library. */
/* verifies: SR-RX-006 */
Test(pumpd_druglib, rx_file_checked_by_the_running_pumpd, .timeout = 60)
{
	e2e_pump *p = start_with_library("soft 25 mg/mL, hard 25 mg/mL",
	                                 "soft 2 mg, hard 5 mg");
	char hard[128], soft[128];
	rx_file("hard.rx", "6 mg/day", hard);
	rx_file("soft.rx", "4 mg/day", soft);
	/* both pass the shipped library this command checks: pumpd refuses */
	const char *a[] = { "rx", e2e_state_dir(p), hard, "--override", "why", NULL };
	cr_assert_eq(run(a), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: hard limit 5000000 ng (this pumpd's drug "
	                 "library"), "%s", out);
	const char *b[] = { "rx", e2e_state_dir(p), soft, NULL };
	cr_assert_eq(run(b), 2, "%s", out);
	cr_assert(strstr(out, "daily_ng: soft limit 2000000 ng"), "%s", out);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.state.basal_ng_day, 3000000u, "unchanged");
	const char *c[] = { "rx", e2e_state_dir(p), soft, "--override",
	                    "titration agreed", NULL };
	cr_assert_eq(run(c), 0, "%s", out);
	cr_assert_eq(e2e_log_wait(p, "daily_ng: soft limit 2000000 ng passed under "
	                          "an override: titration agreed", e2e_ms(5000)), 0);
	q.id = 0;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.state.basal_ng_day, 4000000u);
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert(audit_has(e2e_state_dir(p), "override: titration agreed "
	                    "(daily_ng: soft limit 2000000 ng)"));
	e2e_free(p);
}

static struct msg_reply req(e2e_session *s, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, &q, &r), 0, "no reply to %s",
	             msg_type_name(q.type));
	return r;
}

static struct msg_request refill(uint32_t conc, const char *override)
{
	struct msg_request q = { .type = MSG_REFILL };
	q.u.refill.volume_nl = 20000000;
	q.u.refill.concentration_ng_ml = conc;
	q.u.refill.has_withdrawn = 1;
	q.u.refill.withdrawn_nl = 20000000;
	snprintf(q.u.refill.override, sizeof q.u.refill.override, "%s", override);
	return q;
}

/* verifies: SR-RX-006 */
Test(pumpd_druglib, refill_new_concentration_checked, .timeout = 60)
{
	e2e_pump *p = start_with_library("soft 20 mg/mL, hard 30 mg/mL",
	                                 "soft 10 mg, hard 20 mg");
	e2e_session *cl = e2e_session_open(p, "clinician");
	cr_assert(cl);
	struct msg_request h = { .type = MSG_HELLO };
	h.u.accept = MSG_ACCEPT_ED3;
	struct msg_reply r = req(cl, h);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert(r.u.hello.features & MSG_FEAT_REFILL_LIB);
	/* a drop drawn first: the reservoir is not full, so a refused refill
	 * that changed it would show */
	struct msg_request ck = { .type = MSG_CLOCK };
	ck.u.clock.op = MSG_CLOCK_ADVANCE;
	ck.u.clock.arg = 24 * 3600000ull;
	struct msg_reply cr;
	cr_assert_eq(e2e_call(p, "tester", &ck, &cr), 0);
	cr_assert_eq(cr.err, MSG_OK);
	uint32_t before = cr.state.reservoir_nl;
	cr_assert_lt(before, 20000000u);
	/* past the hard limit: refused, override or not */
	r = req(cl, refill(30000001, "why"));
	cr_assert_eq(r.err, MSG_E_HARD_LIMIT, "%s", msg_err_name(r.err));
	cr_assert_str_eq(r.detail, "concentration_ng_ml: hard limit 30000000 ng/mL");
	cr_assert_eq(r.state.reservoir_nl, before, "nothing changed");
	/* past the soft limit: refused without an override */
	r = req(cl, refill(25000000, ""));
	cr_assert_eq(r.err, MSG_E_SOFT_LIMIT, "%s", msg_err_name(r.err));
	cr_assert_str_eq(r.detail, "concentration_ng_ml: soft limit 20000000 ng/mL");
	cr_assert_eq(r.state.reservoir_nl, before, "nothing changed");
	/* with an override: carried out, the reason logged and audited */
	r = req(cl, refill(25000000, "new vial strength"));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.state.reservoir_nl, 20000000u);
	cr_assert_eq(r.u.refill.flags & MSG_RF_BRIDGE_DUE, MSG_RF_BRIDGE_DUE);
	cr_assert_eq(e2e_log_wait(p, "refill: concentration_ng_ml: soft limit "
	                          "20000000 ng/mL passed under an override: new "
	                          "vial strength", e2e_ms(5000)), 0);
	/* the same concentration again is no new one: nothing to override */
	r = req(cl, refill(25000000, ""));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	/* in range: carried out */
	r = req(cl, refill(15000000, ""));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	/* a concentration out of the pump's range is named as such */
	r = req(cl, refill(0, ""));
	cr_assert_eq(r.err, MSG_E_RANGE, "%s", msg_err_name(r.err));
	cr_assert_str_eq(r.detail, "concentration_ng_ml");
	e2e_session_close(cl);
	/* a version-1 remote reads a limit as range */
	struct msg_request q = refill(40000000, "");
	cr_assert_eq(e2e_call(p, "clinician", &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "concentration_ng_ml: hard limit 30000000 ng/mL");
	/* the override's reason whole, in a row of its own after the refill's */
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert(audit_has(e2e_state_dir(p), "refill 20 mL at 25 mg/mL: withdrawn"));
	cr_assert(audit_has(e2e_state_dir(p), "override: new vial strength "
	                    "(concentration_ng_ml: soft limit 20000000 ng/mL)"));
	e2e_free(p);
}
