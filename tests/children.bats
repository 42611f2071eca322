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

# bats test_tags=valgrind
@test "send looks a host name up though it started with SIGCHLD ignored" {
	bg "$FDPASS" recv --json s
	wait_for_socket s
	run ignoring_chld "$FDPASS" send -t $WAIT --tcp-listen localhost:0 s
	assert_success
	assert_output ""
	bg_wait
	run jq -r '.fds[0].socktype' bg.out
	assert_output stream
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

@test "a SIGTERM that comes just before recv --wait forks its command is passed on to it" {
	need_package gdb gdb --version
	# gdb stops recv where it is about to fork, with SIGTERM already
	# handed on to children that do not exist yet, and delivers it then.
	bg gdb -batch -q -ex 'break children_fork' -ex run \
	    -ex 'signal SIGTERM' -ex continue \
	    --args "$FDPASS" recv s sh -c 'touch ran'
	wait_for_socket s
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_failure 143
	[ ! -e ran ]
	bg_wait
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
	printf '#!/bin/sh\n' >cmd
	chmod +x cmd
	bg "$FDPASS" recv --at 0,1,2 s ./cmd
	wait_for_socket s
	rm cmd
	: >in
	: >out
	: >errfile
	run "$FDPASS" send -t $WAIT --write s in out errfile
	assert_failure
	bg_wait
	assert_equal "$BG_STATUS" 127
	assert_equal "$(cat errfile)" ""
	assert_equal "$(cat bg.err)" "fdpass: ./cmd: No such file or directory"
}

# writing_child PID: true once a child of PID is blocked writing to a pipe.
writing_child() {
	local child
	for child in $(cat /proc/"$1"/task/"$1"/children); do
		grep -q pipe_write /proc/"$child"/wchan && return 0
	done
	return 1
}

@test "-k: a client that stalls in its header does not hold up the next sender" {
	bg "$FDPASS" recv -k s
	recv=$BG
	bg_peer stall.py <<'PY'
from peer import *
sock = connect("s")
sock.sendall(b"FDPM")
open("stalled", "w").close()
time.sleep(60)
PY
	wait_until test -e stalled
	run "$FDPASS" send -t 5 --data second s /dev/null
	assert_success
	BG=$recv
	wait_until grep -q second bg.out
}

@test "-k: a transfer whose sender gave up before it was printed is not printed" {
	mkfifo pipe
	# As much data as -k holds, which printed fills a pipe.
	head -c 65536 /dev/zero | tr '\0' a >big
	bg_peer reader.py <<'PY'
import os, time
with open("pipe", "rb") as p:
    while not os.path.exists("go"):
        time.sleep(0.01)
    with open("printed", "wb") as f:
        f.write(p.read())
PY
	reader=$BG
	bg sh -c 'exec "$FDPASS" recv -k s >pipe'
	recv=$BG
	# The first record fills the pipe: its child holds the lock.
	"$FDPASS" send -t $WAIT --data-file big s /dev/null 3>&- &
	first=$!
	wait_until writing_child "$recv"
	run "$FDPASS" send -t 2 --data second s /dev/null
	assert_failure 1
	touch go
	BG=$first
	bg_wait
	assert_equal "$BG_STATUS" 0
	kill "$recv"
	BG=$reader
	bg_wait
	grep -q aaaa printed
	run grep -c second printed
	assert_output 0
}

@test "-k --max-children 1 serves the next sender only when the first ends" {
	bg "$FDPASS" recv -k --max-children 1 s sh -c 'echo x >>started; while [ ! -e stop ]; do sleep 0.05; done'
	"$FDPASS" send -t $WAIT s /dev/null
	wait_until test -s started
	run "$FDPASS" send -t 1 s /dev/null
	assert_failure 1
	assert_equal "$(wc -l <started)" 1
	touch stop
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_success
}

@test "--max-children needs --keep-listening" {
	run "$FDPASS" recv --max-children 2 s
	assert_failure 2
	assert_output --partial "--max-children needs --keep-listening"
}

@test "-k passes SIGTERM on to the commands it started" {
	bg "$FDPASS" recv -k s sh -c 'echo $$ >cmd.pid; exec sleep 60'
	"$FDPASS" send -t $WAIT s /dev/null
	wait_until test -s cmd.pid
	kill -TERM "$BG"
	bg_wait
	assert_equal "$BG_STATUS" 143
	wait_until gone "$(cat cmd.pid)"
	[ ! -e s ]
}

# both_started: two commands wrote to started, counted anew each time.
both_started() {
	[ "$(wc -l <started)" = 2 ]
}

@test "-k --dgram runs its commands side by side" {
	bg "$FDPASS" recv -k --dgram s sh -c 'echo x >>started; while [ ! -e stop ]; do sleep 0.05; done'
	wait_for_socket s
	"$FDPASS" send --dgram s /dev/null
	"$FDPASS" send --dgram s /dev/null
	wait_until both_started
	touch stop
}

@test "-k goes on when it cannot fork, closing that sender" {
	# Root is exempt from RLIMIT_NPROC: the listener runs as nobody.
	name=$(abstract_name)
	mkdir -p -m 755 for-nobody
	cp "$FDPASS" for-nobody/fdpass
	bg prlimit --nproc=1:1 setpriv --reuid=65534 --regid=65534 --clear-groups for-nobody/fdpass recv -k "$name" true
	wait_until grep -q "${name}\$" /proc/net/unix
	run fdpass_as_nobody send -t $WAIT "$name" /dev/null
	assert_failure 1
	run fdpass_as_nobody send -t $WAIT "$name" /dev/null
	assert_failure 1
	kill -0 "$BG"
	assert_equal "$(head -n 1 bg.err)" "fdpass: serve $name: refused a sender: Resource temporarily unavailable"
}

# lowest_free_fd PID: the lowest descriptor number process PID has not open.
lowest_free_fd() {
	local fd=0
	while [ -e "/proc/$1/fd/$fd" ]; do
		fd=$((fd + 1))
	done
	echo "$fd"
}

@test "-k reports an accept that runs out of descriptors and serves the sender once it can" {
	bg "$FDPASS" recv -k s
	wait_for_socket s
	prlimit --pid "$BG" --nofile="$(lowest_free_fd "$BG"):"
	"$FDPASS" send -t $WAIT s /dev/null >send.out 2>send.err 3>&- &
	sender=$!
	BG_PIDS+=("$sender")
	wait_until grep -q "^fdpass: accept s: Too many open files\$" bg.err
	kill -0 "$BG"
	prlimit --pid "$BG" --nofile=1024:
	recv=$BG
	BG=$sender
	bg_wait
	assert_equal "$BG_STATUS" 0
	BG=$recv
	wait_until grep -q " /dev/null " bg.out
	kill -0 "$BG"
}

@test "-k reaps a command that ends after a refused peer, while it waits" {
	name=$(abstract_name)
	mkfifo go
	bg "$FDPASS" recv -k "$name" sh -c 'read -r x <go'
	"$FDPASS" send -t $WAIT "$name" /dev/null
	wait_until test -n "$(ps --ppid "$BG" -o pid=)"
	fdpass_as_nobody send -t $WAIT --allow-uid 0 "$name" /dev/null || true
	wait_until grep -q "refused peer" bg.err
	echo >go
	wait_until test -z "$(ps --ppid "$BG" -o pid=)"
	kill -0 "$BG"
}

@test "-k: a sender that left before its command would run gets no command run" {
	bg "$FDPASS" recv -k --max-children 1 s sh -c 'echo x >>ran; while [ ! -e stop ]; do sleep 0.05; done'
	"$FDPASS" send -t $WAIT s /dev/null
	wait_until test -s ran
	# Queued while the one child is busy: all sent, and gone.
	peer <<'PY'
from peer import *
sock = connect("s")
socket.send_fds(sock, [header(1, flags=1)], null_fds(1))
sock.close()
PY
	touch stop
	wait_until grep -q "^fdpass: receive on s: the sender left before its command was run\$" bg.err
	assert_equal "$(wc -l <ran)" 1
}

# bg_send ARG...: fdpass send ARG... in the background, its output in
# send.out and send.err, its pid in $SEND (bg's files are the receiver's).
# SIGINT is put back to its default: sh ignores it in a background job.
bg_send() {
	/usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$FDPASS" send "$@" >send.out 2>send.err 3>&- &
	SEND=$!
	BG_PIDS+=("$SEND")
}

# send_ended: waits for the send bg_send started; its status in $status.
send_ended() {
	status=0
	wait "$SEND" || status=$?
}

@test "send --wait passes SIGTERM on to the receiver's command and exits with its status" {
	bg "$FDPASS" recv s sh -c 'trap "echo got TERM; exit 42" TERM; echo started; while :; do sleep 0.05; done'
	bg_send -t $WAIT --wait s /dev/null
	wait_until grep -q started bg.out
	kill -TERM "$SEND"
	send_ended
	assert_equal "$status" 42
	run cat bg.out send.err
	assert_output "started
got TERM"
}

@test "send --wait passes SIGINT and SIGHUP on too" {
	bg "$FDPASS" recv s /usr/bin/python3 -c '
import signal, sys
got = []
def note(sig, frame):
    got.append(sig)
    print(signal.Signals(sig).name, flush=True)
    if len(got) == 2:
        sys.exit(len(got))
signal.signal(signal.SIGINT, note)
signal.signal(signal.SIGHUP, note)
print("started", flush=True)
while True:
    signal.pause()'
	bg_send -t $WAIT --wait s /dev/null
	wait_until grep -q started bg.out
	kill -INT "$SEND"
	wait_until grep -q SIGINT bg.out
	kill -HUP "$SEND"
	send_ended
	assert_equal "$status" 2
	run cat bg.out
	assert_output "started
SIGINT
SIGHUP"
}

@test "send --wait to a receiver that does not say it passes signals on dies of SIGTERM as before" {
	bg_peer old.py <<'PY'
import time
from peer import take_offered
conn = take_offered("s")
conn.sendall(b"FDPR\x01\x00\x00\x00")
print("delivered", flush=True)
time.sleep(60)
PY
	wait_for_socket s
	bg_send -t $WAIT --wait s /dev/null
	wait_until grep -q delivered bg.out
	kill -TERM "$SEND"
	send_ended
	assert_equal "$status" 143
	run cat send.err
	assert_output ""
}
