/*
 * tests/test_esc.c — util/esc: untrusted bytes rendered so that no byte of
 * them reaches a terminal as a control: escapes, quotes kept, cuts only
 * between whole escapes, the full length reported.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/esc.h"

Test(esc, printable_ascii_is_kept_quotes_included)
{
	char b[64];
	const char *s = "drug = 'morphine' \"10 mg/mL\" ~!";
	cr_assert_eq(esc_str(b, sizeof b, s), strlen(s));
	cr_assert_str_eq(b, s);
}

/* verifies: SR-UI-006 */
Test(esc, controls_del_and_high_bytes_become_escapes)
{
	char b[128];
	const char in[] = "a\x1b[31mred\x07\x7f\n\r\t\\\x9b\xc2\xb5";
	size_t n = esc_mem(b, sizeof b, in, sizeof in - 1);
	cr_assert_str_eq(b, "a\\x1b[31mred\\x07\\x7f\\n\\r\\t\\\\\\x9b\\xc2\\xb5");
	cr_assert_eq(n, strlen(b));
	for (size_t i = 0; b[i]; i++)
		cr_assert(b[i] >= 0x20 && b[i] <= 0x7e, "byte %zu is 0x%02x", i,
		          (unsigned char)b[i]);
	/* a NUL inside counted bytes is shown, not an end */
	cr_assert_eq(esc_mem(b, sizeof b, "a\0b", 3), 6);
	cr_assert_str_eq(b, "a\\x00b");
}

Test(esc, every_byte_renders_printable_within_esc_max)
{
	unsigned char all[256];
	static char b[ESC_MAX(256)];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	size_t n = esc_mem(b, sizeof b, all, sizeof all);
	cr_assert_lt(n, sizeof b);
	cr_assert_eq(strlen(b), n);
	for (size_t i = 0; i < n; i++)
		cr_assert(b[i] >= 0x20 && b[i] <= 0x7e);
}

Test(esc, a_short_buffer_is_cut_between_whole_escapes_and_the_length_told)
{
	char b[6];
	/* "ab\x1b" needs 6 bytes and the NUL: only "ab" fits whole */
	cr_assert_eq(esc_str(b, sizeof b, "ab\x1b" "c"), 7);
	cr_assert_str_eq(b, "ab");
	/* nothing after a cut, even what would fit */
	cr_assert_eq(esc_str(b, 5, "a\x1b" "b"), 6);
	cr_assert_str_eq(b, "a");
	cr_assert_eq(esc_str(b, 1, "x"), 1);
	cr_assert_str_eq(b, "");
	cr_assert_eq(esc_str(NULL, 0, "xy"), 2);
	cr_assert_eq(esc_str(b, sizeof b, NULL), 0);
	cr_assert_str_eq(b, "");
	cr_assert_str_eq(esc_s(b, sizeof b, "\x01"), "\\x01");
}

Test(esc, fputs_writes_the_same_rendering)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	cr_assert_not_null(f);
	cr_assert_eq(esc_fputs("x\x1b]0;title\x07y", f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_str_eq(mem, "x\\x1b]0;title\\x07y");
	free(mem);
}
