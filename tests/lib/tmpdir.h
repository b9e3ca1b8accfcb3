/*
 * tests/lib/tmpdir.h — a test's own temporary directory, made fresh and
 * removed with all it holds (Criterion: failing either fails the test).
 *
 *   static char dir[TMPDIR_MAX];
 *   tmpdir_make(dir, "ptm-keys");   // /tmp/ptm-keys-XXXXXX
 *   tmpdir_remove(dir);
 */
#ifndef PTM_TESTS_LIB_TMPDIR_H
#define PTM_TESTS_LIB_TMPDIR_H

#define TMPDIR_MAX 64

/* A new directory /tmp/NAME-XXXXXX (NAME at most 32 bytes) into dir. */
void tmpdir_make(char dir[TMPDIR_MAX], const char *name);
/* dir and everything below it gone (links are removed, never followed). */
void tmpdir_remove(const char *dir);

/* A Criterion suite whose every test gets a new directory dir (/tmp/
 * NAME-XXXXXX) and file, the path of FILENAME in it (a char array), both
 * gone after it:
 *
 *   static char dir[TMPDIR_MAX], path[128];
 *   TMPDIR_SUITE(store, dir, "ptm-store", path, "state.db");
 */
#define TMPDIR_SUITE(suite, dir, name, file, filename)                       \
	static void suite##_tmpdir_setup(void)                               \
	{                                                                    \
		tmpdir_make(dir, name);                                      \
		snprintf(file, sizeof file, "%s/%s", dir, filename);         \
	}                                                                    \
	static void suite##_tmpdir_teardown(void) { tmpdir_remove(dir); }    \
	TestSuite(suite, .init = suite##_tmpdir_setup, .fini = suite##_tmpdir_teardown)

#endif
