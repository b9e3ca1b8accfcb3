/* pumpd/statedir.c — is the state directory usable? (see statedir.h) */
#include "pumpd/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util/fmt.h"

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
	if (sb.st_mode & 077) {
		snprintf(err, errcap, "%s: mode %04o lets other users in; it holds "
		         "the pump's private key and a patient's records: make it "
		         "private with 'chmod 700 %s'", dir,
		         (unsigned)(sb.st_mode & 07777), dir);
		return -EPERM;
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

/* pump.key and pump.pub: one key pair. */
static int load_keys(const char *dir, keys_secret **key, uint8_t pub[32],
                     char *err, size_t errcap)
{
	char path[4096], kerr[KEYS_ERRLEN];
	statedir_path(path, sizeof path, dir, "pump.key");
	int e = keys_load_private(path, key, kerr);
	if (e < 0) {
		fmt_set(err, errcap, "%s", kerr);
		return e;
	}
	statedir_path(path, sizeof path, dir, "pump.pub");
	e = keys_load_public(path, pub, kerr);
	if (e < 0) {
		fmt_set(err, errcap, "%s", kerr);
	} else if (sodium_memcmp(pub, keys_secret_pub(*key), 32) != 0) {
		fmt_set(err, errcap, "%s does not match pump.key (they are not one "
		           "key pair: was one of them copied from another pump?)", path);
		e = -EBADF;
	}
	if (e < 0) {
		keys_secret_free(*key);
		*key = NULL;
	}
	return e;
}

int statedir_open(const char *dir, int mode, int level, struct store **st,
                  keys_secret **keyp, uint8_t pub[32], char *err, size_t errcap)
{
	char path[4096], why[512];
	keys_secret *key = NULL;
	*st = NULL;
	int e = statedir_check(dir, mode, err, errcap);
	if (e == 0)
		e = load_keys(dir, &key, pub, err, errcap);
	if (e < 0)
		return e;
	statedir_path(path, sizeof path, dir, "state.db");
	e = store_open(path, st, err, errcap);
	if (e == 0) {
		e = store_check(*st, level, pub, why, sizeof why);
		if (e == 1 && mode == STATEDIR_WRITE) {
			/* made by a pumpd that did not record its key: record it */
			e = store_put_blob(*st, "pump_pub", pub, 32);
			if (e < 0)
				snprintf(why, sizeof why, "cannot record the pump's key: %s",
				         store_errmsg(*st));
		} else if (e == 1) {
			e = 0;
		}
		if (e < 0) {
			fmt_set(err, errcap, "%s: %s; refusing to use it", path, why);
			store_close(*st);
			*st = NULL;
		}
	}
	if (e < 0 || !keyp)
		keys_secret_free(key);
	else
		*keyp = key;
	return e;
}
