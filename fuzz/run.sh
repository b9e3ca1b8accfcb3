#!/bin/sh
# fuzz/run.sh — run every libFuzzer target in $BUILD/fuzz for FUZZ_SECONDS
# each, starting from fuzz/corpus/<target>/ when it exists (new inputs go to a
# scratch directory, never into the tree).  Fails on any crash or leak.
set -u
BUILD=${BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ptm-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
passed=0
failed=0
for f in "$BUILD"/fuzz/fuzz_*; do
	case "$f" in *.o|*.d) continue ;; esac
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "$scratch/$name"
	seeds=""
	[ -d "fuzz/corpus/$name" ] && seeds="fuzz/corpus/$name"
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$scratch/" "$scratch/$name" $seeds \
	    >"$scratch/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$scratch/$name.log" | tail -n 1)
		printf '%-24s ok (%s in %ss)\n' "$name" "${runs:-?}" "$secs"
		passed=$((passed + 1))
	else
		printf '%-24s FAILED\n' "$name"
		tail -n 40 "$scratch/$name.log" | sed 's/^/    /'
		for a in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-*; do
			[ -f "$a" ] && { echo "    artifact $(basename "$a"):"; od -An -tx1 "$a" | head -n 8; }
		done
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
