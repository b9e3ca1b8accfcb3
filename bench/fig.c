/* bench/fig.c — figures: median and spread, one line, the results file
 * (see fig.h). */
#include "bench/fig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void fig_add(struct fig_runs *r, double v)
{
	if (r->n < FIG_RUNS_MAX)
		r->v[r->n++] = v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double fig_median(const struct fig_runs *r)
{
	double s[FIG_RUNS_MAX];
	if (r->n == 0)
		return NAN;
	memcpy(s, r->v, sizeof s[0] * (size_t)r->n);
	qsort(s, (size_t)r->n, sizeof s[0], cmp_d);
	return r->n % 2 ? s[r->n / 2] : (s[r->n / 2 - 1] + s[r->n / 2]) / 2;
}

double fig_min(const struct fig_runs *r)
{
	double m = r->n ? r->v[0] : NAN;
	for (int i = 1; i < r->n; i++)
		if (r->v[i] < m)
			m = r->v[i];
	return m;
}

double fig_max(const struct fig_runs *r)
{
	double m = r->n ? r->v[0] : NAN;
	for (int i = 1; i < r->n; i++)
		if (r->v[i] > m)
			m = r->v[i];
	return m;
}

int fig_nruns(void)
{
	const char *s = getenv("BENCH_RUNS");
	int n = s ? atoi(s) : 3;
	return n < 3 ? 3 : n > FIG_RUNS_MAX ? FIG_RUNS_MAX : n;
}

static const char *results_path(void)
{
	static char path[512];
	const char *e = getenv("BENCH_RESULTS");
	if (e && *e)
		return e;
	const char *b = getenv("PTM_BUILD");
	snprintf(path, sizeof path, "%s/bench/results.json", b && *b ? b : "build");
	return path;
}

/* A number with precision that suits its size. */
static void fmt(char *buf, size_t cap, double v)
{
	double a = fabs(v);
	if (isnan(v))
		snprintf(buf, cap, "-");
	else if (a >= 1000 || a == floor(a))
		snprintf(buf, cap, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, cap, "%.1f", v);
	else if (a >= 0.1)
		snprintf(buf, cap, "%.2f", v);
	else
		snprintf(buf, cap, "%.3g", v);
}

static json_t *jnum(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *jruns(const struct fig_runs *r)
{
	json_t *a = json_array();
	for (int i = 0; r && i < r->n; i++)
		json_array_append_new(a, jnum(r->v[i]));
	return a;
}

/* met: 1, 0, or -1 when there is no target or nothing to judge */
static int judge(const struct fig *f, double value, double ratio)
{
	if (f->target_on == FIG_NO_TARGET)
		return -1;
	double x = f->target_on == FIG_ON_RATIO ? ratio : value;
	if (isnan(x))
		return -1;
	return f->higher_is_better ? x >= f->target : x <= f->target;
}

static int write_json(const struct fig *f, double value, double av, double ratio,
                      int met)
{
	const char *path = results_path();
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		root = json_pack("{s:[]}", "figures");
	}
	json_t *figs = json_object_get(root, "figures");
	if (!json_is_array(figs)) {
		figs = json_array();
		json_object_set_new(root, "figures", figs);
	}
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "value", jnum(value));
	json_object_set_new(o, "unit", json_string(f->unit));
	json_object_set_new(o, "anchor_name", f->anchor_name ?
	                    json_string(f->anchor_name) : json_null());
	json_object_set_new(o, "anchor_value", jnum(av));
	json_object_set_new(o, "ratio", jnum(ratio));
	json_object_set_new(o, "target", f->target_on ? jnum(f->target) : json_null());
	json_object_set_new(o, "higher_is_better", json_boolean(f->higher_is_better));
	json_object_set_new(o, "target_on", f->target_on == FIG_ON_RATIO ?
	                    json_string("ratio") : f->target_on == FIG_ON_VALUE ?
	                    json_string("value") : json_null());
	json_object_set_new(o, "met", met < 0 ? json_null() : json_boolean(met));
	json_object_set_new(o, "min", jnum(fig_min(f->runs)));
	json_object_set_new(o, "max", jnum(fig_max(f->runs)));
	json_object_set_new(o, "runs", jruns(f->runs));
	if (f->anchor) {
		json_object_set_new(o, "anchor_min", jnum(fig_min(f->anchor)));
		json_object_set_new(o, "anchor_max", jnum(fig_max(f->anchor)));
		json_object_set_new(o, "anchor_runs", jruns(f->anchor));
	}
	if (f->note)
		json_object_set_new(o, "note", json_string(f->note));
	json_array_append_new(figs, o);

	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int rc = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc == 0 && rename(tmp, path) == 0)
		return 0;
	fprintf(stderr, "bench: cannot write %s\n", path);
	remove(tmp);
	return -1;
}

int fig_emit(const struct fig *f)
{
	double value = fig_median(f->runs);
	double av = f->anchor ? fig_median(f->anchor) : NAN;
	double ratio = f->anchor && av != 0 ? value / av : NAN;
	int met = judge(f, value, ratio);
	char v[32], lo[32], hi[32], a[32], alo[32], ahi[32], r[32], t[32];
	fmt(v, sizeof v, value);
	fmt(lo, sizeof lo, fig_min(f->runs));
	fmt(hi, sizeof hi, fig_max(f->runs));
	printf("%s: %s %s [%s-%s, %d runs]", f->name, v, f->unit, lo, hi, f->runs->n);
	if (f->anchor) {
		fmt(a, sizeof a, av);
		fmt(alo, sizeof alo, fig_min(f->anchor));
		fmt(ahi, sizeof ahi, fig_max(f->anchor));
		snprintf(r, sizeof r, "%.3f", ratio);
		printf("   anchor %s: %s %s [%s-%s]   ratio %sx", f->anchor_name, a,
		       f->unit, alo, ahi, r);
	}
	if (f->target_on) {
		fmt(t, sizeof t, f->target);
		printf("   target: %s %s %s%s -> %s", f->target_on == FIG_ON_RATIO ?
		       "ratio" : "value", f->higher_is_better ? ">=" : "<=", t,
		       f->target_on == FIG_ON_RATIO ? "x" : "",
		       met < 0 ? "n/a" : met ? "met" : "MISSED");
	}
	printf("\n");
	if (f->note)
		printf("    %s\n", f->note);
	fflush(stdout);
	return write_json(f, value, av, ratio, met);
}
