#!/usr/bin/env bats
# The connecting side waits for its listener to appear, so that both ends
# can start at once from a script with no sleep and no option.

load test_helper

@test "the README's first example works 100 times out of 100" {
	for i in $(seq 100); do
		"$FDPASS" recv s cat >out 3>&- &
		echo "hello $i" | "$FDPASS" send s
		wait $!
		assert_equal "$(cat out)" "hello $i"
	done
}

@test "recv --connect waits for a sender that listens later" {
	"$FDPASS" recv --connect s cat >out 3>&- &
	pid=$!
	echo late >a
	"$FDPASS" send --listen s a
	wait "$pid"
	assert_equal "$(cat out)" "late"
}

@test "send waits for an abstract listener that starts later" {
	name=$(abstract_name)
	echo abstract >a
	bg "$FDPASS" send "$name" a
	"$FDPASS" recv "$name" cat >out
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat out)" "abstract"
}

@test "a socket in a directory that does not exist fails at once" {
	SECONDS=0
	run "$FDPASS" send nodir/s /dev/null
	assert_failure 1
	assert_output "fdpass: connect nodir/s: its directory does not exist"
	[ "$SECONDS" -le 1 ]
}

@test "with no listener and no --timeout, send gives up after 5 s" {
	SECONDS=0
	run "$FDPASS" send s /dev/null
	assert_failure 1
	assert_output "fdpass: connect s: no listener appeared within 5 s"
	[ "$SECONDS" -ge 4 ] && [ "$SECONDS" -le 8 ]
}

@test "--timeout bounds the wait for a listener" {
	run "$FDPASS" send -t 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: connect s: no listener appeared within --timeout"
}

# has_watch PID: true while process PID holds an inotify descriptor.
has_watch() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:inotify'
}
# no_watch PID: true while process PID runs, not a zombie, and holds none.
no_watch() {
	grep -q '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status" 2>/dev/null &&
	    ! has_watch "$1"
}

@test "a sender that waited for its listener lets go of the watch once all is sent" {
	bg "$FDPASS" send -t 60 --wait s /dev/null
	wait_until has_watch "$BG"
	"$FDPASS" recv s sh -c 'echo $$ >command.pid; exec sleep 30' 3>&- &
	BG_PIDS+=("$!")
	# Sent: it waits for the command's exit without the watch, which
	# would count against its user's inotify instances all that time.
	wait_until no_watch "$BG"
	wait_until test -s command.pid
	kill "$(cat command.pid)"
	bg_wait
	assert_equal "$BG_STATUS" 143
}

@test "recv --connect lets go of its watch once connected" {
	bg "$FDPASS" recv --connect -t 60 s cat
	recv=$BG
	wait_until has_watch "$recv"
	# A sender that listens, then holds the connection until told.
	bg_peer late.py <<'PY'
import os, socket, time
l = socket.socket(socket.AF_UNIX)
l.bind("s")
l.listen(1)
c, _ = l.accept()
while not os.path.exists("go"):
    time.sleep(0.01)
PY
	wait_until no_watch "$recv"
	touch go
}
