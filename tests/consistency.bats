#!/usr/bin/env bats
# The man page and the completions list exactly the options that --help
# lists, command by command, each with or without an argument as --help
# says.  Each option is written "-c/--connect", or "--rdwr" when it has no
# short form, followed by "arg" when it takes an argument and "-" when not.

load test_helper

# Texts compared with texts: the sanitizer pass of make check leaves this
# file out.
# bats file_tags=docs

ROOT=$BATS_TEST_DIRNAME/..

# help_options [COMMAND]: the options `fdpass [COMMAND] --help` lists.
# hold's lists the shared --seqpacket and --dgram too, which it refuses:
# they are left out.
help_options() {
	"$FDPASS" "$@" --help | awk -v cmd="${1:-}" '
		/^ +-/ {
			if ($1 ~ /^-[[:alnum:]],$/) {
				opt = substr($1, 1, 2) "/" $2
				metavar = $3
			} else {
				opt = $1
				metavar = $2
			}
			if (cmd == "hold" && (opt == "--seqpacket" ||
			    opt == "--dgram"))
				next
			print opt, (metavar ~ /^[A-Z[]/ ? "arg" : "-")
		}' | sort
}

# man_options main|send|recv|hold: the options in the tag list of fdpass(1)
# for fdpass itself (DESCRIPTION before its first subsection), or for
# COMMAND (subsection "fdpass COMMAND").
man_options() {
	awk -v want="$1" '
		/^\.Sh / { sec = ($0 == ".Sh DESCRIPTION") ? "main" : "" }
		/^\.Ss / { sec = "" }
		$0 == ".Ss fdpass send" { sec = "send" }
		$0 == ".Ss fdpass recv" { sec = "recv" }
		$0 == ".Ss fdpass hold" { sec = "hold" }
		sec == want && /^\.It Fl / {
			if ($4 == "," && $5 == "Fl") {
				opt = "-" $3 "/-" $6
				next_field = 7
			} else {
				opt = "-" $3
				next_field = 4
			}
			print opt, ($next_field ~ /^(Ar|Oo|Op)$/ ? "arg" : "-")
		}' "$ROOT/man/fdpass.1" | sort
}

# bash_array main|send|recv|hold: from the arrays in _fdpass, NAME_opts (the
# long options offered) and NAME_args (those, long and short, that take an
# argument).  Short options without an argument do not appear there.
bash_array() {
	awk -v start="local -a $1=(" '
		index($0, start) { on = 1 }
		on { print }
		on && /\)/ { on = 0 }' "$ROOT/completions/fdpass.bash" |
		sed 's/.*(//; s/).*//' | tr -s ' \t' '\n' | grep -- '^-' || true
}
bash_options() {
	local -a args
	local opt
	mapfile -t args < <(bash_array "$1_args")
	for opt in $(bash_array "$1_opts"); do
		if [[ " ${args[*]} " == *" $opt "* ]]; then
			echo "$opt arg"
		else
			echo "$opt -"
		fi
	done
	for opt in "${args[@]}"; do
		[[ $opt == -[!-] ]] && echo "$opt arg"
	done
	true
}

# The same from --help, in the shape bash_options gives.
help_options_for_bash() {
	help_options "$@" | awk '{
		n = split($1, names, "/")
		print names[n], $2
		if (n == 2 && $2 == "arg")
			print names[1], $2
	}'
}

# zsh_function NAME: the body of function NAME in completions/_fdpass.
zsh_function() {
	awk -v start="$1() {" '
		$0 == start { on = 1 }
		on { print }
		on && /^}/ { on = 0 }' "$ROOT/completions/_fdpass"
}

# zsh_options FUNCTION: the options of the _arguments specs in FUNCTION,
# {-c,--connect}, {-f+,--fd=} (with an argument) and --rdwr[...].
zsh_options() {
	zsh_function "$1" | {
		grep -oE -- '\{-[[:alnum:]]\+?,--[a-z][a-z-]*=?\}' |
			sed -E 's/\{(-.)(\+?),(--[a-z-]+)=?\}/\1\/\3 \2/'
		zsh_function "$1" |
			grep -oE -- "['*)]--[a-z][a-z-]*=?\[" |
			sed -E 's/^.(--[a-z-]+)(=?)\[$/\1 \2/'
	} | sed -E 's/ [+=]$/ arg/; s/ $/ -/' | sort
}

# fish_options CONDITION: the options of the complete lines whose -n is
# CONDITION.
fish_options() {
	grep -F -- "-n $1 " "$ROOT/completions/fdpass.fish" | awk '
		{
			short = long = ""; arg = "-"
			for (i = 1; i <= NF; i++) {
				if ($i == "-s") short = "-" $(i + 1)
				if ($i == "-l") long = "--" $(i + 1)
				if ($i == "-x" || $i == "-r") arg = "arg"
			}
			if (long != "")
				print (short != "" ? short "/" : "") long, arg
		}' | sort
}

# same EXPECTED ACTUAL: passes when the two lists are the same, and shows
# the difference otherwise.
same() {
	run diff -u <(echo "$1") <(echo "$2")
	assert_success
}

@test "fdpass --help: the man page lists the same options" {
	same "$(help_options)" "$(man_options main)"
}

@test "fdpass send --help: the man page lists the same options" {
	same "$(help_options send)" "$(man_options send)"
}

@test "fdpass recv --help: the man page lists the same options" {
	same "$(help_options recv)" "$(man_options recv)"
}

@test "fdpass hold --help: the man page lists the same options" {
	same "$(help_options hold)" "$(man_options hold)"
}

@test "the man page's SYNOPSIS has every option of each command" {
	local cmd expected actual
	for cmd in send recv hold; do
		# Short forms, but -h, and the options that have only a long one.
		expected=$(help_options "$cmd" | awk '{
			n = split($1, names, "/")
			if (names[1] != "-h")
				print names[1]
		}' | sort)
		actual=$(awk -v cmd="$cmd" '
			/^\.Sh / { on = ($0 == ".Sh SYNOPSIS") }
			on && /^\.Cm / { current = $2 }
			on && /^\.Nm/ { current = "" }
			on && current == cmd {
				for (i = 1; i < NF; i++) {
					if (($i != "Fl" && $i != ".Fl") ||
					    $(i + 1) == "-")
						continue
					f = $(i + 1)
					if (f ~ /^-/) {
						print "-" f
						continue
					}
					for (j = 1; j <= length(f); j++)
						print "-" substr(f, j, 1)
				}
			}' "$ROOT/man/fdpass.1" | sort)
		same "$expected" "$actual"
	done
}

@test "every option the man page mentions exists" {
	local known mentioned
	known=$({ help_options; help_options send; help_options recv
		help_options hold; } |
		awk '{ n = split($1, names, "/"); print names[n] }' | sort -u)
	mentioned=$(grep -oE 'Fl -[a-z][a-z-]*' "$ROOT/man/fdpass.1" |
		sed 's/^Fl -/--/' | sort -u)
	# shellcheck disable=SC2086 # one option a word
	same "$known" "$(printf '%s\n' $known $mentioned | sort -u)"
}

@test "fdpass --help: the bash completion offers the same options" {
	same "$(help_options_for_bash | sort)" "$(bash_options main | sort)"
}

@test "fdpass send --help: the bash completion offers the same options" {
	same "$(help_options_for_bash send | sort)" "$(bash_options send | sort)"
}

@test "fdpass recv --help: the bash completion offers the same options" {
	same "$(help_options_for_bash recv | sort)" "$(bash_options recv | sort)"
}

@test "fdpass hold --help: the bash completion offers the same options" {
	same "$(help_options_for_bash hold | sort)" "$(bash_options hold | sort)"
}

@test "fdpass --help: the zsh completion offers the same options" {
	same "$(help_options)" "$(zsh_options _fdpass)"
}

@test "fdpass send --help: the zsh completion offers the same options" {
	same "$(help_options send)" "$(zsh_options _fdpass_send)"
}

@test "fdpass recv --help: the zsh completion offers the same options" {
	same "$(help_options recv)" "$(zsh_options _fdpass_recv)"
}

@test "fdpass hold --help: the zsh completion offers the same options" {
	same "$(help_options hold)" "$(zsh_options _fdpass_hold)"
}

@test "the zsh completion's exclusion lists name only real options" {
	local fn known named
	for fn in _fdpass _fdpass_send _fdpass_recv _fdpass_hold; do
		known=$(zsh_options "$fn" | awk '{ print $1 }' | tr / '\n' | sort -u)
		# Lists in specs, '(-c --connect)' or "($where -c)", and in the
		# arrays they use, local -a where=(-c --connect).
		named=$(zsh_function "$fn" |
			grep -oE -- "(['\"]|local -a [a-z]+=)\([^)]*\)" |
			sed -E 's/^[^(]*\(//; s/\)$//' | tr ' ' '\n' |
			grep -E -- '^-.' | sort -u)
		# shellcheck disable=SC2086 # one option a word
		same "$known" "$(printf '%s\n' $known $named | sort -u)"
	done
}

@test "fdpass --help: the fish completion offers the same options" {
	same "$(help_options)" "$(fish_options __fdpass_top)"
}

@test "fdpass send --help: the fish completion offers the same options" {
	same "$(help_options send)" "$(fish_options "'__fdpass_at send options'")"
}

@test "fdpass recv --help: the fish completion offers the same options" {
	same "$(help_options recv)" "$(fish_options "'__fdpass_at recv options'")"
}

@test "fdpass hold --help: the fish completion offers the same options" {
	same "$(help_options hold)" "$(fish_options "'__fdpass_at hold options'")"
}
