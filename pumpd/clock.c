/* pumpd/clock.c — real or simulated pump clock (see clock.h). */
#include "pumpd/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The test hook PCLOCK_OFFSET_ENV, read once: a whole number of ms,
 * optionally negative, at most 1000 years either way; anything else is 0. */
static int64_t wall_offset(void)
{
	static int read;
	static int64_t off;
	if (!read) {
		const char *s = getenv(PCLOCK_OFFSET_ENV);
		read = 1;
		if (s && *s) {
			char *end;
			long long v = strtoll(s, &end, 10);
			const long long lim = 1000LL * 366 * 86400000;
			if (*end == '\0' && v >= -lim && v <= lim)
				off = (int64_t)v;
		}
	}
	return off;
}

int64_t pclock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wall_offset();
}

int64_t pclock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pclock_init_real(struct pclock *c)
{
	c->sim = 0;
	c->pump0 = 0;
	c->mono0 = 0;
	c->speed = 1;
}

void pclock_init_sim(struct pclock *c, int64_t start_ms, uint32_t speed,
                     int64_t mono_ms)
{
	c->sim = 1;
	c->pump0 = start_ms;
	c->mono0 = mono_ms;
	c->speed = speed > PCLOCK_SPEED_MAX ? PCLOCK_SPEED_MAX : speed;
}

int64_t pclock_at(const struct pclock *c, int64_t wall_ms, int64_t mono_ms)
{
	if (!c->sim)
		return wall_ms;
	int64_t d = mono_ms - c->mono0;
	if (d < 0)
		d = 0;
	return c->pump0 + d * (int64_t)c->speed;
}

int64_t pclock_now(const struct pclock *c)
{
	return pclock_at(c, c->sim ? 0 : pclock_wall_ms(),
	                 c->sim ? pclock_mono_ms() : 0);
}

int pclock_advance(struct pclock *c, uint64_t ms, int64_t mono_ms)
{
	if (!c->sim)
		return -EINVAL;
	int64_t now = pclock_at(c, 0, mono_ms);
	if (ms > (uint64_t)(INT64_MAX / 4) || now > INT64_MAX / 2)
		return -EINVAL;
	c->pump0 = now + (int64_t)ms;
	c->mono0 = mono_ms;
	return 0;
}

int pclock_set_speed(struct pclock *c, uint32_t speed, int64_t mono_ms)
{
	if (!c->sim || speed > PCLOCK_SPEED_MAX)
		return -EINVAL;
	c->pump0 = pclock_at(c, 0, mono_ms);
	c->mono0 = mono_ms;
	c->speed = speed;
	return 0;
}

int64_t pclock_delay_ms(const struct pclock *c, int64_t now_pump, int64_t target)
{
	if (target <= now_pump)
		return 0;
	int64_t d = target - now_pump;
	if (!c->sim)
		return d;
	if (c->speed == 0)
		return -1;
	return (d + (int64_t)c->speed - 1) / (int64_t)c->speed;
}
