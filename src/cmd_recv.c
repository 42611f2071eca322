/*
 * fdpass recv: wait for a sender, take its descriptors, and either hand
 * them to COMMAND at the numbers asked for or print what arrived.  Here
 * are its options and the choice of how to serve (serve.c); a sender's
 * turn is turn.c's, what it prints record.c's and render.c's.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "background.h"
#include "commands.h"
#include "fds_free.h"
#include "options.h"
#include "recv.h"
#include "serve.h"
#include "stdstreams.h"
#include "wire.h"

/* The highest descriptor number --at accepts. */
#define AT_MAX		1048575

/* How many senders --keep-listening serves at once by default. */
#define MAX_CHILDREN	40

const char recv_usage[] =
"usage: fdpass recv [OPTION...] SOCKET [--] [COMMAND [ARG...]]\n"
"       fdpass recv --stdin [OPTION...] [--] [COMMAND [ARG...]]\n"
"       fdpass recv --fetch NAME[,NAME...]|--fetch-all [OPTION...] SOCKET\n"
"           [--] [COMMAND [ARG...]]\n"
"Receive descriptors on SOCKET (a path, or @name for a Linux abstract\n"
"socket) and run COMMAND with them: by default the first on standard input\n"
"and any others from 3 up.  Data that came with them is in FDPASS_DATA.\n"
"With no COMMAND, print for each transfer a line per descriptor (\"fd\",\n"
"index, kind, name, path, local and peer address), the data as \"data\"\n"
"lines, and \"end\"; fields and data are vis(3)-encoded.\n"
"\n"
"  -l, --listen           listen on SOCKET (the default)\n"
"  -c, --connect          connect to SOCKET, where a sender listens\n"
"      --stdin            receive on the unix socket that is standard input\n"
"      --fetch NAME[,NAME...]  get copies of what the holder at SOCKET\n"
"                         (fdpass hold) holds under these names\n"
"      --fetch-all        get copies of all it holds\n"
"      --at N[=NAME][,...]  place the descriptors at N, ...: the one named\n"
"                         NAME, or the next in order\n"
"      --listen-fds       place them from 3 and set LISTEN_FDS, LISTEN_PID\n"
"                         and LISTEN_FDNAMES (the systemd convention)\n"
"      --inetd            place the first on 0 and 1 (or two on 0 and 1)\n"
"      --ucspi            place the first on 6 and 7 (or two on 6 and 7)\n"
"      --blocking         clear O_NONBLOCK on what COMMAND gets\n"
"      --count N          wait for exactly N descriptors\n"
"      --json             print a JSON object per transfer instead\n"
"      --once             serve one sender, then exit or exec (the default)\n"
"  -k, --keep-listening   serve senders until killed, each in a new process\n"
"      --max-children N   serve at most N senders at once (default 40)\n"
"  -b, --background       return once listening; serve in the background\n"
"      --ready-fd N       write a newline to descriptor N once listening\n"
"      --pid-file FILE    write the serving process's pid to FILE\n"
"  -t, --timeout SECONDS  give up after SECONDS without a complete transfer\n"
"                         (with --connect, connecting included)\n";


static const struct option recv_longopts[] = {
	{ "stdin",	no_argument,		NULL, OPT_STDIN },
	{ "at",		required_argument,	NULL, OPT_AT },
	{ "listen-fds",	no_argument,		NULL, OPT_LISTEN_FDS },
	{ "inetd",	no_argument,		NULL, OPT_INETD },
	{ "ucspi",	no_argument,		NULL, OPT_UCSPI },
	{ "blocking",	no_argument,		NULL, OPT_BLOCKING },
	{ "count",	required_argument,	NULL, OPT_COUNT },
	{ "json",	no_argument,		NULL, OPT_JSON },
	{ "once",	no_argument,		NULL, OPT_ONCE },
	{ "keep-listening", no_argument,	NULL, 'k' },
	{ "background",	no_argument,		NULL, 'b' },
	{ "ready-fd",	required_argument,	NULL, OPT_READY_FD },
	{ "pid-file",	required_argument,	NULL, OPT_PID_FILE },
	{ "max-children", required_argument,	NULL, OPT_MAX_CHILDREN },
	{ "fetch",	required_argument,	NULL, OPT_FETCH },
	{ "fetch-all",	no_argument,		NULL, OPT_FETCH_ALL },
	{ NULL,		0,			NULL, 0 }
};

/* Reads the names, comma-separated, that --fetch asks a holder for. */
static void
parse_fetch(struct recv_options *o, char *arg)
{
	char *name, **v;

	while ((name = strsep(&arg, ",")) != NULL) {
		if (*name == '\0' || !wire_name_valid(name))
			usage_error("recv", "--fetch '%s': not a valid "
			    "descriptor name", name);
		if ((v = reallocarray(o->fetch, o->nfetch + 1,
		    sizeof(*v))) == NULL)
			err(1, "memory");
		v[o->nfetch++] = name;
		o->fetch = v;
	}
}

/* Reads "N" or "N=NAME" items, comma-separated, for --at. */
static void
parse_at(struct recv_options *o, char *arg)
{
	struct rlimit rl;
	char *item, *name;
	size_t i, n;
	int fd;

	while ((item = strsep(&arg, ",")) != NULL) {
		if ((name = strchr(item, '=')) != NULL) {
			*name++ = '\0';
			if (*name == '\0' || !wire_name_valid(name))
				usage_error("recv", "--at %s=%s: not a valid "
				    "descriptor name", item, name);
		}
		fd = parse_number("--at", item, 0, AT_MAX);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    (rlim_t)fd >= rl.rlim_cur)
			usage_error("recv", "--at %d: above the descriptor "
			    "limit of %llu (see ulimit -n)", fd,
			    (unsigned long long)rl.rlim_cur);
		n = o->handoff.nat;
		for (i = 0; i < n; i++)
			if (o->at[i].target == fd)
				usage_error("recv", "--at names %d twice", fd);
		if ((o->at = reallocarray(o->at, n + 1, sizeof(*o->at))) ==
		    NULL)
			err(1, "memory");
		o->at[n].target = fd;
		o->at[n].name = name;
		o->handoff.at = o->at;
		o->handoff.nat = n + 1;
	}
}

/*
 * Refuses --at targets so near RLIMIT_NOFILE that placing them would fail
 * once the transfer has come: place_fds first moves each descriptor, and
 * recv's own that stay until the exec, above the highest target.
 */
static void
check_at_room(const struct recv_options *o)
{
	const struct handoff *h = &o->handoff;
	struct rlimit rl;
	size_t i, need = h->nat + HANDOFF_KEPT;
	int top = 0;

	if (h->nat == 0 || getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return;
	for (i = 0; i < h->nat; i++)
		if (h->at[i].target > top)
			top = h->at[i].target;
	if ((rlim_t)top + 1 + need > rl.rlim_cur)
		usage_error("recv", "--at %d: too near the descriptor limit of "
		    "%llu: placing %zu descriptor%s there needs %zu free "
		    "numbers above it (see ulimit -n)", top,
		    (unsigned long long)rl.rlim_cur, h->nat,
		    h->nat == 1 ? "" : "s", need);
}

/* Records a placement style; only one may be given. */
static void
set_style(struct recv_options *o, enum style style)
{
	if (o->handoff.style != STYLE_DEFAULT && o->handoff.style != style)
		usage_error("recv", "--at, --listen-fds, --inetd and --ucspi "
		    "exclude each other");
	o->handoff.style = style;
}

/* Checks the combinations that make no sense, once all are parsed. */
static void
check_recv_options(const struct recv_options *o)
{
	const struct socket_options *so = &o->sock;

	if (o->handoff.style != STYLE_DEFAULT && o->handoff.command == NULL)
		usage_error("recv", "--at, --listen-fds, --inetd and --ucspi "
		    "need a COMMAND");
	if (o->json && o->handoff.command != NULL)
		usage_error("recv", "--json prints; it takes no COMMAND");
	if (o->use_stdin && (so->listen || so->type != SOCK_STREAM))
		usage_error("recv", "--stdin takes no --listen, --seqpacket "
		    "or --dgram");
	if ((o->keep || o->announce.background ||
	    o->announce.ready_fd != -1 || o->announce.pid_file != NULL) &&
	    !so->listen)
		usage_error("recv", "--keep-listening, --background, "
		    "--ready-fd and --pid-file need --listen");
	/* Once listening, recv puts /dev/null there, and prints nothing. */
	if (o->announce.ready_fd == STDOUT_FILENO &&
	    o->handoff.command == NULL)
		usage_error("recv", "--ready-fd 1 is standard output, where "
		    "recv prints: it needs a COMMAND");
	if (o->max_children != 0 && !o->keep)
		usage_error("recv", "--max-children needs --keep-listening");
	if (!so->listen && !o->use_stdin && so->type == SOCK_DGRAM)
		usage_error("recv", "--connect needs a connected socket, not "
		    "--dgram");
	if ((o->nfetch > 0 || o->fetch_all) && (o->use_stdin ||
	    so->type != SOCK_STREAM || o->count > 0))
		usage_error("recv", "--fetch and --fetch-all take no --stdin, "
		    "--seqpacket, --dgram or --count");
	if ((o->nfetch > 0 || o->fetch_all) && so->listen)
		usage_error("recv", "--fetch connects to a holder: no "
		    "--listen");
	if (o->nfetch > 0 && o->fetch_all)
		usage_error("recv", "--fetch and --fetch-all exclude each "
		    "other");
}

static void
parse_recv_options(int argc, char **argv, struct recv_options *o)
{
	int ch, listen_given = 0;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 1);
	o->announce.ready_fd = -1;
	opterr = 0;
	while ((ch = next_option(argc, argv, "+:lckbt:m:h",
	    recv_longopts, "recv")) != -1) {
		listen_given |= ch == 'l';
		if (socket_option(&o->sock, ch, optarg) ||
		    announce_option(&o->announce, ch, optarg, 1))
			continue;
		switch (ch) {
		case OPT_STDIN:
			o->use_stdin = 1;
			break;
		case OPT_FETCH:
			parse_fetch(o, optarg);
			break;
		case OPT_FETCH_ALL:
			o->fetch_all = 1;
			break;
		case OPT_AT:
			set_style(o, STYLE_AT);
			parse_at(o, optarg);
			break;
		case OPT_LISTEN_FDS:
			set_style(o, STYLE_LISTEN_FDS);
			break;
		case OPT_INETD:
			set_style(o, STYLE_INETD);
			break;
		case OPT_UCSPI:
			set_style(o, STYLE_UCSPI);
			break;
		case OPT_BLOCKING:
			o->handoff.blocking = 1;
			break;
		case OPT_COUNT:
			o->count = parse_number("--count", optarg, 1,
			    WIRE_MAX_FDS);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_ONCE:
			o->keep = 0;
			break;
		case 'k':
			o->keep = 1;
			break;
		case OPT_MAX_CHILDREN:
			o->max_children = parse_number("--max-children",
			    optarg, 1, 100000);
			break;
		case 'h':
			print_help(recv_usage);
		default:
			bad_option("recv", argv, ch);
		}
	}
	/* A holder listens; whoever fetches connects. */
	if ((o->nfetch > 0 || o->fetch_all) && !listen_given)
		o->sock.listen = 0;
	if (o->use_stdin) {
		o->socket_arg = "stdin";
		/* Unless -l said otherwise, which check_recv_options refuses. */
		o->sock.listen = listen_given;
	}
	else if (optind == argc)
		usage_error("recv", "missing SOCKET");
	else
		o->socket_arg = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	/* Most likely an option put after SOCKET; "--" first says it is not. */
	else if (optind < argc && argv[optind][0] == '-')
		usage_error("recv", "'%s' after SOCKET: options go before it "
		    "(a COMMAND that begins with '-' goes after '--')",
		    argv[optind]);
	o->handoff.command = optind < argc ? argv + optind : NULL;
	check_recv_options(o);
	check_at_room(o);
	endpoint_pin_pid(&o->sock.access);
	if (o->max_children == 0)
		o->max_children = MAX_CHILDREN;
}

/*
 * Exits as a shell would, 127 or 126, when COMMAND cannot be run: before
 * recv listens, so that no sender commits a transfer (--truncate, ...) to
 * a receiver that could only refuse it.
 */
static void
check_command(char *const *command)
{
	if (command == NULL || handoff_find_command(command[0], NULL) == 0)
		return;
	if (errno == ENOENT)
		errx(127, "%s: not found", command[0]);
	err(126, "%s", command[0]);
}

/*
 * Exits 1 when RLIMIT_NOFILE leaves too few numbers free to take any
 * message: recv reads none without a number for each descriptor it may
 * bring (intake.c), and would refuse every one.  The margin is for recv's
 * own descriptors, opened once it serves.
 */
static void
check_descriptor_room(const struct recv_options *o)
{
	size_t need = FDP_MAX_FDS_PER_MSG + 16;

	if (fds_free() < need)
		errx(1, "%s: too low a descriptor limit to receive, which "
		    "needs %zu free (see ulimit -n)", o->socket_arg, need);
}

/*
 * Parses the options, reaches SOCKET, and serves as they say.  The run
 * is static rather than on the stack for its size: the receiver's buffer
 * and the data held.
 */
int
cmd_recv(int argc, char **argv)
{
	static struct recv_run run;
	struct recv_options o;
	const struct listener *l;
	int status;

	parse_recv_options(argc, argv, &o);
	check_command(o.handoff.command);
	check_descriptor_room(&o);
	if (o.handoff.command == NULL)
		std_stream_needed(STDOUT_FILENO, "recv");
	run.opt = &o;
	record_init(&run.record);
	handoff_keep_stderr();
	if (o.use_stdin)
		status = serve_stdin(&run);
	else if (o.nfetch > 0 || o.fetch_all)
		status = serve_fetch(&run);
	else if (!o.sock.listen)
		status = serve_connected(&run);
	else {
		l = endpoint_listen(o.socket_arg, o.sock.type, o.sock.mode);
		announce_listening(&o.announce);
		if (o.keep)
			serve_forever(&run, l);
		status = serve_once(&run, l);
	}
	free(o.at);
	free(o.fetch);
	return status;
}
