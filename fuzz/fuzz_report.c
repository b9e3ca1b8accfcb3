/*
 * fuzz/fuzz_report.c — the report from the wire's text: audit-log lines
 * (any printable text up to 120 bytes, as the codec lets through) read as
 * typed events, aggregated with a state block whose numbers come from the
 * input, drawn as the terminal's charts and written as JSON, CSV and HTML.
 * The input: 8 bytes of now_ms, 4 of basal, 4 of reservoir, 4 of capacity,
 * 8 of next refill, then lines separated by '\n' (each a log entry, its
 * time rising by the line's first byte in minutes, or a day back when that
 * byte's top bit is set); a line whose first byte has bit 0x40 set is a
 * typed entry (PROTOCOL.md 8.15: its kind from its last byte, its role
 * from its first).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/report.h"
#include "net/report_chart.h"
#include "tools/ctl_rep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct report r;
	static struct msg_reply st;
	struct msg_log_entry e;
	struct report_event ev;
	struct report_chart c;

	if (size < 28)
		return 0;
	memset(&st, 0, sizeof st);
	st.req_type = MSG_STATUS;
	st.state.now_ms = be(data, 8) % (1ull << 50);
	st.state.basal_ng_day = (uint32_t)be(data + 8, 4);
	st.state.reservoir_nl = (uint32_t)be(data + 12, 4);
	st.state.capacity_nl = (uint32_t)be(data + 16, 4);
	st.state.next_refill_ms = be(data + 20, 8) % (1ull << 50);
	report_begin(&r, &st, 0);
	uint64_t t = st.state.now_ms > 86400000ull * 4 ? st.state.now_ms - 86400000ull * 4 : 0;
	size_t i = 28, seq = 0;
	while (i < size) {
		size_t n = 0, first = i;
		memset(&e, 0, sizeof e);
		while (i < size && data[i] != '\n') {
			if (n < MSG_TEXT_MAX && data[i] >= 0x20 && data[i] < 0x7f)
				e.text[n++] = (char)data[i];
			i++;
		}
		i++;
		e.seq = ++seq;
		/* the time rises by the line's first byte in minutes, or, when
		 * its top bit is set, goes back (a pump's times are not trusted) */
		if ((data[first] & 0x80) && t > 86400000u)
			t -= 86400000u;
		else
			t += (uint64_t)(e.text[0] & 0x3f) * 60000u;
		e.at_ms = t;
		if (first < size && (data[first] & 0x40)) {
			e.typed = 1;
			e.kind = (uint8_t)(n ? (unsigned char)e.text[n - 1] % MSG_LOG_KIND_COUNT : 0);
			e.role = (uint8_t)(data[first] % MSG_LOG_ROLE_COUNT);
			e.wall_ms = t + 1;
		}
		report_add(&r, &e, &ev);
		if (ev.typed != e.typed)
			abort();
		/* an event's text is the line's, or its tail after "who: " */
		if (!strstr(e.text, ev.data))
			abort();
	}
	report_end(&r);
	report_chart_hours(&r, 6, &c);
	report_chart_days(&r, 8, &c);
	report_chart_reservoir(&r, 6, &c);
	FILE *f = fopen("/dev/null", "w");
	if (!f)
		return 0;
	json_t *j = ctl_rjson_report(&r);
	json_decref(j);
	ctl_rcsv_report(f, &r);
	ctl_rhtml_report(f, &r);
	fclose(f);
	return 0;
}
