#!/usr/bin/env bats
# How recv hands descriptors on: conventions, names, the environment, and
# what the sender hears back.

load test_helper

@test "--at N=NAME places descriptors by name, the rest in order" {
	echo one >a
	echo two >b
	echo three >c
	bg "$FDPASS" recv --at 5=second,3,4 s sh -c 'cat <&3; cat <&4; cat <&5'
	"$FDPASS" send -t $WAIT -n first -n second -n third s a b c
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "one
three
two"
}

@test "--at with a name nobody sent is refused" {
	bg "$FDPASS" recv --at 3=missing s true
	run "$FDPASS" send -t $WAIT -n present s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: they are not what its command takes (--at, --inetd, --ucspi)"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no descriptor named 'missing' for --at 3"
}

@test "--inetd puts one socket on both stdin and stdout" {
	bg "$FDPASS" recv --inetd s sh -c 'read -r line; echo "got $line"'
	run peer <<'PY'
from peer import *
mine, theirs = socket.socketpair()
sock = connect("s")
socket.send_fds(sock, [b"x"], [theirs.fileno()])
theirs.close()
mine.sendall(b"hello\n")
print(mine.makefile().readline().strip())
PY
	assert_output "got hello"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--ucspi puts the descriptor on 6 and 7" {
	# No pipeline or per-command redirection in sh: either has it hold
	# descriptors of its own while ls looks.
	bg "$FDPASS" recv --ucspi s sh -c 'exec >&7; ls /proc/$$/fd'
	"$FDPASS" send -t $WAIT --write --create s out
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(sort -n out | tr '\n' ' ')" "0 1 2 6 7 "
}

@test "--ucspi describes a TCP connection on 6 and 7 as tcpclient does" {
	UNIXREMOTEPID=1 bg "$FDPASS" recv --ucspi s sh -c 'echo "$PROTO $TCPLOCALIP $TCPLOCALPORT $TCPREMOTEIP $TCPREMOTEPORT ${UNIXREMOTEPID-unset}"'
	wait_for_socket s
	run peer <<'PY'
from peer import *
import subprocess
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen()
port = ls.getsockname()[1]
subprocess.run([os.environ["FDPASS"], "send", "-t", "10", "--tcp-connect", f"127.0.0.1:{port}", "s"], check=True)
conn, (ip, their_port) = ls.accept()
print(f"TCP 127.0.0.1 {their_port} 127.0.0.1 {port} unset")
PY
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "$output"
}

@test "--ucspi describes an IPv6 connection as ucspi-tcp6 does" {
	TCPREMOTEIP=stale bg "$FDPASS" recv --ucspi s sh -c 'echo "$PROTO $TCP6LOCALIP $TCP6LOCALPORT $TCP6REMOTEIP $TCP6REMOTEPORT ${TCPREMOTEIP-unset}"'
	wait_for_socket s
	run peer <<'PY'
from peer import *
import subprocess
ls = socket.socket(socket.AF_INET6)
ls.bind(("::1", 0))
ls.listen()
port = ls.getsockname()[1]
subprocess.run([os.environ["FDPASS"], "send", "-t", "10", "--tcp-connect", f"[::1]:{port}", "s"], check=True)
conn, (ip, their_port, _, _) = ls.accept()
print(f"TCP6 ::1 {their_port} ::1 {port} unset")
PY
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "$output"
}

@test "--ucspi gives the peer of a unix connection, not the fdpass sender" {
	bg "$FDPASS" recv --ucspi s sh -c 'echo "$PROTO $UNIXREMOTEPID $UNIXREMOTEEUID $UNIXREMOTEEGID $UNIXLOCALPATH ${TCPREMOTEIP-unset}"'
	wait_for_socket s
	# This python holds the connection's other end; the fdpass that sends
	# the accepted end is its child.
	run peer <<'PY'
from peer import *
import subprocess
path = os.path.abspath("conn.sock")
ls = socket.socket(socket.AF_UNIX)
ls.bind(path)
ls.listen()
ours = connect(path)
theirs, _ = ls.accept()
subprocess.run([os.environ["FDPASS"], "send", "-t", "10", "--fd", str(theirs.fileno()), "s"],
               pass_fds=[theirs.fileno()], check=True)
print(f"UNIX {os.getpid()} {os.geteuid()} {os.getegid()} {path} unset")
PY
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "$output"
}

@test "--ucspi with a descriptor that is no connection sets no PROTO" {
	PROTO=TCP TCPREMOTEIP=stale bg "$FDPASS" recv --ucspi s sh -c 'echo "[${PROTO-unset} ${UNIXREMOTEPID-unset} ${TCPREMOTEIP-unset}]"'
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "[unset unset unset]"
}

@test "--inetd with three descriptors is refused" {
	bg "$FDPASS" recv --inetd s true
	run "$FDPASS" send -t $WAIT s /dev/null /dev/null /dev/null
	assert_failure 1
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: --inetd takes 1 or 2 descriptors, not 3"
}

@test "--blocking clears O_NONBLOCK; without it the flag comes through" {
	run peer <<'PY'
from peer import *
import subprocess
for opt in ([], ["--blocking"]):
    recv = subprocess.Popen([os.environ["FDPASS"], "recv", *opt, "s", "sh", "-c",
                             "grep ^flags: /proc/self/fdinfo/0"],
                            stdout=subprocess.PIPE, text=True)
    r, w = os.pipe()
    os.set_blocking(r, False)
    socket.send_fds(connect("s"), [b"x"], [r])
    os.close(r)
    os.close(w)
    flags = int(recv.communicate()[0].split()[1], 8)
    print("nonblock" if flags & os.O_NONBLOCK else "blocking")
PY
	assert_output "nonblock
blocking"
}

@test "--wait makes send exit with the command's status" {
	bg "$FDPASS" recv s sh -c 'cat >/dev/null; exit 7'
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_failure 7
	bg_wait
	assert_equal "$BG_STATUS" 7
}

@test "--wait returns once the exit is reported, though a child of the command holds the connection" {
	# inetd's way: the connection is recv --stdin's standard input and
	# output, and the command leaves a child holding them.
	bg_peer inetd.py <<'PY'
import os, socket, subprocess
l = socket.socket(socket.AF_UNIX)
l.bind("s")
l.listen(1)
c, _ = l.accept()
subprocess.Popen([os.environ["FDPASS"], "recv", "--stdin", "sh", "-c",
                  "sleep 30 & echo $! >sleep.pid; exit 3"], stdin=c, stdout=c)
PY
	wait_for_socket s
	run timeout 5 "$FDPASS" send --wait s /dev/null
	kill "$(cat sleep.pid)"
	assert_failure 3
}

@test "--wait reports a command killed by a signal as 128+N" {
	bg "$FDPASS" recv s sh -c 'kill -TERM $$'
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_failure 143
}

@test "--wait with --listen-fds: LISTEN_PID is the command's own pid" {
	bg "$FDPASS" recv --listen-fds s sh -c '[ "$LISTEN_PID" = $$ ]'
	run "$FDPASS" send -t $WAIT --wait s /dev/null
	assert_success
}

@test "--listen-fds sets LISTEN_PIDFDID to the inode of the command's own pidfd" {
	bg "$FDPASS" recv --listen-fds s /usr/bin/python3 -c 'import os; print(os.environ.get("LISTEN_PIDFDID", "unset"), os.fstat(os.pidfd_open(os.getpid())).st_ino)'
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	read -r id inode <bg.out
	assert_equal "$id" "$inode"
}

@test "a stale LISTEN_PIDFDID is removed when descriptors go on 0" {
	LISTEN_PIDFDID=1 bg "$FDPASS" recv s sh -c 'echo "[${LISTEN_PIDFDID-unset}]"'
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$(cat bg.out)" "[unset]"
}

@test "a stale LISTEN_PIDFDID is removed with --at" {
	LISTEN_PIDFDID=1 bg "$FDPASS" recv --at 5 s sh -c 'echo "[${LISTEN_PIDFDID-unset}]"'
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$(cat bg.out)" "[unset]"
}

@test "send returns only after the command runs with the descriptors" {
	bg "$FDPASS" recv s sleep 30
	"$FDPASS" send -t $WAIT s /dev/null
	# By the time send is back, the receiver has become sleep.
	assert_equal "$(cat /proc/"$BG"/comm)" "sleep"
}

@test "a receiver that dies before taking the descriptors fails the send" {
	run peer <<'PY'
from peer import *
import subprocess
sock = listen("s")
send = subprocess.Popen([os.environ["FDPASS"], "send", "s", "/dev/null"],
                        stderr=subprocess.PIPE, text=True)
conn, _ = sock.accept()
conn.recv(100)
conn.close()
print(send.wait(), send.stderr.read().strip())
PY
	assert_output "1 fdpass: send to s: the receiver hung up without taking the descriptors"
}

@test "--raw sends a plain message that Python's recv_fds reads" {
	run peer <<'PY'
from peer import *
import subprocess
sock = listen("s")
send = subprocess.Popen([os.environ["FDPASS"], "send", "--raw", "--data", "hi", "s", "/etc/hostname"])
conn, _ = sock.accept()
data, fds, flags, _ = socket.recv_fds(conn, 100, 4)
print(data.decode(), len(fds), os.read(fds[0], 100) == open("/etc/hostname", "rb").read())
print(send.wait())
PY
	assert_output "hi 1 True
0"
}

@test "--peer-uid on recv refuses another user" {
	name=$(abstract_name)
	bg "$FDPASS" recv --allow-uid 65534 --peer-uid 0 "$name" sh -c 'echo taken'
	fdpass_as_nobody send -t $WAIT --allow-uid 0 "$name" /dev/null || true
	"$FDPASS" send -t $WAIT "$name" /dev/null
	bg_wait
	assert_equal "$(cat bg.out)" "taken"
	run cat bg.err
	assert_output --partial "uid 65534 gid 65534 on $name: peer is uid 65534, not 0"
}

@test "--peer-pid on send checks who listens" {
	bg "$FDPASS" recv s cat
	wait_for_socket s
	run "$FDPASS" send --peer-pid 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: connect s: peer is pid $BG, not 1"
	"$FDPASS" send --peer-pid "$BG" s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--peer-pid refuses a process that took the pid over after fdpass started" {
	[ -w /proc/sys/kernel/ns_last_pid ] || skip "cannot choose the next pid: ns_last_pid is not writable"
	sleep 30 3>&- &
	named=$!
	BG_PIDS+=("$named")
	bg "$FDPASS" recv --peer-pid "$named" s true
	wait_for_socket s
	kill "$named"
	wait "$named" || true
	# Hand the pid to a new sender, as pid reuse would.
	run peer "$named" <<'PY'
from peer import *
import subprocess, sys
pid = int(sys.argv[1])
for attempt in range(100):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    child = os.fork()
    if child == 0:
        if os.getpid() == pid:
            os.dup2(os.open("send.err", os.O_WRONLY | os.O_CREAT), 2)
            os.execv(os.environ["FDPASS"], ["fdpass", "send", "-t", "5", "s", "/dev/null"])
        os._exit(100)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 100:
        print(os.waitstatus_to_exitcode(status))
        break
PY
	assert_output 1
	run cat bg.err
	assert_output "fdpass: refused peer pid $named uid $(id -u) gid $(id -g) on s: peer pid $named is not the process --peer-pid named, which is gone"
}

@test "--peer-pid of a process that does not exist is an error" {
	true 3>&- &
	wait $!
	run "$FDPASS" recv -t 1 --peer-pid $! s true
	assert_failure 1
	assert_output "fdpass: --peer-pid $!: No such process"
}

@test "a datagram's sender, checked, replaces stale UCSPI variables" {
	bg env PROTO=TCP UNIXREMOTEPID=1 "$FDPASS" recv --dgram s sh -c 'echo "[${PROTO-unset}${UNIXREMOTEPID-unset}]"'
	wait_for_socket s
	"$FDPASS" send --dgram s /dev/null
	bg_wait
	run cat bg.out
	assert_output --regexp '^\[UNIX[0-9]+\]$'
	refute_output "[UNIX1]"
}

@test "--at by name asks a sender of 1.0.0 for the names first, and takes them after" {
	echo old >f
	bg "$FDPASS" recv --at 3=log s sh -c 'echo new >&3'
	run peer <<'PY'
from peer import *
# As fdpass 1.0.0 sends: the header alone, then whatever the answer's
# status, the descriptor on a NUL byte with the names after it.
sock = connect("s")
ready = propose(sock, 1, 4)
socket.send_fds(sock, [b"\0log\0"], [os.open("f", os.O_WRONLY | os.O_TRUNC)])
print(ready, sock.recv(8)[:6])
PY
	assert_output "b'FDPR\x04\x02' b'FDPR\x01\x00'"
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat f)" "new"
}

# bats test_tags=valgrind
@test "--at by name refuses a sender of 1.0.0 once its names come after READY" {
	bg "$FDPASS" recv --at 3=log s true
	run peer <<'PY'
from peer import *
sock = connect("s")
ready = propose(sock, 1, 6)
socket.send_fds(sock, [b"\0other\0"], null_fds(1))
print(ready, sock.recv(8)[:6])
PY
	assert_output "b'FDPR\x04\x02' b'FDPR\x02\x03'"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no descriptor named 'log' for --at 3"
}

@test "send gives a receiver of 1.0.0 its names after the descriptors" {
	bg_peer receiver.py <<'PY'
from peer import *
# As fdpass 1.0.0 receives: READY with status 0, then descriptors and names.
conn, _ = listen("s").accept()
head = conn.recv(20)
conn.sendmsg([b"FDPR\x04\0\0\0"], [credentials()])
rest, fds, _, _ = socket.recv_fds(conn, 100, 1)
conn.sendall(b"FDPR\x01\0\0\0")
print(head[5], rest, len(fds))
PY
	"$FDPASS" send -t $WAIT --name log s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "5 b'\x00log\x00' 1"
}

# bats test_tags=valgrind
@test "--at by name on a seqpacket socket: the names first, then the rest" {
	echo old >f
	bg "$FDPASS" recv --seqpacket --at 3=log s sh -c 'echo new >&3'
	"$FDPASS" send -t $WAIT --seqpacket --write --truncate --name log -d hi s f
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat f)" "new"
}

@test "--at by name on a seqpacket socket refuses before the file is truncated" {
	echo precious >f
	bg "$FDPASS" recv --seqpacket --at 3=log s true
	run "$FDPASS" send -t $WAIT --seqpacket --write --truncate --name other s f
	assert_failure 1
	assert_output --partial "they are not what its command takes"
	assert_equal "$(cat f)" "precious"
	bg_wait
	assert_equal "$BG_STATUS" 3
}

@test "--at and --count count a header's descriptors that came with it once" {
	bg "$FDPASS" recv --ready-fd 4 --count 1 --at 3 s sh -c 'readlink /proc/self/fd/3' 4>ready
	wait_until test -s ready
	peer <<'PY'
from peer import *
sock = connect("s")
fd = os.open("/dev/null", os.O_RDONLY)
# No WIRE_PROVE: the header and its descriptor in one message.
sock.sendmsg([header(1)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
    struct.pack("i", fd)), credentials()])
sock.close()
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" /dev/null
}
