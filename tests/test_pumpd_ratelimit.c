/* tests/test_pumpd_ratelimit.c — the handshake token bucket: the burst, the
 * refill rate to the token, no refill beyond the burst, a clock that stands
 * still or goes back gives nothing. */
#include <criterion/criterion.h>

#include "pumpd/ratelimit.h"

Test(ratelimit, burst_then_refill_per_second)
{
	struct ratelimit b = { 0, 0, 0 };
	int64_t t = 5000;
	for (int i = 0; i < 200; i++)
		cr_assert_eq(ratelimit_take(&b, t, 200, 100), 1, "take %d of the burst", i);
	cr_assert_eq(ratelimit_take(&b, t, 200, 100), 0, "the 201st at once");
	/* 100 a second: one every 10 ms, none sooner */
	cr_assert_eq(ratelimit_take(&b, t + 9, 200, 100), 0);
	cr_assert_eq(ratelimit_take(&b, t + 10, 200, 100), 1);
	cr_assert_eq(ratelimit_take(&b, t + 10, 200, 100), 0);
	/* a second later: 100 more, exactly */
	int n = 0;
	while (ratelimit_take(&b, t + 1010, 200, 100))
		n++;
	cr_assert_eq(n, 100);
}

Test(ratelimit, refill_stops_at_the_burst)
{
	struct ratelimit b = { 0, 0, 0 };
	cr_assert_eq(ratelimit_take(&b, 1, 5, 500), 1);
	int n = 0;
	while (ratelimit_take(&b, 100000000, 5, 500)) /* a day later */
		n++;
	cr_assert_eq(n, 5, "never more than the burst");
}

Test(ratelimit, a_clock_going_back_gives_nothing)
{
	struct ratelimit b = { 0, 0, 0 };
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ratelimit_take(&b, 1000, 3, 1), 1);
	cr_assert_eq(ratelimit_take(&b, 500, 3, 1), 0);
	cr_assert_eq(ratelimit_take(&b, 1999, 3, 1), 0, "999 ms at 1/s: not yet");
	cr_assert_eq(ratelimit_take(&b, 2000, 3, 1), 1);
}
