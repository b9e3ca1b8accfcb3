/* tests/soak/soak_flood.c — floods against one pump while a paired patient's
 * STATUS is measured (soak_patient.h): connections held and reopened, slow
 * peers, non-readers, garbage, a handshake storm with a replayed message 1
 * (the audit table must stay bounded; over the unix socket and over TCP
 * from rotating sources), and TCP peers from another loopback address.  Each flood starts once its flooder is at full strength. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lib/e2e.h"
#include "tests/soak/soak.h"
#include "tests/soak/soak_db.h"
#include "tests/soak/soak_flooder.h"
#include "tests/soak/soak_hog.h"
#include "tests/soak/soak_patient.h"

#define NHOGS 4
#define READY_MS 15000          /* a flooder reaches full strength within */
#define RECOVER_MS 15000        /* the patient is served again within */
#define P99_TARGET_US 50000

struct flood {
	const char *name;
	const char *what;
	int kind;                   /* enum soak_flood_kind, or -1: non-readers */
	unsigned conns;
	int tcp;                    /* 0 unix, 1 TCP from 127.0.0.2, 2 TCP from
	                               rotating 127.1.x.y */
	int over_tcp;               /* the patient over TCP 127.0.0.1 */
};

static const struct flood floods[] = {
	{ "reopen", "1200 connections to the unix socket, each reopened as the pump closes it",
	  SOAK_FL_REOPEN, 1200, 0, 0 },
	{ "slow", "300 slow peers, a byte every 0.3 s", SOAK_FL_SLOW, 300, 0, 0 },
	{ "nonread", "4 paired remotes pipelining STATUS, never reading",
	  -1, NHOGS, 0, 0 },
	{ "garbage", "64 at once: random frames, oversize and zero lengths, random message 1s",
	  SOAK_FL_GARBAGE, 64, 0, 0 },
	{ "storm", "64 at once: the patient's captured message 1 replayed, random message 1s",
	  SOAK_FL_STORM, 64, 0, 0 },
	{ "storm-tcp", "the storm over TCP, each connection from a new 127.1.x.y",
	  SOAK_FL_STORM, 64, 2, 0 },
	{ "tcp", "1000 TCP peers from 127.0.0.2 (the patient on 127.0.0.1)",
	  SOAK_FL_REOPEN, 1000, 1, 1 },
};
#define NFLOODS (sizeof floods / sizeof floods[0])

struct fctx {
	const struct soak_opts *o;
	e2e_pump *p;
	struct client_config unix_cfg, tcp_cfg;
	uint8_t msg1[128];          /* the patient's captured message 1 frame */
	size_t msg1_len;
	unsigned port;
	unsigned not_recovered;
	char recover_why[96];
};

/* The frame of a real message 1 of the patient, as sent on the wire. */
static int capture_msg1(struct fctx *x)
{
	e2e_session *s = e2e_session_open(x->p, "patient");
	if (!s)
		return -1;
	size_t len;
	const uint8_t *b = e2e_session_sent(s, &len);
	size_t flen = len >= 2 ? 2 + ((size_t)b[0] << 8 | b[1]) : 0;
	int ok = flen > 2 && flen <= len && flen <= sizeof x->msg1;
	if (ok) {
		memcpy(x->msg1, b, flen);
		x->msg1_len = flen;
	}
	e2e_session_close(s);
	return ok ? 0 : -1;
}

static int audit_now(const struct fctx *x, int64_t *rows, int64_t *last)
{
	struct soak_db *db;
	char err[256];
	if (soak_db_open(e2e_state_dir(x->p), &db, err, sizeof err) < 0)
		return -1;
	int rc = soak_db_audit(db, rows, last);
	soak_db_close(db);
	return rc;
}

/* The patient's figures, its success count checked; its p99 checked in
 * the long run only (printed beside the target in both). */
static void served(const struct fctx *x, const char *name, int over_tcp,
                   const struct soak_tries *t)
{
	char line[160];
	soak_tries_fmt(t, line, sizeof line);
	soak_check(soak_tries_served(t), "flood %s: patient STATUS (%s): %s "
	           "(target: 99 in 100 served, p99 < 50 ms)%s%s", name,
	           over_tcp ? "tcp 127.0.0.1" : "unix", line,
	           t->first_fail[0] ? "; first failure: " : "", t->first_fail);
	int64_t p99 = soak_tries_pct(t, 99);
	if (x->o->long_run)
		soak_check(p99 >= 0 && p99 < P99_TARGET_US,
		           "flood %s: patient p99 under 50 ms", name);
}

static int start(struct fctx *x, const struct flood *fl, struct soak_flooder *f,
                 unsigned *n)
{
	*n = 0;
	if (fl->kind < 0) {
		for (unsigned i = 0; i < fl->conns; i++) {
			char name[16];
			snprintf(name, sizeof name, "hog%u", i + 1);
			if (soak_hog_start(x->p, name, &f[*n]) < 0)
				return -1;
			(*n)++;
		}
		return 0;
	}
	char path[256];
	snprintf(path, sizeof path, "%s/pump.sock", e2e_dir(x->p));
	struct soak_flooder_cfg c = {
		.kind = fl->kind, .conns = fl->conns, .unix_path = path,
		.tcp = fl->tcp != 0, .tcp_src = fl->tcp == 1 ? "127.0.0.2" : NULL,
		.tcp_port = x->port, .replay = x->msg1,
		.replay_len = x->msg1_len, .uid = x->o->flood_uid,
		.seed = x->o->seed ^ (uint64_t)(fl - floods) << 40,
	};
	if (soak_flooder_start(&c, &f[0]) < 0)
		return -1;
	*n = 1;
	return 0;
}

static void one_flood(struct fctx *x, const struct flood *fl)
{
	struct soak_flooder f[NHOGS];
	struct soak_flood_stats st, sum;
	struct soak_tries *t = calloc(1, sizeof *t);
	unsigned n = 0, ready = 0;
	int64_t rows0 = 0, last0 = 0, rows1 = 0, last1 = 0;
	const struct client_config *cfg = fl->over_tcp ? &x->tcp_cfg : &x->unix_cfg;
	memset(&sum, 0, sizeof sum);
	if (!t || start(x, fl, f, &n) < 0) {
		soak_check(0, "flood %s: could not start the flooder", fl->name);
		for (unsigned i = 0; i < n; i++)
			soak_flooder_stop(&f[i], NULL);
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		ready += (unsigned)soak_flooder_ready(&f[i], READY_MS);
	int audit = fl->kind == SOAK_FL_STORM &&
	            audit_now(x, &rows0, &last0) == 0;
	soak_tries_run(t, cfg, x->o->tries, x->o->flood_ms);
	audit = audit && audit_now(x, &rows1, &last1) == 0;
	for (unsigned i = 0; i < n; i++) {
		soak_flooder_stop(&f[i], &st);
		sum.connects += st.connects;
		sum.connect_errors += st.connect_errors;
		sum.pump_closes += st.pump_closes;
		sum.items += st.items;
		sum.held_max += st.held_max;
	}
	soak_note("flood %s: %s%s", fl->name, fl->what,
	          ready == n ? "" : " (NOT at full strength)");
	soak_note("flood %s: flooder: %" PRIu64 " connects (%" PRIu64 " refused at "
	          "connect), %" PRIu64 " closed by the pump, %" PRIu64 " %s, at most "
	          "%" PRIu64 " open", fl->name, sum.connects, sum.connect_errors,
	          sum.pump_closes, sum.items,
	          fl->kind < 0 ? "requests" : fl->kind == SOAK_FL_SLOW ? "bytes" :
	          "frames", sum.held_max);
	served(x, fl->name, fl->over_tcp, t);
	if (fl->kind == SOAK_FL_STORM) {
		int64_t written = last1 - last0, bound = 4 * (int64_t)t->made + 32;
		soak_check(audit && written <= bound, "flood %s: audit table "
		           "bounded: %" PRId64 " rows written (%" PRId64 " -> %" PRId64
		           " rows) for %" PRIu64 " message 1s sent; at most %" PRId64
		           " allowed (4 per patient try + 32)", fl->name, written,
		           rows0, rows1, sum.items, bound);
	}
out:
	free(t);
	if (soak_status_until_ok(&x->unix_cfg, RECOVER_MS) < 0 &&
	    x->not_recovered++ == 0)
		snprintf(x->recover_why, sizeof x->recover_why, "after %s", fl->name);
}

/* A flooder of another uid must reach the socket: the directory
 * traversable, the socket writable by all (what a shared setup does). */
static void open_to_flooders(struct fctx *x)
{
	char path[256];
	snprintf(path, sizeof path, "%s/pump.sock", e2e_dir(x->p));
	if (x->o->flood_uid < 0)
		return;
	if (chmod(e2e_dir(x->p), 0711) < 0 || chmod(path, 0666) < 0)
		soak_note("flood: cannot open %s to uid %ld", path, x->o->flood_uid);
	else
		soak_note("flood: unix flooders run as uid %ld", x->o->flood_uid);
}

void soak_floods(const struct soak_opts *o)
{
	struct fctx x = { .o = o };
	struct soak_tries *t = calloc(1, sizeof *t);
	x.p = e2e_start(NULL, E2E_TCP | E2E_QUIET);
	int ok = t && x.p && e2e_tcp_addr(x.p) &&
	         e2e_client_config(x.p, "patient", &x.unix_cfg) == 0;
	for (unsigned i = 0; ok && i < NHOGS; i++) {
		char name[16];
		snprintf(name, sizeof name, "hog%u", i + 1);
		ok = e2e_pair(x.p, name, "patient") == 0;
	}
	if (!ok || capture_msg1(&x) < 0) {
		soak_check(0, "flood: could not start a pump for the floods");
		goto out;
	}
	x.tcp_cfg = x.unix_cfg;
	x.tcp_cfg.address = e2e_tcp_addr(x.p);
	x.port = (unsigned)atoi(strrchr(e2e_tcp_addr(x.p), ':') + 1);
	open_to_flooders(&x);
	soak_tries_run(t, &x.unix_cfg, o->tries, o->flood_ms / 4);
	served(&x, "none", 0, t);
	for (size_t i = 0; i < NFLOODS; i++)
		one_flood(&x, &floods[i]);
	soak_check(x.not_recovered == 0, "flood: the patient is served again "
	           "within %d s after each flood%s%s", RECOVER_MS / 1000,
	           x.not_recovered ? ": not " : "", x.recover_why);
out:
	free(t);
	e2e_free(x.p);
}
