/* tests/lib/e2e_cli.c — pumpd's commands from a test, through the private
 * pumpd launcher (tools/scenario/scnpump.h); see e2e_cli.h. */
#include "tests/lib/e2e_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/e2e_time.h"
#include "tools/scenario/scnpump.h"

const char *e2e_pumpd_path(void)
{
	static char path[512];
	const char *p = getenv("PTM_PUMPD");
	if (p && *p)
		return p;
	const char *b = getenv("PTM_BUILD");
	snprintf(path, sizeof path, "%s/pumpd", b && *b ? b : "build");
	return path;
}

int e2e_cli(const char *const *argv, char *out, size_t cap)
{
	return e2e_cli_as(argv, -1, 20000, out, cap);
}

/* A copy of pumpd that any user can run: DIR/pumpd, DIR a fresh 0755
 * directory under /tmp (dir: 64 bytes, path: 80).  The build may sit where
 * only its owner can enter; an ASan pumpd needs nothing else from it (its
 * runtime is a system library).  0, or -1 with the reason on stderr. */
static int copy_pumpd(char *dir, char *path)
{
	char buf[65536];
	const char *src = e2e_pumpd_path();
	int in = -1, outfd = -1, rc = -1;
	snprintf(dir, 64, "/tmp/ptm-e2e-bin.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "e2e: mkdtemp: %s\n", strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	snprintf(path, 80, "%s/pumpd", dir);
	if (chmod(dir, 0755) < 0 ||
	    (in = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (outfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700)) < 0)
		goto out;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		for (ssize_t w = 0; w < r;) {
			ssize_t k = write(outfd, buf + w, (size_t)(r - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				goto out;
			w += k;
		}
	}
	rc = fchmod(outfd, 0755);
out:
	if (rc < 0)
		fprintf(stderr, "e2e: cannot copy %s to %s: %s\n", src, path,
		        strerror(errno));
	if (in >= 0)
		close(in);
	if (outfd >= 0 && close(outfd) < 0)
		rc = -1;
	return rc;
}

static void remove_copy(const char *dir, const char *path)
{
	if (!dir[0])
		return;
	unlink(path);
	rmdir(dir);
}

/* In the child, before pumpd runs: become uid (in "/": the test's working
 * directory may be one that uid cannot enter). */
static void become(void *ud)
{
	long uid = *(const long *)ud;
	if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 ||
	    setuid((uid_t)uid) < 0 || chdir("/") < 0) {
		fprintf(stderr, "e2e: cannot become uid %ld: %s\n", uid, strerror(errno));
		_exit(126);
	}
}

int e2e_cli_as(const char *const *argv, long uid, int timeout_ms, char *out,
               size_t cap)
{
	char copy_dir[64] = "", copy[80], why[256];
	const char *prog = e2e_pumpd_path();
	struct scnpump run;
	struct timespec t0;
	if (uid >= 0) {
		if (copy_pumpd(copy_dir, copy) < 0) {
			remove_copy(copy_dir, copy);
			return -1;
		}
		prog = copy;
	}
	scnpump_init(&run, prog, (uint32_t)e2e_ms(timeout_ms));
	if (uid >= 0) {
		run.child_setup = become;
		run.child_ud = &uid;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int st = scnpump_command(&run, argv, out, cap, why, sizeof why);
	remove_copy(copy_dir, copy);
	if (st < 0) {
		fprintf(stderr, "e2e: %s\n", why);
		return -1;
	}
	e2e_waited(argv[0] ? argv[0] : "a pumpd command", &t0, timeout_ms);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
