/* pumpd/clock.c — real or simulated pump clock (see clock.h). */
#include "pumpd/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OFFSET_LIMIT (1000LL * 366 * 86400000) /* 1000 years in ms */

/* A whole number of ms within OFFSET_LIMIT at s, its end in *end: 0, or -1
 * (then *v is untouched). */
static int parse_offset(const char *s, char **end, int64_t *v)
{
	errno = 0;
	long long x = strtoll(s, end, 10);
	if (*end == s || errno || x < -OFFSET_LIMIT || x > OFFSET_LIMIT)
		return -1;
	*v = (int64_t)x;
	return 0;
}

/* The test hook PCLOCK_OFFSET_ENV, read once; anything else is 0. */
static int64_t env_offset(void)
{
	static int read;
	static int64_t off;
	if (!read) {
		const char *s = getenv(PCLOCK_OFFSET_ENV);
		char *end;
		int64_t v;
		read = 1;
		if (s && *s && parse_offset(s, &end, &v) == 0 && *end == '\0')
			off = v;
	}
	return off;
}

/* The test hook PCLOCK_FILE_ENV: its path looked up once (a clock reading
 * costs no walk of the environment), the file read now; 0 when unset or
 * unreadable. */
static void file_offsets(int64_t *wall, int64_t *mono)
{
	static int64_t mono_max;
	static int looked;
	static const char *path;
	char buf[64], *end;
	if (!looked) {
		path = getenv(PCLOCK_FILE_ENV);
		looked = 1;
	}
	int64_t w, m;
	*wall = 0;
	*mono = mono_max;
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (parse_offset(buf, &end, &w) < 0 || parse_offset(end, &end, &m) < 0)
		return;
	*wall = w;
	if (m > mono_max)
		mono_max = m;
	*mono = mono_max;
}

int64_t pclock_wall_ms(void)
{
	struct timespec ts;
	int64_t fw, fm;
	clock_gettime(CLOCK_REALTIME, &ts);
	file_offsets(&fw, &fm);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + env_offset()
	       + fw;
}

int64_t pclock_mono_ms(void)
{
	struct timespec ts;
	int64_t fw, fm;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	file_offsets(&fw, &fm);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + fm;
}

void pclock_init_real(struct pclock *c, int64_t stored_ms, int64_t wall_ms,
                      int64_t mono_ms)
{
	c->sim = 0;
	c->pump0 = stored_ms > wall_ms ? stored_ms : wall_ms;
	c->mono0 = mono_ms;
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

int64_t pclock_at(const struct pclock *c, int64_t mono_ms)
{
	int64_t d = mono_ms - c->mono0;
	if (d < 0)
		d = 0;
	return c->pump0 + d * (int64_t)c->speed;
}

int64_t pclock_now(const struct pclock *c)
{
	return pclock_at(c, pclock_mono_ms());
}

int pclock_advance(struct pclock *c, uint64_t ms, int64_t mono_ms)
{
	if (!c->sim)
		return -EINVAL;
	int64_t now = pclock_at(c, mono_ms);
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
	c->pump0 = pclock_at(c, mono_ms);
	c->mono0 = mono_ms;
	c->speed = speed;
	return 0;
}

int64_t pclock_delay_ms(const struct pclock *c, int64_t now_pump, int64_t target)
{
	if (target <= now_pump)
		return 0;
	int64_t d = target - now_pump;
	if (c->speed == 0)
		return -1;
	return (d + (int64_t)c->speed - 1) / (int64_t)c->speed;
}
