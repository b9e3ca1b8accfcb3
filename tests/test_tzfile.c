/*
 * tests/test_tzfile.c — a time zone from the tz database (pumpd/tzfile.c):
 * the POSIX rule parser and its errors, the TZif footer, the zone name, and
 * a prescription file's zone end to end (pumpd/rxload.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pumpd/rxload.h"
#include "pumpd/tzfile.h"
#include "tests/lib/rxflex.h"

#define HOUR 3600000
#define MIN  60000

static pump_zone rule_ok(const char *s)
{
	pump_zone z;
	char err[256] = "";
	cr_assert_eq(tzfile_parse_rule(s, &z, err, sizeof err), 0, "%s: %s", s,
	             err);
	return z;
}

/* verifies: SR-RX-007 */
Test(tzfile, rules_as_the_footers_spell_them)
{
	pump_zone z = rule_ok("CET-1CEST,M3.5.0,M10.5.0/3");
	cr_assert_eq(z.std_ms, 1 * HOUR);
	cr_assert(z.dst);
	cr_assert_eq(z.dst_ms, 2 * HOUR);
	cr_assert_eq(z.start.month, 3u);
	cr_assert_eq(z.start.week, 5u);
	cr_assert_eq(z.start.wday, 0u);
	cr_assert_eq(z.start.time_ms, 2 * HOUR);      /* the default 02:00 */
	cr_assert_eq(z.end.month, 10u);
	cr_assert_eq(z.end.time_ms, 3 * HOUR);
	z = rule_ok("EST5EDT,M3.2.0,M11.1.0");
	cr_assert_eq(z.std_ms, -5 * HOUR);
	cr_assert_eq(z.dst_ms, -4 * HOUR);
	z = rule_ok("JST-9");
	cr_assert_eq(z.std_ms, 9 * HOUR);
	cr_assert(!z.dst);
	z = rule_ok("<-03>3");                          /* America/Sao_Paulo */
	cr_assert_eq(z.std_ms, -3 * HOUR);
	z = rule_ok("<+0545>-5:45");                    /* Asia/Kathmandu */
	cr_assert_eq(z.std_ms, 5 * HOUR + 45 * MIN);
	z = rule_ok("IST-1GMT0,M10.5.0,M3.5.0/1");      /* Europe/Dublin */
	cr_assert_eq(z.std_ms, 1 * HOUR);
	cr_assert_eq(z.dst_ms, 0);
	z = rule_ok("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"); /* America/Nuuk */
	cr_assert_eq(z.start.time_ms, -1 * HOUR);
	z = rule_ok("IST-2IDT,M3.4.4/26,M10.5.0");      /* Asia/Jerusalem */
	cr_assert_eq(z.start.time_ms, 26 * HOUR);
	z = rule_ok("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
	cr_assert_eq(z.dst_ms - z.std_ms, 30 * MIN);
	cr_assert_str_eq(z.name, "");
}

/* verifies: SR-RX-007 */
Test(tzfile, rule_errors_say_what_is_wrong)
{
	static const struct { const char *rule, *why; } bad[] = {
		{ "", "empty (the zone has no rule for the future)" },
		{ "C-1", "a zone abbreviation needs 3 or more characters" },
		{ "<CET-1", "a <name> is not closed" },
		{ "CET", "a time needs 1 to 3 digits of hours" },
		{ "CET-25", "an offset is at most 24 hours" },
		{ "CET-1:5", "minutes and seconds need 2 digits" },
		{ "CET-1:60", "minutes and seconds are 00 to 59" },
		{ "CET-1CEST", "daylight saving needs its start and end rules (,Mm.w.d)" },
		{ "CET-1CEST,J60,J300", "only Mm.w.d rules are supported (not Julian days)" },
		{ "CET-1CEST,80,300", "only Mm.w.d rules are supported (not Julian days)" },
		{ "CET-1CEST,M3.5,M10.5.0", "a rule is Mm.w.d" },
		{ "CET-1CEST,M13.5.0,M10.5.0", "a rule's month is 1-12, week 1-5, day 0-6" },
		{ "CET-1CEST,M3.6.0,M10.5.0", "a rule's month is 1-12, week 1-5, day 0-6" },
		{ "CET-1CEST,M3.5.7,M10.5.0", "a rule's month is 1-12, week 1-5, day 0-6" },
		{ "CET-1CEST,M3.5.0/168,M10.5.0", "a rule's time is at most 167 hours" },
		{ "CET-1CEST,M3.5.0,M10.5.0x", "text after the end rule" },
		{ "CET-1CEST-4,M3.5.0,M10.5.0", "outside what the pump supports "
		  "(offsets below 24 h, daylight saving at most 2 h from standard "
		  "time, its start and end months at least 2 apart)" },
		{ "CET-1CEST,M3.5.0,M4.5.0", "outside what the pump supports "
		  "(offsets below 24 h, daylight saving at most 2 h from standard "
		  "time, its start and end months at least 2 apart)" },
		{ "CET-24", "outside what the pump supports "
		  "(offsets below 24 h, daylight saving at most 2 h from standard "
		  "time, its start and end months at least 2 apart)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pump_zone z;
		memset(&z, 0x5a, sizeof z);
		pump_zone before = z;
		char err[256], want[256];
		cr_assert_eq(tzfile_parse_rule(bad[i].rule, &z, err, sizeof err),
		             -EINVAL, "%s", bad[i].rule);
		snprintf(want, sizeof want, "rule '%s': %s", bad[i].rule, bad[i].why);
		cr_assert_str_eq(err, want);
		cr_assert_eq(memcmp(&z, &before, sizeof z), 0, "untouched");
	}
}

/* verifies: SR-RX-007 */
Test(tzfile, zones_from_the_system_database)
{
	pump_zone z;
	char err[256] = "";
	cr_assert_eq(tzfile_load(NULL, "Europe/Paris", &z, err, sizeof err), 0,
	             "%s", err);
	cr_assert_str_eq(z.name, "Europe/Paris");
	cr_assert_eq(z.std_ms, 1 * HOUR);
	cr_assert_eq(z.end.time_ms, 3 * HOUR);
	cr_assert_eq(pump_zone_validate(&z), 0);
	cr_assert_eq(tzfile_load(NULL, "America/New_York", &z, err, sizeof err), 0);
	cr_assert_eq(z.std_ms, -5 * HOUR);
	cr_assert_eq(tzfile_load(NULL, "Asia/Tokyo", &z, err, sizeof err), 0);
	cr_assert(!z.dst);
	cr_assert_eq(tzfile_load(NULL, "Europe/Pariss", &z, err, sizeof err),
	             -ENOENT);
	cr_assert(strstr(err, "'Europe/Pariss' is not in the time zone database "
	                 "(/usr/share/zoneinfo: ") == err, "%s", err);
	cr_assert_eq(tzfile_load(NULL, "../etc/passwd", &z, err, sizeof err),
	             -EINVAL);
	cr_assert(strstr(err, "is not a time zone name"), "%s", err);
	cr_assert_eq(tzfile_load(NULL, "Europe", &z, err, sizeof err), -EINVAL);
}

static char tmp[64];

static void put(const char *name, const void *b, size_t n)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
}

/* A TZif file: version v, no transitions, one type, `footer` (NULL: none). */
static size_t tzif(uint8_t *b, char v, const char *footer)
{
	size_t n = 0;
	for (int k = 0; k < (v == 0 ? 1 : 2); k++) {
		memset(b + n, 0, 44);
		memcpy(b + n, "TZif", 4);
		b[n + 4] = (uint8_t)v;
		b[n + 39] = 1;   /* typecnt */
		b[n + 43] = 4;   /* charcnt */
		n += 44;
		memset(b + n, 0, 6);
		n += 6;
		memcpy(b + n, "UTC", 4);
		n += 4;
	}
	if (footer) {
		n += (size_t)sprintf((char *)b + n, "\n%s\n", footer);
	}
	return n;
}

/* verifies: SR-RX-007 */
Test(tzfile, files_that_cannot_give_a_rule_are_refused)
{
	strcpy(tmp, "/tmp/ptm-tzfile-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	uint8_t b[512];
	put("Good", b, tzif(b, '2', "CET-1CEST,M3.5.0,M10.5.0/3"));
	put("V1", b, tzif(b, 0, NULL));
	put("NoFooter", b, tzif(b, '2', NULL));
	put("Empty", b, tzif(b, '2', ""));
	put("Julian", b, tzif(b, '3', "XXX3YYY,J60,J300"));
	size_t n = tzif(b, '2', "CET-1CEST,M3.5.0,M10.5.0/3");
	put("Short", b, n - 60);
	put("Text", "hello\n", 6);
	static const struct { const char *name, *why; } cases[] = {
		{ "V1", "'V1': a version 1 TZif file (no rule for the future)" },
		{ "NoFooter", "'NoFooter': a TZif file without its footer" },
		{ "Empty", "'Empty': rule '': empty (the zone has no rule for the future)" },
		{ "Julian", "'Julian': rule 'XXX3YYY,J60,J300': only Mm.w.d rules are "
		  "supported (not Julian days)" },
		{ "Short", "'Short': a TZif file cut short" },
		{ "Text", "'Text': not a TZif file" },
	};
	pump_zone z;
	char err[256];
	cr_assert_eq(tzfile_load(tmp, "Good", &z, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(z.name, "Good");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(tzfile_load(tmp, cases[i].name, &z, err, sizeof err),
		             -EINVAL, "%s", cases[i].name);
		cr_assert_str_eq(err, cases[i].why);
	}
	/* $TZDIR names the database when no directory is given */
	setenv("TZDIR", tmp, 1);
	cr_assert_eq(tzfile_load(NULL, "Good", &z, err, sizeof err), 0, "%s", err);
	cr_assert_eq(tzfile_load(NULL, "Europe/Paris", &z, err, sizeof err),
	             -ENOENT);
	unsetenv("TZDIR");
	static const char *const names[] = { "Good", "V1", "NoFooter", "Empty",
	                                     "Julian", "Short", "Text" };
	char path[128];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
		unlink(path);
	}
	rmdir(tmp);
}

static const char flex[] = RXFLEX_NIGHT_STEP;

/* A prescription file's zone, end to end: resolved and kept; an unknown
 * zone is refused naming the file, the line and the key. */
/* verifies: SR-RX-007 */
Test(tzfile, prescription_file_zone)
{
	char text[1024], err[512] = "";
	pump_rx rx;
	snprintf(text, sizeof text, "%szone = Europe/Paris\n", flex);
	cr_assert_eq(rxload_text("rx.txt", text, strlen(text), &rx, err, sizeof err),
	             0, "%s", err);
	cr_assert_str_eq(rx.zone.name, "Europe/Paris");
	cr_assert(rx.zone.dst);
	cr_assert_eq(rx.zone.std_ms, 1 * HOUR);
	/* the day: 0.1 mg/day * 21 h + 2.4 mg/day * 3 h = 0.3875 mg; the
	 * most of a real 24 h, across the fall-back night: 4 h of 2.4 mg/day
	 * and 20 h of 0.1 mg/day = 0.48333 mg */
	cr_assert_eq(pump_rx_daily_ng(&rx), 387500u);
	cr_assert_eq(pump_rx_day_bound_ng(&rx), 483334u);
	cr_assert_eq(rxload_text("rx.txt", flex, strlen(flex), &rx, err, sizeof err), 0);
	cr_assert_str_eq(rx.zone.name, "");

	snprintf(text, sizeof text, "%szone = Mars/Olympus_Mons\n", flex);
	memset(&rx, 0x5a, sizeof rx);
	pump_rx before = rx;
	cr_assert_eq(rxload_text("rx.txt", text, strlen(text), &rx, err, sizeof err), -1);
	cr_assert(strstr(err, "rx.txt:10: zone: 'Mars/Olympus_Mons' is not in the "
	                 "time zone database") == err, "%s", err);
	cr_assert_eq(memcmp(&rx, &before, sizeof rx), 0, "untouched");
	/* a ceiling that holds the day's drug but not the longer night */
	snprintf(text, sizeof text, "%sceiling_24h = 0.4 mg\nzone = Europe/Paris\n",
	         flex);
	cr_assert_eq(rxload_text("rx.txt", text, strlen(text), &rx, err, sizeof err), -1);
	cr_assert_str_eq(err, "rx.txt:10: ceiling_24h: out of the pump's range "
	                 "(see pumpd(8), PRESCRIPTION LIMITS)");
}
