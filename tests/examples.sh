#!/usr/bin/env bash
# Runs every example of README.md and of fdpass(1)'s EXAMPLES, so that
# none can rot.  Each runs in a scratch directory of its own, with /tmp
# private to it and in a pid namespace of its own, so that what it starts
# in the background ends with it.  What an example needs from the checkout
# (fdpass, the bats helpers) is copied into its directory, which stays at
# its own path when it is under /tmp itself: a checkout in /tmp works.
#
# A block whose commands carry a prompt ("$ ", and then "# " for root;
# "> " goes on with a command, as PS2) is checked: what its commands print must
# be the lines without a prompt, blank lines at the end aside.  Whatever
# the commands started in the background has two seconds to finish.
# A block without prompts is a script that must succeed.  A block that
# cannot run unattended is preceded by a comment that says why:
#
#	<!-- example: not run: REASON -->	(README.md)
#	.\" example: not run: REASON		(fdpass.1)
#
# A bats block is run by bats, with the helpers loaded from this checkout.
#
# usage: tests/examples.sh FDPASS SCRATCH
set -u
fdpass=$(realpath "$1")
scratch=$(realpath -m "$2")
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0 skipped=0

if [ "$(id -u)" -ne 0 ] || ! unshare --mount --pid --fork true 2>/dev/null; then
	echo "examples: skipped: running them needs root and unshare(1)"
	exit 0
fi

# README.md's blocks, indented by four spaces, as files in $1; a
# "not run" comment before one goes into a file ending in .skip.
split_readme() {
	awk -v dir="$1" '
		/^<!-- example: not run: / { skip = $0; next }
		/^    / && !inblock && prev == "" {
			n++; inblock = 1
			file = sprintf("%s/README-%02d", dir, n)
			if (skip != "") {
				sub(/^<!-- example: not run: /, "", skip)
				sub(/ -->$/, "", skip)
				print skip > (file ".skip")
			}
		}
		inblock && /^    / { sub(/^    /, ""); print > file; prev = $0; next }
		inblock && /^$/ { print "" > file; prev = ""; next }
		{ inblock = 0; skip = ""; prev = $0 }
	' "$top/README.md"
}

# fdpass(1)'s EXAMPLES, each .Bd -literal block unescaped.
split_man() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$top/man/fdpass.1" | awk -v dir="$1" '
		/^\.\\" example: not run: / { skip = $0; next }
		/^\.Bd -literal/ {
			n++; inblock = 1
			file = sprintf("%s/fdpass.1-%02d", dir, n)
			if (skip != "") {
				sub(/^\.\\" example: not run: /, "", skip)
				print skip > (file ".skip")
			}
			next
		}
		/^\.Ed/ { inblock = 0; skip = ""; next }
		inblock {
			gsub(/\\e/, "\\"); gsub(/\\\(aq/, "\047")
			print > file
		}
	'
}

# Turns a block into the script to run and the output expected of it.
prepare() {
	local block=$1 dir=$2
	if grep -q '^@test ' "$block"; then
		sed "s|load /usr/local/share/fdpass/fdpass.bash|load $dir/fdpass.bash|" \
			"$block" >"$dir/example.bats"
		echo 'bats --tap example.bats >/dev/null' >"$dir/script"
		return
	fi
	if grep -q '^\$ ' "$block"; then
		awk -v script="$dir/script" -v expected="$dir/expected" '
			cont { print > script; cont = /\\$/; next }
			/^[$#>] / { print substr($0, 3) > script; cont = /\\$/; next }
			{ print > expected }
		' "$block"
		touch "$dir/expected"
	else
		{ echo 'set -e'; cat "$block"; } >"$dir/script"
	fi
}

# The files and programs the examples name, in the scratch directory.
furnish() {
	local dir=$1
	mkdir -p "$dir/tmp" "$dir/bin"
	cp "$fdpass" "$dir/bin/fdpass"
	cp "$top/tests/fdpass.bash" "$dir/fdpass.bash"
	printf 'b\na\nc\n' >"$dir/unsorted.txt"
	echo 'key = value' >"$dir/config.ini"
	# The server of the bats examples: it reads its config from fd 3.
	printf '#!/bin/sh\nread -r line <&3 && echo "config loaded"\n' >"$dir/server"
	chmod +x "$dir/server"
}

# Runs one example in its own /tmp and pid namespace; prints its output.
# The private /tmp is a tmpfs, made at DIR/tmp and moved over /tmp once
# DIR, where it is under /tmp, is bound at its own path inside it.
run_example() {
	local dir=$1
	# shellcheck disable=SC2016 # expanded by the bash inside the namespace
	(cd "$dir" && PATH="$dir/bin:$PATH" timeout 60 unshare --mount --pid \
		--fork --mount-proc bash -c 'mount -t tmpfs tmpfs "$1/tmp" || exit 1
			case $1 in
			/tmp/*)	mkdir -p "$1/tmp${1#/tmp}" &&
				mount --bind "$1" "$1/tmp${1#/tmp}" || exit 1 ;;
			esac
			mount --move "$1/tmp" /tmp && cd "$1" || exit 1
			bash ./script
			status=$?
			for ((i = 0; i < 200; i++)); do
				pids=(/proc/[0-9]*)
				[ ${#pids[@]} -le 1 ] && break
				sleep 0.01
			done
			exit $status' sh "$dir" </dev/null 2>"$dir/stderr" 3>&-)
}

# Drops blank lines at the end of a file and ends its last line.
normalize() {
	# shellcheck disable=SC1003 # sed's a\ command, not a quoted quote
	sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' -e '$a\' "$1"
}

rm -rf "$scratch"
mkdir -p "$scratch/blocks"
split_readme "$scratch/blocks"
split_man "$scratch/blocks"
for block in "$scratch"/blocks/*; do
	case $block in *.skip) continue ;; esac
	name=${block##*/}
	if [ -f "$block.skip" ]; then
		echo "ok $name # skip $(cat "$block.skip")"
		skipped=$((skipped + 1))
		continue
	fi
	dir="$scratch/$name"
	furnish "$dir"
	prepare "$block" "$dir"
	if run_example "$dir" >"$dir/stdout" && { [ ! -f "$dir/expected" ] ||
		diff -u <(normalize "$dir/expected") <(normalize "$dir/stdout") >"$dir/diff"; }; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "not ok $name"
		sed 's/^/#   /' "$block"
		echo "# printed:"; sed 's/^/#   /' "$dir/stdout" "$dir/stderr"
		[ -s "$dir/diff" ] && sed 's/^/#   /' "$dir/diff"
		failed=$((failed + 1))
	fi
done
echo "examples: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
