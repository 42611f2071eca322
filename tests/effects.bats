#!/usr/bin/env bats
# A send that reaches nobody, or is refused, leaves the files as it found
# them; the pid file and the socket files are touched only when they are
# fdpass's own; signals ignored at start stay ignored.

load test_helper

@test "--truncate leaves the file whole when no receiver is there" {
	echo precious >f
	run "$FDPASS" send -t 1 --write --truncate ./nosuch.sock f
	assert_failure 1
	assert_equal "$(cat f)" "precious"
}

@test "--truncate leaves the file whole when the receiver refuses" {
	echo precious >f
	bg "$FDPASS" recv --count 2 s cat
	run "$FDPASS" send -t $WAIT --write --truncate s f
	assert_failure 1
	assert_equal "$(cat f)" "precious"
	bg_wait
	assert_equal "$BG_STATUS" 3
}

@test "--truncate truncates once the receiver takes the file" {
	echo precious >f
	bg "$FDPASS" recv s sh -c 'echo new >&0'
	"$FDPASS" send -t $WAIT --write --truncate s f
	bg_wait
	assert_equal "$(cat f)" "new"
}

@test "--truncate refuses a --data-file that is one of its files" {
	echo precious >f
	bg "$FDPASS" recv -t $WAIT s true
	wait_for_socket s
	run "$FDPASS" send -t $WAIT --rdwr --truncate --data-file ./f s f
	assert_failure 2
	assert_output "fdpass: --data-file ./f: the same file as f, which --truncate empties
Try 'fdpass send --help'."
	assert_equal "$(cat f)" "precious"
}

@test "--truncate refuses --data-file - when standard input is one of its files" {
	echo precious >f
	bg "$FDPASS" recv -t $WAIT s true
	wait_for_socket s
	run "$FDPASS" send -t $WAIT --rdwr --truncate --data-file - s f <f
	assert_failure 2
	assert_output "fdpass: --data-file -: the same file as f, which --truncate empties
Try 'fdpass send --help'."
	assert_equal "$(cat f)" "precious"
}

@test "--truncate leaves the file whole when --dgram data is too much for one datagram" {
	echo precious >f
	bg "$FDPASS" recv --dgram -t $WAIT s true
	wait_for_socket s
	run "$FDPASS" send -t $WAIT --dgram --write --truncate \
		--data "$(printf '%070000d' 0)" s f
	assert_failure 1
	assert_output "fdpass: send to s: too much for one datagram message (at most 253 descriptors and 65536 bytes)"
	assert_equal "$(cat f)" "precious"
}

@test "--truncate leaves the file whole when --notify-fdstore has more descriptors than a datagram takes" {
	echo precious >f
	bg_peer notify.py <<'PY'
from peer import *
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("notify")
time.sleep(60)
PY
	wait_for_socket notify
	nulls=()
	for _ in $(seq 253); do nulls+=(/dev/null); done
	NOTIFY_SOCKET=$PWD/notify run "$FDPASS" send -t $WAIT \
		--notify-fdstore log --write --truncate f "${nulls[@]}"
	assert_failure 1
	assert_output "fdpass: send to NOTIFY_SOCKET: Message too long"
	assert_equal "$(cat f)" "precious"
}

@test "--create leaves no file behind when no receiver is there" {
	run "$FDPASS" send -t 1 --write --create ./nosuch.sock made
	assert_failure 1
	[ ! -e made ]
}

@test "--create leaves no file behind when the receiver refuses" {
	bg "$FDPASS" recv --count 2 s cat
	run "$FDPASS" send -t $WAIT --write --create s made
	assert_failure 1
	[ ! -e made ]
}

@test "--create keeps a file that already existed when the send fails" {
	echo precious >f
	run "$FDPASS" send -t 1 --write --create ./nosuch.sock f
	assert_failure 1
	assert_equal "$(cat f)" "precious"
}

@test "--create keeps the file it made once the receiver has it" {
	bg "$FDPASS" recv s sh -c 'echo made >&0'
	"$FDPASS" send -t $WAIT --write --create s made
	bg_wait
	assert_equal "$(cat made)" "made"
}

@test "send killed while it makes a --unix-listen socket leaves no file behind" {
	need_package strace strace -V
	# SIGTERM comes as the socket, bound under its temporary name,
	# starts to listen.
	run strace -o /dev/null -e trace=listen \
		-e inject=listen:signal=SIGTERM:when=1 \
		"$FDPASS" send --unix-listen L.sock s
	assert_failure 143
	assert_equal "$(ls -A)" ""
}

@test "send killed as --create makes its file leaves no file behind" {
	need_package strace strace -V
	# SIGTERM comes as the open that makes the file returns, before any
	# other step of send.
	run strace -o /dev/null -P made -e trace=openat \
		-e inject=openat:signal=SIGTERM:when=1 \
		"$FDPASS" send --write --create s made
	assert_failure 143
	assert_equal "$(ls -A)" ""
}

@test "--unix-listen's socket file stays once the receiver has the socket" {
	bg "$FDPASS" recv s sleep 60
	run "$FDPASS" send -t 1 --wait --unix-listen "$PWD/service" s
	assert_failure 1
	[ -S service ]
}

@test "--data-file reads a /proc file to its end, whatever its size says" {
	bg "$FDPASS" recv s sh -c 'printf %s "$FDPASS_DATA" >data'
	"$FDPASS" send -t $WAIT --data-file /proc/version s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat data)" "$(cat /proc/version)"
}

@test "--data-file reads a sysfs file to its end" {
	file=/sys/kernel/mm/transparent_hugepage/enabled
	[ -r "$file" ] || file=$(find /sys/kernel -maxdepth 2 -type f -readable | head -n 1)
	bg "$FDPASS" recv s sh -c 'printf %s "$FDPASS_DATA" >data'
	"$FDPASS" send -t $WAIT --data-file "$file" s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat data)" "$(cat "$file")"
}

@test "--pid-file does not follow a symbolic link" {
	echo precious >target
	ln -s target pid
	run "$FDPASS" recv -b --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: is a symbolic link"
	assert_equal "$(cat target)" "precious"
	[ ! -e s ]
}

@test "--pid-file does not replace a file that is not a pid file" {
	echo precious >pid
	run "$FDPASS" recv -b --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: exists and is not a pid file"
	assert_equal "$(cat pid)" "precious"
}

@test "--pid-file does not take over a file that only begins like a pid" {
	dead=$(sh -c 'echo $$')
	# 23 bytes that read as the pid of no process, then data.
	printf '%023d precious data\n' "$dead" >pid
	cp pid expected
	# -t 1: a listener that took it over would not hold `run` for long.
	run "$FDPASS" recv -b -t 1 --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: exists and is not a pid file"
	cmp pid expected
	[ ! -e s ]
}

@test "--pid-file does not take over a pid that lacks its newline" {
	dead=$(sh -c 'echo $$')
	printf '%s' "$dead" >pid
	# -t 1: a listener that took it over would not hold `run` for long.
	run "$FDPASS" recv -b -t 1 --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: exists and is not a pid file"
	assert_equal "$(cat pid)" "$dead"
}

@test "--pid-file naming recv's own pid is taken over as stale" {
	# PID 1 of a namespace started anew has the pid its last run wrote.
	echo 1 >pid
	chmod 644 pid
	run unshare --pid --fork --mount-proc "$FDPASS" recv -t 1 --pid-file pid s
	assert_failure 1
	assert_output "fdpass: listen s: no sender came within --timeout"
	[ ! -e pid ]
}

@test "--pid-file does not replace the pid file of a running process" {
	sleep 60 3>&- &
	BG_PIDS+=("$!")
	echo "$!" >pid
	run "$FDPASS" recv -b --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: already running as pid $!"
	assert_equal "$(cat pid)" "$!"
}

@test "--pid-file takes over a stale pid file" {
	sh -c 'echo $$ >pid'
	"$FDPASS" recv -b -k --pid-file pid s true >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	assert_equal "$(cat /proc/"$pid"/comm)" "fdpass"
}

@test "--pid-file: a second receiver is refused while the first runs" {
	"$FDPASS" recv -b -k --pid-file pid s true >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	run "$FDPASS" recv -b --pid-file pid s2 true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: already running as pid $pid"
	[ ! -e s2 ]
}

@test "--pid-file removes only the file it made" {
	"$FDPASS" recv -b -k --pid-file pid s true >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	rm pid
	echo other >pid
	kill "$pid"
	wait_until gone "$pid"
	assert_equal "$(cat pid)" "other"
}

# exec_with_pid_file: a recv -b --pid-file pid that became a command, which
# wrote its own pid to cmd.pid; that pid, read from the pid file, in $pid.
exec_with_pid_file() {
	"$FDPASS" recv -b --pid-file pid s sh -c 'echo $$ >cmd.pid; exec sleep 60' >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	"$FDPASS" send -t $WAIT s /dev/null
	wait_until test -s cmd.pid
}

@test "--pid-file stays at the exec, naming the command" {
	exec_with_pid_file
	assert_equal "$(cat cmd.pid)" "$pid"
	assert_equal "$(cat pid)" "$pid"
	[ ! -e s ]
}

@test "--pid-file a command kept is taken over once the command is gone" {
	exec_with_pid_file
	# -t 1: a listener let in would not hold `run` for long.
	run "$FDPASS" recv -b -t 1 --pid-file pid s2 true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: already running as pid $pid"
	kill "$pid"
	wait_until gone "$pid"
	"$FDPASS" recv -b -k --pid-file pid s2 true >recv2.out 2>&1 3>&-
	new=$(cat pid)
	BG_PIDS+=("$new")
	assert_equal "$(cat /proc/"$new"/comm)" "fdpass"
}

@test "--pid-file goes when recv exits without a command" {
	"$FDPASS" recv -b --pid-file pid s >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	"$FDPASS" send -t $WAIT s /dev/null
	wait_until gone "$pid"
	[ ! -e pid ]
	grep -q "/dev/null" recv.out
}

@test "--pid-file goes when the command cannot be run" {
	# Found at start, gone by the exec: recv looks COMMAND up first.
	printf '#!/bin/sh\n' >cmd
	chmod +x cmd
	"$FDPASS" recv -b --pid-file pid s ./cmd >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	rm cmd
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	wait_until gone "$pid"
	[ ! -e pid ]
	grep -q "fdpass: ./cmd: No such file or directory" recv.out
}

@test "--pid-file stays while a command recv waits for runs, and goes after" {
	"$FDPASS" recv -b --pid-file pid s sh -c 'cat pid >seen' >recv.out 2>&1 3>&-
	pid=$(cat pid)
	BG_PIDS+=("$pid")
	"$FDPASS" send -t $WAIT --wait s /dev/null
	wait_until gone "$pid"
	assert_equal "$(cat seen)" "$pid"
	[ ! -e pid ]
}

@test "a SIGHUP ignored at start leaves recv alive, and the command ignores it" {
	bg nohup "$FDPASS" recv s sh -c 'grep "^SigIgn:" /proc/self/status >ign'
	wait_for_socket s
	kill -HUP "$BG"
	kill -HUP "$BG"
	! gone "$BG"
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	# SIGHUP is signal 1: bit 0 of the mask.
	mask=$(awk '{ print $2 }' ign)
	assert_equal "$((0x$mask & 1))" 1
}

@test "a SIGINT ignored at start stays ignored, as in a background job of sh" {
	bg sh -c 'trap "" INT; exec "$FDPASS" recv s sh -c "grep \"^SigIgn:\" /proc/self/status >ign"'
	wait_for_socket s
	kill -INT "$BG"
	! gone "$BG"
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	# SIGINT is signal 2: bit 1 of the mask.
	mask=$(awk '{ print $2 }' ign)
	assert_equal "$((0x$mask & 2))" 2
}

@test "a caught signal still removes the socket file" {
	bg "$FDPASS" recv s true
	wait_for_socket s
	kill -TERM "$BG"
	bg_wait
	assert_equal "$BG_STATUS" 143
	[ ! -e s ]
}

@test "--pid-file does not take over a stale pid file another user could write" {
	sh -c 'echo $$ >pid'
	chmod 666 pid
	run "$FDPASS" recv -b --pid-file pid s true
	assert_failure 1
	assert_output "fdpass: --pid-file pid: exists and is not a pid file of this user's"
}

@test "--truncate passes a FIFO or device as open(2) would, ignoring it" {
	bg "$FDPASS" recv s true
	run "$FDPASS" send -t $WAIT --write --truncate s /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
}

@test "--create keeps its file once the descriptors crossed, though no answer came" {
	bg_peer taker.py <<'PY'
import time
from peer import take_offered
conn = take_offered("s")
time.sleep(60)
PY
	wait_for_socket s
	run "$FDPASS" send -t 1 --write --create s made
	assert_failure 1
	assert_output --partial "no reply from the receiver within 1 s"
	[ -f made ]
}

@test "--create fails at once on a dangling symbolic link, not following it" {
	ln -s nowhere link
	run timeout 5 "$FDPASS" send -t 1 --write --create ./nosuch.sock link
	assert_failure 1
	assert_output "fdpass: open link: not writing through a dangling symbolic link"
	[ ! -e nowhere ]
}

@test "--truncate leaves the file whole when recv cannot find its COMMAND" {
	echo precious >f
	bg "$FDPASS" recv s /nonexistent/cmd
	bg_wait
	assert_equal "$BG_STATUS" 127
	run "$FDPASS" send -t 1 --write --truncate s f
	assert_failure 1
	assert_equal "$(cat f)" "precious"
}

# bats test_tags=valgrind
@test "--truncate leaves the file whole when no descriptor has --at's name" {
	echo precious >f
	bg "$FDPASS" recv --at 3=nosuch s cat
	run "$FDPASS" send -t $WAIT --write --truncate --name other s f
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: they are not what its command takes (--at, --inetd, --ucspi)"
	assert_equal "$(cat f)" "precious"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no descriptor named 'nosuch' for --at 3"
}

@test "--truncate leaves the file whole when --at's name meets unnamed descriptors" {
	echo precious >f
	bg "$FDPASS" recv --at 3=nosuch s cat
	run "$FDPASS" send -t $WAIT --write --truncate s f
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: they are not what its command takes (--at, --inetd, --ucspi)"
	assert_equal "$(cat f)" "precious"
	bg_wait
	assert_equal "$BG_STATUS" 3
}

@test "--truncate leaves the files whole when --inetd cannot place them" {
	echo precious >f
	echo precious >g
	echo precious >h
	bg "$FDPASS" recv --inetd s cat
	run "$FDPASS" send -t $WAIT --write --truncate s f g h
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: they are not what its command takes (--at, --inetd, --ucspi)"
	assert_equal "$(cat f g h)" "precious
precious
precious"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: --inetd takes 1 or 2 descriptors, not 3"
}

# bats test_tags=valgrind
@test "a receiver that asks for the names first gets them before the descriptors" {
	echo precious >f
	bg "$FDPASS" recv --at 3=log s sh -c 'echo new >&3'
	"$FDPASS" send -t $WAIT --write --truncate --name log s f
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat f)" "new"
}
