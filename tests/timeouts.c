/* tests/timeouts.c — every suite's and test's Criterion .timeout is
 * multiplied by the run's slowdown (PTM_TIME_SCALE, e2e_time_scale()), as
 * every other deadline of a test is: linked into every test program. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "tests/e2e.h"

/* Before any test runs, in the runner (which applies the timeouts). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	unsigned k = e2e_time_scale();
	if (k == 1)
		return;
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data && s->suite.data->timeout > 0)
			s->suite.data->timeout *= k;
		if (!s->tests)
			continue;
		FOREACH_SET(struct criterion_test *t, s->tests)
			if (t->data && t->data->timeout > 0)
				t->data->timeout *= k;
	}
}
