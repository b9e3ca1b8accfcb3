/* fuzz/fuzz_msg.c — the message decoders on arbitrary bytes: no crash, and
 * whatever decodes re-encodes to exactly the same bytes (one encoding per
 * message, so nothing can be smuggled in a second form). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[MSG_MAX + 64];
	static struct msg_request q;
	static struct msg_from_pump f;
	uint8_t t;
	uint64_t id;

	if (msg_decode_request(data, size, &q, &t, &id, NULL) == 0) {
		int n = msg_encode_request(&q, buf, sizeof buf);
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
	}
	if (msg_decode_from_pump(data, size, &f) == 0) {
		int n = f.type == MSG_REPLY ? msg_encode_reply(&f.u.reply, buf, sizeof buf)
		                            : msg_encode_notify(&f.u.notify, buf, sizeof buf);
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
	}
	return 0;
}
