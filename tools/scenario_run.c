/*
 * tools/scenario_run.c — run scenario files against a private pumpd and
 * print TAP (see scenario_run.h, docs/SCENARIOS.md).
 */
#define _GNU_SOURCE 1 /* strcasestr */
#include "tools/scenario_run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sodium.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "net/peer.h"
#include "net/rxfile.h"
#include "tools/ctl_session.h"
#include "tools/ctl_units.h"
#include "tools/ctljson.h"
#include "tools/scenario.h"

#define READY_MAX 256

/* snprintf into a message buffer; truncation is acceptable for messages */
static void msgf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void msgf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* out = a/b; -1 if it does not fit */
static int pathcat(char *out, size_t n, const char *a, const char *b)
{
	int w = snprintf(out, n, "%s/%s", a, b);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

struct run {
	const struct scnrun_opts *o;
	const char *file;              /* as given */
	char dir[PATH_MAX];            /* the scenario's directory */
	char tmp[PATH_MAX];            /* private temporary directory */
	char state[PATH_MAX];          /* tmp/pump: pumpd's state directory */
	char sock[PATH_MAX];           /* tmp/pump.sock */
	char log[PATH_MAX];            /* tmp/pumpd.log: pumpd's stdout+stderr */
	char addr[READY_MAX];          /* the address from the READY line */
	pid_t pid;                     /* running pumpd, 0 if none */

	uint8_t pump_pub[KEYS_LEN];
	uint8_t priv[SCN_ROLES][KEYS_LEN];  /* secret: zeroed after the file */
	int keys_ready;
	struct ctl_sess *sess[SCN_ROLES];   /* a kept session per role, or NULL */

	uint64_t next_id[SCN_ROLES];
	struct msg_request last_req[SCN_ROLES];
	int have_last[SCN_ROLES];

	struct msg_reply reply;        /* the last reply */
	int have_reply;
	struct msg_reply role_reply[SCN_ROLES]; /* each role's last reply */
	int have_role_reply[SCN_ROLES];
	struct msg_reply orig;         /* a repeated id: the reply it got first */
	int have_orig;
	int stale;                     /* the pump restarted since `reply` */
	unsigned reply_line;           /* the request line `reply` answers */

	unsigned *testno;              /* shared TAP counter */
	int failed;
};

/* ---- TAP ------------------------------------------------------------------ */

static void tap(struct run *r, int ok, const struct scn_step *st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One test point; fmt (may be NULL) adds "#   ..." diagnostic lines. */
static void tap(struct run *r, int ok, const struct scn_step *st, const char *fmt, ...)
{
	FILE *f = r->o->out;
	(*r->testno)++;
	fprintf(f, "%s %u - %s:%u: %s\n", ok ? "ok" : "not ok", *r->testno, r->file,
	        st ? st->line : 0, st ? st->src : "");
	if (!ok)
		r->failed = 1;
	if (fmt) {
		char msg[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		for (char *line = msg, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			fprintf(f, "#   %s\n", line);
		}
	}
	fflush(f);
}

/* A failure not tied to a step line. */
static void tap_fail_file(struct run *r, unsigned line, const char *what, const char *why)
{
	(*r->testno)++;
	fprintf(r->o->out, "not ok %u - %s:%u: %s\n#   %s\n", *r->testno, r->file, line,
	        what, why);
	fflush(r->o->out);
	r->failed = 1;
}

/* The last lines of pumpd's log as TAP comments. */
static void show_log(struct run *r)
{
	FILE *f = fopen(r->log, "r");
	char lines[8][256];
	unsigned n = 0;
	if (!f)
		return;
	while (fgets(lines[n % 8], sizeof lines[0], f))
		n++;
	fclose(f);
	if (n)
		fprintf(r->o->out, "#   pumpd said:\n");
	for (unsigned i = n > 8 ? n - 8 : 0; i < n; i++) {
		char *l = lines[i % 8];
		l[strcspn(l, "\n")] = '\0';
		fprintf(r->o->out, "#     %s\n", l);
	}
}

/* ---- child processes ------------------------------------------------------ */

static uint32_t tmo(const struct run *r)
{
	return r->o->timeout_ms ? r->o->timeout_ms : 10000;
}

/* fork + exec pumpd with argv (argv[0] ignored); stdout/stderr to the log;
 * ready_fd >= 0 is passed as fd 3.  Returns the pid or -errno. */
static pid_t spawn(struct run *r, char **argv, int ready_fd, int out_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int logfd = open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if (out_fd >= 0)
			dup2(out_fd, 1);
		else if (logfd >= 0)
			dup2(logfd, 1);
		if (logfd >= 0)
			dup2(logfd, 2);
		if (ready_fd >= 0) {
			if (ready_fd != 3) {
				dup2(ready_fd, 3);
				close(ready_fd);
			} else {
				fcntl(3, F_SETFD, 0);
			}
		}
		static char prog[PATH_MAX];
		msgf(prog, sizeof prog, "%s", r->o->pumpd);
		argv[0] = prog;
		if (strchr(r->o->pumpd, '/'))
			execv(r->o->pumpd, argv);
		else
			execvp(r->o->pumpd, argv);
		dprintf(2, "cannot run %s: %s\n", r->o->pumpd, strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Wait for pid with a deadline; SIGKILL after it.  Returns the wait status
 * or -1. */
static int reap(pid_t pid, uint32_t ms)
{
	int status;
	struct timespec step = { 0, 5000000 };
	for (uint32_t waited = 0;; waited += 5) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= ms) {
			kill(pid, SIGKILL);
			return waitpid(pid, &status, 0) == pid ? status : -1;
		}
		/* a bounded wait for an exit, not synchronisation of the test */
		nanosleep(&step, NULL);
	}
}

static void describe_status(int status, char *buf, size_t n)
{
	if (status < 0)
		snprintf(buf, n, "could not be waited for");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "ended (status 0x%x)", (unsigned)status);
}

/* Run pumpd with args to completion.  out_fd: where its stdout goes (-1:
 * the log).  Returns 0 if it exited 0; else a message in why. */
static int run_tool(struct run *r, char **argv, int out_fd, char *why, size_t n)
{
	pid_t pid = spawn(r, argv, -1, out_fd);
	int status;
	if (pid < 0) {
		msgf(why, n, "cannot start %s: %s", r->o->pumpd, strerror((int)-pid));
		return -1;
	}
	status = reap(pid, tmo(r));
	if (status == 0)
		return 0;
	{
		char d[64];
		describe_status(status, d, sizeof d);
		msgf(why, n, "pumpd %s %s", argv[1], d);
	}
	return -1;
}

/* Start `pumpd run` and wait for "READY <address>\n" on fd 3. */
static int pump_start(struct run *r, char *why, size_t n)
{
	int pfd[2];
	char *argv[] = { NULL, "run", r->state, "--unix", r->sock, "--sim",
	                 "--speed", "0", "--ready-fd", "3", NULL };
	char buf[READY_MAX];
	size_t got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		msgf(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = spawn(r, argv, pfd[1], -1);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		msgf(why, n, "cannot start %s: %s", r->o->pumpd, strerror((int)-pid));
		return -1;
	}
	r->pid = pid;
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		ssize_t k;
		int pr = poll(&p, 1, (int)tmo(r));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			msgf(why, n, "pumpd did not report READY within %u ms", tmo(r));
			break;
		}
		k = read(pfd[0], buf + got, sizeof buf - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int status = reap(pid, tmo(r));
			char d[64];
			describe_status(status, d, sizeof d);
			r->pid = 0;
			msgf(why, n, "pumpd run %s before it was ready", d);
			break;
		}
		got += (size_t)k;
		buf[got] = '\0';
		if (strchr(buf, '\n')) {
			close(pfd[0]);
			if (strncmp(buf, "READY ", 6) != 0) {
				msgf(why, n, "pumpd wrote '%.*s' instead of READY",
				         (int)strcspn(buf, "\n"), buf);
				return -1;
			}
			/* "READY ADDR [ADDR...]": the first address */
			snprintf(r->addr, sizeof r->addr, "%.*s", (int)strcspn(buf + 6, " \n"),
			         buf + 6);
			return 0;
		}
		if (got == sizeof buf - 1) {
			msgf(why, n, "pumpd's READY line is too long");
			break;
		}
	}
	close(pfd[0]);
	return -1;
}

static void drop_sessions(struct run *r)
{
	for (int i = 0; i < SCN_ROLES; i++) {
		ctl_sess_free(r->sess[i]);
		r->sess[i] = NULL;
	}
}

/* Stop the pump: SIGTERM (clean) or SIGKILL.  Returns the wait status. */
static int pump_stop(struct run *r, int sig)
{
	int status;
	drop_sessions(r);
	if (r->pid <= 0)
		return 0;
	kill(r->pid, sig);
	status = reap(r->pid, tmo(r));
	r->pid = 0;
	return status;
}

/* ---- setup ------------------------------------------------------------------ */

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	return rc;
}

/* A scenario-relative path: absolute as is, else under r->dir. */
static void resolve(const struct run *r, const char *name, char *out, size_t n)
{
	if (name[0] == '/')
		msgf(out, n, "%s", name);
	else
		msgf(out, n, "%s/%s", r->dir, name);
}

static int setup_pump(struct run *r, const struct scn *s, const struct scn_step *st,
                      char *why, size_t n)
{
	char rxpath[PATH_MAX], vol[CTL_FMT_MAX], start[CTL_FMT_MAX], keydir[PATH_MAX];
	char pub[PATH_MAX], err[KEYS_ERRLEN];
	char *argv[16];
	int a = 0;
	unsigned line;
	const char *text = scn_rx_text(s, &line), *file = scn_rx_file(s, NULL);

	if (pathcat(r->state, sizeof r->state, r->tmp, "pump") ||
	    pathcat(r->sock, sizeof r->sock, r->tmp, "pump.sock") ||
	    pathcat(r->log, sizeof r->log, r->tmp, "pumpd.log") ||
	    pathcat(keydir, sizeof keydir, r->tmp, "keys")) {
		msgf(why, n, "temporary path too long");
		return -1;
	}

	argv[a++] = NULL;
	argv[a++] = "init";
	argv[a++] = r->state;
	if (text) {
		if (pathcat(rxpath, sizeof rxpath, r->tmp, "rx.txt")) {
			msgf(why, n, "temporary path too long");
			return -1;
		}
		if (write_file(rxpath, text) != 0) {
			msgf(why, n, "cannot write %s", rxpath);
			return -1;
		}
	} else if (file) {
		resolve(r, file, rxpath, sizeof rxpath);
		if (access(rxpath, R_OK) != 0) {
			msgf(why, n, "rx %s: %s", rxpath, strerror(errno));
			return -1;
		}
	}
	if (text || file) {
		argv[a++] = "--rx";
		argv[a++] = rxpath;
	}
	if (st->volume_nl) {
		/* "19.95 mL" -> "19.95" */
		ctl_fmt_volume(st->volume_nl, vol);
		if (st->volume_nl < 100000 || !strstr(vol, " mL")) {
			msgf(why, n, "volume= must be at least 0.1mL");
			return -1;
		}
		*strstr(vol, " mL") = '\0';
		argv[a++] = "--volume-ml";
		argv[a++] = vol;
	}
	if (st->start_ms) {
		argv[a++] = "--start";
		argv[a++] = ctl_fmt_time(st->start_ms, start);
	}
	argv[a] = NULL;
	if (run_tool(r, argv, -1, why, n) != 0)
		return -1;

	msgf(pub, sizeof pub, "%s/pump.pub", r->state);
	if (keys_load_public(pub, r->pump_pub, err) != 0) {
		msgf(why, n, "%s", err);
		return -1;
	}
	if (mkdir(keydir, 0700) != 0) {
		msgf(why, n, "mkdir %s: %s", keydir, strerror(errno));
		return -1;
	}
	for (int role = 0; role < SCN_ROLES; role++) {
		uint8_t rpub[KEYS_LEN];
		char rname[16];
		char *pargv[] = { NULL, "pair", r->state, "--role", rname,
		                  "--name", rname, pub, NULL };
		msgf(rname, sizeof rname, "%s", scn_role_name(role));
		if (keys_generate(r->priv[role], rpub) != 0 ||
		    keys_write_pair(keydir, scn_role_name(role), r->priv[role], err) != 0) {
			msgf(why, n, "key for %s: %s", scn_role_name(role), err);
			return -1;
		}
		r->keys_ready = 1;
		msgf(pub, sizeof pub, "%s/%s.pub", keydir, scn_role_name(role));
		pargv[7] = pub;
		if (run_tool(r, pargv, -1, why, n) != 0)
			return -1;
	}
	return pump_start(r, why, n);
}

/* ---- requests ------------------------------------------------------------------- */

static int read_rx(struct run *r, const struct scn_step *st, struct msg_rx *rx,
                   char *why, size_t n)
{
	struct rxfile p;
	char path[PATH_MAX], line[RXFILE_LINE_MAX + 2];
	int rc = 0;

	if (st->rx_text) {
		char name[PATH_MAX + 16];
		const char *t = st->rx_text;
		snprintf(name, sizeof name, "%s", r->file);
		rxfile_init(&p, name);
		/* body lines are numbered from the scenario's own line numbers */
		p.lineno = st->rx_line - 1;
		while (*t) {
			size_t len = strcspn(t, "\n");
			if (rxfile_parse_line(&p, t, len) < 0) {
				msgf(why, n, "%s", p.err);
				return -1;
			}
			t += len + (t[len] == '\n');
		}
	} else {
		FILE *f;
		resolve(r, st->rx_file, path, sizeof path);
		f = fopen(path, "r");
		if (!f) {
			msgf(why, n, "%s: %s", path, strerror(errno));
			return -1;
		}
		rxfile_init(&p, st->rx_file);
		while (!rc && fgets(line, sizeof line, f))
			if (rxfile_parse_line(&p, line, strlen(line)) < 0) {
				msgf(why, n, "%s", p.err);
				rc = -1;
			}
		fclose(f);
		if (rc)
			return rc;
	}
	if (rxfile_finish(&p, rx) < 0) {
		msgf(why, n, "%s", p.err);
		return -1;
	}
	return 0;
}

static void verbose_reply(struct run *r, const struct msg_reply *rep)
{
	json_t *j;
	char *s;
	if (!r->o->verbose)
		return;
	j = ctljson_reply(rep);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		fprintf(r->o->out, "# %s\n", s);
	free(s);
	json_decref(j);
}

static void do_request(struct run *r, const struct scn_step *st)
{
	static struct msg_request req;
	static struct msg_reply rep;
	char why[512];
	int role = st->role, rc;

	/* until this request is answered there is no reply to check */
	r->have_reply = 0;
	r->have_orig = 0;
	if (st->kind == SCN_RETRY) {
		if (!r->have_last[role]) {
			tap(r, 0, st, "retry: %s has sent no request yet", scn_role_name(role));
			return;
		}
		req = r->last_req[role];
	} else {
		req = st->req;
		if (req.type == MSG_PROGRAM && read_rx(r, st, &req.u.rx, why, sizeof why) != 0) {
			tap(r, 0, st, "program: %s", why);
			return;
		}
		if (req.type == MSG_REFILL && req.u.refill.concentration_ng_ml == 0) {
			if (!r->have_reply) {
				tap(r, 0, st, "refill without a concentration takes the pump's current one,\n"
				    "but there is no reply yet to read it from: give one (refill 20mL 10mg/mL)");
				return;
			}
			req.u.refill.concentration_ng_ml = r->reply.state.concentration_ng_ml;
		}
		if (st->has_id) {
			req.id = st->id;
			if (r->next_id[role] <= st->id)
				r->next_id[role] = st->id + 1;
		} else {
			req.id = r->next_id[role]++;
		}
		r->last_req[role] = req;
		r->have_last[role] = 1;
	}
	memset(&rep, 0, sizeof rep);
	if (!r->sess[role])
		r->sess[role] = ctl_sess_new(r->addr, r->priv[role], r->pump_pub);
	rc = r->sess[role] ? ctl_sess_call(r->sess[role], &req, &rep, tmo(r)) : PEER_R_NOMEM;
	if (rc != 0) {
		tap(r, 0, st, "%s (id %" PRIu64 ") as %s: no reply: %s", msg_type_name(req.type),
		    req.id, scn_role_name(role), ctl_strstatus(rc));
		r->have_reply = 0;
		r->have_orig = 0;
		return;
	}
	verbose_reply(r, &rep);
	/* the same id as this role's last request: keep what it got first */
	r->have_orig = r->have_role_reply[role] && r->role_reply[role].id == req.id;
	if (r->have_orig)
		r->orig = r->role_reply[role];
	/* a stale id is refused and not remembered by the pump: keep the
	 * reply of the newest id */
	if (!r->have_role_reply[role] || rep.id >= r->role_reply[role].id) {
		r->role_reply[role] = rep;
		r->have_role_reply[role] = 1;
	}
	r->reply = rep;
	r->have_reply = 1;
	r->stale = 0;
	r->reply_line = st->line;
}

/* ---- expectations ------------------------------------------------------------- */

/* The actual value of a check's field; 0 on success, -1 if it does not
 * apply to this reply (message in why). */
static int actual_of(const struct run *r, const struct scn_check *c, uint64_t *v,
                     const char **str)
{
	const struct msg_reply *rep = &r->reply;
	const struct msg_state *s = &rep->state;
	*str = NULL;
	switch (c->field) {
	case SCN_F_NOW:           *v = s->now_ms; break;
	case SCN_F_MODE:          *v = s->mode; break;
	case SCN_F_INFUSING:      *v = !!(s->flags & MSG_F_INFUSING); break;
	case SCN_F_BOLUS_RUNNING: *v = !!(s->flags & MSG_F_BOLUS_RUNNING); break;
	case SCN_F_BOLUS_ENABLED: *v = !!(s->flags & MSG_F_BOLUS_ENABLED); break;
	case SCN_F_SIMULATED:     *v = !!(s->flags & MSG_F_SIMULATED); break;
	case SCN_F_RESERVOIR:     *v = s->reservoir_nl; break;
	case SCN_F_CAPACITY:      *v = s->capacity_nl; break;
	case SCN_F_LOW_THRESHOLD: *v = s->low_threshold_nl; break;
	case SCN_F_CONCENTRATION: *v = s->concentration_ng_ml; break;
	case SCN_F_BASAL:         *v = s->basal_ng_day; break;
	case SCN_F_BOLUS_DOSE:    *v = s->bolus_dose_ng; break;
	case SCN_F_BOLUS_DURATION:*v = s->bolus_duration_ms; break;
	case SCN_F_LOCKOUT:       *v = s->lockout_ms; break;
	case SCN_F_BOLUSES_24H:   *v = s->boluses_24h; break;
	case SCN_F_MAX_PER_24H:   *v = s->max_per_24h; break;
	case SCN_F_BOLUS_ENDS:    *v = s->bolus_ends_ms; break;
	case SCN_F_NEXT_BOLUS:    *v = s->next_bolus_ms; break;
	case SCN_F_NEXT_BOLUS_REASON: *v = s->next_bolus_reason; break;
	case SCN_F_NEXT_REFILL:   *v = s->next_refill_ms; break;
	case SCN_F_ERI:           *v = s->eri_ms; break;
	case SCN_F_EOS:           *v = s->eos_ms; break;
	case SCN_F_DRUG:          *str = s->drug; break;
	case SCN_F_ALARMS:
	case SCN_F_SILENCED:
		*v = 0;
		for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
			if (c->field == SCN_F_ALARMS || (s->alarms[i].flags & MSG_AF_SILENCED))
				if (s->alarms[i].id < 64)
					*v |= (uint64_t)1 << s->alarms[i].id;
		break;
	case SCN_F_CRITICAL:
		*v = 0;
		for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
			if (s->alarms[i].priority == MSG_PRIO_HIGH)
				*v = 1;
		break;
	case SCN_F_DOSE:    *v = rep->u.bolus.dose_ng; break;
	case SCN_F_ENDS_IN: *v = rep->u.bolus.at_ms > s->now_ms ? rep->u.bolus.at_ms - s->now_ms : 0; break;
	case SCN_F_AT:      *v = rep->u.bolus.at_ms; break;
	case SCN_F_WAIT:    *v = rep->u.bolus.wait_ms; break;
	case SCN_F_DETAIL:  *str = rep->detail; break;
	case SCN_F_LAST_ID: *v = rep->u.last_id; break;
	case SCN_F_COUNT:
		*v = rep->req_type == MSG_HISTORY ? rep->u.history.n : rep->u.log.n;
		break;
	case SCN_F_OUTCOME_N:
		*v = 0;
		if (rep->req_type == MSG_STATUS) {
			for (unsigned i = 0; i < rep->u.counts.n && i < MSG_COUNTS_MAX; i++)
				if (rep->u.counts.c[i].outcome == c->arg)
					*v += rep->u.counts.c[i].count;
		} else {
			for (unsigned i = 0; i < rep->u.history.n && i < MSG_HISTORY_MAX; i++)
				if (rep->u.history.e[i].outcome == c->arg)
					(*v)++;
		}
		break;
	case SCN_F_CONTAINS:
		*v = 0;
		for (unsigned i = 0; i < rep->u.log.n && i < MSG_LOG_MAX; i++)
			if (strcasestr(rep->u.log.e[i].text, c->str))
				*v = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int cmp(uint64_t a, int op, uint64_t b)
{
	switch (op) {
	case SCN_EQ: return a == b;
	case SCN_NE: return a != b;
	case SCN_LT: return a < b;
	case SCN_LE: return a <= b;
	case SCN_GT: return a > b;
	case SCN_GE: return a >= b;
	default:     return 0;
	}
}

static void fmt_alarms(uint64_t mask, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	if (!mask) {
		snprintf(buf, n, "none");
		return;
	}
	for (int a = 1; a < 64 && used < n; a++)
		if (mask & ((uint64_t)1 << a)) {
			int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", msg_alarm_name(a));
			if (w < 0)
				return;
			used += (size_t)w;
		}
}

/* The actual value in the check's own terms, for a failure message. */
static void fmt_actual(const struct run *r, const struct scn_check *c, uint64_t v,
                       const char *str, char *buf, size_t n)
{
	char a[CTL_FMT_MAX], b[CTL_FMT_MAX];
	uint64_t now = r->reply.state.now_ms;
	if (str) {
		snprintf(buf, n, "'%s'", str);
		return;
	}
	switch (c->vtype) {
	case SCN_V_NL:     snprintf(buf, n, "%s (%" PRIu64 " nL)", ctl_fmt_volume(v, a), v); break;
	case SCN_V_NG:     snprintf(buf, n, "%s (%" PRIu64 " ng)", ctl_fmt_dose(v, a), v); break;
	case SCN_V_NG_DAY: snprintf(buf, n, "%s (%" PRIu64 " ng/day)", ctl_fmt_rate(v, a), v); break;
	case SCN_V_NG_ML:  snprintf(buf, n, "%s (%" PRIu64 " ng/mL)", ctl_fmt_conc(v, a), v); break;
	case SCN_V_MS:     snprintf(buf, n, "%s (%" PRIu64 " ms)", ctl_fmt_duration(v, a), v); break;
	case SCN_V_BOOL:   snprintf(buf, n, "%s", v ? "yes" : "no"); break;
	case SCN_V_ENUM:
		snprintf(buf, n, "%s", c->field == SCN_F_MODE ? msg_mode_name((int)v)
		                                              : msg_outcome_name((int)v));
		break;
	case SCN_V_ALARMS: fmt_alarms(v, buf, n); break;
	case SCN_V_WHEN:
		if (c->field == SCN_F_NOW)
			snprintf(buf, n, "%s", ctl_fmt_time(v, a));
		else if (v == 0)
			snprintf(buf, n, "never (0)");
		else if (v <= now)
			snprintf(buf, n, "now (%s, pump time %s)", ctl_fmt_time(v, a), ctl_fmt_time(now, b));
		else
			snprintf(buf, n, "in %s (%s)", ctl_fmt_duration(v - now, a), ctl_fmt_time(v, b));
		break;
	default:
		snprintf(buf, n, "%" PRIu64, v);
		break;
	}
}

/* 1 if the check holds; else 0 with a message. */
static int check_one(const struct run *r, const struct scn_check *c, char *why, size_t n)
{
	uint64_t v = 0, now = r->reply.state.now_ms;
	const char *str;
	char got[160];
	int ok;

	if (actual_of(r, c, &v, &str) != 0) {
		msgf(why, n, "%s: not in this reply", c->text);
		return 0;
	}
	if (c->field == SCN_F_CONTAINS) {
		if (v)
			return 1;
		msgf(why, n, "no log entry in this reply contains \"%s\"", c->str);
		return 0;
	}
	if (str) {
		ok = strcmp(str, c->str) == 0;
		if (c->op == SCN_NE)
			ok = !ok;
	} else if (c->vtype == SCN_V_ALARMS) {
		if (c->op == SCN_GE)
			ok = (v & c->value) == c->value;
		else
			ok = cmp(v, c->op, c->value);
	} else if (c->vtype == SCN_V_WHEN) {
		switch (c->when) {
		case SCN_W_NOW:   ok = v != 0 && v <= now; break;
		case SCN_W_NEVER: ok = v == 0; break;
		case SCN_W_AT:    ok = cmp(v, c->op, c->value); break;
		default: /* SCN_W_IN: from the pump's now */
			ok = v != 0 && cmp(v > now ? v - now : 0, c->op, c->value);
			break;
		}
		if (c->op == SCN_NE && (c->when == SCN_W_NOW || c->when == SCN_W_NEVER))
			ok = !ok;
	} else {
		ok = cmp(v, c->op, c->value);
	}
	if (ok)
		return 1;
	fmt_actual(r, c, v, str, got, sizeof got);
	msgf(why, n, "%s: got %s", c->text, got);
	return 0;
}

/* Body equality for `expect same`. */
static int same_body(const struct msg_reply *a, const struct msg_reply *b)
{
	if (a->id != b->id || a->req_type != b->req_type || a->err != b->err ||
	    strcmp(a->detail, b->detail) != 0)
		return 0;
	if (a->err == MSG_E_STALE_ID)
		return a->u.last_id == b->u.last_id;
	if (a->err != MSG_OK)
		return 1;
	switch (a->req_type) {
	case MSG_BOLUS:
		return a->u.bolus.outcome == b->u.bolus.outcome &&
		       a->u.bolus.dose_ng == b->u.bolus.dose_ng &&
		       a->u.bolus.at_ms == b->u.bolus.at_ms &&
		       a->u.bolus.wait_ms == b->u.bolus.wait_ms;
	case MSG_SILENCE:
		return a->u.silenced == b->u.silenced;
	case MSG_STATUS:
		if (a->u.counts.n != b->u.counts.n)
			return 0;
		for (unsigned i = 0; i < a->u.counts.n && i < MSG_COUNTS_MAX; i++)
			if (a->u.counts.c[i].outcome != b->u.counts.c[i].outcome ||
			    a->u.counts.c[i].count != b->u.counts.c[i].count)
				return 0;
		return 1;
	case MSG_HISTORY:
		if (a->u.history.n != b->u.history.n)
			return 0;
		for (unsigned i = 0; i < a->u.history.n && i < MSG_HISTORY_MAX; i++)
			if (a->u.history.e[i].at_ms != b->u.history.e[i].at_ms ||
			    a->u.history.e[i].outcome != b->u.history.e[i].outcome ||
			    a->u.history.e[i].dose_ng != b->u.history.e[i].dose_ng)
				return 0;
		return 1;
	case MSG_LOG:
		if (a->u.log.n != b->u.log.n)
			return 0;
		for (unsigned i = 0; i < a->u.log.n && i < MSG_LOG_MAX; i++)
			if (a->u.log.e[i].seq != b->u.log.e[i].seq ||
			    strcmp(a->u.log.e[i].text, b->u.log.e[i].text) != 0)
				return 0;
		return 1;
	default:
		return 1;
	}
}

static void describe_reply(const struct msg_reply *rep, char *buf, size_t n)
{
	char a[CTL_FMT_MAX], b[CTL_FMT_MAX];
	if (rep->err != MSG_OK)
		snprintf(buf, n, "%s reply (id %" PRIu64 "): error %s%s%s", msg_type_name(rep->req_type),
		         rep->id, msg_err_name(rep->err), rep->detail[0] ? ", detail " : "",
		         rep->detail);
	else if (rep->req_type == MSG_BOLUS)
		snprintf(buf, n, "bolus reply (id %" PRIu64 "): outcome %s, dose %s, wait %s",
		         rep->id, msg_outcome_name(rep->u.bolus.outcome),
		         ctl_fmt_dose(rep->u.bolus.dose_ng, a), ctl_fmt_duration(rep->u.bolus.wait_ms, b));
	else
		snprintf(buf, n, "%s reply (id %" PRIu64 "): ok", msg_type_name(rep->req_type), rep->id);
}

static void do_expect(struct run *r, const struct scn_step *st)
{
	const struct msg_reply *rep = &r->reply;
	char why[1024], got[256];
	size_t used = 0;
	int ok = 1;

	if (st->expect == SCN_X_SAME) {
		char g2[256];
		if (!r->have_reply || !r->have_orig) {
			tap(r, 0, st, "expect same follows a retry (or a request repeating its role's last id)");
			return;
		}
		if (same_body(rep, &r->orig)) {
			tap(r, 1, st, NULL);
			return;
		}
		describe_reply(&r->orig, g2, sizeof g2);
		describe_reply(rep, got, sizeof got);
		tap(r, 0, st, "first: %s\nretry: %s", g2, got);
		return;
	}
	if (!r->have_reply) {
		tap(r, 0, st, r->stale ? "no reply since the pump restarted: send a request first (e.g. as patient status)"
		                       : "the last request got no reply");
		return;
	}
	describe_reply(rep, got, sizeof got);
	switch (st->expect) {
	case SCN_X_OK:
		if (rep->err != MSG_OK ||
		    (rep->req_type == MSG_BOLUS && rep->u.bolus.outcome != MSG_OUT_GRANTED)) {
			tap(r, 0, st, "expected ok, got %s", got);
			return;
		}
		break;
	case SCN_X_ERROR:
		if (rep->err != st->code) {
			tap(r, 0, st, "expected error %s, got %s", msg_err_name(st->code), got);
			return;
		}
		break;
	case SCN_X_OUTCOME:
		if (rep->req_type != MSG_BOLUS || rep->err != MSG_OK ||
		    rep->u.bolus.outcome != st->code) {
			tap(r, 0, st, "expected outcome %s, got %s", msg_outcome_name(st->code), got);
			return;
		}
		break;
	case SCN_X_COUNTS:
	case SCN_X_HISTORY:
	case SCN_X_LOG:
	case SCN_X_SILENCED: {
		int want = st->expect == SCN_X_COUNTS ? MSG_STATUS
		         : st->expect == SCN_X_HISTORY ? MSG_HISTORY
		         : st->expect == SCN_X_LOG ? MSG_LOG : MSG_SILENCE;
		if (rep->req_type != want || rep->err != MSG_OK) {
			tap(r, 0, st, "needs an ok %s reply, the last one is %s", msg_type_name(want), got);
			return;
		}
		if (st->expect == SCN_X_SILENCED && rep->u.silenced != st->code) {
			tap(r, 0, st, "silenced: got %u", rep->u.silenced);
			return;
		}
		break;
	}
	default:
		break;
	}
	why[0] = '\0';
	for (unsigned i = 0; i < st->n_checks; i++) {
		char one[300];
		if (!check_one(r, &st->checks[i], one, sizeof one)) {
			int w = snprintf(why + used, sizeof why - used, "%s%s", used ? "\n" : "", one);
			if (w > 0 && (size_t)w < sizeof why - used)
				used += (size_t)w;
			ok = 0;
		}
	}
	if (ok)
		tap(r, 1, st, NULL);
	else
		tap(r, 0, st, "%s", why);
}

/* ---- one file ------------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct scn *parse_file(struct run *r)
{
	FILE *f = fopen(r->file, "r");
	struct scn *s;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f) {
		tap_fail_file(r, 0, "read", strerror(errno));
		return NULL;
	}
	s = scn_new(r->file);
	if (!s) {
		fclose(f);
		tap_fail_file(r, 0, "parse", "out of memory");
		return NULL;
	}
	while (!rc && (len = getline(&line, &cap, f)) >= 0)
		rc = scn_feed(s, line, (size_t)len);
	free(line);
	if (!rc && ferror(f)) {
		fclose(f);
		tap_fail_file(r, 0, "read", "read error");
		scn_free(s);
		return NULL;
	}
	fclose(f);
	if (!rc)
		rc = scn_finish(s);
	if (rc) {
		const char *e = scn_error(s);
		/* the message starts with "file:line: " already */
		(*r->testno)++;
		fprintf(r->o->out, "not ok %u - %s\n#   the scenario does not parse; nothing was run\n",
		        *r->testno, e[0] ? e : "parse error");
		r->failed = 1;
		scn_free(s);
		return NULL;
	}
	return s;
}

static int make_tmp(struct run *r)
{
	const char *base = getenv("TMPDIR");
	/* a unix socket path must fit in 108 bytes */
	if (!base || !base[0] || strlen(base) > 60)
		base = "/tmp";
	snprintf(r->tmp, sizeof r->tmp, "%s/ptmctl-XXXXXX", base);
	if (!mkdtemp(r->tmp)) {
		tap_fail_file(r, 0, "temporary directory", strerror(errno));
		r->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

static void run_file(struct run *r)
{
	struct scn *s = parse_file(r);
	char why[600];
	size_t i, n;

	if (!s)
		return;
	fprintf(r->o->out, "# %s\n", r->file);
	if (make_tmp(r) != 0) {
		scn_free(s);
		return;
	}
	if (r->o->keep)
		fprintf(r->o->out, "# keeping %s\n", r->tmp);
	for (int role = 0; role < SCN_ROLES; role++)
		r->next_id[role] = 1;

	n = scn_count(s);
	for (i = 0; i < n; i++) {
		const struct scn_step *st = scn_step_at(s, i);
		int status;
		switch (st->kind) {
		case SCN_PUMP:
			if (setup_pump(r, s, st, why, sizeof why) != 0) {
				tap(r, 0, st, "%s", why);
				show_log(r);
				goto out;
			}
			break;
		case SCN_REQUEST:
		case SCN_RETRY:
			do_request(r, st);
			break;
		case SCN_EXPECT:
			do_expect(r, st);
			break;
		case SCN_RESTART:
		case SCN_KILL9:
			status = pump_stop(r, st->kind == SCN_RESTART ? SIGTERM : SIGKILL);
			if (st->kind == SCN_RESTART && status != 0) {
				char d[64];
				describe_status(status, d, sizeof d);
				tap(r, 0, st, "pumpd should stop cleanly on SIGTERM but %s", d);
				show_log(r);
			}
			r->stale = 1;
			r->have_reply = 0;
			r->have_orig = 0;
			if (pump_start(r, why, sizeof why) != 0) {
				tap(r, 0, st, "restart: %s", why);
				show_log(r);
				goto out;
			}
			break;
		default:
			break;
		}
	}
out:
	if (i < n)
		fprintf(r->o->out, "# %s: the remaining %zu steps were not run\n", r->file, n - i - 1);
	if (r->pid > 0) {
		int status = pump_stop(r, SIGTERM);
		if (status != 0) {
			char d[64];
			describe_status(status, d, sizeof d);
			tap_fail_file(r, 0, "stop", "pumpd did not stop cleanly on SIGTERM");
			fprintf(r->o->out, "#   it %s\n", d);
			show_log(r);
		}
	}
	drop_sessions(r);
	if (r->tmp[0] && !r->o->keep)
		nftw(r->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	scn_free(s);
}

int scnrun_files(const struct scnrun_opts *o, int nfiles, char **files)
{
	static struct run r; /* large; one run at a time */
	unsigned testno = 0;
	int failed = 0;

	for (int i = 0; i < nfiles; i++) {
		const char *slash;
		memset(&r, 0, sizeof r);
		r.o = o;
		r.file = files[i];
		r.testno = &testno;
		slash = strrchr(files[i], '/');
		if (slash)
			snprintf(r.dir, sizeof r.dir, "%.*s", (int)(slash - files[i]), files[i]);
		else
			snprintf(r.dir, sizeof r.dir, ".");
		if (slash == files[i])
			snprintf(r.dir, sizeof r.dir, "/");
		run_file(&r);
		sodium_memzero(r.priv, sizeof r.priv);
		if (r.failed)
			failed = 1;
	}
	fprintf(o->out, "1..%u\n", testno);
	fflush(o->out);
	return failed || testno == 0;
}
