/* pumpd/log.c — one line an event on stderr (see log.h). */
#include "pumpd/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/esc.h"

static int cur_level = LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

#define HELD_MAX 16384   /* bytes of lines held for one write */
static char held[HELD_MAX];
static size_t nheld;
static int holding, flush_at_exit;

/* All of p on stderr (a pipe or a file may take it in parts). */
static void put(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;   /* nowhere to say so: the log is the place */
		p += w;
		n -= (size_t)w;
	}
}

void log_flush(void)
{
	size_t n = nheld;
	nheld = 0;
	put(held, n);
}

void log_hold(int on)
{
	if (on && !flush_at_exit)
		flush_at_exit = atexit(log_flush) == 0;
	if (!on)
		log_flush();
	holding = on && flush_at_exit;
}

void log_set_level(int level)
{
	if (level >= LOG_ERROR && level <= LOG_DEBUG)
		cur_level = level;
}

int log_get_level(void)
{
	return cur_level;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (s && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int level)
{
	return level >= LOG_ERROR && level <= LOG_DEBUG ? names[level] : "?";
}

int log_enabled(int level)
{
	return level <= cur_level;
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	int n = snprintf(line, sizeof line, "pumpd: %s: ", log_level_name(level));
	if (n < 0)
		return;
	va_start(ap, fmt);
	char raw[768];
	int m = vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* names, details and messages may come from a remote or a file: a log
	 * line is one line, and no byte of it acts on a terminal */
	size_t len = (size_t)n + esc_mem(line + n, sizeof line - (size_t)n - 1,
	                                 raw, strlen(raw));
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	if (holding && level > LOG_WARN) {
		if (nheld + len > sizeof held)
			log_flush();
		memcpy(held + nheld, line, len);
		nheld += len;
		return;
	}
	log_flush();
	put(line, len);
}
