/*
 * tools/ctl_keygen.c — `ptmctl keygen DIR NAME` (NAME or NAME.key) and
 * `ptmctl paircode` (with --json, an object).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "crypto/paircode.h"
#include "tools/ctl.h"
#include "net/msgjson.h"
#include "util/esc.h"

int ctl_cmd_keygen(struct ctl_opts *o, int argc, char **argv)
{
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	char err[KEYS_ERRLEN], b64[KEYS_B64LEN], dir[ESC_MAX(512)], name[ESC_MAX(256)];
	int rc;

	if (argc != 3)
		return ctl_usage_error(o, "keygen", "expected DIR NAME");
	if (!argv[2][0] || strchr(argv[2], '/'))
		return ctl_usage_error(o, "keygen", "NAME must be a plain file name without '/'");
	/* NAME.key (or NAME.pub) names the pair NAME, as keys_write_pair takes it */
	size_t nl = strlen(argv[2]);
	if (nl > 4 && (strcmp(argv[2] + nl - 4, ".key") == 0 ||
	               strcmp(argv[2] + nl - 4, ".pub") == 0))
		nl -= 4;
	if (nl > 255)
		return ctl_usage_error(o, "keygen", "NAME is too long");
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
	esc_str(dir, sizeof dir, argv[1]);
	esc_mem(name, sizeof name, argv[2], nl);
	fprintf(o->out, "%s/%s.key (private, 0600)\n%s/%s.pub %s\n", dir, name, dir, name,
	        b64);
	return CTL_EXIT_OK;
}

int ctl_cmd_paircode(struct ctl_opts *o, int argc, char **argv)
{
	char code[PAIRCODE_LEN];
	keys_secret *sec = NULL;
	uint8_t pump_pub[KEYS_LEN];
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage_error(o, "paircode", "takes no arguments (uses --key and --pump-key)");
	if (!o->key || !o->pump_key)
		return ctl_usage_error(o, "paircode", "needs --key and --pump-key (or PTM_KEY, PTM_PUMP_KEY)");
	rc = ctl_load_keys(o, "paircode", &sec, pump_pub);
	if (rc)
		return rc;
	rc = paircode(pump_pub, keys_secret_pub(sec), code);
	keys_secret_free(sec);
	if (rc != 0) {
		fprintf(o->err, "%s paircode: cannot compute the code\n", o->prog);
		return CTL_EXIT_PROTOCOL;
	}
	if (o->json) {
		json_t *j = msgjson_paircode(code);
		int w = msgjson_print(o->out, j);
		json_decref(j);
		if (w) {
			fprintf(o->err, "%s paircode: cannot write the output\n", o->prog);
			return CTL_EXIT_CONNECT;
		}
		return CTL_EXIT_OK;
	}
	fprintf(o->out, "%s\n", code);
	return CTL_EXIT_OK;
}
