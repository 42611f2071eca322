#!/bin/sh
# The main job in one run: a process opens a file, passes the open
# descriptor through a unix socket, and an exec'd child of the receiver
# reads it, although the file's name is gone by then.
set -eu

FDPASS=${FDPASS:-obj/fdpass}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "this line was read through a passed descriptor" >"$dir/message"

echo "receiver: fdpass recv $dir/socket sh -c ..."
# shellcheck disable=SC2016 # expanded by the child's sh, not here
"$FDPASS" recv "$dir/socket" sh -c '
	echo "child (pid $$): fd 0 is $(readlink /proc/$$/fd/0)"
	echo "child (pid $$): reads: $(cat)"' &
receiver=$!
# Should send fail, the receiver must not be left waiting.
trap 'kill "$receiver" 2>/dev/null || true; rm -rf "$dir"' EXIT

exec 3<"$dir/message"
rm "$dir/message"
echo "sender (pid $$): opened the file as fd 3, then removed its name"
echo "sender (pid $$): fdpass send --fd 3 $dir/socket"
"$FDPASS" send --timeout 5 --fd 3 "$dir/socket"
exec 3<&-
wait "$receiver"
echo "done: the descriptor crossed from pid $$ to the receiver's child."
