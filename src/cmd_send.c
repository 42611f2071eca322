/*
 * fdpass send: open or make what is to be passed, reach the receiver,
 * hand it over, and wait for the receiver's word that it arrived.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "grab.h"
#include "haproxy.h"
#include "msg.h"
#include "options.h"
#include "sockets.h"
#include "stdstreams.h"
#include "transfer.h"
#include "wire.h"

/* Data from a pipe or for a datagram is read into memory, up to this. */
#define DATA_MEMORY_MAX	(16 * 1024 * 1024)

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
"                         status\n"
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

/* A descriptor-making option, kept in order until all options are read. */
struct source {
	int		 kind;		/* 'f' or OPT_TCP_LISTEN, ... */
	const char	*arg;
};

/* A FILE opened, for what is done to it later. */
struct opened {
	int		 fd;
	const char	*path;
};

struct send_options {
	struct socket_options	 sock;
	const char		*socket_arg;	/* SOCKET, "stdout", ... */
	int			 use_stdout;
	const char		*fdstore_name;
	int			 no_fdpoll;	/* FDPOLL=0 */
	int			 remove;	/* FDSTOREREMOVE=1 */
	int			 access_mode;	/* O_RDONLY, O_WRONLY or O_RDWR */
	int			 open_flags;	/* O_APPEND, O_CREAT, O_TRUNC */
	struct source		*sources;
	size_t			 nsources;
	int			 backlog;
	const char		*netns;		/* PATH of --netns */
	const char		**names;	/* from --name */
	size_t			 nnames;
	const char		*data;
	const char		*data_file;
	int			 raw;
	int			 wait;
	int			*fds;		/* what is sent, in order */
	size_t			 nfds;
	char			**given;	/* names from the sources */
	size_t			 ngiven;
	int			*owned;		/* what send made and closes */
	size_t			 nowned;
	struct opened		*truncate;	/* to truncate before sending */
	size_t			 ntruncate;
};

/* Appends one element to a growing array; exits 1 when memory runs out. */
static void *
append(void *array, size_t *n, size_t size)
{
	char *grown;

	if ((grown = reallocarray(array, *n + 1, size)) == NULL)
		err(1, "memory");
	(*n)++;
	return grown;
}

static void
add_source(struct send_options *o, int kind, const char *arg)
{
	o->sources = append(o->sources, &o->nsources, sizeof(*o->sources));
	o->sources[o->nsources - 1].kind = kind;
	o->sources[o->nsources - 1].arg = arg;
}

static void
add_name(struct send_options *o, const char *arg)
{
	if (!wire_name_valid(arg))
		usage_error("send", "--name '%s': a name is at most %d "
		    "printable ASCII characters without ':'", arg,
		    WIRE_NAME_MAX);
	o->names = append(o->names, &o->nnames, sizeof(*o->names));
	o->names[o->nnames - 1] = arg;
}

/* Tells whether a source makes its socket from an address. */
static int
inet_source(const struct source *s)
{
	return s->kind == OPT_TCP_LISTEN || s->kind == OPT_TCP_CONNECT ||
	    s->kind == OPT_UDP;
}

/* Tells whether a --from-haproxy source was given. */
static int
from_haproxy(const struct send_options *o)
{
	size_t i;

	for (i = 0; i < o->nsources; i++)
		if (o->sources[i].kind == OPT_FROM_HAPROXY)
			return 1;
	return 0;
}

/* Checks the combinations that make no sense, once all are parsed. */
static void
check_send_options(const struct send_options *o)
{
	const struct socket_options *so = &o->sock;
	int elsewhere = o->use_stdout || o->fdstore_name != NULL;
	size_t i;

	if (o->data != NULL && o->data_file != NULL)
		usage_error("send", "--data and --data-file exclude each other");
	if ((o->open_flags & (O_CREAT | O_TRUNC)) &&
	    o->access_mode == O_RDONLY)
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
	if (o->nnames > 0 && (o->raw || elsewhere))
		usage_error("send", "--name needs the fdpass wire format, not "
		    "--raw, --stdout or --notify-fdstore");
	if (o->fdstore_name != NULL && (o->data != NULL ||
	    o->data_file != NULL))
		usage_error("send", "--notify-fdstore sends no --data");
	/* There, only HAProxy is a peer to check: by --allow-*, not --peer-*. */
	if ((so->type == SOCK_DGRAM || o->fdstore_name != NULL) &&
	    access_given(&so->access) && (!from_haproxy(o) ||
	    so->access.check_uid || so->access.check_gid ||
	    so->access.check_pid))
		usage_error("send", "--allow-uid, --allow-gid, --peer-uid, "
		    "--peer-gid and --peer-pid need a connected socket, not "
		    "--dgram or --notify-fdstore");
	if ((o->no_fdpoll || o->remove) && o->fdstore_name == NULL)
		usage_error("send", "--no-fdpoll and --remove need "
		    "--notify-fdstore");
	if (o->remove && (o->no_fdpoll || o->nsources > 0))
		usage_error("send", "--remove passes no descriptors: no "
		    "--no-fdpoll, --fd, --from-pid, ...");
	for (i = 0; i < o->nsources && !inet_source(&o->sources[i]); i++)
		continue;
	if (o->netns != NULL && i == o->nsources)
		usage_error("send", "--netns needs --tcp-listen, --tcp-connect "
		    "or --udp");
}

static void
parse_send_options(int argc, char **argv, struct send_options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 0);
	o->access_mode = O_RDONLY;
	o->backlog = 128;
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
			o->access_mode = O_RDONLY;
			break;
		case 'w':
			o->access_mode = O_WRONLY;
			break;
		case 'a':
			o->access_mode = O_WRONLY;
			o->open_flags |= O_APPEND;
			break;
		case OPT_RDWR:
			o->access_mode = O_RDWR;
			break;
		case OPT_CREATE:
			o->open_flags |= O_CREAT;
			break;
		case OPT_TRUNCATE:
			o->open_flags |= O_TRUNC;
			break;
		case 'f':
			parse_number("--fd", optarg, 0, INT32_MAX);
			add_source(o, ch, optarg);
			break;
		case OPT_FROM_PID:
		case OPT_FROM_HAPROXY:
		case OPT_LISTEN_FDS:
		case OPT_TCP_LISTEN:
		case OPT_TCP_CONNECT:
		case OPT_UDP:
		case OPT_UNIX_LISTEN:
			add_source(o, ch, optarg);
			break;
		case OPT_BACKLOG:
			o->backlog = parse_number("--backlog", optarg, 1,
			    65535);
			break;
		case OPT_NETNS:
			o->netns = optarg;
			break;
		case 'n':
			add_name(o, optarg);
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
}

static void
add_fd(struct send_options *o, int fd, int owned)
{
	o->fds = append(o->fds, &o->nfds, sizeof(*o->fds));
	o->fds[o->nfds - 1] = fd;
	if (owned) {
		o->owned = append(o->owned, &o->nowned, sizeof(*o->owned));
		o->owned[o->nowned - 1] = fd;
	}
}

/* Adds a descriptor a source names (NULL: unnamed); --name overrides. */
static void
add_named_fd(struct send_options *o, int fd, int owned, const char *name)
{
	char *copy = NULL;

	if (name != NULL && (copy = strdup(name)) == NULL)
		err(1, "memory");
	add_fd(o, fd, owned);
	while (o->ngiven < o->nfds) {
		o->given = append(o->given, &o->ngiven, sizeof(*o->given));
		o->given[o->ngiven - 1] = NULL;
	}
	o->given[o->nfds - 1] = copy;
}

/* --fd N: a descriptor fdpass inherited; N was checked when parsed. */
static int
inherited_fd(const char *arg)
{
	int fd;

	fd = strtonum(arg, 0, INT32_MAX, NULL);
	if (fcntl(fd, F_GETFD) == -1)
		err(1, "--fd %d", fd);
	return fd;
}

/* --from-pid PID:FD: a copy of another process's descriptor. */
static int
grabbed_fd(const char *arg)
{
	char pid[16];
	const char *colon = strchr(arg, ':');
	int fd, got;

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(pid))
		usage_error("send", "--from-pid '%s': expected PID:FD", arg);
	memcpy(pid, arg, colon - arg);
	pid[colon - arg] = '\0';
	got = parse_number("--from-pid", pid, 1, INT32_MAX);
	fd = parse_number("--from-pid", colon + 1, 0, INT32_MAX);
	if ((got = grab_fd(got, fd)) == -1) {
		if (errno == ENOSYS)
			errx(1, "--from-pid %s: this kernel has no "
			    "pidfd_getfd (Linux 5.6 or later needed)", arg);
		err(1, "--from-pid %s", arg);
	}
	return got;
}

/* Reports a failed exchange with HAProxy, and exits 1. */
static void __attribute__((noreturn))
haproxy_failed(const struct send_options *o, const char *path,
    const char *why)
{
	if (why != NULL)
		errx(1, "--from-haproxy %s: HAProxy %s", path, why);
	if (errno == ETIMEDOUT)
		errx(1, "--from-haproxy %s: HAProxy did not hand its sockets "
		    "over within %s s", path,
		    seconds_text(o->sock.timeout_ms));
	err(1, "--from-haproxy %s", path);
}

/*
 * --from-haproxy SOCKET: HAProxy's listeners, named by their address, by
 * the deadline d.  The process that answers must be of our own user or
 * one --allow-uid or --allow-gid admits, before it hands over anything.
 */
static void
add_haproxy_fds(struct send_options *o, const char *path,
    const struct deadline *d)
{
	char name[HAPROXY_NAME_SIZE];
	struct haproxy h;
	const char *why;
	ssize_t i, n;
	uid_t uid;
	int *fds;

	if (haproxy_ask(&h, path, d, &why) == -1)
		haproxy_failed(o, path, why);
	if (!access_allowed(&o->sock.access, &h.answerer)) {
		uid = h.answerer.uid;
		haproxy_abandon(&h);
		errx(1, "--from-haproxy %s: answered by uid %ld, not %ld "
		    "(see --allow-uid)", path, (long)uid, (long)geteuid());
	}
	if ((n = haproxy_take(&h, &fds, &why)) == -1)
		haproxy_failed(o, path, why);
	for (i = 0; i < n; i++) {
		haproxy_socket_name(fds[i], name, sizeof(name));
		add_named_fd(o, fds[i], 1, name);
	}
	free(fds);
}

/*
 * --listen-fds: what fdpass inherited under systemd's convention, from 3,
 * with LISTEN_FDNAMES's names (an empty one leaves its descriptor
 * unnamed).  LISTEN_* stay set: send runs no command that would see them.
 */
static void
add_listen_fds(struct send_options *o)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES"), *errstr;
	char *copy = NULL, *next = NULL, *name;
	long long n, i;

	if (pid == NULL)
		errx(1, "--listen-fds: LISTEN_PID is not set");
	if (strtonum(pid, 1, INT32_MAX, NULL) != getpid())
		errx(1, "--listen-fds: LISTEN_PID is %s, not this process", pid);
	if (count == NULL)
		errx(1, "--listen-fds: LISTEN_FDS is not set");
	n = strtonum(count, 1, WIRE_MAX_FDS, &errstr);
	if (errstr != NULL && strcmp(count, "0") == 0)
		errx(1, "--listen-fds: LISTEN_FDS is 0: no descriptors to pass");
	if (errstr != NULL)
		errx(1, "--listen-fds: LISTEN_FDS is '%s', not a number of "
		    "descriptors", count);
	if (names != NULL && (next = copy = strdup(names)) == NULL)
		err(1, "memory");
	for (i = 0; i < n; i++) {
		if (fcntl(3 + i, F_GETFD) == -1)
			err(1, "--listen-fds: descriptor %lld", 3 + i);
		name = copy != NULL ? strsep(&next, ":") : NULL;
		if (copy != NULL && name == NULL)
			errx(1, "--listen-fds: LISTEN_FDNAMES has fewer names "
			    "than the %lld descriptors", n);
		if (name != NULL && *name != '\0' && !wire_name_valid(name))
			errx(1, "--listen-fds: LISTEN_FDNAMES: '%s' is not a "
			    "valid name", name);
		add_named_fd(o, 3 + i, 0,
		    name != NULL && *name != '\0' ? name : NULL);
	}
	if (next != NULL)
		errx(1, "--listen-fds: LISTEN_FDNAMES has more names than "
		    "the %lld descriptors", n);
	free(copy);
}

/*
 * --netns PATH: the sockets made from an address are made there.  Checked
 * before anything is opened or made, so that a failure leaves nothing.
 */
static void
use_netns(const char *path)
{
	const char *why;

	if (socket_netns(path, &why) == 0)
		return;
	if (why != NULL)
		errx(1, "--netns %s: %s", path, why);
	if (errno == EPERM)
		errx(1, "--netns %s: %s (needs CAP_SYS_ADMIN)", path,
		    strerror(errno));
	err(1, "--netns %s", path);
}

/*
 * Makes the descriptor a --tcp-listen, --udp, ... option asks for, a
 * connection by the deadline d.
 */
static int
made_socket(const struct send_options *o, const struct source *s,
    const struct deadline *d)
{
	struct listener made;
	sigset_t held;
	const char *why = NULL, *option;
	int fd;

	switch (s->kind) {
	case OPT_TCP_LISTEN:
		option = "--tcp-listen";
		fd = socket_tcp_listen(s->arg, o->backlog, d, &why);
		break;
	case OPT_TCP_CONNECT:
		option = "--tcp-connect";
		fd = socket_tcp_connect(s->arg, d, &why);
		break;
	case OPT_UDP:
		option = "--udp";
		fd = socket_udp(s->arg, d, &why);
		break;
	default:
		option = "--unix-listen";
		/* From the bind, under its temporary name too, to the record. */
		cleanup_hold(&held);
		fd = socket_unix_listen(s->arg, o->backlog, o->sock.mode, &made,
		    &why);
		/* Nobody but the receiver would answer on it. */
		if (fd != -1 && made.path != NULL)
			cleanup_made(made.path, made.dev, made.ino);
		cleanup_release(&held);
		break;
	}
	if (fd == -1 && why != NULL && errno == EINVAL)
		usage_error("send", "%s %s: %s", option, s->arg, why);
	if (fd == -1 && why != NULL)
		errx(1, "%s %s: %s", option, s->arg, why);
	if (fd == -1)
		err(1, "%s %s", option, s->arg);
	return fd;
}

/*
 * Opens path as open(2) would with flags, but waits for the other end of
 * a FIFO only until the deadline d, failing with ETIMEDOUT then; with no
 * deadline it is open(2).  Reading, the FIFO is opened at once without
 * blocking and waited on until it has a writer, as a receiver given it
 * earlier would read end of file; writing, the open is tried until a
 * reader is there.  The descriptor is left blocking, as open(2) leaves it.
 */
static int
open_bounded(const char *path, int flags, const struct deadline *d)
{
	struct stat st;
	ssize_t n;
	int fd, fl, tap[2], saved;

	if (deadline_remaining_ms(d) == -1)
		return open(path, flags, 0666);
	/* Without a reader, a FIFO cannot be opened to write: ENXIO. */
	while ((fd = open(path, flags | O_NONBLOCK, 0666)) == -1) {
		if (errno != ENXIO || stat(path, &st) == -1 ||
		    !S_ISFIFO(st.st_mode))
			return -1;
		if (deadline_sleep(d, 10) == -1)
			return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISFIFO(st.st_mode) && (flags & O_ACCMODE) == O_RDONLY) {
		/*
		 * tee(2) copies what the FIFO holds without taking it: 0 means
		 * empty with no writer, EAGAIN a writer yet to write.
		 */
		if (pipe2(tap, O_CLOEXEC) == -1)
			goto fail;
		while ((n = tee(fd, tap[1], 1, SPLICE_F_NONBLOCK)) == 0 &&
		    deadline_sleep(d, 10) == 0)
			continue;
		saved = errno;
		close(tap[0]);
		close(tap[1]);
		errno = saved;
		/* Still 0: deadline_sleep said ETIMEDOUT. */
		if (n == 0 || (n == -1 && errno != EAGAIN))
			goto fail;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Opens FILE as --read, --write, ... ask, but for --truncate, which waits
 * until the receiver is known (truncate_files), and for the other end of
 * a FIFO, which it waits for only until the deadline d.  A file --create
 * makes is removed again unless the receiver takes it.
 */
static int
open_file(const struct send_options *o, const char *path,
    const struct deadline *d)
{
	int flags = o->access_mode | (o->open_flags & O_APPEND) | O_NOCTTY |
	    O_CLOEXEC;
	struct stat st;
	int fd;

	for (;;) {
		if (o->open_flags & O_CREAT) {
			fd = open(path, flags | O_CREAT | O_EXCL, 0666);
			if (fd != -1) {
				if (fstat(fd, &st) == -1)
					err(1, "stat %s", path);
				cleanup_made(path, st.st_dev, st.st_ino);
				return fd;
			}
			if (errno != EEXIST)
				err(1, "open %s", path);
		}
		if ((fd = open_bounded(path, flags, d)) != -1)
			return fd;
		if (errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %s s", path,
			    seconds_text(o->sock.timeout_ms));
		/* Removed since O_EXCL found it: make it after all. */
		if (errno != ENOENT || !(o->open_flags & O_CREAT))
			err(1, "open %s", path);
	}
}

/*
 * Truncates the files --truncate names: only now that the receiver has
 * been reached and checked, so that a send that reaches nobody leaves
 * them as they were.
 */
static void
truncate_files(const struct send_options *o)
{
	struct stat st;
	size_t i;

	/* open(2) ignores O_TRUNC on a FIFO, tty or device; so does this. */
	for (i = 0; i < o->ntruncate; i++)
		if (fstat(o->truncate[i].fd, &st) == -1 ||
		    (S_ISREG(st.st_mode) &&
		    ftruncate(o->truncate[i].fd, 0) == -1))
			err(1, "truncate %s", o->truncate[i].path);
}

/* Refuses more --name options than there are descriptors. */
static void
check_name_count(const struct send_options *o, size_t expected)
{
	if (o->nnames > (expected > 0 ? expected : 1))
		usage_error("send", "--name given %zu times, for %zu "
		    "descriptor%s", o->nnames, expected > 0 ? expected : 1,
		    expected > 1 ? "s" : "");
}

/*
 * Gathers what is to be sent: the descriptor-making options in order,
 * then each FILE; none at all means standard input.  Nothing waits past
 * the deadline d.
 */
static void
gather_fds(struct send_options *o, char **files, int nfiles,
    const struct deadline *d)
{
	const struct source *s;
	size_t i, expected = o->nsources + nfiles;
	int fd, counted = 1;

	/* The sources that pass several descriptors are counted later. */
	for (i = 0; i < o->nsources; i++)
		if (o->sources[i].kind == OPT_FROM_HAPROXY ||
		    o->sources[i].kind == OPT_LISTEN_FDS)
			counted = 0;
	/* Checked before anything is made that would then have to go. */
	if (counted)
		check_name_count(o, expected);
	for (i = 0; i < o->nsources; i++) {
		s = &o->sources[i];
		if (s->kind == 'f')
			add_fd(o, inherited_fd(s->arg), 0);
		else if (s->kind == OPT_FROM_PID)
			add_fd(o, grabbed_fd(s->arg), 1);
		else if (s->kind == OPT_FROM_HAPROXY)
			add_haproxy_fds(o, s->arg, d);
		else if (s->kind == OPT_LISTEN_FDS)
			add_listen_fds(o);
		else
			add_fd(o, made_socket(o, s, d), 1);
	}
	if (!counted)
		check_name_count(o, o->nfds + nfiles);
	for (i = 0; i < (size_t)nfiles; i++) {
		if (strcmp(files[i], "-") == 0) {
			std_stream_needed(STDIN_FILENO, "FILE -");
			add_fd(o, STDIN_FILENO, 0);
			continue;
		}
		fd = open_file(o, files[i], d);
		add_fd(o, fd, 1);
		if (o->open_flags & O_TRUNC) {
			o->truncate = append(o->truncate, &o->ntruncate,
			    sizeof(*o->truncate));
			o->truncate[o->ntruncate - 1].fd = fd;
			o->truncate[o->ntruncate - 1].path = files[i];
		}
	}
	if (o->nfds == 0 && !o->remove) {
		std_stream_needed(STDIN_FILENO, "send");
		add_fd(o, STDIN_FILENO, 0);
	}
	/* Descriptors past the last --name keep their source's name. */
	o->names = reallocarray(o->names, o->nfds, sizeof(*o->names));
	if (o->names == NULL && o->nfds > 0)
		err(1, "memory");
	for (i = o->nnames; i < o->nfds; i++)
		o->names[i] = i < o->ngiven ? o->given[i] : NULL;
}

/*
 * Reads all of fd into memory, up to max bytes, by the deadline d: a pipe
 * whose writer never closes it is given up on then.
 */
static char *
slurp(int fd, const char *path, size_t max, size_t *len,
    const struct deadline *d, long long timeout_ms)
{
	char *buf = NULL, *grown;
	size_t cap = 0;
	ssize_t n;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap == max)
				errx(1, "--data-file %s: more than %zu bytes "
				    "(only a regular file sent over a stream "
				    "socket may be larger)", path, max);
			cap = cap == 0 ? 4096 : cap * 2 < max ? cap * 2 : max;
			if ((grown = realloc(buf, cap)) == NULL)
				err(1, "memory");
			buf = grown;
		}
		if (deadline_wait(d, fd, POLLIN) == -1 && errno == ETIMEDOUT)
			errx(1, "--data-file %s: no end of file within %s s",
			    path, seconds_text(timeout_ms));
		n = read(fd, buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "read %s", path);
		if (n == 0)
			return buf;
		*len += n;
	}
}

/*
 * Tells whether st_size is what reading fd to its end would bring: for a
 * regular file, but not one of procfs or sysfs, where files report a size
 * of 0 or 4096 whatever they hold.
 */
static int
size_is_known(int fd, const struct stat *st)
{
	struct statfs fs;

	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if (fstatfs(fd, &fs) == -1)
		return 0;
	return fs.f_type != PROC_SUPER_MAGIC && fs.f_type != SYSFS_MAGIC;
}

/*
 * Opens --data-file, waiting for a FIFO's writer only until the deadline
 * d; "-" is standard input, which then cannot also be passed as a
 * descriptor.
 */
static int
open_data_file(const struct send_options *o, const struct deadline *d)
{
	size_t i;
	int fd;

	if (strcmp(o->data_file, "-") != 0) {
		fd = open_bounded(o->data_file, O_RDONLY | O_CLOEXEC, d);
		if (fd == -1 && errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %s s", o->data_file,
			    seconds_text(o->sock.timeout_ms));
		return fd;
	}
	std_stream_needed(STDIN_FILENO, "--data-file -");
	for (i = 0; i < o->nfds; i++)
		if (o->fds[i] == STDIN_FILENO)
			usage_error("send", "--data-file - reads standard "
			    "input, which is also to be passed: name a FILE");
	return STDIN_FILENO;
}

/*
 * Sets up the data of the transfer: --data from memory, --data-file
 * streamed when its size is known and the transfer framed on a stream,
 * otherwise read to its end into memory first, by the deadline d.
 */
static void
prepare_data(const struct send_options *o, struct outgoing *out,
    char **allocated, const struct deadline *d)
{
	struct stat st;
	size_t max;
	int fd;

	*allocated = NULL;
	out->data_fd = -1;
	if (o->data != NULL) {
		out->data = o->data;
		out->datalen = strlen(o->data);
	}
	if (o->data_file == NULL)
		return;
	if ((fd = open_data_file(o, d)) == -1)
		err(1, "open %s", o->data_file);
	if (fstat(fd, &st) == -1)
		err(1, "stat %s", o->data_file);
	if (size_is_known(fd, &st) && o->sock.type == SOCK_STREAM && !o->raw) {
		out->data_fd = fd;
		out->data_fd_len = st.st_size;
		return;
	}
	max = o->sock.type == SOCK_STREAM ? DATA_MEMORY_MAX :
	    RECEIVER_BUF - WIRE_HEADER_SIZE;
	*allocated = slurp(fd, o->data_file, max, &out->datalen, d,
	    o->sock.timeout_ms);
	out->data = *allocated;
	if (fd != STDIN_FILENO)
		close(fd);
}

/* The unix socket that is standard output, for --stdout. */
static int
stdout_socket(const struct send_options *o)
{
	struct fdp_peer peer;
	int domain;
	socklen_t len = sizeof(domain);

	if (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_DOMAIN, &domain,
	    &len) == -1 || domain != AF_UNIX)
		errx(1, "--stdout: standard output is not a unix socket");
	endpoint_check_peer(&o->sock.access, STDOUT_FILENO, "", "--stdout",
	    &peer);
	return STDOUT_FILENO;
}

/*
 * The socket the transfer goes out on, when send connects (or was given
 * its socket); exits on failure.  A watch made while SOCKET was awaited
 * is left in *watch (endpoint_connect).
 */
static int
connected_socket(const struct send_options *o, const struct deadline *d,
    struct appear *watch)
{
	struct fdp_peer peer;
	const char *notify;

	if (o->use_stdout)
		return stdout_socket(o);
	if (o->fdstore_name == NULL)
		return endpoint_connect(o->socket_arg, o->sock.type,
		    &o->sock.access, d, &peer, watch);
	if ((notify = getenv("NOTIFY_SOCKET")) == NULL || *notify == '\0')
		errx(1, "--notify-fdstore: NOTIFY_SOCKET is not set");
	return endpoint_connect(notify, SOCK_DGRAM, &o->sock.access, d, &peer,
	    NULL);
}

/* Reports a failed transfer_send and exits 1. */
static void __attribute__((noreturn))
send_failed(const struct send_options *o)
{
	if (errno == EMSGSIZE && o->sock.type != SOCK_STREAM)
		errx(1, "send to %s: too much for one %s message (at most %d "
		    "descriptors and %d bytes)", o->socket_arg,
		    o->sock.type == SOCK_DGRAM ? "datagram" : "seqpacket",
		    FDP_MAX_FDS_PER_MSG, RECEIVER_BUF);
	err(1, "send to %s", o->socket_arg);
}

/* Reports that the receiver would not take the transfer, and exits 1. */
static void __attribute__((noreturn))
refused(const struct send_options *o, const struct outgoing *out,
    const struct outcome *v)
{
	if (v->what == WIRE_REFUSED && v->status != EXIT_REFUSED)
		errx(1, "send to %s: the receiver could not run its command "
		    "(status %d)", o->socket_arg, v->status);
	if (v->what != WIRE_DECLINED)
		errx(1, "send to %s: the receiver refused the transfer",
		    o->socket_arg);
	switch (v->status) {
	case WIRE_TOO_MANY_FDS:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "cannot take %zu descriptors (its limit)", o->socket_arg,
		    out->nfds);
	case WIRE_OTHER_COUNT:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "waits for another number of descriptors than %zu",
		    o->socket_arg, out->nfds);
	case WIRE_TOO_MUCH_DATA:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "cannot take %llu bytes of data", o->socket_arg,
		    (unsigned long long)out->datalen +
		    (out->data_fd != -1 ? out->data_fd_len : 0));
	default:
		errx(1, "send to %s: the receiver refused the transfer",
		    o->socket_arg);
	}
}

/*
 * Waits for the receiver's verdict and returns send's exit status: 0
 * when it took the descriptors, COMMAND's status with --wait; or -1 when
 * it hung up without taking them.
 */
static int
await_verdict(const struct send_options *o, const struct outgoing *out,
    int sock, const struct deadline *d)
{
	struct outcome v;
	int ret;

	ret = transfer_await(sock, o->wait, d, &v);
	if (v.what == WIRE_DELIVERED || v.what == WIRE_EXITED)
		cleanup_made_delivered();
	if (ret == -1) {
		if (errno == ETIMEDOUT && v.what == WIRE_DELIVERED && o->wait)
			errx(1, "send to %s: the command did not finish within "
			    "%s s", o->socket_arg,
			    seconds_text(o->sock.timeout_ms));
		if (errno == ETIMEDOUT)
			errx(1, "send to %s: no reply from the receiver within "
			    "%s s", o->socket_arg,
			    seconds_text(o->sock.timeout_ms));
		if (errno != ECONNRESET)
			err(1, "send to %s: no word from the receiver",
			    o->socket_arg);
		if (v.what == 0)
			return -1;
		errx(1, "send to %s: the receiver hung up before its command "
		    "exited", o->socket_arg);
	}
	if (v.what == WIRE_EXITED)
		return v.status;
	if (v.what != WIRE_DELIVERED)
		refused(o, out, &v);
	return 0;
}

/*
 * Offers the transfer on sock and checks who answers: the process that
 * will take the descriptors, which need not be the one that listened.
 * Returns 0 to go on, or -1 when the peer went away without an answer;
 * exits when it says no or is not one to send to.
 */
static int
offer(const struct send_options *o, const struct outgoing *out, int sock,
    const struct deadline *d)
{
	struct outcome v;
	struct fdp_peer who;
	const char *why;

	if (transfer_propose(sock, out, d, &v, &who) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			return -1;
		if (errno == EBADMSG)
			errx(1, "send to %s: the receiver's answer is no "
			    "fdpass reply", o->socket_arg);
		if (errno == ETIMEDOUT)
			errx(1, "send to %s: no reply from the receiver within "
			    "%s s", o->socket_arg,
			    seconds_text(o->sock.timeout_ms));
		send_failed(o);
	}
	if (v.what != WIRE_READY)
		refused(o, out, &v);
	if ((why = access_refusal(&o->sock.access, &who)) != NULL)
		errx(1, "send to %s: the receiving process, pid %ld: %s",
		    o->socket_arg, (long)who.pid, why);
	return 0;
}

/*
 * Sends the transfer on sock and, when it asks for one, waits for the
 * verdict.  The watch made while the receiver was awaited, unless NULL,
 * is closed once all is sent, while the receiver places and execs instead
 * of waiting for us.  Returns send's exit status, or -1 when the peer went
 * away without taking anything.
 */
static int
send_on(const struct send_options *o, const struct outgoing *out, int sock,
    const struct deadline *d, struct appear *watch)
{
	if ((out->flags & WIRE_PROVE) && offer(o, out, sock, d) == -1)
		return -1;
	truncate_files(o);
	if (transfer_send(sock, out) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			return -1;
		send_failed(o);
	}
	if (watch != NULL)
		appear_close(watch);
	/* Without a word back, sent is as good as it gets. */
	if (!(out->flags & WIRE_ACK)) {
		cleanup_made_delivered();
		return 0;
	}
	return await_verdict(o, out, sock, d);
}

/*
 * send --listen: sends to the first peer that takes the transfer.  One
 * that leaves without taking it, as another listener's probe for a stale
 * socket does, is passed over, and the data file rewound for the next.
 */
static int
send_listening(const struct send_options *o, const struct outgoing *out,
    const struct deadline *d)
{
	const struct listener *l;
	struct fdp_peer peer;
	int sock, status;

	l = endpoint_listen(o->socket_arg, o->sock.type, o->sock.mode);
	for (;;) {
		sock = endpoint_accept(l, o->socket_arg, &o->sock.access, d,
		    &peer);
		status = send_on(o, out, sock, d, NULL);
		close(sock);
		if (status != -1)
			break;
		if (out->data_fd != -1 && lseek(out->data_fd, 0, SEEK_SET) == -1)
			err(1, "--data-file %s", o->data_file);
	}
	endpoint_close();
	return status;
}

/* Closes what send opened or made; what it inherited stays. */
static void
close_owned(const struct send_options *o, const struct outgoing *out)
{
	size_t i;

	for (i = 0; i < o->nowned; i++)
		close(o->owned[i]);
	if (out->data_fd != -1 && out->data_fd != STDIN_FILENO)
		close(out->data_fd);
}

int
cmd_send(int argc, char **argv)
{
	static char fdstore[sizeof("FDSTOREREMOVE=1\nFDNAME=\nFDPOLL=0\n") +
	    WIRE_NAME_MAX];
	struct send_options o;
	struct outgoing out = { 0 };
	struct deadline deadline;
	struct appear watch = { -1 };	/* closed by send_on */
	char *data_buf;
	size_t i;
	int sock, status;

	parse_send_options(argc, argv, &o);
	/* One deadline for all of it, from opening the first FILE on. */
	deadline_set_ms(&deadline, o.sock.timeout_ms);
	if (o.netns != NULL)
		use_netns(o.netns);
	gather_fds(&o, argv + optind, argc - optind, &deadline);
	/* What is made from here on, the socket to SOCKET, is made here. */
	socket_netns_end();
	out.fds = o.fds;
	out.nfds = o.nfds;
	out.names = o.names;
	out.raw = o.raw || o.use_stdout || o.fdstore_name != NULL;
	out.deadline = &deadline;
	if (!out.raw && o.sock.type != SOCK_DGRAM)
		out.flags = WIRE_ACK | WIRE_PROVE | (o.wait ? WIRE_WAIT : 0);
	prepare_data(&o, &out, &data_buf, &deadline);
	if (o.fdstore_name != NULL) {
		out.datalen = snprintf(fdstore, sizeof(fdstore),
		    "%s\nFDNAME=%s\n%s", o.remove ? "FDSTOREREMOVE=1" :
		    "FDSTORE=1", o.fdstore_name, o.no_fdpoll ? "FDPOLL=0\n" :
		    "");
		out.data = fdstore;
	}
	if (o.sock.listen)
		status = send_listening(&o, &out, &deadline);
	else {
		sock = connected_socket(&o, &deadline, &watch);
		status = send_on(&o, &out, sock, &deadline, &watch);
		if (status == -1)
			errx(1, "send to %s: the receiver hung up without "
			    "taking the descriptors", o.socket_arg);
		close(sock);
	}
	close_owned(&o, &out);
	free(data_buf);
	free(o.fds);
	free(o.owned);
	free(o.names);
	for (i = 0; i < o.ngiven; i++)
		free(o.given[i]);
	free(o.given);
	free(o.sources);
	free(o.truncate);
	return status;
}
