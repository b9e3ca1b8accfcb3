/* tests/lib/uvtest.c — a libuv loop for a test, with its guard timer (see
 * uvtest.h). */
#include "tests/lib/uvtest.h"

#include <criterion/criterion.h>

static void on_guard(uv_timer_t *g)
{
	struct uvtest *t = g->data;
	t->guard_fired = 1;
}

void uvtest_open(struct uvtest *t)
{
	t->guard_fired = 0;
	t->closed = 0;
	cr_assert_eq(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->guard);
	t->guard.data = t;
	uv_timer_start(&t->guard, on_guard, 10000, 0);
	uv_unref((uv_handle_t *)&t->guard);
}

void uvtest_run_until(struct uvtest *t, const int *flag, const char *what)
{
	while (!*flag && !t->guard_fired)
		uv_run(&t->loop, UV_RUN_ONCE);
	cr_assert(*flag, "timed out waiting for %s", what);
}

void uvtest_guard(struct uvtest *t, uint64_t ms)
{
	uv_timer_stop(&t->guard);
	t->guard_fired = 0;
	uv_timer_start(&t->guard, on_guard, ms, 0);
}

struct open_count {
	const uv_handle_t *guard;
	int left;
};

static void count_open(uv_handle_t *h, void *arg)
{
	struct open_count *c = arg;
	if (h != c->guard && !uv_is_closing(h))
		c->left++;
}

int uvtest_settle(struct uvtest *t)
{
	struct open_count c = { (const uv_handle_t *)&t->guard, 0 };
	while (uv_loop_alive(&t->loop) && !t->guard_fired)
		uv_run(&t->loop, UV_RUN_ONCE);
	uv_walk(&t->loop, count_open, &c);
	return c.left;
}

int uvtest_close(struct uvtest *t)
{
	uv_close((uv_handle_t *)&t->guard, NULL);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	t->closed = 1;
	return uv_loop_close(&t->loop);
}

static void close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void uvtest_abandon(struct uvtest *t)
{
	if (t->closed)
		return;
	uv_walk(&t->loop, close_any, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	uv_loop_close(&t->loop);
	t->closed = 1;
}
