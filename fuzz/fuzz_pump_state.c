/* fuzz/fuzz_pump_state.c — the pump state blob read back from the database
 * (pump/pump.h pump_deserialize) on arbitrary bytes.
 *
 * Input: byte 0 is a mode, the rest the blob.  With bit 0 of the mode set,
 * the blob's last 4 bytes are first replaced by the FNV-1a of the bytes
 * before them (the format's checksum, pump_serial.c), so the fuzzer gets
 * past the checksum and exercises every field and invariant check.
 *
 * Checked:
 *   - a refused blob leaves the caller's pump untouched;
 *   - an accepted blob re-serializes to exactly the same bytes (an older
 *     version's blob: to the current one, which loads as the same pump);
 *   - what pumpd does with a loaded state cannot crash and keeps it loadable:
 *     status, the next event, a bolus decision, delivery up to (mode >> 1)
 *     / 127 of a day later, then a bolus; after each the state still
 *     serializes, loads back, and re-serializes to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pump/pump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const pump *p, uint8_t *out)
{
	static pump q;
	static uint8_t again[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(p, out, PUMP_SERIAL_MAX);
	if (n == 0)
		abort();                      /* the model made an unwritable state */
	if (pump_deserialize(&q, out, n) != 0)
		abort();                      /* ... or one it refuses to load */
	size_t m = pump_serialize(&q, again, sizeof again);
	if (m != n || memcmp(out, again, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t blob[PUMP_SERIAL_MAX + 64], out[PUMP_SERIAL_MAX];
	static pump p, sentinel, work;
	if (size < 1 || size - 1 > sizeof blob)
		return 0;
	uint8_t mode = data[0];
	size_t n = size - 1;
	memcpy(blob, data + 1, n);
	if ((mode & 1) && n >= 4) {
		uint32_t h = pump_serial_sum(blob, n - 4);
		blob[n - 4] = (uint8_t)(h >> 24);
		blob[n - 3] = (uint8_t)(h >> 16);
		blob[n - 2] = (uint8_t)(h >> 8);
		blob[n - 1] = (uint8_t)h;
	}

	memset(&p, 0xa5, sizeof p);
	memcpy(&sentinel, &p, sizeof p);
	int rc = pump_deserialize(&p, blob, n);
	if (rc != 0) {
		if (rc != PUMP_E_CORRUPT && rc != PUMP_E_VERSION)
			abort();
		if (memcmp(&p, &sentinel, sizeof p) != 0)
			abort();
		return 0;
	}
	size_t m = pump_serialize(&p, out, sizeof out);
	if (m >= 6 && blob[4] == 0 && blob[5] != out[5]) {
		/* an older version (1, 2, 3) is read, and written back as the
		 * current one (out's): the same pump */
		static pump back;
		if (m == 0 || pump_deserialize(&back, out, m) != 0 ||
		    memcmp(&back, &p, sizeof p) != 0)
			abort();
	} else if (m != n || memcmp(out, blob, n) != 0) {
		abort();
	}

	/* what the daemon does next with a loaded state */
	pump_snapshot snap;
	pump_bolus_result res;
	pump_status(&p, p.now_ms, &snap);
	(void)pump_next_event(&p);
	pump_bolus_check(&p, &res);
	work = p;
	int64_t later = p.now_ms + (int64_t)(mode >> 1) * (PUMP_MS_PER_DAY / 127);
	pump_advance(&work, later, NULL, NULL);
	roundtrip(&work, out);
	(void)pump_bolus(&work, later, &res, NULL, NULL);
	roundtrip(&work, out);
	return 0;
}
