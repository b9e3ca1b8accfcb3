/* fuzz/fuzz_scenario.c — the scenario-language parser (tools/scenario/scn.h) on
 * arbitrary text, one line at a time as ptmctl feeds it.  Feeding goes on
 * after a refused line (the API promises a refused line leaves no partial
 * step, so a caller may), which reaches more parser states.  Checked:
 *   - a refused line has a message naming the file, and changes the step
 *     count by nothing; an accepted line adds at most one step;
 *   - every step read back is well formed: known kind and role, its line
 *     within the lines fed, at most SCN_CHECKS_MAX checks, every string
 *     NUL-terminated inside its array, heredoc bodies readable;
 *   - scn_finish either fails with a message or the scenario has a pump. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/scenario/scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.scn"

static void check_err(const struct scn *s)
{
	const char *e = scn_error(s);
	if (!e || strncmp(e, NAME ":", strlen(NAME) + 1) != 0 ||
	    strnlen(e, SCN_ERR_MAX) >= SCN_ERR_MAX)
		abort();
}

static void check_step(const struct scn_step *st, unsigned lines)
{
	volatile size_t sink = 0;
	if (st->kind > SCN_KILL9 || st->line == 0 || st->line > lines ||
	    strnlen(st->src, sizeof st->src) >= sizeof st->src)
		abort();
	if (st->kind == SCN_REQUEST || st->kind == SCN_RETRY)
		if (st->role >= SCN_ROLES)
			abort();
	if (st->rx_text)
		sink += strlen(st->rx_text);
	if (st->rx_file)
		sink += strlen(st->rx_file);
	if (st->kind == SCN_EXPECT) {
		if (st->n_checks > SCN_CHECKS_MAX || st->expect >= SCN_X__COUNT ||
		    st->roles >= 1u << SCN_ROLES)
			abort();
		for (unsigned i = 0; i < st->n_checks; i++) {
			const struct scn_check *c = &st->checks[i];
			if (c->field >= SCN_F__COUNT || c->op > SCN_GE ||
			    c->vtype > SCN_V_STR ||
			    strnlen(c->str, sizeof c->str) >= sizeof c->str ||
			    strnlen(c->text, sizeof c->text) >= sizeof c->text)
				abort();
		}
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	if (size > 64 * 1024)
		return 0;
	struct scn *s = scn_new(NAME);
	if (!s)
		return 0;
	size_t i = 0;
	unsigned lines = 0;
	while (i < size) {
		size_t j = i;
		while (j < size && buf[j] != '\n')
			j++;
		if (j < size)
			j++; /* with its newline, as fgets gives it */
		size_t before = scn_count(s);
		int rc = scn_feed(s, buf + i, j - i);
		lines++;
		if (rc == -ENOMEM)
			break;
		if (rc < 0) {
			if (rc != -EINVAL || scn_count(s) != before)
				abort();
			check_err(s);
		} else if (scn_count(s) > before + 1) {
			abort();
		}
		i = j;
	}
	int rc = scn_finish(s);
	if (rc < 0)
		check_err(s);
	for (size_t k = 0; k < scn_count(s); k++)
		check_step(scn_step_at(s, k), lines);
	if (scn_step_at(s, scn_count(s)) != NULL)
		abort();
	unsigned line = 0;
	const char *rx = scn_rx_text(s, &line);
	if (rx && strlen(rx) > size)
		abort();
	rx = scn_rx_file(s, &line);
	if (rx && strlen(rx) > size)
		abort();
	scn_free(s);
	return 0;
}
