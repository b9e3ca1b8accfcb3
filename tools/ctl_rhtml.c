/*
 * tools/ctl_rhtml.c — the printable visit report: one self-contained HTML
 * page (no script, no outside file) with inline SVG charts that print in
 * monochrome (patterns, not colours).  Every number shown sits in an
 * element whose data-k is its path in the JSON report and data-u its unit
 * (ng, nl, ng_day, ng_ml, ms, time, int, str).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "tools/ctl_rep.h"
#include "util/units.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
				fputc(*s, f);
			else
				fputs("&#xfffd;", f);
		}
	}
}

/* <tag data-k=KEY data-u=UNIT>TEXT</tag>; key printf-style */
static void val(FILE *f, const char *tag, const char *unit, const char *text,
                const char *keyfmt, ...) __attribute__((format(printf, 5, 6)));
static void val(FILE *f, const char *tag, const char *unit, const char *text,
                const char *keyfmt, ...)
{
	char key[96];
	va_list ap;
	va_start(ap, keyfmt);
	vsnprintf(key, sizeof key, keyfmt, ap);
	va_end(ap);
	fprintf(f, "<%s data-k=\"%s\" data-u=\"%s\">", tag, key, unit);
	esc(f, text);
	fprintf(f, "</%s>", tag);
}

static const char *u64s(uint64_t v, char *b)
{
	snprintf(b, UNITS_FMT_MAX, "%" PRIu64, v);
	return b;
}

static void tr(FILE *f, const char *label)
{
	fputs("<tr><th>", f);
	esc(f, label);
	fputs("</th>", f);
}

static void cell(FILE *f, const char *unit, const char *text, const char *key)
{
	val(f, "td", unit, text, "%s", key);
}

static void pump_table(FILE *f, const struct msg_state *s)
{
	char b[UNITS_FMT_MAX];
	fputs("<h2>Pump and prescription</h2>\n<table>\n", f);
	tr(f, "Drug"); cell(f, "str", s->drug, "pump.drug"); fputs("</tr>\n", f);
	tr(f, "Mode"); cell(f, "str", msg_mode_name(s->mode), "pump.mode"); fputs("</tr>\n", f);
	tr(f, "Concentration");
	cell(f, "ng_ml", units_fmt_conc(s->concentration_ng_ml, b), "pump.concentration_ng_ml");
	fputs("</tr>\n", f);
	tr(f, "Basal rate now");
	cell(f, "ng_day", units_fmt_rate(s->basal_ng_day, b), "pump.basal_ng_day");
	fputs("</tr>\n", f);
	tr(f, "Patient bolus");
	cell(f, "ng", units_fmt_dose(s->bolus_dose_ng, b), "pump.bolus_dose_ng");
	fputs("</tr>\n", f);
	tr(f, "Bolus duration");
	cell(f, "ms", units_fmt_duration(s->bolus_duration_ms, b), "pump.bolus_duration_ms");
	fputs("</tr>\n", f);
	tr(f, "Lockout");
	cell(f, "ms", units_fmt_duration(s->lockout_ms, b), "pump.lockout_ms");
	fputs("</tr>\n", f);
	tr(f, "Most boluses a day");
	cell(f, "int", u64s(s->max_per_24h, b), "pump.max_per_24h");
	fputs("</tr>\n", f);
	tr(f, "Reservoir");
	cell(f, "nl", units_fmt_volume(s->reservoir_nl, b), "pump.reservoir_nl");
	fputs("</tr>\n", f);
	tr(f, "Capacity");
	cell(f, "nl", units_fmt_volume(s->capacity_nl, b), "pump.capacity_nl");
	fputs("</tr>\n", f);
	tr(f, "Low reservoir alarm at");
	cell(f, "nl", units_fmt_volume(s->low_threshold_nl, b), "pump.low_threshold_nl");
	fputs("</tr>\n", f);
	tr(f, "Next refill");
	if (s->next_refill_ms)
		cell(f, "time", units_fmt_time(s->next_refill_ms, b), "pump.next_refill");
	else
		fputs("<td>no prediction</td>", f);
	fputs("</tr>\n", f);
	tr(f, "Battery: replace (ERI)");
	cell(f, "time", units_fmt_time(s->eri_ms, b), "pump.eri");
	fputs("</tr>\n", f);
	tr(f, "Battery: end of service");
	cell(f, "time", units_fmt_time(s->eos_ms, b), "pump.eos");
	fputs("</tr>\n</table>\n", f);
}

static void alarms(FILE *f, const struct report *r)
{
	const struct msg_state *s = &r->state;
	char b[UNITS_FMT_MAX];
	fputs("<h2>Alarms</h2>\n", f);
	if (!s->n_alarms)
		fputs("<p>No alarm active.</p>\n", f);
	else
		fputs("<table>\n<tr><th>Active</th><th>Priority</th><th>Raised</th></tr>\n", f);
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		fputs("<tr>", f);
		val(f, "td", "str", msg_alarm_name(s->alarms[i].id), "alarms.%u.alarm", i);
		val(f, "td", "str", msg_priority_name(s->alarms[i].priority), "alarms.%u.priority", i);
		val(f, "td", "time", units_fmt_time(s->alarms[i].raised_ms, b), "alarms.%u.raised", i);
		fputs("</tr>\n", f);
	}
	if (s->n_alarms)
		fputs("</table>\n", f);
	if (r->n_alarm_ev) {
		fputs("<table>\n<tr><th>When</th><th>Alarm</th><th>Event</th></tr>\n", f);
		for (unsigned i = 0; i < r->n_alarm_ev; i++) {
			const struct report_event *e = &r->alarm_ev[i];
			fputs("<tr>", f);
			val(f, "td", "time", units_fmt_time(e->at_ms, b), "alarm_events.%u.at", i);
			val(f, "td", "str", msg_alarm_name(e->alarm), "alarm_events.%u.alarm", i);
			val(f, "td", "str", e->value == 1 ? "raised" : e->value == 2 ? "sounds again"
			    : "cleared", "alarm_events.%u.event", i);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
}

static const char *const fills[REPORT_C__COUNT] = {
	"#fff", "url(#p-lock)", "url(#p-day)", "#000", "url(#p-other)" };

static void legend(FILE *f, int x, int y, const char *fill, const char *label)
{
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\" "
	        "stroke=\"#000\"/><text x=\"%d\" y=\"%d\">", x, y, fill, x + 14, y + 9);
	esc(f, label);
	fputs("</text>\n", f);
}

/* the fill patterns, each id once in the page (an id is unique in a
 * document): the counts' chart holds its three, the delivery chart its one */
static void defs_counts(FILE *f)
{
	fputs("<defs>"
	      "<pattern id=\"p-lock\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
	      "<path d=\"M0 4L4 0\" stroke=\"#000\"/></pattern>"
	      "<pattern id=\"p-day\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
	      "<path d=\"M0 0L4 4\" stroke=\"#000\"/></pattern>"
	      "<pattern id=\"p-other\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
	      "<circle cx=\"2\" cy=\"2\" r=\"1\" fill=\"#000\"/></pattern>"
	      "</defs>\n", f);
}

static void defs_delivery(FILE *f)
{
	fputs("<defs>"
	      "<pattern id=\"p-bolus\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\">"
	      "<path d=\"M0 2H4\" stroke=\"#000\"/></pattern>"
	      "</defs>\n", f);
}

/* the buckets in a clinician's words (the JSON keys stay in data-k) */
static const char *const count_words[REPORT_C__COUNT] = {
	"granted", "lockout", "daily count", "ceiling", "other refusals" };

static void counts(FILE *f, const struct report *r)
{
	char b[UNITS_FMT_MAX];
	fputs("<h2>Bolus requests since the last visit</h2>\n<p>Counted from the ", f);
	val(f, "span", "str", report_since_name(r->since_kind), "since_what");
	fputs(" at ", f);
	val(f, "span", "time", r->since_ms ? units_fmt_time(r->since_ms, b) : "", "since");
	fputs(".</p>\n<table>\n<tr><th>Day</th>", f);
	for (int c = 0; c < REPORT_C__COUNT; c++) {
		fputs("<th>", f);
		esc(f, count_words[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (unsigned i = 0; i < r->n_days; i++) {
		units_fmt_time(r->days[i].day_ms, b);
		b[10] = '\0';
		fputs("<tr>", f);
		val(f, "td", "str", b, "days.%u.day", i);
		for (int c = 0; c < REPORT_C__COUNT; c++) {
			char n[UNITS_FMT_MAX];
			val(f, "td", "int", u64s(r->days[i].n[c], n), "days.%u.%s", i,
			    report_count_name(c));
		}
		fputs("</tr>\n", f);
	}
	fputs("<tr><th>All</th>", f);
	for (int c = 0; c < REPORT_C__COUNT; c++)
		val(f, "td", "int", u64s(r->n[c], b), "counts.%s", report_count_name(c));
	fputs("</tr>\n</table>\n", f);
	if (!r->n_days) {               /* no bar to draw: an empty chart says less */
		fputs("<p>No bolus request in this period.</p>\n", f);
		return;
	}

	/* the chart: a stacked bar per day */
	uint32_t max = 1;
	for (unsigned i = 0; i < r->n_days; i++) {
		uint32_t t = 0;
		for (int c = 0; c < REPORT_C__COUNT; c++)
			t += r->days[i].n[c];
		if (t > max)
			max = t;
	}
	int w = 60 + 24 * (int)(r->n_days ? r->n_days : 1) + 140;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"200\" "
	        "role=\"img\" aria-label=\"bolus requests per day by outcome\">\n", w);
	defs_counts(f);
	fputs("<line x1=\"50\" y1=\"170\" x2=\"50\" y2=\"10\" stroke=\"#000\"/>"
	      "<line x1=\"50\" y1=\"170\" x2=\"", f);
	fprintf(f, "%d\" y2=\"170\" stroke=\"#000\"/>\n", w - 130);
	for (unsigned i = 0; i < r->n_days; i++) {
		int x = 56 + 24 * (int)i, y = 170;
		for (int c = 0; c < REPORT_C__COUNT; c++) {
			uint32_t n = r->days[i].n[c];
			int hgt = (int)((uint64_t)n * 160 / max);
			char nb[UNITS_FMT_MAX];
			if (!n)
				continue;
			y -= hgt;
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"%d\" fill=\"%s\" "
			        "stroke=\"#000\">", x, y, hgt, fills[c]);
			val(f, "title", "int", u64s(n, nb), "days.%u.%s", i, report_count_name(c));
			fputs("</rect>\n", f);
		}
	}
	for (int c = 0; c < REPORT_C__COUNT; c++)
		legend(f, w - 120, 20 + 16 * c, fills[c], count_words[c]);
	fputs("</svg>\n", f);
}

static void delivery(FILE *f, const struct report *r)
{
	char b[UNITS_FMT_MAX];
	uint64_t max = 0;
	for (unsigned h = 0; h < REPORT_HOURS; h++)
		if (r->basal_ng[h] + r->bolus_ng[h] > max)
			max = r->basal_ng[h] + r->bolus_ng[h];
	fputs("<h2>Drug delivered per hour</h2>\n<p>Basal at the rate in force now, from ", f);
	val(f, "span", "time", r->basal_from_ms ? units_fmt_time(r->basal_from_ms, b) : "",
	    "delivery.basal_from");
	fputs(" on (the last program, or the oldest log line read); boluses, the patient's "
	      "and the clinician's, as the pump granted them.</p>\n", f);
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"780\" height=\"220\" "
	      "role=\"img\" aria-label=\"drug delivered per hour, basal and boluses\">\n", f);
	defs_delivery(f);
	fputs("<line x1=\"60\" y1=\"180\" x2=\"60\" y2=\"10\" stroke=\"#000\"/>"
	      "<line x1=\"60\" y1=\"180\" x2=\"636\" y2=\"180\" stroke=\"#000\"/>\n", f);
	/* the top of the scale, inside the picture (a text with no x, y sits
	 * on the top edge and is cut off) */
	fputs("<g font-size=\"10\"><text x=\"2\" y=\"18\" data-k=\"delivery.max_ng\" "
	      "data-u=\"ng\">", f);
	esc(f, units_fmt_dose(max, b));
	fputs("</text></g>\n", f);
	for (unsigned h = 0; h < REPORT_HOURS; h++) {
		int x = 60 + 8 * (int)h;
		uint64_t den = max ? max : 1;
		int hb = (int)(r->basal_ng[h] * 160 / den), hp = (int)(r->bolus_ng[h] * 160 / den);
		if (r->basal_ng[h]) {
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"7\" height=\"%d\" fill=\"#888\">",
			        x, 180 - hb, hb);
			val(f, "title", "ng", units_fmt_dose(r->basal_ng[h], b),
			    "delivery.basal_ng.%u", h);
			fputs("</rect>\n", f);
		}
		if (r->bolus_ng[h]) {
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"7\" height=\"%d\" "
			        "fill=\"url(#p-bolus)\" stroke=\"#000\">", x, 180 - hb - hp, hp);
			val(f, "title", "ng", units_fmt_dose(r->bolus_ng[h], b),
			    "delivery.bolus_ng.%u", h);
			fputs("</rect>\n", f);
		}
	}
	fputs("<g font-size=\"10\">", f);
	fprintf(f, "<text x=\"60\" y=\"194\" data-k=\"delivery.start\" data-u=\"time\">%s</text>",
	        units_fmt_time(r->hours_ms, b));
	fprintf(f, "<text x=\"470\" y=\"210\" data-k=\"now\" data-u=\"time\">%s</text></g>\n",
	        units_fmt_time(r->state.now_ms, b));
	legend(f, 650, 20, "#888", "basal");
	legend(f, 650, 36, "url(#p-bolus)", "boluses");
	fputs("</svg>\n", f);
}

static void reservoir(FILE *f, const struct report *r)
{
	char b[UNITS_FMT_MAX];
	const struct msg_state *s = &r->state;
	fputs("<h2>Reservoir</h2>\n", f);
	if (r->n_res == 0) {
		fputs("<p>No reservoir figure.</p>\n", f);
		return;
	}
	uint64_t t0 = r->res[0].at_ms, t1 = r->res[r->n_res - 1].at_ms;
	for (unsigned i = 0; i < r->n_res; i++)    /* a pump whose times went back */
		t0 = r->res[i].at_ms < t0 ? r->res[i].at_ms : t0;
	if (t1 < t0)
		t1 = t0;
	uint64_t cap = s->capacity_nl ? s->capacity_nl : 1, span = t1 > t0 ? t1 - t0 : 1;
	for (unsigned i = 0; i < r->n_res; i++)
		if (r->res[i].nl > cap)
			cap = r->res[i].nl;
	fputs("<p>What the pump computed at each refill (before and after it) and now; "
	      "dashed: its forecast to the low-reservoir threshold, the next refill.</p>\n", f);
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"780\" height=\"220\" "
	      "role=\"img\" aria-label=\"the reservoir over time and its forecast\">\n", f);
	fputs("<line x1=\"80\" y1=\"180\" x2=\"80\" y2=\"10\" stroke=\"#000\"/>"
	      "<line x1=\"80\" y1=\"180\" x2=\"740\" y2=\"180\" stroke=\"#000\"/>\n", f);
	fprintf(f, "<g font-size=\"10\"><text x=\"2\" y=\"22\" data-k=\"pump.capacity_nl\" "
	        "data-u=\"nl\">%s</text>", units_fmt_volume(s->capacity_nl, b));
	int ylow = 180 - (int)((uint64_t)s->low_threshold_nl * 160 / cap);
	fprintf(f, "<line x1=\"80\" y1=\"%d\" x2=\"740\" y2=\"%d\" stroke=\"#000\" "
	        "stroke-dasharray=\"1 3\"/><text x=\"2\" y=\"%d\" data-k=\"pump.low_threshold_nl\" "
	        "data-u=\"nl\">%s</text>", ylow, ylow, ylow + 4,
	        units_fmt_volume(s->low_threshold_nl, b));
	fprintf(f, "<text x=\"80\" y=\"196\" data-k=\"reservoir.0.at\" data-u=\"time\">%s</text>",
	        units_fmt_time(t0, b));
	fprintf(f, "<text x=\"600\" y=\"210\" data-k=\"reservoir.%u.at\" data-u=\"time\">%s</text>"
	        "</g>\n", r->n_res - 1, units_fmt_time(t1, b));
	for (unsigned i = 0; i < r->n_res; i++) {
		uint64_t at = r->res[i].at_ms > t1 ? t1 : r->res[i].at_ms;
		int x = 80 + (int)((unsigned __int128)(at - t0) * 640 / span);
		int y = 180 - (int)(r->res[i].nl * 160 / cap);
		if (i > 0) {
			uint64_t pa = r->res[i - 1].at_ms > t1 ? t1 : r->res[i - 1].at_ms;
			int px = 80 + (int)((unsigned __int128)(pa - t0) * 640 / span);
			int py = 180 - (int)(r->res[i - 1].nl * 160 / cap);
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"%s/>\n",
			        px, py, x, y, r->res[i].forecast ? " stroke-dasharray=\"6 4\"" : "");
		}
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\" stroke=\"#000\">",
		        x, y, r->res[i].forecast ? "#fff" : "#000");
		val(f, "title", "nl", units_fmt_volume(r->res[i].nl, b), "reservoir.%u.nl", i);
		fputs("</circle>\n", f);
	}
	fputs("</svg>\n", f);
	if (r->has_refill) {
		const struct report_event *e = &r->last_refill;
		fputs("<table>\n", f);
		tr(f, "Last refill");
		cell(f, "time", units_fmt_time(e->at_ms, b), "last_refill.at");
		fputs("</tr>\n", f);
		tr(f, "Volume");
		cell(f, "nl", units_fmt_volume(e->volume_nl, b), "last_refill.volume_nl");
		fputs("</tr>\n", f);
		tr(f, "Concentration");
		cell(f, "ng_ml", units_fmt_conc(e->conc_ng_ml, b), "last_refill.concentration_ng_ml");
		fputs("</tr>\n", f);
		if (e->expected_nl || e->withdrawn_nl) {
			tr(f, "Withdrawn");
			cell(f, "nl", units_fmt_volume(e->withdrawn_nl, b), "last_refill.withdrawn_nl");
			fputs("</tr>\n", f);
			tr(f, "Expected");
			cell(f, "nl", units_fmt_volume(e->expected_nl, b), "last_refill.expected_nl");
			fputs("</tr>\n", f);
			tr(f, "Check");
			fputs(e->value ? "<td><strong>DISCREPANCY</strong></td>" : "<td>ok</td>", f);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
}

/* Delivered (the pump's count) against reached (the emulator's truth). */
static void delivered_reached(FILE *f, const struct report *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], pct[24];
	if (!r->has_dlv)
		return;
	snprintf(pct, sizeof pct, "%" PRIu32 ".%" PRIu32 "%%", r->missed_pm / 10,
	         r->missed_pm % 10);
	fputs("<h2>Delivered and reached</h2>\n<p>Counted from ", f);
	if (r->dlv_from_ms) {
		fputs("the occlusion at ", f);
		val(f, "span", "time", units_fmt_time(r->dlv_from_ms, a),
		    "delivered_reached.from");
	} else {
		fputs("the pump's start", f);
	}
	fputs(". Delivered is what the pump drew and believes it gave; reached "
	      "is what reached the patient, the emulator's truth (a real pump "
	      "cannot measure it).</p>\n<table>\n", f);
	tr(f, "Delivered");
	cell(f, "ng", units_fmt_dose(r->delivered_ng, a), "delivered_reached.delivered_ng");
	fputs("</tr>\n", f);
	tr(f, "Reached the patient");
	cell(f, "ng", units_fmt_dose(r->reached_ng, a), "delivered_reached.reached_ng");
	fputs("</tr>\n", f);
	tr(f, "Difference");
	cell(f, "ng", units_fmt_dose(r->missed_ng, a), "delivered_reached.missed_ng");
	fputs("</tr>\n", f);
	tr(f, "Difference, share");
	cell(f, "pct", pct, "delivered_reached.missed_pct");
	fputs("</tr>\n", f);
	tr(f, "Reaching the patient now");
	snprintf(b, sizeof b, "%u", (unsigned)r->dlv.reach_pct);
	cell(f, "int", b, "delivered_reached.reach_pct_now");
	fputs("</tr>\n</table>\n", f);
	if (r->missed_ng) {
		fputs("<p><strong>Under-delivery:</strong> ", f);
		val(f, "span", "ng", units_fmt_dose(r->missed_ng, a), "delivered_reached.missed_ng");
		fputs(" of ", f);
		val(f, "span", "ng", units_fmt_dose(r->delivered_ng, a),
		    "delivered_reached.delivered_ng");
		fputs(" (", f);
		val(f, "span", "pct", pct, "delivered_reached.missed_pct");
		fputs(") did not reach the patient (", f);
		if (r->dlv.reach_pct < 100) {
			fputs("occlusion: ", f);
			snprintf(b, sizeof b, "%u", (unsigned)r->dlv.reach_pct);
			val(f, "span", "int", b, "delivered_reached.reach_pct_now");
			fputs("% reaches the patient now).</p>\n", f);
		} else {
			fputs("the occlusion has ended).</p>\n", f);
		}
	}
}

int ctl_rhtml_report(FILE *f, const struct report *r)
{
	char b[UNITS_FMT_MAX];
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>Pump interrogation report</title>\n<style>\n"
	      "body{font-family:sans-serif;color:#000;background:#fff;max-width:52em;margin:1em auto}\n"
	      "table{border-collapse:collapse;margin:.5em 0}\n"
	      "th,td{border:1px solid #000;padding:.15em .5em;text-align:left}\n"
	      "svg{display:block;margin:.5em 0}\nsvg text{font-size:11px}\n"
	      "@media print{h2{page-break-after:avoid}svg{page-break-inside:avoid}}\n"
	      "</style>\n</head>\n<body>\n<h1>Pump interrogation report</h1>\n<p>Read at ", f);
	val(f, "span", "time", units_fmt_time(r->state.now_ms, b), "now");
	fputs(" (the pump's clock) from ", f);
	val(f, "span", "int", u64s(r->rows, b), "log_rows");
	fputs(" audit log lines.</p>\n", f);
	pump_table(f, &r->state);
	alarms(f, r);
	counts(f, r);
	delivery(f, r);
	delivered_reached(f, r);
	reservoir(f, r);
	fputs("<h2>Pump counters (all time)</h2>\n<table>\n", f);
	for (int k = 0; k < MSG_OUT_COUNT; k++) {
		char key[48];
		snprintf(key, sizeof key, "pump_counters.%s", msg_outcome_name(k));
		tr(f, msg_outcome_name(k));
		cell(f, "int", u64s(r->counters[k], b), key);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
