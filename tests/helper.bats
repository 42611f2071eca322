#!/usr/bin/env bats
# tests/fdpass.bash, the helpers fdpass ships for bats test writers, used
# as the README shows.

load test_helper
load fdpass.bash

teardown() {
	stop_background
	fdpass_stop_all
}

@test "fdpass_serve listens at once; the command gets what was sent" {
	fdpass_serve reader -- sh -c 'cat; echo "[$FDPASS_DATA]"'
	[ -S "$(fdpass_socket reader)" ]
	echo "from the test" >input
	run "$FDPASS" send --data extra "$(fdpass_socket reader)" input
	assert_success
	fdpass_wait reader
	assert_equal "$(fdpass_output reader)" "from the test
[extra]"
}

@test "fdpass_serve takes recv options, e.g. --listen-fds for a daemon" {
	fdpass_serve daemon --listen-fds -- sh -c 'echo "$LISTEN_FDS $LISTEN_FDNAMES"'
	"$FDPASS" send --name config "$(fdpass_socket daemon)" /dev/null
	fdpass_wait daemon
	assert_equal "$(fdpass_output daemon)" "1 config"
}

@test "fdpass_stop ends a receiver that got nothing, and its socket goes" {
	fdpass_serve idle -- cat
	sock=$(fdpass_socket idle)
	[ -S "$sock" ]
	fdpass_stop idle
	[ ! -e "$sock" ]
}

@test "fdpass_stop also ends the command a receiver became" {
	fdpass_serve sleeper -- sleep 60
	"$FDPASS" send "$(fdpass_socket sleeper)" /dev/null
	pid=$(cat "$BATS_TEST_TMPDIR/fdpass/sleeper.serving")
	assert_equal "$(cat /proc/"$pid"/comm)" "sleep"
	fdpass_stop sleeper
	run _fdpass_running "$pid"
	assert_failure
}

@test "fdpass_serve fails with fdpass's message when it cannot listen" {
	touch "$(fdpass_socket taken)"
	run fdpass_serve taken -- cat
	assert_failure
	assert_output --partial "exists and is not a socket"
}

@test "fdpass_port tells the port the kernel chose for a socket passed" {
	fdpass_serve web --at 3 -- sleep 60
	"$FDPASS" send -t $WAIT --tcp-listen 127.0.0.1:0 "$(fdpass_socket web)"
	port=$(fdpass_port web 3)
	[ "$port" -gt 0 ]
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)' "$port"
}

@test "fdpass_stop ends the children of a --keep-listening receiver too" {
	FDPASS_WAIT=2
	fdpass_serve many -k -- sh -c 'trap "" TERM; echo $$ >child.pid; while :; do sleep 0.1; done'
	"$FDPASS" send "$(fdpass_socket many)" /dev/null
	wait_until test -s child.pid
	pgid=$(cat "$BATS_TEST_TMPDIR/fdpass/many.serving")
	fdpass_stop many
	run _fdpass_running "-$pgid"
	assert_failure
	run _fdpass_running "$(cat child.pid)"
	assert_failure
}

# zombie_in_group FILE: starts a process whose child, in a process group
# of its own, exits and stays a zombie, as its parent never reaps it (the
# way a subreaper that does not reap leaves a receiver that exited); the
# zombie's pid, which is its group's too, goes to FILE.
zombie_in_group() {
	bg sh -c 'setsid sh -c "echo \$\$ >$1" & exec sleep 60' sh "$1"
	wait_until test -s "$1"
	wait_until grep -q '^State:.Z' /proc/"$(cat "$1")"/status
}

@test "fdpass_wait takes a zombie for the process that exited" {
	zombie_in_group zombie.pid
	mkdir -p "$BATS_TEST_TMPDIR/fdpass"
	cp zombie.pid "$BATS_TEST_TMPDIR/fdpass/gone.serving"
	FDPASS_WAIT=3
	SECONDS=0
	run fdpass_wait gone
	assert_success
	# Not waited out: a zombie counts as gone at once.
	[ "$SECONDS" -lt "$FDPASS_WAIT" ]
}

@test "fdpass_stop does not wait for a group whose only process is a zombie" {
	zombie_in_group zombie.pid
	mkdir -p "$BATS_TEST_TMPDIR/fdpass"
	cp zombie.pid "$BATS_TEST_TMPDIR/fdpass/gone.serving"
	FDPASS_WAIT=3
	SECONDS=0
	fdpass_stop gone
	[ "$SECONDS" -lt "$FDPASS_WAIT" ]
}

@test "a test directory too long for a socket address gets a short one" {
	BATS_TEST_TMPDIR=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..100})
	mkdir -p "$BATS_TEST_TMPDIR"
	fdpass_serve reader -- cat
	sock=$(fdpass_socket reader)
	[ "${#sock}" -le 107 ]
	echo "through a short path" | "$FDPASS" send "$sock"
	fdpass_wait reader
	assert_equal "$(fdpass_output reader)" "through a short path"
	fdpass_stop_all
	[ ! -e "$sock" ]
	[ ! -e "${sock%/*}" ]
}
