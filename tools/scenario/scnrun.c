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

#include <sodium.h>

#include "net/client.h"
#include "net/msgjson.h"
#include "util/fmt.h"
#include "util/units.h"
#include "tools/scenario/scn.h"
#include "tools/scenario/scnexplore.h"
#include "tools/scenario/scnlink.h"
#include "tools/scenario/scnmatch.h"
#include "tools/scenario/scnpump.h"
#include "tools/scenario/scnremote.h"
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
	struct scnremote *rm;          /* --pump: the running pump; NULL: our own */
	int skipped;                   /* the file cannot run here: stop */
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
	if (r->rm) {
		lc.address = r->rm->addr;
		lc.pump_pub = r->rm->pump_pub;
		lc.priv = (const uint8_t (*)[32])r->rm->priv;
		lc.roles = r->rm->roles;
	} else {
		lc.address = r->pump.addr;
		lc.pump_pub = r->pump.pump_pub;
		lc.priv = (const uint8_t (*)[32])r->pump.priv;
	}
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

/* The scenario's prescription (its rx, or pumpd's default) as the one in
 * force, for explore and the set-up of a running pump. */
static int scn_prescription(struct run *r, const struct scn *s, char *why, size_t n)
{
	unsigned line = 0;
	const char *text = scn_rx_text(s, &line), *file = scn_rx_file(s, NULL);
	if (text || file) {
		if (scnsend_read_rx(&r->send, text, file, line, &r->send.rx, why, n) != 0)
			return -1;
	} else {
		scnremote_default_rx(&r->send.rx);
	}
	r->send.have_rx = 1;
	return 0;
}

/* The roles a scenario's steps speak as (1 << role each). */
static unsigned roles_used(const struct scn *s)
{
	unsigned m = 0;
	for (size_t i = 0; i < scn_count(s); i++) {
		const struct scn_step *st = scn_step_at(s, i);
		if (st->kind == SCN_REQUEST || st->kind == SCN_RETRY)
			m |= 1u << st->role;
		else if (st->kind == SCN_EXPECT && st->expect == SCN_X_NOTIFY)
			m |= st->roles;
		else if (st->kind == SCN_EXPLORE)
			m |= (1u << SCN_ROLES) - 1;
	}
	return m;
}

/* --pump: connect to the running pump and set it up for this scenario.
 * 0 ready; 1 skipped (said); -1 failed (why). */
static int pump_remote(struct run *r, const struct scn *s, const struct scn_step *st,
                       char *why, size_t n)
{
	struct scnremote_setup su;
	unsigned missing = roles_used(s) & ~r->rm->roles;
	char reason[600];
	int rc;

	/* the set-up programs, refills and moves the clock */
	missing |= ((1u << SCN_CLINICIAN) | (1u << SCN_TESTER)) & ~r->rm->roles;
	if (missing) {
		fmt_set(reason, sizeof reason, "needs a %s key to set the pump up (--%s-key)",
		        scn_role_name(missing & (1u << SCN_CLINICIAN) ? SCN_CLINICIAN : SCN_TESTER),
		        scn_role_name(missing & (1u << SCN_CLINICIAN) ? SCN_CLINICIAN : SCN_TESTER));
		scntap_skip(r->tap, r->file, st->line, st->src, reason);
		return 1;
	}
	if (scn_prescription(r, s, why, n) != 0 || connect_remotes(r, why, n) != 0)
		return -1;
	memset(&su, 0, sizeof su);
	su.rx = &r->send.rx;
	su.start_ms = st->start_ms;
	su.volume_nl = st->volume_nl;
	rc = scnremote_prepare(r->link, &su, &r->send.base, reason, sizeof reason);
	if (rc == 0 && r->send.base.time_off) {
		char d[UNITS_FMT_MAX];
		scnlink_set_time_offset(r->link, r->send.base.time_off);
		scntap_comment(r->tap, "%s: the pump's clock is %s past start=: every time "
		               "seen is moved back by it", r->file,
		               units_fmt_duration(r->send.base.time_off, d));
	}
	if (rc == 1)
		scntap_skip(r->tap, r->file, st->line, st->src, reason);
	else if (rc < 0)
		fmt_set(why, n, "%s", reason);
	return rc;
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
	if (scn_prescription(r, s, why, n) != 0)
		return -1;
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

	if (r->rm) {
		scntap_skip(r->tap, r->file, st->line, st->src,
		            "the pump is not ours to restart (ptmctl run --pump)");
		return 0;
	}
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

static void request(struct run *r, const struct scn_step *st,
                    const struct scn_step *next)
{
	char why[600];
	if (scnsend_step(&r->send, r->link, st, why, sizeof why) != 0) {
		/* no reply, and the scenario says that is what must happen */
		if (!(r->send.no_reply && next && next->kind == SCN_EXPECT &&
		      next->expect == SCN_X_INCOMPLETE))
			tap_step(r, 0, st, why);
		return;
	}
	if (r->o->verbose)
		print_json(r, "", msgjson_reply(&r->send.reply));
}

static void say_step(void *ud, const char *line)
{
	struct run *r = ud;
	scntap_comment(r->tap, "explore: %s", line);
}

/* explore N [seed=S]: one test point for all its steps. */
static void explore(struct run *r, const struct scn_step *st)
{
	static char why[4096];
	struct scnexplore x;
	struct scnexplore_counts c;
	int rc;

	memset(&x, 0, sizeof x);
	x.n = st->explore_n;
	if (r->o->has_seed)
		x.seed = r->o->seed;
	else if (st->has_seed)
		x.seed = st->seed;
	else {
		randombytes_buf(&x.seed, sizeof x.seed);
		x.seed &= (1ull << 53) - 1; /* shorter to type back */
	}
	if (r->o->verbose) {
		x.say = say_step;
		x.ud = r;
	}
	scntap_comment(r->tap, "explore: seed %" PRIu64 " (ptmctl run --seed %" PRIu64
	               " %s replays it)", x.seed, x.seed, r->file);
	rc = scnexplore_run(&x, &r->send, r->link, why, sizeof why, &c);
	scntap_comment(r->tap, "explore: %" PRIu64 " config, %" PRIu64 " prime (%" PRIu64
	               " given), %" PRIu64 " bridge (%" PRIu64 " given), %" PRIu64
	               " refills to a new concentration (%" PRIu64 " left a bridge due)",
	               c.config, c.prime, c.prime_given, c.bridge, c.bridge_given,
	               c.refill_conc, c.bridge_due);
	if (rc == 1)
		tap_step(r, 1, st, NULL);
	else
		scntap_point(r->tap, 0, r->file, st->line, st->src,
		             "%s\nreplay: ptmctl run --seed %" PRIu64 " %s", why, x.seed, r->file);
}

/* --pump: how early next_refill may be (scnmatch.h): 1 ng's delivery time
 * at the slowest basal rate of the prescription in force. */
static uint64_t refill_slack(const struct run *r)
{
	const struct msg_rx *rx = &r->send.rx;
	uint64_t min = 0;
	if (!r->rm || !r->send.have_rx)
		return 0;
	if (rx->mode == MSG_MODE_CONTINUOUS)
		min = rx->rate_ng_day;
	for (unsigned i = 0; rx->mode == MSG_MODE_FLEXIBLE && i < rx->n_steps &&
	     i < MSG_STEPS_MAX; i++)
		if (rx->steps[i].rate_ng_day && (!min || rx->steps[i].rate_ng_day < min))
			min = rx->steps[i].rate_ng_day;
	return min ? (86400000ull + min - 1) / min : 0;
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
		if (scnmatch_note(st, &nt[i], refill_slack(r), why, sizeof why))
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
		scnmatch_note(st, &nt[i], refill_slack(r), why, sizeof why);
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
	seen.refill_slack_ms = refill_slack(r);
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
			if (r->rm) {
				int rc = pump_remote(r, s, st, why, sizeof why);
				if (rc < 0)
					tap_step(r, 0, st, why);
				stop = rc != 0;
			} else if (pump_sim(r, s, st, why, sizeof why) != 0) {
				tap_step(r, 0, st, why);
				show_log(r);
				stop = 1;
			}
			break;
		case SCN_REQUEST:
		case SCN_RETRY:
			request(r, st, i + 1 < n ? scn_step_at(s, i + 1) : NULL);
			break;
		case SCN_EXPECT:
			expect(r, st);
			break;
		case SCN_EXPLORE:
			explore(r, st);
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
	if (!r->rm && r->pump.pid > 0) {
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
	static struct scnremote rm;
	struct scntap tap = { o->out, 0, 0 };
	uint32_t timeout_ms = run_timeout(o, &tap);
	char why[600];

	if (o->pump_addr) {
		if (scnremote_load(&rm, o->pump_addr, o->pump_key, o->key, why, sizeof why) != 0) {
			scntap_point(&tap, 0, NULL, 0, "--pump", "%s", why);
			scntap_plan(&tap);
			return 1;
		}
		scntap_comment(&tap, "against the pump at %s (set up through the protocol "
		               "before each file)", o->pump_addr);
	}

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
		r.rm = o->pump_addr ? &rm : NULL;
		run_file(&r);
	}
	scnremote_clear(&rm);
	scntap_plan(&tap);
	return tap.failed || tap.n == 0;
}
