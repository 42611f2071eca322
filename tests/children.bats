#!/usr/bin/env bats
# recv and the processes it starts: signals passed on, children reaped and
# bounded, diagnostics kept out of placed descriptors, and in
# --keep-listening one peer never holding up the others.

load test_helper

# ignoring_chld CMD...: runs CMD with SIGCHLD ignored, as a parent may
# leave it (bash cannot set that up reliably with trap).
ignoring_chld() {
	/usr/bin/python3 -c 'import signal, os, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

@test "send --wait gets the status though recv started with SIGCHLD ignored" {
	bg ignoring_chld "$FDPASS" recv s sh -c 'exit 7'
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_failure 7
	assert_output ""
	bg_wait
	assert_equal "$BG_STATUS" 7
}

@test "COMMAND run for --wait gets SIGCHLD ignored as recv found it" {
	bg ignoring_chld "$FDPASS" recv s /usr/bin/python3 -c 'import signal, sys
sys.exit(signal.getsignal(signal.SIGCHLD) != signal.SIG_IGN)'
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_success
}

@test "killing recv that waits for its command passes SIGTERM on to it" {
	bg "$FDPASS" recv s sh -c 'trap "echo got TERM >note; exit 5" TERM; echo $$ >cmd.pid; while :; do sleep 0.1; done'
	recv=$BG
	"$FDPASS" send -t $WAIT --wait s /dev/null >send.out 2>send.err 3>&- &
	send=$!
	wait_until test -s cmd.pid
	kill -TERM "$recv"
	BG=$send
	bg_wait
	assert_equal "$BG_STATUS" 5
	assert_equal "$(cat note)" "got TERM"
	BG=$recv
	bg_wait
	assert_equal "$BG_STATUS" 5
}

@test "a signal ignored when recv started is not passed on" {
	# The command catches SIGHUP again, to see whether it comes.
	bg /usr/bin/python3 -c 'import signal, os, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])' "$FDPASS" recv s /usr/bin/python3 -c 'import os, signal, sys, time
signal.signal(signal.SIGHUP, lambda *a: sys.exit(9))
open("cmd.pid", "w").write(str(os.getpid()))
while not os.path.exists("stop"):
    time.sleep(0.05)
sys.exit(4)'
	recv=$BG
	"$FDPASS" send -t $WAIT --wait s /dev/null >send.out 2>send.err 3>&- &
	send=$!
	wait_until test -s cmd.pid
	kill -HUP "$recv"
	kill -0 "$recv"
	touch stop
	BG=$send
	bg_wait
	assert_equal "$BG_STATUS" 4
}

@test "a diagnostic after placement goes to recv's stderr, not the sender's file" {
	bg "$FDPASS" recv --at 0,1,2 s /nonexistent/cmd
	: >in
	: >out
	: >errfile
	run "$FDPASS" send -t $WAIT --write s in out errfile
	assert_failure
	bg_wait
	assert_equal "$BG_STATUS" 127
	assert_equal "$(cat errfile)" ""
	assert_equal "$(cat bg.err)" "fdpass: /nonexistent/cmd: No such file or directory"
}
