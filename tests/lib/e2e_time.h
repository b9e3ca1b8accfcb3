/* tests/lib/e2e_time.h — deadlines of a test, scaled to the run's slowdown
 * (PTM_TIME_SCALE), and how near them the waits came (PTM_E2E_TIMING=1). */
#ifndef PTM_TESTS_LIB_E2E_TIME_H
#define PTM_TESTS_LIB_E2E_TIME_H

#include <stdint.h>
#include <time.h>

/* PTM_TIME_SCALE: a whole number from 1 (the default) to 1000 that every
 * deadline of a test is multiplied by (tests/run.sh sets it for valgrind
 * and sanitizer runs).  A value that is not such a number counts as 1,
 * with a warning on stderr. */
unsigned e2e_time_scale(void);
/* ms * e2e_time_scale(), at most INT_MAX. */
int e2e_ms(int ms);

/* Now in milliseconds on CLOCK_MONOTONIC. */
int64_t e2e_now_ms(void);

/* Milliseconds since t0 (CLOCK_MONOTONIC). */
long e2e_ms_since(const struct timespec *t0);

/* A wait that began at t0 (CLOCK_MONOTONIC) ended in time; base_ms is its
 * unscaled deadline.  With PTM_E2E_TIMING=1 the process says at exit which
 * wait came nearest its deadline, as a share of it: the scale a run
 * needs. */
void e2e_waited(const char *what, const struct timespec *t0, int base_ms);

#endif
