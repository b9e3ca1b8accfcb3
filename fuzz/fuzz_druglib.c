/* fuzz/fuzz_druglib.c — the drug library parser (pumpd/druglib.h) on
 * arbitrary text: it either gives a library whose every entry is complete
 * (a source, soft <= hard for each limit, a name found again by
 * druglib_find) or an error "line:col: message" whose line and column lie
 * within the text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd/druglib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct druglib *lib = NULL;
	char err[DRUGLIB_ERR_MAX];
	err[0] = '\0';
	int rc = druglib_parse((const char *)data, size, &lib, err, sizeof err);
	if (rc == 0) {
		if (!lib || lib->n == 0 || lib->n > DRUGLIB_MAX)
			abort();
		for (unsigned i = 0; i < lib->n; i++) {
			const struct druglib_entry *d = &lib->e[i];
			if (!d->source[0] || !d->name[0] || druglib_find(lib, d->name) != d)
				abort();
			for (int k = 0; k < DRUGLIB__N; k++)
				if (d->soft[k] > d->hard[k])
					abort();
		}
		druglib_free(lib);
		return 0;
	}
	unsigned line = 0, col = 0;
	if (lib || sscanf(err, "%u:%u: ", &line, &col) != 2 || line == 0 || col == 0)
		abort();
	/* the line exists (a text of n newlines has n + 1 lines) */
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (line > lines)
		abort();
	return 0;
}
