#!/usr/bin/env bats
# send --netns: the sockets send makes from an address are made in another
# network namespace, one that `ip netns add` makes for each test; all else
# stays in fdpass's own.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	BG_PIDS=()
	NS=fdpass-test-$$-$BATS_TEST_NUMBER
	if ! ip netns add "$NS" 2>netns.err; then
		NS=
		skip "ip netns add is not allowed here: $(cat netns.err)"
	fi
	ip -n "$NS" link set lo up
	NSPATH=/run/netns/$NS
}

teardown() {
	stop_background
	if [ -n "$NS" ]; then
		ip netns delete "$NS"
	fi
}

# in_ns ARG...: runs ARG... inside the test's namespace.
in_ns() {
	ip netns exec "$NS" "$@"
}

# tcp_hello PORT [WRAPPER...]: the line a server at 127.0.0.1:PORT sends,
# or "refused", as seen from where WRAPPER (e.g. in_ns) runs a client.
tcp_hello() {
	local port=$1
	shift
	"$@" bash -c '{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null ||
		{ echo refused; exit; }
		timeout 10 head -n 1 <&3' bash "$port"
}

# serve_tcp: recv in the background, a server accepting once on what it
# gets and greeting with the name of its namespace's inode.
serve_tcp() {
	bg "$FDPASS" recv --listen-fds s /usr/bin/python3 -c '
import os, socket
server = socket.socket(fileno=3)
conn, _ = server.accept()
conn.sendall(b"hello from %d\n" % os.stat("/proc/self/ns/net").st_ino)'
}

@test "--tcp-listen --netns: a listener reached from inside the namespace only" {
	port=$(free_port)
	serve_tcp
	"$FDPASS" send -t $WAIT --tcp-listen "127.0.0.1:$port" --netns "$NSPATH" s
	assert_equal "$(tcp_hello "$port")" "refused"
	# The server runs outside, in fdpass's own namespace.
	assert_equal "$(tcp_hello "$port" in_ns)" \
		"hello from $(stat -Lc %i /proc/self/ns/net)"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--udp --netns: datagrams from inside the namespace arrive, from outside are refused" {
	port=$(free_port)
	bg "$FDPASS" recv --listen-fds s /usr/bin/python3 -c '
import socket
s = socket.socket(fileno=3)
data, peer = s.recvfrom(100)
s.sendto(b"got " + data, peer)'
	"$FDPASS" send -t $WAIT --netns "$NSPATH" --udp "127.0.0.1:$port" s
	cat >udp.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(sys.argv[2].encode())
try:
    print(s.recv(100).decode())
except ConnectionRefusedError:
    print("refused")
PY
	assert_equal "$(/usr/bin/python3 udp.py "$port" outside)" "refused"
	assert_equal "$(in_ns /usr/bin/python3 udp.py "$port" inside)" "got inside"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--tcp-connect --netns reaches a listener that is only inside the namespace" {
	port=$(free_port)
	cat >server.py <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
open("listening", "w").close()
conn, _ = s.accept()
conn.sendall(b"from inside\n")
PY
	ip netns exec "$NS" /usr/bin/python3 server.py "$port" >server.out 2>&1 3>&- &
	BG_PIDS+=("$!")
	wait_until test -e listening
	assert_equal "$(tcp_hello "$port")" "refused"
	bg "$FDPASS" recv s head -n 1
	# localhost is looked up in fdpass's own place, with its /etc/hosts.
	"$FDPASS" send -t $WAIT --netns "$NSPATH" --tcp-connect "localhost:$port" s
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "from inside"
}

@test "--netns leaves the rest in fdpass's own namespace: an abstract SOCKET, --unix-listen @NAME" {
	sock=$(abstract_name)
	listener=$(abstract_name)
	# Abstract names belong to a network namespace: the receiver's and the
	# --unix-listen one are both reached in this one.
	bg "$FDPASS" recv --count 2 "$sock" sh -c "grep -c ' $listener\$' /proc/net/unix"
	"$FDPASS" send -t $WAIT --unix-listen "$listener" --netns "$NSPATH" \
		--tcp-listen 127.0.0.1:0 "$sock"
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" 1
}

# in_namespace PID: process PID is in the namespace at $NSPATH, looked at
# anew each time wait_until asks.
in_namespace() {
	[ "$(stat -Lc %i "/proc/$1/ns/net")" = "$(stat -Lc %i "$NSPATH")" ]
}

@test "--netns takes /proc/PID/ns/net of a process in the namespace" {
	port=$(free_port)
	ip netns exec "$NS" sleep 60 3>&- &
	sleeper=$!
	BG_PIDS+=("$sleeper")
	# ip netns exec becomes the command once it has entered the namespace.
	wait_until in_namespace "$sleeper"
	serve_tcp
	"$FDPASS" send -t $WAIT --netns "/proc/$sleeper/ns/net" --tcp-listen "127.0.0.1:$port" s
	assert_equal "$(tcp_hello "$port")" "refused"
	assert_equal "$(tcp_hello "$port" in_ns)" \
		"hello from $(stat -Lc %i /proc/self/ns/net)"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--netns of a file that is no network namespace fails clearly, having made nothing" {
	touch plain
	run "$FDPASS" send --unix-listen u --netns plain --tcp-listen 0 s
	assert_failure 1
	assert_output "fdpass: --netns plain: not a network namespace"
	run "$FDPASS" send --netns /proc/self/ns/mnt --tcp-listen 0 s
	assert_failure 1
	assert_output "fdpass: --netns /proc/self/ns/mnt: not a network namespace"
	[ ! -e u ]
}

@test "--netns as nobody: needs CAP_SYS_ADMIN, exit 1, and nothing made" {
	port=$(free_port)
	mkdir -m 777 w
	run fdpass_as_nobody send --unix-listen w/u --tcp-listen "127.0.0.1:$port" \
		--netns "$NSPATH" s
	assert_failure 1
	assert_output "fdpass: --netns $NSPATH: Operation not permitted (needs CAP_SYS_ADMIN)"
	[ ! -e w/u ]
}

@test "--netns without a socket to make is a usage error" {
	run "$FDPASS" send --netns "$NSPATH" s /dev/null
	assert_failure 2
	assert_output --partial "fdpass: --netns needs --tcp-listen, --tcp-connect or --udp"
}

@test "--netns passes the socket alone: no descriptor of a namespace goes along" {
	bg "$FDPASS" recv --listen-fds s sh -c 'echo "$LISTEN_FDS"; find /proc/$$/fd -mindepth 1 -printf "%f %l\n" | sort -n'
	"$FDPASS" send -t $WAIT --netns "$NSPATH" --tcp-listen 127.0.0.1:0 s
	bg_wait
	assert_equal "$BG_STATUS" 0
	# LISTEN_FDS, then the command's descriptors: 0 to 2 as bg left them,
	# and the socket on 3.
	run cat bg.out
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 1
	assert_line --index 4 --regexp '^3 socket:\[[0-9]+\]$'
	run grep -F 'net:[' bg.out
	assert_failure
}

@test "--netns: an interface named in a link-local address is the namespace's own" {
	# d0 is there only: the name means nothing in fdpass's namespace.
	ip -n "$NS" link add d0 type veth peer name d1
	ip -n "$NS" link set d1 up
	ip -n "$NS" link set d0 up
	ip -n "$NS" addr add fe80::1/64 dev d0 nodad
	bg "$FDPASS" recv --listen-fds s sh -c 'echo "$LISTEN_FDS"'
	port=$(free_port)
	run "$FDPASS" send -t $WAIT --tcp-listen "[fe80::1%d0]:$port" \
		--netns "$NSPATH" s
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "1"
}
