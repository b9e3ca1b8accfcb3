/*
 * pumpd/statelock.h — one writer per state directory: an exclusive flock(2)
 * on DIR/lock, held by `pumpd run` for its whole life (or by a command that
 * changes the state while no daemon runs).  The kernel drops it when the
 * holder dies, kill -9 included, so there is never a stale lock.  pumpd
 * init makes the file (taking the lock of a directory made before that
 * makes it, the only change to the directory before it is known to be
 * usable).  The file says who holds it ("pid N", "listen ADDR...") for the message a second
 * writer gets.
 */
#ifndef PTM_PUMPD_STATELOCK_H
#define PTM_PUMPD_STATELOCK_H

#include <stddef.h>

#define STATELOCK_INFO_MAX 512

struct statelock {
	int fd;            /* -1: not held */
	int described;     /* it wrote who it is */
};

/* Take DIR/lock exclusively without waiting.  1: taken (*lk holds it);
 * 0: another process holds it (its description, e.g. "pumpd pid 42 on
 * unix:/tmp/p.sock", in holder, cap bytes); < 0: an error, with a message
 * in holder. */
int statelock_take(const char *dir, struct statelock *lk, char *holder,
                   size_t cap);

/* Say who holds it, e.g. "pumpd pid 42 on unix:/tmp/p.sock" (one line,
 * written into the lock file for the next one who asks).  0 or < 0. */
int statelock_describe(struct statelock *lk, const char *who);

/* Let go (the file stays; it is the lock, not a pid file). */
void statelock_release(struct statelock *lk);

#endif
