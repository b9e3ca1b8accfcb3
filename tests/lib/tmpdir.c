/* tests/lib/tmpdir.c — a test's temporary directory (see tmpdir.h). */
#include "tests/lib/tmpdir.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tmpdir_make(char dir[TMPDIR_MAX], const char *name)
{
	cr_assert_leq(strlen(name), 32, "tmpdir name too long: %s", name);
	snprintf(dir, TMPDIR_MAX, "/tmp/%s-XXXXXX", name);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(path) == 0 ? 0 : errno;
}

void tmpdir_remove(const char *dir)
{
	int rc = nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	cr_assert_eq(rc, 0, "cannot remove %s: %s", dir, rc > 0 ? strerror(rc) : "nftw failed");
}
