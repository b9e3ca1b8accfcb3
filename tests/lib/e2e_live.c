/* tests/lib/e2e_live.c — a test's pumps and sessions not yet freed, freed
 * at exit (see e2e_live.h). */
#include "tests/lib/e2e_live.h"

#include <stdlib.h>
#include <unistd.h>

static struct e2e_live *live;
static pid_t owner;     /* the process that registered free_all */

static void free_all(void)
{
	if (getpid() != owner)
		return;   /* a forked child that called exit: not its things */
	while (live) {
		struct e2e_live *l = live;
		l->free_fn(l);
		if (live == l)   /* a free_fn that did not remove it */
			live = l->next;
	}
}

void e2e_live_add(struct e2e_live *l, void (*free_fn)(struct e2e_live *))
{
	if (!owner && atexit(free_all) == 0)
		owner = getpid();
	l->free_fn = free_fn;
	l->next = live;
	live = l;
}

void e2e_live_remove(struct e2e_live *l)
{
	for (struct e2e_live **p = &live; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			return;
		}
}
