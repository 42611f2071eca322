#!/bin/bash
# Runs one stage of `make check` and appends its name, wall seconds and
# CPU seconds (user and system, of everything it ran) to a table, which
# --print shows.  The CPU time is there because the wall time of a stage
# says little on a machine that others are using too.
#
# usage: build/stage.sh --start TABLE
#        build/stage.sh TABLE NAME CMD...
#        build/stage.sh --print TABLE
set -u

if [ "${1:-}" = --print ]; then
	awk 'BEGIN { printf "%-10s %7s %7s\n", "stage", "wall s", "cpu s" }
		{ printf "%-10s %7.1f %7.1f\n", $1, $2, $3; wall += $2; cpu += $3 }
		END { printf "%-10s %7.1f %7.1f\n", "total", wall, cpu }' "$2"
	# Stages that ran side by side count in the total once each: the
	# time it all took is from --start.
	if [ -f "$2.start" ]; then
		awk -v a="$(cat "$2.start")" -v b="$EPOCHREALTIME" \
			'BEGIN { printf "%-10s %7.1f\n", "elapsed", b - a }'
	fi
	exit 0
fi
if [ "${1:-}" = --start ]; then
	rm -f "$2"
	echo "$EPOCHREALTIME" >"$2.start"
	exit 0
fi

table=$1
name=$2
shift 2
start=$EPOCHREALTIME
status=0
"$@" || status=$?
# The CPU time of the children that this shell has waited for, in clock
# ticks, is in fields 16 and 17 of its stat file (after the name, which
# has no space here).
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($16 + $17) / hz }' \
	/proc/$$/stat)
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "$name $wall $cpu" >>"$table"
if [ "$status" -ne 0 ]; then
	echo "stage $name failed (status $status)" >&2
	"$0" --print "$table" >&2
fi
exit "$status"
