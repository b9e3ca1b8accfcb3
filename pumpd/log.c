/* pumpd/log.c — one line an event on stderr (see log.h). */
#include "pumpd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/esc.h"

static int cur_level = LOG_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

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
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
