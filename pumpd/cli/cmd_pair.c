/* pumpd/cli/cmd_pair.c — pumpd pair: register a remote's public key with a role
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "pumpd/cli/cli.h"
#include "pumpd/clock.h"
#include "pumpd/pairing.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"

static const char usage_pair[] =
	"usage: pumpd pair DIR --role patient|clinician|tester --name NAME\n"
	"                  (PUBFILE | --key BASE64)\n"
	"\n"
	"Register a remote's public key (a .pub file or its base64) with a role\n"
	"and print the 6-digit pairing code both sides show.  NAME: 1-32 of\n"
	"A-Z a-z 0-9 . _ -\n";

enum { PAIR_ROLE = CLI_OPT_STR, PAIR_NAME, PAIR_KEY, PAIR_NOPT };

static const struct option pair_options[] = {
	{ "role", required_argument, NULL, PAIR_ROLE },
	{ "name", required_argument, NULL, PAIR_NAME },
	{ "key", required_argument, NULL, PAIR_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int pair_go(const char **pos, int npos, void *ud)
{
	const char *const *o = ud;   /* [PAIR_...]: the options given */
	if (!o[PAIR_ROLE])
		return cli_usage_error("pair", "needs --role patient|clinician|tester");
	int role = store_role_parse(o[PAIR_ROLE]);
	if (role < 0)
		return cli_usage_error("pair", "unknown role '%s' (use patient, clinician, tester)", o[PAIR_ROLE]);
	if (!o[PAIR_NAME])
		return cli_usage_error("pair", "needs --name NAME");
	if (!store_name_valid(o[PAIR_NAME]))
		return cli_usage_error("pair", "bad name '%s' (1-32 of A-Z a-z 0-9 . _ -, "
		                       "not starting with . or -)", o[PAIR_NAME]);
	if ((npos == 2) == (o[PAIR_KEY] != NULL))
		return cli_usage_error("pair", "give the remote's key as a PUBFILE or "
		                       "--key BASE64, exactly one");
	uint8_t pub[KEYS_LEN], pump_pub[KEYS_LEN];
	char err[KEYS_ERRLEN], b64[KEYS_B64LEN];
	if (o[PAIR_KEY]) {
		if (keys_parse_public(o[PAIR_KEY], pub) < 0)
			return cli_usage_error("pair", "--key '%s' is not a base64 X25519 "
			                       "public key (44 characters)", o[PAIR_KEY]);
	} else if (keys_load_public(pos[1], pub, err) < 0) {
		fprintf(stderr, "pumpd pair: %s\n", err);
		return CLI_USAGE;
	}
	const char *dir = pos[0];
	struct statelock lk;
	int held = cli_state(dir, "pair", STATEDIR_WRITE, &lk);
	if (held < 0)
		return CLI_RUN;
	if (held == 0) {
		char line[160];
		keys_format_public(pub, b64);
		snprintf(line, sizeof line, "pair\t%s\t%s\t%s", o[PAIR_NAME],
		         store_role_name(role), b64);
		return cli_control(dir, "pair", line, NULL, 0);
	}
	struct store *st = cli_open_store(dir, "pair", STATEDIR_WRITE, pump_pub);
	struct store_remote *old = malloc(sizeof *old);
	int rc = CLI_RUN;
	if (!st || !old)
		goto out;
	if (memcmp(pub, pump_pub, KEYS_LEN) == 0) {
		fprintf(stderr, "pumpd pair: that is the pump's own key\n");
		rc = CLI_USAGE;
		goto out;
	}
	if (store_remote_find(st, pub, old) == 0) {
		fprintf(stderr, "pumpd pair: this key is already paired as '%s' (%s)\n",
		        old->name, store_role_name(old->role));
		goto out;
	}
	int e = pairing_add(st, o[PAIR_NAME], role, pub, cli_pump_time(st),
	                    pclock_wall_ms());
	if (e == -EEXIST) {
		fprintf(stderr, "pumpd pair: a remote named '%s' is already paired "
		        "(unpair it first)\n", o[PAIR_NAME]);
		goto out;
	}
	if (e < 0) {
		fprintf(stderr, "pumpd pair: cannot store: %s\n", store_errmsg(st));
		goto out;
	}
	char line[160];
	pairing_message(line, sizeof line, o[PAIR_NAME], role, pump_pub, pub);
	printf("%s\n", line);
	rc = CLI_OK;
out:
	free(old);
	store_close(st);
	statelock_release(&lk);
	return rc;
}

const struct cli_cmd cmd_pair = {
	"pair", usage_pair, "the state directory", pair_options, cli_opt_str,
	PAIR_NOPT * sizeof(const char *), NULL, 1, 2, pair_go };
