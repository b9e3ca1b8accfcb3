/* pumpd/statedir.c — is the state directory usable? (see statedir.h) */
#include "pumpd/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int statedir_path(char *buf, size_t n, const char *dir, const char *name)
{
	int k = snprintf(buf, n, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int can(const char *path, int how)
{
	return faccessat(AT_FDCWD, path, how, AT_EACCESS) == 0 ? 0 : -errno;
}

static const char *why(int e)
{
	return e == -EROFS ? "read-only file system" : strerror(-e);
}

int statedir_check(const char *dir, int mode, char *err, size_t errcap)
{
	char path[4096];
	struct stat sb;
	int e;

	if (stat(dir, &sb) < 0) {
		e = -errno;
		snprintf(err, errcap, "%s: %s%s", dir, strerror(-e),
		         e == -ENOENT ? " (run pumpd init first)" : "");
		return e;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errcap, "%s: not a directory (give the state "
		         "directory pumpd init made)", dir);
		return -ENOTDIR;
	}
	if (statedir_path(path, sizeof path, dir, "state.db") < 0) {
		snprintf(err, errcap, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if (access(path, F_OK) != 0) {
		snprintf(err, errcap, "%s: no pump state here (run pumpd init first)",
		         dir);
		return -ENOENT;
	}
	if ((e = can(dir, R_OK | X_OK)) < 0) {
		snprintf(err, errcap, "%s: cannot read the state directory (%s)",
		         dir, why(e));
		return e;
	}
	if ((e = can(path, R_OK)) < 0) {
		snprintf(err, errcap, "%s: cannot read the pump's state (%s)",
		         path, why(e));
		return e;
	}
	if (mode != STATEDIR_WRITE)
		return 0;
	/* SQLite writes its log and shared-memory index next to the database */
	if ((e = can(dir, W_OK)) < 0) {
		snprintf(err, errcap, "%s: the state directory is not writable (%s); "
		         "the pump stores every change before it answers, so it "
		         "will not start", dir, why(e));
		return e;
	}
	static const char *const files[] = { "state.db", "state.db-wal", "state.db-shm" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (statedir_path(path, sizeof path, dir, files[i]) < 0)
			return -ENAMETOOLONG;
		if (i > 0 && access(path, F_OK) != 0)
			continue;       /* the log files exist only while in use */
		if ((e = can(path, R_OK | W_OK)) < 0) {
			snprintf(err, errcap, "%s is read-only (%s); the pump stores "
			         "every change before it answers, so it will not "
			         "start", path, why(e));
			return e;
		}
	}
	return 0;
}
