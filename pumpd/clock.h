/*
 * pumpd/clock.h — the pump's clock: the pump's own running clock (real), or
 * a simulated one that a tester moves (advance by a span, or run at N x
 * speed).
 */
#ifndef PTM_PUMPD_CLOCK_H
#define PTM_PUMPD_CLOCK_H

#include <stdint.h>

/*
 * Both are anchored at (mono0, pump0) on the monotonic clock: pump time =
 * pump0 + (mono - mono0) * speed.  The real clock runs at speed 1 from
 * pump0 = max(the pump's stored time, the wall clock at start): like an
 * implanted pump's own clock, a wall-clock step while pumpd runs changes
 * nothing, and across a restart the time pumpd was down counts only when the
 * wall clock moved forward (never backwards).  Pure arithmetic on readings
 * the caller passes (pclock_now reads them for you).  Plain data, owned by
 * the caller.
 */

#define PCLOCK_SPEED_MAX 1000000u  /* 1e6 x: a year in about 32 s */

struct pclock {
	int sim;          /* 0: real (speed 1); 1: simulated */
	int64_t pump0;    /* pump time at mono0 */
	int64_t mono0;    /* monotonic ms of the anchor */
	uint32_t speed;   /* sim: 0 frozen, 1 real time, N x; real: 1 */
};

/* Test hooks, read from the environment.
 *
 * PCLOCK_OFFSET_ENV: a signed whole number of ms, read once per process,
 * added to the wall clock (pclock_wall_ms), so a test can start pumpd on a
 * wall clock that jumped backwards or forwards across a restart.
 *
 * PCLOCK_FILE_ENV: the path (looked up once per process) of a file holding
 * two signed whole numbers of ms, "WALL MONO", re-read at every clock
 * reading while the file exists:
 * WALL is added to the wall clock (with the offset above), MONO to the
 * monotonic clock (never less than the largest MONO seen: the monotonic
 * clock never goes back).  A test steps the wall clock, or lets minutes of
 * running pass, while pumpd runs.
 *
 * Unset, unreadable or not numbers within 1000 years mean no offset. */
#define PCLOCK_OFFSET_ENV "PUMPD_TEST_CLOCK_OFFSET_MS"
#define PCLOCK_FILE_ENV   "PUMPD_TEST_CLOCK_FILE"

/* The process's clocks, in ms (with the test offsets). */
int64_t pclock_wall_ms(void);
int64_t pclock_mono_ms(void);

/* The real clock: the pump's stored time stored_ms, the wall clock wall_ms
 * and the monotonic clock mono_ms read at start.  Pump time now is
 * max(stored_ms, wall_ms). */
void pclock_init_real(struct pclock *c, int64_t stored_ms, int64_t wall_ms,
                      int64_t mono_ms);
/* A simulated clock showing start_ms now (at mono_ms), at speed. */
void pclock_init_sim(struct pclock *c, int64_t start_ms, uint32_t speed,
                     int64_t mono_ms);

/* Pump time at the monotonic reading mono_ms (never before the anchor). */
int64_t pclock_at(const struct pclock *c, int64_t mono_ms);
/* Pump time now (reads the monotonic clock). */
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
