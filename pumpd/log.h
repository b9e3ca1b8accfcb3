/*
 * pumpd/log.h — the daemon's log: one line an event on stderr,
 *   "pumpd: info: bolus granted to alice (0.5 mg, ends 12:10:00)"
 * with a level filter.  Lines are written whole (one write(2) for a line
 * or for the lines held, below) so lines never interleave; every byte that
 * is not printable ASCII is shown escaped (util/esc.h), newlines included.
 * No allocation.
 */
#ifndef PTM_PUMPD_LOG_H
#define PTM_PUMPD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Show events at or above this level (default LOG_INFO). */
void log_set_level(int level);
int log_get_level(void);

/* "error", "warn", "info", "debug" -> level, or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* 1 if a message at level would be printed. */
int log_enabled(int level);

/* Print one line (a trailing newline is added; anything not printable
 * inside, newlines included, is escaped). */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* While held (the daemon's loop: pumpd/batch.c), info and debug lines
 * wait in a buffer for log_flush at the end of the loop turn: one write a
 * turn, not one a request.  An error or a warning is written at once,
 * after the lines held before it; log_hold(0) and exit() flush. */
void log_hold(int on);
void log_flush(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
