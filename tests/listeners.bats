#!/usr/bin/env bats
# Moving listeners without downtime: from a real HAProxy (send
# --from-haproxy), from systemd's socket activation (send --listen-fds),
# into a server that knows nothing of fdpass but LISTEN_FDS.

load test_helper

# A server of the systemd convention: it answers "new" on every listening
# TCP socket it was given, and first writes their names to "names".
write_server() {
	cat >server.py <<'PY'
import os, select, socket
names = os.environ["LISTEN_FDNAMES"].split(":")
assert int(os.environ["LISTEN_PID"]) == os.getpid()
socks = [socket.socket(fileno=3 + i) for i in range(int(os.environ["LISTEN_FDS"]))]
# Non-blocking as the listeners are already: the file description is shared.
listeners = [s for s in socks if s.type == socket.SOCK_STREAM and s.family != socket.AF_UNIX]
for s in listeners:
    s.setblocking(False)
with open("names.tmp", "w") as f:
    f.write("\n".join(names) + "\n")
os.rename("names.tmp", "names")
while True:
    ready, _, _ = select.select(listeners, [], [])
    for s in ready:
        try:
            conn, _ = s.accept()
        except BlockingIOError:
            continue
        conn.setblocking(True)
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(1000)
            if not more:
                break
            data += more
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nnew")
        conn.close()
PY
}

# ask PORT: prints the body of the answer on 127.0.0.1:PORT, waiting up to
# $WAIT seconds for something to listen there.
ask() {
	/usr/bin/python3 - "$1" <<'PY'
import os, socket, sys, time
deadline = time.monotonic() + float(os.environ["WAIT"])
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
        break
    except ConnectionRefusedError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.01)
s.sendall(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
data = b""
while True:
    more = s.recv(1000)
    if not more:
        break
    data += more
print(data.split(b"\r\n\r\n", 1)[1].decode())
PY
}

# start_haproxy [ADDRESS]: a HAProxy answering "old" on ports $p1 and $p2,
# with its stats socket at ADDRESS (by default admin.sock); its pid in
# $HAPROXY.
start_haproxy() {
	need_package haproxy command -v haproxy
	p1=$(free_port)
	p2=$(free_port)
	while [ "$p2" = "$p1" ]; do p2=$(free_port); done
	cat >haproxy.cfg <<CFG
global
	stats socket ${1:-$PWD/admin.sock} mode 600 level admin expose-fd listeners
defaults
	mode http
	timeout connect 5s
	timeout client 5s
	timeout server 5s
frontend web
	bind 127.0.0.1:$p1
	bind 127.0.0.1:$p2
	http-request return status 200 content-type text/plain string old
CFG
	bg sh -c 'exec haproxy -db -f haproxy.cfg >haproxy.log 2>&1'
	HAPROXY=$BG
	# HAProxy binds its stats socket before it serves.
	wait_until ask "$p1"
	wait_until ask "$p2"
}

# bats test_tags=peer-program
@test "--from-haproxy moves HAProxy's listeners to a new server without refusing a connection" {
	start_haproxy
	write_server
	# Connects to both ports until told to stop, counting refusals.
	bg_peer loop.py <<PY
import os, socket, time
refused = other = done = 0
answers = set()
while not os.path.exists("stop"):
    for port in ($p1, $p2):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
            data = b""
            while True:
                more = s.recv(1000)
                if not more:
                    break
                data += more
            answer = data.split(b"\r\n\r\n", 1)[1].decode()
            answers.add(answer)
            if answer == "old":
                open("saw-old", "w").close()
            done += 1
        except ConnectionRefusedError:
            refused += 1
        except OSError:
            other += 1
print("refused", refused, "failed", other, "answers", sorted(answers), "enough", done > 10)
PY
	loop=$BG
	# The handoff starts once the loop has been served by the old server.
	wait_until test -e saw-old
	"$FDPASS" recv -b --pid-file server.pid --listen-fds s /usr/bin/python3 server.py 3>&-
	BG_PIDS+=("$(cat server.pid)")
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock s
	assert_success
	assert_output ""
	wait_until test -e names
	run cat names
	assert_output "tcp-127.0.0.1-$p1
tcp-127.0.0.1-$p2"
	# A soft stop: HAProxy closes its copies and finishes what it took.
	kill -USR1 "$HAPROXY"
	wait_until gone "$HAPROXY"
	run ask "$p1"
	assert_output new
	run ask "$p2"
	assert_output new
	touch stop
	BG=$loop
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "refused 0 failed 0 answers ['new', 'old'] enough True"
}

@test "--from-haproxy: a stats socket that hangs up without an answer" {
	bg_peer stats.py <<'PY'
from peer import *
server = socket.socket(socket.AF_UNIX)
server.bind("admin.sock")
server.listen()
conn, _ = server.accept()
conn.recv(100)
conn.close()
PY
	wait_for_socket admin.sock
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock s
	assert_failure 1
	assert_output "fdpass: --from-haproxy admin.sock: HAProxy hung up without an answer (is it declared with expose-fd listeners, and does HAProxy have sockets left?)"
}

@test "--from-haproxy: more sockets than announced are refused" {
	bg_peer stats.py <<'PY'
from peer import *
server = socket.socket(socket.AF_UNIX)
server.bind("admin.sock")
server.listen()
conn, _ = server.accept()
print(conn.recv(100))
r, w = os.pipe()
conn.sendall(struct.pack("=i", 1))
socket.send_fds(conn, [b"\0\0\0\0\0\0" * 2], [r, w])
conn.settimeout(WAIT)
conn.recv(100)
PY
	wait_for_socket admin.sock
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock s
	assert_failure 1
	assert_output "fdpass: --from-haproxy admin.sock: HAProxy sent more sockets than it announced"
	bg_wait
	assert_equal "$(cat bg.out)" "b'_getsocks\n'"
}

@test "--from-haproxy: --timeout bounds the whole exchange, not each step" {
	bg_peer stats.py <<'PY'
from peer import *
server = listen("admin.sock")
conn, _ = server.accept()
conn.recv(100)
# A byte at a time, never long apart: only a bound on the whole ends it.
for byte in struct.pack("=i", 1) + bytes(600):
    time.sleep(0.2)
    try:
        conn.send(bytes([byte]))
    except OSError:
        break
PY
	wait_for_socket admin.sock
	start=$SECONDS
	run timeout 10 "$FDPASS" send -t 1 --from-haproxy admin.sock s
	assert_failure 1
	assert_output "fdpass: --from-haproxy admin.sock: HAProxy did not hand its sockets over within 1 s"
	[ $((SECONDS - start)) -le 3 ]
}

# A stats socket that answers _getsocks with the write end of a pipe, in
# $stats: run by the tests below as another user, with python3 -c, as the
# directories above the test's are closed to nobody.
foreign_stats() {
	stats=$(cat <<'PY'
import os, select, socket, struct, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen()
if os.getuid() == 0:
    # As HAProxy with "user": it listens as root, then answers as another.
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
for _ in range(int(sys.argv[2])):
    conn, _ = server.accept()
    conn.recv(100)
    r, w = os.pipe()
    try:
        conn.sendall(struct.pack("=i", 1))
        socket.send_fds(conn, [bytes(6)], [w])
    except OSError:
        pass
    os.close(w)
    conn.settimeout(10)
    try:
        conn.recv(4)
    except OSError:
        pass
    conn.close()
    # The write end went nowhere that keeps it: the read end sees its end.
    ready, _, _ = select.select([r], [], [], 10)
    print("closed" if ready and os.read(r, 1) == b"" else "kept")
PY
)
}

@test "--from-haproxy: a stats socket served by another user is refused" {
	foreign_stats
	mkdir -m 777 pub
	bg setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$stats" pub/admin.sock 1
	wait_for_socket pub/admin.sock
	run "$FDPASS" send -t $WAIT --from-haproxy pub/admin.sock s
	assert_failure 1
	assert_output "fdpass: --from-haproxy pub/admin.sock: answered by uid 65534, not 0 (see --allow-uid)"
	bg_wait
	assert_equal "$(cat bg.out)" "closed"
}

@test "--from-haproxy checks the process that answers, not the one that listened; --allow-uid admits it" {
	foreign_stats
	bg /usr/bin/python3 -c "$stats" admin.sock 2
	wait_for_socket admin.sock
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock s
	assert_failure 1
	assert_output "fdpass: --from-haproxy admin.sock: answered by uid 65534, not 0 (see --allow-uid)"
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT --allow-uid 65534 --from-haproxy admin.sock s
	assert_success
	wait_until grep -q " pipe socket " recv.out
	bg_wait
	assert_equal "$(cat bg.out)" "closed
closed"
}

@test "--from-haproxy: --allow-uid admits HAProxy even where there is no receiver to check" {
	foreign_stats
	bg /usr/bin/python3 -c "$stats" admin.sock 1
	wait_for_socket admin.sock
	"$FDPASS" recv -b -t $WAIT --dgram s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT --dgram --allow-uid 65534 --from-haproxy admin.sock s
	assert_success
	wait_until grep -q " pipe socket " recv.out
	run "$FDPASS" send --dgram --peer-uid 65534 --from-haproxy admin.sock s
	assert_failure 2
	assert_line --index 0 "fdpass: --allow-uid, --allow-gid, --peer-uid, --peer-gid and --peer-pid need a connected socket, not --dgram or --notify-fdstore"
}

# bats test_tags=peer-program
@test "--from-haproxy passes HAProxy's listeners, not its stats socket" {
	start_haproxy
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock s
	assert_success
	assert_output ""
	wait_until grep -qx end recv.out
	run cat recv.out
	assert_line --index 0 --regexp "^fd 0 socket tcp-127.0.0.1-$p1 "
	assert_line --index 1 --regexp "^fd 1 socket tcp-127.0.0.1-$p2 "
	assert_line --index 2 end
	assert_equal "${#lines[@]}" 3
}

# bats test_tags=peer-program
@test "--from-haproxy: --haproxy-stats adds the stats sockets, named at their real path; --name names in order" {
	start_haproxy
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT -n first --haproxy-stats --from-haproxy admin.sock s
	assert_success
	wait_until grep -qx end recv.out
	run cat recv.out
	assert_line --index 0 --regexp "^fd 0 socket first "
	assert_line --index 1 --regexp "^fd 1 socket tcp-127.0.0.1-$p2 "
	assert_line --index 2 --regexp "^fd 2 socket unix-$PWD/admin.sock "
	assert_line --index 3 end
	assert_equal "${#lines[@]}" 4
}

# bats test_tags=peer-program
@test "--from-haproxy: --haproxy-listener picks a listener by name, for recv --at" {
	start_haproxy
	bg "$FDPASS" recv -t $WAIT --at 3=tcp-127.0.0.1-$p2 s /usr/bin/python3 -c 'import os, socket; print(socket.socket(fileno=3).getsockname()[1], os.path.exists("/proc/self/fd/4"))'
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock --haproxy-listener tcp-127.0.0.1-$p2 s
	assert_success
	assert_output ""
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "$p2 False"
}

# bats test_tags=peer-program
@test "--from-haproxy: a --haproxy-listener that names no listener is an error" {
	start_haproxy
	run "$FDPASS" send -t $WAIT --from-haproxy admin.sock --haproxy-listener "unix-$PWD/admin.sock" s
	assert_failure 1
	assert_output "fdpass: --haproxy-listener unix-$PWD/admin.sock: HAProxy has no listener of that name"
}

@test "--haproxy-stats and --haproxy-listener need --from-haproxy" {
	run "$FDPASS" send --haproxy-stats s
	assert_failure 2
	assert_line --index 0 "fdpass: --haproxy-stats and --haproxy-listener need --from-haproxy"
}

# bats test_tags=peer-program
@test "--from-haproxy @name reaches HAProxy's abstract stats socket (abns@)" {
	name=$(abstract_name)
	start_haproxy "abns@${name#@}"
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT --haproxy-stats --from-haproxy "$name" s
	assert_success
	assert_output ""
	wait_until grep -qx end recv.out
	run cat recv.out
	assert_line --index 2 --regexp "^fd 2 socket unix-$name "
	assert_line --index 3 end
	assert_equal "${#lines[@]}" 4
}

@test "--from-haproxy @name reaches a stats socket bound at that name alone" {
	name=$(abstract_name)
	bg_peer stats.py <<PY
from peer import *
server = listen("\\0${name#@}")
conn, _ = server.accept()
conn.recv(100)
r, w = os.pipe()
conn.sendall(struct.pack("=i", 1))
socket.send_fds(conn, [bytes(6)], [w])
conn.settimeout(WAIT)
conn.recv(4)
PY
	wait_until grep -q " $name\$" /proc/net/unix
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run "$FDPASS" send -t $WAIT --from-haproxy "$name" s
	assert_success
	assert_output ""
	wait_until grep -q " pipe " recv.out
}

# bats test_tags=peer-program
@test "--listen-fds forwards what systemd-socket-activate listens on, with its name" {
	need_package systemd command -v systemd-socket-activate
	write_server
	port=$(free_port)
	"$FDPASS" recv -b --pid-file server.pid --listen-fds s /usr/bin/python3 server.py 3>&-
	BG_PIDS+=("$(cat server.pid)")
	bg systemd-socket-activate -l 127.0.0.1:$port --fdname=web "$FDPASS" send -t $WAIT --listen-fds s
	run ask "$port"
	assert_output new
	run cat names
	assert_output web
}

@test "--listen-fds passes fds from 3 with LISTEN_FDNAMES's names" {
	echo hello >file
	"$FDPASS" recv -b -t $WAIT s >recv.out 3>&-
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=web: exec "$FDPASS" send -t $WAIT --listen-fds s 3<file 4</dev/null'
	assert_success
	wait_until grep -q /dev/null recv.out
	run cat recv.out
	assert_line --index 0 "fd 0 regular web $PWD/file - -"
	assert_line --index 1 "fd 1 char - /dev/null - -"
}

@test "--listen-fds refuses descriptors meant for another process" {
	run sh -c 'LISTEN_PID=1 LISTEN_FDS=1 exec "$FDPASS" send --listen-fds s 3</dev/null'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_PID is 1, not this process"
}

@test "--listen-fds refuses descriptors whose LISTEN_PIDFDID names another process" {
	need_pidfs
	run sh -c 'LISTEN_PID=$$ LISTEN_PIDFDID=1 LISTEN_FDS=1 exec "$FDPASS" send --listen-fds s 3</dev/null'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_PIDFDID is 1, not this process's pidfd (its pid was reused)"
	run sh -c 'LISTEN_PID=$$ LISTEN_PIDFDID=x LISTEN_FDS=1 exec "$FDPASS" send --listen-fds s 3</dev/null'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_PIDFDID is 'x', not a pidfd inode number"
}

@test "--listen-fds takes what recv --listen-fds set, LISTEN_PIDFDID and all" {
	need_pidfs
	"$FDPASS" recv -b -t $WAIT s2 >recv.out 3>&-
	bg "$FDPASS" recv --listen-fds s "$FDPASS" send -t $WAIT --listen-fds s2
	run "$FDPASS" send -t $WAIT -n web s /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat recv.out
	assert_output "fd 0 char web /dev/null - -
end"
}

@test "--listen-fds without LISTEN_FDS, or with none, says so" {
	run sh -c 'LISTEN_PID=$$ exec "$FDPASS" send --listen-fds s'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_FDS is not set"
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=0 exec "$FDPASS" send --listen-fds s'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_FDS is 0: no descriptors to pass"
}

@test "--listen-fds: LISTEN_FDNAMES must name each descriptor" {
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=a:b exec "$FDPASS" send --listen-fds s 3</dev/null'
	assert_failure 1
	assert_output "fdpass: --listen-fds: LISTEN_FDNAMES has more names than the 1 descriptors"
}
