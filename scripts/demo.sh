#!/bin/sh
# scripts/demo.sh — the demo behind `make demo`: a simulated pump on a demo
# prescription, the patient's remote and a clinician's key paired with it,
# and ptm opened on it.  `make demo-clinic` (--clinic) opens the
# clinician's programmer (ptm --clinician) on the running demo pump, beside
# the patient's remote.
# It prints how a tester drives the pump and waits for Enter before it
# opens ptm (on a terminal).  Quitting ptm (q) stops the demo's pump too; a
# real pump keeps working without its remote, and so does this one while
# another remote of this demo is open.
#
#   BUILD=build sh scripts/demo.sh [ptm options, e.g. --train or --ascii]
#   BUILD=build sh scripts/demo.sh --clinic
#
# State lives in $BUILD/demo/ and is reused while it is valid (the pump
# directory, the keys and the pairing all present); remove that directory,
# or set PTM_DEMO_FRESH=1, to start over.
set -eu
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

for p in pumpd ptm; do
	if [ ! -x "$BUILD/$p" ]; then
		echo "demo: $BUILD/$p is missing: run 'make' first (make demo does)" >&2
		exit 1
	fi
done

demo=$BUILD/demo
pump=$demo/pump
sock=$demo/pump.sock
abs() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }

# A clinician's key for the demo pump (pumpd pair reaches a running pumpd
# through its control line): paired once, kept with the demo's state.
clinician_key() {
	[ -f "$demo/clinician.key" ] && return 0
	"$BUILD/ptm" --keygen "$demo/clinician" >/dev/null
	# a pairing whose key file is gone (removed by hand) makes way for it
	"$BUILD/pumpd" unpair "$pump" demo-clinician >/dev/null 2>&1 || true
	"$BUILD/pumpd" pair "$pump" --role clinician --name demo-clinician \
	  "$demo/clinician.pub" >>"$demo/pair.log" 2>&1 || {
		echo "demo: pairing the clinician key failed:" >&2; cat "$demo/pair.log" >&2
		rm -f "$demo/clinician.key" "$demo/clinician.pub"; exit 1; }
}

# make demo-clinic: the clinician's side of the running demo pump.
if [ "${1:-}" = --clinic ]; then
	for p in ptm ptmctl; do
		if [ ! -x "$BUILD/$p" ]; then
			echo "demo-clinic: $BUILD/$p is missing: run 'make' first" >&2
			exit 1
		fi
	done
	if ! [ -d "$pump" ] || ! "$BUILD/pumpd" status "$pump" >"$demo/status.txt" 2>&1; then
		echo "demo-clinic: no demo pump runs: start it with 'make demo' in another" >&2
		echo "terminal (it opens the patient's remote), then run 'make demo-clinic' again." >&2
		exit 1
	fi
	clinician_key
	asock=$(abs "$sock") ademo=$(abs "$demo") apump=$(abs "$pump")
	export PTM_PUMP="unix:$asock" PTM_KEY="$ademo/clinician.key" PTM_PUMP_KEY="$apump/pump.pub"
	# the implanted system's volumes (the bridge bolus needs them), once
	if ! [ -f "$demo/configured" ]; then
		"$BUILD/ptmctl" config tubing 0.26mL catheter 90cm 2.2uL/cm >/dev/null &&
		  touch "$demo/configured"
	fi
	"$BUILD/ptmctl" report --format html >"$demo/visit.html" || exit 1
	cat <<EOF2
ptm demo-clinic: the clinician's programmer on the demo pump, beside the
patient's remote (each change shows there at once).  The printable visit
report: $ademo/visit.html

In the programmer: r refill (withdrawn, new volume, concentration, review,
the pump's check; a new concentration offers the bridge bolus), p program
from a prescription file (the pump stages it beside the current one; Enter
confirms), o a clinician bolus, a an alarm test, c charts, i interrogate
again, ? every key, q quits (the pump keeps running).
Press Enter to open the programmer.
EOF2
	if [ -t 0 ]; then read -r _ || true; fi
	exec "$BUILD/ptm" --clinician --pump "unix:$asock" --key "$ademo/clinician.key" \
	  --pump-key "$apump/pump.pub"
fi

valid() {
	[ -f "$pump/pump.pub" ] && [ -f "$pump/state.db" ] &&
	[ -f "$demo/patient.key" ] && [ -f "$demo/tester.key" ] &&
	[ -f "$demo/paired" ]
}

# One pump, one daemon: when the demo pump already runs (another terminal's
# make demo), open one more remote on that same pump instead of a second
# pump on the same state.
if [ -d "$pump" ] && "$BUILD/pumpd" status "$pump" >"$demo/status.txt" 2>&1; then
	pid=$(sed -n 's/^pid //p' "$demo/status.txt")
	if [ "${PTM_DEMO_FRESH:-0}" = 1 ]; then
		echo "demo: the demo pump is running (pumpd pid $pid): quit its remote" \
		  "(q) before starting over with PTM_DEMO_FRESH=1" >&2
		exit 1
	fi
	n=2
	while [ -e "$demo/patient$n.key" ]; do n=$((n + 1)); done
	"$BUILD/ptm" --keygen "$demo/patient$n" >/dev/null
	"$BUILD/pumpd" pair "$pump" --role patient --name "demo-patient-$n" \
	  "$demo/patient$n.pub" >"$demo/pair$n.log" 2>&1 || {
		echo "demo: pairing another remote failed:" >&2; cat "$demo/pair$n.log" >&2
		exit 1; }
	echo "ptm demo: the demo pump is already running (pumpd pid $pid, started by"
	echo "another 'make demo'); opening remote number $n on that same pump."
	echo "Quitting this remote leaves the pump running for the first one."
	exec "$BUILD/ptm" --pump "unix:$sock" --key "$demo/patient$n.key" \
	  --pump-key "$pump/pump.pub" "$@"
fi

if [ "${PTM_DEMO_FRESH:-0}" = 1 ] || ! valid; then
	rm -rf "$demo"
	mkdir -p "$demo"
	chmod 700 "$demo"
	cat >"$demo/rx.txt" <<'RX'
# The demo prescription: intrathecal baclofen, a patient bolus allowed
# every 30 minutes, at most 6 in any 24 hours.
drug = baclofen
concentration = 2 mg/mL
capacity = 20 mL
mode = continuous
rate = 0.4 mg/day
bolus_enabled = on
bolus_dose = 0.05 mg
bolus_duration = 10 min
lockout = 30 min
max_per_24h = 6
low_threshold = 2 mL
silence = 1 h
RX
	"$BUILD/pumpd" init "$pump" --rx "$demo/rx.txt" >"$demo/init.log" 2>&1 || {
		echo "demo: pumpd init failed:" >&2; cat "$demo/init.log" >&2; exit 1; }
	"$BUILD/ptm" --keygen "$demo/patient" >/dev/null
	"$BUILD/ptm" --keygen "$demo/tester" >/dev/null
	"$BUILD/pumpd" pair "$pump" --role patient --name demo-patient \
	  "$demo/patient.pub" >"$demo/pair.log" 2>&1 || {
		echo "demo: pairing the patient remote failed:" >&2; cat "$demo/pair.log" >&2; exit 1; }
	"$BUILD/pumpd" pair "$pump" --role tester --name demo-tester \
	  "$demo/tester.pub" >>"$demo/pair.log" 2>&1 || {
		echo "demo: pairing the tester key failed:" >&2; cat "$demo/pair.log" >&2; exit 1; }
	touch "$demo/paired"
fi
clinician_key

# Start the pump; wait for READY on a fifo (no sleeping).
fifo=$demo/ready.fifo
rm -f "$fifo" "$sock"
mkfifo "$fifo"
"$BUILD/pumpd" run "$pump" --unix "$sock" --sim --ready-fd 3 \
  3>"$fifo" >"$demo/pumpd.log" 2>&1 &
pid=$!
stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$fifo"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP
if ! read -r ready addr <"$fifo" || [ "$ready" != READY ]; then
	echo "demo: pumpd did not start:" >&2
	cat "$demo/pumpd.log" >&2
	exit 1
fi

# the commands printed below work from any directory (the programs here use
# the relative paths: a unix socket path has a short length limit)
# in training the remote says how it works; else say how to get it
case " $* " in
*" --train "*) hint= ;;
*) hint="Training mode (guided lessons, time skips with f): make demo PTM_ARGS=--train
" ;;
esac
asock=$(abs "$sock") ademo=$(abs "$demo") apump=$(abs "$pump") abin=$(abs "$BUILD")
cat <<EOF2
ptm demo: a simulated pump runs on $asock
(its log: $ademo/pumpd.log).

From another terminal a tester can move time and inject faults while the
remote is open:
  export PTM_PUMP=unix:$asock
  export PTM_KEY=$ademo/tester.key
  export PTM_PUMP_KEY=$apump/pump.pub
  export PATH=$abin:\$PATH
  ptmctl clock advance 30m      # skip the lockout
  ptmctl clock speed 60         # a minute of pump time each second
  ptmctl fault reservoir 1.5mL  # a low reservoir alarm
  ptmctl fault motor_stall      # a critical alarm
  ptmctl status
$hint
The clinician's side (a clinician key is paired too): in another terminal,
  make demo-clinic              # the clinician's programmer on this pump

q quits the remote. A real pump keeps working without its remote; this
demo then stops its simulated pump (make demo starts it again, state kept).
Press Enter to open the remote.
EOF2
if [ -t 0 ]; then read -r _ || true; fi

rc=0
"$BUILD/ptm" --pump "unix:$sock" --key "$demo/patient.key" \
  --pump-key "$pump/pump.pub" --tester-key "$demo/tester.key" "$@" || rc=$?
echo "ptm demo: the remote quit; stopping the demo's simulated pump (pumpd pid $pid)."
exit "$rc"
