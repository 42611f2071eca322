# fdpass.bash: bats helpers for tests that hand descriptors to a program.
# Installed as share/fdpass/fdpass.bash; load it from a test file with
#
#	load /usr/local/share/fdpass/fdpass.bash
#
#   fdpass_serve NAME [RECV-OPTION...] [-- COMMAND [ARG...]]
#	Starts `fdpass recv --background` on a fresh socket for NAME and
#	returns once it listens, so that the next line may send to it.
#	COMMAND's output goes to files, not to the test (bats would wait on
#	it): see fdpass_output.
#   fdpass_socket NAME	prints the socket's path
#   fdpass_wait NAME	waits (up to $FDPASS_WAIT seconds, default 10) until
#			NAME's receiver, or the COMMAND it became, has exited
#   fdpass_output NAME	prints what it wrote to stdout (stderr: NAME.err)
#   fdpass_port NAME FD	prints the port of the TCP or UDP socket that NAME's
#			COMMAND holds at FD, such as one send --tcp-listen
#			made on port 0, where the kernel chose the port
#   fdpass_stop NAME	stops it and all it started (its process group:
#			SIGTERM, then SIGKILL after $FDPASS_WAIT seconds)
#   fdpass_stop_all	stops every one; call it from teardown
#
# The binary is $FDPASS, or fdpass on PATH.  Files live in
# $BATS_TEST_TMPDIR/fdpass, which bats removes after each test; where a
# socket's path would not fit a unix socket address there (a long TMPDIR),
# the socket goes in a short directory under /tmp that fdpass_stop_all
# removes.

_fdpass_dir() {
	local dir="${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/fdpass"
	mkdir -p "$dir" && echo "$dir"
}

# The longest path a unix socket address holds (sun_path, less its NUL),
# and the longest name fdpass gives a socket file before it is published
# (".fdpXXXXXX", made beside it).
_FDPASS_PATH_MAX=107
_FDPASS_TMP_NAME=10

# _fdpass_socket_dir NAME: the directory for NAME's socket: the test's own,
# or, where the socket would not fit there, the short one, made once.
_fdpass_socket_dir() {
	local dir name=$1.sock short
	dir=$(_fdpass_dir) || return 1
	[ ${#name} -lt $_FDPASS_TMP_NAME ] && name=.fdpXXXXXX
	if [ $((${#dir} + 1 + ${#name})) -le $_FDPASS_PATH_MAX ]; then
		echo "$dir"
		return
	fi
	if [ ! -L "$dir/short" ]; then
		short=$(mktemp -d /tmp/fdpass.XXXXXX) &&
			ln -s "$short" "$dir/short" || return 1
	fi
	readlink "$dir/short"
}

fdpass_socket() {
	local dir
	dir=$(_fdpass_socket_dir "$1") && echo "$dir/$1.sock"
}

fdpass_serve() {
	local name=$1 dir sock options=()
	shift
	dir=$(_fdpass_dir) || return 1
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		options+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	# fd 3 closed: bats waits for every holder of it to exit.
	sock=$(fdpass_socket "$name") || return 1
	"${FDPASS:-fdpass}" recv --background --pid-file "$dir/$name.pid" \
		"${options[@]}" "$sock" "$@" \
		>"$dir/$name.out" 2>"$dir/$name.err" 3>&- || {
		cat "$dir/$name.err" >&2
		return 1
	}
	# The pid file goes when the receiver hands over: keep the pid.
	cp "$dir/$name.pid" "$dir/$name.serving"
}

# _fdpass_running PID, _fdpass_running -PGID: true while PID (or a process
# of group PGID) runs.  A zombie has exited: it waits only for its parent to
# reap it, which a subreaper that does not reap never does, so kill -0, which
# reaches zombies too, cannot tell.  The state (Z a zombie, X dead) and the
# group come after the ") " that ends the command's name in /proc/PID/stat.
_fdpass_running() {
	local stat line
	local -a stats=("/proc/$1/stat")
	# Nothing at all, zombie or not: the common case, without a look.
	kill -0 -- "$1" 2>/dev/null || return 1
	[ "${1#-}" != "$1" ] && stats=(/proc/[0-9]*/stat)
	for stat in "${stats[@]}"; do
		read -r line 2>/dev/null <"$stat" || continue
		[[ ${line##*) } =~ ^([A-Za-z])\ [0-9]+\ ([0-9]+)\  ]] || continue
		[ "${1#-}" != "$1" ] && [ "${BASH_REMATCH[2]}" != "${1#-}" ] &&
			continue
		[[ ${BASH_REMATCH[1]} == [ZX] ]] || return 0
	done
	return 1
}

# _fdpass_gone PID: true once PID (or with -PGID, every process in that
# group) has exited, within $FDPASS_WAIT seconds.
_fdpass_gone() {
	local now=${EPOCHREALTIME//[!0-9]/} end
	end=$((now + ${FDPASS_WAIT:-10} * 1000000))
	while _fdpass_running "$1"; do
		now=${EPOCHREALTIME//[!0-9]/}
		[ "$now" -lt "$end" ] || return 1
		sleep 0.01
	done
}

fdpass_wait() {
	local serving
	serving="$(_fdpass_dir)/$1.serving"
	[ -f "$serving" ] || return 0
	_fdpass_gone "$(cat "$serving")" || {
		echo "fdpass_wait: $1 still running" >&2
		return 1
	}
}

fdpass_output() {
	cat "$(_fdpass_dir)/$1.out"
}

fdpass_port() {
	local serving pid link inode
	serving="$(_fdpass_dir)/$1.serving"
	pid=$(cat "$serving") || return 1
	link=$(readlink "/proc/$pid/fd/$2") || return 1
	inode=${link#socket:[}
	inode=${inode%]}
	# In /proc/net/*, the local address is field 2, ADDR:PORT in hex,
	# and the inode field 10.
	awk -v inode="$inode" '$10 == inode {
		split($2, a, ":"); print a[2]; found = 1; exit
	} END { exit !found }' /proc/"$pid"/net/{tcp,tcp6,udp,udp6} |
		{ read -r hex && echo $((16#$hex)); }
}

fdpass_stop() {
	local serving pid
	serving="$(_fdpass_dir)/$1.serving"
	[ -f "$serving" ] || return 0
	pid=$(cat "$serving")
	# recv --background leads a session and process group of its own,
	# with every process it started in it: stop them all.
	kill -TERM -- "-$pid" 2>/dev/null || true
	if ! _fdpass_gone "-$pid"; then
		kill -KILL -- "-$pid" 2>/dev/null || true
		_fdpass_gone "-$pid" || true
	fi
	rm -f "$serving"
}

fdpass_stop_all() {
	local dir serving
	dir=$(_fdpass_dir) || return 1
	for serving in "$dir"/*.serving; do
		[ -e "$serving" ] || continue
		serving=${serving##*/}
		fdpass_stop "${serving%.serving}"
	done
	if [ -L "$dir/short" ]; then
		rm -rf -- "$(readlink "$dir/short")"
		rm -f -- "$dir/short"
	fi
}
