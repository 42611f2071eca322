#!/usr/bin/env zsh
# usage: zsh-complete.zsh FPATH_DIR LINE [DUMP]
#
# Prints, one per line and sorted, the matches zsh's completion system
# offers for the end of LINE, with the completion functions in FPATH_DIR
# first in fpath.  It types LINE and a Tab into an interactive zsh on a
# pseudo-terminal, with compadd wrapped to print what it adds.  With DUMP,
# compinit keeps what it found in fpath in that file and reads it back on
# the next call, which is seconds quicker than looking through fpath again.
zmodload zsh/zpty || exit 2

local dir=$1 line=$2 dump=$3 out chunk
zpty z zsh -f -i
zpty -w z 'PROMPT= RPROMPT=; unsetopt zle_bracketed_paste 2>/dev/null'
zpty -w z "fpath=(${(q)dir} \$fpath)"
zpty -w z 'bindkey "^I" complete-word'
zpty -w z 'zstyle ":completion:*" list-grouped false'
zpty -w z 'zstyle ":completion:*" insert-tab false'
# Internal calls (-O, -A, -D) only compute; the others add matches.
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a hits; local h; builtin compadd -A hits "$@"; for h in $hits; do print -rn -- "<$h>"; done; builtin compadd "$@"; }'
zpty -w z 'unsetopt auto_list list_ambiguous beep'
# After compinit, each line zle reads is marked once the terminal is
# raw.  Typed into a cooked one, the Control-U below would erase the line
# and the Tab before zle saw them.
mark='zle-line-init() { print -rn -- "<<""LINE>>" }; zle -N zle-line-init'
if [[ -n $dump ]]; then
	zpty -w z "autoload -U compinit; compinit -u -d ${(q)dump}; $mark"
else
	zpty -w z "autoload -U compinit; compinit -u -D; $mark"
fi

# Waits up to 10 seconds for each marker.
repeat 200; do
	if zpty -r -t z chunk; then
		out+=$chunk
		[[ $out == *'<<LINE>>'* ]] && break
	else
		sleep 0.05
	fi
done
out=
# After the Tab, a command that prints a marker: zle reads it only once the
# completion is over.
zpty -w -n z "$line"$'\t\C-u'
zpty -w z "printf '\\074\\074END\\076\\076\\n'"
repeat 200; do
	if zpty -r -t z chunk; then
		out+=$chunk
		[[ $out == *'<<END>>'* ]] && break
	else
		sleep 0.05
	fi
done
zpty -d z
[[ $out == *'<<END>>'* ]] || { print -u2 "zsh-complete: no answer"; exit 1 }
out=${out%%'<<END>>'*}
print -rl -- ${${(M)${(s:>:)out}:#*<*}##*<} | sort -u
