/*
 * net/report_chart.c — the report's pictures as ASCII text (see
 * report_chart.h).  Integer arithmetic only.
 */
#include <stdio.h>
#include <string.h>

#include "net/report_chart.h"
#include "util/units.h"

static void put(struct report_chart *c, const char *s)
{
	if (c->n < REPORT_CHART_ROWS)
		snprintf(c->line[c->n++], REPORT_CHART_W + 1, "%s", s);
}

static unsigned clampu(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* value scaled to cells of a column `rows` high: ceil, so anything above 0
 * shows */
static unsigned cells(uint64_t v, uint64_t max, unsigned rows)
{
	if (!v || !max)
		return 0;
	return (unsigned)(((unsigned __int128)v * rows + max - 1) / max);
}

void report_chart_hours(const struct report *r, unsigned rows, struct report_chart *c)
{
	char b[REPORT_CHART_W + 1], t0[UNITS_FMT_MAX], t1[UNITS_FMT_MAX], m[UNITS_FMT_MAX];
	uint64_t max = 0;
	memset(c, 0, sizeof *c);
	rows = clampu(rows, 2, 12);
	for (unsigned h = 0; h < REPORT_HOURS; h++)
		if (r->basal_ng[h] + r->bolus_ng[h] > max)
			max = r->basal_ng[h] + r->bolus_ng[h];
	/* the scale's top to the nearest mcg (a label, not a figure to check:
	 * "0.118 mg", not "0.118367 mg") */
	snprintf(b, sizeof b, "drug per hour, top %s/h  (# basal, o boluses)",
	         units_fmt_dose(max >= 1000 ? (max + 500) / 1000 * 1000 : max, m));
	put(c, b);
	for (unsigned row = rows; row >= 1; row--) {
		/* 6 columns of axis, then one a hour */
		memset(b, ' ', sizeof b);
		memcpy(b, row == rows ? " max |" : row == 1 ? "   0 |" : "     |", 6);
		for (unsigned h = 0; h < REPORT_HOURS; h++) {
			uint64_t tot = r->basal_ng[h] + r->bolus_ng[h];
			unsigned all = cells(tot, max, rows);
			unsigned bas = cells(r->basal_ng[h], max, rows);
			if (bas > all)
				bas = all;
			if (r->bolus_ng[h] && bas == all && all > 0)
				bas = all - 1;   /* a bolus shows, however small */
			b[6 + h] = row <= bas ? '#' : row <= all ? 'o' : ' ';
		}
		b[6 + REPORT_HOURS] = '\0';
		put(c, b);
	}
	memset(b, '-', 6 + REPORT_HOURS);
	b[5] = '+';
	b[6 + REPORT_HOURS] = '\0';
	put(c, b);
	units_fmt_time(r->hours_ms, t0);
	units_fmt_time(r->hours_ms + (REPORT_HOURS - 1) * REPORT_HOUR_MS, t1);
	t0[16] = t1[16] = '\0';          /* to the minute */
	snprintf(b, sizeof b, "      %-*.16s%.16s", REPORT_HOURS - 16, t0, t1);
	put(c, b);
}

static const char letters[REPORT_C__COUNT] = { 'G', 'L', 'D', 'C', 'O' };

void report_chart_days(const struct report *r, unsigned rows, struct report_chart *c)
{
	char b[REPORT_CHART_W + 1], d[UNITS_FMT_MAX];
	const unsigned room = 40;       /* letters a line */
	memset(c, 0, sizeof *c);
	rows = clampu(rows, 1, REPORT_CHART_ROWS - 1);
	put(c, "requests per day: G granted, L lockout, D daily count, C ceiling, O other");
	if (!r->n_days) {
		put(c, "(no bolus request since the last visit)");
		return;
	}
	unsigned first = r->n_days > rows ? r->n_days - rows : 0;
	uint32_t max = 1;
	for (unsigned i = first; i < r->n_days; i++) {
		uint32_t t = 0;
		for (int k = 0; k < REPORT_C__COUNT; k++)
			t += r->days[i].n[k];
		if (t > max)
			max = t;
	}
	for (unsigned i = first; i < r->n_days; i++) {
		const struct report_day *day = &r->days[i];
		size_t n = 0;
		uint32_t tot = 0;
		units_fmt_time(day->day_ms, d);
		d[10] = '\0';
		n += (size_t)snprintf(b + n, sizeof b - n, "%s ", d);
		for (int k = 0; k < REPORT_C__COUNT; k++) {
			/* each outcome's letters, scaled to the room when the
			 * busiest day holds more */
			unsigned w = max > room ? (unsigned)(((uint64_t)day->n[k] * room + max - 1) / max)
			                        : day->n[k];
			for (unsigned j = 0; j < w && n < 11 + room; j++)
				b[n++] = letters[k];
			tot += day->n[k];
		}
		while (n < 11 + room + 1)
			b[n++] = ' ';
		snprintf(b + n, sizeof b - n, "%3u%s", (unsigned)tot,
		         max > room ? " (scaled)" : "");
		put(c, b);
	}
}

void report_chart_reservoir(const struct report *r, unsigned rows, struct report_chart *c)
{
	enum { W = 60 };
	char grid[12][W + 1], b[REPORT_CHART_W + 1], t[UNITS_FMT_MAX], v[UNITS_FMT_MAX];
	memset(c, 0, sizeof *c);
	rows = clampu(rows, 3, 12);
	uint64_t cap = r->state.capacity_nl;
	for (unsigned i = 0; i < r->n_res; i++)
		if (r->res[i].nl > cap)
			cap = r->res[i].nl;
	snprintf(b, sizeof b, "reservoir, top %s  (* the pump's figures, . forecast, o refill due)",
	         units_fmt_volume(cap, v));
	put(c, b);
	if (r->n_res == 0 || cap == 0) {
		put(c, "(no reservoir figure)");
		return;
	}
	/* the points in the log's order: from the earliest to the latest time
	 * (a pump whose times went back draws at the edges, never outside) */
	uint64_t t0 = r->res[0].at_ms, t1 = t0;
	for (unsigned i = 0; i < r->n_res; i++) {
		t0 = r->res[i].at_ms < t0 ? r->res[i].at_ms : t0;
		t1 = r->res[i].at_ms > t1 ? r->res[i].at_ms : t1;
	}
	uint64_t span = t1 > t0 ? t1 - t0 : 1;
	for (unsigned y = 0; y < rows; y++) {
		memset(grid[y], ' ', W);
		grid[y][W] = '\0';
	}
	/* y row of a volume: 0 at the top (the capacity), rows-1 at 0 */
	#define ROW(nl) ((unsigned)((rows - 1) - (unsigned)((unsigned __int128)(nl) * (rows - 1) / cap)))
	#define COL(ms) ((unsigned)((unsigned __int128)((ms) - t0) * (W - 1) / span))
	for (unsigned i = 1; i < r->n_res; i++) {
		unsigned x0 = COL(r->res[i - 1].at_ms), x1 = COL(r->res[i].at_ms);
		char mark = r->res[i].forecast ? '.' : '*';
		if (x1 < x0)
			continue;            /* time went back: no line */
		for (unsigned x = x0; x <= x1; x++) {
			/* the volume at column x, on the straight line between */
			uint64_t a = r->res[i - 1].nl, z = r->res[i].nl;
			uint64_t nl = x1 == x0 ? z
			            : a > z ? a - (a - z) * (x - x0) / (x1 - x0)
			                    : a + (z - a) * (x - x0) / (x1 - x0);
			grid[ROW(nl)][x] = mark;
		}
	}
	for (unsigned i = 0; i < r->n_res; i++)
		grid[ROW(r->res[i].nl)][COL(r->res[i].at_ms)] = r->res[i].forecast ? 'o' : '*';
	#undef ROW
	#undef COL
	for (unsigned y = 0; y < rows; y++) {
		snprintf(b, sizeof b, "%9.9s |%.60s",
		         y == 0 ? units_fmt_volume(cap, v) : y == rows - 1 ? "0" : "", grid[y]);
		put(c, b);
	}
	units_fmt_time(t0, t);
	t[16] = '\0';
	units_fmt_time(t1, v);
	v[16] = '\0';
	snprintf(b, sizeof b, "           %-*.16s%.16s", W - 16, t, v);
	put(c, b);
}
