/* tests/test_pumpd_timearg.c — `pumpd init --start TIME`: ISO 8601 UTC or
 * epoch ms to exact ms, and every malformed or out-of-range time refused
 * without touching the output. */
#include <criterion/criterion.h>
#include <errno.h>

#include "pumpd/cli/timearg.h"

static int64_t ok(const char *s)
{
	int64_t ms = -7;
	cr_assert_eq(timearg_parse(s, &ms), 0, "'%s' refused", s);
	return ms;
}

static void bad(const char *s)
{
	int64_t ms = -7;
	cr_assert_eq(timearg_parse(s, &ms), -EINVAL, "'%s' accepted", s);
	cr_assert_eq(ms, -7, "'%s' changed the output", s);
}

Test(timearg, iso_utc_to_exact_ms)
{
	cr_assert_eq(ok("2026-01-01T08:00:00Z"), 1767254400000LL);
	cr_assert_eq(ok("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(ok("2024-02-29T23:59:59Z"), 1709251199000LL);   /* leap year */
	cr_assert_eq(ok("2000-02-29T12:00:00Z"), 951825600000LL);    /* 400-year leap */
	cr_assert_eq(ok("2100-03-01T00:00:00Z"), 4107542400000LL);   /* 2100 is not */
	cr_assert_eq(ok("2026-01-01T08:00:00.250Z"), 1767254400250LL);
	cr_assert_eq(ok("2026-01-01T08:00:00.5Z"), 1767254400500LL);
	cr_assert_eq(ok("2026-01-01T08:00:00.05Z"), 1767254400050LL);
	cr_assert_eq(ok("9999-12-31T23:59:59.999Z"), TIMEARG_MAX_MS);
}

Test(timearg, epoch_ms)
{
	cr_assert_eq(ok("1767254400000"), 1767254400000LL);
	cr_assert_eq(ok("0"), 0);
	cr_assert_eq(ok("253402300799999"), TIMEARG_MAX_MS);
	bad("253402300800000");
	bad("1000000000000000000000");
	bad("-5");
	bad("+5");
	bad("12a");
	bad("1e12");
}

Test(timearg, malformed_and_impossible_times_refused)
{
	bad("");
	bad(NULL);
	bad("2026-01-01T08:00:00");        /* no Z: not UTC */
	bad("2026-01-01T08:00:00+01:00");
	bad("2026-01-01 08:00:00Z");
	bad("2026-01-01t08:00:00Z");
	bad("2026-01-01T08:00Z");
	bad("2026-01-01");
	bad("2026-1-01T08:00:00Z");
	bad("2026-01-01T08:00:00.Z");
	bad("2026-01-01T08:00:00.1234Z");
	bad("2026-01-01T08:00:00Zjunk");
	bad("2025-02-29T00:00:00Z");       /* not a leap year */
	bad("2100-02-29T00:00:00Z");
	bad("2026-04-31T00:00:00Z");
	bad("2026-13-01T00:00:00Z");
	bad("2026-00-10T00:00:00Z");
	bad("2026-01-00T00:00:00Z");
	bad("2026-01-01T24:00:00Z");
	bad("2026-01-01T23:60:00Z");
	bad("2026-01-01T23:59:60Z");
	bad("1969-12-31T23:59:59Z");       /* before the epoch */
}
