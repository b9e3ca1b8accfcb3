/* tests/test_rxfile.c — the prescription text format: exact units, errors
 * that name the line and field, printing that parses back. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "net/rxfile.h"

static const char example[] =
	"# morphine, continuous\n"
	"drug = morphine\n"
	"concentration = 10 mg/mL\n"
	"capacity = 20 mL\n"
	"mode = continuous            # stopped | continuous | flexible\n"
	"rate = 3 mg/day\n"
	"bolus_enabled = on\n"
	"bolus_dose = 0.5 mg\n"
	"bolus_duration = 10 min\n"
	"lockout = 2 h\n"
	"max_per_24h = 6\n"
	"ceiling_24h = 8 mg\n"
	"low_threshold = 2 mL\n"
	"silence = 1 h\n";

/* The same as a file written before the names were one. */
static const char example_old[] =
	"drug = morphine\n"
	"concentration = 10 mg/mL\n"
	"reservoir = 20 mL\n"
	"mode = continuous\n"
	"daily_rate = 3 mg/day\n"
	"bolus = on\n"
	"bolus_dose = 0.5 mg\n"
	"bolus_duration = 10 min\n"
	"lockout = 2 h\n"
	"max_per_24h = 6\n"
	"ceiling_24h = 8 mg\n"
	"low_reservoir = 2 mL\n"
	"alarm_silence = 1 h\n";

static int parse(const char *text, struct msg_rx *rx, char *err, size_t cap)
{
	return rxfile_parse("rx.txt", text, strlen(text), rx, err, cap);
}

Test(rxfile, example_parses_to_exact_integers)
{
	struct msg_rx rx;
	char err[256] = "";
	cr_assert_eq(parse(example, &rx, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(rx.drug, "morphine");
	cr_assert_eq(rx.concentration_ng_ml, 10000000u);
	cr_assert_eq(rx.capacity_nl, 20000000u);
	cr_assert_eq(rx.mode, MSG_MODE_CONTINUOUS);
	cr_assert_eq(rx.rate_ng_day, 3000000u);
	cr_assert_eq(rx.bolus_enabled, 1);
	cr_assert_eq(rx.bolus_dose_ng, 500000u);
	cr_assert_eq(rx.bolus_duration_ms, 600000u);
	cr_assert_eq(rx.lockout_ms, 7200000u);
	cr_assert_eq(rx.max_per_24h, 6);
	cr_assert_eq(rx.ceiling_ng_24h, 8000000u);
	cr_assert_eq(rx.low_threshold_nl, 2000000u);
	cr_assert_eq(rx.silence_ms, 3600000u);
}

Test(rxfile, flexible_steps_and_micrograms)
{
	const char *t =
		"drug = ziconotide\n"
		"concentration = 25 ug/mL\n"
		"capacity = 40 mL\n"
		"mode = flexible\n"
		"step = 00:00 2.4 ug/day\n"
		"step = 22:00 4 \xc2\xb5g/day\n"
		"bolus_enabled = off\n"
		"low_threshold = 500 uL\n";
	struct msg_rx rx;
	char err[256] = "";
	cr_assert_eq(parse(t, &rx, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rx.concentration_ng_ml, 25000u);
	cr_assert_eq(rx.n_steps, 2);
	cr_assert_eq(rx.steps[0].start_ms, 0u);
	cr_assert_eq(rx.steps[0].rate_ng_day, 2400u);
	cr_assert_eq(rx.steps[1].start_ms, 22u * 3600000u);
	cr_assert_eq(rx.steps[1].rate_ng_day, 4000u);
	cr_assert_eq(rx.bolus_enabled, 0);
	cr_assert_eq(rx.low_threshold_nl, 500000u);
	cr_assert_eq(rx.ceiling_ng_24h, 0u);
	cr_assert_eq(rx.silence_ms, 3600000u, "silence defaults to 1 h");
}

static void expect_error(const char *text, const char *want)
{
	struct msg_rx rx;
	memset(&rx, 0xab, sizeof rx);
	struct msg_rx before = rx;
	char err[256] = "";
	cr_assert_eq(parse(text, &rx, err, sizeof err), -EINVAL);
	cr_assert_str_eq(err, want);
	cr_assert(memcmp(&rx, &before, sizeof rx) == 0, "output changed on error");
}

static char *replace_line(const char *key, const char *line)
{
	static char buf[2048];
	buf[0] = '\0';
	const char *s = example;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = (size_t)(e - s) + 1;
		if (strncmp(s, key, strlen(key)) == 0 && s[strlen(key)] == ' ') {
			if (line)
				strcat(buf, line);
		} else {
			strncat(buf, s, n);
		}
		s += n;
	}
	return buf;
}

Test(rxfile, unknown_unit_names_line_and_field)
{
	expect_error(replace_line("bolus_dose", "bolus_dose = 0.5 kg\n"),
	             "rx.txt:8: bolus_dose: '0.5 kg' has an unknown unit "
	             "(use mg, mcg, ng)");
}

Test(rxfile, errors_for_each_kind_of_bad_line)
{
	expect_error(replace_line("lockout", "lockout = 2\n"),
	             "rx.txt:10: lockout: '2' needs a unit (use ms, s, min, h, d)");
	expect_error(replace_line("lockout", "lockout = soon\n"),
	             "rx.txt:10: lockout: 'soon' is not a number");
	expect_error(replace_line("bolus_dose", "bolus_dose = 0.0000005 mg\n"),
	             "rx.txt:8: bolus_dose: '0.0000005 mg' is more precise "
	             "than the pump can hold");
	expect_error(replace_line("capacity", "capacity = 5000 mL\n"),
	             "rx.txt:4: capacity: '5000 mL' is too large");
	expect_error(replace_line("mode", "mode = fast\n"),
	             "rx.txt:5: mode: 'fast' is not a mode (use stopped, "
	             "continuous, flexible)");
	expect_error(replace_line("max_per_24h", "max_per_24h = six\n"),
	             "rx.txt:11: max_per_24h: 'six' is not a whole number");
	expect_error(replace_line("bolus_enabled", "bolus_enabled = maybe\n"),
	             "rx.txt:7: bolus_enabled: 'maybe' should be on or off");
	expect_error(replace_line("drug", "colour = blue\n"),
	             "rx.txt:2: unknown key 'colour'");
	expect_error(replace_line("drug", "just some words\n"),
	             "rx.txt:2: 'just some words' should be key = value");
	expect_error(replace_line("drug", "drug =\n"),
	             "rx.txt:2: drug: has no value");
}

static void all_printable(const char *err)
{
	for (const char *c = err; *c; c++)
		cr_assert((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f,
		          "raw byte 0x%02x in: %s", (unsigned char)*c, err);
}

/* A line of the file is quoted in its error: its escape sequences are shown,
 * never sent to the tester's terminal (a red screen, a new window title). */
Test(rxfile, errors_quote_the_files_bytes_printable)
{
	struct msg_rx rx;
	char err[256];
	cr_assert_eq(parse(replace_line("drug", "drug = \x1b[31mred\n"), &rx, err, sizeof err),
	             -EINVAL);
	cr_assert_str_eq(err, "rx.txt:2: drug: '\\x1b[31mred' must be printable ASCII");
	all_printable(err);
	cr_assert_eq(parse(replace_line("drug", "\x1b]0;pwned\x07 = 1\n"), &rx, err, sizeof err),
	             -EINVAL);
	cr_assert_str_eq(err, "rx.txt:2: unknown key '\\x1b]0;pwned\\x07'");
	cr_assert_eq(parse(replace_line("lockout", "lockout = 2 \x9bh\n"), &rx, err, sizeof err),
	             -EINVAL);
	all_printable(err);
	cr_assert(strstr(err, "'2 \\x9bh'"), "%s", err);
	/* a backslash of the file is doubled: every \x shown is an escape */
	cr_assert_eq(parse(replace_line("mode", "mode = a\\x1b\n"), &rx, err, sizeof err),
	             -EINVAL);
	cr_assert(strstr(err, "'a\\\\x1b' is not a mode"), "%s", err);
	/* the file's name too */
	cr_assert_eq(rxfile_parse("rx\x1b[2J.txt", "drug = x\n", 9, &rx, err, sizeof err),
	             -EINVAL);
	cr_assert(strncmp(err, "rx\\x1b[2J.txt: ", strlen("rx\\x1b[2J.txt: ")) == 0, "%s", err);
	all_printable(err);
}

Test(rxfile, duplicates_and_missing_keys)
{
	char t[2048];
	snprintf(t, sizeof t, "%slockout = 3 h\n", example);
	expect_error(t, "rx.txt:15: lockout: set twice (first on line 10)");
	expect_error(replace_line("low_threshold", NULL),
	             "rx.txt: low_threshold: missing");
	expect_error(replace_line("lockout", NULL),
	             "rx.txt: lockout: missing (needed with bolus_enabled = on)");
	expect_error(replace_line("rate", NULL),
	             "rx.txt: rate: missing (needed with mode = continuous)");
	expect_error(replace_line("mode", "mode = flexible\n"),
	             "rx.txt: step: missing (needed with mode = flexible)");
}

Test(rxfile, steps_must_rise_and_be_times)
{
	const char *head =
		"drug = x\nconcentration = 1 mg/mL\ncapacity = 20 mL\n"
		"mode = flexible\nbolus_enabled = off\nlow_threshold = 1 mL\n";
	char t[1024];
	snprintf(t, sizeof t, "%sstep = 22:00 1 mg/day\nstep = 02:00 1 mg/day\n", head);
	expect_error(t, "rx.txt:8: step: 02:00 must come after the previous step");
	snprintf(t, sizeof t, "%sstep = 25:00 1 mg/day\n", head);
	expect_error(t, "rx.txt:7: step: '25:00' is not a time of day");
	snprintf(t, sizeof t, "%sstep = 0:00 1 mg/day\n", head);
	expect_error(t, "rx.txt:7: step: '0:00 1 mg/day' should be HH:MM then "
	             "a rate, e.g. 22:00 4 mg/day");
}

Test(rxfile, line_by_line_and_field_lookup)
{
	struct rxfile p;
	rxfile_init(&p, "rx.txt");
	const char *s = example;
	while (*s) {
		const char *e = strchr(s, '\n');
		cr_assert_eq(rxfile_parse_line(&p, s, (size_t)(e - s) + 1), 0, "%s", p.err);
		s = e + 1;
	}
	struct msg_rx rx;
	cr_assert_eq(rxfile_finish(&p, &rx), 0);
	cr_assert_eq(rxfile_line_of(&p, "bolus_dose_ng"), 8u);
	cr_assert_eq(rxfile_line_of(&p, "lockout"), 10u);
	cr_assert_eq(rxfile_line_of(&p, "capacity_nl"), 4u);
	cr_assert_eq(rxfile_line_of(&p, "no_such_field"), 0u);
	cr_assert_str_eq(rxfile_key_of("low_threshold_nl"), "low_threshold");
	cr_assert_str_eq(rxfile_key_of("low_reservoir"), "low_threshold");
	/* a bad line changes nothing, and the next good line is accepted */
	rxfile_init(&p, "x");
	cr_assert_eq(rxfile_parse_line(&p, "lockout = 9 parsecs", 19), -EINVAL);
	cr_assert_eq(p.rx.lockout_ms, 0u);
	cr_assert_eq(p.line_of[RXK_LOCKOUT], 0u);
	cr_assert_eq(rxfile_parse_line(&p, "lockout = 90 s\r\n", 16), 0);
	cr_assert_eq(p.rx.lockout_ms, 90000u);
}

Test(rxfile, write_parses_back_identically)
{
	struct msg_rx rx, back;
	char err[256] = "", text[2048];
	cr_assert_eq(parse(example, &rx, err, sizeof err), 0);
	rx.bolus_dose_ng = 1234567;     /* 1.234567 mg */
	rx.bolus_duration_ms = 90500;   /* not whole seconds */
	rx.low_threshold_nl = 1500;     /* 1.5 uL */
	rx.concentration_ng_ml = 999;   /* ng/mL */
	int n = rxfile_write(&rx, text, sizeof text);
	cr_assert_gt(n, 0);
	cr_assert(strstr(text, "bolus_dose = 1.234567 mg\n"), "%s", text);
	cr_assert(strstr(text, "bolus_duration = 90500 ms\n"), "%s", text);
	cr_assert(strstr(text, "low_threshold = 1.5 uL\n"), "%s", text);
	cr_assert_eq(parse(text, &back, err, sizeof err), 0, "%s\n%s", err, text);
	cr_assert(memcmp(&rx, &back, sizeof rx) == 0);
	cr_assert_eq(rxfile_write(&rx, text, 40), -ENOSPC);
}

/* A file with the spellings of before reads as the same prescription. */
Test(rxfile, old_spellings_still_read)
{
	struct msg_rx now, before;
	char err[256] = "";
	cr_assert_eq(parse(example, &now, err, sizeof err), 0, "%s", err);
	cr_assert_eq(parse(example_old, &before, err, sizeof err), 0, "%s", err);
	cr_assert(memcmp(&now, &before, sizeof now) == 0);
	/* one field set under both names is set twice */
	char twice[1024];
	snprintf(twice, sizeof twice, "%scapacity = 20 mL\n", example_old);
	cr_assert_eq(parse(twice, &now, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "capacity: set twice (first on line 3)"), "%s", err);
	/* errors name a key as the file spells it */
	char bad[1024];
	snprintf(bad, sizeof bad, "%s", example_old);
	char *b = strstr(bad, "bolus = on");
	memcpy(b, "bolus = ox", 10);
	cr_assert_eq(parse(bad, &now, err, sizeof err), -EINVAL);
	cr_assert_str_eq(err, "rx.txt:6: bolus: 'ox' should be on or off");
}

/* The zone key: read only for pumpd (allow_zone), its spelling checked
 * here (the tz database is pumpd's: tests/test_tzfile.c). */
static int parse_zone(const char *text, int allow, struct rxfile *p)
{
	rxfile_init(p, "rx.txt");
	p->allow_zone = allow;
	size_t i = 0, len = strlen(text);
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (j < len)
			j++;
		if (rxfile_parse_line(p, text + i, j - i) < 0)
			return -1;
		i = j;
	}
	struct msg_rx rx;
	return rxfile_finish(p, &rx);
}

/* verifies: SR-RX-007 */
Test(rxfile, zone_key_spelling_and_who_may_read_it)
{
	static struct rxfile p;
	char text[1024];
	snprintf(text, sizeof text, "%szone = Europe/Paris\n", example);
	cr_assert_eq(parse_zone(text, 1, &p), 0, "%s", p.err);
	cr_assert_str_eq(p.zone, "Europe/Paris");
	cr_assert_eq(rxfile_line_of(&p, "zone"), 15u);
	/* without it: none */
	cr_assert_eq(parse_zone(example, 1, &p), 0);
	cr_assert_str_eq(p.zone, "");
	/* a remote's reader (PROGRAM has UTC steps) refuses it */
	cr_assert_eq(parse_zone(text, 0, &p), -1);
	cr_assert_str_eq(p.err, "rx.txt:15: zone: only pumpd reads a zone (pumpd "
	                 "init --rx, pumpd rx); the wire's steps are UTC "
	                 "(docs/PROTOCOL.md 8.13)");
	/* spellings */
	static const char *const bad[] = {
		"Europe/Paris Extra", "/etc/passwd", "Europe/", "Europe//Paris",
		"../../etc/shadow", "Europe/Paris\x1b[2J",
		"A234567890123456789012345678901234567890123456789",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "%szone = %s\n", example, bad[i]);
		cr_assert_eq(parse_zone(text, 1, &p), -1, "%s", bad[i]);
		cr_assert(strstr(p.err, "rx.txt:15: zone: '") == p.err, "%s", p.err);
		cr_assert(strstr(p.err, "is not a time zone name"), "%s", p.err);
		cr_assert_null(strchr(p.err, '\x1b'));
	}
	snprintf(text, sizeof text, "%szone = UTC\nzone = Asia/Tokyo\n", example);
	cr_assert_eq(parse_zone(text, 1, &p), -1);
	cr_assert_str_eq(p.err, "rx.txt:16: zone: set twice (first on line 15)");
}
