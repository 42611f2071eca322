#!/usr/bin/env bats
# What send can make or fetch besides files (sockets by address, another
# process's descriptors), recv in the background, and recv --json.

load test_helper

@test "recv -b returns once listening, so send needs no retry" {
	# The background process keeps stdout and stderr, like any `cmd &`:
	# so not through `run`, which would wait for them to close.
	"$FDPASS" recv -b --pid-file pid s sh -c 'cat >out' >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	[ -S s ]
	echo "no race" >a
	"$FDPASS" send s a
	wait_until gone "$pid"
	assert_equal "$(cat out)" "no race"
	[ ! -e s ]
}

@test "recv -b fails, in the foreground, when it cannot listen" {
	touch plain
	run "$FDPASS" recv -b plain cat
	assert_failure 1
	assert_output "fdpass: listen plain: exists and is not a socket"
}

@test "--pid-file names the serving process and goes when it does" {
	"$FDPASS" recv -b -k --pid-file pid s true >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	assert_equal "$(cat /proc/"$pid"/comm)" "fdpass"
	kill "$pid"
	wait_until test ! -e pid
	[ ! -e s ]
}

@test "--ready-fd writes a newline once the socket listens" {
	bg "$FDPASS" recv --ready-fd 5 s cat 5>ready
	wait_until test -s ready
	assert_equal "$(od -An -c ready | tr -d ' ')" '\n'
	[ -S s ]
	echo ready >a
	"$FDPASS" send s a
	bg_wait
	assert_equal "$(cat bg.out)" "ready"
}

@test "--tcp-listen + --listen-fds: socket activation of a server over loopback" {
	port=$(free_port)
	bg "$FDPASS" recv --listen-fds s /usr/bin/python3 -c '
import socket, os
server = socket.socket(fileno=3)
conn, _ = server.accept()
conn.sendall(b"hello from " + os.environ["LISTEN_FDNAMES"].encode() + b"\n")'
	"$FDPASS" send -t $WAIT --name web --tcp-listen "127.0.0.1:$port" s
	run peer <<PY
import socket
print(socket.create_connection(("127.0.0.1", $port), timeout=10).makefile().readline().strip())
PY
	assert_output "hello from web"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--tcp-listen on [::1] and --udp make the sockets asked for" {
	port=$(free_port)
	bg "$FDPASS" recv --json s
	"$FDPASS" send -t $WAIT --tcp-listen "[::1]:$port" --udp "127.0.0.1:$port" s
	bg_wait
	run jq -c '.fds[] | [.type, .family, .socktype, .listening]' bg.out
	assert_output '["socket","inet6","stream",true]
["socket","inet","dgram",null]'
}

@test "--udp takes its port alone: no SO_REUSEADDR for another to share it" {
	port=$(free_port)
	bg "$FDPASS" recv s sleep 60
	"$FDPASS" send -t $WAIT --udp "127.0.0.1:$port" s
	run /usr/bin/python3 - "$port" <<'PY'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print("bound")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
	assert_output "EADDRINUSE"
}

# nss_send NSSWITCH HOST: send --tcp-connect HOST:$port to s, in a mount
# namespace where /etc/nsswitch.conf is the file NSSWITCH, /etc/hosts is
# ./hosts, and DNS asks a local port where nothing answers.
nss_send() {
	unshare --mount sh -c 'mount --bind "$1" /etc/nsswitch.conf &&
		mount --bind hosts /etc/hosts &&
		mount --bind resolv.conf /etc/resolv.conf || exit 99
		exec "$FDPASS" send -t "$WAIT" --tcp-connect "$2:$3" s' \
		sh "$@" "$port"
}

# The static build resolves names as nsswitch.conf says too, through
# getent: files and dns, and other services from the system's NSS modules.
@test "--tcp-connect HOST follows nsswitch.conf and the modules it names" {
	command -v unshare >/dev/null || skip "needs unshare(1)"
	unshare --mount true 2>/dev/null || skip "cannot make a mount namespace here"
	need_package libnss-myhostname \
		sh -c 'ldconfig -p | grep -q libnss_myhostname.so.2'
	port=$(free_port)
	/usr/bin/python3 - "$port" 3>&- <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
open("listening", "w").close()
time.sleep(60)
PY
	BG_PIDS+=($!)
	wait_until test -e listening
	echo "127.0.0.1 fdpass-nss-test" >hosts
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >resolv.conf
	echo "hosts: dns" >dns.conf
	echo "hosts: files" >files.conf
	echo "hosts: myhostname" >module.conf

	bg "$FDPASS" recv --json s
	wait_for_socket s
	# In /etc/hosts, which nsswitch.conf does not name.
	run nss_send dns.conf fdpass-nss-test
	[ "$status" -ne 99 ] || skip "cannot bind-mount over /etc here"
	assert_failure 1
	assert_output --partial "fdpass: --tcp-connect fdpass-nss-test:$port: "
	run nss_send files.conf fdpass-nss-test
	assert_success
	bg_wait
	run jq -r '.fds[0].peer' bg.out
	assert_output "127.0.0.1:$port"

	# From a module, which /etc/hosts (now empty) cannot answer for.
	: >hosts
	bg "$FDPASS" recv --json s
	wait_for_socket s
	run nss_send module.conf localhost
	assert_success
	bg_wait
	run jq -r '.fds[0].peer' bg.out
	assert_output "127.0.0.1:$port"
}

# with_getent SCRIPT ARG...: runs fdpass ARG... in a mount namespace where
# /usr/bin/getent, which fdpass runs to look host names up, is SCRIPT.
with_getent() {
	command -v unshare >/dev/null || skip "needs unshare(1)"
	unshare --mount sh -c 'mount --bind "$1" /usr/bin/getent || exit 99
		shift; exec "$FDPASS" "$@"' sh "$@"
}

# bats test_tags=valgrind
@test "a host name is looked up by getent, which gets none of fdpass's descriptors" {
	cat >getent <<'PY'
#!/usr/bin/python3
import os, sys
seen = [" ".join(sys.argv[1:]), os.readlink("/proc/self/fd/0")]
for fd in range(3, 100):
    try:
        os.fstat(fd)
        seen.append("open: %d %s" % (fd, os.readlink("/proc/self/fd/%d" % fd)))
    except OSError:
        pass
with open(os.environ["FAKE_DIR"] + "/seen", "w") as f:
    print("\n".join(seen), file=f)
print("127.0.0.1       STREAM fake-host")
print("127.0.0.1       DGRAM  ")
print("127.0.0.1       RAW    ")
PY
	chmod 755 getent
	bg "$FDPASS" recv --json s
	wait_for_socket s
	export FAKE_DIR=$PWD
	run with_getent getent send -t $WAIT --tcp-listen fake-host:0 \
		--fd 5 s 5<getent 7<getent
	[ "$status" -ne 99 ] || skip "cannot bind-mount over /usr/bin/getent here"
	assert_success
	bg_wait
	run jq -r '.fds[0].local' bg.out
	assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
	run cat seen
	assert_output "-A -i ahosts -- fake-host
/dev/null"
}

@test "a host name cannot be looked up without getent" {
	command -v unshare >/dev/null || skip "needs unshare(1)"
	run unshare --mount sh -c 'mount -t tmpfs none /usr/bin || exit 99
		exec "$FDPASS" send --tcp-connect some-name:80 s'
	[ "$status" -ne 99 ] || skip "cannot mount over /usr/bin here"
	assert_failure 1
	assert_output "fdpass: --tcp-connect some-name:80: cannot run /usr/bin/getent: No such file or directory"
}

@test "send -t kills a getent that does not answer in time" {
	cat >getent <<'SH'
#!/bin/sh
echo $$ >"$FAKE_DIR/getent.pid"
exec sleep 60
SH
	chmod 755 getent
	export FAKE_DIR=$PWD
	run with_getent getent send -t 1 --tcp-connect slow-host:80 s
	[ "$status" -ne 99 ] || skip "cannot bind-mount over /usr/bin/getent here"
	assert_failure 1
	assert_output "fdpass: --tcp-connect slow-host:80: the host name lookup did not finish within --timeout"
	gone "$(cat getent.pid)"
}

@test "a bad address is a usage error" {
	run "$FDPASS" send --tcp-listen "[::1:80" s
	assert_failure 2
	assert_output --partial "fdpass: --tcp-listen [::1:80: expected"
}

@test "--unix-listen passes a listening unix socket and leaves its file" {
	bg "$FDPASS" recv s /usr/bin/python3 -c '
import socket
conn, _ = socket.socket(fileno=0).accept()
conn.sendall(b"served")'
	"$FDPASS" send -t $WAIT --unix-listen "$PWD/service" s
	run peer <<'PY'
import socket
s = socket.socket(socket.AF_UNIX)
s.connect("service")
print(s.recv(100).decode())
PY
	assert_output "served"
	bg_wait
	assert_equal "$(stat -c %a service)" "600"
}

@test "--json prints each descriptor, the data and the peer as valid JSON" {
	bg "$FDPASS" recv --json s
	"$FDPASS" send -t $WAIT --name conf --data $'tab\there "quoted"' --append s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	run /usr/bin/python3 -m json.tool bg.out
	assert_success
	run jq -c '[.fds[0].type, .fds[0].path, .fds[0].flags, .fds[0].name, .data, .peer.uid]' bg.out
	assert_output "[\"char\",\"/dev/null\",[\"O_WRONLY\",\"O_APPEND\"],\"conf\",\"tab\\there \\\"quoted\\\"\",$(id -u)]"
}

@test "--json gives the inode of the sender's pidfd next to its pid" {
	bg "$FDPASS" recv --json s
	# The sender's pidfd, taken before it execs fdpass, names the same
	# process: a pid keeps its pidfd inode across exec.
	/usr/bin/python3 -c 'import os, sys
print(os.getpid(), os.fstat(os.pidfd_open(os.getpid())).st_ino, flush=True)
os.execv(sys.argv[1], sys.argv[1:])' "$FDPASS" send -t $WAIT s /dev/null >sender
	bg_wait
	assert_equal "$BG_STATUS" 0
	run jq -r '"\(.peer.pid) \(.peer.pidfd_inode)"' bg.out
	assert_output "$(cat sender)"
}

@test "--json prints one line per transfer with --count" {
	bg "$FDPASS" recv --json --count 2 s
	peer <<'PY'
from peer import *
sock = connect("s")
r, w = os.pipe()
socket.send_fds(sock, [b"one"], [r])
socket.send_fds(sock, [b"two"], [w])
PY
	bg_wait
	run jq -c '[.fds[0].type, .fds[0].flags[0], .data]' bg.out
	assert_output '["pipe","O_RDONLY","one"]
["pipe","O_WRONLY","two"]'
}

@test "--from-pid passes a descriptor another process holds" {
	echo "held elsewhere" >a
	bg sleep 60 7<a
	holder=$BG
	bg "$FDPASS" recv s cat
	"$FDPASS" send -t $WAIT --from-pid "$holder:7" s
	bg_wait
	assert_equal "$(cat bg.out)" "held elsewhere"
}

@test "--from-pid of a descriptor the process does not have" {
	bg sleep 60
	run "$FDPASS" send --from-pid "$BG:77" s
	assert_failure 1
	assert_output "fdpass: --from-pid $BG:77: Bad file descriptor"
}

@test "--from-pid without the right to trace the process is refused" {
	bg sleep 60
	run fdpass_as_nobody send --from-pid "$BG:0" s
	assert_failure 1
	assert_output "fdpass: --from-pid $BG:0: Operation not permitted"
}

@test "--ready-fd 1: stdout takes /dev/null, and no connection lands on it" {
	bg "$FDPASS" recv --ready-fd 1 s sh -c 'out=$(readlink /proc/$$/fd/1); echo "$out" >&2'
	echo x >a
	run "$FDPASS" send -t $WAIT s a
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" ""
	assert_equal "$(cat bg.err)" "/dev/null"
}

@test "--unix-listen's socket is bound at its path, what getsockname tells the server" {
	bg "$FDPASS" recv s /usr/bin/python3 -c '
import socket
print(socket.socket(fileno=0).getsockname())'
	"$FDPASS" send -t $WAIT --unix-listen "$PWD/service" s
	bg_wait
	run cat bg.out
	assert_output "$PWD/service"
}

@test "--unix-listen binds a relative path as the absolute path it names for send" {
	bg "$FDPASS" recv s /usr/bin/python3 -c '
import socket
print(socket.socket(fileno=0).getsockname())'
	mkdir sub
	(cd sub && "$FDPASS" send -t $WAIT --unix-listen service ../s)
	bg_wait
	run cat bg.out
	assert_output "$PWD/sub/service"
}

@test "--unix-listen replaces a stale socket file, and refuses one in use" {
	/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("stale")'
	bg "$FDPASS" recv s /usr/bin/python3 -c '
import socket
print(socket.socket(fileno=0).getsockname())'
	"$FDPASS" send -t $WAIT --unix-listen "$PWD/stale" s
	bg_wait
	run cat bg.out
	assert_output "$PWD/stale"
	bg "$FDPASS" recv -l busy true
	wait_for_socket busy
	run "$FDPASS" send -t 1 --unix-listen "$PWD/busy" ./nosuch.sock
	assert_failure 1
	assert_output --partial "--unix-listen $PWD/busy: in use"
}

@test "--unix-listen's socket file goes when send fails" {
	run "$FDPASS" send -t 1 --unix-listen "$PWD/service" nowhere
	assert_failure 1
	[ ! -e service ]
}

@test "an idle --dgram --keep-listening server does not time out" {
	bg "$FDPASS" recv --dgram -k -t 1 s
	wait_for_socket s
	sleep 1.5
	assert_equal "$(cat bg.err)" ""
	"$FDPASS" send --dgram --data late s /dev/null
	wait_until test -s bg.out
	assert_equal "$(sed -n 2p bg.out)" "data late"
}

@test "--json keeps a UTF-8 path readable" {
	touch 'café'
	bg "$FDPASS" recv --json s
	"$FDPASS" send -t $WAIT s 'café'
	bg_wait
	run jq -r '.fds[0].path' bg.out
	assert_output "$PWD/café"
}

@test "--json gives a path that is not UTF-8 as its bytes, a UTF-8 one as text" {
	touch "$(printf 'a\377')" "$(printf 'a\303\277')"
	bg "$FDPASS" recv --json --count 2 s
	"$FDPASS" send -t $WAIT s "$(printf 'a\377')" "$(printf 'a\303\277')"
	bg_wait
	run jq -c '.fds[0].path[-2:], .fds[1].path[-2:]' bg.out
	assert_output "$(printf '[97,255]\n"a\303\277"')"
}

@test "--json gives a socket's local and peer addresses" {
	bg "$FDPASS" recv --json --count 2 s
	"$FDPASS" send -t $WAIT --tcp-listen 127.0.0.1:0 --unix-listen @fdpass-json-$$ s
	bg_wait
	run jq -r '.fds[] | "\(.local) \(.peer)"' bg.out
	assert_line --index 0 --regexp '^127\.0\.0\.1:[1-9][0-9]* null$'
	assert_line --index 1 "@fdpass-json-$$ null"
}

@test "a refused --count transfer prints nothing, though part of it came" {
	bg "$FDPASS" recv --count 2 s
	peer <<'PY'
from peer import *
sock = connect("s")
socket.send_fds(sock, [b"part\n"], null_fds(1))
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	assert_equal "$(cat bg.err)" "fdpass: receive on s: connection closed after 1 of 2 descriptors"
}

@test "a refused --count --json transfer prints nothing" {
	bg "$FDPASS" recv --json --count 2 s
	peer <<'PY'
from peer import *
sock = connect("s")
socket.send_fds(sock, [b"part"], null_fds(1))
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
}

@test "a descriptor's line has seven fields, whatever the path holds" {
	touch "$(printf 'a b\nc\\d\001')"
	bg "$FDPASS" recv --count 2 s
	"$FDPASS" send -t $WAIT --name 'my-conf' --tcp-listen 127.0.0.1:0 s \
		"$(printf 'a b\nc\\d\001')"
	bg_wait
	assert_equal "$(wc -l <bg.out)" 3
	run awk '{ print NF }' bg.out
	assert_output "$(printf '7\n7\n1')"
	run cat bg.out
	assert_line --index 0 --regexp '^fd 0 socket my-conf socket:\[[0-9]+\] 127\.0\.0\.1:[1-9][0-9]* -$'
	assert_line --index 1 --regexp '^fd 1 regular - .*/a\\sb\\nc\\\\d\\001 - -$'
	assert_line --index 2 end
}
