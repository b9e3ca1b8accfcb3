/* tests/lib/e2e_live.h — what a test made and has not freed yet (its pumps
 * and sessions): a failed test (cr_assert jumps out of it) leaves them, and
 * the process that made them frees them at exit, so that valgrind reports
 * the failure and no leak on top of it, and no directory stays in /tmp. */
#ifndef PTM_TESTS_LIB_E2E_LIVE_H
#define PTM_TESTS_LIB_E2E_LIVE_H

/* Embedded in what it tracks; free_fn frees that (and so calls
 * e2e_live_remove).  Freed newest first. */
struct e2e_live {
	struct e2e_live *next;
	void (*free_fn)(struct e2e_live *);
};

void e2e_live_add(struct e2e_live *l, void (*free_fn)(struct e2e_live *));
/* Off the list (nothing when it is not on it). */
void e2e_live_remove(struct e2e_live *l);

#endif
