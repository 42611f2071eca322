#!/usr/bin/env bats
# fdpass hold: descriptors kept by name.  send --name stores, recv --fetch
# gets copies and places them as any transfer, hold --list and --remove
# ask the holder; only its own user may, and no client can stall it.

load test_helper

# bg_hold ARG...: a holder in the background as bg starts it, its
# --ready-fd on 4 writing to ready; returns once it listens.
bg_hold() {
	bg "$FDPASS" hold --ready-fd 4 "$@" 4>ready
	HOLDER=$BG
	wait_until test -s ready
}

# listed [SOCKET]: the names hold --list shows for the holder at SOCKET
# (hs), one a line.
listed() {
	"$FDPASS" hold --list "${1:-hs}" | cut -d' ' -f1
}

@test "a descriptor stored under a name is fetched into a command" {
	bg_hold hs
	echo kept >f
	run "$FDPASS" send --name conf hs f
	assert_success
	assert_output ""
	run "$FDPASS" recv --fetch conf hs cat
	assert_success
	assert_output "kept"
}

@test "a fetch gets a copy: the holder keeps its own" {
	bg_hold hs
	echo kept >f
	"$FDPASS" send --name conf hs f
	rm f
	"$FDPASS" recv --fetch conf hs true
	run "$FDPASS" recv --fetch conf hs cat
	assert_success
	assert_output "kept"
}

@test "hold --list prints a line per descriptor: name, kind, path" {
	bg_hold hs
	: >f
	# The sockets made come first, then the FILEs.
	"$FDPASS" send --name sock --name conf --tcp-listen 127.0.0.1:0 hs f
	run "$FDPASS" hold --list hs
	assert_success
	assert_line --index 0 --regexp '^sock socket socket:\[[0-9]+\] 127\.0\.0\.1:[0-9]+ -$'
	assert_line --index 1 "conf regular $PWD/f - -"
	assert_equal "${#lines[@]}" 2
}

@test "hold --list --json prints a JSON object per descriptor" {
	bg_hold hs
	: >f
	"$FDPASS" send --name conf hs f
	run "$FDPASS" hold --list --json hs
	assert_success
	assert_output --partial '"name":"conf"'
	/usr/bin/python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["path"] == sys.argv[2], d' "$output" "$PWD/f"
}

@test "recv --fetch places by name, with LISTEN_FDNAMES in the order asked" {
	bg_hold hs
	: >a
	: >b
	"$FDPASS" send --name one hs a
	"$FDPASS" send --name two hs b
	run "$FDPASS" recv --fetch two,one --listen-fds hs sh -c 'echo $LISTEN_FDS $LISTEN_FDNAMES; readlink /proc/self/fd/3'
	assert_success
	assert_line --index 0 "2 two:one"
	assert_line --index 1 "$PWD/b"
}

@test "recv --fetch-all gets everything held" {
	bg_hold hs
	: >a
	: >b
	"$FDPASS" send --name one hs a
	"$FDPASS" send --name two hs b
	run "$FDPASS" recv --fetch-all --listen-fds hs sh -c 'echo $LISTEN_FDS $LISTEN_FDNAMES'
	assert_success
	assert_output "2 one:two"
}

@test "recv --fetch of a name not held runs nothing, names it and exits 1" {
	bg_hold hs
	: >a
	"$FDPASS" send --name one hs a
	run "$FDPASS" recv --fetch one,nope hs touch ran
	assert_failure 1
	assert_output "fdpass: receive on hs: nothing held under nope"
	assert [ ! -e ran ]
	run "$FDPASS" recv --fetch nope hs
	assert_failure 1
	assert_output "fdpass: receive on hs: nothing held under nope"
}

@test "hold --remove drops what a name holds; the holder serves on" {
	bg_hold hs
	: >a
	: >b
	"$FDPASS" send --name one hs a
	"$FDPASS" send --name two hs b
	run "$FDPASS" hold --remove one hs
	assert_success
	assert_output ""
	assert_equal "$(listed)" "two"
}

@test "hold --remove of a name not held removes nothing and exits 1" {
	bg_hold hs
	: >a
	"$FDPASS" send --name one hs a
	run "$FDPASS" hold --remove one --remove nope hs
	assert_failure 1
	assert_output "fdpass: hold hs: nothing held under one of the names; none removed"
	assert_equal "$(listed)" "one"
	run "$FDPASS" hold --remove nope hs
	assert_failure 1
	assert_output "fdpass: hold hs: nothing held under nope"
}

@test "a store without names is refused with the reason, and nothing is held" {
	bg_hold hs
	: >a
	run "$FDPASS" send hs a
	assert_failure 1
	assert_output "fdpass: send to hs: the holder refused the transfer: it keeps only named descriptors (--name)"
	run "$FDPASS" send --name one hs a a
	assert_failure 1
	assert_equal "$(listed)" ""
}

@test "a name holds several descriptors, but the same open file once" {
	bg_hold hs
	: >a
	: >b
	"$FDPASS" send --name web hs a
	"$FDPASS" send --name web hs b
	# The same open file, stored again under the same name.
	"$FDPASS" recv --fetch web --at 3,4 hs "$FDPASS" send --name web --fd 3 hs
	run "$FDPASS" recv --fetch web --listen-fds hs sh -c 'echo $LISTEN_FDS $LISTEN_FDNAMES'
	assert_success
	assert_output "2 web:web"
}

@test "--max-fds refuses a store that would pass it, all of it, and keeps the rest" {
	bg_hold --max-fds 2 hs
	: >a
	"$FDPASS" send --name one hs a
	run "$FDPASS" send --name two --name three hs a a
	assert_failure 1
	assert_output "fdpass: send to hs: the holder refused the transfer: 2 more descriptors would pass its --max-fds"
	assert_equal "$(listed)" "one"
	"$FDPASS" send --name two hs a
	assert_equal "$(listed | tr '\n' ' ')" "one two "
}

@test "another user may not store, fetch, list or remove" {
	mkdir -m 777 shared
	bg_hold shared/hs
	chmod 666 shared/hs
	: >a
	"$FDPASS" send --name one shared/hs a
	chmod 644 a
	run fdpass_as_nobody send --allow-uid 0 --name two shared/hs a
	assert_failure 1
	run fdpass_as_nobody recv --allow-uid 0 --fetch one shared/hs
	assert_failure 1
	refute_output --partial "$PWD/a"
	run fdpass_as_nobody hold --allow-uid 0 --list shared/hs
	assert_failure 1
	refute_output --partial one
	run fdpass_as_nobody hold --allow-uid 0 --remove one shared/hs
	assert_failure 1
	assert_equal "$(listed shared/hs)" "one"
	run cat bg.err
	assert_output --partial "uid 65534"
}

@test "--allow-uid lets another user store and fetch" {
	mkdir -m 777 shared
	bg_hold --allow-uid 65534 --mode 666 shared/hs
	echo theirs >shared/a
	chmod 644 shared/a
	run fdpass_as_nobody send --allow-uid 0 --name one shared/hs shared/a
	assert_success
	run fdpass_as_nobody recv --allow-uid 0 --fetch one shared/hs cat
	assert_success
	assert_output "theirs"
}

@test "recv --fetch refuses a holder of another user" {
	mkdir -m 777 shared
	bg_as_nobody hold --allow-uid 0 --mode 666 --ready-fd 4 shared/hs 4>ready
	wait_until test -s ready
	run "$FDPASS" recv --fetch one shared/hs true
	assert_failure 1
	assert_output --partial "uid 65534"
}

@test "an abstract holder socket works the same" {
	name=$(abstract_name)
	bg_hold "$name"
	echo kept >f
	"$FDPASS" send --name conf "$name" f
	run "$FDPASS" recv --fetch conf "$name" cat
	assert_success
	assert_output "kept"
}

@test "a client that stalls holds up nobody else" {
	bg_hold -t 60 hs
	: >a
	peer <<'PY' &
from peer import *
sock = connect("hs")
sock.send(b"FDPM")
time.sleep(30)
PY
	BG_PIDS+=($!)
	wait_until test -S hs
	run "$FDPASS" send -t 5 --name one hs a
	assert_success
	run "$FDPASS" recv -t 5 --fetch one hs true
	assert_success
}

@test "removing a lingering socket does not stall the holder" {
	bg_hold hs
	peer <<'PY' &
from peer import *
end, far = lingering_socket()
os.set_inheritable(end.fileno(), True)
import subprocess
subprocess.run([os.environ["FDPASS"], "send", "--name", "slow", "--fd",
    str(end.fileno()), "hs"], pass_fds=[end.fileno()], check=True)
end.close()
print("stored", flush=True)
time.sleep(60)
PY
	BG_PIDS+=($!)
	wait_until listed_is slow
	SECONDS=0
	run "$FDPASS" hold -t 10 --remove slow hs
	assert_success
	run "$FDPASS" send -t 10 --name next hs /dev/null
	assert_success
	# The linger is 30 s; slow builds (sanitizers) take some seconds.
	assert [ "$SECONDS" -lt 10 ]
}

@test "removing lingering sockets among 3000 watched entries does not stall the holder" {
	# Room for the entries and a copy of each (hold's RLIMIT_NOFILE).
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge 6600 ] ||
		skip "the hard descriptor limit is $hard, under 6600"
	bg_hold --max-fds 3100 hs
	# Each a poll(2) watches: the main loop's polls take longer to end,
	# and a disposer that closed meanwhile once left it the last close.
	local names=() files=() i
	for i in $(seq 500); do
		names+=(--name many)
		files+=(/dev/null)
	done
	for i in 1 2 3 4 5 6; do
		"$FDPASS" send "${names[@]}" hs "${files[@]}"
	done
	run peer <<'PY'
from peer import *
import subprocess
fdpass = os.environ["FDPASS"]
far_ends = []
for _ in range(40):
    end, far = lingering_socket()
    far_ends.append(far)
    subprocess.run([fdpass, "send", "--name", "slow", "--fd",
        str(end.fileno()), "hs"], pass_fds=[end.fileno()], check=True)
    end.close()
    # No wait for a server: the removal is to find the main loop asleep
    # in poll(2), watching the socket, where the race is.
    time.sleep(0.05)
    subprocess.run([fdpass, "hold", "-t", "10", "--remove", "slow", "hs"],
        check=True)
    # The linger is 30 s: a main loop left the last close misses this.
    subprocess.run([fdpass, "hold", "-t", "10", "--list", "hs"], check=True,
        stdout=subprocess.DEVNULL)
print("served on")
PY
	assert_success
	assert_output "served on"
}

# listed_is NAMES: hold --list at hs shows just NAMES, space-separated.
listed_is() {
	[ "$(listed | tr '\n' ' ')" = "${1:+$1 }" ]
}

@test "an entry whose descriptor hangs up is dropped" {
	bg_hold hs
	mkfifo p
	exec 5<>p
	"$FDPASS" send --name pipe -w hs p
	exec 5>&-
	wait_until listed_is ""
}

@test "a request to a plain receiver says it is not a holder" {
	bg "$FDPASS" recv --ready-fd 4 rs 4>ready
	wait_until test -s ready
	run "$FDPASS" recv --fetch one rs
	assert_failure 1
	assert_output "fdpass: fetch from rs: not a holder (fdpass hold)"
}

@test "SIGTERM ends the holder with status 0 and removes its socket file" {
	bg_hold hs
	"$FDPASS" send --name one hs /dev/null
	kill -TERM "$HOLDER"
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert [ ! -e hs ]
}

# bats test_tags=rss
@test "the holder's descriptors and memory stay flat over store, fetch and remove cycles" {
	bg_hold hs
	: >a
	cycle() {
		"$FDPASS" send --name f hs a &&
			"$FDPASS" recv --fetch f hs true &&
			"$FDPASS" hold --remove f hs
	}
	for i in $(seq 50); do cycle; done
	fds=$(count_fds "$HOLDER")
	rss=$(awk '/VmRSS/ { print $2 }' /proc/"$HOLDER"/status)
	for i in $(seq 300); do cycle; done
	assert_equal "$(count_fds "$HOLDER")" "$fds"
	# Some slack for the allocator's arenas, none for a leak per cycle.
	assert [ "$(awk '/VmRSS/ { print $2 }' /proc/"$HOLDER"/status)" -lt $((rss + 512)) ]
}

@test "recv --fetch-all from an empty holder starts COMMAND with no descriptors" {
	bg_hold hs
	run "$FDPASS" recv --fetch-all --listen-fds hs sh -c 'echo "[$LISTEN_FDS]"'
	assert_success
	assert_output "[0]"
}

@test "hold --peer-pid of no process is refused at start" {
	run timeout "$WAIT" "$FDPASS" hold --peer-pid 2147483647 hs
	assert_failure 1
	assert_output --partial "fdpass: --peer-pid 2147483647:"
	assert [ ! -e hs ]
}

@test "--max-fds counts the descriptors of stores still under way" {
	bg_hold --max-fds 3 hs
	: >a
	peer <<'PY' &
from peer import *
sock = connect("hs")
# A store of two, its names promised: it waits, and keeps its room.
print(propose(sock, 2, 4), flush=True)
time.sleep(30)
PY
	BG_PIDS+=($!)
	local stalled=$!
	wait_until test -S hs
	wait_until serving_one
	run "$FDPASS" send --name x --name y hs a a
	assert_failure 1
	assert_output --partial "would pass its --max-fds"
	kill "$stalled"
	wait_until gone "$stalled"
	wait_until send_one
}

# serving_one: true while the holder serves one client (a thread).
serving_one() {
	local tasks=(/proc/"$HOLDER"/task/*)
	[ "${#tasks[@]}" -eq 2 ]
}

# send_one: stores /dev/null under "one" at hs.
send_one() {
	"$FDPASS" send --name one hs /dev/null
}

@test "a name asked for twice in one fetch comes once" {
	bg_hold hs
	"$FDPASS" send --name a hs /dev/null
	run "$FDPASS" recv --fetch a,a --listen-fds hs sh -c 'echo "$LISTEN_FDS"'
	assert_success
	assert_output 1
}

@test "peers the holder refuses do not hold up the ones it serves" {
	name=$(abstract_name)
	bg_hold "$name"
	# Each connection refused was once taken for a want of descriptors,
	# and new ones waited 0.1 s behind it.
	cat "$BATS_TEST_DIRNAME/peer.py" - >refused.py <<'PY'
import sys
socks = [connect(sys.argv[1]) for _ in range(60)]
print("connected", flush=True)
time.sleep(60)
PY
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 - "$name" <refused.py >refused.out 3>&- &
	BG_PIDS+=($!)
	wait_until grep -q connected refused.out
	run "$FDPASS" hold -t 2 --list "$name"
	assert_success
}

@test "connections accepted while a client's read waits take none of the numbers it counts on" {
	need_package strace strace -V
	# Each read of the holder's is held up two seconds, to widen the
	# moment between a client's room check and its read; strace stops
	# the holder at its reads alone.
	bg strace -f --seccomp-bpf -o /dev/null -e trace=recvmsg \
		-e inject=recvmsg:delay_enter=2000000 \
		"$FDPASS" hold --ready-fd 4 hs 4>ready
	wait_until test -s ready
	HOLDER=$(pgrep -P "$BG" -x fdpass)
	# Room for a connection, one message of 253 descriptors, and the 8
	# the holder leaves besides: 20 connections while the read waits
	# would leave it less.
	used=$(find "/proc/$HOLDER/fd" -mindepth 1 | wc -l)
	limit=$((used + 262))
	prlimit --pid "$HOLDER" --nofile="$limit:$limit"
	peer "$HOLDER" <<'PY'
from peer import *
import glob, sys
a = connect("hs")
null = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(a, [b"x"], [null] * 253)
# The client's thread has its room and waits in its read, stopped by
# strace ("t") in a recvmsg with MSG_CMSG_CLOEXEC | MSG_DONTWAIT, before
# the others connect: a thread stopped as it is made is no sign.
def reading():
    for task in glob.glob(f"/proc/{sys.argv[1]}/task/*"):
        try:
            state = open(f"{task}/stat").read().rsplit(")", 1)[1].split()[0]
            call = open(f"{task}/syscall").read().split()
        except OSError:
            continue
        if state == "t" and len(call) > 3 and call[3] == "0x40000040":
            return True
    return False
for _ in range(1000):
    if reading():
        break
    time.sleep(0.01)
else:
    sys.exit("the holder's read never waited")
others = [connect("hs") for _ in range(20)]
time.sleep(2.5)
PY
	kill "$HOLDER"
	bg_wait
	refute grep -q "MSG_CTRUNC" bg.err
	# All 253 came: the message was read, and refused as it is.
	grep -q "a plain message, not a store" bg.err
}

@test "the holder's threads log whole lines, one each" {
	bg_hold hs
	# Three times forty clients at once, each refused for a plain
	# message.
	peer <<'PY'
from peer import *
import threading
def plain(s, go):
    go.wait()
    s.sendall(b"x")
    s.recv(1)
for _ in range(3):
    socks = [connect("hs") for _ in range(40)]
    go = threading.Barrier(40)
    threads = [threading.Thread(target=plain, args=(s, go)) for s in socks]
    for t in threads: t.start()
    for t in threads: t.join()
PY
	wait_until test "$(grep -o "not a store" bg.err | wc -l)" -ge 120
	line="fdpass: hold hs: request from pid [0-9]*: a plain message, not a store"
	run grep -cx "$line (fdpass send --name)" bg.err
	assert_output 120
	assert_equal "$(wc -l <bg.err)" 120
}
