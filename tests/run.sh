#!/bin/sh
# tests/run.sh — run every test suite against the programs in $BUILD and print
# one closing line "N passed, N failed".
#
#   BUILD=build sh tests/run.sh
#   ONLY=unit        only the Criterion binaries
#   VALGRIND=1       run the Criterion binaries under valgrind (memcheck),
#                    PTM_TEST_JOBS of them at a time (default 2: each is
#                    one process at a time, and valgrind's start-up is long)
#   SANITIZED=1      the binaries were built with ASan/UBSan
#   PTM_TIME_SCALE=N multiply every deadline by N (see below)
#
# Time: every deadline a test or the scenario runner gives a child (pumpd's
# READY, a pumpd command, a reply, a close, a Criterion .timeout, ptmctl
# run's --timeout) is multiplied by PTM_TIME_SCALE, a whole number (1 to
# 1000).  A deadline only bounds a child that hangs; valgrind and the
# sanitizers slow every child down, so this script sets 20 under valgrind,
# 3 for a sanitizer build and 1 otherwise, unless PTM_TIME_SCALE is set
# already (e.g. 2 on a machine that is busy with other work).  To see how
# near its deadlines a run comes, run a suite with PTM_E2E_TIMING=1
# (tests/lib/e2e_time.h).  Measured on 2 CPUs at load 6-8: the e2e wait nearest its
# unscaled deadline took 0.007 of it plain, 0.12 with ASan+UBSan and 0.28
# under valgrind, where a traced `pumpd init` takes 2.3-2.8 s (the 1 s
# --timeout some scenario-runner tests give): 20 and 3 leave room for a
# machine several times busier.
#
# Every suite runs even when an earlier one failed; the exit status is
# non-zero when anything failed or nothing ran.
set -u
BUILD=${BUILD:-build}
if [ -z "${PTM_TIME_SCALE:-}" ]; then
	if [ "${VALGRIND:-0}" = 1 ]; then
		PTM_TIME_SCALE=20
	elif [ "${SANITIZED:-0}" = 1 ]; then
		PTM_TIME_SCALE=3
	else
		PTM_TIME_SCALE=1
	fi
fi
export PTM_TIME_SCALE
[ "$PTM_TIME_SCALE" = 1 ] || echo "deadlines x$PTM_TIME_SCALE (PTM_TIME_SCALE)"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
PTM_BUILD=$(cd "$BUILD" && pwd) || { echo "run.sh: no $BUILD" >&2; exit 2; }
PTM_SRCDIR=$top
export PTM_BUILD PTM_SRCDIR

passed=0
failed=0
failures=""
log=$(mktemp -d "${TMPDIR:-/tmp}/ptm-tests.XXXXXX")
trap 'rm -rf "$log"' EXIT INT TERM

note_fail() { failures="$failures
  $1"; }

# One suite's line: name, passed, failed, and the seconds it took since
# $t0 (where a slow run spends its time; never a pass/fail criterion).
report() {
	printf '%-28s %4d passed, %d failed  %4ds\n' "$1" "$2" "$3" \
	  "${4:-$(($(date +%s) - t0))}"
}

# Run one Criterion binary: its output in $log/NAME.out, its exit status
# in NAME.rc and its seconds in NAME.sec.
exec_criterion() {
	name=$(basename "$1")
	out="$log/$name.out"
	s0=$(date +%s)
	if [ "${VALGRIND:-0}" = 1 ]; then
		# memcheck, not coverage: the property test's full 4000 random
		# sequences run in the plain and ASan runs.
		PUMP_SEQS=${PUMP_SEQS:-300} valgrind -q --error-exitcode=99 --leak-check=full --vgdb=no \
		  --errors-for-leak-kinds=definite,indirect \
		  --show-leak-kinds=definite,indirect --trace-children=yes \
		  --trace-children-skip='*/bash,*/python3*' \
		  --child-silent-after-fork=yes "$1" --jobs 1 >"$out" 2>&1
	else
		"$1" >"$out" 2>&1
	fi
	echo $? >"$out.rc"
	echo $(($(date +%s) - s0)) >"$out.sec"
}

# Criterion prints: [====] Synthesis: Tested: 3 | Passing: 3 | Failing: 0 | Crashing: 0
# Count and report what exec_criterion left for binary $1.
report_criterion() {
	name=$(basename "$1")
	out="$log/$name.out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 1)
	syn=$(grep 'Synthesis:' "$out" | tail -n 1)
	tested=$(echo "$syn" | sed -n 's/.*Tested: *\([0-9]*\).*/\1/p')
	pass=$(echo "$syn" | sed -n 's/.*Passing: *\([0-9]*\).*/\1/p')
	tested=${tested:-0}
	pass=${pass:-0}
	fail=$((tested - pass))
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1   # crashed before the synthesis, or valgrind found errors
	fi
	# Criterion runs each test in a child and ignores the child's valgrind
	# exit code: with -q, any line valgrind prints is an error or a leak.
	if [ "${VALGRIND:-0}" = 1 ] && grep -q '^==[0-9]*== ' "$out" && [ "$fail" -eq 0 ]; then
		fail=1
		pass=$((pass > 0 ? pass - 1 : 0))
	fi
	passed=$((passed + pass))
	failed=$((failed + fail))
	report "$name" "$pass" "$fail" "$(cat "$out.sec" 2>/dev/null || echo 0)"
	if [ "$fail" -ne 0 ]; then
		note_fail "$name"
		sed 's/^/    /' "$out" | grep -v '^    \[----\] *$' | tail -n 60
		# what failed, again at the end of the run (where a CI log's
		# tail shows it)
		grep -E 'Assertion|FAIL|CRASH|ERROR|Sanitizer|runtime error|^==[0-9]+==' "$out" |
		  head -n 12 | sed "s|^|  $name: |" >>"$log/why"
	fi
}

# Run a runner (label, then its command) and count what it reports: KIND
# "counted" closes with "N passed, N failed"; "tap" prints "ok N - ..." /
# "not ok N - ...".  A non-zero exit with nothing failed counts as one
# failure; on a failure, its output (TAP: all but the ok lines).
run_runner() {
	kind=$1 label=$2
	shift 2
	t0=$(date +%s)
	out="$log/$label.out"
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$kind" = tap ]; then
		pass=$(grep -c '^ok ' "$out")
		fail=$(grep -c '^not ok ' "$out")
	else
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
		pass=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
		fail=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	fi
	pass=${pass:-0}
	fail=${fail:-0}
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
	passed=$((passed + pass))
	failed=$((failed + fail))
	report "$label" "$pass" "$fail"
	if [ "$fail" -ne 0 ]; then
		note_fail "$label"
		if [ "$kind" = tap ]; then grep -v '^ok ' "$out"; else cat "$out"; fi |
		  sed 's/^/    /' | tail -n 60
	fi
}

suites=""
for t in "$BUILD"/tests/test_*; do
	case "$t" in *.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	suites="$suites $t"
done
jobs=1
[ "${VALGRIND:-0}" = 1 ] && jobs=${PTM_TEST_JOBS:-2}
if [ "$jobs" -gt 1 ]; then
	# each worker takes the next suite nobody has taken (mkdir is atomic);
	# the results are reported in order once all have run
	echo "$(echo $suites | wc -w) suites, $jobs at a time"
	k=0
	while [ "$k" -lt "$jobs" ]; do
		for t in $suites; do
			mkdir "$log/$(basename "$t").taken" 2>/dev/null && exec_criterion "$t"
		done &
		k=$((k + 1))
	done
	wait
	for t in $suites; do
		report_criterion "$t"
	done
else
	for t in $suites; do
		exec_criterion "$t"
		report_criterion "$t"
	done
fi

if [ "${ONLY:-}" != unit ]; then
	if [ -x "$BUILD/tests/noisevec" ]; then
		for v in tests/vectors/noise-*.json; do
			[ -f "$v" ] || continue
			run_runner counted "noisevec $(basename "$v" .json)" "$BUILD/tests/noisevec" "$v"
		done
	fi
	# An independent client written from docs/PROTOCOL.md alone (Python,
	# its own Noise on python3-cryptography) against the real pumpd.
	if [ -f tests/indep/run_indep.py ] && [ -x "$BUILD/pumpd" ]; then
		run_runner counted "independent client" /usr/bin/python3 \
		  tests/indep/run_indep.py --pumpd "$PTM_BUILD/pumpd"
	fi
	if [ -x "$BUILD/ptmctl" ] && ls tests/scenarios/*.scn >/dev/null 2>&1; then
		run_runner tap "scenarios" "$BUILD/ptmctl" run --pumpd "$BUILD/pumpd" tests/scenarios/*.scn
	fi
	# A short round of the soak (tests/soak, docs/SOAK.md; make soak: the long one).
	if [ -x "$BUILD/soak" ]; then
		run_runner counted "soak (short)" "$BUILD/soak" --short
	fi
fi

# The safety case's trace matrix: its counts close the run (scripts/trace.sh).
trace=$(sh scripts/trace.sh -q 2>&1) && passed=$((passed + 1)) || {
	failed=$((failed + 1)); note_fail "trace (make trace)"; }
if [ -n "$failures" ]; then
	echo "failed:$failures"
	[ -s "$log/why" ] && cat "$log/why"
fi
echo "$trace"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
