#!/usr/bin/env bats
# The build's own scripts: build/stage.sh, which times the stages of
# make check.

load test_helper

STAGE=$BATS_TEST_DIRNAME/../build/stage.sh

@test "build/stage.sh keeps each stage's wall and CPU seconds, and prints them" {
	"$STAGE" stages.txt idle true
	"$STAGE" stages.txt busy sh -c \
		'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done'
	run "$STAGE" --print stages.txt
	assert_success
	assert_line --index 0 --regexp '^stage +wall s +cpu s$'
	assert_line --index 1 --regexp '^idle +[0-9]+\.[0-9] +0\.0$'
	assert_line --index 2 --regexp '^busy +[0-9]+\.[0-9] +[0-9]+\.[0-9]$'
	assert_line --index 3 --regexp '^total +[0-9]+\.[0-9] +[0-9]+\.[0-9]$'
	# The busy loop takes CPU time, however loaded the machine is.
	awk '$1 == "busy" && $3 > 0 { found = 1 } END { exit !found }' stages.txt
}

@test "build/stage.sh passes a failed stage's status on, with the table so far" {
	"$STAGE" stages.txt first true
	run "$STAGE" stages.txt second sh -c 'exit 3'
	assert_failure 3
	assert_line --index 0 "stage second failed (status 3)"
	assert_line --index 2 --regexp '^first '
	assert_line --index 3 --regexp '^second '
	assert_line --index 4 --regexp '^total '
}

@test "build/stage.sh --start: the table ends with the time it all took" {
	"$STAGE" --start stages.txt
	"$STAGE" stages.txt one sleep 1 &
	"$STAGE" stages.txt two sleep 1
	wait $!
	run "$STAGE" --print stages.txt
	assert_success
	assert_line --index 3 --regexp '^total +[0-9]+\.[0-9] '
	assert_line --index 4 --regexp '^elapsed +[0-9]+\.[0-9]$'
	# Side by side, the two took less than their sum: a second each,
	# so that rounding to a tenth and a loaded machine cannot hide it.
	awk '$1 == "total" { t = $2 } $1 == "elapsed" { e = $2 }
		END { exit !(e < t) }' <<<"$output"
}
