/*
 * fdpass hold: keep descriptors by name for later.  Here are its options
 * and the choice between serving (hold_serve.c) and asking a holder to
 * list or remove what it holds (hold_ask.c).
 */
#include <sys/socket.h>

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "hold.h"
#include "hold_restart.h"
#include "stdstreams.h"
#include "wire.h"

/* How many descriptors a holder keeps at most by default, as s6's. */
#define MAX_FDS		1000

/* The most --max-fds may say. */
#define MAX_FDS_LIMIT	65536

const char hold_usage[] =
"usage: fdpass hold [OPTION...] SOCKET\n"
"       fdpass hold --list [--json] [OPTION...] SOCKET\n"
"       fdpass hold --remove NAME [OPTION...] SOCKET\n"
"Hold descriptors by name for later, listening on SOCKET (a path, or @name\n"
"for a Linux abstract socket) until SIGTERM or SIGINT.  `fdpass send\n"
"--name NAME SOCKET FILE' stores, `fdpass recv --fetch NAME SOCKET CMD'\n"
"runs CMD with a copy.  A store adds to what a name holds; the same open\n"
"file twice under one name is kept once.  An entry whose descriptor hangs\n"
"up (POLLHUP, POLLERR) is dropped.  On SIGHUP the holder runs the fdpass\n"
"now at the path it was started from, which takes over its socket, pid\n"
"file and entries under the same pid.  With NOTIFY_SOCKET set, each entry\n"
"is also stored in that service manager's fd store (FDSTORE=1), and removed\n"
"from it with its name; on start, what LISTEN_FDS hands the holder is held\n"
"again, under its LISTEN_FDNAMES name or \"stored\".\n"
"\n"
"      --list             list what the holder at SOCKET holds: a line per\n"
"                         descriptor (name, kind, path, local and peer\n"
"                         address, vis(3)-encoded)\n"
"      --json             with --list, a JSON object per descriptor\n"
"      --remove NAME      drop what the holder at SOCKET holds under NAME;\n"
"                         may be repeated\n"
"      --max-fds N        hold at most N descriptors (default 1000)\n"
"      --notify-socket PATH\n"
"                         also take sd_notify datagrams at PATH (a path or\n"
"                         @name): FDSTORE=1 stores what comes with them\n"
"                         under FDNAME= (\"stored\" without), FDPOLL=0 keeps\n"
"                         it past a hang-up, FDSTOREREMOVE=1 removes\n"
"  -b, --background       return once listening; serve in the background\n"
"      --ready-fd N       write a newline to descriptor N once listening\n"
"      --pid-file FILE    write the holder's pid to FILE\n"
"  -t, --timeout SECONDS  give each client SECONDS for its request\n"
"                         (default 10); with --list or --remove, give up\n"
"                         after SECONDS in all\n";

static const struct option hold_longopts[] = {
	{ "list",		no_argument,		NULL, OPT_LIST },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "remove",		required_argument,	NULL, OPT_REMOVE },
	{ "max-fds",		required_argument,	NULL, OPT_MAX_FDS },
	{ "notify-socket",	required_argument,	NULL, OPT_NOTIFY_SOCKET },
	{ "background",		no_argument,		NULL, 'b' },
	{ "ready-fd",		required_argument,	NULL, OPT_READY_FD },
	{ "pid-file",		required_argument,	NULL, OPT_PID_FILE },
	{ NULL,			0,			NULL, 0 },
};

/* Adds a --remove NAME. */
static void
add_removal(struct hold_options *o, char *name)
{
	char **v;

	if (*name == '\0' || !wire_name_valid(name))
		usage_error("hold", "--remove '%s': not a valid descriptor "
		    "name", name);
	if ((v = reallocarray(o->remove, o->nremove + 1, sizeof(*v))) == NULL)
		err(1, "memory");
	v[o->nremove++] = name;
	o->remove = v;
}

/* Checks the combinations that make no sense, once all are parsed. */
static void
check_hold_options(const struct hold_options *o, int serving_only)
{
	if (o->sock.type != SOCK_STREAM)
		usage_error("hold", "a holder listens on a stream socket: no "
		    "--seqpacket or --dgram");
	if (!o->sock.listen)
		usage_error("hold", "a holder listens: no --connect");
	if (o->list && o->nremove > 0)
		usage_error("hold", "--list and --remove exclude each other");
	if (o->json && !o->list)
		usage_error("hold", "--json needs --list");
	if (serving_only && (o->list || o->nremove > 0))
		usage_error("hold", "--list and --remove ask a holder: they "
		    "take no --background, --ready-fd, --pid-file, "
		    "--max-fds or --notify-socket");
}

static void
parse_hold_options(int argc, char **argv, struct hold_options *o)
{
	int ch, serving_only = 0;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 1);
	o->announce.ready_fd = -1;
	o->max_fds = MAX_FDS;
	opterr = 0;
	while ((ch = next_option(argc, argv, "+:lcbt:m:h", hold_longopts,
	    "hold")) != -1) {
		if (socket_option(&o->sock, ch, optarg))
			continue;
		serving_only |= ch == 'b' || ch == OPT_READY_FD ||
		    ch == OPT_PID_FILE || ch == OPT_MAX_FDS ||
		    ch == OPT_NOTIFY_SOCKET;
		/* A holder taking over: written to and closed before. */
		if (announce_option(&o->announce, ch, optarg, !restarting()))
			continue;
		switch (ch) {
		case OPT_LIST:
			o->list = 1;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_REMOVE:
			add_removal(o, optarg);
			break;
		case OPT_MAX_FDS:
			o->max_fds = parse_number("--max-fds", optarg, 1,
			    MAX_FDS_LIMIT);
			break;
		case OPT_NOTIFY_SOCKET:
			o->notify_socket = optarg;
			break;
		case 'h':
			print_help(hold_usage);
		default:
			bad_option("hold", argv, ch);
		}
	}
	if (optind == argc)
		usage_error("hold", "missing SOCKET");
	o->argv = argv;
	o->socket_arg = argv[optind++];
	if (optind < argc)
		usage_error("hold", "'%s' after SOCKET: a holder runs no "
		    "command", argv[optind]);
	check_hold_options(o, serving_only);
	/*
	 * Pinned at the first start; a holder restarted after that process
	 * ended must not die of it, and lose all it holds.
	 */
	if (!restarting())
		endpoint_pin_pid(&o->sock.access);
}

/* Parses the options, then serves, lists or removes as they say. */
int
cmd_hold(int argc, char **argv)
{
	struct hold_options o;
	int status;

	parse_hold_options(argc, argv, &o);
	if (o.list) {
		std_stream_needed(STDOUT_FILENO, "hold --list");
		status = hold_list(&o);
	} else if (o.nremove > 0)
		status = hold_remove(&o);
	else
		hold_serve(&o);
	free(o.remove);
	return status;
}
