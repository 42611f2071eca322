#!/usr/bin/env bats
# fdpass hold across SIGHUP, which execs the holder anew at its path
# keeping every entry, its socket and its pid file; and the holder backed
# by a service manager: mirroring into its fd store (NOTIFY_SOCKET) and
# taking back what LISTEN_FDS hands it.

load test_helper

# start_holder [FDPASS] [OPTION...]: starts a holder on $PWD/hs with
# --pid-file hp, by $FDPASS unless a path is given first; $HOLDER is its
# pid once the pid file names it.
start_holder() {
	local bin=$FDPASS
	if [ "${1#/}" != "$1" ]; then
		bin=$1
		shift
	fi
	bg "$bin" hold --pid-file "$PWD/hp" "$@" "$PWD/hs"
	HOLDER=$BG
	wait_until test -s hp
}

# restarted PID: true once process PID has exec'd a holder that took over
# (its initial environment names the state it was handed).
restarted() {
	grep -qz "^FDPASS_HOLD_STATE=" /proc/"$1"/environ
}

# serving PID N: true when holder PID serves N clients (a thread each).
serving() {
	local tasks=(/proc/"$1"/task/*)
	[ "${#tasks[@]}" -eq $(($2 + 1)) ]
}

# own_copy DIR: a copy of the fdpass under test at DIR/fdpass, to replace.
own_copy() {
	mkdir -p "$1"
	cp "${FDPASS_REAL:-$FDPASS}" "$1/fdpass"
	echo "$PWD/$1/fdpass"
}

@test "SIGHUP: same pid, same entries, fetch works, socket file kept" {
	start_holder
	"$FDPASS" send --name x hs /etc/hostname
	"$FDPASS" send --name y --name z hs /etc/passwd /etc/group
	run "$FDPASS" hold --list hs
	assert_success
	local before=$output
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	[ "$(cat hp)" = "$HOLDER" ]
	assert [ -S hs ]
	run "$FDPASS" hold --list hs
	assert_success
	assert_equal "$output" "$before"
	run "$FDPASS" recv --fetch x hs cat
	assert_success
	assert_output "$(cat /etc/hostname)"
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e hs ]
	assert [ ! -e hp ]
}

@test "SIGHUP: no descriptor of the old holder is left over" {
	start_holder
	"$FDPASS" send --name x hs /etc/hostname
	local before
	before=$(count_fds "$HOLDER")
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	"$FDPASS" hold --list hs >/dev/null
	assert_equal "$(count_fds "$HOLDER")" "$before"
}

@test "SIGHUP twice: the entries and the socket go on" {
	start_holder
	"$FDPASS" send --name x hs /etc/hostname
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	"$FDPASS" send --name y hs /etc/passwd
	kill -HUP "$HOLDER"
	run "$FDPASS" hold --list hs
	assert_success
	assert_line --index 0 --partial "x regular /etc/hostname"
	assert_line --index 1 --partial "y regular /etc/passwd"
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e hs ]
}

@test "SIGHUP: a store and a fetch that wait for a stalled client succeed" {
	start_holder -t 2
	"$FDPASS" send --name x hs /etc/hostname
	wait_until serving "$HOLDER" 0
	bg /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(5)' "$PWD/hs"
	# Served: the holder has the connection, and waits for its request.
	wait_until serving "$HOLDER" 1
	kill -HUP "$HOLDER"
	"$FDPASS" send -t 8 --name y hs /etc/passwd 3>&- &
	local store=$!
	"$FDPASS" recv -t 8 --fetch x hs cat >fetched 3>&- &
	local fetch=$!
	wait "$store"
	wait "$fetch"
	assert_equal "$(cat fetched)" "$(cat /etc/hostname)"
	assert restarted "$HOLDER"
	run "$FDPASS" hold --list hs
	assert_line --index 1 --partial "y regular /etc/passwd"
}

@test "SIGTERM while SIGHUP waits for a client: the holder exits, cleaned up" {
	start_holder -t 8
	wait_until serving "$HOLDER" 0
	bg /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(10)' "$PWD/hs"
	wait_until serving "$HOLDER" 1
	kill -HUP "$HOLDER"
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e hs ]
	assert [ ! -e hp ]
}

@test "SIGHUP among stores: none is refused, none is lost" {
	start_holder
	local i
	for ((i = 0; i < 30; i++)); do
		if ((i % 6 == 3)); then
			kill -HUP "$HOLDER"
		fi
		"$FDPASS" send --name "n$i" hs /etc/hostname
	done
	run "$FDPASS" hold --list hs
	assert_success
	assert_equal "${#lines[@]}" 30
	assert_line --index 29 --partial "n29 regular"
	assert restarted "$HOLDER"
}

@test "SIGHUP: the fdpass now at the holder's path takes over" {
	local bin
	bin=$(own_copy bin)
	start_holder "$bin"
	"$FDPASS" send --name x hs /etc/hostname
	cp "$bin" bin/fdpass.new
	mv bin/fdpass.new "$bin"
	kill -HUP "$HOLDER"
	wait_until runs_file "$bin"
	run "$FDPASS" hold --list hs
	assert_output --partial "x regular /etc/hostname"
}

# runs_file FILE: true once the holder runs the binary now at FILE, as
# looked at anew each time wait_until asks.
runs_file() {
	[ "$(stat -Lc %i /proc/"$HOLDER"/exe)" = "$(stat -Lc %i "$1")" ]
}

@test "SIGHUP: a holder started through PATH takes up the fdpass its link now names" {
	own_copy v1 >/dev/null
	own_copy v2 >/dev/null
	mkdir bin
	ln -s ../v1/fdpass bin/fdpass
	PATH=$PWD/bin:$PATH bg fdpass hold --pid-file "$PWD/hp" "$PWD/hs"
	HOLDER=$BG
	wait_until test -s hp
	"$FDPASS" send --name x hs /etc/hostname
	ln -sfn ../v2/fdpass bin/fdpass
	kill -HUP "$HOLDER"
	wait_until runs_file v2/fdpass
	run "$FDPASS" hold --list hs
	assert_output --partial "x regular /etc/hostname"
}

@test "SIGHUP with the binary gone: the holder serves on, says why" {
	local bin
	bin=$(own_copy bin)
	start_holder "$bin"
	"$FDPASS" send --name x hs /etc/hostname
	rm "$bin"
	kill -HUP "$HOLDER"
	wait_until grep -q "restart: .*No such file" bg.err
	run cat bg.err
	assert_output --regexp "^fdpass: hold $PWD/hs: restart: $bin: "
	run "$FDPASS" recv --fetch x hs cat
	assert_success
	assert_output "$(cat /etc/hostname)"
	"$FDPASS" send --name y hs /etc/passwd
	# A failed restart leaves the signals as they were: SIGTERM ends it.
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e hs ]
}

@test "SIGHUP with the pid file gone: the holder serves on, keeps its entries, says why" {
	start_holder
	"$FDPASS" send --name x hs /etc/hostname
	rm hp
	kill -HUP "$HOLDER"
	wait_until grep -q "restart: not done" bg.err
	run cat bg.err
	assert_output "fdpass: hold $PWD/hs: restart: not done, the new holder would refuse the state: its pid file is not --pid-file's, naming this process"
	refute restarted "$HOLDER"
	run "$FDPASS" recv --fetch x hs cat
	assert_success
	assert_output "$(cat /etc/hostname)"
}

@test "SIGHUP refused for a file gone leaves the holder's signals as they were" {
	start_holder
	before=$(grep -E '^Sig(Blk|Ign|Cgt):' "/proc/$HOLDER/status")
	rm hp
	kill -HUP "$HOLDER"
	wait_until grep -q "restart: not done" bg.err
	assert_equal "$(grep -E '^Sig(Blk|Ign|Cgt):' "/proc/$HOLDER/status")" \
		"$before"
}

@test "SIGHUP with the socket file gone: the holder serves on, cleans up at exit" {
	start_holder --notify-socket "$PWD/hn"
	"$FDPASS" send --name x hs /etc/hostname
	rm hs
	kill -HUP "$HOLDER"
	wait_until grep -q "restart: not done" bg.err
	run cat bg.err
	assert_output --partial "the state: its socket is not SOCKET's"
	refute restarted "$HOLDER"
	kill -TERM "$HOLDER"
	wait_until gone "$HOLDER"
	assert [ ! -e hn ]
	assert [ ! -e hp ]
}

@test "SIGHUP: --ready-fd and --background are not announced again" {
	"$FDPASS" hold -b --ready-fd 4 --pid-file "$PWD/hp" "$PWD/hs" \
		4>ready 3>&-
	HOLDER=$(cat hp)
	BG_PIDS+=("$HOLDER")
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	run "$FDPASS" hold --list hs
	assert_success
	assert_equal "$(cat hp)" "$HOLDER"
	assert_equal "$(wc -c <ready)" 1
}

@test "a state that is not a holder's is refused, with the reason" {
	run env FDPASS_HOLD_STATE=3 "$FDPASS" hold hs 3</etc/passwd
	assert_failure 1
	assert_output "fdpass: hold hs: restart: FDPASS_HOLD_STATE 3: not a state this holder knows"
	assert [ ! -e hs ]
}

@test "a state that names descriptors not open is refused" {
	printf 'fdpass-hold-state 1\nlistener 40 1 2 0:\nend\n' >state
	run env FDPASS_HOLD_STATE=3 "$FDPASS" hold hs 3<state
	assert_failure 1
	assert_output --partial "FDPASS_HOLD_STATE 3: a descriptor that is not open"
}

@test "a state that names files not the holder's own is refused, and they stay" {
	echo data >victim
	echo 123 >victim2
	# On a holder that took it, time would run out: it serves on.
	run timeout "$WAIT" /usr/bin/python3 - <<'PY'
import os, socket, sys
lsn = socket.socket(socket.AF_UNIX)
lsn.bind("\0fdpass-test-state-%d" % os.getpid())
lsn.listen()
pid_file = os.open("victim2", os.O_RDONLY)
os.set_inheritable(lsn.fileno(), True)
os.set_inheritable(pid_file, True)
st = os.stat("victim")
state = os.memfd_create("state", 0)
os.write(state, ("fdpass-hold-state 1\nlistener %d %d %d 6:victim\n"
    "pid-file %d 7:victim2\nend\n" % (lsn.fileno(), st.st_dev, st.st_ino,
    pid_file)).encode())
os.lseek(state, 0, 0)
os.execve(os.environ["FDPASS"], ["fdpass", "hold", "--pid-file", "victim2",
    "victim"], dict(os.environ, FDPASS_HOLD_STATE=str(state)))
PY
	assert_failure 1
	assert_output --partial "restart: FDPASS_HOLD_STATE"
	assert_equal "$(cat victim)" data
	assert_equal "$(cat victim2)" 123
}

@test "FDPASS_HOLD_STATE that is not a descriptor is refused" {
	run env FDPASS_HOLD_STATE=x "$FDPASS" hold hs
	assert_failure 1
	assert_output "fdpass: hold hs: restart: FDPASS_HOLD_STATE is 'x', not a descriptor"
}

# fake_manager: a service manager's notify socket at $PWD/notify that
# logs each datagram to store.log as one line: its text, newlines as
# spaces, then "|" and where each descriptor that came with it leads.
fake_manager() {
	bg_peer manager.py <<'PY'
import array, os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("notify")
log = open("store.log", "a", buffering=1)
while True:
    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64 * 4))
    fds = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    where = [os.readlink("/proc/self/fd/%d" % fd) for fd in fds]
    for fd in fds:
        os.close(fd)
    log.write(msg.decode().replace("\n", " ") + "|" + " ".join(where) + "\n")
PY
	wait_until test -S notify
}

@test "NOTIFY_SOCKET: each store goes to the fd store, with its descriptor" {
	fake_manager
	NOTIFY_SOCKET=$PWD/notify start_holder
	"$FDPASS" send --name x hs /etc/hostname
	wait_until grep -qx "FDSTORE=1 FDNAME=x |/etc/hostname" store.log
	"$FDPASS" send --name y --name y hs /etc/passwd /etc/group
	wait_until grep -qx "FDSTORE=1 FDNAME=y |/etc/group" store.log
	run cat store.log
	assert_output "FDSTORE=1 FDNAME=x |/etc/hostname
FDSTORE=1 FDNAME=y |/etc/passwd
FDSTORE=1 FDNAME=y |/etc/group"
}

@test "NOTIFY_SOCKET: a removal goes to the fd store, once per name" {
	fake_manager
	NOTIFY_SOCKET=$PWD/notify start_holder
	"$FDPASS" send --name x --name x hs /etc/hostname /etc/passwd
	"$FDPASS" hold --remove x hs
	wait_until grep -qx "FDSTOREREMOVE=1 FDNAME=x |" store.log
	run grep -c FDSTOREREMOVE store.log
	assert_output 1
}

@test "NOTIFY_SOCKET: what a restart hands over is not stored again" {
	fake_manager
	NOTIFY_SOCKET=$PWD/notify start_holder
	"$FDPASS" send --name x hs /etc/hostname
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	"$FDPASS" send --name y hs /etc/passwd
	wait_until grep -q "FDNAME=y" store.log
	run cat store.log
	assert_output "FDSTORE=1 FDNAME=x |/etc/hostname
FDSTORE=1 FDNAME=y |/etc/passwd"
}

@test "NOTIFY_SOCKET: an entry dropped as it hung up is removed from it" {
	fake_manager
	NOTIFY_SOCKET=$PWD/notify start_holder
	peer "$FDPASS" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
subprocess.run([sys.argv[1], "send", "--name", "p", "hs", "/dev/fd/%d" % r],
               pass_fds=[r], check=True)
os.close(w)
PY
	wait_until grep -qx "FDSTOREREMOVE=1 FDNAME=p |" store.log
	run cat store.log
	assert_line --index 0 --regexp "^FDSTORE=1 FDNAME=p \|pipe:"
	run "$FDPASS" hold --list hs
	assert_output ""
}

@test "NOTIFY_SOCKET nobody listens on: the store succeeds, the holder says why" {
	NOTIFY_SOCKET=$PWD/nothing start_holder
	run "$FDPASS" send --name x hs /etc/hostname
	assert_success
	run "$FDPASS" hold --list hs
	assert_output --partial "x regular /etc/hostname"
	run cat bg.err
	assert_output "fdpass: hold $PWD/hs: NOTIFY_SOCKET $PWD/nothing: nothing is mirrored to it: No such file or directory"
}

@test "NOTIFY_SOCKET: a socket bound at the manager's name once it went gets nothing" {
	fake_manager
	local manager=$BG
	NOTIFY_SOCKET=$PWD/notify start_holder
	"$FDPASS" send --name before hs /etc/hostname
	wait_until grep -q "FDNAME=before" store.log
	kill "$manager"
	wait_until gone "$manager"
	rm notify store.log
	# Another takes the name the manager had.
	fake_manager
	"$FDPASS" send --name after hs /etc/passwd
	run "$FDPASS" hold --list hs
	assert_output --partial "after regular /etc/passwd"
	wait_until grep -q "NOTIFY_SOCKET: FDSTORE after" bg.err
	assert [ ! -s store.log ]
}

# handed CMD...: runs CMD in the background as bg does, with LISTEN_FDS=2
# naming /etc/hostname (fd 3) and /etc/passwd (fd 4), LISTEN_PID its own
# pid, LISTEN_FDNAMES as $NAMES and LISTEN_PIDFDID as $PIDFDID unless
# they are unset.
handed() {
	bg sh -c 'exec 3</etc/hostname 4</etc/passwd
		export LISTEN_PID=$$ LISTEN_FDS=2
		if [ -n "${NAMES+set}" ]; then export LISTEN_FDNAMES=$NAMES; fi
		if [ -n "${PIDFDID+set}" ]; then export LISTEN_PIDFDID=$PIDFDID; fi
		exec "$@"' sh "$@"
	HOLDER=$BG
}

@test "LISTEN_FDS for the holder: held under their names, not stored again" {
	fake_manager
	NAMES=a:b NOTIFY_SOCKET=$PWD/notify handed "$FDPASS" hold hs
	wait_for_socket hs
	run "$FDPASS" hold --list hs
	assert_success
	assert_line --index 0 --partial "a regular /etc/hostname"
	assert_line --index 1 --partial "b regular /etc/passwd"
	"$FDPASS" send --name c hs /etc/group
	wait_until grep -q "FDNAME=c" store.log
	run cat store.log
	assert_output "FDSTORE=1 FDNAME=c |/etc/group"
	run "$FDPASS" recv --fetch b hs head -1
	assert_output "$(head -1 /etc/passwd)"
}

@test "LISTEN_FDS without names: held as \"stored\"" {
	NAMES=a: handed "$FDPASS" hold hs
	wait_for_socket hs
	run "$FDPASS" hold --list hs
	assert_line --index 0 --partial "a regular /etc/hostname"
	assert_line --index 1 --partial "stored regular /etc/passwd"
	unset NAMES
	kill "$HOLDER"
	wait_until gone "$HOLDER"
	handed "$FDPASS" hold hs
	wait_for_socket hs
	run "$FDPASS" hold --list hs
	assert_line --index 0 --partial "stored regular /etc/hostname"
	assert_line --index 1 --partial "stored regular /etc/passwd"
}

@test "LISTEN_FDS count toward --max-fds" {
	NAMES=a:b handed "$FDPASS" hold --max-fds 1 hs
	wait_for_socket hs
	run "$FDPASS" hold --list hs
	assert_output --partial "a regular /etc/hostname"
	refute_output --partial "/etc/passwd"
	run "$FDPASS" send --name c hs /etc/group
	assert_failure
	run cat bg.err
	assert_line --index 0 "fdpass: hold hs: LISTEN_FDS: 1 past --max-fds 1, closed"
}

@test "LISTEN_FDS whose LISTEN_PIDFDID names another process: none taken" {
	need_pidfs
	PIDFDID=1 handed "$FDPASS" hold hs
	wait_for_socket hs
	run "$FDPASS" hold --list hs
	assert_success
	assert_output ""
}

@test "LISTEN_FDS for another process: nothing taken, the variables unset" {
	bg env LISTEN_PID=1 LISTEN_FDS=1 "$FDPASS" hold --pid-file "$PWD/hp" hs
	HOLDER=$BG
	wait_until test -s hp
	run "$FDPASS" hold --list hs
	assert_success
	assert_output ""
	run grep -z LISTEN_ /proc/"$HOLDER"/environ
	assert_success
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	run grep -z LISTEN_ /proc/"$HOLDER"/environ
	assert_failure
}

@test "SIGHUP with 1000 entries: all go across" {
	start_holder --max-fds 1000
	local names=() files=() i
	for ((i = 0; i < 1000; i++)); do
		names+=(--name "n$i")
		files+=(/etc/hostname)
	done
	"$FDPASS" send "${names[@]}" hs "${files[@]}"
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	run "$FDPASS" hold --list hs
	assert_success
	assert_equal "${#lines[@]}" 1000
	assert_line --index 999 --partial "n999 regular /etc/hostname"
}

@test "SIGHUP after the --peer-pid process ended: the holder restarts and serves on" {
	sleep 60 3>&- &
	local sleeper=$!
	BG_PIDS+=("$sleeper")
	start_holder --peer-pid "$sleeper"
	kill "$sleeper"
	wait_until gone "$sleeper"
	kill -HUP "$HOLDER"
	wait_until restarted "$HOLDER"
	assert [ -S hs ]
	kill -TERM "$HOLDER"
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert [ ! -e hs ]
}
