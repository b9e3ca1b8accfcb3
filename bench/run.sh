#!/bin/sh
# bench/run.sh — run every benchmark in $BUILD/bench, then the summary.
# Each benchmark prints its figures beside the anchors it measured in the
# same run and adds them to $BUILD/bench/results.json (written anew).
#
# Benchmarks that compare with Redis get private redis-servers on unix
# sockets in a temporary directory: REDIS_SOCK (no persistence) and
# REDIS_AOF_SOCK (appendonly yes, appendfsync always).  Everything started
# here, and by the benchmarks, carries PTM_BENCH_RUN in its environment: at
# the end, any process still carrying it is named and stopped, so a run
# leaves nothing behind.  BENCH_RUNS=N: runs per figure (3..16, default 3;
# bench_status takes at least 5); BENCH_ONLY="bench_a bench_b": only those;
# BENCH_PERF=FILE: bench_status also profiles pumpd and the crypto floor
# with perf record (FILE.pumpd, FILE.crypto-floor; BENCH_PERF_CG=dwarf for
# call graphs through libuv and libc).
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
PTM_BUILD=$(cd "$BUILD" && pwd)
BENCH_RESULTS="$PTM_BUILD/bench/results.json"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptm-bench.XXXXXX")
PTM_BENCH_RUN=$tmp
export PTM_BUILD BENCH_RESULTS PTM_BENCH_RUN
rm -f "$BENCH_RESULTS"
started=""   # "name:pid ..." of the servers started here
t_start=$(date +%s)

say() { printf '%s\n' "$*"; }

cleanup() {
	for e in $started; do
		kill "${e#*:}" 2>/dev/null
	done
	for e in $started; do
		wait "${e#*:}" 2>/dev/null
		if kill -0 "${e#*:}" 2>/dev/null; then
			kill -9 "${e#*:}" 2>/dev/null
			wait "${e#*:}" 2>/dev/null
		fi
		say "bench: stopped redis-server (${e%%:*}) pid ${e#*:}"
	done
	started=""
	# anything else a benchmark started and left: find it by the marker
	unset PTM_BENCH_RUN
	left=0
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$$" ] && continue
		grep -qzx "PTM_BENCH_RUN=$tmp" "$d/environ" 2>/dev/null || continue
		say "bench: still running: pid $p ($(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-100)); stopping it"
		kill "$p" 2>/dev/null
		left=$((left + 1))
	done
	[ $left -eq 0 ] && say "bench: nothing left running"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_redis NAME ARGS...: a redis-server on $tmp/NAME.sock; sets
# redis_sock (empty when it did not start)
start_redis() {
	name=$1; shift
	redis_sock="$tmp/$name.sock"
	redis-server --port 0 --unixsocket "$redis_sock" --unixsocketperm 700 \
	  --dir "$tmp" --save '' --daemonize no --loglevel warning "$@" \
	  >"$tmp/$name.log" 2>&1 &
	pid=$!
	started="$started $name:$pid"
	say "bench: started redis-server ($name) pid $pid on $redis_sock"
	# readiness: wait for the socket to answer PING (a condition, bounded)
	i=0
	while ! redis-cli -s "$redis_sock" ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
			say "bench: redis-server ($name) did not start: $(tail -n 3 "$tmp/$name.log")" >&2
			redis_sock=
			return 1
		fi
		sleep 0.01
	done
}

REDIS_SOCK=''
REDIS_AOF_SOCK=''
if command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; then
	say "bench: $(redis-server --version | cut -d' ' -f1-3)"
	start_redis plain --appendonly no
	REDIS_SOCK=$redis_sock
	start_redis aof --appendonly yes --appendfsync always --appendfilename aof.aof
	REDIS_AOF_SOCK=$redis_sock
else
	say "bench: no redis-server/redis-benchmark: Redis anchors skipped (sh scripts/deps.sh bench)"
fi
export REDIS_SOCK REDIS_AOF_SOCK

rc=0
done_list=""
order="bench_sim bench_status bench_bolus bench_handshake bench_remotes bench_idle"
[ -n "${BENCH_ONLY:-}" ] && order=$BENCH_ONLY
for b in $order ${BENCH_ONLY:-$(cd "$BUILD/bench" && ls bench_* 2>/dev/null)}; do
	case " $done_list " in *" $b "*) continue ;; esac
	done_list="$done_list $b"
	[ -x "$BUILD/bench/$b" ] || continue
	t0=$(date +%s)
	say "== $b"
	"$BUILD/bench/$b" || { say "bench: $b failed" >&2; rc=1; }
	say "   ($b: $(( $(date +%s) - t0 )) s)"
done
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	[ -f "$s" ] || continue
	say "== $(basename "$s" .sh)"
	sh "$s" || { say "bench: $s failed" >&2; rc=1; }
done
say "== summary ($(( $(date +%s) - t_start )) s in all)"
"$BUILD/bench/summary" "$BENCH_RESULTS" || rc=1
exit $rc
