# fish completion for fdpass(1)
#
# Installed as share/fish/vendor_completions.d/fdpass.fish.
# tests/consistency.bats checks the options below against
# `fdpass send --help`, `fdpass recv --help` and `fdpass hold --help`.

# Reads the command line up to the cursor into globals: __fdpass_cmd, the
# command (send, recv or hold); __fdpass_where, what the current word may be
# (command, options, socket, after, file-arg, socket-arg or arg); and
# __fdpass_rest, the operands after SOCKET.
function __fdpass_scan
    set -l tokens (commandline -opc)
    set -g __fdpass_cmd
    set -g __fdpass_rest
    set -g __fdpass_where command
    test (count $tokens) -ge 2; or return
    set __fdpass_cmd $tokens[2]
    # The options that take an argument, short and long.
    set -l args
    switch $__fdpass_cmd
        case send
            set args f n d D t m fd from-pid from-haproxy haproxy-listener tcp-listen tcp-connect udp \
                unix-listen backlog netns name data data-file timeout mode \
                notify-fdstore allow-uid allow-gid peer-uid peer-gid peer-pid
        case recv
            set args n t m fetch at count max-children ready-fd pid-file timeout \
                mode allow-uid allow-gid peer-uid peer-gid peer-pid
        case hold
            set args t m remove max-fds notify-socket ready-fd pid-file timeout \
                mode allow-uid allow-gid peer-uid peer-gid peer-pid
        case '*'
            set __fdpass_where unknown
            return
    end
    # --stdout, --notify-fdstore and --stdin take the place of SOCKET.
    set -l nosocket 0
    set -l operands 0
    set -l ended 0
    set -l skip ''
    for tok in $tokens[3..-1]
        if test -n "$skip"
            set skip ''
        else if test $ended -eq 1 -o $operands -gt 0
            set operands (math $operands + 1)
        else if test "$tok" = --
            set ended 1
            continue
        else if string match -q -- '--*=*' $tok
            string match -q -- '--notify-fdstore=*' $tok; and set nosocket 1
            continue
        else if string match -q -- '--?*' $tok
            contains -- $tok --stdout --stdin --notify-fdstore; and set nosocket 1
            contains -- (string sub -s 3 -- $tok) $args; and set skip $tok
            continue
        else if string match -q -- '-?*' $tok
            # Clustered short options: the first that takes an argument
            # takes the rest of the word, or the next word.
            set -l letters (string split '' -- (string sub -s 2 -- $tok))
            for i in (seq (count $letters))
                if contains -- $letters[$i] $args
                    test $i -eq (count $letters); and set skip -$letters[$i]
                    break
                end
            end
            continue
        else
            set operands 1
        end
        if test $operands -gt 1 -o $nosocket -eq 1
            set -a __fdpass_rest $tok
        end
    end
    if test -n "$skip"
        switch $skip
            case -D --data-file --pid-file
                set __fdpass_where file-arg
            case --unix-listen --from-haproxy --notify-socket
                set __fdpass_where socket-arg
            case --netns
                set __fdpass_where netns-arg
            case '*'
                set __fdpass_where arg
        end
    else if test $operands -eq 0 -a $ended -eq 0
        set __fdpass_where options
        if test $nosocket -eq 1
            set -a __fdpass_where after
        else
            set -a __fdpass_where socket
        end
    else if test $operands -eq 0 -a $nosocket -eq 0
        set __fdpass_where socket
    else
        set __fdpass_where after
    end
end

# Tells whether the current word is, for command $1, of one of the kinds
# that follow.
function __fdpass_at
    __fdpass_scan
    test "$__fdpass_cmd" = "$argv[1]"; or return
    for kind in $__fdpass_where
        contains -- $kind $argv[2..-1]; and return 0
    end
    return 1
end

function __fdpass_top
    __fdpass_scan
    test "$__fdpass_where" = command
end

# SOCKET: an abstract name bound now, from /proc/net/unix, after an @;
# otherwise a path, where only a directory or a socket fits.
function __fdpass_socket
    set -l cur (commandline -ct)
    if string match -q -- '@*' $cur
        awk 'NR > 1 && $8 ~ /^@/ { print $8 }' /proc/net/unix 2>/dev/null |
            sort -u
        return
    end
    for f in $cur*
        if test -d $f
            echo $f/
        else if test -S $f
            echo $f
        end
    end
end

# --netns: the namespaces ip netns made, by their paths in /run/netns, or
# any file where none fits (/proc/PID/ns/net).
function __fdpass_netns
    set -l cur (commandline -ct)
    set -l names (string match -- "$cur*" /run/netns/*)
    if test (count $names) -gt 0
        printf '%s\n' $names
    else
        __fish_complete_path $cur
    end
end

# recv's COMMAND and its arguments, completed as a command line of its own.
function __fdpass_command
    __fdpass_scan
    set -l words $__fdpass_rest
    test "$words[1]" = --; and set -e words[1]
    set -a words (commandline -ct)
    complete -C (string join -- ' ' (string escape -- $words[1..-2]) $words[-1])
end

complete -c fdpass -f

# fdpass itself
complete -c fdpass -n __fdpass_top -a send -d 'Pass descriptors to the receiver at SOCKET'
complete -c fdpass -n __fdpass_top -a recv -d 'Receive descriptors and run COMMAND with them'
complete -c fdpass -n __fdpass_top -a hold -d 'Hold descriptors by name for later'
complete -c fdpass -n __fdpass_top -s h -l help -d 'Show help and exit'
complete -c fdpass -n __fdpass_top -s V -l version -d 'Show the version and exit'

# fdpass send
complete -c fdpass -n '__fdpass_at send options' -s c -l connect -d 'Connect to SOCKET (the default)'
complete -c fdpass -n '__fdpass_at send options' -s l -l listen -d 'Listen on SOCKET, send to the first peer'
complete -c fdpass -n '__fdpass_at send options' -l stdout -d 'Send on the unix socket that is standard output'
complete -c fdpass -n '__fdpass_at send options' -l notify-fdstore -x -d 'Store them in systemd\'s fd store under NAME'
complete -c fdpass -n '__fdpass_at send options' -l no-fdpoll -d 'Keep them stored even after POLLHUP or POLLERR'
complete -c fdpass -n '__fdpass_at send options' -l remove -d 'Remove what is stored under NAME instead'
complete -c fdpass -n '__fdpass_at send options' -s r -l read -d 'Open each FILE read-only (the default)'
complete -c fdpass -n '__fdpass_at send options' -s w -l write -d 'Open each FILE write-only'
complete -c fdpass -n '__fdpass_at send options' -s a -l append -d 'Open each FILE write-only, appending'
complete -c fdpass -n '__fdpass_at send options' -l rdwr -d 'Open each FILE for reading and writing'
complete -c fdpass -n '__fdpass_at send options' -l create -d 'Create a FILE that does not exist'
complete -c fdpass -n '__fdpass_at send options' -l truncate -d 'Truncate each FILE when opening it'
complete -c fdpass -n '__fdpass_at send options' -s f -l fd -x -d 'Pass descriptor N of fdpass itself'
complete -c fdpass -n '__fdpass_at send options' -l from-pid -x -d 'Pass descriptor FD of process PID (PID:FD)'
complete -c fdpass -n '__fdpass_at send options' -l from-haproxy -x -d 'Pass the listeners of the HAProxy with this stats socket'
complete -c fdpass -n '__fdpass_at send options' -l haproxy-listener -x -d 'Of the HAProxy listeners, pass the one with this name'
complete -c fdpass -n '__fdpass_at send options' -l haproxy-stats -d 'Pass the stats sockets of HAProxy too'
complete -c fdpass -n '__fdpass_at send options' -l listen-fds -d 'Pass the descriptors inherited from systemd (LISTEN_FDS)'
complete -c fdpass -n '__fdpass_at send options' -l tcp-listen -x -d 'Pass a new listening TCP socket'
complete -c fdpass -n '__fdpass_at send options' -l tcp-connect -x -d 'Pass a new TCP connection'
complete -c fdpass -n '__fdpass_at send options' -l udp -x -d 'Pass a new bound UDP socket'
complete -c fdpass -n '__fdpass_at send options' -l unix-listen -x -d 'Pass a new listening unix socket'
complete -c fdpass -n '__fdpass_at send options' -l backlog -x -d 'Listen backlog of the sockets made'
complete -c fdpass -n '__fdpass_at send options' -l netns -x -d 'Make the TCP and UDP sockets in this network namespace'
complete -c fdpass -n '__fdpass_at send options' -s n -l name -x -d 'Name the next descriptor'
complete -c fdpass -n '__fdpass_at send options' -s d -l data -x -d 'Send STRING with the descriptors'
complete -c fdpass -n '__fdpass_at send options' -s D -l data-file -r -F -d 'Send the contents of FILE'
complete -c fdpass -n '__fdpass_at send options' -l raw -d 'Send a plain SCM_RIGHTS message'
complete -c fdpass -n '__fdpass_at send options' -l wait -d 'Wait for the receiver\'s COMMAND, exit with its status'
complete -c fdpass -n '__fdpass_at send options' -l seqpacket -d 'Use a SOCK_SEQPACKET socket'
complete -c fdpass -n '__fdpass_at send options' -l dgram -d 'Use a SOCK_DGRAM socket'
complete -c fdpass -n '__fdpass_at send options' -s t -l timeout -x -d 'Give up after SECONDS'
complete -c fdpass -n '__fdpass_at send options' -s m -l mode -x -d 'Mode of the socket files made'
complete -c fdpass -n '__fdpass_at send options' -l allow-uid -x -d 'Also send to user UID'
complete -c fdpass -n '__fdpass_at send options' -l allow-gid -x -d 'Also send to group GID'
complete -c fdpass -n '__fdpass_at send options' -l peer-uid -x -d 'Send only to a peer of user UID'
complete -c fdpass -n '__fdpass_at send options' -l peer-gid -x -d 'Send only to a peer of group GID'
complete -c fdpass -n '__fdpass_at send options' -l peer-pid -x -d 'Send only to the peer with process id PID'
complete -c fdpass -n '__fdpass_at send options' -s h -l help -d 'Show help and exit'
complete -c fdpass -n '__fdpass_at send socket socket-arg' -a '(__fdpass_socket)'
complete -c fdpass -n '__fdpass_at send after file-arg' -F
complete -c fdpass -n '__fdpass_at send netns-arg' -a '(__fdpass_netns)'

# fdpass recv
complete -c fdpass -n '__fdpass_at recv options' -s l -l listen -d 'Listen on SOCKET (the default)'
complete -c fdpass -n '__fdpass_at recv options' -s c -l connect -d 'Connect to SOCKET, where a sender listens'
complete -c fdpass -n '__fdpass_at recv options' -l stdin -d 'Receive on the unix socket that is standard input'
complete -c fdpass -n '__fdpass_at recv options' -l fetch -x -d 'Get copies of what the holder at SOCKET holds under NAME,...'
complete -c fdpass -n '__fdpass_at recv options' -l fetch-all -d 'Get copies of all the holder at SOCKET holds'
complete -c fdpass -n '__fdpass_at recv options' -l at -x -d 'Place the descriptors at N[=NAME],... in COMMAND'
complete -c fdpass -n '__fdpass_at recv options' -l listen-fds -d 'Place them from 3, set LISTEN_FDS etc.'
complete -c fdpass -n '__fdpass_at recv options' -l inetd -d 'Place the first on 0 and 1'
complete -c fdpass -n '__fdpass_at recv options' -l ucspi -d 'Place the first on 6 and 7'
complete -c fdpass -n '__fdpass_at recv options' -l blocking -d 'Clear O_NONBLOCK on what COMMAND gets'
complete -c fdpass -n '__fdpass_at recv options' -l count -x -d 'Wait for exactly N descriptors'
complete -c fdpass -n '__fdpass_at recv options' -l json -d 'Print a JSON object per transfer'
complete -c fdpass -n '__fdpass_at recv options' -l once -d 'Serve one sender (the default)'
complete -c fdpass -n '__fdpass_at recv options' -s k -l keep-listening -d 'Serve senders until killed'
complete -c fdpass -n '__fdpass_at recv options' -s b -l background -d 'Return once listening; serve in the background'
complete -c fdpass -n '__fdpass_at recv options' -l ready-fd -x -d 'Write a newline to descriptor N once listening'
complete -c fdpass -n '__fdpass_at recv options' -l max-children -r -d 'Serve at most N senders at once'
complete -c fdpass -n '__fdpass_at recv options' -l pid-file -r -F -d 'Write the serving process\'s pid to FILE'
complete -c fdpass -n '__fdpass_at recv options' -l seqpacket -d 'Use a SOCK_SEQPACKET socket'
complete -c fdpass -n '__fdpass_at recv options' -l dgram -d 'Use a SOCK_DGRAM socket'
complete -c fdpass -n '__fdpass_at recv options' -s t -l timeout -x -d 'Give up after SECONDS'
complete -c fdpass -n '__fdpass_at recv options' -s m -l mode -x -d 'Socket file mode'
complete -c fdpass -n '__fdpass_at recv options' -l allow-uid -x -d 'Also accept senders of user UID'
complete -c fdpass -n '__fdpass_at recv options' -l allow-gid -x -d 'Also accept senders of group GID'
complete -c fdpass -n '__fdpass_at recv options' -l peer-uid -x -d 'Accept only a sender of user UID'
complete -c fdpass -n '__fdpass_at recv options' -l peer-gid -x -d 'Accept only a sender of group GID'
complete -c fdpass -n '__fdpass_at recv options' -l peer-pid -x -d 'Accept only the sender with process id PID'
complete -c fdpass -n '__fdpass_at recv options' -s h -l help -d 'Show help and exit'
complete -c fdpass -n '__fdpass_at recv socket' -a '(__fdpass_socket)'
complete -c fdpass -n '__fdpass_at recv file-arg' -F
complete -c fdpass -n '__fdpass_at recv after' -a '(__fdpass_command)'

# fdpass hold
complete -c fdpass -n '__fdpass_at hold options' -l list -d 'List what the holder at SOCKET holds'
complete -c fdpass -n '__fdpass_at hold options' -l json -d 'With --list, a JSON object per descriptor'
complete -c fdpass -n '__fdpass_at hold options' -l remove -x -d 'Drop what the holder at SOCKET holds under NAME'
complete -c fdpass -n '__fdpass_at hold options' -l max-fds -x -d 'Hold at most N descriptors'
complete -c fdpass -n '__fdpass_at hold options' -l notify-socket -x -d 'Also take sd_notify messages at PATH'
complete -c fdpass -n '__fdpass_at hold options' -s b -l background -d 'Return once listening; serve in the background'
complete -c fdpass -n '__fdpass_at hold options' -l ready-fd -x -d 'Write a newline to descriptor N once listening'
complete -c fdpass -n '__fdpass_at hold options' -l pid-file -r -F -d 'Write the holder\'s pid to FILE'
complete -c fdpass -n '__fdpass_at hold options' -s t -l timeout -x -d 'Give each client SECONDS for its request'
complete -c fdpass -n '__fdpass_at hold options' -s m -l mode -x -d 'Socket file mode'
complete -c fdpass -n '__fdpass_at hold options' -l allow-uid -x -d 'Also serve clients of user UID'
complete -c fdpass -n '__fdpass_at hold options' -l allow-gid -x -d 'Also serve clients of group GID'
complete -c fdpass -n '__fdpass_at hold options' -l peer-uid -x -d 'Serve only clients of user UID'
complete -c fdpass -n '__fdpass_at hold options' -l peer-gid -x -d 'Serve only clients of group GID'
complete -c fdpass -n '__fdpass_at hold options' -l peer-pid -x -d 'Serve only the process with id PID'
complete -c fdpass -n '__fdpass_at hold options' -s h -l help -d 'Show help and exit'
complete -c fdpass -n '__fdpass_at hold socket socket-arg' -a '(__fdpass_socket)'
complete -c fdpass -n '__fdpass_at hold file-arg' -F
