/*
 * tools/scenario/scnrun.c — `ptmctl run FILE...`: each file parsed
 * (scn.h), its own pump made and started (scnpump.h), its remotes
 * connected (scnlink.h), its steps carried out (scnsend.h) and checked
 * (scnmatch.h), TAP out (scntap.h).  See scnrun.h and
 * docs/SCENARIOS.md.
 */
#include "tools/scenario/scnrun.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "net/client.h"
#include "net/msgjson.h"
#include "tools/scenario/scn.h"
#include "tools/scenario/scnlink.h"
#include "tools/scenario/scnmatch.h"
#include "tools/scenario/scnpump.h"
#include "tools/scenario/scnsend.h"
#include "tools/scenario/scntap.h"

struct run {
	const struct scnrun_opts *o;
	uint32_t timeout_ms;           /* o->timeout_ms scaled (run_timeout) */
	const char *file;              /* as given */
	char dir[PATH_MAX];            /* the scenario's directory */
	struct scntap *tap;
	struct scnpump pump;
	struct scnlink *link;          /* the remotes, while the pump runs */
	struct scnsend send;
};

/* ---- output ------------------------------------------------------------------ */

static void tap_step(struct run *r, int ok, const struct scn_step *st, const char *why)
{
	if (why && why[0])
		scntap_point(r->tap, ok, r->file, st->line, st->src, "%s", why);
	else
		scntap_point(r->tap, ok, r->file, st->line, st->src, NULL);
}

static void log_line(void *ud, const char *text)
{
	struct run *r = ud;
	scntap_diag(r->tap, "  %s", text);
}

/* The last lines of pumpd's log, after a failure that involves it. */
static void show_log(struct run *r)
{
	scntap_diag(r->tap, "pumpd said:");
	scnpump_log_tail(&r->pump, log_line, r);
}

static void print_json(struct run *r, const char *what, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s)
		scntap_comment(r->tap, "%s%s", what, s);
	free(s);
	json_decref(j);
}

/* -v: every notification as it arrives */
static void on_note(void *ud, int role, const struct msg_notify *n)
{
	struct run *r = ud;
	char what[32];
	if (!r->o->verbose)
		return;
	snprintf(what, sizeof what, "%s <- ", scn_role_name(role));
	print_json(r, what, msgjson_notify(n));
}

/* ---- the pump and its remotes --------------------------------------------------- */

/* Open every role's session to the running pump. */
static int connect_remotes(struct run *r, char *why, size_t n)
{
	struct scnlink_config lc;
	int role = 0, rc;

	memset(&lc, 0, sizeof lc);
	lc.address = r->pump.addr;
	lc.pump_pub = r->pump.pump_pub;
	lc.priv = (const uint8_t (*)[32])r->pump.priv;
	lc.timeout_ms = r->timeout_ms;
	lc.on_note = on_note;
	lc.ud = r;
	r->link = scnlink_new(&lc);
	if (!r->link) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	rc = scnlink_connect(r->link, &role);
	if (rc) {
		snprintf(why, n, "cannot connect as %s: %s", scn_role_name(role),
		         client_strerror(rc));
		return -1;
	}
	return 0;
}

static void disconnect(struct run *r)
{
	scnlink_free(r->link);
	r->link = NULL;
}

static int pump_sim(struct run *r, const struct scn *s, const struct scn_step *st,
                    char *why, size_t n)
{
	static const char *const run_args[] = { "--sim", "--speed", "0", NULL };
	struct scnpump_pairing remotes[SCN_ROLES];  /* remote i: role i */
	struct scnpump_setup su;
	char rxpath[PATH_MAX];
	const char *file = scn_rx_file(s, NULL);

	memset(&su, 0, sizeof su);
	for (int role = 0; role < SCN_ROLES; role++)
		remotes[role].name = remotes[role].role = scn_role_name(role);
	su.remotes = remotes;
	su.n_remotes = SCN_ROLES;
	su.run_args = run_args;
	su.rx_text = scn_rx_text(s, NULL);
	if (file) {
		scnsend_path(&r->send, file, rxpath, sizeof rxpath);
		su.rx_path = rxpath;
	}
	su.start_ms = st->start_ms;
	su.volume_nl = st->volume_nl;
	if (scnpump_create(&r->pump, &su, why, n) != 0)
		return -1;
	if (r->o->keep)
		scntap_comment(r->tap, "keeping %s", r->pump.tmp);
	if (scnpump_start(&r->pump, why, n) != 0)
		return -1;
	return connect_remotes(r, why, n);
}

/* restart / kill9: stop (cleanly or not), start on the same state. */
static int restart(struct run *r, const struct scn_step *st)
{
	char why[600], d[64];
	int status;

	disconnect(r);
	status = scnpump_stop(&r->pump, st->kind == SCN_RESTART ? SIGTERM : SIGKILL);
	if (st->kind == SCN_RESTART && status != 0) {
		scnpump_describe(status, d, sizeof d);
		snprintf(why, sizeof why, "pumpd should stop cleanly on SIGTERM but %s", d);
		tap_step(r, 0, st, why);
		show_log(r);
	}
	scnsend_restarted(&r->send);
	if (scnpump_start(&r->pump, why, sizeof why) != 0 ||
	    connect_remotes(r, why, sizeof why) != 0) {
		char msg[700];
		snprintf(msg, sizeof msg, "restart: %s", why);
		tap_step(r, 0, st, msg);
		show_log(r);
		return -1;
	}
	return 0;
}

/* ---- steps -------------------------------------------------------------------------- */

static void request(struct run *r, const struct scn_step *st)
{
	char why[600];
	if (scnsend_step(&r->send, r->link, st, why, sizeof why) != 0) {
		tap_step(r, 0, st, why);
		return;
	}
	if (r->o->verbose)
		print_json(r, "", msgjson_reply(&r->send.reply));
}

struct notify_wait {
	struct run *r;
	const struct scn_step *st;
	unsigned roles;               /* the roles to look at */
};

/* 1 if role has a matching notification in the window */
static int role_saw(struct run *r, const struct scn_step *st, int role)
{
	size_t n;
	char why[8];
	const struct msg_notify *nt = scnlink_notes(r->link, role, &n);
	for (size_t i = 0; i < n; i++)
		if (scnmatch_note(st, &nt[i], why, sizeof why))
			return 1;
	return 0;
}

static int all_saw(void *ud)
{
	struct notify_wait *w = ud;
	for (int role = 0; role < SCN_ROLES; role++)
		if ((w->roles & (1u << role)) && !role_saw(w->r, w->st, role))
			return 0;
	return 1;
}

/* What role got instead, for a failure: each notification of the window,
 * and the failed checks of those with the right event. */
static size_t describe_window(struct run *r, const struct scn_step *st, int role,
                              char *buf, size_t cap)
{
	size_t n, used = 0;
	const struct msg_notify *nt = scnlink_notes(r->link, role, &n);
	int w = snprintf(buf, cap, "%s got %zu notification%s since the request%s",
	                 scn_role_name(role), n, n == 1 ? "" : "s", n ? ":" : "");
	if (w > 0)
		used = (size_t)w < cap ? (size_t)w : cap;
	for (size_t i = 0; i < n && used < cap; i++) {
		char d[96], why[600];
		scnmatch_describe_note(&nt[i], d, sizeof d);
		scnmatch_note(st, &nt[i], why, sizeof why);
		for (char *p = why; (p = strchr(p, '\n')) != NULL; )
			*p = ';'; /* one line per notification */
		w = snprintf(buf + used, cap - used, "\n  %s%s%s", d, why[0] ? ": " : "", why);
		if (w > 0)
			used += (size_t)w < cap - used ? (size_t)w : cap - used;
	}
	return used;
}

static void expect_notify(struct run *r, const struct scn_step *st)
{
	struct notify_wait w = { r, st, st->roles };
	char why[2048];
	size_t used = 0;

	if (!r->send.have_reply && r->send.restarted) {
		tap_step(r, 0, st, "no request since the pump restarted: send one first");
		return;
	}
	if (!w.roles)
		for (int role = 0; role < SCN_ROLES; role++)
			if (scnlink_connected(r->link, role))
				w.roles |= 1u << role;
	if (scnlink_wait(r->link, all_saw, &w)) {
		tap_step(r, 1, st, NULL);
		return;
	}
	why[0] = '\0';
	for (int role = 0; role < SCN_ROLES && used < sizeof why; role++) {
		if (!(w.roles & (1u << role)) || role_saw(r, st, role))
			continue;
		if (used)
			why[used++] = '\n';
		used += describe_window(r, st, role, why + used, sizeof why - used);
	}
	tap_step(r, 0, st, why);
}

static void expect(struct run *r, const struct scn_step *st)
{
	struct scnmatch_seen seen;
	char why[2048];
	int ok;
	if (st->expect == SCN_X_NOTIFY) {
		expect_notify(r, st);
		return;
	}
	scnsend_seen(&r->send, &seen);
	ok = scnmatch_reply(st, &seen, why, sizeof why);
	tap_step(r, ok, st, ok ? NULL : why);
}

/* ---- one file ------------------------------------------------------------------ */

static struct scn *parse_file(struct run *r)
{
	FILE *f = fopen(r->file, "r");
	struct scn *s;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f) {
		scntap_point(r->tap, 0, r->file, 0, "read", "%s", strerror(errno));
		return NULL;
	}
	s = scn_new(r->file);
	if (!s) {
		fclose(f);
		scntap_point(r->tap, 0, r->file, 0, "parse", "out of memory");
		return NULL;
	}
	while (!rc && (len = getline(&line, &cap, f)) >= 0)
		rc = scn_feed(s, line, (size_t)len);
	free(line);
	if (!rc && ferror(f)) {
		fclose(f);
		scntap_point(r->tap, 0, r->file, 0, "read", "read error");
		scn_free(s);
		return NULL;
	}
	fclose(f);
	if (!rc)
		rc = scn_finish(s);
	if (rc) {
		const char *e = scn_error(s);
		/* the message starts with "file:line: " already */
		scntap_point(r->tap, 0, NULL, 0, e[0] ? e : "parse error",
		             "the scenario does not parse; nothing was run");
		scn_free(s);
		return NULL;
	}
	return s;
}

static void run_steps(struct run *r, const struct scn *s)
{
	char why[600];
	size_t i, n = scn_count(s);

	for (i = 0; i < n; i++) {
		const struct scn_step *st = scn_step_at(s, i);
		int stop = 0;
		switch (st->kind) {
		case SCN_PUMP:
			if (pump_sim(r, s, st, why, sizeof why) != 0) {
				tap_step(r, 0, st, why);
				show_log(r);
				stop = 1;
			}
			break;
		case SCN_REQUEST:
		case SCN_RETRY:
			request(r, st);
			break;
		case SCN_EXPECT:
			expect(r, st);
			break;
		case SCN_RESTART:
		case SCN_KILL9:
			stop = restart(r, st) != 0;
			break;
		default:
			break;
		}
		if (stop)
			break;
	}
	if (i < n)
		scntap_comment(r->tap, "%s: the remaining %zu steps were not run", r->file,
		               n - i - 1);
}

static void run_file(struct run *r)
{
	struct scn *s = parse_file(r);
	int status;

	if (!s)
		return;
	scntap_comment(r->tap, "%s", r->file);
	run_steps(r, s);
	disconnect(r);
	if (r->pump.pid > 0) {
		status = scnpump_stop(&r->pump, SIGTERM);
		if (status != 0) {
			char d[64];
			scnpump_describe(status, d, sizeof d);
			scntap_point(r->tap, 0, r->file, 0, "stop",
			             "pumpd did not stop cleanly on SIGTERM\nit %s", d);
			show_log(r);
		}
	}
	scnpump_destroy(&r->pump, r->o->keep);
	scn_free(s);
}

/* The deadline of every wait on pumpd: o->timeout_ms (0: 10 s) times
 * PTM_TIME_SCALE, the slowdown of the run (a whole number from 1 to 1000,
 * default 1; tests/run.sh sets it under valgrind and the sanitizers). */
static uint32_t run_timeout(const struct scnrun_opts *o, struct scntap *tap)
{
	const char *v = getenv("PTM_TIME_SCALE");
	uint64_t ms = o->timeout_ms ? o->timeout_ms : 10000;
	unsigned long k = 1;
	if (v && *v) {
		char *end;
		errno = 0;
		k = strtoul(v, &end, 10);
		if (errno || *end || k < 1 || k > 1000) {
			scntap_comment(tap, "PTM_TIME_SCALE '%s' is not a whole number "
			               "from 1 to 1000: ignored", v);
			k = 1;
		}
	}
	ms *= k;
	return ms > INT_MAX ? INT_MAX : (uint32_t)ms;
}

int scnrun_files(const struct scnrun_opts *o, int nfiles, char **files)
{
	static struct run r; /* large; one run at a time */
	struct scntap tap = { o->out, 0, 0 };
	uint32_t timeout_ms = run_timeout(o, &tap);

	for (int i = 0; i < nfiles; i++) {
		const char *slash = strrchr(files[i], '/');
		memset(&r, 0, sizeof r);
		r.o = o;
		r.timeout_ms = timeout_ms;
		r.file = files[i];
		r.tap = &tap;
		if (slash == files[i])
			snprintf(r.dir, sizeof r.dir, "/");
		else if (slash)
			snprintf(r.dir, sizeof r.dir, "%.*s", (int)(slash - files[i]), files[i]);
		else
			snprintf(r.dir, sizeof r.dir, ".");
		scnpump_init(&r.pump, o->pumpd, timeout_ms);
		scnsend_init(&r.send, r.file, r.dir);
		run_file(&r);
	}
	scntap_plan(&tap);
	return tap.failed || tap.n == 0;
}
