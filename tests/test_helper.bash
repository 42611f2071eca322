# Shared set-up for the bats suites: a scratch directory, the binary under
# test in $FDPASS, and background processes that teardown always stops.

# bats_load_library runs this for every test, and the libraries' load.bash
# files fork a dirname for each file they source: 0.3 s of CPU a test.
# Sourcing their files straight from where bats would find them is the
# same, without the forks; the functions are all they define.
load_libraries() {
	local dir file
	for dir in ${BATS_LIB_PATH//:/ } /usr/lib/bats; do
		if [ ! -d "$dir/bats-support/src" ] ||
			[ ! -d "$dir/bats-assert/src" ]; then
			continue
		fi
		for file in "$dir"/bats-support/src/*.bash \
			"$dir"/bats-assert/src/*.bash; do
			# shellcheck source=/dev/null
			source "$file"
		done
		return 0
	done
	bats_load_library bats-support
	bats_load_library bats-assert
}
load_libraries

FDPASS=${FDPASS:-$BATS_TEST_DIRNAME/../obj/fdpass}
export FDPASS

# How long a test waits for its background processes, in seconds.
export WAIT=10

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	BG_PIDS=()
}

# stop_background: ends what the test started in the background; a file
# with a teardown of its own calls it first.
stop_background() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

teardown() {
	stop_background
}

# count_fds PID: the number of descriptors open in process PID.
count_fds() {
	local fds=(/proc/"$1"/fd/*)
	echo "${#fds[@]}"
}

# bg CMD...: starts CMD in the background with fd 3 closed (bats waits on
# it otherwise), output to bg.out and bg.err; its pid is in $BG.
bg() {
	"$@" >bg.out 2>bg.err 3>&- &
	BG=$!
	BG_PIDS+=("$BG")
}

# wait_until CMD...: runs CMD until it succeeds, failing the test, with
# CMD named, if it has not within $WAIT seconds.
wait_until() {
	local i
	for ((i = 0; i < WAIT * 100; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.01
	done
	fail "not true after ${WAIT}s: $*"
}

# gone PID: true once process PID has exited.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# bg_wait: waits for the background process and puts its exit status in
# $BG_STATUS, failing the test if it runs past $WAIT seconds.
# shellcheck disable=SC2034 # BG_STATUS is for the tests that load this file
bg_wait() {
	wait_until gone "$BG"
	BG_STATUS=0
	wait "$BG" || BG_STATUS=$?
}

# wait_for_socket PATH: waits until a listener has created PATH.
wait_for_socket() {
	wait_until test -S "$1"
}

# An abstract socket name unique to this test.
abstract_name() {
	echo "@fdpass-test-$$-$BATS_TEST_NUMBER-$RANDOM"
}

# peer <<'PY' ... PY: runs a Python snippet that can `from peer import *`.
peer() {
	PYTHONPATH="$BATS_TEST_DIRNAME" /usr/bin/python3 - "$@"
}

# bg_peer FILE <<'PY' ... PY: the same, in the background as bg runs it;
# the snippet goes to FILE first, as a background job's stdin is /dev/null.
bg_peer() {
	cat >"$1"
	bg env PYTHONPATH="$BATS_TEST_DIRNAME" /usr/bin/python3 "$1"
}

# need_package PACKAGE TEST...: installs the Debian PACKAGE for a test that
# needs a real peer program, when TEST fails; as root only, else it skips.
need_package() {
	local package=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs $package: sudo apt-get install $package"
	fi
	# make check runs two passes side by side: one waits for the other's
	# apt-get rather than fail on its lock.
	local lock=-oDPkg::Lock::Timeout=600
	DEBIAN_FRONTEND=noninteractive apt-get "$lock" install -y -qq "$package" >/dev/null 2>&1 ||
		{ apt-get "$lock" update -qq >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get "$lock" install -y -qq "$package" >/dev/null 2>&1; } ||
		fail "could not install $package"
}

# need_pidfs: skips a test where pidfds do not name one process each
# (no pidfs before Linux 6.9), as LISTEN_PIDFDID is not checked there.
need_pidfs() {
	/usr/bin/python3 -c 'import os, sys; sys.exit(os.fstat(os.pidfd_open(os.getpid())).st_ino == os.fstat(os.pidfd_open(1)).st_ino)' ||
		skip "pidfds are not on pidfs (Linux 6.9 or later)"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on just now.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fdpass_as_nobody ARG...: runs fdpass as user and group nobody.  The
# binary is copied into the test's directory and run by a relative path,
# as nobody may not search the directories above it or the checkout.
fdpass_as_nobody() {
	mkdir -p -m 755 for-nobody
	cp "${FDPASS_REAL:-$FDPASS}" for-nobody/fdpass
	chmod 755 for-nobody/fdpass
	setpriv --reuid=65534 --regid=65534 --clear-groups for-nobody/fdpass "$@"
}

# bg_as_nobody ARG...: fdpass_as_nobody in the background as bg runs it,
# $BG being fdpass itself (and what it executes), so that teardown ends it.
bg_as_nobody() {
	fdpass_as_nobody --version >/dev/null
	bg setpriv --reuid=65534 --regid=65534 --clear-groups for-nobody/fdpass "$@"
}

# decode_data FILE: the data of recv's text output in FILE, its "data"
# lines joined and then decoded, as strunvis(3) would.
decode_data() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
cstyle = {b"s": b" ", b"n": b"\n", b"t": b"\t", b"r": b"\r", b"a": b"\a",
          b"b": b"\b", b"v": b"\v", b"f": b"\f", b"\\": b"\\"}
def unvis(m):
    e = m.group(1)
    return bytes([int(e, 8)]) if e[:1].isdigit() else cstyle[e]
with open(sys.argv[1], "rb") as f:
    joined = b"".join(l[5:].rstrip(b"\n") for l in f if l.startswith(b"data "))
sys.stdout.buffer.write(re.sub(rb"\\([0-7]{1,3}|.)", unvis, joined, flags=re.S))
PY
}
