#!/usr/bin/env bats
# Descriptors a peer sends that make their last close(2) wait: a TCP
# socket with SO_LINGER and unsent data.  Whatever recv drops of them, a
# refused peer's included, it drops without waiting, so that serving and
# --timeout go on as if they were not there; so does send, of what
# HAProxy sent it and of the connections a peer queued some on.

load test_helper

# bg_recv ARG...: recv ARG... in the background as bg starts it, its
# --ready-fd on 4 writing to ready; returns once it listens.
bg_recv() {
	bg "$FDPASS" recv --ready-fd 4 "$@" 4>ready
	wait_until test -s ready
}

# lingerer_as_nobody NAME [COUNT]: as user nobody, in the background, sends
# a lingering TCP socket to the abstract socket NAME in a plain message
# (COUNT copies of it, one by default) and keeps the far end open for
# 60 s.  Meanwhile the listener, $BG, is stopped, so that the message is
# queued before it could refuse the connection, and the queued message
# holds the socket's last reference.
lingerer_as_nobody() {
	# Python would open a script by its absolute path, which nobody may
	# not search: it reads peer.py and the script on standard input.
	cat "$BATS_TEST_DIRNAME/peer.py" - >lingerer.py <<'PY'
import sys
sock = connect(sys.argv[1])
far = send_lingering(sock, [b"\0"], int(sys.argv[2]))
say_sent_and_stay()
PY
	kill -STOP "$BG"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 - "$1" "${2:-1}" <lingerer.py \
		>lingerer.out 2>lingerer.err 3>&- &
	BG_PIDS+=($!)
	wait_until grep -q sent lingerer.out
	kill -CONT "$BG"
}

# sent_in_background FILE ARG... <<'PY' ... PY: runs the Python script on
# standard input, kept in FILE, with ARG... and peer.py to import, in the
# background; returns once it printed "sent", its output in FILE's stem
# .out and .err.
sent_in_background() {
	local file=$1
	shift
	cat >"$file"
	PYTHONPATH="$BATS_TEST_DIRNAME" /usr/bin/python3 "$file" "$@" \
		>"${file%.py}.out" 2>"${file%.py}.err" 3>&- &
	BG_PIDS+=($!)
	wait_until grep -q sent "${file%.py}.out"
}

# resume_bg: continues $BG, which is stopped, and waits for it, with
# SECONDS counting from the continue.
resume_bg() {
	SECONDS=0
	kill -CONT "$BG"
	bg_wait
}

# send_from_haproxy_in_time: send -t 3 --from-haproxy from admin.sock to s,
# once s is there; fails the test unless it ends within the 3 s.
send_from_haproxy_in_time() {
	wait_for_socket s
	SECONDS=0
	run "$FDPASS" send -t 3 --from-haproxy admin.sock s
	assert [ "$SECONDS" -lt 3 ]
}

@test "a refused peer's lingering socket does not stall recv -k for the next sender" {
	name=$(abstract_name)
	bg_recv -k "$name"
	lingerer_as_nobody "$name"
	wait_until grep -q "refused peer pid" bg.err
	run "$FDPASS" send -t 3 "$name" /dev/null
	assert_success
	assert_output ""
	wait_until grep -q /dev/null bg.out
}

@test "recv --once -t 3 ends on time after a refused peer's lingering socket" {
	name=$(abstract_name)
	SECONDS=0
	bg_recv -t 3 "$name"
	lingerer_as_nobody "$name"
	bg_wait
	assert [ "$SECONDS" -lt 8 ]
	assert_equal "$BG_STATUS" 1
	run cat bg.err
	assert_output --partial "fdpass: listen $name: no sender came within --timeout"
}

@test "recv --once ends at once after refusing more lingering sockets than --count" {
	name=$(abstract_name)
	SECONDS=0
	bg_recv -t 3 --allow-uid 65534 --count 2 "$name"
	lingerer_as_nobody "$name" 3
	bg_wait
	assert [ "$SECONDS" -lt 3 ]
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on $name: more descriptors than expected"
}

@test "recv --once -t 3 ends on time holding a lingering socket when time runs out" {
	name=$(abstract_name)
	SECONDS=0
	bg_recv -t 3 --allow-uid 65534 --count 2 "$name"
	lingerer_as_nobody "$name"
	bg_wait
	assert [ "$SECONDS" -lt 8 ]
	run cat bg.err
	assert_output --partial "fdpass: receive on $name: "
}

@test "send --from-haproxy drops a lingering socket HAProxy sent without waiting on it" {
	bg_peer stats.py <<'PY'
from peer import *
server = listen("admin.sock")
conn, _ = server.accept()
conn.recv(100)
end, far = lingering_socket()
# One socket announced, two sent: send refuses them both.
conn.sendall(struct.pack("=i", 1))
socket.send_fds(conn, [bytes(12)], [end.fileno(), end.fileno()])
end.close()
time.sleep(60)
PY
	wait_for_socket admin.sock
	SECONDS=0
	run "$FDPASS" send -t 3 --from-haproxy admin.sock s
	assert [ "$SECONDS" -lt 3 ]
	assert_failure 1
	assert_output "fdpass: --from-haproxy admin.sock: HAProxy sent more sockets than it announced"
}

@test "recv --dgram drops a lingering socket in a datagram too large for it without waiting" {
	name=$(abstract_name)
	SECONDS=0
	bg_recv --dgram -t 3 "$name"
	recv=$BG
	kill -STOP "$recv"
	sent_in_background big.py "$name" <<'PY'
from peer import *
import sys
sock = connect(sys.argv[1], socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
far = send_lingering(sock, [bytes(100000)])
say_sent_and_stay()
PY
	kill -CONT "$recv"
	bg_wait
	assert [ "$SECONDS" -lt 8 ]
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on $name: message truncated (MSG_TRUNC)"
}

@test "send -t 2 ends on time though the receiver's answer brings a lingering socket" {
	bg_peer answerer.py <<'PY'
from peer import *
end, far = lingering_socket()
conn = take_offered("s")
socket.send_fds(conn, [b"FDPR\x01\x00\x00\x00"], [end.fileno()])
end.close()
time.sleep(60)
PY
	wait_for_socket s
	SECONDS=0
	run timeout 20 "$FDPASS" send -t 2 s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: no reply from the receiver within 2 s"
	[ "$SECONDS" -lt 10 ]
}

@test "send --from-haproxy ends on time holding the last copy of a lingering listener" {
	bg_peer peers.py <<'PY'
from peer import *
stats, receiver = listen("admin.sock"), listen("s")
end, far = lingering_socket()
conn, _ = stats.accept()
conn.recv(100)
# HAProxy hands over its one listener, then closes it.
conn.sendall(struct.pack("=i", 1))
socket.send_fds(conn, [bytes(6)], [end.fileno()])
end.close()
cli, _ = stats.accept()
cli.recv(100)
cli.sendall(b"# socket lvl processes\n")
cli.close()
# The receiver closes its copy before it answers: send holds the last.
conn = take_offered_from(receiver)
conn.sendall(b"FDPR\x01\0\0\0")
conn.close()
time.sleep(60)
PY
	send_from_haproxy_in_time
	assert_success
	assert_output ""
}

@test "send --from-haproxy ends on time though HAProxy queued a lingering socket past its answer" {
	bg_peer peers.py <<'PY'
from peer import *
stats, receiver = listen("admin.sock"), listen("s")
end, far = lingering_socket()
r, w = os.pipe()
conn, _ = stats.accept()
conn.recv(100)
# Both are queued before send reads either: the second stays.
stopped(conn, lambda: (
    conn.sendall(struct.pack("=i", 1)),
    socket.send_fds(conn, [bytes(6)], [r]),
    socket.send_fds(conn, [b"x"], [end.fileno()])))
end.close()
conn = take_offered_from(receiver)
conn.sendall(b"FDPR\x01\0\0\0")
conn.close()
time.sleep(60)
PY
	send_from_haproxy_in_time
	assert_success
	assert_output ""
}

@test "send --wait ends on time though the receiver queued a lingering socket after the exit status" {
	bg_peer answerer.py <<'PY'
from peer import *
end, far = lingering_socket()
conn = take_offered("s")
conn.sendall(b"FDPR\x01\0\0\0")
# Queued before send reads the status, then left on the connection.
stopped(conn, lambda: (
    conn.sendall(b"FDPR\x03\0\0\0"),
    socket.send_fds(conn, [b"x"], [end.fileno()])))
end.close()
time.sleep(60)
PY
	wait_for_socket s
	SECONDS=0
	run "$FDPASS" send -t 3 --wait s /dev/null
	assert [ "$SECONDS" -lt 3 ]
	assert_success
	assert_output ""
}

@test "send --listen passes over a peer that queued a lingering socket and hung up, on time" {
	bg "$FDPASS" send -t 3 --listen s /dev/null
	wait_for_socket s
	# Stopped, send accepts only once the peer has queued it and gone.
	kill -STOP "$BG"
	sent_in_background hangup.py <<'PY'
from peer import *
sock = connect("s")
far = send_lingering(sock)
sock.close()
say_sent_and_stay()
PY
	resume_bg
	assert [ "$SECONDS" -lt 8 ]
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.err)" "fdpass: listen s: no sender came within --timeout"
}

@test "send --stdout exits at once though its peer queued a lingering socket on standard output" {
	run peer "$FDPASS" <<'PY'
from peer import *
import subprocess, sys
end, far = lingering_socket()
ours, theirs = socket.socketpair()
socket.send_fds(ours, [b"x"], [end.fileno()])
end.close()
# send starts once it holds the only copy of theirs: its close would be
# the last.
send = subprocess.Popen(["sh", "-c", 'read -r go && exec "$0" send -t 3 '
                         '--stdout /dev/null', sys.argv[1]],
                        stdin=subprocess.PIPE, stdout=theirs)
theirs.close()
start = time.monotonic()
send.stdin.write(b"go\n")
send.stdin.close()
socket.recv_fds(ours, 100, 1)
print("status", send.wait(), "in time", time.monotonic() - start < 3)
PY
	assert_success
	assert_output "status 0 in time True"
}

@test "recv refuses at start a descriptor limit too low for any message" {
	run bash -c 'ulimit -n 64 && exec "$FDPASS" recv -k --dgram -t 1 s'
	assert_failure 1
	assert_output "fdpass: s: too low a descriptor limit to receive, which needs 269 free (see ulimit -n)"
	[ ! -e s ]
}

@test "recv --dgram takes no datagram it has no number for each descriptor of" {
	bg bash -c 'ulimit -n 340 && exec "$FDPASS" recv --dgram --count 100 -t 5 s'
	wait_for_socket s
	# 90 held leave fewer than 253 of the 340 numbers, whatever few recv
	# inherited: the next datagram could bring 253, and the kernel would
	# close in recv those it has no number for.
	peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_DGRAM)
null = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(sock, [b"x"], [null] * 90)
socket.send_fds(sock, [b"x"], [null])
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no room for another message's descriptors (RLIMIT_NOFILE)"
}

@test "recv runs no COMMAND that would wait on a refused peer's lingering socket" {
	name=$(abstract_name)
	# As a user of its own with one process allowed, recv can start no
	# process to close what it refuses, and keeps it: an exec would close
	# it, and wait.
	mkdir -m 755 for-user
	cp "$FDPASS" for-user/fdpass
	bg prlimit --nproc=1:1 setpriv --reuid=65533 --regid=65533 \
		--clear-groups for-user/fdpass recv --ready-fd 4 "$name" true 4>ready
	wait_until test -s ready
	lingerer_as_nobody "$name"
	wait_until grep -q "refused peer pid" bg.err
	SECONDS=0
	run setpriv --reuid=65533 --regid=65533 --clear-groups \
		for-user/fdpass send -t 5 "$name" /dev/null
	assert_failure
	bg_wait
	assert [ "$SECONDS" -lt 5 ]
	assert_equal "$BG_STATUS" 1
	run cat bg.err
	assert_line "fdpass: no process to close what refused senders sent; not running true: Resource temporarily unavailable"
}

@test "recv as a subreaper leaves its COMMAND no child it did not start" {
	name=$(abstract_name)
	# As PID 1 of a namespace or a subreaper, recv is the parent of the
	# process it starts to close what it refuses: it reaps it before the
	# exec, and the command finds no child it did not start.
	bg /usr/bin/python3 -c '
import ctypes, os, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
os.execv(sys.argv[1], sys.argv[1:])' "$FDPASS" recv --ready-fd 4 "$name" \
		sh -c 'read -r c </proc/$$/task/$$/children; echo "children: $c"' 4>ready
	wait_until test -s ready
	lingerer_as_nobody "$name"
	wait_until grep -q "refused peer pid" bg.err
	run "$FDPASS" send -t 5 "$name" /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "children: "
}

@test "an urgent byte neither holds recv past --timeout nor drops what it brought in recv" {
	name=$(abstract_name)
	SECONDS=0
	bg_recv -t 3 "$name"
	# A read passes over urgent data unless it is read in line: poll
	# calls the socket readable, the read waits, and the descriptors the
	# byte brought are closed in recv.
	sent_in_background oob.py "$name" <<'PY'
from peer import *
import sys
sock = connect(sys.argv[1])
far = send_lingering(sock, flags=socket.MSG_OOB)
say_sent_and_stay()
PY
	bg_wait
	assert [ "$SECONDS" -lt 8 ]
}

@test "recv runs no COMMAND on a connection that brought more after the transfer" {
	name=$(abstract_name)
	bg_recv -t 5 "$name" sh -c 'echo ran'
	# The exec would close the connection, and with it the lingering
	# socket that came after the transfer: the command would start late.
	kill -STOP "$BG"
	sent_in_background extra.py "$name" <<'PY'
from peer import *
import sys
sock = connect(sys.argv[1])
null = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(sock, [header(1)], [null])
far = send_lingering(sock, [b"\0"])
say_sent_and_stay()
PY
	resume_bg
	assert [ "$SECONDS" -lt 5 ]
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on $name: more came after the transfer"
	assert_equal "$(cat bg.out)" ""
}

@test "recv takes no message on a stream it has no number for each descriptor of" {
	# 40 from an allowed sender take recv below 253 free numbers: the
	# next message could bring that many, and the kernel would close in
	# recv those it has no number for.
	bg bash -c 'ulimit -n 290 && exec "$FDPASS" recv --count 300 -t 5 s'
	wait_for_socket s
	peer <<'PY'
from peer import *
sock = connect("s")
null = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(sock, [b"x"], [null] * 40)
time.sleep(0.2)
socket.send_fds(sock, [b"x"], [null])
time.sleep(1)
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no room for another message's descriptors (RLIMIT_NOFILE)"
}

@test "recv runs no COMMAND on a seqpacket connection that brought an empty message after the transfer" {
	name=$(abstract_name)
	bg_recv --seqpacket -t 5 "$name" sh -c 'echo ran'
	kill -STOP "$BG"
	sent_in_background empty.py "$name" <<'PY'
from peer import *
import sys
sock = connect(sys.argv[1], socket.SOCK_SEQPACKET)
null = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(sock, [b"x"], [null])
far = send_lingering(sock, [])
say_sent_and_stay()
PY
	resume_bg
	assert [ "$SECONDS" -lt 5 ]
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
}
