/*
 * pumpd/clock.h — the pump's clock: the real wall clock, or a simulated one
 * that a tester moves (advance by a span, or run at N x speed).
 *
 * Pure arithmetic on two inputs the caller reads (pclock_read does it for
 * you): the wall clock (ms since the epoch) and a monotonic clock (ms).  The
 * simulated clock is anchored at (mono0, pump0): pump time = pump0 +
 * (mono - mono0) * speed.  Plain data, owned by the caller.
 */
#ifndef PTM_PUMPD_CLOCK_H
#define PTM_PUMPD_CLOCK_H

#include <stdint.h>

#define PCLOCK_SPEED_MAX 1000000u  /* 1e6 x: a year in about 32 s */

struct pclock {
	int sim;          /* 0: real wall clock; 1: simulated */
	int64_t pump0;    /* sim: pump time at mono0 */
	int64_t mono0;    /* sim: monotonic ms of the anchor */
	uint32_t speed;   /* sim: 0 frozen, 1 real time, N x */
};

/* Test hook: the environment variable PCLOCK_OFFSET_ENV, a signed whole
 * number of ms read once per process, is added to the wall clock
 * (pclock_wall_ms), so a test can start pumpd on a real clock that jumped
 * backwards or forwards across a restart.  Unset (or not a number within
 * 1000 years) means no offset. */
#define PCLOCK_OFFSET_ENV "PUMPD_TEST_CLOCK_OFFSET_MS"

/* The process's clocks, in ms (the wall clock plus the test offset). */
int64_t pclock_wall_ms(void);
int64_t pclock_mono_ms(void);

void pclock_init_real(struct pclock *c);
/* A simulated clock showing start_ms now (at mono_ms), at speed. */
void pclock_init_sim(struct pclock *c, int64_t start_ms, uint32_t speed,
                     int64_t mono_ms);

/* Pump time for the given clock readings. */
int64_t pclock_at(const struct pclock *c, int64_t wall_ms, int64_t mono_ms);
/* Pump time now (reads the process clocks). */
int64_t pclock_now(const struct pclock *c);

/* Sim only: move forward by ms (re-anchored at mono_ms).  Returns 0, or
 * -EINVAL on the real clock or an overflow. */
int pclock_advance(struct pclock *c, uint64_t ms, int64_t mono_ms);
/* Sim only: change speed from mono_ms on (time so far is kept).  Returns 0
 * or -EINVAL (real clock, speed > PCLOCK_SPEED_MAX). */
int pclock_set_speed(struct pclock *c, uint32_t speed, int64_t mono_ms);

/* How many ms of the monotonic clock until pump time reaches target, given
 * pump time now_pump: 0 if already there, rounded up; -1 when it never will
 * (a frozen simulated clock). */
int64_t pclock_delay_ms(const struct pclock *c, int64_t now_pump, int64_t target);

#endif
