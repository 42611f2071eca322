#!/usr/bin/env bats
# Tab completion: the bash function driven directly, zsh through a
# pseudo-terminal, fish through `complete -C`, each in a shell of its own.

load test_helper

# The shells' completion of fdpass, not fdpass itself: the sanitizer pass
# of make check leaves this file out.
# bats file_tags=docs

COMPLETIONS=$BATS_TEST_DIRNAME/../completions
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

# bash_complete LINE: what the bash completion offers at the end of LINE,
# one reply a line.  LINE is split into COMP_WORDS as readline splits it:
# at blanks, and around runs of COMP_WORDBREAKS characters.  With
# BREAK_AT set, "@" is one of those, as it is when bash-completion is not
# loaded and hostcomplete is on.
bash_complete() {
	bash --norc --noprofile -c '
		source "$1" || exit 2
		source "$2" || exit 2
		[[ -n $BREAK_AT ]] && COMP_WORDBREAKS+=@
		# compopt works only inside a real completion.
		compopt() { :; }
		complete -W "alpha beta" fakecmd
		line=$3 word="" kind=""
		breaks=${COMP_WORDBREAKS//[$'"' \t\n\"\'']"'/}
		COMP_WORDS=()
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			if [[ $c == [[:blank:]] ]]; then
				[[ -n $word ]] && COMP_WORDS+=("$word")
				word="" kind=""
			elif [[ $breaks == *"$c"* ]]; then
				if [[ $kind == word ]]; then
					COMP_WORDS+=("$word")
					word=""
				fi
				word+=$c kind=break
			else
				if [[ $kind == break ]]; then
					COMP_WORDS+=("$word")
					word=""
				fi
				word+=$c kind=word
			fi
		done
		COMP_WORDS+=("$word")
		COMP_LINE=$line COMP_POINT=${#line}
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_fdpass fdpass "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$BASH_COMPLETION" "$COMPLETIONS/fdpass.bash" "$1" | sort -u
}

# zsh_complete LINE, fish_complete LINE: the same from zsh and fish.
zsh_complete() {
	"$BATS_TEST_DIRNAME/zsh-complete.zsh" "$COMPLETIONS" "$1" \
		"$BATS_FILE_TMPDIR/zcompdump" 3>&-
}

fish_complete() {
	# shellcheck disable=SC2016 # $argv is fish's, in fish's code
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
	    "$COMPLETIONS/fdpass.fish" "$1" | cut -f1 | sort -u
}

need_bash_completion() {
	[ -f "$BASH_COMPLETION" ] || skip "bash-completion is not installed"
}

need() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

# A directory, a file and a socket file, which a listener holds, to
# complete.
make_files() {
	mkdir adir
	touch afile
	bg "$FDPASS" recv asock
	wait_for_socket asock
}

# An abstract socket that a listener holds, its name in $ABSTRACT.
listen_abstract() {
	ABSTRACT=$(abstract_name)
	bg "$FDPASS" recv "$ABSTRACT"
	wait_until grep -q " $ABSTRACT\$" /proc/net/unix
}

# A network namespace made by ip netns, its name in $NETNS, deleted at
# teardown; skips where making one is not allowed.
make_netns() {
	NETNS=fdpass-test-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS" 2>netns.err ||
		skip "ip netns add is not allowed here: $(cat netns.err)"
}

teardown() {
	stop_background
	if [ -n "${NETNS:-}" ] && [ -e "/run/netns/$NETNS" ]; then
		ip netns delete "$NETNS"
	fi
}

@test "bash: the commands after fdpass" {
	need_bash_completion
	run bash_complete "fdpass "
	assert_success
	assert_output "hold
recv
send"
}

@test "bash: fdpass's own options after a dash" {
	need_bash_completion
	run bash_complete "fdpass -"
	assert_output "--help
--version"
}

@test "bash: send's options after fdpass send --" {
	need_bash_completion
	run bash_complete "fdpass send --"
	assert_line --connect
	assert_line --data-file
	assert_line --tcp-listen
	refute_line --at
}

@test "bash: recv's options after fdpass recv --" {
	need_bash_completion
	run bash_complete "fdpass recv --"
	assert_line --at
	assert_line --listen-fds
	refute_line --tcp-listen
}

@test "bash: hold's options after fdpass hold --, recv's --fetch" {
	need_bash_completion
	run bash_complete "fdpass hold --"
	assert_line --list
	assert_line --remove
	assert_line --notify-socket
	refute_line --at
	refute_line --dgram
	run bash_complete "fdpass recv --fe"
	assert_output "--fetch
--fetch-all"
}

@test "bash: hold takes SOCKET and nothing after it" {
	need_bash_completion
	make_files
	run bash_complete "fdpass hold --remove x a"
	assert_output "adir
asock"
	run bash_complete "fdpass hold asock a"
	assert_output ""
	run bash_complete "fdpass hold --notify-socket a"
	assert_output "adir
asock"
}

@test "bash: a number after --at, so no file names" {
	need_bash_completion
	make_files
	run bash_complete "fdpass recv --at "
	assert_success
	assert_output ""
	run bash_complete "fdpass recv --at=a"
	assert_output ""
}

@test "bash: SOCKET is a directory or a socket, not a plain file" {
	need_bash_completion
	make_files
	run bash_complete "fdpass send a"
	assert_output "adir
asock"
	# -t takes the next word, so SOCKET comes after it.
	run bash_complete "fdpass recv -t 5 a"
	assert_output "adir
asock"
}

@test "bash: any file after SOCKET, and for --data-file" {
	need_bash_completion
	make_files
	run bash_complete "fdpass send --fd 0 s a"
	assert_output "adir
afile
asock"
	run bash_complete "fdpass send --data-file a"
	assert_line afile
	run bash_complete "fdpass send --data-file=a"
	assert_line afile
}

@test "bash: --stdout takes the place of SOCKET" {
	need_bash_completion
	make_files
	run bash_complete "fdpass send --stdout a"
	assert_line afile
}

@test "bash: a command after fdpass recv SOCKET, with or without --" {
	need_bash_completion
	run bash_complete "fdpass recv /tmp/s ca"
	assert_line cat
	run bash_complete "fdpass recv --at=3 /tmp/s -- ca"
	assert_line cat
	run bash_complete "fdpass recv --stdin ca"
	assert_line cat
}

@test "bash: the command's own completion for its arguments" {
	need_bash_completion
	run bash_complete "fdpass recv -k /tmp/s -- fakecmd al"
	assert_output alpha
}

@test "bash: abstract socket names after @" {
	need_bash_completion
	listen_abstract
	run bash_complete "fdpass send ${ABSTRACT:0:12}"
	assert_line "$ABSTRACT"
	# Where @ breaks words, readline keeps what is before it.
	BREAK_AT=1 run bash_complete "fdpass send ${ABSTRACT:0:12}"
	assert_line "${ABSTRACT#@}"
}

@test "--netns: the namespaces in /run/netns, else files, in bash, zsh and fish" {
	make_netns
	if [ -f "$BASH_COMPLETION" ]; then
		run bash_complete "fdpass send --netns /run/netns/$NETNS"
		assert_output "/run/netns/$NETNS"
		run bash_complete "fdpass send --netns /proc/self/ns/ne"
		assert_output "/proc/self/ns/net"
	fi
	if command -v zsh >/dev/null; then
		run zsh_complete "fdpass send --netns /run/netns/$NETNS"
		assert_output "/run/netns/$NETNS"
	fi
	if command -v fish >/dev/null; then
		run fish_complete "fdpass send --netns /run/netns/$NETNS"
		assert_output "/run/netns/$NETNS"
		run fish_complete "fdpass send --netns /proc/self/ns/ne"
		assert_output "/proc/self/ns/net"
	fi
}

@test "zsh: the completion function parses" {
	need zsh
	run zsh -n "$COMPLETIONS/_fdpass"
	assert_success
}

@test "zsh: commands, options, SOCKET and COMMAND" {
	need zsh
	make_files
	run zsh_complete "fdpass "
	assert_output "hold
recv
send"
	run zsh_complete "fdpass send --tcp"
	assert_output "--tcp-connect
--tcp-listen"
	run zsh_complete "fdpass send a"
	assert_output "adir
asock"
	run zsh_complete "fdpass recv --at "
	assert_output ""
	run zsh_complete "fdpass recv -- s -- ca"
	assert_line cat
	run zsh_complete "fdpass recv --stdin ca"
	assert_line cat
	run zsh_complete "fdpass hold --li"
	assert_output "--list"
	run zsh_complete "fdpass hold --remove x a"
	assert_output "adir
asock"
	run zsh_complete "fdpass recv --fetch"
	assert_output "--fetch
--fetch-all"
}

@test "fish: the completions parse" {
	need fish
	run fish --no-config -n "$COMPLETIONS/fdpass.fish"
	assert_success
}

@test "fish: commands, options, SOCKET and COMMAND" {
	need fish
	make_files
	run fish_complete "fdpass "
	assert_output "hold
recv
send"
	run fish_complete "fdpass recv --li"
	assert_output "--listen
--listen-fds"
	run fish_complete "fdpass send a"
	assert_output "adir/
asock"
	run fish_complete "fdpass send --fd 0 s a"
	assert_line afile
	run fish_complete "fdpass recv --at "
	assert_output ""
	run fish_complete "fdpass recv s -- ca"
	assert_line cat
	run fish_complete "fdpass hold --li"
	assert_output "--list"
	run fish_complete "fdpass hold --remove x a"
	assert_output "adir/
asock"
	run fish_complete "fdpass hold asock a"
	assert_output ""
	run fish_complete "fdpass recv --fe"
	assert_output "--fetch
--fetch-all"
}
