#!/usr/bin/env bats
# fdpass against the real programs it must slot between: python3-systemd's
# listen_fds, systemd's fd store protocol, OpenSSH's ProxyUseFdpass,
# netcat-openbsd's -F, and Python's socket.send_fds/recv_fds.

load test_helper

# bats test_tags=peer-program
@test "python3-systemd's listen_fds_with_names sees what --listen-fds hands on" {
	need_package python3-systemd /usr/bin/python3 -c 'import systemd.daemon'
	bg "$FDPASS" recv --listen-fds s /usr/bin/python3 -c '
import os, systemd.daemon
fds = systemd.daemon.listen_fds_with_names()
print(sorted(fds.items()))
print(os.read(3, 100).decode().strip())'
	echo first >a
	"$FDPASS" send -t $WAIT -n config s a /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "[(3, 'config'), (4, 'unknown')]
first"
}

@test "--notify-fdstore speaks systemd's fd store protocol on NOTIFY_SOCKET" {
	run peer <<'PY'
from peer import *
import subprocess
store = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
store.bind("notify")
env = dict(os.environ, NOTIFY_SOCKET=os.path.abspath("notify"))
send = subprocess.run([os.environ["FDPASS"], "send", "--notify-fdstore", "web", "/etc/hostname"], env=env)
data, fds, _, _ = socket.recv_fds(store, 1000, 10)
print(send.returncode, repr(data.decode()), len(fds), os.read(fds[0], 100) == open("/etc/hostname", "rb").read())
PY
	assert_output "0 'FDSTORE=1\nFDNAME=web\n' 1 True"
}

@test "--notify-fdstore --no-fdpoll asks systemd to keep a descriptor that hangs up" {
	run peer <<'PY'
from peer import *
import subprocess
store = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
store.bind("notify")
store.settimeout(WAIT)
env = dict(os.environ, NOTIFY_SOCKET=os.path.abspath("notify"))
send = subprocess.run([os.environ["FDPASS"], "send", "--notify-fdstore", "web", "--no-fdpoll", "/etc/hostname"], env=env)
data, fds, _, _ = socket.recv_fds(store, 1000, 10)
print(send.returncode, repr(data.decode()), len(fds))
PY
	assert_output "0 'FDSTORE=1\nFDNAME=web\nFDPOLL=0\n' 1"
}

@test "--notify-fdstore --remove drops what is stored under NAME, passing nothing" {
	run peer <<'PY'
from peer import *
import subprocess
store = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
store.bind("notify")
store.settimeout(WAIT)
env = dict(os.environ, NOTIFY_SOCKET=os.path.abspath("notify"))
send = subprocess.run([os.environ["FDPASS"], "send", "--notify-fdstore", "web", "--remove"], env=env, stdin=subprocess.DEVNULL)
data, fds, _, _ = socket.recv_fds(store, 1000, 10)
print(send.returncode, repr(data.decode()), len(fds))
PY
	assert_output "0 'FDSTOREREMOVE=1\nFDNAME=web\n' 0"
}

@test "--remove takes no descriptors, and needs --notify-fdstore" {
	run "$FDPASS" send --notify-fdstore web --remove /etc/hostname
	assert_failure 2
	assert_line --index 0 "fdpass: --remove passes no descriptors: no FILE"
	run "$FDPASS" send --remove s
	assert_failure 2
	assert_line --index 0 "fdpass: --no-fdpoll and --remove need --notify-fdstore"
}

@test "--notify-fdstore without NOTIFY_SOCKET says so" {
	run env -u NOTIFY_SOCKET "$FDPASS" send --notify-fdstore web /dev/null
	assert_failure 1
	assert_output "fdpass: --notify-fdstore: NOTIFY_SOCKET is not set"
}

@test "ssh -o ProxyUseFdpass=yes connects through fdpass send --stdout --tcp-connect" {
	need_package openssh-client command -v ssh
	port=$(free_port)
	bg_peer server.py <<PY
from peer import *
server = listen(("127.0.0.1", $port), socket.AF_INET)
open("listening", "w").close()
conn, _ = server.accept()
conn.settimeout(WAIT)
print(conn.recv(100).split(b"\r\n")[0].decode())
PY
	wait_until test -e listening
	run ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ProxyUseFdpass=yes \
		-o ProxyCommand="$FDPASS send --stdout --tcp-connect 127.0.0.1:$port" fdpass-test
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_output --regexp '^SSH-2\.0-OpenSSH'
}

# bats test_tags=peer-program
@test "nc -F hands fdpass recv --stdin a TCP connection" {
	need_package netcat-openbsd sh -c 'nc -h 2>&1 | grep -q -- -F'
	port=$(free_port)
	run peer <<PY
from peer import *
import subprocess
server = listen(("127.0.0.1", $port), socket.AF_INET)
ours, theirs = socket.socketpair()
nc = subprocess.Popen(["nc", "-F", "127.0.0.1", "$port"], stdout=theirs)
recv = subprocess.Popen([os.environ["FDPASS"], "recv", "--stdin", "sh", "-c", "echo hello over tcp >&0"], stdin=ours)
theirs.close()
ours.close()
conn, _ = server.accept()
conn.settimeout(WAIT)
print(conn.recv(100).decode().strip(), nc.wait(), recv.wait())
PY
	assert_output "hello over tcp 0 0"
}

@test "recv --stdin refuses a stdin that is not a socket" {
	run "$FDPASS" recv --stdin cat </dev/null
	assert_failure 1
	assert_output "fdpass: --stdin: standard input is not a socket"
}

@test "Python's socket.send_fds reaches recv as unnamed descriptors with data" {
	bg "$FDPASS" recv --listen-fds s sh -c 'echo "$LISTEN_FDS $LISTEN_FDNAMES $FDPASS_DATA"'
	peer <<'PY'
from peer import *
socket.send_fds(connect("s"), [b"from python"], null_fds(2))
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "2 unknown:unknown from python"
}

@test "the seed's Twisted-style sendmsg, data and one fd, is read the same way" {
	bg "$FDPASS" recv s
	peer <<'PY'
from peer import *
import array
fd = os.open("/dev/null", os.O_RDONLY)
connect("s").sendmsg([b"twisted"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]).tobytes())])
PY
	bg_wait
	run cat bg.out
	assert_line --index 0 'fd 0 char - /dev/null - -'
	assert_line --index 1 "data twisted"
}

# start_fdholder: an s6-fdholder-daemon on ./holder that lets this user
# store and retrieve the identifier "kept".
start_fdholder() {
	need_package s6 command -v s6-fdholder-daemon
	rules=rules/uid/$(id -u)
	mkdir -p "$rules/env"
	touch "$rules/allow"
	echo '^kept$' >"$rules/env/S6_FDHOLDER_STORE_REGEX"
	echo '^kept$' >"$rules/env/S6_FDHOLDER_RETRIEVE_REGEX"
	# -1: the daemon writes a newline to stdout once it accepts.
	mkfifo ready
	s6-fdholder-daemon -1 -i rules holder >ready 3>&- &
	BG_PIDS+=("$!")
	read -r -t "$WAIT" _ <ready
}

# bats test_tags=peer-program
@test "s6: recv hands a descriptor to s6-fdholder-store, s6-fdholder-retrieve gets it back" {
	start_fdholder
	echo "held by s6" >a
	bg "$FDPASS" recv s s6-fdholder-store holder kept
	"$FDPASS" send -t $WAIT --wait s a
	bg_wait
	assert_equal "$BG_STATUS" 0
	run s6-fdholder-retrieve holder kept cat
	assert_success
	assert_output "held by s6"
}

# bats test_tags=peer-program
@test "s6: s6-fdholder-retrieve's descriptor goes on through fdpass send" {
	start_fdholder
	echo "from the holder" >a
	s6-fdholder-store holder kept <a
	bg "$FDPASS" recv s cat
	s6-fdholder-retrieve holder kept "$FDPASS" send -t $WAIT s
	bg_wait
	assert_equal "$(cat bg.out)" "from the holder"
}
