/* tests/soak/soak_util.c — time, a seeded random generator and children for
 * the soak (see soak.h). */
#include "tests/soak/soak.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t soak_now_us(void) { return clock_us(CLOCK_MONOTONIC); }
int64_t soak_wall_us(void) { return clock_us(CLOCK_REALTIME); }

void soak_pause_us(int64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
	while (us > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t soak_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t soak_rand_below(uint64_t *s, uint64_t n)
{
	return n ? soak_rand(s) % n : 0;
}

pid_t soak_fork(void)
{
	pid_t parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
	}
	return pid;
}

int soak_become(long uid)
{
	if (uid < 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 ||
	    setuid((uid_t)uid) < 0) {
		fprintf(stderr, "soak: cannot become uid %ld: %s\n", uid,
		        strerror(errno));
		return -1;
	}
	/* setuid clears the parent-death signal */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

void soak_kill_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int soak_wait_fd(int fd, int timeout_ms)
{
	int64_t end = soak_now_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		int64_t left = (end - soak_now_us()) / 1000;
		struct pollfd pf = { fd, POLLIN, 0 };
		int r = poll(&pf, 1, left > 0 ? (int)left : 0);
		if (r > 0)
			return 1;
		if (r == 0 || errno != EINTR)
			return 0;
	}
}

int soak_pipe(int fd[2])
{
	if (pipe(fd) < 0)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

void *soak_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void soak_unshare(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}
