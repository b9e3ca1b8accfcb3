#!/bin/sh
# bench/run.sh — run every benchmark in $BUILD/bench.  Each prints its figure
# beside the anchor it measured in the same run.  Benchmarks that compare
# with Redis get a private redis-server on a unix socket in a temp dir
# (REDIS_SOCK: no persistence; REDIS_AOF_SOCK: appendfsync always).
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
PTM_BUILD=$(cd "$BUILD" && pwd)
export PTM_BUILD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptm-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

start_redis() { # name, extra args...
	name=$1; shift
	sock="$tmp/$name.sock"
	redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
	  --dir "$tmp" --save '' --daemonize no --loglevel warning "$@" \
	  >"$tmp/$name.log" 2>&1 &
	pids="$pids $!"
	# readiness: wait for the socket to answer PING (a condition, bounded)
	i=0
	while ! redis-cli -s "$sock" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 500 ] && { echo "bench: $name did not start" >&2; return 1; }
		sleep 0.01
	done
	echo "$sock"
}

if command -v redis-server >/dev/null 2>&1; then
	REDIS_SOCK=$(start_redis plain --appendonly no) || REDIS_SOCK=
	REDIS_AOF_SOCK=$(start_redis aof --appendonly yes --appendfsync always \
	  --appendfilename aof.aof) || REDIS_AOF_SOCK=
	export REDIS_SOCK REDIS_AOF_SOCK
fi

rc=0
for b in "$BUILD"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || { echo "bench: $(basename "$b") failed" >&2; rc=1; }
done
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	[ -f "$s" ] || continue
	echo "== $(basename "$s" .sh)"
	sh "$s" || { echo "bench: $s failed" >&2; rc=1; }
done
exit $rc
