#!/usr/bin/env bats
# Who sent what recv takes: every message of a transfer must come from
# the one process whose credentials were checked, and that is the process
# recv reports.

load test_helper

# nobody_follows KIND: a peer of ours connects to s, a socket of KIND
# (stream or seqpacket), and runs the Python lines on standard input with
# the connection as sock; then a child of it, turned user nobody, sends
# the write end of a pipe on the connection and checks that recv closed
# it.  $RECV is recv's pid.
nobody_follows() {
	local first
	first=$(cat)
	run peer "$1" "$first" <<'PY'
from peer import *
import signal, sys
kind = socket.SOCK_SEQPACKET if sys.argv[1] == "seqpacket" else socket.SOCK_STREAM
sock = connect("s", kind)
exec(sys.argv[2])
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    readers = send_pipe_ends(sock, b"\0")
    # Allowed within a session: recv may have been stopped meanwhile,
    # or have refused and exited already.
    try:
        os.kill(int(os.environ["RECV"]), signal.SIGCONT)
    except ProcessLookupError:
        pass
    assert_closed(readers)
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert status == 0
PY
}

# refused_as RE: recv, $BG, ran nothing and was refused for RE.
refused_as() {
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: .*$1"
}

@test "a plain message mixed from two users' processes on a stream is refused, all closed" {
	bg "$FDPASS" recv s sh -c 'echo accepted'
	# Both wait together: twenty bytes that are no header, after which
	# recv reads on for what else came, and another user's descriptors.
	RECV=$BG nobody_follows stream <<'PY'
os.kill(int(os.environ["RECV"]), signal.SIGSTOP)
sock.send(b"x" * 20)
PY
	assert_success
	assert_output "closed"
	refused_as "more than one process"
}

@test "descriptors sent by another user's process after an allowed header are refused" {
	bg "$FDPASS" recv s sh -c 'echo accepted'
	RECV=$BG nobody_follows stream <<'PY'
sock.send(header(1, flags=5))
assert sock.recv(8)[:1] != b""
PY
	assert_success
	assert_output "closed"
	refused_as "another process than its header"
}

@test "a seqpacket transfer whose rest comes from another user's process is refused" {
	bg "$FDPASS" recv --seqpacket s sh -c 'echo accepted'
	RECV=$BG nobody_follows seqpacket <<'PY'
sock.send(header(1, flags=5))
assert sock.recv(8)[:1] != b""
PY
	assert_success
	assert_output "closed"
	refused_as "another process than its header"
}

@test "--json's peer is the process that sent, not the one that connected" {
	bg "$FDPASS" recv --json s
	run peer <<'PY'
from peer import *
sock = connect("s")
pid = os.fork()
if pid == 0:
    send_pipe_ends(sock, b"\0")
    os._exit(0)
os.waitpid(pid, 0)
print(pid)
PY
	assert_success
	sender=$output
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_output --partial "\"peer\":{\"pid\":$sender,\"uid\":$(id -u),"
}

@test "a sender that stalls after its header passed is reported as timed out, with why" {
	bg "$FDPASS" recv -t 2 s sh -c 'echo accepted'
	run peer <<'PY'
from peer import *
sock = connect("s")
sock.send(header(1, flags=5))
assert sock.recv(8)[:1] != b""
sock.recv(8)
PY
	bg_wait
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.out)" ""
	assert_equal "$(cat bg.err)" "fdpass: receive on s: Connection timed out"
}

@test "a sender that hangs up after its header is reported, with why" {
	bg "$FDPASS" recv --ready-fd 4 s sh -c 'echo accepted' 4>ready
	wait_until test -s ready
	kill -STOP "$BG"
	peer <<'PY'
from peer import *
sock = connect("s")
sock.send(header(1, flags=5))
sock.close()
PY
	kill -CONT "$BG"
	bg_wait
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: .+"
	refute_output --regexp ": \$"
}

# plain_prefix DATA: a plain message of DATA, short of the header's magic,
# with a descriptor, is a plain message: COMMAND gets it and DATA.
plain_prefix() {
	bg "$FDPASS" recv s sh -c 'echo "data $FDPASS_DATA"'
	peer "$1" <<'PY'
from peer import *
import sys
socket.send_fds(connect("s"), [sys.argv[1].encode()], null_fds(1))
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "data $1"
	assert_equal "$(cat bg.err)" ""
}

@test "a plain message whose data is F, a prefix of the magic, is a plain message" {
	plain_prefix F
}

@test "a plain message whose data is FD, a prefix of the magic, is a plain message" {
	plain_prefix FD
}
