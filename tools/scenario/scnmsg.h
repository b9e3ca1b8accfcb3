/*
 * tools/scenario/scnmsg.h — the scenario runner's messages: printf into a caller's
 * fixed buffer (why a step failed, what a process did), where cutting a
 * long message short is acceptable.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNMSG_H
#define PTM_TOOLS_SCENARIO_SCNMSG_H

#include <stddef.h>

/* snprintf into buf (n bytes, n > 0): always terminated, truncated if
 * longer. */
void scnmsg_printf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
