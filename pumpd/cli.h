/*
 * pumpd/cli.h — what pumpd's subcommands (pumpd/cmd_*.c) share: exit
 * codes, usage errors, option parsing, number parsing, opening the state.
 * Messages go to stderr, prefixed "pumpd CMD: ".
 */
#ifndef PTM_PUMPD_CLI_H
#define PTM_PUMPD_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "pumpd/store.h"

#define CLI_OK    0   /* done */
#define CLI_RUN   1   /* a runtime error (a file, the database, an address) */
#define CLI_USAGE 2   /* a bad command line or input file */

/* Print "pumpd CMD: <message>" and a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Strict unsigned decimal: digits only, no sign, at most max.  0 or -1. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* getopt_long over argv (argv[0] is the command name) with permutation, so
 * options may follow positional arguments, which are collected into pos[]
 * (at most maxpos, *npos of them).  on_opt(ud, val, optarg) handles each
 * option and returns 0 or an exit code.  Returns 0, -1 for --help/-h (the
 * caller prints its usage), or an exit code after printing why. */
int cli_getopts(int argc, char **argv, const struct option *opts,
                const char *cmd, int (*on_opt)(void *, int, const char *),
                void *ud, const char **pos, int maxpos, int *npos);

/* For commands with no options but --help. */
extern const struct option cli_help_only[];
int cli_no_opt(void *ud, int c, const char *arg);

/* Check the state directory (statedir_check with mode) and open its
 * database; NULL after printing why. */
struct store *cli_open_store(const char *dir, const char *cmd, int mode);

/* The pump's time as its state knows it: the later of the stored pump
 * time and the newest audit row's (a running pumpd stamps rows with its
 * clock, which may be ahead of the last save); -1 when unreadable.  A
 * simulated pump's time is not the wall clock, so a command's audit row
 * takes this one, keeping the log in time order. */
int64_t cli_pump_time(struct store *st);

/* change(st, ud) and its audit row (by "pump", text, at cli_pump_time) in
 * one transaction: 0, or the first error (nothing written). */
int cli_change_audited(struct store *st,
                       int (*change)(struct store *st, const void *ud),
                       const void *ud, const char *text);

#endif
