/* pumpd/rxload.c — a prescription file into a pump_rx (see rxload.h). */
#include "pumpd/rxload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/rxfile.h"
#include "pumpd/tzfile.h"
#include "pumpd/wire.h"

#include "util/fmt.h"

int rxload_read(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "pumpd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = RXLOAD_TEXT_MAX, n = 0;
	char *buf = malloc(cap + 1);
	if (buf)
		n = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad || n > cap) {
		fprintf(stderr, "pumpd: %s: %s\n", path, !buf ? "out of memory" :
		        bad ? "cannot read it" : "too large for a prescription");
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

_Static_assert(RXFILE_ZONE_MAX == PUMP_ZONE_NAME_MAX, "one zone name size");

int rxload_text(const char *name, const char *text, size_t len, pump_rx *out,
                char *err, size_t errcap)
{
	struct rxfile p;
	rxfile_init(&p, name);
	p.allow_zone = 1;   /* pumpd resolves the zone and keeps it */
	size_t i = 0;
	int rc = 0;
	while (i < len && rc == 0) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (j < len)
			j++;
		rc = rxfile_parse_line(&p, text + i, j - i);
		i = j;
	}
	struct msg_rx mrx;
	if (rc == 0)
		rc = rxfile_finish(&p, &mrx);
	if (rc < 0) {
		fmt_set(err, errcap, "%s", p.err);
		return -1;
	}
	pump_rx def;
	pump_rx_default(&def);
	pump_rx rx;
	wire_rx_to_pump(&mrx, def.battery_life_days, &rx);
	if (p.zone[0] != '\0') {
		char why[RXFILE_ERR_MAX];
		if (tzfile_load(NULL, p.zone, &rx.zone, why, sizeof why) < 0) {
			fmt_set(err, errcap, "%s:%u: zone: %s", p.name,
			        rxfile_line_of(&p, "zone"), why);
			return -1;
		}
	}
	const char *field = NULL;
	if (pump_rx_validate(&rx, &field) != 0) {
		const char *key = field ? wire_field_name(field) : "prescription";
		unsigned line = field ? rxfile_line_of(&p, field) : 0;
		if (line)
			fmt_set(err, errcap, "%s:%u: %s: out of the pump's range "
			           "(see pumpd(8), PRESCRIPTION LIMITS)", name, line, key);
		else
			fmt_set(err, errcap, "%s: %s: out of the pump's range "
			           "(see pumpd(8), PRESCRIPTION LIMITS)", name, key);
		return -1;
	}
	*out = rx;
	return 0;
}

int rxload_fprint(const pump_rx *rx, FILE *f)
{
	struct msg_rx mrx;
	wire_rx_from_pump(rx, &mrx);
	int e = rxfile_fprint(&mrx, f);
	/* the name is checked (pump_zone_validate): printable */
	if (e == 0 && rx->zone.name[0] != '\0' &&
	    fprintf(f, "zone = %.*s\n", PUMP_ZONE_NAME_MAX - 1,
	            rx->zone.name) < 0)
		e = -EIO;
	return e;
}

int rxload_file(const char *path, pump_rx *out)
{
	char *text = NULL, err[RXFILE_ERR_MAX + 64];
	size_t len = 0;
	if (rxload_read(path, &text, &len) < 0)
		return -1;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int rc = rxload_text(base, text, len, out, err, sizeof err);
	free(text);
	if (rc < 0)
		fprintf(stderr, "pumpd: %s\n", err);
	return rc;
}
