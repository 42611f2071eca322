/*
 * fdpass: pass open file descriptors between processes over AF_UNIX
 * sockets.
 *
 * The files, by layer; each calls into its own layer and those below.
 * Below the commands and their helpers, nothing prints or exits: a call
 * returns 0 (or a count) or -1 with errno set.
 *
 * Commands: parse, call, exit or exec.
 * main.c	dispatch to a subcommand
 * cmd_send.c	fdpass send: its options, and the order of its steps
 * cmd_recv.c	fdpass recv: its options, and which way it serves
 * cmd_hold.c	fdpass hold: its options, and serve, list or remove
 *
 * The commands' helpers, which may report and exit.
 * sources.c	what send passes: --fd, --from-pid, sockets made, FILEs, ...
 * send_data.c	the data send passes with them: --data, --data-file
 * exchange.c	send's exchange: reach the receiver, offer, send, its word
 * serve.c	recv's ways to serve: --connect, --stdin, --fetch, --once, -k
 * turn.c	one sender's turn: receive, check, hand over or print, release
 * record.c	recv's output, put out once a transfer is accepted
 * render.c	recv's text and JSON lines for what arrived
 * handoff.c	the placement plan, COMMAND's environment, and the exec
 * endpoint.c	the command line's end of the socket, with its messages
 * options.c	options the subcommands share, usage errors
 * background.c	--background, --ready-fd and --pid-file
 * stdstreams.c	closed standard streams, and checked output at exit
 * log.c	warnings, each line in one write
 * hold_serve.c	the holder: its main loop, and a thread per client
 * hold_ask.c	hold --list and --remove, asking a holder
 * hold_notify.c	the holder's sd_notify socket: FDSTORE=1 and the rest
 * hold_restart.c	the holder's exec of itself on SIGHUP, both ends
 * hold_manager.c	the holder's own service manager and its fd store
 *
 * System helpers, which never print or exit.
 * access.c	who may be the peer: the access rules, as verdicts
 * address.c	AF_UNIX paths and abstract names, stale socket files
 * appear.c	waiting for a listener's socket file to appear (inotify)
 * sockets.c	TCP, UDP and unix sockets made from the command line
 * resolve.c	"[HOST:]PORT" to addresses, names looked up with getent
 * netns.c	sockets made in another network namespace (--netns)
 * haproxy.c	HAProxy's listeners, taken over its stats socket
 * haproxy_names.c	what HAProxy's sockets are: names, listeners, stats
 * grab.c	another process's descriptor, through a pidfd
 * placement.c	moving descriptors to the numbers a child expects
 * describe.c	what a descriptor is, for printing
 * json.c	JSON text: strings, and descriptors for recv --json
 * deadline.c	--timeout over a whole exchange: timed waits, sends, opens
 * dispose.c	closing a peer's descriptors without waiting: the disposer
 * cleanup.c	the files fdpass made, undone at exit or on a signal
 * signals.c	dispositions and the mask, put back as found before exec
 * children.c	recv's children: reaped, and passed the stop signals
 * held.c	the table of held descriptors, by name
 * holder.c	that table behind its lock: store, copy, remove, drop hung
 * hold_state.c	the table as text, handed across the holder's exec
 * fdstore.c	sd_notify's fd store messages
 * fds_free.c	free descriptor numbers, promised to a receive or copies
 *
 * The protocol: fdpass's transfers, framed on the wire.
 * sender.c	sending a whole transfer: header, descriptors, names, data
 * receiver.c	receiving one, and the replies to its sender
 * intake.c	its bytes, descriptors and sender's credentials, as read
 * wire.c	the wire header and name list, as bytes
 * forward.c	signals send --wait forwards to the receiver's command
 * request.c	requests to a holder: fetch and remove, by name
 *
 * The core, the library that is installed (fdpass(3)).
 * msg.c	sendmsg/recvmsg, SCM_RIGHTS in batches, peer credentials
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "stdstreams.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "send",	cmd_send,	send_usage },
	{ "recv",	cmd_recv,	recv_usage },
	{ "hold",	cmd_hold,	hold_usage },
};

static void
usage(FILE *out)
{
	const char *line;
	size_t i;

	fputs("usage: fdpass COMMAND [OPTION...] ...\n"
	    "Pass open file descriptors between processes over AF_UNIX "
	    "sockets.\n\nCommands:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		/* The first line of each command's usage, less "usage: ". */
		line = strchr(commands[i].usage, ' ') + 1;
		fprintf(out, "  %.*s\n", (int)strcspn(line, "\n"), line);
	}
	fputs("\nRun 'fdpass COMMAND --help' for the options of each.\n"
	    "  -h, --help     show this help and exit\n"
	    "  -V, --version  show the version and exit\n", out);
}

int
main(int argc, char **argv)
{
	size_t i;

	std_streams_init();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		std_stream_needed(STDOUT_FILENO, "--help");
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		std_stream_needed(STDOUT_FILENO, "--version");
		printf("fdpass %s\n", FDPASS_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	log_warnx("unknown command '%s'", argv[1]);
	fputs("Try 'fdpass --help'.\n", stderr);
	return 2;
}
