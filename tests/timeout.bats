#!/usr/bin/env bats
# --timeout: one deadline for the whole operation, and no step that can
# wait past it.  Each test starts a peer that makes one step wait for ever
# and checks that fdpass gives up at the deadline, saying on what.

load test_helper

# run_timed CMD...: runs CMD as run does, and its wall time in whole
# seconds in $ELAPSED, in milliseconds in $ELAPSED_MS; a CMD still running
# after 30 s is killed (124).
run_timed() {
	local start=${EPOCHREALTIME/./}
	run timeout 30 "$@"
	ELAPSED_MS=$(((${EPOCHREALTIME/./} - start) / 1000))
	ELAPSED=$((ELAPSED_MS / 1000))
}

# full_listener PATH: a listener at PATH that never accepts, its backlog
# full, so that connect(2) to it blocks; in the background until teardown.
full_listener() {
	bg_peer full.py <<PY
from peer import *
held = full_listener("$1")
open("full", "w").close()
time.sleep(60)
PY
	wait_until test -e full
}

@test "send -t gives up connecting to a listener whose backlog is full" {
	full_listener s
	run_timed "$FDPASS" send -t 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: connect s: Connection timed out"
	[ "$ELAPSED" -le 5 ]
}

@test "recv --connect -t gives up on a listener whose backlog is full" {
	full_listener s
	run_timed "$FDPASS" recv --connect -t 1 s cat
	assert_failure 1
	assert_output "fdpass: connect s: Connection timed out"
	[ "$ELAPSED" -le 5 ]
}

@test "a full-backlog socket in the way is in use, found without waiting, even with no --timeout" {
	full_listener s
	run_timed "$FDPASS" recv s cat
	assert_failure 1
	assert_output "fdpass: listen s: in use by another process"
	[ "$ELAPSED" -le 5 ]
	[ -S s ]
}

@test "send -t takes a fraction of a second, and gives up after it" {
	mkfifo ff
	bg "$FDPASS" recv s cat
	wait_for_socket s
	run_timed "$FDPASS" send -t 0.5 s ff
	assert_failure 1
	assert_output "fdpass: open ff: nothing at the FIFO's other end within 0.5 s"
	[ "$ELAPSED_MS" -ge 500 ]
	[ "$ELAPSED_MS" -lt 3000 ]
}

@test "recv -t takes a fraction of a second, and gives up after it" {
	run_timed "$FDPASS" recv -t 1.25 s cat
	assert_failure 1
	assert_output "fdpass: listen s: no sender came within --timeout"
	[ "$ELAPSED_MS" -ge 1250 ]
	[ "$ELAPSED_MS" -lt 4000 ]
}

@test "send -t gives up on a receiver that answers half its reply" {
	bg_peer half.py <<'PY'
from peer import *
conn, _ = listen("s").accept()
conn.recv(65536)
conn.send(b"FDPR")
time.sleep(60)
PY
	wait_for_socket s
	run_timed "$FDPASS" send -t 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: no reply from the receiver within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t bounds the whole of a --data-file that a receiver reads slowly" {
	head -c 8000000 /dev/zero >big
	# A receiver that prints the data into a pipe that is read slowly.
	bg bash -c '"$FDPASS" recv s | /usr/bin/python3 -c "
import sys, time
while sys.stdin.buffer.read1(65536):
    time.sleep(0.2)"'
	wait_for_socket s
	run_timed "$FDPASS" send -t 1 --data-file big s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver did not take it all within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t gives up opening a FIFO nobody writes to" {
	mkfifo ff
	bg "$FDPASS" recv s cat
	wait_for_socket s
	run_timed "$FDPASS" send -t 1 s ff
	assert_failure 1
	assert_output "fdpass: open ff: nothing at the FIFO's other end within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t --write gives up opening a FIFO nobody reads" {
	mkfifo ff
	bg "$FDPASS" recv s cat
	wait_for_socket s
	run_timed "$FDPASS" send -t 1 --write s ff
	assert_failure 1
	assert_output "fdpass: open ff: nothing at the FIFO's other end within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t passes a FIFO once its writer comes, blocking as open(2) leaves it" {
	mkfifo ff
	bg "$FDPASS" recv s sh -c '/usr/bin/python3 -c "import fcntl, os; print(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK)"; cat'
	wait_for_socket s
	"$FDPASS" send -t $WAIT s ff >send.out 2>send.err 3>&- &
	BG_PIDS+=($!)
	echo written >ff
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "0
written"
}

@test "send -t --write passes a FIFO once its reader comes" {
	mkfifo ff
	bg "$FDPASS" recv s sh -c 'echo written >&0'
	wait_for_socket s
	"$FDPASS" send -t $WAIT --write s ff >send.out 2>send.err 3>&- &
	BG_PIDS+=($!)
	run timeout $WAIT cat ff
	assert_success
	assert_output "written"
}

@test "send -t gives up on --tcp-connect to an address that drops packets" {
	command -v unshare >/dev/null || skip "needs unshare(1)"
	unshare --net true 2>/dev/null || skip "cannot make a network namespace here"
	bg "$FDPASS" recv s cat
	wait_for_socket s
	# In a namespace of its own, 10.251.0.2 is reached through a veth pair
	# whose far end drops every frame, as it is for another address.
	run_timed unshare --net sh -c '
		ip link add v0 type veth peer name v1 &&
		ip link set v0 up && ip link set v1 up &&
		ip addr add 10.251.0.1/24 dev v0 &&
		ip neigh add 10.251.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent ||
		exit 99
		exec "$FDPASS" send -t 1 --tcp-connect 10.251.0.2:9 s'
	[ "$status" -ne 99 ] || skip "cannot make a veth pair here"
	assert_failure 1
	assert_output "fdpass: --tcp-connect 10.251.0.2:9: Connection timed out"
	[ "$ELAPSED" -le 5 ]
}

@test "send --wait -t says the command did not finish in time" {
	bg "$FDPASS" recv s sleep 3
	run_timed "$FDPASS" send --wait -t 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the command did not finish within 1 s"
	[ "$ELAPSED" -le 5 ]
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "send -t gives up on a --data-file FIFO whose writer never closes it" {
	mkfifo ff
	bg sh -c 'exec >ff; echo some; exec sleep 30'
	run_timed "$FDPASS" send -t 1 --data-file ff s /dev/null
	assert_failure 1
	assert_output "fdpass: --data-file ff: no end of file within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t gives up opening a --data-file FIFO nobody writes to" {
	mkfifo ff
	run_timed "$FDPASS" send -t 1 --data-file ff s /dev/null
	assert_failure 1
	assert_output "fdpass: open ff: nothing at the FIFO's other end within 1 s"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t gives up on --data-file - from a pipe that stays open" {
	run_timed bash -c 'exec "$FDPASS" send -t 1 --data-file - s /dev/null < <(echo some; exec sleep 30 2>/dev/null)'
	assert_failure 1
	assert_output "fdpass: --data-file -: no end of file within 1 s"
	[ "$ELAPSED" -le 5 ]
}

# run_unresolved ARG...: run_timed fdpass ARG... in a network namespace of
# its own, where host names are looked up only by DNS, from a server on
# 127.0.0.1 that never answers: a socket fdpass inherits and never reads.
run_unresolved() {
	command -v unshare >/dev/null || skip "needs unshare(1)"
	printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:1\n' >resolv.conf
	printf 'hosts: dns\n' >nsswitch.conf
	run_timed unshare --net --mount sh -c '
		ip link set lo up &&
		mount --bind resolv.conf /etc/resolv.conf &&
		mount --bind nsswitch.conf /etc/nsswitch.conf || exit 99
		exec /usr/bin/python3 -c "
import os, socket, sys
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind((\"127.0.0.1\", 53))
dns.set_inheritable(True)
os.execv(sys.argv[1], sys.argv[1:])
" "$@"' sh "$FDPASS" "$@"
	[ "$status" -ne 99 ] || skip "cannot make a namespace with a resolver of its own here"
}

@test "send -t gives up looking up a --tcp-connect host the resolver never answers for" {
	run_unresolved send -t 1 --tcp-connect unanswered.test:80 s
	assert_failure 1
	assert_output "fdpass: --tcp-connect unanswered.test:80: the host name lookup did not finish within --timeout"
	[ "$ELAPSED" -le 5 ]
}

@test "send -t gives up looking up a --tcp-listen host the resolver never answers for" {
	run_unresolved send -t 1 --tcp-listen unanswered.test:80 s
	assert_failure 1
	assert_output "fdpass: --tcp-listen unanswered.test:80: the host name lookup did not finish within --timeout"
	[ "$ELAPSED" -le 5 ]
}
