/*
 * tests/lib/uvtest.h — a libuv loop for a test: a guard timer that ends a
 * wait with a failed assertion instead of a hang, and the check at the end
 * that nothing was left open (Criterion).
 *
 *   uvtest_open(&t);                        // the loop, a 10 s guard
 *   uvtest_run_until(&t, &done, "the reply");
 *   uvtest_guard(&t, 5000);  ...close what the test opened...
 *   cr_assert_eq(uvtest_settle(&t), 0);     // handles left open
 *   cr_assert_eq(uvtest_close(&t), 0);      // uv_loop_close
 *   uvtest_abandon(&t);                     // in .fini: after a failure
 */
#ifndef PTM_TESTS_LIB_UVTEST_H
#define PTM_TESTS_LIB_UVTEST_H

#include <stdint.h>
#include <uv.h>

struct uvtest {
	uv_loop_t loop;
	uv_timer_t guard;        /* unreferenced: it never keeps the loop alive */
	int guard_fired;
	int closed;              /* uvtest_close ran */
};

/* Initialise the loop with a guard of 10 s (asserts). */
void uvtest_open(struct uvtest *t);

/* Run the loop until *flag is non-zero; the guard firing first fails the
 * test ("timed out waiting for what"). */
void uvtest_run_until(struct uvtest *t, const int *flag, const char *what);

/* The guard again, ms from now. */
void uvtest_guard(struct uvtest *t, uint64_t ms);

/* Run the loop until nothing is active or the guard fires: the number of
 * handles still open (the guard aside). */
int uvtest_settle(struct uvtest *t);

/* Close the guard and the loop: uv_loop_close's result (0: nothing was
 * left). */
int uvtest_close(struct uvtest *t);

/* A Criterion test of suite whose body ends with finish(): in the body,
 * because Criterion does not count a failed assertion in .fini.
 *   #define FTEST(name) UVTEST(peer, name, setup, teardown, finish)
 *   FTEST(round_trip) { ... }                                           */
#define UVTEST(suite, name, init_fn, fini_fn, finish_fn) \
	static void name##_body(void); \
	Test(suite, name, .init = init_fn, .fini = fini_fn) \
	{ \
		name##_body(); \
		finish_fn(); \
	} \
	static void name##_body(void)

/* After a test that failed half-way (from .fini): close every handle
 * still open and the loop, without hanging.  Nothing when uvtest_close
 * ran. */
void uvtest_abandon(struct uvtest *t);

#endif
