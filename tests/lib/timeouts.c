/* tests/lib/timeouts.c — the Criterion .timeout of every test of a program:
 * one value, the largest any suite or test of the program asks for, times
 * the run's slowdown (PTM_TIME_SCALE, e2e_time_scale()) as every other
 * deadline of a test is.  Linked into every test program.
 *
 * One value, because Criterion 2.4.1's BoxFort (0.1.2) keeps the pending
 * timeouts in a list sorted by deadline and, when a test whose deadline is
 * earlier than a running one's starts (--jobs 2, a 90 s test beside a
 * 300 s one), inserts it without linking the rest of the list behind it:
 * the later test loses its timeout and the runner leaks 48 bytes, which
 * fails `make asan` (LeakSanitizer) by chance.  With one timeout a later
 * start always has the later deadline. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "tests/lib/e2e.h"

/* Before any test runs, in the runner (which applies the timeouts). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	double top = 0;
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data && s->suite.data->timeout > top)
			top = s->suite.data->timeout;
		if (!s->tests)
			continue;
		FOREACH_SET(struct criterion_test *t, s->tests)
			if (t->data && t->data->timeout > top)
				top = t->data->timeout;
	}
	if (top <= 0)
		return;   /* no test has a timeout */
	top *= e2e_time_scale();
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data)
			s->suite.data->timeout = top;
		if (!s->tests)
			continue;
		FOREACH_SET(struct criterion_test *t, s->tests)
			if (t->data)
				t->data->timeout = top;
	}
}
