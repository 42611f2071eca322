#!/usr/bin/env bats
# recv's output without a COMMAND: a format a script can trust whatever a
# sender sends, and bounded memory however much it sends.

load test_helper

@test "data that looks like a descriptor line stays a data line" {
	bg "$FDPASS" recv s
	run "$FDPASS" send -t $WAIT --data $'7 regular secret /etc/shadow - -\nfd 1 x - - - -\n' s /dev/null
	assert_success
	assert_output ""
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 'fd 0 char - /dev/null - -'
	assert_line --index 1 'data 7\sregular\ssecret\s/etc/shadow\s-\s-\n'
	assert_line --index 2 'data fd\s1\sx\s-\s-\s-\s-\n'
	assert_line --index 3 'end'
}

@test "each transfer of --count is numbered from 0 and closed by end" {
	bg "$FDPASS" recv --count 3 s
	peer <<'PY'
from peer import *
s = connect("s")
for paths, data in ((["/dev/null", "/dev/zero"], b"x"), (["/dev/null"], b"\0")):
    fds = [os.open(p, os.O_RDONLY) for p in paths]
    socket.send_fds(s, [data], fds)
    for fd in fds:
        os.close(fd)
PY
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.out
	assert_output "fd 0 char - /dev/null - -
fd 1 char - /dev/zero - -
data x
end
fd 0 char - /dev/null - -
end"
}

@test "data breaks into lines after each newline, whatever the reads" {
	printf 'one\ntwo\n\nno newline' >data
	bg "$FDPASS" recv s
	run "$FDPASS" send -t $WAIT --data-file data s /dev/null
	assert_success
	bg_wait
	run cat bg.out
	assert_output 'fd 0 char - /dev/null - -
data one\n
data two\n
data \n
data no\snewline
end'
}

@test "data lines, each decoded and joined, give back the data" {
	head -c 300000 /dev/urandom >big
	bg "$FDPASS" recv s
	run "$FDPASS" send -t $WAIT --data-file big s /dev/null
	assert_success
	bg_wait
	assert_equal "$(tail -n 1 bg.out)" "end"
	# Decoding the lines joined, not each alone: no escape runs on into
	# the next line, as a NUL's "\0" before a digit would.
	decode_data bg.out >got
	cmp big got
}

@test "a transfer cut short in its data has no end line" {
	bg "$FDPASS" recv s
	peer <<'PY'
from peer import *
s = connect("s")
fd = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(s, [header(1, 0, 100)], [fd])
s.sendall(b"cut\nshort")
s.close()
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.err)" "fdpass: receive on s: connection closed in mid-transfer"
	run cat bg.out
	assert_output 'fd 0 char - /dev/null - -
data cut\n
data short'
}

# peak_rss_kb: the most memory, in KiB, the process /usr/bin/time watched
# used, as it wrote it to rss.
peak_rss_kb() {
	tail -n 1 rss
}

# bats test_tags=rss
@test "data the last transfer brings streams out, however large" {
	head -c 20000000 /dev/zero | tr '\0' x >big
	bg /usr/bin/time -o rss -f %M "$FDPASS" recv s
	# Each byte is looked at to be encoded: time for a loaded machine.
	run "$FDPASS" send -t $((WAIT * 3)) --data-file big s /dev/null
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(tail -n 1 bg.out)" "end"
	[ "$(peak_rss_kb)" -lt 10000 ] || fail "recv used $(peak_rss_kb) KiB"
}

@test "-k refuses more data than it holds for a record put out whole" {
	head -c 30000000 /dev/zero >big
	bg "$FDPASS" recv -k s
	run "$FDPASS" send -t $WAIT --data-file big s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver refused the transfer: it cannot take 30000000 bytes of data"
	wait_until grep -q 'more than 65536 bytes of data for --keep-listening' bg.err
	assert_equal "$(cat bg.out)" ""
}

@test "-k still prints a transfer with as much data as it holds" {
	head -c 65536 /dev/zero >data
	bg "$FDPASS" recv -k s
	run "$FDPASS" send -t $WAIT --data-file data s /dev/null
	assert_success
	wait_until grep -qx end bg.out
	assert_equal "$(grep -c '^data ' bg.out)" 64
}

# bats test_tags=rss
@test "--count refuses data-only messages past what it holds, in bounded memory" {
	bg /usr/bin/time -o rss -f %M "$FDPASS" recv --count 2 s
	peer <<'PY'
from peer import *
s = connect("s")
fd = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(s, [b"x"], [fd])
# In pieces smaller than recv reads, as they come: data-only messages.
try:
    for _ in range(50000):
        s.sendall(b"\0" * 1000)
        time.sleep(0.0001)
except OSError:
    pass
PY
	bg_wait
	assert_equal "$BG_STATUS" 3
	# Or, where recv fell behind and its buffer filled, a message too long.
	run cat bg.err
	assert_output --regexp '^fdpass: receive on s: (more than 65536 bytes of data for --count|a plain message longer than 65536 bytes)$'
	assert_equal "$(cat bg.out)" ""
	[ "$(peak_rss_kb)" -lt 10000 ] || fail "recv used $(peak_rss_kb) KiB"
}

@test "--ready-fd 1 without a COMMAND is a usage error: stdout is where recv prints" {
	run "$FDPASS" recv -t 1 --ready-fd 1 s
	assert_failure 2
	assert_line --index 0 "fdpass: --ready-fd 1 is standard output, where recv prints: it needs a COMMAND"
	[ ! -e s ]
}

@test "--at too near the descriptor limit to place is refused at start" {
	# Placing moves the descriptor, the reply socket and recv's copy of
	# stderr above the highest target first: --at 61 needs 62 to 64.
	run bash -c 'ulimit -n 64 && exec "$FDPASS" recv -t 1 --at 61 s cat'
	assert_failure 2
	assert_line --index 0 "fdpass: --at 61: too near the descriptor limit of 64: placing 1 descriptor there needs 3 free numbers above it (see ulimit -n)"
	[ ! -e s ]
}

@test "--at as near the descriptor limit as placing allows is placed" {
	bg bash -c 'ulimit -n 300 && exec "$FDPASS" recv --at 296 s cat /proc/self/fd/296'
	echo placed >a
	run "$FDPASS" send -t $WAIT s a
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "placed"
}

@test "recv printing to a full disk says so once, with the error, and the sender learns it" {
	bg sh -c 'exec "$FDPASS" recv s >/dev/full'
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver took the descriptors but could not put them in place or print them"
	bg_wait
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.err)" "fdpass: write error on standard output: No space left on device"
}

# bg_recv_to_gone_reader ARG...: recv ARG... in the background as bg
# starts it, $BG being recv, printing to a pipe whose reader has gone,
# with SIGPIPE as a shell leaves it.
bg_recv_to_gone_reader() {
	bg /usr/bin/python3 -c '
import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execv(os.environ["FDPASS"], ["fdpass", "recv"] + sys.argv[1:])' "$@"
}

@test "recv whose reader has gone says so, and the sender learns it was not printed" {
	# As after recv S | head -1: the pipe's reader gone before recv prints.
	bg_recv_to_gone_reader s
	run "$FDPASS" send -t $WAIT --data hi s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver took the descriptors but could not put them in place or print them"
	bg_wait
	assert_equal "$BG_STATUS" 1
	assert_equal "$(cat bg.err)" "fdpass: write error on standard output: Broken pipe"
}

@test "a -k child whose reader has gone says so, and the sender learns it" {
	bg_recv_to_gone_reader -k s
	run "$FDPASS" send -t $WAIT s /dev/null
	assert_failure 1
	assert_output "fdpass: send to s: the receiver took the descriptors but could not put them in place or print them"
	wait_until grep -q "Broken pipe" bg.err
	assert_equal "$(cat bg.err)" "fdpass: write error on standard output: Broken pipe"
}

@test "a receiver that hangs up with all sent and no word is not said to have taken nothing" {
	run peer <<'PY'
from peer import *
import subprocess
sock = listen("s")
send = subprocess.Popen([os.environ["FDPASS"], "send", "s", "/dev/null"],
                        stderr=subprocess.PIPE, text=True)
conn, _ = sock.accept()
conn.recv(100)
conn.sendall(b"FDPR\x04\0\0\0")
conn.recv(100)
time.sleep(0.2)
conn.close()
print(send.wait(), send.stderr.read().strip())
PY
	assert_output "1 fdpass: send to s: the receiver hung up without saying whether it took the descriptors"
}

# recv_stdin_after PYTHON: runs recv --stdin on a socket pair whose other
# end has had the snippet PYTHON (with s the end, fd a descriptor of
# /dev/null) run on it, and then closed: all of it waits there before
# recv reads a byte.  Prints recv's status; its output is in out, err.
recv_stdin_after() {
	peer - "$1" <<'PY'
import os, socket, subprocess, sys
s, theirs = socket.socketpair()
fd = os.open("/dev/null", os.O_RDONLY)
exec(sys.argv[2])
s.close()
with open("out", "wb") as out, open("err", "wb") as err:
    print(subprocess.call([os.environ["FDPASS"], "recv", "--stdin"],
                          stdin=theirs, stdout=out, stderr=err))
PY
}

@test "a plain message with more data than recv reads at once is refused, not cut" {
	run recv_stdin_after 'socket.send_fds(s, [b"x" * 100000], [fd])'
	assert_output 3
	assert_equal "$(cat err)" "fdpass: receive on stdin: a plain message longer than 65536 bytes"
	assert_equal "$(cat out)" ""
}

@test "a plain message of 65536 bytes, no more, is all printed" {
	run recv_stdin_after 'socket.send_fds(s, [b"x" * 65536], [fd])'
	assert_output 0
	assert_equal "$(cat err)" ""
	assert_equal "$(decode_data out | wc -c)" 65536
}

@test "a second plain message that no --count asked for is reported, not dropped" {
	run recv_stdin_after 'socket.send_fds(s, [b"\0"], [fd]); socket.send_fds(s, [b"\0"], [fd])'
	assert_output 3
	assert_equal "$(cat err)" "fdpass: receive on stdin: more came after the transfer (see --count)"
	assert_equal "$(cat out)" ""
}

@test "data a plain sender writes after its message is reported, not dropped" {
	run recv_stdin_after 'socket.send_fds(s, [b"\0"], [fd]); s.sendall(b"late")'
	assert_output 3
	assert_equal "$(cat err)" "fdpass: receive on stdin: more came after the transfer (see --count)"
}
