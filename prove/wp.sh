#!/bin/sh
# prove/wp.sh — Frama-C WP on the contracts of prove/contracts.c, proved
# against the model's own code with the why3 provers found (cvc4, z3).
# The loop-free functions are proved whole, their run-time-error guards
# included; pump_window_allows only for its lockout behaviour (its other
# paths run loops that carry no annotation; EVA covers their run-time
# errors).  Called by prove/run.sh: sh prove/wp.sh "MODEL.c ..."
# Prints "wp: N / M goals proved"; exit 0 only when N = M.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
BUILD=${BUILD:-build}
out=$BUILD/prove
mkdir -p "$out" || exit 2
model=$1
modeldir=$(dirname "${model%% *}")
# the provers, in a why3 configuration of our own (never ~/.why3.conf)
WHY3CONFIG=$top/$out/why3.conf
export WHY3CONFIG
command -v why3 >/dev/null || { echo "wp: why3 not found (sh scripts/deps.sh prove)"; exit 1; }
why3 config detect >/dev/null 2>&1
provers=""
for p in cvc4 z3; do
	command -v "$p" >/dev/null && provers="$provers${provers:+,}$p"
done
[ -n "$provers" ] || { echo "wp: no prover found (cvc4, z3)"; exit 1; }

fc() {
	# shellcheck disable=SC2086
	frama-c -machdep x86_64 -cpp-extra-args=-I.,-I"$modeldir",-D_POSIX_C_SOURCE=200809L \
	  $model prove/contracts.c "$@" -wp-prover "$provers" -wp-timeout 20 \
	  -wp-par 2 -wp-cache none
}
: >"$out/wp.log"
fc -wp -wp-rte -wp-fct pump_time_of_day,pump_tclamp,pump_bolus_done_at,pump_res_from,pump_hist_cat,pump_alarm_is_critical \
  >>"$out/wp.log" 2>&1 || exit 1
fc -inline-calls set_next -wp -wp-fct pump_window_allows -wp-bhv locked_out \
  >>"$out/wp.log" 2>&1 || exit 1
grep -E '^\[wp\] (\[Failed\]|\[Timeout\]|\[Unknown\])' "$out/wp.log"
sed -n 's/^\[wp\] Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1 \2/p' "$out/wp.log" |
  awk '{ p += $1; t += $2 } END { printf "wp: %d / %d goals proved\n", p, t; exit (t > 0 && p == t) ? 0 : 1 }'
