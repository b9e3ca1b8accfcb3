/*
 * tools/scenario/scnlex.h — the scenario language's words: a line is split into
 * tokens by spaces and tabs, "double quotes" group (and are removed), and a
 * '#' at the start of a token ends the line.  No I/O, no allocation.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNLEX_H
#define PTM_TOOLS_SCENARIO_SCNLEX_H

#include <stddef.h>

#define SCNLEX_LINE_MAX 1024 /* bytes of one line, with its NUL */
#define SCNLEX_TOK_MAX  48   /* words on one line */

#define SCNLEX_E_QUOTE (-1)  /* a quote that is not closed */
#define SCNLEX_E_MANY  (-2)  /* more than SCNLEX_TOK_MAX words */

/* Split line (modified in place) into tok[0..n).  Returns n or
 * SCNLEX_E_*.  The tokens point into line. */
int scnlex_split(char *line, char **tok);

/* Remove leading and trailing blanks (and a trailing '\r') in place. */
void scnlex_trim(char *p);

/* tok[i] is "<<WORD", or "<<" followed by the token WORD: returns WORD and
 * sets *used to the tokens it took (1 or 2); "" when "<<" ends the line;
 * NULL when tok[i] does not start a heredoc. */
const char *scnlex_heredoc(char **tok, int ntok, int i, int *used);

/* The prescription argument of tok[0] (rx, program): "<<WORD" (*heredoc
 * set to WORD) or one file name (*file set); the other NULL.  0, or the
 * error in err (n bytes) and -EINVAL. */
int scnlex_rx_arg(char **tok, int ntok, const char **heredoc, const char **file,
                  char *err, size_t n);

/* The source line for TAP: the trimmed line without a trailing comment
 * (kept when the comment holds a quote, so a quoted '#' survives). */
void scnlex_describe(char *src);

/* A step's error into err (n bytes, cut to fit): "PREFIX: " when prefix
 * is not NULL, then fmt's text.  Returns -EINVAL. */
int scnlex_err(char *err, size_t n, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
