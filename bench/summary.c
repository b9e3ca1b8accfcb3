/*
 * bench/summary.c — the closing table of `make bench`: every figure of the
 * results file with its anchor, ratio and target, and the targets missed.
 *
 *   summary [FILE]     (default $PTM_BUILD/bench/results.json)
 *
 * Exit 0 when the file was read (missed targets are reported, not an
 * error: a benchmark measures), 1 when it could not be.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static void fmt(char *buf, size_t cap, double v)
{
	double a = fabs(v);
	if (isnan(v))
		snprintf(buf, cap, "-");
	else if (a >= 100 || a == floor(a))
		snprintf(buf, cap, "%.0f", v);
	else if (a >= 1)
		snprintf(buf, cap, "%.1f", v);
	else
		snprintf(buf, cap, "%.3f", v);
}

int main(int argc, char **argv)
{
	char path[512];
	const char *b = getenv("PTM_BUILD");
	if (argc > 1)
		snprintf(path, sizeof path, "%s", argv[1]);
	else
		snprintf(path, sizeof path, "%s/bench/results.json", b && *b ? b : "build");
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	json_t *figs = root ? json_object_get(root, "figures") : NULL;
	if (!json_is_array(figs)) {
		fprintf(stderr, "summary: %s: %s\n", path, root ? "no figures array" : err.text);
		json_decref(root);
		return 1;
	}
	printf("%-28s %12s %-9s %12s %8s  %-16s %s\n", "figure", "value", "unit",
	       "anchor", "ratio", "target", "");
	size_t i, missed = 0, met = 0;
	json_t *f;
	json_array_foreach(figs, i, f) {
		char v[32], a[32], r[32], t[48] = "", sp[80];
		fmt(v, sizeof v, num(f, "value"));
		fmt(a, sizeof a, num(f, "anchor_value"));
		double ratio = num(f, "ratio");
		if (isnan(ratio))
			snprintf(r, sizeof r, "-");
		else
			snprintf(r, sizeof r, "%.3fx", ratio);
		json_t *m = json_object_get(f, "met");
		int hib = json_is_true(json_object_get(f, "higher_is_better"));
		if (json_is_number(json_object_get(f, "target"))) {
			char tv[32];
			fmt(tv, sizeof tv, num(f, "target"));
			snprintf(t, sizeof t, "%s %s %s%s", strcmp(str(f, "target_on"), "ratio") ?
			         "value" : "ratio", hib ? ">=" : "<=", tv,
			         strcmp(str(f, "target_on"), "ratio") ? "" : "x");
		}
		char lo[32], hi[32];
		fmt(lo, sizeof lo, num(f, "min"));
		fmt(hi, sizeof hi, num(f, "max"));
		snprintf(sp, sizeof sp, "[%s-%s]", lo, hi);
		printf("%-28s %12s %-9s %12s %8s  %-16s %s  %s\n", str(f, "name"), v,
		       str(f, "unit"), a, r, t,
		       json_is_true(m) ? "met" : json_is_false(m) ? "MISSED" : "", sp);
		if (json_is_true(m))
			met++;
		if (json_is_false(m))
			missed++;
	}
	printf("targets: %zu met, %zu missed (%s)\n", met, missed, path);
	json_decref(root);
	return 0;
}
