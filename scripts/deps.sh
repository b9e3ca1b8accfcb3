#!/bin/sh
# scripts/deps.sh — install the Debian packages a make target needs.
#
#   sh scripts/deps.sh build|test|bench|prove
#
# Checks with dpkg-query which packages are missing; installs them with
# apt-get when run as root, otherwise names them and the command to run.
set -u

build="gcc make pkg-config libsodium-dev libuv1-dev libncurses-dev libsqlite3-dev libjansson-dev tzdata"
test="libcriterion-dev tmux clang libclang-rt-14-dev valgrind sqlite3 python3 python3-cryptography"
bench="redis-server redis-tools linux-perf"
prove="gcc frama-c-base why3 z3 cvc4"

case "${1:-build}" in
build) want="$build" ;;
test)  want="$build $test" ;;
bench) want="$build $bench" ;;
prove) want="$prove" ;;
*) echo "usage: sh scripts/deps.sh build|test|bench|prove" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ptm: missing Debian packages:$missing" >&2
	echo "ptm: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "ptm: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $missing >/tmp/ptm-apt.log 2>&1; then
	apt-get update -q >>/tmp/ptm-apt.log 2>&1
	apt-get install -y -q --no-install-recommends $missing >>/tmp/ptm-apt.log 2>&1 || {
		echo "ptm: apt-get install failed; see /tmp/ptm-apt.log" >&2
		tail -n 20 /tmp/ptm-apt.log >&2
		exit 1
	}
fi
