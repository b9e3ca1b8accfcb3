/* pumpd/pairing.c — pair, unpair, and how they are reported (see pairing.h). */
#include "pumpd/pairing.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "crypto/keys.h"
#include "crypto/paircode.h"

/* change, then its audit row, in one transaction */
static int audited(struct store *st, int e, int64_t pump_ms, int64_t wall_ms,
                   const char *text)
{
	if (e == 0) {
		struct store_event ev = { pump_ms, wall_ms, STORE_EV_PAIRING, "pump",
		                          0, text };
		int64_t seq = store_audit(st, &ev);
		e = seq < 0 ? (int)seq : 0;
	}
	if (e == 0)
		return store_commit(st);
	store_rollback(st);
	return e;
}

int pairing_add(struct store *st, const char *name, int role,
                const uint8_t pub[32], int64_t pump_ms, int64_t paired_ms)
{
	char text[96];
	snprintf(text, sizeof text, "paired %s as %s", name, store_role_name(role));
	int e = store_begin(st);
	if (e < 0)
		return e;
	return audited(st, store_remote_add(st, name, role, pub, paired_ms),
	               pump_ms, paired_ms, text);
}

int pairing_remove(struct store *st, const char *name, int64_t pump_ms,
                   int64_t wall_ms)
{
	char text[96];
	snprintf(text, sizeof text, "unpaired %s", name);
	int e = store_begin(st);
	if (e < 0)
		return e;
	return audited(st, store_remote_remove(st, name), pump_ms, wall_ms, text);
}

void pairing_message(char *buf, size_t n, const char *name, int role,
                     const uint8_t pump_pub[32], const uint8_t pub[32])
{
	char code[PAIRCODE_LEN], check[PAIRCHECK_LEN];
	if (paircode(pump_pub, pub, code) < 0)
		snprintf(code, sizeof code, "?");
	if (paircheck(pump_pub, pub, check) < 0)
		snprintf(check, sizeof check, "?");
	snprintf(buf, n, "paired %s as %s; pairing code %s; pairing check %s",
	         name, store_role_name(role), code, check);
}

void pairing_row(char *buf, size_t n, const char *name, int role,
                 const uint8_t pub[32], int64_t last_seen_ms)
{
	char b64[KEYS_B64LEN], seen[32] = "never";
	keys_format_public(pub, b64);
	if (last_seen_ms > 0) {
		time_t t = (time_t)(last_seen_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(seen, sizeof seen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, n, "%-16s %-9s %s %s", name, store_role_name(role), b64, seen);
}
