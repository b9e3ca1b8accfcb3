/*
 * net/report_chart.h — the report's pictures as plain text for a terminal:
 * ASCII only, no colour (they read the same on a monochrome screen and in
 * a pipe), at most 80 columns, a few rows: drug per hour (basal '#',
 * boluses 'o' stacked on it), requests per day by outcome (one letter a
 * request), the reservoir over time ('*' what the pump computed, '.' its
 * forecast).  Pure text: ptmctl prints it, ptm's programmer can draw it.
 */
#ifndef PTM_NET_REPORT_CHART_H
#define PTM_NET_REPORT_CHART_H

#include "net/report.h"

#define REPORT_CHART_W    80        /* columns of a chart line, at most */
#define REPORT_CHART_ROWS 16        /* lines of a chart, at most */

struct report_chart {
	unsigned n;                               /* lines used */
	char line[REPORT_CHART_ROWS][REPORT_CHART_W + 1];
};

/* Drug per hour over the report's REPORT_HOURS in `rows` lines of bars
 * (2..12) and an axis line with the first hour's and the last hour's time
 * (UTC).  The top line names the scale ("0.1 mg/h" per full column). */
void report_chart_hours(const struct report *r, unsigned rows, struct report_chart *c);

/* Requests per day by outcome, one line a day (the newest `rows` days):
 * "2026-03-02 GGGLD  3 granted 1 lockout 1 daily", a letter a request
 * (G granted, L lockout, D daily count, C ceiling, O other), scaled when a
 * day holds more than fit (the line then says so). */
void report_chart_days(const struct report *r, unsigned rows, struct report_chart *c);

/* The reservoir's points on a grid of `rows` lines (3..12) by 60 columns,
 * 0 to the capacity upwards, the first point's time to the last's across. */
void report_chart_reservoir(const struct report *r, unsigned rows, struct report_chart *c);

#endif
