# bash completion for fdpass(1)                            -*- shell-script -*-
#
# Installed as share/bash-completion/completions/fdpass; needs the
# bash-completion package.  tests/consistency.bats checks the option lists
# below against `fdpass send --help`, `fdpass recv --help` and
# `fdpass hold --help`.

# Replies for SOCKET when it starts with @: the abstract sockets bound now,
# which /proc/net/unix lists with an @ in its last field.
_fdpass_abstract()
{
	local names i
	names=$(awk 'NR > 1 && $8 ~ /^@/ { print $8 }' /proc/net/unix \
	    2>/dev/null | sort -u)
	mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
	# Readline replaces only what follows the last word-break character
	# of the word ("@" is one by default), so the replies must drop the
	# part of cur up to it.
	for ((i = ${#cur} - 1; i >= 0; i--)); do
		[[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]] && break
	done
	if ((i >= 0)); then
		COMPREPLY=("${COMPREPLY[@]#"${cur:0:i+1}"}")
	fi
}

# Replies for SOCKET: an abstract name, or a path, where only a directory
# or an existing socket can be part of one (a listener refuses anything
# else that is in its way).
_fdpass_socket()
{
	local f keep=()
	if [[ $cur == @* ]]; then
		_fdpass_abstract
		return
	fi
	_filedir
	for f in "${COMPREPLY[@]}"; do
		[[ -d $f || -S $f ]] && keep+=("$f")
	done
	COMPREPLY=("${keep[@]}")
}

# Prints the index in COMP_WORDS of words[$1]: bash splits words at "@"
# and "=", which _init_completion joined again.
_fdpass_comp_index()
{
	local k j=0 joined
	for ((k = 0; k < $1; k++)); do
		joined=
		while [[ $joined != "${words[k]}" ]] &&
			((j < ${#COMP_WORDS[@]})); do
			joined+=${COMP_WORDS[j++]}
		done
	done
	echo "$j"
}

_fdpass()
{
	local cur prev words cword split
	_init_completion -s -n @ || return

	# Each command's options, and those of them that take an argument.
	local -a send_opts=(
		--connect --listen --stdout --notify-fdstore --no-fdpoll --remove
		--read --write --append --rdwr --create --truncate --fd --from-pid
		--from-haproxy --haproxy-listener --haproxy-stats --listen-fds
		--tcp-listen
		--tcp-connect --udp --unix-listen --backlog --netns --name --data
		--data-file --raw --wait --seqpacket --dgram --timeout --mode
		--allow-uid --allow-gid --peer-uid --peer-gid --peer-pid --help
	)
	local -a send_args=(
		--notify-fdstore -f --fd --from-pid --from-haproxy --tcp-listen
		--tcp-connect --haproxy-listener
		--udp --unix-listen --backlog --netns -n --name -d --data -D --data-file
		-t --timeout -m --mode --allow-uid --allow-gid --peer-uid
		--peer-gid --peer-pid
	)
	local -a recv_opts=(
		--listen --connect --stdin --fetch --fetch-all --at --listen-fds
		--inetd --ucspi --blocking --count --json --once --keep-listening
		--max-children --background --ready-fd --pid-file --seqpacket --dgram
		--timeout --mode --allow-uid --allow-gid --peer-uid --peer-gid
		--peer-pid --help
	)
	local -a recv_args=(
		--fetch --at --count --max-children --ready-fd --pid-file -t
		--timeout -m --mode --allow-uid --allow-gid --peer-uid --peer-gid
		--peer-pid
	)
	local -a hold_opts=(
		--list --json --remove --max-fds --notify-socket --background
		--ready-fd --pid-file --timeout --mode --allow-uid --allow-gid
		--peer-uid --peer-gid --peer-pid --help
	)
	local -a hold_args=(
		--remove --max-fds --notify-socket --ready-fd --pid-file -t --timeout
		-m --mode --allow-uid --allow-gid --peer-uid --peer-gid --peer-pid
	)
	local -a main_opts=(--help --version)

	if ((cword == 1)); then
		local words1="hold recv send"
		[[ $cur == -* ]] && words1=${main_opts[*]}
		mapfile -t COMPREPLY < <(compgen -W "$words1" -- "$cur")
		return
	fi

	local command=${words[1]} opts args
	case $command in
	send)
		opts=${send_opts[*]}
		args=" ${send_args[*]} "
		;;
	recv)
		opts=${recv_opts[*]}
		args=" ${recv_args[*]} "
		;;
	hold)
		opts=${hold_opts[*]}
		args=" ${hold_args[*]} "
		;;
	*)
		return
		;;
	esac

	# An option's argument given after "=".
	if [[ $split == true ]]; then
		_fdpass_argument
		return
	fi

	# Walk the options before the cursor, skipping their arguments, to the
	# first operand: options end there, or after "--".  --stdout,
	# --notify-fdstore and --stdin take the place of SOCKET.
	local i j word first=0 nosocket=0
	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		case $word in
		--stdout | --stdin | --notify-fdstore | --notify-fdstore=*)
			nosocket=1
			;;
		esac
		if [[ $word == -- ]]; then
			first=$((i + 1))
			break
		elif [[ $word != -?* ]]; then
			first=$i
			break
		elif [[ $args == *" $word "* ]]; then
			((i++))
		elif [[ $word == -[!-]* ]]; then
			# Clustered short options: the first that takes an
			# argument takes the rest of the word, or the next word.
			for ((j = 1; j < ${#word}; j++)); do
				if [[ $args == *" -${word:j:1} "* ]]; then
					((j == ${#word} - 1)) && ((i++))
					break
				fi
			done
		fi
	done

	if ((first == 0 && i > cword)); then
		_fdpass_argument
		return
	fi
	if ((first == 0)) && [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	((first == 0)) && first=$cword
	if ((!nosocket)); then
		if ((cword == first)); then
			_fdpass_socket
			return
		fi
		((first++))
	fi

	# After SOCKET: send takes FILEs, recv a COMMAND and its arguments,
	# hold nothing.
	if [[ $command == send ]]; then
		_filedir
		return
	fi
	[[ $command == hold ]] && return
	if [[ ${words[first]} == -- ]] && ((cword > first)); then
		((first++))
	fi
	_command_offset "$(_fdpass_comp_index "$first")"
}

# Replies for the argument of option $prev: a file, a socket path, or
# nothing for a number or a string that nothing here can guess.
_fdpass_argument()
{
	case $prev in
	-D | --data-file | --pid-file)
		_filedir
		;;
	--unix-listen | --from-haproxy | --notify-socket)
		_fdpass_socket
		;;
	--netns)
		_fdpass_netns
		;;
	esac
}

# Replies for --netns: the namespaces ip netns made, by their paths in
# /run/netns, or any file where none fits (/proc/PID/ns/net).
_fdpass_netns()
{
	local ns
	for ns in /run/netns/*; do
		[[ -e $ns && $ns == "$cur"* ]] && COMPREPLY+=("$ns")
	done
	((${#COMPREPLY[@]} > 0)) || _filedir
}

complete -F _fdpass fdpass
