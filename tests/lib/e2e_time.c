/* tests/lib/e2e_time.c — scaled deadlines and the nearest one (see
 * e2e_time.h). */
#include "tests/lib/e2e_time.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned e2e_time_scale(void)
{
	static unsigned scale;
	if (!scale) {
		const char *v = getenv("PTM_TIME_SCALE");
		char *end = NULL;
		unsigned long n = v && *v ? strtoul(v, &end, 10) : 1;
		if (v && *v && (*end || n < 1 || n > 1000)) {
			fprintf(stderr, "e2e: PTM_TIME_SCALE '%s' is not a whole number "
			        "from 1 to 1000: 1 it is\n", v);
			n = 1;
		}
		scale = (unsigned)n;
	}
	return scale;
}

int e2e_ms(int ms)
{
	long long v = (long long)ms * e2e_time_scale();
	return v > INT_MAX ? INT_MAX : (int)v;
}

int64_t e2e_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long e2e_ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The wait that came nearest its deadline, as a share of the unscaled
 * deadline (above 1: this run needed the scale). */
static struct { double share; long ms; int base; const char *what; } nearest;

static void timing_report(void)
{
	if (nearest.what)
		fprintf(stderr, "e2e: nearest deadline: %s took %ld ms of %d ms "
		        "(x%.3f of it; PTM_TIME_SCALE %u)\n", nearest.what, nearest.ms,
		        nearest.base, nearest.share, e2e_time_scale());
}

void e2e_waited(const char *what, const struct timespec *t0, int base_ms)
{
	static int on = -1;
	if (on < 0) {
		const char *v = getenv("PTM_E2E_TIMING");
		on = v && strcmp(v, "1") == 0 && atexit(timing_report) == 0;
	}
	long ms = e2e_ms_since(t0);
	if (!on || base_ms <= 0 || (double)ms / base_ms <= nearest.share)
		return;
	nearest.share = (double)ms / base_ms;
	nearest.ms = ms;
	nearest.base = base_ms;
	nearest.what = what;
}
