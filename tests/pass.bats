#!/usr/bin/env bats
# Passing descriptors from `fdpass send` to `fdpass recv` and its COMMAND.

load test_helper

# bats test_tags=valgrind
@test "stdin of send becomes stdin of recv's command in a pipeline" {
	bg "$FDPASS" recv s cat
	run bash -c 'echo hi | "$FDPASS" send -t $WAIT s'
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "hi"
}

@test "the command reads a named file, opened read-only by default" {
	echo "file contents" >f
	bg "$FDPASS" recv s sh -c 'grep ^flags: /proc/self/fdinfo/0; cat'
	run "$FDPASS" send -t $WAIT s f
	assert_success
	bg_wait
	assert_equal "$(sed -n 2p bg.out)" "file contents"
	run grep '^flags:' bg.out
	# O_RDONLY is 0 in the low bits of the octal flags.
	assert_output --regexp 'flags:[[:space:]]+[0-7]*0$'
}

@test "--write passes a file the command writes without truncating" {
	echo "0123456789" >f
	bg "$FDPASS" recv s sh -c 'printf AB >&0'
	"$FDPASS" send -t $WAIT --write s f
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat f)" "AB23456789"
}

@test "--write --truncate empties the file first" {
	echo "0123456789" >f
	bg "$FDPASS" recv s sh -c 'printf AB >&0'
	"$FDPASS" send -t $WAIT --write --truncate s f
	bg_wait
	assert_equal "$(cat f)" "AB"
}

@test "--append adds to the end of the file" {
	echo "first" >f
	bg "$FDPASS" recv s sh -c 'echo second >&0'
	"$FDPASS" send -t $WAIT --append s f
	bg_wait
	assert_equal "$(cat f)" "first
second"
}

@test "--rdwr passes a descriptor open for both reading and writing" {
	echo "abc" >f
	bg "$FDPASS" recv s sh -c 'cat /proc/self/fdinfo/0; printf X >&0'
	"$FDPASS" send -t $WAIT --rdwr s f
	bg_wait
	assert_equal "$BG_STATUS" 0
	run grep '^flags:' bg.out
	# O_RDWR is 02 in the low bits of the octal flags.
	assert_output --regexp 'flags:[[:space:]]+[0-7]*2$'
	assert_equal "$(cat f)" "Xbc"
}

@test "--create makes a missing file, which plain --write refuses" {
	run "$FDPASS" send -t 1 --write s missing
	assert_failure 1
	assert_output --partial "fdpass: open missing: No such file or directory"
	bg "$FDPASS" recv s sh -c 'echo made >&0'
	"$FDPASS" send -t $WAIT --write --create s created
	bg_wait
	assert_equal "$(cat created)" "made"
}

# bats test_tags=valgrind
@test "several descriptors go to 0, 3, 4 by default" {
	echo one >a
	echo two >b
	echo three >c
	bg "$FDPASS" recv s sh -c 'cat <&0; cat <&3; cat <&4'
	"$FDPASS" send -t $WAIT s a b c
	bg_wait
	assert_equal "$(cat bg.out)" "one
two
three"
}

# bats test_tags=valgrind
@test "--at places descriptors at the numbers given, even crossing each other" {
	echo one >a
	echo two >b
	bg "$FDPASS" recv --at 4,3 s sh -c 'cat <&3; cat <&4'
	"$FDPASS" send -t $WAIT s a b
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "two
one"
}

@test "--at 1 hands a writable file to the command as its stdout" {
	bg "$FDPASS" recv --at 1 s echo "to the file"
	"$FDPASS" send -t $WAIT --write --create s out
	bg_wait
	assert_equal "$(cat out)" "to the file"
	assert_equal "$(cat bg.out)" ""
}

@test "the command inherits only 0-2 and what it was handed" {
	echo x >a
	bg "$FDPASS" recv --at 5 s sh -c 'ls /proc/$$/fd' 7</dev/null
	"$FDPASS" send -t $WAIT s a
	bg_wait
	assert_equal "$(sort -n bg.out | tr '\n' ' ')" "0 1 2 5 "
}

# bats test_tags=valgrind
@test "--listen-fds follows the systemd convention" {
	echo x >a
	echo y >b
	bg "$FDPASS" recv --listen-fds s sh -c \
		'echo "$LISTEN_FDS $LISTEN_FDNAMES"; [ "$LISTEN_PID" = $$ ] && echo pid-ok; cat <&3; cat <&4'
	"$FDPASS" send -t $WAIT --name first s a b
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(sed -n 1p bg.out)" "2 first:unknown"
	assert_equal "$(sed -n 2p bg.out)" "pid-ok"
	assert_equal "$(sed -n 3,4p bg.out)" "x
y"
}

@test "stale LISTEN_ variables are not passed to a command without --listen-fds" {
	echo x >a
	LISTEN_FDS=9 LISTEN_PID=1 bg "$FDPASS" recv s sh -c 'echo "[${LISTEN_FDS-unset}${LISTEN_PID-unset}]"'
	"$FDPASS" send -t $WAIT s a
	bg_wait
	assert_equal "$(cat bg.out)" "[unsetunset]"
}

# bats test_tags=valgrind
@test "an abstract socket works with no file on disk" {
	name=$(abstract_name)
	bg "$FDPASS" recv "$name" cat
	echo abstract >a
	"$FDPASS" send -t $WAIT "$name" a
	bg_wait
	assert_equal "$(cat bg.out)" "abstract"
	assert_equal "$(ls)" "a
bg.err
bg.out"
}

# bats test_tags=valgrind
@test "send can listen and recv connect" {
	echo reversed >a
	bg "$FDPASS" send --listen s a
	wait_for_socket s
	run "$FDPASS" recv --connect s cat
	assert_success
	assert_output "reversed"
	bg_wait
	assert_equal "$BG_STATUS" 0
	[ ! -e s ]
}

@test "--data reaches the command in FDPASS_DATA" {
	echo x >a
	bg "$FDPASS" recv s sh -c 'echo "[$FDPASS_DATA]"'
	"$FDPASS" send -t $WAIT --data "hello world" s a
	bg_wait
	assert_equal "$(cat bg.out)" "[hello world]"
}

# bats test_tags=valgrind
@test "without COMMAND recv prints each descriptor, then the data" {
	echo x >a
	bg "$FDPASS" recv s
	"$FDPASS" send -t $WAIT --name conf --data "payload" s a /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_line --index 0 "fd 0 regular conf $BATS_TEST_TMPDIR/a - -"
	assert_line --index 1 'fd 1 char - /dev/null - -'
	assert_line --index 2 "data payload"
	assert_line --index 3 "end"
}

@test "a pipe is reported as a pipe" {
	bg "$FDPASS" recv s
	run bash -c 'echo | "$FDPASS" send -t $WAIT s'
	assert_success
	bg_wait
	assert_output ""
	run cat bg.out
	assert_output --regexp '^fd 0 pipe - pipe:\[[0-9]+\] - -
end$'
}

# bats test_tags=valgrind
@test "--data-file sends a large file's bytes intact" {
	head -c 3000000 /dev/urandom >big
	bg "$FDPASS" recv s
	"$FDPASS" send -t $WAIT --data-file big s /dev/null
	bg_wait
	decode_data bg.out >got
	cmp big got
}

@test "--data-file from a pipe is read into memory first" {
	bg "$FDPASS" recv s
	run bash -c 'echo piped | "$FDPASS" send -t $WAIT --data-file /dev/stdin s /dev/null'
	assert_success
	bg_wait
	assert_equal "$(sed -n 2p bg.out)" 'data piped\n'
}

@test "--fd passes a descriptor fdpass inherited" {
	echo inherited >a
	bg "$FDPASS" recv s cat
	run "$FDPASS" send -t $WAIT --fd 7 s 7<a
	assert_success
	bg_wait
	assert_equal "$(cat bg.out)" "inherited"
}

# bats test_tags=valgrind
@test "600 descriptors arrive in one transfer" {
	ulimit -n 4096
	args=()
	for i in $(seq 600); do args+=(/dev/null); done
	bg "$FDPASS" recv --count 600 s ls /proc/self/fd
	"$FDPASS" send -t $WAIT s "${args[@]}"
	bg_wait
	assert_equal "$BG_STATUS" 0
	# The first replaces stdin, the others are 3 to 601; with 1, 2 and the
	# descriptor ls reads the directory with, 603.
	assert_equal "$(wc -l <bg.out)" "603"
}

# bats test_tags=valgrind
@test "--count collects plain one-fd messages (data x each) until it has enough" {
	bg "$FDPASS" recv --count 2 s
	peer <<'PY'
from peer import *
s = connect("s")
for path in ("/dev/null", "/dev/zero"):
    fd = os.open(path, os.O_RDONLY)
    socket.send_fds(s, [b"x"], [fd])
    os.close(fd)
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_output "fd 0 char - /dev/null - -
data x
end
fd 0 char - /dev/zero - -
data x
end"
}

# bats test_tags=valgrind
@test "--seqpacket carries a transfer" {
	echo seq >a
	bg "$FDPASS" recv --seqpacket s cat
	"$FDPASS" send -t $WAIT --seqpacket s a
	bg_wait
	assert_equal "$(cat bg.out)" "seq"
}

# bats test_tags=valgrind
@test "--dgram carries a transfer with data" {
	echo dgram >a
	bg "$FDPASS" recv --dgram s sh -c 'cat; echo "$FDPASS_DATA"'
	wait_for_socket s
	"$FDPASS" send --dgram --data d s a
	bg_wait
	assert_equal "$(cat bg.out)" "dgram
d"
}

@test "--keep-listening runs the command once per sender" {
	echo one >a
	echo two >b
	bg "$FDPASS" recv --keep-listening s sh -c 'cat >>log'
	"$FDPASS" send -t $WAIT s a
	"$FDPASS" send -t $WAIT s b
	wait_until sh -c '[ "$(wc -l <log)" = 2 ]'
	assert_equal "$(sort log)" "one
two"
	kill "$BG"
	bg_wait
	[ ! -e s ]
}

# bats test_tags=valgrind
@test "--keep-listening holds no descriptor after 200 senders" {
	bg "$FDPASS" recv --keep-listening s true
	"$FDPASS" send -t $WAIT s /dev/null
	before=$(count_fds "$BG")
	# Under make check-valgrind the receiver is what this test is for: the
	# senders run as they are, not 200 times under valgrind (400 s).
	for i in $(seq 200); do
		"${FDPASS_REAL:-$FDPASS}" send s /dev/null /dev/null
	done
	assert_equal "$(count_fds "$BG")" "$before"
}

@test "the socket file is created with mode 0600, or --mode" {
	bg "$FDPASS" recv s cat
	wait_for_socket s
	assert_equal "$(stat -c %a s)" "600"
	kill "$BG"
	bg "$FDPASS" recv --mode 660 s2 cat
	wait_for_socket s2
	assert_equal "$(stat -c %a s2)" "660"
}

@test "the listener removes its socket file when killed" {
	bg "$FDPASS" recv s cat
	wait_for_socket s
	kill -TERM "$BG"
	bg_wait
	assert_equal "$BG_STATUS" 143
	[ ! -e s ]
}

@test "a stale socket file is replaced" {
	/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("s")'
	[ -S s ]
	echo fresh >a
	bg "$FDPASS" recv s cat
	"$FDPASS" send -t $WAIT s a
	bg_wait
	assert_equal "$(cat bg.out)" "fresh"
}

# in_syscall PID NR...: true while process PID is in one of the system
# calls numbered NR (x86_64: 50 listen, 87 unlink, 316 renameat2).
in_syscall() {
	local pid=$1 nr
	shift
	nr=$(cut -d' ' -f1 /proc/"$pid"/syscall 2>/dev/null) || return 1
	for n in "$@"; do
		[ "$nr" = "$n" ] && return 0
	done
	return 1
}

# traced PARENT: the pid of the process that strace PARENT runs.
traced() {
	ps --ppid "$1" -o pid= | tr -d ' '
}

@test "of two listeners replacing one stale socket, one wins and the other says in use" {
	[ "$(uname -m)" = x86_64 ] || skip "system call numbers for x86_64"
	need_package strace strace -V
	/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("s")'
	# The first is held for a second where it is about to replace the
	# stale socket: its first unlink, or the second rename it tries.
	# LeakSanitizer, in the sanitizer build, cannot work under ptrace.
	export ASAN_OPTIONS=detect_leaks=0
	bg strace -o /dev/null -e trace=unlink,renameat2 \
		-e inject=unlink:delay_enter=1000000:when=1 \
		-e inject=renameat2:delay_enter=1000000:when=2 "$FDPASS" recv s
	wait_until test -n "$(traced "$BG")"
	first=$(traced "$BG")
	# strace ignores SIGTERM while its command runs.
	BG_PIDS+=("$first")
	wait_until in_syscall "$first" 87 316
	"$FDPASS" recv s >second.out 2>second.err 3>&- &
	second=$!
	BG_PIDS+=("$second")
	# Listening at s: its stale check is done, it waits in poll.
	wait_until in_syscall "$second" 7
	bg_wait
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.err)" "fdpass: listen s: in use by another process"
	"$FDPASS" send -t $WAIT s /dev/null
	BG=$second
	bg_wait
	assert_equal "$BG_STATUS" 0
	grep -q " /dev/null " second.out
	[ "$(ls -A | grep -c '^\.fdp')" = 0 ]
}

@test "a listener killed before its socket is in place leaves no file behind" {
	need_package strace strace -V
	# SIGTERM comes as the socket, bound, starts to listen.
	run strace -o /dev/null -e trace=listen \
		-e inject=listen:signal=SIGTERM:when=1 "$FDPASS" recv s
	assert_failure 143
	assert_equal "$(ls -A)" ""
}

@test "a socket path with no room for a temporary name beside it fails clearly" {
	dir=$(printf 'd%.0s' {1..100})
	mkdir "$dir"
	run "$FDPASS" recv -t 1 "$dir/s" true
	assert_failure 1
	assert_output "fdpass: listen $dir/s: too long to make it under a temporary name beside it"
	assert_equal "$(ls -A "$dir")" ""
}

@test "a socket in use by a live listener is left alone, its pid named" {
	bg "$FDPASS" recv s cat
	wait_for_socket s
	run "$FDPASS" recv s cat
	assert_failure 1
	assert_output "fdpass: listen s: in use by another process, pid $BG"
	echo still >a
	"$FDPASS" send -t $WAIT s a
	bg_wait
	assert_equal "$(cat bg.out)" "still"
}

@test "a socket in use by a listener in the background names its pid" {
	"$FDPASS" recv -b --pid-file pid s cat >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	run "$FDPASS" recv s cat
	assert_failure 1
	assert_output "fdpass: listen s: in use by another process, pid $pid"
}

@test "a starting listener's path never names a socket that does not listen yet" {
	# A connection refused at an existing path is what makes another
	# listener's stale check remove the file.
	run peer <<'PY'
from peer import *
import subprocess
starts_refused = 0
for i in range(50):
    recv = subprocess.Popen([os.environ["FDPASS"], "recv", "--ready-fd", "1", "s", "true"],
                            stdout=subprocess.PIPE)
    refused = False
    while True:
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect("s")
            break
        except FileNotFoundError:
            pass
        except ConnectionRefusedError:
            refused = True
        finally:
            probe.close()
    starts_refused += refused
    recv.stdout.readline()
    recv.terminate()
    recv.wait()
print(starts_refused, os.path.exists("s"))
PY
	assert_output "0 False"
}

@test "--timeout ends a receiver nobody sends to" {
	run "$FDPASS" recv --timeout 1 s cat
	assert_failure 1
	assert_output "fdpass: listen s: no sender came within --timeout"
	[ ! -e s ]
}

@test "--timeout makes send wait for a listener that comes later" {
	echo late >a
	bg "$FDPASS" send -t $WAIT s a
	# send waits for the socket file, so the listener does come later.
	wait_until grep -q poll_schedule_timeout /proc/"$BG"/wchan
	run "$FDPASS" recv s cat
	assert_success
	assert_output "late"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "send --listen waits out a peer that leaves without taking anything" {
	echo kept >a
	bg "$FDPASS" send --listen s a
	wait_for_socket s
	# Another listener's probe: it connects and goes.
	run "$FDPASS" recv s cat
	assert_failure 1
	assert_output "fdpass: listen s: in use by another process, pid $BG"
	run "$FDPASS" recv --connect s cat
	assert_success
	assert_output "kept"
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "send --timeout bounds a receiver that never answers the header" {
	bg_peer stall.py <<'PY'
from peer import *
conn, _ = listen("s").accept()
time.sleep(30)
PY
	wait_for_socket s
	run "$FDPASS" send -t 1 s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: no reply from the receiver within 1 s"
}

@test "a listener whose reader is gone fails, and still removes its socket" {
	head -c 200000 /dev/zero >big
	"$FDPASS" recv s > >(:) 2>/dev/null 3>&- &
	BG=$!
	BG_PIDS+=("$BG")
	run "$FDPASS" send -t $WAIT --data-file big s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver took the descriptors but could not put them in place or print them"
	bg_wait
	assert_equal "$BG_STATUS" 1
	[ ! -e s ]
}

@test "--data-file - reads standard input, from a pipe or a file" {
	bg "$FDPASS" recv s sh -c 'printf %s "$FDPASS_DATA" >data'
	echo piped | "$FDPASS" send -t $WAIT --data-file - s /dev/null
	bg_wait
	assert_equal "$(cat data)" "piped"
	echo redirected >in
	bg "$FDPASS" recv s sh -c 'printf %s "$FDPASS_DATA" >data'
	"$FDPASS" send -t $WAIT --data-file - s /dev/null <in
	bg_wait
	assert_equal "$(cat data)" "redirected"
}

@test "--data-file - sends a file from its offset on, and leaves it at the end" {
	printf 'skipped|sent' >in
	bg "$FDPASS" recv s sh -c 'printf %s "$FDPASS_DATA" >data'
	{
		/usr/bin/python3 -c 'import os, sys; os.lseek(0, 8, 0); os.execv(sys.argv[1], sys.argv[1:])' \
			"$FDPASS" send -t $WAIT --data-file - s /dev/null
		cat >rest
	} <in
	bg_wait
	assert_equal "$(cat data)" "sent"
	assert_equal "$(wc -c <rest)" 0
}

@test "--data-file - with standard input also passed is a usage error" {
	run "$FDPASS" send --data-file - s </dev/null
	assert_failure 2
	assert_line --index 0 "fdpass: --data-file - reads standard input, which is also to be passed: name a FILE"
}
