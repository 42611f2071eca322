/*
 * fdpass: pass open file descriptors between processes over AF_UNIX
 * sockets.
 *
 * main.c	dispatch to a subcommand
 * cmd_send.c	fdpass send: its options, then connect or listen, and send
 * sources.c	what send passes: --fd, --from-pid, sockets made, FILEs, ...
 * send_data.c	the data send passes with them: --data, --data-file
 * cmd_recv.c	fdpass recv: its options, and which way it serves
 * serve.c	recv's ways to serve: --connect, --stdin, --once, -k
 * turn.c	one sender's turn: receive, check, hand over or print, release
 * record.c	recv's output, put out once a transfer is accepted
 * render.c	recv's text and JSON lines for what arrived
 * options.c	options the subcommands share, usage errors
 * endpoint.c	the command line's end of the socket
 * access.c	who may be the peer: the access rules, as verdicts
 * address.c	AF_UNIX paths and abstract names, stale socket files
 * transfer.c	a whole transfer: header, descriptors, names, data
 * forward.c	signals send --wait forwards to the receiver's command
 * wire.c	the wire header and name list, as bytes
 * msg.c	the core: sendmsg/recvmsg, SCM_RIGHTS, peer credentials
 * placement.c	moving descriptors to the numbers a child expects
 * describe.c	what a descriptor is, for printing
 * json.c	JSON text: strings, and descriptors for recv --json
 * deadline.c	--timeout over a whole exchange, timed opens of FIFOs
 * stdstreams.c	closed standard streams, and checked output at exit
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "stdstreams.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "send",	cmd_send,	send_usage },
	{ "recv",	cmd_recv,	recv_usage },
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
	warnx("unknown command '%s'", argv[1]);
	fputs("Try 'fdpass --help'.\n", stderr);
	return 2;
}
