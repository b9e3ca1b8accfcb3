/*
 * tests/noisevec.c — build/tests/noisevec FILE.json
 *
 * Runs every Noise_IK_25519_ChaChaPoly_SHA256 vector of a cacophony-format
 * file (tests/lib/noisevec.h) and prints "N passed, N failed" on stdout; the
 * reason for each failure, and how many vectors of other protocols were
 * skipped, go to stderr. Exit 0 only when nothing failed and something ran;
 * 1 when a vector failed or none ran; 2 when the file is unusable.
 */
#include <stdio.h>
#include <string.h>

#include "tests/lib/noisevec.h"

int main(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: noisevec FILE.json\n"
		        "  runs the Noise_IK_25519_ChaChaPoly_SHA256 vectors of a "
		        "cacophony-format file\n");
		return 2;
	}
	noisevec_stats st;
	int rc = noisevec_run_file(argv[1], stderr, &st);
	if (st.skipped)
		fprintf(stderr, "noisevec: %u vectors of other protocols skipped\n",
		        st.skipped);
	printf("%u passed, %u failed\n", st.passed, st.failed);
	if (rc < 0)
		return 2;
	if (st.passed == 0 && st.failed == 0)
		fprintf(stderr, "noisevec: %s: no Noise_IK_25519_ChaChaPoly_SHA256 "
		        "vector in the file\n", argv[1]);
	return (st.failed == 0 && st.passed > 0) ? 0 : 1;
}
