/*
 * tools/ctl_keygen.c — `ptmctl keygen DIR NAME` and `ptmctl paircode`.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "crypto/paircode.h"
#include "tools/ctl.h"

int ctl_cmd_keygen(struct ctl_opts *o, int argc, char **argv)
{
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	char err[KEYS_ERRLEN], b64[KEYS_B64LEN];
	int rc;

	if (argc != 3)
		return ctl_usage_error(o, "keygen", "expected DIR NAME");
	if (!argv[2][0] || strchr(argv[2], '/'))
		return ctl_usage_error(o, "keygen", "NAME must be a plain file name without '/'");
	if (keys_generate(priv, pub) != 0) {
		sodium_memzero(priv, sizeof priv);
		fprintf(o->err, "%s keygen: cannot generate a key\n", o->prog);
		return CTL_EXIT_PROTOCOL;
	}
	err[0] = '\0';
	rc = keys_write_pair(argv[1], argv[2], priv, err);
	sodium_memzero(priv, sizeof priv);
	if (rc != 0) {
		fprintf(o->err, "%s keygen: %s\n", o->prog, err[0] ? err : strerror(-rc));
		return CTL_EXIT_USAGE;
	}
	keys_format_public(pub, b64);
	fprintf(o->out, "%s/%s.key (private, 0600)\n%s/%s.pub %s\n", argv[1], argv[2],
	        argv[1], argv[2], b64);
	return CTL_EXIT_OK;
}

int ctl_cmd_paircode(struct ctl_opts *o, int argc, char **argv)
{
	char err[KEYS_ERRLEN], code[PAIRCODE_LEN];
	keys_secret *sec = NULL;
	uint8_t pump_pub[KEYS_LEN];
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage_error(o, "paircode", "takes no arguments (uses --key and --pump-key)");
	if (!o->key || !o->pump_key)
		return ctl_usage_error(o, "paircode", "needs --key and --pump-key (or PTM_KEY, PTM_PUMP_KEY)");
	if (keys_load_private(o->key, &sec, err) != 0) {
		fprintf(o->err, "%s paircode: %s\n", o->prog, err);
		return CTL_EXIT_USAGE;
	}
	if (keys_load_public(o->pump_key, pump_pub, err) != 0) {
		fprintf(o->err, "%s paircode: %s\n", o->prog, err);
		keys_secret_free(sec);
		return CTL_EXIT_USAGE;
	}
	rc = paircode(pump_pub, keys_secret_pub(sec), code);
	keys_secret_free(sec);
	if (rc != 0) {
		fprintf(o->err, "%s paircode: cannot compute the code\n", o->prog);
		return CTL_EXIT_PROTOCOL;
	}
	fprintf(o->out, "%s\n", code);
	return CTL_EXIT_OK;
}
