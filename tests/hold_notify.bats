#!/usr/bin/env bats
# fdpass hold --notify-socket heard by a client nobody here wrote:
# python3-systemd's systemd.daemon.notify, which is libsystemd's
# sd_pid_notify_with_fds, storing and removing as it would under systemd.

load test_helper

setup_file() {
	# The client these tests are about: installed when missing, as root;
	# without it each test skips.
	if ! /usr/bin/python3 -c 'import systemd.daemon' 2>/dev/null &&
		[ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get -oDPkg::Lock::Timeout=600 \
			install -y -qq python3-systemd >/dev/null 2>&1 || true
	fi
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	BG_PIDS=()
	/usr/bin/python3 -c 'import systemd.daemon' 2>/dev/null ||
		skip "needs python3-systemd: sudo apt-get install python3-systemd"
	NOTIFY=$PWD/notify
	echo hello >file
}

# start_holder ARG...: starts a holder at hs that also hears $NOTIFY, with
# ARG... among its options; waits until it is ready.  Its pid is $HOLDER,
# its messages are in bg.err.
start_holder() {
	"$FDPASS" hold --ready-fd 4 --notify-socket "$NOTIFY" "$@" hs \
		>bg.out 2>bg.err 3>&- 4>ready &
	HOLDER=$!
	BG_PIDS+=("$HOLDER")
	wait_until test -s ready
}

# What notify runs: sys.argv[1] is the text, the rest files to send open.
NOTIFY_PY='
import os, sys, systemd.daemon
fds = [os.open(f, os.O_RDONLY) for f in sys.argv[2:]]
sys.exit(0 if systemd.daemon.notify(sys.argv[1], fds=fds) else 1)'

# notify TEXT [FILE...]: sends TEXT to $NOTIFY with the FILEs opened for
# reading, as sd_pid_notify_with_fds does.
notify() {
	NOTIFY_SOCKET=$NOTIFY /usr/bin/python3 -c "$NOTIFY_PY" "$@"
}

# notify_as_nobody TEXT [FILE...]: notify, as user and group nobody.
notify_as_nobody() {
	NOTIFY_SOCKET=$NOTIFY setpriv --reuid=65534 --regid=65534 \
		--clear-groups /usr/bin/python3 -c "$NOTIFY_PY" "$@"
}

# listed NAME: true when the holder at hs holds something under NAME.
listed() {
	"$FDPASS" hold --list hs | grep -q "^$1 "
}

not_listed() {
	! listed "$1"
}

# holds_fds N: true when the holder has N descriptors open, counted anew
# each time wait_until asks.
holds_fds() {
	[ "$(count_fds "$HOLDER")" -eq "$1" ]
}

@test "FDSTORE=1 with FDNAME= stores, and recv --fetch hands it on" {
	start_holder
	notify "FDSTORE=1
FDNAME=web" file
	wait_until listed web
	run "$FDPASS" recv --fetch web hs cat
	assert_success
	assert_output hello
}

@test "FDSTORE=1 without FDNAME= stores under systemd's name, stored" {
	start_holder
	notify "READY=1
FDSTORE=1" file
	wait_until listed stored
	run "$FDPASS" hold --list hs
	assert_output --regexp "^stored regular $PWD/file "
}

@test "FDSTOREREMOVE=1 with FDNAME= removes what the name holds" {
	start_holder
	notify "FDSTORE=1
FDNAME=web" file
	notify "FDSTORE=1
FDNAME=db" /etc/hostname
	wait_until listed db
	notify "FDSTOREREMOVE=1
FDNAME=web"
	wait_until not_listed web
	listed db
}

@test "an invalid FDNAME= is refused, its descriptors disposed of" {
	start_holder
	local before
	before=$(count_fds "$HOLDER")
	notify "FDSTORE=1
FDNAME=a:b" file
	notify "FDSTORE=1
FDNAME=good" file
	wait_until listed good
	run "$FDPASS" hold --list hs
	assert_output --regexp "^good "
	refute_output --partial "a:b"
	grep -q "^fdpass: hold hs: notify from pid [0-9]*: FDNAME= is not a valid name$" bg.err
	wait_until holds_fds $((before + 1))
}

@test "descriptors without FDSTORE=1 are disposed of, not held" {
	start_holder
	local before
	before=$(count_fds "$HOLDER")
	notify "READY=1
FDNAME=web" file
	wait_until grep -q "notify from pid [0-9]*: descriptors without FDSTORE=1, disposed of" bg.err
	wait_until holds_fds "$before"
	run "$FDPASS" hold --list hs
	assert_success
	assert_output ""
}

@test "a stored pipe is dropped once its writer closes" {
	start_holder
	mkfifo go
	NOTIFY_SOCKET=$NOTIFY bg_peer writer.py <<'PY'
import os, systemd.daemon
r, w = os.pipe()
systemd.daemon.notify("FDSTORE=1\nFDNAME=pipe", fds=[r])
open("go").read()
PY
	wait_until listed pipe
	: >go
	wait_until not_listed pipe
}

@test "with FDPOLL=0 a stored pipe is kept past its writer's close" {
	start_holder
	NOTIFY_SOCKET=$NOTIFY /usr/bin/python3 -c '
import os, systemd.daemon
r, w = os.pipe()
systemd.daemon.notify("FDSTORE=1\nFDNAME=kept\nFDPOLL=0", fds=[r])
r2, w2 = os.pipe()
systemd.daemon.notify("FDSTORE=1\nFDNAME=watched", fds=[r2])
systemd.daemon.notify("FDSTORE=1\nFDNAME=marker", fds=[os.open("file", os.O_RDONLY)])'
	# Both pipes hung up.  Once marker is held, so was watched before it,
	# and the one watched going shows that they were looked at.
	wait_until listed marker
	wait_until not_listed watched
	listed kept
}

@test "another user is refused on an abstract notify socket, and the holder serves on" {
	NOTIFY=$(abstract_name)
	start_holder
	notify_as_nobody "FDSTORE=1
FDNAME=theirs" /etc/hostname
	notify "FDSTORE=1
FDNAME=ours" file
	wait_until listed ours
	not_listed theirs
	grep -q "^fdpass: hold hs: notify from pid [0-9]*: uid 65534: not allowed$" bg.err
	run "$FDPASS" recv --fetch ours hs cat
	assert_output hello
}

@test "--allow-uid lets another user store on the notify socket" {
	NOTIFY=$(abstract_name)
	start_holder --allow-uid 65534
	notify_as_nobody "FDSTORE=1
FDNAME=theirs" /etc/hostname
	wait_until listed theirs
	run "$FDPASS" recv --fetch theirs hs cat
	assert_output "$(cat /etc/hostname)"
}

@test "an @abstract notify socket stores as a path does" {
	NOTIFY=$(abstract_name)
	start_holder
	notify "FDSTORE=1
FDNAME=web" file
	wait_until listed web
}

@test "a store that would pass --max-fds is refused whole" {
	start_holder --max-fds 2
	notify "FDSTORE=1
FDNAME=one" file
	notify "FDSTORE=1
FDNAME=two" file /etc/hostname
	notify "FDSTORE=1
FDNAME=three" /etc/hostname
	wait_until listed three
	not_listed two
	grep -q "notify from pid [0-9]*: that many more would pass --max-fds" bg.err
}

@test "a datagram longer than systemd takes is refused" {
	start_holder
	NOTIFY_SOCKET=$NOTIFY /usr/bin/python3 -c '
import os, systemd.daemon
systemd.daemon.notify("FDSTORE=1\nFDNAME=long\nX=" + "x" * 5000, fds=[os.open("file", os.O_RDONLY)])
systemd.daemon.notify("FDSTORE=1\nFDNAME=short", fds=[os.open("file", os.O_RDONLY)])'
	wait_until listed short
	not_listed long
	grep -q "notify from pid [0-9]*: longer than 4096 bytes (MSG_TRUNC)" bg.err
}

@test "a datagram with a NUL byte in it is refused" {
	start_holder
	NOTIFY_SOCKET=$NOTIFY /usr/bin/python3 -c '
import os, socket, systemd.daemon
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(os.environ["NOTIFY_SOCKET"])
socket.send_fds(s, [b"FDSTORE=1\nFDNAME=nul\0"], [os.open("file", os.O_RDONLY)])
systemd.daemon.notify("FDSTORE=1\nFDNAME=good", fds=[os.open("file", os.O_RDONLY)])'
	wait_until listed good
	not_listed nul
	grep -q "notify from pid [0-9]*: a NUL byte in it$" bg.err
}

@test "200 stores and removals leave the holder's descriptors as they were" {
	start_holder
	local before
	before=$(count_fds "$HOLDER")
	NOTIFY_SOCKET=$NOTIFY /usr/bin/python3 -c '
import os, systemd.daemon
for i in range(200):
    fd = os.open("file", os.O_RDONLY)
    systemd.daemon.notify("FDSTORE=1\nFDNAME=cycle", fds=[fd])
    os.close(fd)
    systemd.daemon.notify("FDSTOREREMOVE=1\nFDNAME=cycle")
systemd.daemon.notify("FDSTORE=1\nFDNAME=end", fds=[os.open("file", os.O_RDONLY)])'
	wait_until listed end
	not_listed cycle
	wait_until holds_fds $((before + 1))
	[ ! -s bg.err ]
}

@test "SIGTERM removes the notify socket file with the holder's" {
	start_holder
	test -S notify
	kill "$HOLDER"
	wait_until gone "$HOLDER"
	[ ! -e notify ]
	[ ! -e hs ]
}

@test "a notify socket another holder hears is in use, and stays" {
	start_holder
	run "$FDPASS" hold --notify-socket "$NOTIFY" hs2
	assert_failure 1
	assert_output "fdpass: listen $NOTIFY: in use by another process"
	[ ! -e hs2 ]
	notify "FDSTORE=1
FDNAME=web" file
	wait_until listed web
}

@test "a stale notify socket file is replaced" {
	/usr/bin/python3 -c '
import socket
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("notify")'
	test -S notify
	start_holder
	notify "FDSTORE=1
FDNAME=web" file
	wait_until listed web
}

@test "SIGHUP: the notify socket goes across, heard, and its file removed at exit" {
	start_holder
	notify "FDSTORE=1
FDNAME=before" file
	wait_until listed before
	kill -HUP "$HOLDER"
	wait_until grep -qz "^FDPASS_HOLD_STATE=" /proc/"$HOLDER"/environ
	notify "FDSTORE=1
FDNAME=after" file
	wait_until listed after
	listed before
	kill -HUP "$HOLDER"
	wait_until grep -qz "^FDPASS_HOLD_STATE=" /proc/"$HOLDER"/environ
	notify "FDSTOREREMOVE=1
FDNAME=before"
	wait_until not_listed before
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e "$NOTIFY" ]
	assert [ ! -e hs ]
}

@test "a datagram the holder has no number for waits, and a refused lingering socket in it stalls nothing" {
	NOTIFY=$(abstract_name)
	start_holder
	# At its limit, the holder could give the datagram's descriptor no
	# number, and the kernel would close it in the holder, waiting.
	fd=0
	while [ -e "/proc/$HOLDER/fd/$fd" ]; do fd=$((fd + 1)); done
	hard=$(prlimit --pid "$HOLDER" --nofile --raw --noheadings | awk '{print $3}')
	prlimit --pid "$HOLDER" --nofile="$fd:"
	cat "$BATS_TEST_DIRNAME/peer.py" - >lingerer.py <<'PY'
import sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
far = send_lingering(sock, [b"FDSTORE=1\nFDNAME=theirs"], 1, 0,
                     "\0" + sys.argv[1][1:])
say_sent_and_stay()
PY
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 - "$NOTIFY" <lingerer.py >lingerer.out 3>&- &
	BG_PIDS+=($!)
	wait_until grep -q "it waits" bg.err
	prlimit --pid "$HOLDER" --nofile="$hard:"
	wait_until grep -q "uid 65534: not allowed" bg.err
	SECONDS=0
	run "$FDPASS" hold -t 5 --list hs
	assert_success
	assert [ "$SECONDS" -lt 5 ]
}
