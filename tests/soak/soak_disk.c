/* tests/soak/soak_disk.c — a full disk: the pump's state directory on a
 * small tmpfs (root only), filled to the last byte.  A paired patient's
 * STATUS must be answered and a BOLUS refused with `storage`, detail "disk
 * full"; with space again a bolus is granted; pumpd started on the full
 * disk must say the disk is full. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/client.h"
#include "tests/lib/e2e.h"
#include "tests/soak/soak.h"
#include "tests/soak/soak_patient.h"

#define TMPFS_OPTS "size=4m,mode=0700"

struct dctx {
	e2e_pump *p;
	char state[200], disk[216], fill[216];
	int mounted;
};

/* One request of remote name on a fresh connection: 0 and *r, or the
 * client's error. */
static int call(struct dctx *x, const char *name, struct msg_request *q,
                struct msg_reply *r)
{
	struct client_config cfg;
	if (e2e_client_config(x->p, name, &cfg) < 0)
		return -1;
	q->id = 0;
	return client_call(&cfg, q, r, 5000);
}

static int bolus(struct dctx *x, struct msg_reply *r)
{
	struct msg_request q = { .type = MSG_BOLUS };
	return call(x, "patient", &q, r);
}

/* Fill the tmpfs to the last byte it gives: bytes written. */
static long long fill(struct dctx *x)
{
	static const size_t sizes[] = { 65536, 4096, 512, 1 };
	static char buf[65536];
	long long total = 0;
	int fd = open(x->fill, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		return -1;
	memset(buf, 0xa5, sizeof buf);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ssize_t w;
		while ((w = write(fd, buf, sizes[i])) > 0)
			total += w;
	}
	fsync(fd);
	close(fd);
	return total;
}

/* The state directory moved onto a fresh tmpfs mounted in its place. */
static int to_tmpfs(struct dctx *x)
{
	char cmd[700];
	if (rename(x->state, x->disk) < 0 || mkdir(x->state, 0700) < 0)
		return -1;
	if (mount("soak-full", x->state, "tmpfs", 0, TMPFS_OPTS) < 0) {
		soak_skip("disk: mount -t tmpfs -o %s on %s: %s", TMPFS_OPTS,
		          x->state, strerror(errno));
		rmdir(x->state);
		rename(x->disk, x->state);
		return -1;
	}
	x->mounted = 1;
	snprintf(cmd, sizeof cmd, "cp -a '%s/.' '%s/'", x->disk, x->state);
	return system(cmd) == 0 ? 0 : -1;
}

static void full_disk(struct dctx *x)
{
	struct msg_reply *r = calloc(1, sizeof *r);
	char why[96] = "";
	if (!r)
		return;
	int rc = bolus(x, r);
	int granted = rc == 0 && r->err == MSG_OK && r->u.bolus.outcome == MSG_OUT_GRANTED;
	struct msg_request adv = { .type = MSG_CLOCK };
	adv.u.clock.op = MSG_CLOCK_ADVANCE;
	adv.u.clock.arg = 3 * 3600 * 1000;   /* past the default 2 h lockout */
	if (!granted || call(x, "tester", &adv, r) != 0 || r->err != MSG_OK) {
		soak_check(0, "disk: a bolus before the disk is full (%s)",
		           rc ? client_strerror(rc) : msg_err_name(r->err));
		goto out;
	}
	e2e_stop(x->p);
	if (to_tmpfs(x) < 0 || e2e_restart(x->p) < 0) {
		if (x->mounted)
			soak_check(0, "disk: pumpd on a tmpfs (see %s)",
			           e2e_log_path(x->p));
		goto out;
	}
	long long filled = fill(x);
	soak_note("disk: state on a tmpfs (%s), filled with %lld bytes",
	          TMPFS_OPTS, filled);
	struct client_config cfg;
	e2e_client_config(x->p, "patient", &cfg);
	int64_t lat = soak_status_once(&cfg, 5000, why, sizeof why);
	soak_check(lat >= 0, "disk: full: the patient's STATUS is answered%s%s",
	           lat >= 0 ? "" : ": ", why);
	rc = bolus(x, r);
	soak_check(rc == 0 && r->err == MSG_E_STORAGE &&
	           strcmp(r->detail, "disk full") == 0,
	           "disk: full: a BOLUS is refused with storage, \"disk full\" "
	           "(got %s%s%s)", rc ? client_strerror(rc) :
	           r->err ? msg_err_name(r->err) : msg_outcome_name(r->u.bolus.outcome),
	           rc == 0 && r->err ? " " : "", rc == 0 && r->err ? r->detail : "");
	unlink(x->fill);
	rc = bolus(x, r);
	soak_check(rc == 0 && r->err == MSG_OK &&
	           r->u.bolus.outcome == MSG_OUT_GRANTED,
	           "disk: space again: a bolus is granted (got %s)",
	           rc ? client_strerror(rc) : r->err ? msg_err_name(r->err) :
	           msg_outcome_name(r->u.bolus.outcome));
	/* pumpd started on a full disk */
	e2e_stop(x->p);
	fill(x);
	int before = e2e_log_count(x->p, "full");
	int started = e2e_restart(x->p) == 0;
	int said = e2e_log_count(x->p, "full") - before;
	soak_check(said > 0, "disk: pumpd started on the full disk says the disk "
	           "is full (%s; %s)", started ? "it started" : "it refused to start",
	           said > 0 ? "said so" : "no line with \"full\" in its log");
out:
	free(r);
}

void soak_full_disk(const struct soak_opts *o)
{
	(void)o;
	if (geteuid() != 0) {
		soak_skip("disk: a full disk needs a tmpfs mount, which needs root");
		return;
	}
	struct dctx x = { .p = e2e_start(NULL, E2E_QUIET) };
	if (!x.p) {
		soak_check(0, "disk: could not start a pump");
		return;
	}
	snprintf(x.state, sizeof x.state, "%s", e2e_state_dir(x.p));
	snprintf(x.disk, sizeof x.disk, "%s.disk", x.state);
	snprintf(x.fill, sizeof x.fill, "%s/fill", x.state);
	full_disk(&x);
	e2e_kill9(x.p);
	if (x.mounted && umount2(x.state, MNT_DETACH) < 0)
		soak_note("disk: umount %s: %s", x.state, strerror(errno));
	e2e_free(x.p);
}
