/*
 * tests/test_druglib.c — the drug library: its parser (errors at line and
 * column), the shipped file, and the check PROGRAM and STAGE make (soft and
 * hard limits, the override), with exact numbers (docs/PROTOCOL.md 8.10).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/druglib.h"

static const char lib_text[] =
	"# a comment\n"
	"[Morphine]\n"
	"source = Infumorph label\n"
	"concentration = soft 25 mg/mL, hard 25 mg/mL\n"
	"daily = soft 10 mg, hard 20 mg\n"
	"bolus = soft 1 mg, hard 1 mg\n"
	"\n"
	"  [ziconotide]  \n"
	"source = Prialt label\n"
	"concentration = soft 100 mcg/mL, hard 100 mcg/mL\n"
	"daily = soft 2.4 mcg, hard 19.2 mcg\n"
	"bolus = soft 0 mcg, hard 0 mcg\n";

static struct druglib *parse_ok(const char *t)
{
	struct druglib *lib = NULL;
	char err[DRUGLIB_ERR_MAX] = "";
	cr_assert_eq(druglib_parse(t, strlen(t), &lib, err, sizeof err), 0, "%s", err);
	return lib;
}

static void parse_bad(const char *t, const char *want)
{
	struct druglib *lib = NULL;
	char err[DRUGLIB_ERR_MAX] = "";
	cr_assert_lt(druglib_parse(t, strlen(t), &lib, err, sizeof err), 0, "%s", t);
	cr_assert_null(lib);
	cr_assert_str_eq(err, want);
}

/* verifies: SR-RX-006 */
Test(druglib, parses_limits_in_the_pumps_units)
{
	struct druglib *lib = parse_ok(lib_text);
	cr_assert_eq(lib->n, 2);
	const struct druglib_entry *m = druglib_find(lib, "MORPHINE");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->name, "Morphine");
	cr_assert_str_eq(m->source, "Infumorph label");
	cr_assert_eq(m->soft[DRUGLIB_CONC], 25000000);
	cr_assert_eq(m->soft[DRUGLIB_DAILY], 10000000);
	cr_assert_eq(m->hard[DRUGLIB_DAILY], 20000000);
	cr_assert_eq(m->hard[DRUGLIB_BOLUS], 1000000);
	const struct druglib_entry *z = druglib_find(lib, "ziconotide");
	cr_assert_eq(z->soft[DRUGLIB_DAILY], 2400);
	cr_assert_eq(z->hard[DRUGLIB_DAILY], 19200);
	cr_assert_eq(z->hard[DRUGLIB_BOLUS], 0);
	cr_assert_null(druglib_find(lib, "hydromorphone"));
	druglib_free(lib);
}

/* verifies: SR-RX-006 */
Test(druglib, errors_name_line_and_column)
{
	parse_bad("source = x\n", "1:1: expected [drug name] before settings");
	parse_bad("[m]\nsource = s\nconcentration = soft 1 mg/mL, hard 1 mg/mL\n"
	          "daily = soft 2 mg, hard 1 mg\nbolus = soft 1 mg, hard 1 mg\n",
	          "4:25: the hard limit is below the soft limit");
	parse_bad("[m]\nsource = s\ndaily = soft 2 mg hard 3 mg\n",
	          "3:14: expected ',' between the soft and the hard limit");
	parse_bad("[m]\nsource = s\ndaily = soft 2 mL, hard 3 mg\n",
	          "3:14: 2 mL: has an unknown unit (mg, mcg, ng)");
	parse_bad("[m]\nsource = s\n  rate = soft 1 mg, hard 2 mg\n",
	          "3:3: unknown key 'rate' (source, concentration, daily, bolus)");
	parse_bad("[m]\nsource = s\ndaily = soft 1 mg, hard 1 mg\n",
	          "1:1: [m] has no 'concentration' line");
	parse_bad("[m]\nsource = s\nconcentration = soft 0 mg/mL, hard 1 mg/mL\n",
	          "3:22: 0 mg/mL: a limit must be above 0");
	parse_bad("[m]\nsource = a\tb\x01\n", "2:13: a character that is not printable ASCII");
	parse_bad("[m\n", "1:3: expected [drug name]");
	parse_bad("", "1:1: no drug in the library");
	char twice[512];
	snprintf(twice, sizeof twice, "%s[MORPHINE]\n", lib_text);
	parse_bad(twice, "13:2: [MORPHINE] twice");
}

/* verifies: SR-RX-006 */
Test(druglib, the_shipped_library_parses_with_its_sources)
{
	struct druglib *lib = NULL;
	char err[DRUGLIB_ERR_MAX + 256] = "";
	cr_assert_eq(druglib_load("data/druglib.txt", &lib, err, sizeof err), 0, "%s", err);
	cr_assert_geq(lib->n, 3);
	for (unsigned i = 0; i < lib->n; i++)
		cr_assert(strstr(lib->e[i].source, "label"), "%s", lib->e[i].name);
	const struct druglib_entry *b = druglib_find(lib, "baclofen");
	cr_assert_eq(b->soft[DRUGLIB_DAILY], 800000);
	cr_assert_eq(b->hard[DRUGLIB_DAILY], 2003000);
	cr_assert_eq(b->hard[DRUGLIB_CONC], 2000000);
	druglib_free(lib);
	cr_assert_lt(druglib_load("data/no-such-library", &lib, err, sizeof err), 0);
	cr_assert_str_eq(err, "data/no-such-library: No such file or directory");
}

static pump_rx morphine(uint32_t rate, uint32_t dose)
{
	pump_rx rx;
	pump_rx_default(&rx);   /* morphine 10 mg/mL, bolus enabled */
	rx.rate_ng_day = rate;
	rx.bolus_dose_ng = dose;
	return rx;
}

/* verifies: SR-RX-006 */
Test(druglib, soft_needs_an_override_hard_is_refused)
{
	struct druglib *lib = parse_ok(lib_text);
	struct druglib_verdict v;
	pump_rx rx = morphine(10000000, 1000000);   /* exactly at both: passes */
	cr_assert_eq(druglib_check(lib, &rx, "", &v), 0);
	cr_assert(v.in_library);
	cr_assert(!v.overridden);
	rx = morphine(10000001, 500000);            /* 1 ng past the soft */
	cr_assert_eq(druglib_check(lib, &rx, "", &v), DRUGLIB_SOFT);
	cr_assert_str_eq(v.detail, "daily_ng: soft limit 10000000 ng");
	cr_assert_eq(druglib_check(lib, &rx, NULL, &v), DRUGLIB_SOFT);
	cr_assert_eq(druglib_check(lib, &rx, "agreed with the pain team", &v), 0);
	cr_assert(v.overridden);
	cr_assert_str_eq(v.detail, "daily_ng: soft limit 10000000 ng");
	rx = morphine(20000001, 500000);            /* past the hard: always */
	cr_assert_eq(druglib_check(lib, &rx, "agreed", &v), DRUGLIB_HARD);
	cr_assert_str_eq(v.detail, "daily_ng: hard limit 20000000 ng");
	/* a hard limit later in the order wins over an earlier soft one */
	rx = morphine(15000000, 1000001);
	cr_assert_eq(druglib_check(lib, &rx, "agreed", &v), DRUGLIB_HARD);
	cr_assert_str_eq(v.detail, "bolus_dose_ng: hard limit 1000000 ng");
	/* the bolus only counts when enabled */
	rx.bolus_enabled = false;
	cr_assert_eq(druglib_check(lib, &rx, "agreed", &v), 0);
	cr_assert(v.overridden);
	/* concentration */
	rx = morphine(3000000, 500000);
	rx.concentration_ng_ml = 25000001;
	cr_assert_eq(druglib_check(lib, &rx, "", &v), DRUGLIB_HARD);
	cr_assert_str_eq(v.detail, "concentration_ng_ml: hard limit 25000000 ng/mL");
	/* a flexible schedule: its day's drug (2 h of 4.8 mg/day in 2.4 mg/day
	 * is 2.6 mg), against ziconotide's micrograms */
	pump_rx z;
	pump_rx_default(&z);
	strcpy(z.drug, "Ziconotide");
	z.concentration_ng_ml = 100000;
	z.bolus_enabled = false;
	z.mode = PUMP_MODE_FLEXIBLE;
	z.n_steps = 2;
	z.steps[0] = (pump_step){ 0, 2400 };
	z.steps[1] = (pump_step){ 22 * 3600000u, 4800 };
	cr_assert_eq(druglib_check(lib, &z, "", &v), DRUGLIB_SOFT);
	cr_assert_str_eq(v.detail, "daily_ng: soft limit 2400 ng");
	z.steps[1].rate_ng_day = 2400;
	cr_assert_eq(druglib_check(lib, &z, "", &v), 0);
	z.bolus_enabled = true;                     /* no patient bolus at all */
	z.bolus_dose_ng = 1;
	cr_assert_eq(druglib_check(lib, &z, "x", &v), DRUGLIB_HARD);
	cr_assert_str_eq(v.detail, "bolus_dose_ng: hard limit 0 ng");
	/* a drug not in the library, or no library: nothing checked */
	strcpy(rx.drug, "hydromorphone");
	rx.rate_ng_day = 4000000000u;
	cr_assert_eq(druglib_check(lib, &rx, "", &v), 0);
	cr_assert(!v.in_library);
	cr_assert_eq(druglib_check(NULL, &rx, "", &v), 0);
	druglib_free(lib);
}
