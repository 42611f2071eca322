#!/usr/bin/env bats
# Bad input: a clear message, a meaningful exit status, nothing lost.

load test_helper
# run -126 and run -127 expect those statuses.
bats_require_minimum_version 1.5.0

@test "no arguments: usage on stderr, status 2" {
	run "$FDPASS"
	assert_failure 2
	assert_output --partial "usage: fdpass COMMAND"
}

@test "an unknown command is a usage error" {
	run "$FDPASS" sned s
	assert_failure 2
	assert_line --index 0 "fdpass: unknown command 'sned'"
}

@test "a prefix of a command is not accepted" {
	run "$FDPASS" se s
	assert_failure 2
	assert_line --index 0 "fdpass: unknown command 'se'"
}

@test "an unknown option is a usage error naming it" {
	run "$FDPASS" send --bogus s
	assert_failure 2
	assert_line --index 0 "fdpass: unknown option '--bogus'"
	assert_line --index 1 "Try 'fdpass send --help'."
}

@test "an option missing its argument is a usage error" {
	run "$FDPASS" recv --count
	assert_failure 2
	assert_line --index 0 "fdpass: option '--count' needs an argument"
}

@test "missing SOCKET is a usage error" {
	run "$FDPASS" send
	assert_failure 2
	assert_line --index 0 "fdpass: missing SOCKET"
}

@test "--help and --version succeed on stdout" {
	run "$FDPASS" send --help
	assert_success
	assert_line --index 0 --partial "usage: fdpass send"
	run "$FDPASS" recv --help
	assert_success
	assert_line --index 0 --partial "usage: fdpass recv"
	run "$FDPASS" --version
	assert_success
	assert_output --regexp '^fdpass [0-9]+\.[0-9]+\.[0-9]+$'
}

# bats test_tags=valgrind
@test "sending to a socket that does not exist fails with the reason" {
	run "$FDPASS" send -t 1 nowhere /dev/null
	assert_failure 1
	assert_output "fdpass: connect nowhere: no listener appeared within --timeout"
}

@test "sending to a file that is not a socket says so at once" {
	touch plain
	mkfifo fifo
	mkdir dir
	ln -s plain link
	for path in plain fifo dir link; do
		start=${EPOCHREALTIME/./}
		run timeout 30 "$FDPASS" send "$path" /dev/null
		ms=$(((${EPOCHREALTIME/./} - start) / 1000))
		assert_failure 1
		assert_output "fdpass: connect $path: not a socket"
		# Not the 5 s that send waits for a listener to appear.
		[ "$ms" -lt 2000 ]
	done
}

@test "recv --connect to a file that is not a socket says so at once" {
	touch plain
	run timeout 3 "$FDPASS" recv --connect plain cat
	assert_failure 1
	assert_output "fdpass: connect plain: not a socket"
}

@test "listening where a regular file is refuses and keeps the file" {
	echo precious >plain
	run "$FDPASS" recv plain cat
	assert_failure 1
	assert_output "fdpass: listen plain: exists and is not a socket"
	assert_equal "$(cat plain)" "precious"
}

@test "listening where a symbolic link is refuses and follows nothing" {
	ln -s target link
	run "$FDPASS" recv link cat
	assert_failure 1
	assert_output "fdpass: listen link: is a symbolic link"
	[ ! -e target ]
	[ -L link ]
}

@test "a socket path too long for sun_path is a usage error" {
	run "$FDPASS" recv "$(printf 'x%.0s' {1..120})" cat
	assert_failure 2
	assert_output --partial "longer than 107 bytes"
}

@test "a non-numeric --fd is a usage error" {
	run "$FDPASS" send --fd abc s
	assert_failure 2
	assert_output --partial "fdpass: --fd 'abc': not a number"
}

@test "--fd of a descriptor that is not open fails" {
	run "$FDPASS" send --fd 99 s
	assert_failure 1
	assert_output "fdpass: --fd 99: Bad file descriptor"
}

@test "--fd of a descriptor closed at start fails, though fdpass then opens one there" {
	run "$FDPASS" send -t 1 --unix-listen u --fd 3 ./nosuch.sock 3>&-
	assert_failure 1
	assert_output "fdpass: --fd 3: Bad file descriptor"
	[ ! -e u ]
}

@test "--fd 0 with standard input closed at start fails" {
	run bash -c '"$FDPASS" send -t 1 --fd 0 ./nosuch.sock <&-'
	assert_failure 1
	assert_output "fdpass: --fd 0: standard input is closed"
}

@test "a negative --at is a usage error" {
	run "$FDPASS" recv --at -1 s cat
	assert_failure 2
	assert_output --partial "fdpass: --at '-1': too small"
}

@test "--at naming a number twice is a usage error" {
	run "$FDPASS" recv --at 3,3 s cat
	assert_failure 2
	assert_line --index 0 "fdpass: --at names 3 twice"
}

@test "--at without COMMAND is a usage error" {
	run "$FDPASS" recv --at 3 s
	assert_failure 2
	assert_line --index 0 "fdpass: --at, --listen-fds, --inetd and --ucspi need a COMMAND"
}

@test "--name with ':' is a usage error" {
	run "$FDPASS" send --name a:b s /dev/null
	assert_failure 2
	assert_output --partial "--name 'a:b'"
}

@test "more names than descriptors is a usage error" {
	run "$FDPASS" send -n a -n b s /dev/null
	assert_failure 2
	assert_line --index 0 "fdpass: --name given 2 times, for 1 descriptor"
	assert_line --index 1 "Try 'fdpass send --help'."
}

# bats test_tags=valgrind
@test "a COMMAND gone when the sender comes: 127, and send says so" {
	printf '#!/bin/sh\n' >cmd
	chmod +x cmd
	bg "$FDPASS" recv s ./cmd
	wait_for_socket s
	rm cmd
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver could not run its command (status 127)"
	bg_wait
	assert_equal "$BG_STATUS" 127
	assert_equal "$(cat bg.err)" "fdpass: ./cmd: No such file or directory"
}

@test "a COMMAND that can no longer be executed when the sender comes: 126" {
	printf '#!/bin/sh\n' >cmd
	chmod +x cmd
	bg "$FDPASS" recv s ./cmd
	wait_for_socket s
	chmod -x cmd
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver could not run its command (status 126)"
	bg_wait
	assert_equal "$BG_STATUS" 126
	assert_equal "$(cat bg.err)" "fdpass: ./cmd: Permission denied"
}

@test "recv exits with the command's status" {
	bg "$FDPASS" recv s sh -c 'exit 42'
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 42
}

# bats test_tags=valgrind
@test "more descriptors than --at places: refused (3), none handed on" {
	bg "$FDPASS" recv --at 3 s sh -c 'echo ran'
	run "$FDPASS" send -t $WAIT s /dev/null /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: they are not what its command takes (--at, --inetd, --ucspi)"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: received 2 descriptors, but --at places 1"
	assert_equal "$(cat bg.out)" ""
}

@test "more descriptors than --count: refused" {
	bg "$FDPASS" recv --count 1 s sh -c 'echo ran'
	run "$FDPASS" send -t $WAIT s /dev/null /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: it waits for another number of descriptors than 2"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: more descriptors than expected"
	assert_equal "$(cat bg.out)" ""
}

@test "an fdpass sender with fewer descriptors than --count: refused" {
	bg "$FDPASS" recv --count 3 s sh -c 'echo ran'
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: it waits for another number of descriptors than 1"
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: expected 3 descriptors, got 1"
}

@test "a plain sender that leaves early short of --count: refused" {
	bg "$FDPASS" recv --count 3 s sh -c 'echo ran'
	peer <<'PY'
from peer import *
socket.send_fds(connect("s"), [b"x"], null_fds(1))
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: connection closed after 1 of 3 descriptors"
}

@test "recv --connect to a sender that sends nothing fails clearly" {
	bg_peer silent.py <<'PY'
from peer import *
s = listen("s")
c, _ = s.accept()
c.close()
os.unlink("s")
PY
	wait_for_socket s
	run "$FDPASS" recv --connect s cat
	assert_failure 1
	assert_output "fdpass: receive on s: connection closed before anything arrived"
	bg_wait
}

@test "data with a NUL byte cannot go into FDPASS_DATA" {
	printf 'a\0b' >nul
	bg "$FDPASS" recv s sh -c 'echo ran'
	run "$FDPASS" send -t $WAIT --data-file nul s /dev/null
	assert_failure 1
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: data for COMMAND contains a NUL byte"
}

@test "--create without a write mode is a usage error" {
	run "$FDPASS" send --create s f
	assert_failure 2
	assert_line --index 0 "fdpass: --create and --truncate need --write, --append or --rdwr"
	[ ! -e f ]
}

@test "a no-argument option given a value says so" {
	run "$FDPASS" recv --once=1 s
	assert_failure 2
	assert_line --index 0 "fdpass: option '--once' takes no argument"
}

@test "options that cannot apply are refused, not ignored" {
	run "$FDPASS" recv -c --pid-file pid s
	assert_failure 2
	assert_line --index 0 "fdpass: --keep-listening, --background, --ready-fd and --pid-file need --listen"
	run "$FDPASS" recv --stdin -l -k cat
	assert_failure 2
	assert_line --index 0 "fdpass: --stdin takes no --listen, --seqpacket or --dgram"
	run "$FDPASS" recv -c --dgram s
	assert_failure 2
	assert_line --index 0 "fdpass: --connect needs a connected socket, not --dgram"
	run "$FDPASS" send --dgram --peer-uid 0 s /dev/null
	assert_failure 2
	assert_line --index 0 "fdpass: --allow-uid, --allow-gid, --peer-uid, --peer-gid and --peer-pid need a connected socket, not --dgram or --notify-fdstore"
	[ ! -e pid ]
}

@test "send's --allow-uid and --allow-gid with --dgram are usage errors: nothing is checked there" {
	run "$FDPASS" send --dgram --allow-uid 1 s /dev/null
	assert_failure 2
	assert_line --index 0 "fdpass: --allow-uid, --allow-gid, --peer-uid, --peer-gid and --peer-pid need a connected socket, not --dgram or --notify-fdstore"
	run "$FDPASS" send --notify-fdstore x --allow-gid 1 /dev/null
	assert_failure 2
	assert_line --index 0 "fdpass: --allow-uid, --allow-gid, --peer-uid, --peer-gid and --peer-pid need a connected socket, not --dgram or --notify-fdstore"
}

@test "a COMMAND with no descriptor to run on is refused" {
	bg "$FDPASS" recv s sh -c 'echo ran'
	peer <<'PY'
from peer import *
connect("s").sendall(header(0, data_len=2) + b"hi")
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: no descriptors arrived for sh"
	assert_equal "$(cat bg.out)" ""
}

@test "--at above the descriptor limit is a usage error" {
	ulimit -n 1024
	run "$FDPASS" recv --at 50000 s true
	assert_failure 2
	assert_line --index 0 "fdpass: --at 50000: above the descriptor limit of 1024 (see ulimit -n)"
	assert_line --index 1 "Try 'fdpass recv --help'."
	[ ! -e s ]
}

@test "a placement that fails is the sender's failure too" {
	ulimit -n 8192
	bg "$FDPASS" recv --at 5000 s true
	wait_for_socket s
	# Lowered after the check at start, so that placing fails.
	prlimit --pid "$BG" --nofile=1024:1024
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver took the descriptors but could not put them in place or print them"
	bg_wait
	assert_equal "$BG_STATUS" 1
}

@test "an unknown host is a runtime failure, not a usage error" {
	run "$FDPASS" send --tcp-connect no-such-host.invalid:80 s
	assert_failure 1
	assert_output --partial "fdpass: --tcp-connect no-such-host.invalid:80: "
}

@test "an option after SOCKET is a usage error before anything listens" {
	run "$FDPASS" recv s --json
	assert_failure 2
	assert_line --index 0 "fdpass: '--json' after SOCKET: options go before it (a COMMAND that begins with '-' goes after '--')"
	[ ! -e s ]
}

@test "a COMMAND that begins with '-' may follow '--'" {
	mkdir bin
	printf '#!/bin/sh\necho dashed\n' >bin/-dashed
	chmod +x bin/-dashed
	bg env PATH="$PWD/bin:$PATH" "$FDPASS" recv s -- -dashed
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "dashed"
}

@test "a malformed number says so, with the pointer to --help" {
	run "$FDPASS" send --fd /tmp/x s
	assert_failure 2
	assert_line --index 0 "fdpass: --fd '/tmp/x': not a number"
	assert_line --index 1 "Try 'fdpass send --help'."
}

@test "--timeout refuses no time, a negative time, and more than a year" {
	run "$FDPASS" recv -t 0.000 s
	assert_failure 2
	assert_line --index 0 "fdpass: --timeout '0.000': too small (allowed: 0.001 to 31536000)"
	run "$FDPASS" send -t -0.5 s
	assert_failure 2
	assert_line --index 0 "fdpass: --timeout '-0.5': too small (allowed: 0.001 to 31536000)"
	run "$FDPASS" send -t 31536000.001 s
	assert_failure 2
	assert_line --index 0 "fdpass: --timeout '31536000.001': too large (allowed: 0.001 to 31536000)"
}

@test "--timeout takes only decimal seconds" {
	for t in 1e3 0x10 .5. 1,5 '' ' 1' 1s inf; do
		run "$FDPASS" send -t "$t" s
		assert_failure 2
		assert_line --index 0 "fdpass: --timeout '$t': not a number of seconds"
	done
}

@test "range errors point to --help" {
	run "$FDPASS" send -t 0 s
	assert_failure 2
	assert_line --index 0 "fdpass: --timeout '0': too small (allowed: 0.001 to 31536000)"
	assert_line --index 1 "Try 'fdpass send --help'."
	run "$FDPASS" send --tcp-listen 99999 s
	assert_failure 2
	assert_line --index 0 "fdpass: --tcp-listen 99999: port must be 0 to 65535"
	assert_line --index 1 "Try 'fdpass send --help'."
}

@test "recv --timeout with no sender says so" {
	run "$FDPASS" recv -t 1 s true
	assert_failure 1
	assert_output "fdpass: listen s: no sender came within --timeout"
}

@test "-n means --name, and recv has no -n" {
	run "$FDPASS" recv -n 1 s
	assert_failure 2
	assert_line --index 0 "fdpass: unknown option '-n'"
}

@test "recv looks COMMAND up at start: 127 when it is not found" {
	run -127 "$FDPASS" recv -t 1 s no-such-command-here
	assert_failure 127
	assert_output "fdpass: no-such-command-here: not found"
	[ ! -e s ]
}

@test "recv looks COMMAND up at start: 126 when it cannot be executed" {
	touch not-executable
	run -126 "$FDPASS" recv -t 1 s ./not-executable
	assert_failure 126
	assert_output "fdpass: ./not-executable: Permission denied"
	[ ! -e s ]
}

@test "recv looks COMMAND up at start: 126 for a directory in PATH" {
	mkdir -p bin/cmd
	PATH="$PWD/bin:$PATH" run -126 "$FDPASS" recv -t 1 s cmd
	assert_failure 126
	assert_output "fdpass: cmd: Permission denied"
}

@test "recv finds COMMAND in PATH past a directory of that name" {
	mkdir -p first/cmd second
	printf '#!/bin/sh\necho ran\n' >second/cmd
	chmod +x second/cmd
	PATH="$PWD/first:$PWD/second:$PATH" bg "$FDPASS" recv s cmd
	"$FDPASS" send -t $WAIT s /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "ran"
}

@test "--listen-fds of a descriptor closed at start fails, though fdpass then opens one there" {
	bg "$FDPASS" recv -t $WAIT s
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" send -t 2 --tcp-listen 127.0.0.1:0 --listen-fds s 3</dev/null 4>&-' "$FDPASS"
	assert_failure 1
	assert_output "fdpass: --listen-fds: descriptor 4: Bad file descriptor"
}
