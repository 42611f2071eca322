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
	wait_until [ "$(stat -Lc %i /proc/"$HOLDER"/exe)" = \
		"$(stat -c %i "$bin")" ]
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

@test "FDPASS_HOLD_STATE that is not a descriptor is refused" {
	run env FDPASS_HOLD_STATE=x "$FDPASS" hold hs
	assert_failure 1
	assert_output "fdpass: hold hs: restart: FDPASS_HOLD_STATE is 'x', not a descriptor"
}
