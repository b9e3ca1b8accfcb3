/* pumpd/rxload.c — a prescription file into a pump_rx (see rxload.h). */
#include "pumpd/rxload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/rxfile.h"
#include "pumpd/wire.h"

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return -EIO;
	}
	if (n > cap) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int rxload_file(const char *path, pump_rx *out)
{
	char *text = NULL;
	size_t len = 0;
	int e = read_file(path, &text, &len);
	if (e < 0) {
		fprintf(stderr, "pumpd: %s: %s\n", path,
		        e == -EFBIG ? "too large for a prescription" : strerror(-e));
		return -1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	struct rxfile p;
	rxfile_init(&p, base);
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
	free(text);
	struct msg_rx mrx;
	if (rc == 0)
		rc = rxfile_finish(&p, &mrx);
	if (rc < 0) {
		fprintf(stderr, "pumpd: %s\n", p.err);
		return -1;
	}
	pump_rx def;
	pump_rx_default(&def);
	wire_rx_to_pump(&mrx, def.battery_life_days, out);
	const char *field = NULL;
	if (pump_rx_validate(out, &field) != 0) {
		const char *key = field ? wire_field_name(field) : "prescription";
		unsigned line = field ? rxfile_line_of(&p, field) : 0;
		if (line)
			fprintf(stderr, "pumpd: %s:%u: %s: out of the pump's range "
			        "(see pumpd(8), PRESCRIPTION LIMITS)\n", base, line, key);
		else
			fprintf(stderr, "pumpd: %s: %s: out of the pump's range "
			        "(see pumpd(8), PRESCRIPTION LIMITS)\n", base, key);
		return -1;
	}
	return 0;
}
