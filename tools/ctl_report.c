/*
 * tools/ctl_report.c — `ptmctl report` (the interrogation report from STATUS
 * and the whole LOG, as text, JSON, CSV or HTML) and `ptmctl log` with
 * --format/--kind/--since/--until (the log as typed events).  Requests go
 * one after another over one session.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "net/report.h"
#include "net/report_chart.h"
#include "tools/ctl.h"
#include "tools/ctl_rep.h"
#include "net/msgjson.h"
#include "util/esc.h"
#include "util/units.h"

/* ---- one session, requests in turn -------------------------------------------- */

struct fetch {
	uv_loop_t loop;
	struct client *c;
	keys_secret *sec;
	uint8_t pub[KEYS_LEN];
	struct msg_reply *out;
	int done, closed, status, reason, ever_up;
	int quiet;                 /* a refusal is not printed */
	const char *name;          /* the request named in errors (NULL: its own) */
};

static void f_link(void *ud, int state, int reason)
{
	struct fetch *k = ud;
	if (state == CLIENT_UP)
		k->ever_up = 1;
	else if (state == CLIENT_DOWN && reason)
		k->reason = reason;
}

static void f_reply(void *ud, int status, const struct msg_reply *r)
{
	struct fetch *k = ud;
	k->status = status;
	if (status == 0)
		*k->out = *r;
	k->done = 1;
}

static void f_closed(void *ud)
{
	((struct fetch *)ud)->closed = 1;
}

/* Keys loaded and the session started: 0 or an exit code (printed).
 * whose: the key the message asks for when none is given. */
static int fetch_open(struct ctl_opts *o, struct fetch *k, const char *whose)
{
	struct client_config cfg;
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = ctl_session_keys(o, whose, &k->sec, k->pub)))
		return rc;
	memset(&cfg, 0, sizeof cfg);
	cfg.address = o->pump;
	cfg.key = keys_secret_priv(k->sec);
	cfg.pump_key = k->pub;
	cfg.request_timeout_ms = o->timeout_ms;
	cfg.ud = k;
	cfg.on_link = f_link;
	if (uv_loop_init(&k->loop) < 0 || client_new(&k->loop, &cfg, &k->c) < 0) {
		fprintf(o->err, "%s: cannot start the session\n", o->prog);
		keys_secret_free(k->sec);
		sodium_memzero(k->pub, sizeof k->pub);
		return CTL_EXIT_CONNECT;
	}
	return 0;
}

/* One request: 0 with *out (look at out->err), or an exit code (printed). */
static int fetch_call(struct ctl_opts *o, struct fetch *k, struct msg_request *req,
                      struct msg_reply *out)
{
	int rc;
	k->done = 0;
	k->out = out;
	req->id = 0;
	rc = client_request(k->c, req, f_reply, k);
	if (rc == 0) {
		while (!k->done)
			uv_run(&k->loop, UV_RUN_ONCE);
		rc = k->status;
		if (rc == CLIENT_E_LINK && !k->ever_up && k->reason < 0)
			rc = k->reason;
	}
	if (rc != 0) {
		char why[1024];
		fprintf(o->err, "%s: %s: %s\n", o->prog,
		        k->name ? k->name : msg_type_name(req->type),
		        client_strerror_at(rc, o->pump, why, sizeof why));
		return ctl_exit_for_status(rc);
	}
	if (out->err != MSG_OK && k->quiet)
		return CTL_EXIT_PROTOCOL;
	if (out->err != MSG_OK) {
		char d[ESC_MAX(MSG_DETAIL_MAX + 1)];
		fprintf(o->err, "%s: %s refused: %s%s%s\n", o->prog, msg_type_name(req->type),
		        msg_err_name(out->err), out->detail[0] ? " " : "",
		        esc_s(d, sizeof d, out->detail));
		if (out->err == MSG_E_ROLE)
			fprintf(o->err, "%s: the audit log needs a clinician's key (or a tester's)\n",
			        o->prog);
		return ctl_exit_for_reply(out);
	}
	return 0;
}

static void fetch_close(struct fetch *k)
{
	client_close(k->c, f_closed, k);
	while (!k->closed)
		uv_run(&k->loop, UV_RUN_ONCE);
	uv_run(&k->loop, UV_RUN_DEFAULT);
	uv_loop_close(&k->loop);
	keys_secret_free(k->sec);
	sodium_memzero(k->pub, sizeof k->pub);
}

/* ptmctl status: HELLO asks for STATUS's delivery block (edition 3,
 * PROTOCOL.md 8.14; a clinician's or tester's key gets it), then STATUS in
 * the same session.  A pump that refuses the HELLO predates the block: its
 * STATUS comes without.  0 with *out (a refusal in out->err), or an exit
 * code (printed). */
int ctl_status_fetch(struct ctl_opts *o, struct msg_reply *out)
{
	static struct msg_request req;
	struct fetch k;
	int rc;

	if ((rc = fetch_open(o, &k, "this remote's private key")))
		return rc;
	memset(&req, 0, sizeof req);
	memset(out, 0, sizeof *out);
	req.type = MSG_HELLO;
	req.u.accept = MSG_ACCEPT_ED3 | MSG_ACCEPT_DELIVERY;
	k.quiet = 1;                     /* refusals: the caller prints them */
	k.name = msg_type_name(MSG_STATUS); /* what the user asked for */
	rc = fetch_call(o, &k, &req, out);
	if (rc == 0 || out->req_type == MSG_HELLO) {
		memset(&req, 0, sizeof req);
		memset(out, 0, sizeof *out);
		req.type = MSG_STATUS;
		rc = fetch_call(o, &k, &req, out);
		if (rc && out->req_type == MSG_STATUS)
			rc = 0;
	}
	fetch_close(&k);
	return rc;
}

/* HELLO asking for typed LOG entries (PROTOCOL.md 8.15) with edition 3
 * and what else the caller reads (accept, 0: nothing else).  A pump that
 * predates them refuses that HELLO as malformed (accept) and is asked
 * again without: its entries then come as text, whose kinds the report
 * guesses from their words.  0 (the pump's answer whatever it was: an
 * older pump goes on without) or an exit code (printed). */
static int fetch_hello(struct ctl_opts *o, struct fetch *k, uint32_t accept)
{
	static struct msg_request req;
	static struct msg_reply rep;
	const uint32_t tries[2] = { MSG_ACCEPT_ED3 | MSG_ACCEPT_TYPED | accept,
	                            accept ? MSG_ACCEPT_ED3 | accept : 0 };
	for (int i = 0; i < 2 && tries[i]; i++) {
		memset(&req, 0, sizeof req);
		memset(&rep, 0, sizeof rep);
		req.type = MSG_HELLO;
		req.u.accept = tries[i];
		k->quiet = 1;
		int rc = fetch_call(o, k, &req, &rep);
		k->quiet = 0;
		if (rc == 0)
			return 0;
		if (rep.req_type != MSG_HELLO)
			return rc;            /* the link: said */
		if (rep.err != MSG_E_MALFORMED)
			return 0;             /* a first-edition pump: no HELLO */
	}
	return 0;
}

/* Every log entry after after_seq, oldest first, to cb; 0 or an exit code. */
static int read_log(struct ctl_opts *o, struct fetch *k, uint64_t after_seq,
                    void (*cb)(void *ud, const struct msg_log_entry *e), void *ud)
{
	static struct msg_request req;
	static struct msg_reply rep;
	for (;;) {
		int rc;
		memset(&req, 0, sizeof req);
		req.type = MSG_LOG;
		req.u.log.after_seq = after_seq;
		req.u.log.max = MSG_LOG_MAX;
		rc = fetch_call(o, k, &req, &rep);
		if (rc)
			return rc;
		for (unsigned i = 0; i < rep.u.log.n; i++) {
			if (rep.u.log.e[i].seq <= after_seq) {
				fprintf(o->err, "%s: log: the pump's sequence numbers went back\n", o->prog);
				return CTL_EXIT_PROTOCOL;
			}
			after_seq = rep.u.log.e[i].seq;
			cb(ud, &rep.u.log.e[i]);
		}
		if (rep.u.log.n < MSG_LOG_MAX)
			return 0;
	}
}

/* ---- options ------------------------------------------------------------------- */

enum fmt { F_TEXT, F_JSON, F_CSV, F_HTML };

static int parse_format(struct ctl_opts *o, const char *sub, const char *v, int html_ok,
                        int *fmt)
{
	if (strcmp(v, "text") == 0) *fmt = F_TEXT;
	else if (strcmp(v, "json") == 0) *fmt = F_JSON;
	else if (strcmp(v, "csv") == 0) *fmt = F_CSV;
	else if (html_ok && strcmp(v, "html") == 0) *fmt = F_HTML;
	else
		return ctl_usage_error(o, sub, "--format '%s': expected text, json, csv%s", v,
		                       html_ok ? " or html" : "");
	return 0;
}

static int parse_when(struct ctl_opts *o, const char *sub, const char *opt,
                      const char *v, uint64_t *ms)
{
	if (units_parse_time(v, ms) == 0 || (units_parse_uint(v, UINT64_MAX, ms) == 0 && *ms))
		return 0;
	return ctl_usage_error(o, sub, "%s '%s': expected a time such as 2026-01-01T08:00:00Z "
	                       "(UTC) or ms since 1970", opt, v);
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]: the value, or NULL when
 * argv[*i] is not that option; *missing set when the value is missing. */
static const char *opt_val(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/* ---- ptmctl report ---------------------------------------------------------------- */

static void add_entry(void *ud, const struct msg_log_entry *e)
{
	report_add(ud, e, NULL);
}

static void print_chart(FILE *f, const struct report_chart *c)
{
	fputc('\n', f);
	for (unsigned i = 0; i < c->n; i++) {
		/* trailing blanks cut */
		int n = (int)strlen(c->line[i]);
		while (n > 0 && c->line[i][n - 1] == ' ')
			n--;
		fprintf(f, "%.*s\n", n, c->line[i]);
	}
}

/* Delivered (the pump's count) against reached (the emulator's truth),
 * and a plain line when they differ. */
static void print_dlv(FILE *f, const struct report *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	if (!r->has_dlv) {
		fputs("delivered  not sent by this pump (it predates delivered and reached)\n", f);
		return;
	}
	fprintf(f, "delivered  %s since ", units_fmt_dose(r->delivered_ng, a));
	if (r->dlv_from_ms)
		fprintf(f, "the occlusion at %s", units_fmt_time(r->dlv_from_ms, b));
	else
		fputs("the pump's start", f);
	fprintf(f, " (the pump's count)\nreached    %s (what reached the patient: the "
	        "emulator's truth, a real pump cannot measure it)\n",
	        units_fmt_dose(r->reached_ng, a));
	if (!r->missed_ng)
		return;
	fprintf(f, "Under-delivery: %s of %s (%" PRIu32 ".%" PRIu32 "%%) did not reach "
	        "the patient", units_fmt_dose(r->missed_ng, a),
	        units_fmt_dose(r->delivered_ng, b), r->missed_pm / 10, r->missed_pm % 10);
	if (r->dlv.reach_pct < 100)
		fprintf(f, " (occlusion: %u%% reaches the patient now)\n",
		        (unsigned)r->dlv.reach_pct);
	else
		fputs(" (the occlusion has ended)\n", f);
}

static void print_text(FILE *f, const struct report *r)
{
	const struct msg_state *s = &r->state;
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], d[ESC_MAX(MSG_DRUG_MAX + 1)];
	fprintf(f, "report     %s (the pump's clock), %" PRIu64 " log lines%s\n",
	        units_fmt_time(s->now_ms, a), r->rows,
	        !r->rows ? "" : r->typed_rows == r->rows ? " (typed by the pump)"
	        : " (kinds guessed from their words: the pump predates typed entries)");
	fprintf(f, "drug       %s %s, %s, basal %s\n", esc_s(d, sizeof d, s->drug),
	        units_fmt_conc(s->concentration_ng_ml, a), msg_mode_name(s->mode),
	        units_fmt_rate(s->basal_ng_day, b));
	fprintf(f, "reservoir  %s of ", units_fmt_volume(s->reservoir_nl, a));
	fprintf(f, "%s; next refill %s\n", units_fmt_volume(s->capacity_nl, a),
	        s->next_refill_ms ? units_fmt_time(s->next_refill_ms, b) : "not predicted");
	fprintf(f, "battery    replace %s, end of service %s\n", units_fmt_time(s->eri_ms, a),
	        units_fmt_time(s->eos_ms, b));
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
		fprintf(f, "alarm      %s (%s) since %s\n", msg_alarm_name(s->alarms[i].id),
		        msg_priority_name(s->alarms[i].priority),
		        units_fmt_time(s->alarms[i].raised_ms, a));
	fprintf(f, "since      the %s at %s\n", report_since_name(r->since_kind),
	        r->since_ms ? units_fmt_time(r->since_ms, a) : "-");
	fprintf(f, "requests   %" PRIu32 " granted, %" PRIu32 " lockout, %" PRIu32
	        " daily count, %" PRIu32 " ceiling, %" PRIu32 " other\n",
	        r->n[REPORT_C_GRANTED], r->n[REPORT_C_LOCKOUT], r->n[REPORT_C_DAILY],
	        r->n[REPORT_C_CEILING], r->n[REPORT_C_OTHER]);
	for (unsigned i = 0; i < r->n_days; i++) {
		units_fmt_time(r->days[i].day_ms, a);
		a[10] = '\0';
		fprintf(f, "  %s  %3" PRIu32 " granted %3" PRIu32 " lockout %3" PRIu32
		        " daily %3" PRIu32 " ceiling %3" PRIu32 " other\n", a,
		        r->days[i].n[0], r->days[i].n[1], r->days[i].n[2], r->days[i].n[3],
		        r->days[i].n[4]);
	}
	if (r->has_refill) {
		const struct report_event *e = &r->last_refill;
		fprintf(f, "refill     %s: %s", units_fmt_time(e->at_ms, a),
		        units_fmt_volume(e->volume_nl, b));
		fprintf(f, " at %s", units_fmt_conc(e->conc_ng_ml, a));
		if (e->expected_nl || e->withdrawn_nl) {
			fprintf(f, ", withdrawn %s", units_fmt_volume(e->withdrawn_nl, a));
			fprintf(f, " of %s expected%s", units_fmt_volume(e->expected_nl, b),
			        e->value ? ": DISCREPANCY" : "");
		}
		fputc('\n', f);
	}
	print_dlv(f, r);
	struct report_chart c;
	report_chart_days(r, 14, &c);
	print_chart(f, &c);
	report_chart_hours(r, 6, &c);
	print_chart(f, &c);
	report_chart_reservoir(r, 6, &c);
	print_chart(f, &c);
}

int ctl_cmd_report(struct ctl_opts *o, int argc, char **argv)
{
	static struct report rep;
	static struct msg_request req;
	static struct msg_reply status;
	struct fetch k;
	int fmt = o->json ? F_JSON : F_TEXT, rc;
	uint64_t since = 0;
	const char *sub = argv[0];

	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		if ((v = opt_val(argc, argv, &i, "--format", &missing))) {
			if ((rc = parse_format(o, sub, v, 1, &fmt)))
				return rc;
		} else if ((v = opt_val(argc, argv, &i, "--since", &missing))) {
			if ((rc = parse_when(o, sub, "--since", v, &since)))
				return rc;
		} else {
			return ctl_usage_error(o, sub, missing ? "%s needs a value"
			                                       : "unknown argument '%s'", argv[i]);
		}
	}
	if ((rc = fetch_open(o, &k, "a clinician's private key")))
		return rc;
	/* ask for typed LOG entries and STATUS's delivery block (edition 3,
	 * PROTOCOL.md 8.14, 8.15); a pump that refuses the HELLO predates
	 * them, and the report goes on without */
	memset(&status, 0, sizeof status);
	rc = fetch_hello(o, &k, MSG_ACCEPT_DELIVERY);
	if (rc == 0) {
		memset(&req, 0, sizeof req);
		req.type = MSG_STATUS;
		rc = fetch_call(o, &k, &req, &status);
	}
	if (!rc) {
		report_begin(&rep, &status, since);
		rc = read_log(o, &k, 0, add_entry, &rep);
	}
	fetch_close(&k);
	if (rc)
		return rc;
	report_end(&rep);
	switch (fmt) {
	case F_JSON: {
		json_t *j = ctl_rjson_report(&rep);
		rc = j ? msgjson_print(o->out, j) : -1;
		json_decref(j);
		break;
	}
	case F_CSV:  rc = ctl_rcsv_report(o->out, &rep); break;
	case F_HTML: rc = ctl_rhtml_report(o->out, &rep); break;
	default:     print_text(o->out, &rep); rc = 0; break;
	}
	return rc ? CTL_EXIT_CONNECT : CTL_EXIT_OK;
}

/* ---- ptmctl log --format ------------------------------------------------------------ */

struct logout {
	struct report rep;          /* for the roles the pairing rows name */
	struct report_filter flt;
	int fmt;
	FILE *f;
	json_t *arr;
	uint64_t n;
};

static void log_entry(void *ud, const struct msg_log_entry *e)
{
	struct logout *L = ud;
	struct report_event ev;
	report_add(&L->rep, e, &ev);
	if (!report_filter_match(&L->flt, &ev))
		return;
	L->n++;
	if (L->fmt == F_CSV) {
		ctl_rcsv_event(L->f, &ev);
	} else if (L->fmt == F_JSON) {
		json_array_append_new(L->arr, ctl_rjson_event(&ev));
	} else {
		char t[UNITS_FMT_MAX], d[ESC_MAX(MSG_TEXT_MAX + 1)];
		fprintf(L->f, "%8" PRIu64 "  %s  %-9s %-9s %s: %s\n", ev.seq,
		        units_fmt_time(ev.at_ms, t), report_kind_name(ev.kind),
		        report_role_name(ev.role), ev.who[0] ? ev.who : "-",
		        esc_s(d, sizeof d, ev.data));
	}
}

/* 1 if argv holds one of the typed-event options */
static int typed_log(int argc, char **argv)
{
	static const char *const opts[] = { "--format", "--kind", "--since", "--until", NULL };
	for (int i = 1; i < argc; i++)
		for (const char *const *p = opts; *p; p++)
			if (strncmp(argv[i], *p, strlen(*p)) == 0)
				return 1;
	return 0;
}

int ctl_cmd_log(struct ctl_opts *o, int argc, char **argv)
{
	static struct logout L;
	struct fetch k;
	uint64_t after = 0;
	const char *sub = argv[0];
	int rc;

	if (!typed_log(argc, argv))
		return ctl_cmd_request(o, argc, argv);
	memset(&L, 0, sizeof L);
	L.fmt = o->json ? F_JSON : F_TEXT;
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		if ((v = opt_val(argc, argv, &i, "--format", &missing))) {
			if ((rc = parse_format(o, sub, v, 0, &L.fmt)))
				return rc;
		} else if ((v = opt_val(argc, argv, &i, "--since", &missing))) {
			if ((rc = parse_when(o, sub, "--since", v, &L.flt.since_ms)))
				return rc;
		} else if ((v = opt_val(argc, argv, &i, "--until", &missing))) {
			if ((rc = parse_when(o, sub, "--until", v, &L.flt.until_ms)))
				return rc;
		} else if ((v = opt_val(argc, argv, &i, "--after", &missing))) {
			if (units_parse_uint(v, UINT64_MAX, &after))
				return ctl_usage_error(o, sub, "--after '%s': expected a number", v);
		} else if ((v = opt_val(argc, argv, &i, "--kind", &missing))) {
			char buf[256];
			snprintf(buf, sizeof buf, "%s", v);
			for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int kd = report_kind_parse(t);
				if (kd < 0) {
					char list[256];
					size_t n = 0;
					for (int x = 0; x < REPORT_EV__COUNT && n < sizeof list; x++)
						n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
						                      x ? ", " : "", report_kind_name(x));
					return ctl_usage_error(o, sub, "--kind '%s': expected one or more of %s, "
					                       "separated by commas", t, list);
				}
				L.flt.kinds |= 1u << kd;
			}
		} else if (strcmp(argv[i], "--last") == 0 || strncmp(argv[i], "--max", 5) == 0) {
			return ctl_usage_error(o, sub, "%s reads one page; --format, --kind, --since "
			                       "and --until read the whole log", argv[i]);
		} else {
			return ctl_usage_error(o, sub, missing ? "%s needs a value"
			                                       : "unknown argument '%s'", argv[i]);
		}
	}
	if (L.flt.since_ms && L.flt.until_ms && L.flt.until_ms < L.flt.since_ms)
		return ctl_usage_error(o, sub, "--until is before --since");
	if ((rc = fetch_open(o, &k, "a clinician's private key")))
		return rc;
	if ((rc = fetch_hello(o, &k, 0))) {
		fetch_close(&k);
		return rc;
	}
	{
		static struct msg_reply status;
		memset(&status, 0, sizeof status);
		report_begin(&L.rep, &status, 0);
	}
	L.f = o->out;
	if (L.fmt == F_CSV)
		ctl_rcsv_events_head(L.f);
	if (L.fmt == F_JSON)
		L.arr = json_array();
	rc = read_log(o, &k, after, log_entry, &L);
	fetch_close(&k);
	if (L.fmt == F_JSON) {
		if (!rc) {
			json_t *j = json_object();
			json_object_set_new(j, "type", json_string("log"));
			json_object_set_new(j, "events", L.arr);
			L.arr = NULL;
			if (msgjson_print(o->out, j))
				rc = CTL_EXIT_CONNECT;
			json_decref(j);
		}
		json_decref(L.arr);
	}
	return rc;
}
