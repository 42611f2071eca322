/*
 * fdpass send: open or make what is to be passed, reach the receiver,
 * hand it over, and wait for the receiver's word that it arrived.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "grab.h"
#include "msg.h"
#include "options.h"
#include "sockets.h"
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
"  -r, --read             open each FILE read-only (the default)\n"
"  -w, --write            open each FILE write-only\n"
"  -a, --append           open each FILE write-only, appending\n"
"      --rdwr             open each FILE for reading and writing\n"
"      --create           create a FILE that does not exist (mode 666 & ~umask)\n"
"      --truncate         truncate each FILE when opening it for writing\n"
"  -f, --fd N             pass descriptor N of fdpass itself\n"
"      --from-pid PID:FD  pass descriptor FD of process PID (pidfd_getfd)\n"
"      --tcp-listen [HOST:]PORT  pass a new listening TCP socket\n"
"      --tcp-connect HOST:PORT   pass a new TCP connection\n"
"      --udp [HOST:]PORT  pass a new bound UDP socket\n"
"      --unix-listen PATH pass a new listening unix socket\n"
"      --backlog N        the listen backlog of the sockets made (default 128)\n"
"  -n, --name NAME        name a descriptor: the Nth --name names the Nth\n"
"  -d, --data STRING      send STRING with the descriptors\n"
"  -D, --data-file FILE   send the contents of FILE with the descriptors\n"
"      --raw              send a plain SCM_RIGHTS message, for a receiver\n"
"                         that is not fdpass (no names; no acknowledgement)\n"
"      --wait             wait for the receiver's COMMAND and exit with its\n"
"                         status\n"
"  -t, --timeout SECONDS  give up after SECONDS in all: opening FIFOs,\n"
"                         connecting, waiting for a listener at SOCKET,\n"
"                         sending, and waiting for the receiver's answer\n"
"                         (with --wait, its command)\n";


static const struct option send_longopts[] = {
	{ "stdout",	no_argument,		NULL, OPT_STDOUT },
	{ "notify-fdstore", required_argument,	NULL, OPT_NOTIFY_FDSTORE },
	{ "read",	no_argument,		NULL, 'r' },
	{ "write",	no_argument,		NULL, 'w' },
	{ "append",	no_argument,		NULL, 'a' },
	{ "rdwr",	no_argument,		NULL, OPT_RDWR },
	{ "create",	no_argument,		NULL, OPT_CREATE },
	{ "truncate",	no_argument,		NULL, OPT_TRUNCATE },
	{ "fd",		required_argument,	NULL, 'f' },
	{ "from-pid",	required_argument,	NULL, OPT_FROM_PID },
	{ "tcp-listen",	required_argument,	NULL, OPT_TCP_LISTEN },
	{ "tcp-connect", required_argument,	NULL, OPT_TCP_CONNECT },
	{ "udp",	required_argument,	NULL, OPT_UDP },
	{ "unix-listen", required_argument,	NULL, OPT_UNIX_LISTEN },
	{ "backlog",	required_argument,	NULL, OPT_BACKLOG },
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

struct send_options {
	struct socket_options	 sock;
	const char		*socket_arg;	/* SOCKET, "stdout", ... */
	int			 use_stdout;
	const char		*fdstore_name;
	int			 access_mode;	/* O_RDONLY, O_WRONLY or O_RDWR */
	int			 open_flags;	/* O_APPEND, O_CREAT, O_TRUNC */
	struct source		*sources;
	size_t			 nsources;
	int			 backlog;
	const char		**names;	/* from --name */
	size_t			 nnames;
	const char		*data;
	const char		*data_file;
	int			 raw;
	int			 wait;
	int			*fds;		/* what is sent, in order */
	size_t			 nfds;
	int			*owned;		/* what send made and closes */
	size_t			 nowned;
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

/* Checks the combinations that make no sense, once all are parsed. */
static void
check_send_options(const struct send_options *o)
{
	const struct socket_options *so = &o->sock;
	int elsewhere = o->use_stdout || o->fdstore_name != NULL;

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
	if ((so->type == SOCK_DGRAM || o->fdstore_name != NULL) &&
	    (so->access.check_uid || so->access.check_gid ||
	    so->access.check_pid))
		usage_error("send", "--peer-uid, --peer-gid and --peer-pid "
		    "need a connected socket, not --dgram or --notify-fdstore");
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
		case OPT_FROM_PID:
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
	if (o->use_stdout)
		o->socket_arg = "stdout";
	else if (o->fdstore_name != NULL)
		o->socket_arg = "NOTIFY_SOCKET";
	else if (optind == argc)
		usage_error("send", "missing SOCKET");
	else
		o->socket_arg = argv[optind++];
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

/* --fd N: a descriptor fdpass inherited. */
static int
inherited_fd(const char *arg)
{
	int fd;

	fd = parse_number("--fd", arg, 0, INT32_MAX);
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

/*
 * The socket files --unix-listen made.  Should send fail, nobody got the
 * sockets that would answer on them, so they go.
 */
static struct listener *made_files;
static size_t nmade_files;
static int made_files_sent;

static void
remove_made_files(void)
{
	size_t i;

	for (i = 0; i < nmade_files && !made_files_sent; i++)
		listener_remove(&made_files[i]);
}

/* Keeps the socket files --unix-listen made: their sockets were sent. */
static void
sockets_made_sent(void)
{
	made_files_sent = 1;
}

/* Remembers a socket file --unix-listen made, for removal. */
static void
remember_made_file(const struct listener *made)
{
	if (made->path == NULL)
		return;
	if (nmade_files == 0)
		atexit(remove_made_files);
	made_files = append(made_files, &nmade_files, sizeof(*made_files));
	made_files[nmade_files - 1] = *made;
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
	const char *why = NULL, *option;
	int fd;

	switch (s->kind) {
	case OPT_TCP_LISTEN:
		option = "--tcp-listen";
		fd = socket_tcp_listen(s->arg, o->backlog, &why);
		break;
	case OPT_TCP_CONNECT:
		option = "--tcp-connect";
		fd = socket_tcp_connect(s->arg, d, &why);
		break;
	case OPT_UDP:
		option = "--udp";
		fd = socket_udp(s->arg, &why);
		break;
	default:
		option = "--unix-listen";
		fd = socket_unix_listen(s->arg, o->backlog, o->sock.mode, &made,
		    &why);
		if (fd != -1)
			remember_made_file(&made);
		break;
	}
	if (fd == -1 && why != NULL)
		errx(errno == EINVAL ? 2 : 1, "%s %s: %s", option, s->arg,
		    why);
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
	int fd;

	/* Checked before anything is made that would then have to go. */
	if (o->nnames > (expected > 0 ? expected : 1))
		usage_error("send", "%zu names for %zu descriptors",
		    o->nnames, expected > 0 ? expected : 1);
	for (i = 0; i < o->nsources; i++) {
		s = &o->sources[i];
		if (s->kind == 'f')
			add_fd(o, inherited_fd(s->arg), 0);
		else if (s->kind == OPT_FROM_PID)
			add_fd(o, grabbed_fd(s->arg), 1);
		else
			add_fd(o, made_socket(o, s, d), 1);
	}
	for (i = 0; i < (size_t)nfiles; i++) {
		if (strcmp(files[i], "-") == 0) {
			add_fd(o, STDIN_FILENO, 0);
			continue;
		}
		if ((fd = open_bounded(files[i], o->access_mode |
		    o->open_flags | O_NOCTTY | O_CLOEXEC, d)) == -1 &&
		    errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %u s", files[i], o->sock.timeout);
		if (fd == -1)
			err(1, "open %s", files[i]);
		add_fd(o, fd, 1);
	}
	if (o->nfds == 0)
		add_fd(o, STDIN_FILENO, 0);
	/* Descriptors past the last --name are unnamed. */
	o->names = reallocarray(o->names, o->nfds, sizeof(*o->names));
	if (o->names == NULL)
		err(1, "memory");
	for (i = o->nnames; i < o->nfds; i++)
		o->names[i] = NULL;
}

/* Reads all of fd into memory, up to max bytes. */
static char *
slurp(int fd, const char *path, size_t max, size_t *len)
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
 * Sets up the data of the transfer: --data from memory, --data-file
 * streamed when it is a regular file and the transfer framed on a stream,
 * otherwise read into memory first.
 */
static void
prepare_data(const struct send_options *o, struct outgoing *out,
    char **allocated)
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
	if ((fd = open(o->data_file, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "open %s", o->data_file);
	if (fstat(fd, &st) == -1)
		err(1, "stat %s", o->data_file);
	if (S_ISREG(st.st_mode) && o->sock.type == SOCK_STREAM && !o->raw) {
		out->data_fd = fd;
		out->data_fd_len = st.st_size;
		return;
	}
	max = o->sock.type == SOCK_STREAM ? DATA_MEMORY_MAX :
	    RECEIVER_BUF - WIRE_HEADER_SIZE;
	*allocated = slurp(fd, o->data_file, max, &out->datalen);
	out->data = *allocated;
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
 * its socket); exits on failure.
 */
static int
connected_socket(const struct send_options *o, const struct deadline *d)
{
	struct fdp_peer peer;
	const char *notify;

	if (o->use_stdout)
		return stdout_socket(o);
	if (o->fdstore_name == NULL)
		return endpoint_connect(o->socket_arg, o->sock.type,
		    &o->sock.access, d, &peer);
	if ((notify = getenv("NOTIFY_SOCKET")) == NULL || *notify == '\0')
		errx(1, "--notify-fdstore: NOTIFY_SOCKET is not set");
	return endpoint_connect(notify, SOCK_DGRAM, &o->sock.access, d, &peer);
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

/*
 * Waits for the receiver's verdict and returns send's exit status: 0
 * when it took the descriptors, COMMAND's status with --wait; or -1 when
 * it hung up without taking them.
 */
static int
await_verdict(const struct send_options *o, int sock,
    const struct deadline *d)
{
	struct outcome v;

	if (transfer_await(sock, o->wait, d, &v) == -1) {
		if (errno == ETIMEDOUT && v.what == WIRE_DELIVERED && o->wait)
			errx(1, "send to %s: the command did not finish within "
			    "%u s", o->socket_arg, o->sock.timeout);
		if (errno == ETIMEDOUT)
			errx(1, "send to %s: no reply from the receiver within "
			    "%u s", o->socket_arg, o->sock.timeout);
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
	if (v.what == WIRE_REFUSED && v.status == EXIT_REFUSED)
		errx(1, "send to %s: the receiver refused the transfer",
		    o->socket_arg);
	if (v.what == WIRE_REFUSED)
		errx(1, "send to %s: the receiver could not run its command "
		    "(status %d)", o->socket_arg, v.status);
	return 0;
}

/*
 * Sends the transfer on sock and, when it asks for one, waits for the
 * verdict.  Returns send's exit status, or -1 when the peer went away
 * without taking anything.
 */
static int
send_on(const struct send_options *o, const struct outgoing *out, int sock,
    const struct deadline *d)
{
	if (transfer_send(sock, out) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			return -1;
		send_failed(o);
	}
	if (!(out->flags & WIRE_ACK))
		return 0;
	return await_verdict(o, sock, d);
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
		status = send_on(o, out, sock, d);
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
	if (out->data_fd != -1)
		close(out->data_fd);
}

int
cmd_send(int argc, char **argv)
{
	static char fdstore[sizeof("FDSTORE=1\nFDNAME=\n") + WIRE_NAME_MAX];
	struct send_options o;
	struct outgoing out = { 0 };
	struct deadline deadline;
	char *data_buf;
	int sock, status;

	parse_send_options(argc, argv, &o);
	/* One deadline for all of it, from opening the first FILE on. */
	deadline_set(&deadline, o.sock.timeout);
	gather_fds(&o, argv + optind, argc - optind, &deadline);
	out.fds = o.fds;
	out.nfds = o.nfds;
	out.names = o.names;
	out.raw = o.raw || o.use_stdout || o.fdstore_name != NULL;
	out.deadline = &deadline;
	if (!out.raw && o.sock.type != SOCK_DGRAM)
		out.flags = WIRE_ACK | (o.wait ? WIRE_WAIT : 0);
	prepare_data(&o, &out, &data_buf);
	if (o.fdstore_name != NULL) {
		out.datalen = snprintf(fdstore, sizeof(fdstore),
		    "FDSTORE=1\nFDNAME=%s\n", o.fdstore_name);
		out.data = fdstore;
	}
	if (o.sock.listen)
		status = send_listening(&o, &out, &deadline);
	else {
		sock = connected_socket(&o, &deadline);
		if ((status = send_on(&o, &out, sock, &deadline)) == -1)
			errx(1, "send to %s: the receiver hung up without "
			    "taking the descriptors", o.socket_arg);
		close(sock);
	}
	sockets_made_sent();
	close_owned(&o, &out);
	free(data_buf);
	free(o.fds);
	free(o.owned);
	free(o.names);
	free(o.sources);
	return status;
}
