#!/usr/bin/env bats
# Who sent what recv takes: every message of a transfer must come from
# the one process whose credentials were checked, and that is the process
# recv reports.

load test_helper

@test "a plain message mixed from two users' processes on a stream is refused, all closed" {
	bg "$FDPASS" recv s sh -c 'echo accepted'
	RECV=$BG run peer <<'PY'
from peer import *
import signal
sock = connect("s")
# Both messages wait together: twenty bytes that are no header, after
# which recv reads on for what else came, and another user's descriptors.
os.kill(int(os.environ["RECV"]), signal.SIGSTOP)
sock.send(b"x" * 20)
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    readers = send_pipe_ends(sock, b"\0")
    os.kill(int(os.environ["RECV"]), signal.SIGCONT)
    assert_closed(readers)
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert status == 0
PY
	assert_success
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: .*(another|more than one) process"
}

@test "descriptors sent by another user's process after an allowed header are refused" {
	bg "$FDPASS" recv s sh -c 'echo accepted'
	run peer <<'PY'
from peer import *
sock = connect("s")
sock.send(header(1, flags=5))
assert sock.recv(8)[:1] != b""
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    readers = send_pipe_ends(sock, b"\0")
    assert_closed(readers)
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert status == 0
PY
	assert_success
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: .*another process"
}

@test "a seqpacket transfer whose rest comes from another user's process is refused" {
	bg "$FDPASS" recv --seqpacket s sh -c 'echo accepted'
	run peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_SEQPACKET)
sock.send(header(1, flags=5))
assert sock.recv(8)[:1] != b""
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    readers = send_pipe_ends(sock, b"\0")
    assert_closed(readers)
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert status == 0
PY
	assert_success
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: .*another process"
}
