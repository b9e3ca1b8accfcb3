/*
 * util/esc.h — untrusted bytes (from a file, the wire, a command line) made
 * safe to print on a terminal or in a log.  The bottom layer: depends on
 * nothing but the C library; everything may use it.
 */
#ifndef PTM_UTIL_ESC_H
#define PTM_UTIL_ESC_H

#include <stddef.h>
#include <stdio.h>

/*
 * Printable ASCII (0x20..0x7e) is copied as it is, quotes included (a value
 * shown as '...' keeps its quotes visible); everything else becomes an
 * escape a person can read and no terminal acts on:
 *
 *   \n \r \t       for newline, carriage return, tab
 *   \\             for a backslash (so every backslash escape shown is ours)
 *   \xHH           for every other byte: controls (ESC is \x1b), DEL, and
 *                  each byte >= 0x80 (UTF-8 too: the C1 controls 0x80..0x9f
 *                  act on some terminals, and an error message is where the
 *                  exact bytes matter)
 *
 * So a prescription line "drug = \e[31mred" is reported as
 * 'drug = \x1b[31mred' and cannot recolour the tester's terminal.
 *
 * Output is always NUL-terminated (cap > 0) and cut only between whole
 * escapes.  Nothing here allocates.
 */

/* Bytes needed to render n input bytes in the worst case, with the NUL. */
#define ESC_MAX(n) ((n) * 4 + 1)

/* Render len bytes of in into out (cap bytes).  Returns the length the
 * whole rendering has (without the NUL), as snprintf does: >= cap means
 * out holds only a prefix. */
size_t esc_mem(char *out, size_t cap, const void *in, size_t len);

/* The same for a NUL-terminated string (NULL renders as ""). */
size_t esc_str(char *out, size_t cap, const char *s);

/* esc_str into buf and return buf: for a printf argument,
 *   char d[ESC_MAX(MSG_DRUG_MAX)];
 *   printf("drug %s\n", esc_s(d, sizeof d, s->drug));  */
const char *esc_s(char *buf, size_t cap, const char *s);

/* Write the rendering of s to f (no limit on length).  0, or EOF when
 * the stream failed. */
int esc_fputs(const char *s, FILE *f);

#endif
