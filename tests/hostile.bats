#!/usr/bin/env bats
# Peers that are not to be trusted: other users, and senders that lie,
# overflow, stall or vanish.  Each must be refused without a descriptor
# leaking or reaching COMMAND.

load test_helper

@test "a peer of another user is refused, logged, and the listener waits on" {
	name=$(abstract_name)
	bg "$FDPASS" recv "$name" sh -c 'echo accepted'
	fdpass_as_nobody send -t $WAIT --allow-uid 0 "$name" /dev/null || true
	"$FDPASS" send -t $WAIT "$name" /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "accepted"
	run cat bg.err
	assert_output --regexp "^fdpass: refused peer pid [0-9]+ uid 65534 gid 65534 on $name: peer is uid 65534, not an allowed user\$"
}

@test "--allow-uid admits that user" {
	name=$(abstract_name)
	bg "$FDPASS" recv --allow-uid 65534 "$name" cat
	echo from-nobody >a
	chmod 644 a
	run fdpass_as_nobody send -t $WAIT --allow-uid 0 "$name" a
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "from-nobody"
}

@test "--allow-gid admits that group" {
	name=$(abstract_name)
	bg "$FDPASS" recv --allow-gid 65534 "$name" cat
	run fdpass_as_nobody send -t $WAIT --allow-uid 0 "$name" /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "send to a listener of another user fails, unless --peer-uid names it" {
	name=$(abstract_name)
	bg_as_nobody recv --allow-uid 0 "$name" cat
	run "$FDPASS" send -t $WAIT "$name" /dev/null
	assert_failure 1
	assert_output "fdpass: connect $name: peer is uid 65534, not an allowed user"
	run "$FDPASS" send -t $WAIT --peer-uid 65534 "$name" /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "recv --connect to a sender of another user fails, unless --allow-gid admits it" {
	name=$(abstract_name)
	bg_as_nobody send --listen --allow-uid 0 -t $WAIT "$name" /dev/null
	run "$FDPASS" recv --connect -t $WAIT "$name"
	assert_failure 1
	assert_output "fdpass: connect $name: peer is uid 65534, not an allowed user"
	run "$FDPASS" recv --connect -t $WAIT --allow-gid 65534 "$name"
	assert_success
	assert_line --index 0 "fd 0 char - /dev/null - -"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "send checks the process that takes the transfer, not the one that listened" {
	name=$(abstract_name)
	# Whoever holds the listener serves each connection with recv --stdin.
	serve='
import socket, subprocess
listener = socket.socket(fileno=0)
for _ in range(2):
    conn, _ = listener.accept()
    subprocess.run(["for-nobody/fdpass", "recv", "--stdin", "--allow-uid", "0", "true"],
                   stdin=conn)
    conn.close()
'
	bg_as_nobody recv --allow-uid 0 "$name" /usr/bin/python3 -c "$serve"
	"$FDPASS" send -t $WAIT --allow-uid 65534 --unix-listen L.sock "$name"
	run "$FDPASS" send -t $WAIT --peer-uid 0 L.sock /dev/null
	assert_failure 1
	assert_output --regexp "^fdpass: send to L.sock: the receiving process, pid [0-9]+: peer is uid 65534, not 0\$"
	run "$FDPASS" send -t $WAIT L.sock /dev/null
	assert_failure 1
	assert_output --regexp "^fdpass: send to L.sock: the receiving process, pid [0-9]+: peer is uid 65534, not an allowed user\$"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "recv --connect checks the process that sends, not the one that listened" {
	name=$(abstract_name)
	# Whoever holds the listener sends a transfer on the first connection.
	serve='
import os, socket, struct
conn, _ = socket.socket(fileno=0).accept()
header = b"FDPM" + struct.pack(">BBHIQ", 2, 0, 1, 0, 0)
socket.send_fds(conn, [header], [os.open("/dev/null", os.O_RDONLY)])
conn.recv(1)
'
	bg_as_nobody recv --allow-uid 0 "$name" /usr/bin/python3 -c "$serve"
	"$FDPASS" send -t $WAIT --allow-uid 65534 --unix-listen L.sock "$name"
	run "$FDPASS" recv -t $WAIT --connect L.sock
	assert_failure 3
	assert_output --regexp "^fdpass: receive on L.sock: sending process pid [0-9]+: peer is uid 65534, not an allowed user\$"
}

@test "a receiver at its descriptor limit refuses before any descriptor crosses, and says why" {
	# Room for the 40 descriptors, but not for them and a message's
	# worth (253) besides, which each read needs.
	bg prlimit --nofile=290 "$FDPASS" recv s sh -c 'echo ran'
	run peer <<'PY'
from peer import *
import subprocess
readers, writers = zip(*(os.pipe() for _ in range(40)))
send = subprocess.run([os.environ["FDPASS"], "send", "-t", "10"] +
                      [f"--fd={w}" for w in writers] + ["s"],
                      pass_fds=writers, capture_output=True, text=True)
for w in writers:
    os.close(w)
print(send.returncode, send.stderr.strip())
assert_closed(readers)
PY
	assert_output "1 fdpass: send to s: the receiver refused the transfer: it cannot take 40 descriptors (its limit)
closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no room for 40 more descriptors (RLIMIT_NOFILE)"
	assert_equal "$(cat bg.out)" ""
}

@test "more data than COMMAND can be given is refused at the header, and the sender told" {
	head -c 70000 /dev/zero | tr '\0' x >big
	bg "$FDPASS" recv s sh -c 'echo ran'
	run "$FDPASS" send -t $WAIT --data-file big s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: it cannot take 70000 bytes of data"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: more than 65536 bytes of data for COMMAND"
}

# bats test_tags=valgrind
@test "a plain sender with more descriptors than --count: refused, all closed" {
	bg "$FDPASS" recv --count 1 s sleep 60
	run peer <<'PY'
from peer import *
sock = connect("s")
assert_closed(send_pipe_ends(sock, b"x", 2))
PY
	assert_success
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: more descriptors than expected"
}

# bats test_tags=valgrind
@test "a datagram larger than the receiver's buffer: MSG_TRUNC, its descriptor closed" {
	bg "$FDPASS" recv --dgram s sleep 60
	wait_for_socket s
	run peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
assert_closed(send_pipe_ends(sock, b"x" * 100000))
PY
	assert_success
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: message truncated (MSG_TRUNC)"
}

# bats test_tags=valgrind
@test "a header of an unknown version is refused" {
	bg "$FDPASS" recv s sleep 60
	run peer <<'PY'
from peer import *
send_pipe_end("s", header(1, version=3))
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: unsupported protocol version"
}

@test "a header that asks to wait without asking for an acknowledgement is refused" {
	bg "$FDPASS" recv s sleep 60
	run peer <<'PY'
from peer import *
send_pipe_end("s", header(1, flags=2))
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: bad header"
}

@test "a seqpacket message longer than its header says is refused" {
	bg "$FDPASS" recv --seqpacket s sh -c 'echo ran'
	run peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_SEQPACKET)
r, w = os.pipe()
socket.send_fds(sock, [header(1, data_len=2) + b"hi" + b"more"], [w])
os.close(w)
assert_closed([r])
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: message longer than its header says"
	assert_equal "$(cat bg.out)" ""
}

@test "a datagram longer than its header says is refused" {
	bg "$FDPASS" recv --dgram s sh -c 'echo ran'
	wait_for_socket s
	run peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_DGRAM)
r, w = os.pipe()
socket.send_fds(sock, [header(1) + b"extra"], [w])
os.close(w)
assert_closed([r])
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: message longer than its header says"
}

@test "a header written a byte at a time is still a header" {
	bg "$FDPASS" recv s sh -c 'echo "[$FDPASS_DATA] $(cat)"'
	run peer <<'PY'
from peer import *
sock = connect("s")
r, w = os.pipe()
os.write(w, b"piped")
os.close(w)
h = header(1, data_len=2)
for i in range(len(h) - 1):
    time.sleep(0.01)
    sock.send(h[i:i + 1])
socket.send_fds(sock, [h[-1:]], [r])
os.close(r)
sock.send(b"hi")
PY
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "[hi] piped"
}

@test "descriptors that come before the header is whole are refused, all closed" {
	bg "$FDPASS" recv s sleep 60
	run peer <<'PY'
from peer import *
sock = connect("s")
# The rest of the header never comes: the receiver must not wait for it.
assert_closed(send_pipe_ends(sock, header(1)[:5], 3))
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	assert_equal "$(cat bg.err)" "fdpass: receive on s: descriptors came before the header was whole"
}

@test "a header that promises more descriptors than come is refused" {
	bg "$FDPASS" recv s sleep 60
	run peer <<'PY'
from peer import *
send_pipe_end("s", header(3))
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: fewer descriptors than the header says"
}

@test "names that break the rules are refused" {
	bg "$FDPASS" recv --listen-fds s sleep 60
	run peer <<'PY'
from peer import *
send_pipe_end("s", header(1, names_len=4) + b"a:b\0")
PY
	assert_output "closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: bad descriptor names"
}

@test "a peer that connects and never sends is dropped at --timeout" {
	bg "$FDPASS" recv --timeout 1 s sleep 60
	run peer <<'PY'
from peer import *
sock = connect("s")
assert sock.recv(1) == b"", "fdpass recv did not hang up"
print("dropped")
PY
	assert_output "dropped"
	bg_wait
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.err)" "fdpass: receive on s: Connection timed out"
}

# bats test_tags=valgrind
@test "a peer that disconnects in mid-data is reported, nothing run" {
	bg "$FDPASS" recv s sh -c 'echo ran'
	run peer <<'PY'
from peer import *
sock = connect("s")
readers = send_pipe_ends(sock, header(1, data_len=100) + b"only ten..")
sock.close()
assert_closed(readers)
PY
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: connection closed in mid-transfer"
	assert_equal "$(cat bg.out)" ""
}

@test "a seqpacket peer that hangs up without sending does not count" {
	bg "$FDPASS" recv --seqpacket s sh -c 'echo "ran with $(cat)"'
	peer <<'PY'
from peer import *
connect("s", socket.SOCK_SEQPACKET).close()
PY
	echo data >a
	"$FDPASS" send -t $WAIT --seqpacket s a
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "ran with data"
}

@test "bytes that are not a header are a plain sender's data" {
	bg "$FDPASS" recv s
	peer <<'PY'
from peer import *
sock = connect("s")
socket.send_fds(sock, [b"FDP? not a header"], null_fds(1))
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(sed -n 2p bg.out)" 'data FDP?\snot\sa\sheader'
}

# SENDERS is 10,000 but for the sanitizer build (300), where forking a process
# per sender is slow: what is asserted is the same.
@test "many senders in a row leave --keep-listening's descriptors and children as they were" {
	bg "$FDPASS" recv --keep-listening s
	peer <<'PY'
from peer import *
sock = connect("s")
socket.send_fds(sock, [b"x\n"], null_fds(1))
PY
	wait_until test -s bg.out
	before=$(count_fds "$BG")
	run peer <<'PY'
from peer import *
fds = null_fds(3)
for i in range(int(os.environ.get("SENDERS", "10000"))):
    sock = connect("s")
    # One in ten sends a header for one fd with three, one sends nothing.
    if i % 10 == 0:
        socket.send_fds(sock, [header(1)], fds)
    elif i % 10 != 1:
        socket.send_fds(sock, [b"x\n"], fds[:1])
    sock.close()
# What is printed: a record for each that sends "x", one a line.
print(sum(1 for i in range(int(os.environ.get("SENDERS", "10000")))
          if i % 10 > 1))
PY
	assert_success
	# The first sender's record too.
	expected=$((output + 1))
	# Children print as they finish, in any order: count the records.
	records() {
		grep -cx 'fd 0 char - /dev/null - -' bg.out
	}
	all_printed() {
		[ "$(records)" = "$expected" ] &&
			[ -z "$(cat /proc/"$BG"/task/*/children)" ]
	}
	WAIT=$((WAIT * 30)) wait_until all_printed
	assert_equal "$(records)" "$expected"
	assert_equal "$(cat /proc/"$BG"/task/*/children)" ""
	assert_equal "$(count_fds "$BG")" "$before"
	kill -0 "$BG"
}

@test "a plain sender's 300 descriptors with data: the data stays exact" {
	bg "$FDPASS" recv --count 300 s sh -c 'printf %s "$FDPASS_DATA"'
	peer <<'PY'
from peer import *
sock = connect("s")
fds = null_fds(300)
socket.send_fds(sock, [b"twenty-odd bytes of data here"], fds[:253])
socket.send_fds(sock, [b"\0"], fds[253:])
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "twenty-odd bytes of data here"
}

@test "an empty seqpacket message with descriptors is a message, not the end" {
	bg "$FDPASS" recv --seqpacket --count 3 s sh -c 'ls /proc/$$/fd'
	peer <<'PY'
from peer import *
socket.send_fds(connect("s", socket.SOCK_SEQPACKET), [b""], null_fds(3))
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	# 0 (the first), 1, 2, then 3 and 4.
	assert_equal "$(sort -n bg.out | tr '\n' ' ')" "0 1 2 3 4 "
}

@test "a datagram that asks for a reply gets its descriptors handed on anyway" {
	bg "$FDPASS" recv --dgram s cat
	wait_for_socket s
	peer <<'PY'
from peer import *
fd = os.open("a", os.O_RDWR | os.O_CREAT)
os.write(fd, b"dgram\n")
os.lseek(fd, 0, 0)
socket.send_fds(connect("s", socket.SOCK_DGRAM), [header(1, flags=3)], [fd])
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "dgram"
}

@test "recv --stdin checks --peer-uid" {
	run peer <<'PY'
from peer import *
import subprocess
ours, theirs = socket.socketpair()
recv = subprocess.run([os.environ["FDPASS"], "recv", "--stdin", "--peer-uid", "4242", "cat"],
                      stdin=ours, capture_output=True, text=True)
print(recv.returncode, recv.stderr.strip())
PY
	assert_output "1 fdpass: --stdin: peer is uid $(id -u), not 4242"
}

@test "a plain message from a process of another user is refused, though the connection was allowed" {
	bg "$FDPASS" recv s sleep 60
	run peer <<'PY'
from peer import *
sock = connect("s")
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
	run cat bg.err
	assert_output --regexp "^fdpass: receive on s: sending process pid [0-9]+: peer is uid 65534"
}

# bats test_tags=valgrind
@test "descriptors that come with names asked for first are refused and closed" {
	bg "$FDPASS" recv --at 3=log s sleep 60
	run peer <<'PY'
from peer import *
sock = connect("s")
print(propose(sock, 1, 4))
# The names' first byte alone, as asked; then the rest with a descriptor.
sock.sendall(b"l")
readers = send_pipe_ends(sock, b"og\0")
print(sock.recv(8)[:6])
assert_closed(readers)
PY
	assert_output "b'FDPR\x04\x02'
b'FDPR\x02\x03'
closed"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: descriptors came with the names"
}

@test "the names a receiver asks for first go only to a process the rules allow" {
	bg_peer namer.py <<'PY'
from peer import *
server = listen("s")
conn, _ = server.accept()
conn.recv(20)
pid = os.fork()
if pid == 0:
    # Another user's process answers: READY, names first.
    os.setgid(65534)
    os.setuid(65534)
    conn.sendall(b"FDPR\x04\x02\x00\x00")
    conn.settimeout(5)
    print(repr(conn.recv(100)), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
PY
	wait_for_socket s
	run "$FDPASS" send -t 3 --name secret s /dev/null
	assert_failure 1
	assert_output --regexp "^fdpass: send to s: the receiving process, pid [0-9]+: peer is uid 65534, not an allowed user\$"
	bg_wait
	assert_equal "$(cat bg.out)" "b''"
}

@test "recv -k --dgram --count takes each transfer in one datagram: a short one stalls nobody" {
	bg "$FDPASS" recv -k --dgram --count 2 --ready-fd 4 s 4>ready
	wait_until test -s ready
	peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_DGRAM)
socket.send_fds(sock, [b"\0"], null_fds(1))
PY
	echo a >a
	echo b >b
	run "$FDPASS" send --dgram -t "$WAIT" s a b
	assert_success
	wait_until grep -q "$PWD/b" bg.out
	run cat bg.err
	assert_output --partial "expected 2 descriptors, got 1"
}

@test "recv --dgram --count refuses descriptors that came from more than one process" {
	bg "$FDPASS" recv --dgram --count 2 --ready-fd 4 s 4>ready
	wait_until test -s ready
	for i in 1 2; do
		peer <<'PY'
from peer import *
sock = connect("s", socket.SOCK_DGRAM)
socket.send_fds(sock, [b"\0"], null_fds(1))
PY
	done
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: the descriptors came from more than one process"
	assert_equal "$(cat bg.out)" ""
}

@test "recv --stdin --count refuses a second process after a message queued before it asked" {
	run peer "$FDPASS" <<'PY'
from peer import *
import sys
ours, theirs = socket.socketpair()
# Queued before recv asks for credentials: it names nobody.
socket.send_fds(ours, [b"\0"], null_fds(1))
recv = os.fork()
if recv == 0:
    os.dup2(theirs.fileno(), 0)
    os.execv(sys.argv[1], ["fdpass", "recv", "--stdin", "--count", "2",
                           "-t", str(WAIT)])
theirs.close()
# recv asks for credentials before it reads: once it has read the first
# message (nothing left unread, SIOCOUTQ), the next comes named.
import fcntl, termios
unread = struct.pack("i", 1)
while struct.unpack("i", fcntl.ioctl(ours, termios.TIOCOUTQ, unread))[0]:
    time.sleep(0.01)
other = os.fork()
if other == 0:
    socket.send_fds(ours, [b"\0"], null_fds(1))
    os._exit(0)
os.waitpid(other, 0)
_, status = os.waitpid(recv, 0)
print("status", os.waitstatus_to_exitcode(status))
PY
	assert_line "status 3"
	assert_line "fdpass: receive on stdin: the descriptors came from more than one process"
}
