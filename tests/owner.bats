#!/usr/bin/env bats
# The own-user rule on every kind of socket: recv deals with a process of
# another user only when the command line allows it, whether it listens
# or connects, on a stream, seqpacket or datagram socket, at a path or an
# abstract name.

load test_helper

# address KIND: a socket path in a directory where any user may make one,
# or with KIND "abstract" a fresh name.
address() {
	if [ "$1" = abstract ]; then
		abstract_name
	else
		mkdir -p -m 1777 shared
		echo shared/s
	fi
}

# type_option TYPE: the option for a TYPE of socket (stream, seqpacket).
type_option() {
	if [ "$1" != stream ]; then echo "--$1"; fi
}

# refused_listening TYPE KIND: recv listening on a TYPE socket (stream,
# seqpacket) at a KIND of address refuses a sender of user nobody, says
# so, and serves ours next.
refused_listening() {
	local at type
	at=$(address "$2")
	type=$(type_option "$1")
	bg "$FDPASS" recv ${type:+"$type"} --mode 666 --ready-fd 4 "$at" 4>ready
	wait_until test -s ready
	run fdpass_as_nobody send ${type:+"$type"} -t "$WAIT" --allow-uid 0 "$at" /dev/null
	assert_failure
	"$FDPASS" send ${type:+"$type"} -t "$WAIT" "$at" /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 0
	run cat bg.err
	assert_output --regexp "^fdpass: refused peer pid [0-9]+ uid 65534 gid 65534 on $at: peer is uid 65534, not an allowed user\$"
	run cat bg.out
	assert_output "fd 0 char - /dev/null - -
end"
}

# refused_connecting TYPE KIND: recv --connect to a TYPE socket at a KIND
# of address where a sender of user nobody listens fails, saying why.
refused_connecting() {
	local at type
	at=$(address "$2")
	type=$(type_option "$1")
	bg_as_nobody send --listen ${type:+"$type"} --mode 666 --allow-uid 0 -t "$WAIT" "$at" /dev/null
	wait_until fdpass_peer_listens "$at"
	run "$FDPASS" recv --connect ${type:+"$type"} -t "$WAIT" "$at"
	assert_failure 1
	assert_output "fdpass: connect $at: peer is uid 65534, not an allowed user"
}

# fdpass_peer_listens AT: a listener is at AT (a path, or @name).
fdpass_peer_listens() {
	if [[ $1 == @* ]]; then
		grep -q "@${1#@}\$" /proc/net/unix
	else
		test -S "$1"
	fi
}

# refused_datagram KIND: recv --dgram at a KIND of address refuses a
# datagram from a process of user nobody, its descriptor closed.
refused_datagram() {
	local at
	at=$(address "$1")
	bg "$FDPASS" recv --dgram --mode 666 --ready-fd 4 "$at" sh -c 'echo accepted' 4>ready
	wait_until test -s ready
	run fdpass_as_nobody send --dgram -t "$WAIT" "$at" /dev/null
	bg_wait
	assert_equal "$BG_STATUS" 3
	assert_equal "$(cat bg.out)" ""
	run cat bg.err
	assert_output --regexp "^fdpass: receive on $at: sending process pid [0-9]+: peer is uid 65534, not an allowed user\$"
}

@test "recv on a stream path refuses another user's sender" {
	refused_listening stream path
}

@test "recv on an abstract stream socket refuses another user's sender" {
	refused_listening stream abstract
}

@test "recv on a seqpacket path refuses another user's sender" {
	refused_listening seqpacket path
}

@test "recv on an abstract seqpacket socket refuses another user's sender" {
	refused_listening seqpacket abstract
}

@test "recv --connect to a stream path refuses another user's listener" {
	refused_connecting stream path
}

@test "recv --connect to an abstract stream socket refuses another user's listener" {
	refused_connecting stream abstract
}

@test "recv --connect to a seqpacket path refuses another user's listener" {
	refused_connecting seqpacket path
}

@test "recv --connect to an abstract seqpacket socket refuses another user's listener" {
	refused_connecting seqpacket abstract
}

@test "recv --dgram on a path refuses another user's datagram" {
	refused_datagram path
}

@test "recv --dgram on an abstract socket refuses another user's datagram" {
	refused_datagram abstract
}

@test "recv --dgram --allow-uid takes that user's datagram" {
	mkdir -m 1777 shared
	bg "$FDPASS" recv --dgram --allow-uid 65534 --mode 666 --ready-fd 4 shared/s cat 4>ready
	wait_until test -s ready
	echo from-nobody >a
	chmod 644 a
	run fdpass_as_nobody send --dgram -t "$WAIT" shared/s a
	assert_success
	bg_wait
	assert_equal "$BG_STATUS" 0
	assert_equal "$(cat bg.out)" "from-nobody"
}

@test "recv --dgram -k refuses another user's datagram and serves ours next" {
	mkdir -m 1777 shared
	bg "$FDPASS" recv --dgram -k --mode 666 --ready-fd 4 shared/s 4>ready
	wait_until test -s ready
	run fdpass_as_nobody send --dgram -t "$WAIT" shared/s /dev/null
	wait_until grep -q "peer is uid 65534" bg.err
	"$FDPASS" send --dgram -t "$WAIT" shared/s /dev/null
	wait_until grep -q /dev/null bg.out
	run cat bg.err
	assert_output --regexp "^fdpass: receive on shared/s: sending process pid [0-9]+: peer is uid 65534, not an allowed user\$"
	kill -0 "$BG"
}
