#!/usr/bin/env bats
# Standard streams: one that fdpass needs and finds closed is an error,
# and every failed write of output makes the status 1, with a message.

load test_helper

@test "send with standard input closed fails instead of passing /dev/null" {
	bg "$FDPASS" recv s cat
	run bash -c '"$FDPASS" send -t 1 s <&-'
	assert_failure 1
	assert_output "fdpass: send: standard input is closed"
}

@test "FILE - with standard input closed fails" {
	run bash -c '"$FDPASS" send -t 1 s - <&-'
	assert_failure 1
	assert_output "fdpass: FILE -: standard input is closed"
}

@test "recv that would print, with standard output closed, fails at once" {
	run bash -c '"$FDPASS" recv s >&-'
	assert_failure 1
	assert_output "fdpass: recv: standard output is closed"
	[ ! -e s ]
}

@test "recv with a COMMAND does not need standard output" {
	bg "$FDPASS" recv s sh -c 'cat >got'
	echo fine >a
	"$FDPASS" send -t $WAIT s a
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat got)" "fine"
}

@test "--help to a full disk fails" {
	run bash -c '"$FDPASS" --help >/dev/full'
	assert_failure 1
	assert_output "fdpass: write error on standard output: No space left on device"
}

@test "send --help with standard output closed fails" {
	run bash -c '"$FDPASS" send --help >&-'
	assert_failure 1
	assert_output "fdpass: --help: standard output is closed"
}

@test "--version with standard output closed fails" {
	run bash -c '"$FDPASS" --version >&-'
	assert_failure 1
	assert_output "fdpass: --version: standard output is closed"
}

@test "recv printing to a full disk fails" {
	run bash -c '"$FDPASS" recv s >/dev/full 3>&- & pid=$!; "$FDPASS" send -t $WAIT s /dev/null; wait $pid'
	assert_failure 1
	assert_output --partial "fdpass: "
	assert_output --partial "No space left on device"
}

@test "send --stdout exits 0 once its descriptor is on the socket that is standard output" {
	run peer <<'PY'
import os, socket, subprocess
ours, theirs = socket.socketpair()
send = subprocess.run([os.environ["FDPASS"], "send", "-t", "5", "--stdout", "/dev/null"],
                      stdout=theirs, stderr=subprocess.PIPE, timeout=10)
theirs.close()
_, fds, _, _ = socket.recv_fds(ours, 16, 4)
print(send.returncode, len(fds), send.stderr.decode().strip())
PY
	assert_success
	assert_output "0 1 "
}
