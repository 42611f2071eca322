/*
 * fdpass send: its options, then the order of the steps: gather what is
 * to be passed (sources.c, send_data.c), then reach the receiver, hand it
 * over, and wait for its word that it arrived (exchange.c).
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "exchange.h"
#include "fdstore.h"
#include "options.h"
#include "send_data.h"
#include "sources.h"
#include "wire.h"

const char send_usage[] =
"usage: fdpass send [OPTION...] SOCKET [FILE...]\n"
"       fdpass send --stdout|--notify-fdstore NAME [OPTION...] [FILE...]\n"
"Pass open file descriptors to the receiver at SOCKET (a path, or @name for\n"
"a Linux abstract socket).  The descriptors go in the order of the options\n"
"that make them (--fd, --tcp-listen, ...), then each FILE.  With none of\n"
"these, standard input is passed; FILE '-' is standard input too.  Over a\n"
"connected socket, send exits 0 once the receiver has taken them.\n"
"\n"
"  -c, --connect          connect to SOCKET (the default)\n"
"  -l, --listen           listen on SOCKET and send to the first peer\n"
"      --stdout           send on the unix socket that is standard output\n"
"                         (as nc -F does, for ssh's ProxyUseFdpass)\n"
"      --notify-fdstore NAME  store the descriptors in systemd's fd store\n"
"                         through $NOTIFY_SOCKET, under NAME\n"
"      --no-fdpoll        keep them stored even after POLLHUP or POLLERR\n"
"      --remove           remove what is stored under NAME instead\n"
"  -r, --read             open each FILE read-only (the default)\n"
"  -w, --write            open each FILE write-only\n"
"  -a, --append           open each FILE write-only, appending\n"
"      --rdwr             open each FILE for reading and writing\n"
"      --create           create a FILE that does not exist (mode 666 & ~umask)\n"
"      --truncate         truncate each FILE when opening it for writing\n"
"  -f, --fd N             pass descriptor N of fdpass itself\n"
"      --from-pid PID:FD  pass descriptor FD of process PID (pidfd_getfd)\n"
"      --from-haproxy SOCKET  pass the listeners of the HAProxy whose stats\n"
"                         socket (with expose-fd listeners) is SOCKET\n"
"      --haproxy-listener NAME  of those, pass the one named NAME\n"
"                         (tcp-127.0.0.1-8080); may be repeated\n"
"      --haproxy-stats    pass HAProxy's stats sockets too\n"
"      --listen-fds       pass the descriptors fdpass got from systemd\n"
"                         (LISTEN_FDS, with the names in LISTEN_FDNAMES)\n"
"      --tcp-listen [HOST:]PORT  pass a new listening TCP socket\n"
"      --tcp-connect HOST:PORT   pass a new TCP connection\n"
"      --udp [HOST:]PORT  pass a new bound UDP socket\n"
"      --unix-listen PATH pass a new listening unix socket\n"
"      --backlog N        the listen backlog of the sockets made (default 128)\n"
"      --netns PATH       make the --tcp-listen, --tcp-connect and --udp\n"
"                         sockets in the network namespace at PATH\n"
"                         (/run/netns/NAME, /proc/PID/ns/net)\n"
"  -n, --name NAME        name a descriptor: the Nth --name names the Nth\n"
"  -d, --data STRING      send STRING with the descriptors\n"
"  -D, --data-file FILE   send the contents of FILE with the descriptors\n"
"                         ('-': standard input)\n"
"      --raw              send a plain SCM_RIGHTS message, for a receiver\n"
"                         that is not fdpass (no names; no acknowledgement)\n"
"      --wait             wait for the receiver's COMMAND and exit with its\n"
"                         status, forwarding INT, TERM and HUP to it\n"
"  -t, --timeout SECONDS  give up after SECONDS in all: opening FIFOs,\n"
"                         reading --data-file, taking HAProxy's sockets,\n"
"                         looking up hosts, connecting, waiting for a\n"
"                         listener at SOCKET, sending, and waiting for the\n"
"                         receiver's answer (with --wait, its command);\n"
"                         without it, a listener gets 5 s to appear at\n"
"                         SOCKET\n";


static const struct option send_longopts[] = {
	{ "stdout",	no_argument,		NULL, OPT_STDOUT },
	{ "notify-fdstore", required_argument,	NULL, OPT_NOTIFY_FDSTORE },
	{ "no-fdpoll",	no_argument,		NULL, OPT_NO_FDPOLL },
	{ "remove",	no_argument,		NULL, OPT_REMOVE },
	{ "read",	no_argument,		NULL, 'r' },
	{ "write",	no_argument,		NULL, 'w' },
	{ "append",	no_argument,		NULL, 'a' },
	{ "rdwr",	no_argument,		NULL, OPT_RDWR },
	{ "create",	no_argument,		NULL, OPT_CREATE },
	{ "truncate",	no_argument,		NULL, OPT_TRUNCATE },
	{ "fd",		required_argument,	NULL, 'f' },
	{ "from-pid",	required_argument,	NULL, OPT_FROM_PID },
	{ "from-haproxy", required_argument,	NULL, OPT_FROM_HAPROXY },
	{ "haproxy-listener", required_argument, NULL, OPT_HAPROXY_LISTENER },
	{ "haproxy-stats", no_argument,		NULL, OPT_HAPROXY_STATS },
	{ "listen-fds",	no_argument,		NULL, OPT_LISTEN_FDS },
	{ "tcp-listen",	required_argument,	NULL, OPT_TCP_LISTEN },
	{ "tcp-connect", required_argument,	NULL, OPT_TCP_CONNECT },
	{ "udp",	required_argument,	NULL, OPT_UDP },
	{ "unix-listen", required_argument,	NULL, OPT_UNIX_LISTEN },
	{ "backlog",	required_argument,	NULL, OPT_BACKLOG },
	{ "netns",	required_argument,	NULL, OPT_NETNS },
	{ "name",	required_argument,	NULL, 'n' },
	{ "data",	required_argument,	NULL, 'd' },
	{ "data-file",	required_argument,	NULL, 'D' },
	{ "raw",	no_argument,		NULL, OPT_RAW },
	{ "wait",	no_argument,		NULL, OPT_WAIT },
	{ NULL,		0,			NULL, 0 }
};

/* Tells whether a source that makes its socket from an address was given. */
static int
inet_source_given(const struct source_options *o)
{
	return source_given(o, SOURCE_TCP_LISTEN) ||
	    source_given(o, SOURCE_TCP_CONNECT) || source_given(o, SOURCE_UDP);
}

/* Checks the combinations that make no sense, once all are parsed. */
static void
check_send_options(const struct send_options *o)
{
	const struct socket_options *so = &o->sock;
	int elsewhere = o->use_stdout || o->fdstore_name != NULL;

	if (o->data != NULL && o->data_file != NULL)
		usage_error("send", "--data and --data-file exclude each other");
	if ((o->src.open_flags & (O_CREAT | O_TRUNC)) &&
	    o->src.access_mode == O_RDONLY)
		usage_error("send", "--create and --truncate need --write, "
		    "--append or --rdwr");
	if (so->listen && so->type == SOCK_DGRAM)
		usage_error("send", "--listen needs a connected socket, "
		    "not --dgram");
	if (o->use_stdout && o->fdstore_name != NULL)
		usage_error("send", "--stdout and --notify-fdstore exclude "
		    "each other");
	if (elsewhere && (so->listen || so->type != SOCK_STREAM))
		usage_error("send", "--stdout and --notify-fdstore take no "
		    "--listen, --seqpacket or --dgram");
	if (o->wait && (o->raw || elsewhere || so->type == SOCK_DGRAM))
		usage_error("send", "--wait needs an fdpass receiver on a "
		    "connected socket");
	if (o->src.nnames > 0 && (o->raw || elsewhere))
		usage_error("send", "--name needs the fdpass wire format, not "
		    "--raw, --stdout or --notify-fdstore");
	if (o->fdstore_name != NULL && (o->data != NULL ||
	    o->data_file != NULL))
		usage_error("send", "--notify-fdstore sends no --data");
	/* There, only HAProxy is a peer to check: by --allow-*, not --peer-*. */
	if ((so->type == SOCK_DGRAM || o->fdstore_name != NULL) &&
	    access_given(&so->access) &&
	    (!source_given(&o->src, SOURCE_FROM_HAPROXY) ||
	    so->access.check_uid || so->access.check_gid ||
	    so->access.check_pid))
		usage_error("send", "--allow-uid, --allow-gid, --peer-uid, "
		    "--peer-gid and --peer-pid need a connected socket, not "
		    "--dgram or --notify-fdstore");
	if ((o->no_fdpoll || o->remove) && o->fdstore_name == NULL)
		usage_error("send", "--no-fdpoll and --remove need "
		    "--notify-fdstore");
	if (o->remove && (o->no_fdpoll || o->src.nsources > 0))
		usage_error("send", "--remove passes no descriptors: no "
		    "--no-fdpoll, --fd, --from-pid, ...");
	if ((o->src.haproxy_stats || o->src.nlisteners > 0) &&
	    !source_given(&o->src, SOURCE_FROM_HAPROXY))
		usage_error("send", "--haproxy-stats and --haproxy-listener "
		    "need --from-haproxy");
	if (o->src.netns != NULL && !inet_source_given(&o->src))
		usage_error("send", "--netns needs --tcp-listen, --tcp-connect "
		    "or --udp");
}

static void
parse_send_options(int argc, char **argv, struct send_options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 0);
	o->src.access_mode = O_RDONLY;
	o->src.backlog = 128;
	opterr = 0;
	while ((ch = next_option(argc, argv, "+:clrwaf:n:d:D:t:m:h",
	    send_longopts, "send")) != -1) {
		if (socket_option(&o->sock, ch, optarg))
			continue;
		switch (ch) {
		case OPT_STDOUT:
			o->use_stdout = 1;
			break;
		case OPT_NOTIFY_FDSTORE:
			if (optarg[0] == '\0' || !wire_name_valid(optarg))
				usage_error("send", "--notify-fdstore '%s': "
				    "not a valid descriptor name", optarg);
			o->fdstore_name = optarg;
			break;
		case OPT_NO_FDPOLL:
			o->no_fdpoll = 1;
			break;
		case OPT_REMOVE:
			o->remove = 1;
			break;
		case 'r':
			o->src.access_mode = O_RDONLY;
			break;
		case 'w':
			o->src.access_mode = O_WRONLY;
			break;
		case 'a':
			o->src.access_mode = O_WRONLY;
			o->src.open_flags |= O_APPEND;
			break;
		case OPT_RDWR:
			o->src.access_mode = O_RDWR;
			break;
		case OPT_CREATE:
			o->src.open_flags |= O_CREAT;
			break;
		case OPT_TRUNCATE:
			o->src.open_flags |= O_TRUNC;
			break;
		case 'f':
			source_check_inherited(optarg);
			source_add(&o->src, SOURCE_FD, optarg);
			break;
		case OPT_FROM_PID:
			source_add(&o->src, SOURCE_FROM_PID, optarg);
			break;
		case OPT_FROM_HAPROXY:
			source_add(&o->src, SOURCE_FROM_HAPROXY, optarg);
			break;
		case OPT_HAPROXY_LISTENER:
			source_pick_listener(&o->src, optarg);
			break;
		case OPT_HAPROXY_STATS:
			o->src.haproxy_stats = 1;
			break;
		case OPT_LISTEN_FDS:
			source_check_listen_fds();
			source_add(&o->src, SOURCE_LISTEN_FDS, optarg);
			break;
		case OPT_TCP_LISTEN:
			source_add(&o->src, SOURCE_TCP_LISTEN, optarg);
			break;
		case OPT_TCP_CONNECT:
			source_add(&o->src, SOURCE_TCP_CONNECT, optarg);
			break;
		case OPT_UDP:
			source_add(&o->src, SOURCE_UDP, optarg);
			break;
		case OPT_UNIX_LISTEN:
			source_add(&o->src, SOURCE_UNIX_LISTEN, optarg);
			break;
		case OPT_BACKLOG:
			o->src.backlog = parse_number("--backlog", optarg, 1,
			    65535);
			break;
		case OPT_NETNS:
			o->src.netns = optarg;
			break;
		case 'n':
			if (!wire_name_valid(optarg))
				usage_error("send", "--name '%s': a name is at "
				    "most %d printable ASCII characters "
				    "without ':'", optarg, WIRE_NAME_MAX);
			source_add_name(&o->src, optarg);
			break;
		case 'd':
			o->data = optarg;
			break;
		case 'D':
			o->data_file = optarg;
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case OPT_WAIT:
			o->wait = 1;
			break;
		case 'h':
			print_help(send_usage);
		default:
			bad_option("send", argv, ch);
		}
	}
	check_send_options(o);
	endpoint_pin_pid(&o->sock.access);
	if (o->use_stdout)
		o->socket_arg = "stdout";
	else if (o->fdstore_name != NULL)
		o->socket_arg = "NOTIFY_SOCKET";
	else if (optind == argc)
		usage_error("send", "missing SOCKET");
	else
		o->socket_arg = argv[optind++];
	if (o->remove && optind < argc)
		usage_error("send", "--remove passes no descriptors: no FILE");
	o->src.none = o->remove;
}

int
cmd_send(int argc, char **argv)
{
	char fdstore[FDSTORE_MESSAGE_MAX];
	struct send_options parsed;
	const struct send_options *o = &parsed;
	struct payload p;
	struct outgoing out = { 0 };
	struct deadline deadline;
	int status;

	parse_send_options(argc, argv, &parsed);
	/* One deadline for all of it, from opening the first FILE on. */
	deadline_set_ms(&deadline, o->sock.timeout_ms);
	payload_gather(&p, &o->src, &o->sock, argv + optind, argc - optind,
	    &deadline);
	send_data_prepare(&p, o->data, o->data_file, &o->sock, o->raw,
	    &deadline);
	out.fds = p.fds;
	out.nfds = p.nitems;
	out.names = p.names;
	out.raw = o->raw || o->use_stdout || o->fdstore_name != NULL;
	out.deadline = &deadline;
	if (!out.raw && o->sock.type != SOCK_DGRAM)
		out.flags = WIRE_ACK | WIRE_PROVE | (o->wait ? WIRE_WAIT : 0);
	out.data = p.data;
	out.datalen = p.datalen;
	out.data_fd = p.data_fd;
	out.data_fd_len = p.data_fd_len;
	if (o->fdstore_name != NULL) {
		out.datalen = fdstore_message(fdstore, o->remove ?
		    FDSTORE_REMOVE : o->no_fdpoll ? FDSTORE_KEEP :
		    FDSTORE_STORE, o->fdstore_name);
		out.data = fdstore;
	}
	if (o->sock.listen)
		status = send_listening(o, &p, &out, &deadline);
	else
		status = send_connected(o, &p, &out, &deadline);
	payload_release(&p);
	free(parsed.src.sources);
	free(parsed.src.names);
	return status;
}
