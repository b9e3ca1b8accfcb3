/* tests/soak/soak_hog.c — a paired remote that never reads its replies
 * (see soak_hog.h). */
#include "tests/soak/soak_hog.h"

#include <string.h>
#include <unistd.h>

#include "tests/soak/soak.h"

#define READY_AFTER 1000   /* requests of the first session */

static _Noreturn void hog(e2e_pump *p, const char *name,
                          struct soak_flood_stats *st, int ready_w)
{
	int ready = 0;
	for (;;) {
		e2e_session *s = e2e_session_open(p, name);
		if (!s) {
			st->connect_errors++;
			soak_pause_us(10000);   /* refused: try again soon */
			continue;
		}
		st->connects++;
		st->held_max = 1;   /* one live session per remote */
		for (unsigned n = 0;; n++) {
			struct msg_request q;
			memset(&q, 0, sizeof q);
			q.type = MSG_STATUS;
			if (e2e_send(s, &q) < 0)
				break;
			st->items++;
			if (!ready && n + 1 == READY_AFTER) {
				ready = 1;
				if (write(ready_w, "R", 1) != 1)
					_exit(1);
			}
		}
		st->pump_closes++;
		e2e_session_close(s);
	}
}

struct hog_arg {
	e2e_pump *p;
	const char *name;
};

static void hog_child(const void *arg, struct soak_flood_stats *st, int ready_fd)
{
	const struct hog_arg *a = arg;
	hog(a->p, a->name, st, ready_fd);
}

int soak_hog_start(e2e_pump *p, const char *name, struct soak_flooder *f)
{
	struct hog_arg a = { p, name };
	return soak_flooder_spawn(f, hog_child, &a);
}
