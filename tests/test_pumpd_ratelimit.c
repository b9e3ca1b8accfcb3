/* tests/test_pumpd_ratelimit.c — the handshake token bucket: the burst, the
 * refill rate to the token, no refill beyond the burst, a clock that stands
 * still or goes back gives nothing. */
#include <criterion/criterion.h>

#include "pumpd/ratelimit.h"

/* verifies: SR-DOS-004 */
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

/* verifies: SR-DOS-004 */
Test(ratelimit, refill_stops_at_the_burst)
{
	struct ratelimit b = { 0, 0, 0 };
	cr_assert_eq(ratelimit_take(&b, 1, 5, 500), 1);
	int n = 0;
	while (ratelimit_take(&b, 100000000, 5, 500)) /* a day later */
		n++;
	cr_assert_eq(n, 5, "never more than the burst");
}

/* verifies: SR-DOS-004 */
Test(ratelimit, a_clock_going_back_gives_nothing)
{
	struct ratelimit b = { 0, 0, 0 };
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ratelimit_take(&b, 1000, 3, 1), 1);
	cr_assert_eq(ratelimit_take(&b, 500, 3, 1), 0);
	cr_assert_eq(ratelimit_take(&b, 1999, 3, 1), 0, "999 ms at 1/s: not yet");
	cr_assert_eq(ratelimit_take(&b, 2000, 3, 1), 1);
}

/* ---- by source address (pumpd/srclimit.h) ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd/srclimit.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 v6(const char *ip)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	cr_assert_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	return a;
}

static int admit(struct srclimit *t, const void *sa, int64_t now, int *first)
{
	return srclimit_admit(t, sa, now, first);
}

/* verifies: SR-DOS-002 */
Test(srclimit, each_source_its_own_burst_and_rate_one_log_per_flood)
{
	struct srclimit *t = calloc(1, sizeof *t);
	cr_assert(t);
	struct sockaddr_in a = v4("10.0.0.1", 1000), b = v4("10.0.0.2", 1000);
	int first;
	for (int i = 0; i < SRCLIMIT_BURST; i++) {
		a.sin_port = htons((uint16_t)(1000 + i));  /* any port: one source */
		cr_assert_eq(admit(t, &a, 100, &first), 1, "connection %d", i);
	}
	cr_assert_eq(admit(t, &a, 100, &first), 0);
	cr_assert_eq(first, 1, "the first refusal is to be logged");
	cr_assert_eq(admit(t, &a, 100, &first), 0);
	cr_assert_eq(first, 0, "not the rest of the flood");
	cr_assert_eq(admit(t, &b, 100, &first), 1, "another source is not limited");
	/* 8 a second: one every 125 ms */
	cr_assert_eq(admit(t, &a, 224, &first), 0);
	cr_assert_eq(admit(t, &a, 225, &first), 1);
	cr_assert_eq(admit(t, &a, 225, &first), 0);
	cr_assert_eq(first, 0, "still the same flood");
	/* unix sockets (no address) are never limited */
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(admit(t, NULL, 225, &first), 1);
	/* after a rest the bucket is full, and a new flood is logged again */
	for (int i = 0; i < SRCLIMIT_BURST; i++)
		cr_assert_eq(admit(t, &a, 60000, &first), 1);
	cr_assert_eq(admit(t, &a, 60000, &first), 0);
	cr_assert_eq(first, 1);
	free(t);
}

/* verifies: SR-DOS-002 */
Test(srclimit, ipv6_by_64_mapped_v4_as_v4_and_the_oldest_slot_reused)
{
	struct srclimit *t = calloc(1, sizeof *t);
	cr_assert(t);
	int first;
	struct sockaddr_in6 x = v6("2001:db8:1:2::1"), y = v6("2001:db8:1:2:ffff::9");
	for (int i = 0; i < SRCLIMIT_BURST; i++)
		cr_assert_eq(admit(t, &x, 0, &first), 1);
	cr_assert_eq(admit(t, &y, 0, &first), 0, "the same /64 is one source");
	struct sockaddr_in6 m = v6("::ffff:10.0.0.7");
	struct sockaddr_in a = v4("10.0.0.7", 1);
	for (int i = 0; i < SRCLIMIT_BURST; i++)
		cr_assert_eq(admit(t, &a, 0, &first), 1);
	cr_assert_eq(admit(t, &m, 0, &first), 0, "::ffff:10.0.0.7 is 10.0.0.7");
	/* SRCLIMIT_SLOTS other sources later: the limited ones, seen longest
	 * ago, give up their slots and start again with a full bucket */
	char ip[32];
	for (int i = 0; i < SRCLIMIT_SLOTS; i++) {
		snprintf(ip, sizeof ip, "10.1.%d.%d", i / 256, i % 256);
		struct sockaddr_in o = v4(ip, 1);
		cr_assert_eq(admit(t, &o, 10, &first), 1);
	}
	cr_assert_eq(admit(t, &a, 10, &first), 1);
	free(t);
}
