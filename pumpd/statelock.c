/* pumpd/statelock.c — one writer per state directory (see statelock.h). */
#include "pumpd/statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/fmt.h"
#include "pumpd/statedir.h"

/* The holder's description from the lock file, made printable. */
static void read_holder(int fd, char *out, size_t cap)
{
	char buf[STATELOCK_INFO_MAX];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		fmt_set(out, cap, "another process (it has not said which yet)");
		return;
	}
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = buf[i + 1] ? ' ' : 0;
		else if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	fmt_set(out, cap, "%s", buf);
}

int statelock_take(const char *dir, struct statelock *lk, char *holder,
                   size_t cap)
{
	char path[4096];
	lk->fd = -1;
	lk->described = 0;
	if (statedir_path(path, sizeof path, dir, "lock") < 0) {
		fmt_set(holder, cap, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = -errno;
		fmt_set(holder, cap, "%s: cannot open the lock file: %s", path,
		           strerror(-e));
		return e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = -errno;
		if (e == -EWOULDBLOCK) {
			read_holder(fd, holder, cap);
			close(fd);
			return 0;
		}
		fmt_set(holder, cap, "%s: cannot lock: %s", path, strerror(-e));
		close(fd);
		return e;
	}
	lk->fd = fd;
	return 1;
}

int statelock_describe(struct statelock *lk, const char *who)
{
	char buf[STATELOCK_INFO_MAX];
	int n = snprintf(buf, sizeof buf, "%s\n", who);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	if (ftruncate(lk->fd, 0) < 0 || pwrite(lk->fd, buf, (size_t)n, 0) != n)
		return -errno;
	lk->described = 1;
	return 0;
}

void statelock_release(struct statelock *lk)
{
	if (lk->fd >= 0) {
		/* what it said is no longer true (a holder that said nothing
		 * leaves the file as it found it) */
		if (lk->described && ftruncate(lk->fd, 0) < 0) { /* harmless */ }
		close(lk->fd);
	}
	lk->fd = -1;
	lk->described = 0;
}
