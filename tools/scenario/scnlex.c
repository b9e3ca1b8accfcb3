/*
 * tools/scenario/scnlex.c — splitting scenario lines into words (see scnlex.h).
 */
#include "tools/scenario/scnlex.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "util/fmt.h"

int scnlex_err(char *err, size_t n, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	struct strbuf b;
	strbuf_fixed(&b, err, n);
	if (prefix)
		strbuf_printf(&b, "%s: ", prefix);
	va_start(ap, fmt);
	if (!b.full)
		vfmt_set(err + b.len, n - b.len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int scnlex_rx_arg(char **tok, int ntok, const char **heredoc, const char **file,
                  char *err, size_t n)
{
	int used = 0;
	*heredoc = *file = NULL;
	if (ntok < 2)
		return scnlex_err(err, n, NULL, "%s needs <<EOF (the prescription follows) or a file name", tok[0]);
	*heredoc = scnlex_heredoc(tok, ntok, 1, &used);
	if (*heredoc) {
		if (1 + used != ntok)
			return scnlex_err(err, n, NULL, "%s: unexpected '%s' after the heredoc word", tok[0], tok[1 + used]);
		return 0;
	}
	if (ntok != 2)
		return scnlex_err(err, n, NULL, "%s takes one file name", tok[0]);
	*file = tok[1];
	return 0;
}

void scnlex_trim(char *p)
{
	size_t n = strlen(p);
	char *q = p;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		p[--n] = '\0';
	while (*q == ' ' || *q == '\t')
		q++;
	if (q != p)
		memmove(p, q, strlen(q) + 1);
}

int scnlex_split(char *line, char **tok)
{
	int n = 0;
	char *r = line, *w;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			break;
		if (n == SCNLEX_TOK_MAX)
			return SCNLEX_E_MANY;
		tok[n++] = w = r;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '"') {
				r++;
				while (*r && *r != '"')
					*w++ = *r++;
				if (*r != '"')
					return SCNLEX_E_QUOTE;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w = '\0';
	}
	return n;
}

const char *scnlex_heredoc(char **tok, int ntok, int i, int *used)
{
	if (strncmp(tok[i], "<<", 2) != 0)
		return NULL;
	if (tok[i][2]) {
		*used = 1;
		return tok[i] + 2;
	}
	/* a bare "<<" ending the line has no word: "" (callers refuse it) */
	*used = i + 1 < ntok ? 2 : 1;
	return i + 1 < ntok ? tok[i + 1] : "";
}

void scnlex_describe(char *src)
{
	char *h;
	scnlex_trim(src);
	h = strstr(src, " #");
	if (h && !strchr(h, '"')) {
		*h = '\0';
		scnlex_trim(src);
	}
}
