/*
 * tests/test_ctl_print.c — ptmctl's words for what the pump sent: text that
 * came over the wire (the drug's name, an error's detail, audit-log lines)
 * reaches the terminal rendered printable, even from a pump whose codec
 * would let an escape sequence through.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/msg.h"
#include "tools/ctl.h"

static char *printed(void (*fn)(FILE *, const struct msg_reply *), const struct msg_reply *r)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	cr_assert_not_null(f);
	fn(f, r);
	cr_assert_eq(fclose(f), 0);
	return mem;
}

static void no_controls(const char *s)
{
	for (const char *c = s; *c; c++)
		cr_assert(*c == '\n' || ((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f),
		          "raw byte 0x%02x at %td in:\n%s", (unsigned char)*c, c - s, s);
}

Test(ctl_print, text_from_the_pump_is_printed_printable)
{
	static struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.req_type = MSG_LOG;
	r.state.now_ms = 1767225600000ull;
	snprintf(r.state.drug, sizeof r.state.drug, "mor\x1b[31mphine");
	r.u.log.n = 1;
	r.u.log.e[0].seq = 1;
	r.u.log.e[0].at_ms = 1767225600000ull;
	snprintf(r.u.log.e[0].text, sizeof r.u.log.e[0].text, "pumpd started\x1b]0;x\x07");
	char *out = printed(ctl_print_reply, &r);
	no_controls(out);
	cr_assert(strstr(out, "drug       mor\\x1b[31mphine "), "%s", out);
	cr_assert(strstr(out, "pumpd started\\x1b]0;x\\x07\n"), "%s", out);
	free(out);

	r.req_type = MSG_BOLUS;
	r.err = MSG_E_RANGE;
	snprintf(r.detail, sizeof r.detail, "volume_nl\r\x1b[2K");
	out = printed(ctl_print_reply, &r);
	no_controls(out);
	cr_assert(strstr(out, ": volume_nl\\r\\x1b[2K\n"), "%s", out);
	free(out);
}
