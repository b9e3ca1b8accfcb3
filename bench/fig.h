/*
 * bench/fig.h — a benchmark's figure: the median of several runs with its
 * spread (min-max), beside its anchor measured in the same run, the ratio
 * and the target; printed as one line and added to the results file
 * ($BENCH_RESULTS, else $PTM_BUILD/bench/results.json), written with
 * jansson:
 *
 *   { "figures": [ { "name", "value", "unit", "anchor_name", "anchor_value",
 *                    "ratio", "target", "higher_is_better",
 *                    "target_on" ("ratio" | "value"), "met",
 *                    "min", "max", "runs": [...],
 *                    "anchor_min", "anchor_max", "note" }, ... ] }
 *
 * ratio = value / anchor_value (null without an anchor).  A target applies
 * to the ratio or to the value, in the direction higher_is_better says:
 * higher is better: met when it >= target; else met when it <= target.
 *
 * Memory: plain data owned by the caller; strings are pointed to.
 */
#ifndef PTM_BENCH_FIG_H
#define PTM_BENCH_FIG_H

#define FIG_RUNS_MAX 16

struct fig_runs {
	double v[FIG_RUNS_MAX];
	int n;
};

void fig_add(struct fig_runs *r, double v);
double fig_median(const struct fig_runs *r);
double fig_min(const struct fig_runs *r);
double fig_max(const struct fig_runs *r);

/* Runs per figure: $BENCH_RUNS (3..16), default 3. */
int fig_nruns(void);

enum fig_target { FIG_NO_TARGET = 0, FIG_ON_RATIO, FIG_ON_VALUE };

struct fig {
	const char *name, *unit;
	const struct fig_runs *runs;
	const char *anchor_name;          /* NULL: no anchor */
	const struct fig_runs *anchor;
	int target_on;                    /* enum fig_target */
	double target;
	int higher_is_better;
	const char *note;                 /* printed under the line; may be NULL */
};

/* Print the figure and add it to the results file.  0, or -1 when the file
 * could not be written (said on stderr). */
int fig_emit(const struct fig *f);

#endif
