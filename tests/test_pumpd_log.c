/* tests/test_pumpd_log.c — the daemon's log: lines held during a loop turn
 * come out whole and in order, an error or a warning at once after them. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pumpd/log.h"
#include "tests/lib/tmpdir.h"

static char dir[TMPDIR_MAX];
static char path[128];
static int saved = -1;

/* stderr goes to a file of the test's own while it runs */
static void setup(void)
{
	tmpdir_make(dir, "ptm-log");
	snprintf(path, sizeof path, "%s/err", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	saved = dup(STDERR_FILENO);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	close(fd);
}

static void teardown(void)
{
	log_hold(0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	tmpdir_remove(dir);
}

TestSuite(pumpd_log, .init = setup, .fini = teardown);

/* what the log file holds so far */
static const char *logged(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	cr_assert(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

Test(pumpd_log, held_lines_wait_for_the_turn_and_keep_their_order)
{
	log_set_level(LOG_DEBUG);
	log_info("not held");
	cr_assert_str_eq(logged(), "pumpd: info: not held\n");
	log_hold(1);
	log_info("one");
	log_debug("two");
	cr_assert_str_eq(logged(), "pumpd: info: not held\n", "held until flushed");
	log_warn("three");   /* at once, after what was held */
	cr_assert_str_eq(logged(), "pumpd: info: not held\npumpd: info: one\n"
	                 "pumpd: debug: two\npumpd: warn: three\n");
	log_info("four");
	log_flush();
	cr_assert(strstr(logged(), "three\npumpd: info: four\n"), "%s", logged());
	log_info("five");
	log_hold(0);   /* lets go of what it held */
	cr_assert(strstr(logged(), "four\npumpd: info: five\n"), "%s", logged());
	log_info("six");
	cr_assert(strstr(logged(), "five\npumpd: info: six\n"), "not held");
}

Test(pumpd_log, more_than_the_buffer_holds_is_written_whole_and_in_order)
{
	log_set_level(LOG_INFO);
	log_hold(1);
	char line[600];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	for (int i = 0; i < 100; i++)
		log_info("%03d %s", i, line);
	log_flush();
	FILE *f = fopen(path, "r");
	cr_assert(f);
	static char got[700];
	for (int i = 0; i < 100; i++) {
		cr_assert(fgets(got, sizeof got, f), "line %d missing", i);
		char want[32];
		snprintf(want, sizeof want, "pumpd: info: %03d ", i);
		cr_assert_eq(strncmp(got, want, strlen(want)), 0, "line %d: %.20s", i, got);
		cr_assert_eq(strlen(got), strlen(want) + sizeof line - 1 + 1);
	}
	cr_assert_null(fgets(got, sizeof got, f));
	fclose(f);
}
