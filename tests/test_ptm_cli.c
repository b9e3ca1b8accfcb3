/*
 * tests/test_ptm_cli.c — ptm's command line before it opens the terminal:
 * --version, an address that does not parse (a usage error naming it), key
 * files of the wrong kind, --keygen with a name ending in .key.  Needs
 * $PTM_BUILD/ptm (tests/run.sh sets PTM_BUILD) or build/ptm; no terminal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/prog.h"
#include "tests/lib/tmpdir.h"
#include "util/version.h"

static char ptm_path[512], dir[TMPDIR_MAX];
static struct prog ran;
static const char *const out = ran.out, *const err = ran.err;

static void setup(void)
{
	prog_find("ptm", ptm_path, sizeof ptm_path);
	tmpdir_make(dir, "ptm-cli");
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(ptm_cli, .init = setup, .fini = teardown, .timeout = 30);

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Run ptm with args (NULL-terminated), PTM_PUMP set to env_pump (or unset),
 * stdin from /dev/null: its exit code; its stdout and stderr in out, err. */
static int run_ptm(const char *env_pump, const char *const *args)
{
	char set[256];
	const char *env[] = { set, NULL };
	snprintf(set, sizeof set, "PTM_PUMP=%s", env_pump ? env_pump : "");
	return prog_run(&ran, ptm_path, args, env_pump ? env : NULL);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* two key pairs in dir: me.key/me.pub and pump.key/pump.pub */
static void keys(char *key, char *pub, char *pump_pub, size_t cap)
{
	char name[128];
	snprintf(name, sizeof name, "%s/me", dir);
	cr_assert_eq(run_ptm(NULL, ARGS("--keygen", name)), 0, "%s", err);
	snprintf(name, sizeof name, "%s/pump", dir);
	cr_assert_eq(run_ptm(NULL, ARGS("--keygen", name)), 0, "%s", err);
	snprintf(key, cap, "%s/me.key", dir);
	snprintf(pub, cap, "%s/me.pub", dir);
	snprintf(pump_pub, cap, "%s/pump.pub", dir);
}

Test(ptm_cli, version_prints_the_one_version_string)
{
	char want[64];
	snprintf(want, sizeof want, "ptm %s\n", PTM_VERSION);
	cr_assert_eq(run_ptm(NULL, ARGS("--version")), 0, "%s", err);
	cr_assert_str_eq(out, want);
}

Test(ptm_cli, an_address_that_does_not_parse_is_a_usage_error_named_as_such)
{
	char key[256], pub[256], pump[256];
	keys(key, pub, pump, sizeof key);
	cr_assert_eq(run_ptm(NULL, ARGS("--pump", "bogus:x", "--key", key, "--pump-key", pump)),
	             2, "%s", err);
	cr_assert_str_eq(err, "ptm: --pump 'bogus:x': not an address; use unix:PATH or "
	                      "tcp:HOST:PORT\n");
	cr_assert_eq(run_ptm(NULL, ARGS("--pump", "tcp:127.0.0.1:99999", "--key", key,
	                                "--pump-key", pump)), 2, "%s", err);
	cr_assert_str_eq(err, "ptm: --pump 'tcp:127.0.0.1:99999': not an address (port 99999 "
	                      "is not 1..65535); use unix:PATH or tcp:HOST:PORT\n");
	/* from the environment: named as such; before the key files are read */
	cr_assert_eq(run_ptm("bogus:x", ARGS("--key", "/nonexistent.key", "--pump-key", pump)),
	             2, "%s", err);
	cr_assert_str_eq(err, "ptm: PTM_PUMP 'bogus:x': not an address; use unix:PATH or "
	                      "tcp:HOST:PORT\n");
}

Test(ptm_cli, a_key_file_of_the_other_kind_is_named)
{
	char key[256], pub[256], pump[256], want[700], pumpkey[256];
	keys(key, pub, pump, sizeof key);
	cr_assert_eq(run_ptm(NULL, ARGS("--pump", "unix:/nonexistent.sock", "--key", pub,
	                                "--pump-key", pump)), 2, "%s", err);
	snprintf(want, sizeof want, "ptm: --key: %s: that is a public key file; give the "
	         "private key (%s)\n", pub, key);
	cr_assert_str_eq(err, want);
	snprintf(pumpkey, sizeof pumpkey, "%s/pump.key", dir);
	cr_assert_eq(run_ptm(NULL, ARGS("--pump", "unix:/nonexistent.sock", "--key", key,
	                                "--pump-key", pumpkey)), 2, "%s", err);
	snprintf(want, sizeof want, "ptm: --pump-key: %s: that is a private key file (.key): "
	         "give %s\n", pumpkey, pump);
	cr_assert_str_eq(err, want);
}

/* ptm --keygen k2.key once wrote k2.key.key */
Test(ptm_cli, keygen_takes_a_name_ending_in_key_as_the_file_name)
{
	char path[256], pub[128];
	snprintf(path, sizeof path, "%s/k2.key", dir);
	cr_assert_eq(run_ptm(NULL, ARGS("--keygen", path)), 0, "%s", err);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "no %s", path);
	cr_assert_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s/k2.pub", dir);
	slurp(path, pub, sizeof pub);
	cr_assert_str_eq(out, pub, "the printed public key is k2.pub's");
	snprintf(path, sizeof path, "%s/k2.key.key", dir);
	cr_assert_neq(access(path, F_OK), 0, "wrote k2.key.key");
	/* again: never overwritten */
	snprintf(path, sizeof path, "%s/k2.key", dir);
	cr_assert_eq(run_ptm(NULL, ARGS("--keygen", path)), 1);
	cr_assert(strstr(err, "already exists"), "%s", err);
}
