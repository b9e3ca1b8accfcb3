#!/bin/sh
# prove/run.sh — Frama-C EVA over the pure pump model: each exploration of
# prove/driver.c analysed on its own (PROVE_JOBS at a time), the alarms left
# compared with the argued list prove/alarms.expected (docs/HAZARDS.md says
# why none can happen), then WP on the contracts of prove/contracts.c.
#
#   BUILD=build sh prove/run.sh pump/pump*.c
#   PROVE_JOBS=2        analyses side by side
#   PROVE_TIMEOUT=900   seconds an analysis may take before it counts as failed
#   PROVE_ONLY="stored life_bolus"   run only these explorations
#
# Exit 0 when every analysis ran to its end, every alarm left is listed and
# every WP goal is proved; else 1.  Logs and CSV reports: $BUILD/prove/.
set -u
[ $# -gt 0 ] || { echo "usage: sh prove/run.sh MODEL.c..." >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
BUILD=${BUILD:-build}
out=$BUILD/prove
mkdir -p "$out" || exit 2
rm -f "$out"/*.csv "$out"/*.log "$out"/*.alarms "$out"/*.status
jobs=${PROVE_JOBS:-2}
limit=${PROVE_TIMEOUT:-900}
model="$*"
modeldir=$(dirname "$1")
command -v frama-c >/dev/null || { echo "prove: frama-c not found (sh scripts/deps.sh prove)" >&2; exit 2; }
start=$(date +%s)

# Helpers EVA reads more precisely inlined (pure one-liners of the model).
inline="-inline-calls pump_hist_at,pump_hist_cat,pump_hist_last,pump_min64,pump_max64,pump_tclamp,pump_eri_at,set_next"
base="-machdep x86_64 -cpp-extra-args=-I.,-I$modeldir,-D_POSIX_C_SOURCE=200809L"

# The reader of stored states keeps its states apart through every field.
serial="-eva-slevel-function pump_rx_validate:100 -eva-slevel-function pump_deserialize:1000 -eva-slevel-function state_ok:1000 -eva-slevel-function get_rx:100 -eva-slevel-function get_u64:20"

# Options per exploration: how many states EVA keeps apart where, which
# domains.  Chosen for the fewest alarms in bounded time (this choice, and what each exploration covers: prove/driver.c).
opts_for() {
	case "$1" in
	names) echo "-eva-slevel 10" ;;
	refusals) echo "-eva-slevel 10 -eva-split-return-function pump_rx_validate:0 -eva-slevel-function pump_rx_validate:100" ;;
	stored) echo "-eva-slevel 10 -eva-split-return auto $serial" ;;
	life_serial) echo "$inline -eva-slevel 10 -eva-split-return auto $serial" ;;
	stored_*) echo "$inline -eva-slevel 10 -eva-split-return auto $serial -eva-slevel-function pump_forecast_refill:0 -eva-slevel-function pump_bolus_next:0" ;;
	life_status|zone_status) echo "$inline -eva-slevel 10 -eva-split-return auto -eva-slevel-function pump_rx_validate:100 -eva-slevel-function pump_forecast_refill:0 -eva-slevel-function pump_bolus_next:0" ;;
	# slevel 50 with octagons did not get a life through the bolus ceiling's
	# window loop (pump_bolus.c window_max) in 17 minutes; slevel 10 ends each
	# in 1 to 3, leaving no alarm that is not argued
	life_*|zone_*) echo "$inline -eva-slevel 10 -eva-split-return auto -eva-slevel-function pump_rx_validate:100" ;;
	esac
}

# Longest first (times measured: docs/HAZARDS.md); zone_*: the time zone,
# explored apart from the lives (prove/driver.c says why).
entries=${PROVE_ONLY:-"stored stored_advance zone_status stored_status stored_bolus life_serial stored_program life_bolus life_status life_check zone_bolus life_advance zone_program life_clear life_refill life_program life_silence life_run life_fault life_next refusals zone_refill zone_advance zone_rx names"}

analyse() {
	e=$1
	t0=$(date +%s)
	# shellcheck disable=SC2046
	timeout "$limit" frama-c $base $model prove/driver.c -main "eva_$e" \
	  -eva $(opts_for "$e") -eva-no-show-progress \
	  -then -report-csv "$out/$e.csv" >"$out/$e.log" 2>&1
	rc=$?
	t1=$(date +%s)
	if [ "$rc" -ne 0 ] || ! grep -q 'ANALYSIS SUMMARY' "$out/$e.log"; then
		echo "failed (exit $rc)" >"$out/$e.status"
	else
		echo "ok" >"$out/$e.status"
	fi
	# alarms: properties EVA could not prove, keyed without line numbers
	if [ -f "$out/$e.csv" ]; then
		awk -F'\t' 'NR > 1 && ($6 == "Unknown" || $6 == "Invalid") \
		  { print $6 "\t" $2 "\t" $4 "\t" $5 "\t" $7 }' "$out/$e.csv" |
		  LC_ALL=C sort -u >"$out/$e.alarms"
	else
		: >"$out/$e.alarms"
	fi
	cov=$(sed -n 's/.*functions analyzed (out of [0-9]*): \([0-9]*%\).*/\1/p' "$out/$e.log" | head -n 1)
	printf 'prove: %-14s %4d s  %3d alarms  %s coverage  %s\n' "$e" $((t1 - t0)) \
	  "$(wc -l <"$out/$e.alarms")" "${cov:-?}" "$(cat "$out/$e.status")"
}

# PROVE_JOBS lanes; a lane that is free takes the next exploration not yet
# taken (mkdir is atomic).
rm -rf "$out"/*.claim
lane=0
while [ "$lane" -lt "$jobs" ]; do
	(
		for e in $entries; do
			mkdir "$out/$e.claim" 2>/dev/null && analyse "$e"
		done
	) &
	lane=$((lane + 1))
done
wait

fail=0
for e in $entries; do
	[ "$(cat "$out/$e.status" 2>/dev/null)" = ok ] || { echo "prove: $e did not run to its end: see $out/$e.log"; fail=1; }
done

# Compare with the argued list (lines: ARGUMENT-ID<TAB>status<TAB>file<TAB>
# function<TAB>kind<TAB>property; # comments).
cat "$out"/*.alarms 2>/dev/null | LC_ALL=C sort -u >"$out/alarms.txt"
grep -v '^#' prove/alarms.expected 2>/dev/null | awk -F'\t' 'NF >= 6 { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 }' |
  LC_ALL=C sort -u >"$out/expected.txt"
new=$(LC_ALL=C comm -23 "$out/alarms.txt" "$out/expected.txt")
# an Invalid status is a certain error: never accepted, listed or not
if grep -q '^Invalid' "$out/alarms.txt"; then
	echo "prove: EVA found certain errors (status Invalid):"
	grep '^Invalid' "$out/alarms.txt" | sed 's/^/  /'
	fail=1
fi
gone=$(LC_ALL=C comm -13 "$out/alarms.txt" "$out/expected.txt")
n_alarms=$(grep -c . "$out/alarms.txt")
if [ -n "$new" ]; then
	echo "prove: alarms not argued in prove/alarms.expected (a defect, or an argument to write in docs/HAZARDS.md):"
	printf '%s\n' "$new" | sed 's/^/  /'
	fail=1
fi
if [ -z "${PROVE_ONLY:-}" ] && [ -n "$gone" ]; then
	echo "prove: listed alarms no longer seen (remove them from prove/alarms.expected):"
	printf '%s\n' "$gone" | sed 's/^/  /'
fi
printf 'prove: EVA: %d distinct alarms left, %d not argued in prove/alarms.expected\n' \
  "$n_alarms" "$(printf '%s' "$new" | grep -c .)"

# WP on the contracts of prove/contracts.c.
if [ -z "${PROVE_ONLY:-}" ]; then
	t0=$(date +%s)
	BUILD=$BUILD sh prove/wp.sh "$model" >"$out/wp.out" 2>&1
	wrc=$?
	sed 's/^/prove: /' "$out/wp.out"
	echo "prove: WP took $(( $(date +%s) - t0 )) s (log: $out/wp.log)"
	[ "$wrc" -eq 0 ] || fail=1
fi

echo "prove: done in $(( $(date +%s) - start )) s"
exit "$fail"
