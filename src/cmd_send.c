/*
 * fdpass send: open what is to be passed, reach the receiver, hand it over.
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
#include "msg.h"
#include "options.h"
#include "transfer.h"
#include "wire.h"

/* Data from a pipe or for a datagram is read into memory, up to this. */
#define DATA_MEMORY_MAX	(16 * 1024 * 1024)

const char send_usage[] =
"usage: fdpass send [OPTION...] SOCKET [FILE...]\n"
"Pass open file descriptors to the receiver at SOCKET (a path, or @name for\n"
"a Linux abstract socket).  The descriptors go in this order: each --fd,\n"
"then each FILE.  With neither, standard input is passed; FILE '-' is\n"
"standard input too.\n"
"\n"
"  -c, --connect          connect to SOCKET (the default)\n"
"  -l, --listen           listen on SOCKET and send to the first peer\n"
"  -r, --read             open each FILE read-only (the default)\n"
"  -w, --write            open each FILE write-only\n"
"  -a, --append           open each FILE write-only, appending\n"
"      --rdwr             open each FILE for reading and writing\n"
"      --create           create a FILE that does not exist (mode 666 & ~umask)\n"
"      --truncate         truncate each FILE when opening it for writing\n"
"  -f, --fd N             pass descriptor N of fdpass itself (repeatable)\n"
"  -n, --name NAME        name the next descriptor (repeatable)\n"
"  -d, --data STRING      send STRING with the descriptors\n"
"  -D, --data-file FILE   send the contents of FILE with the descriptors\n"
"      --seqpacket        use a SOCK_SEQPACKET socket\n"
"      --dgram            use a SOCK_DGRAM socket\n"
"  -t, --timeout SECONDS  give up after SECONDS; until then wait for a\n"
"                         listener to appear at SOCKET\n"
"  -m, --mode MODE        with --listen, the socket file's mode (default 600)\n"
"      --allow-uid UID    with --listen, also accept peers of user UID\n"
"      --allow-gid GID    with --listen, also accept peers of group GID\n"
"  -h, --help             show this help and exit\n";

static const struct option send_longopts[] = {
	{ "connect",	no_argument,		NULL, 'c' },
	{ "listen",	no_argument,		NULL, 'l' },
	{ "read",	no_argument,		NULL, 'r' },
	{ "write",	no_argument,		NULL, 'w' },
	{ "append",	no_argument,		NULL, 'a' },
	{ "rdwr",	no_argument,		NULL, OPT_RDWR },
	{ "create",	no_argument,		NULL, OPT_CREATE },
	{ "truncate",	no_argument,		NULL, OPT_TRUNCATE },
	{ "fd",		required_argument,	NULL, 'f' },
	{ "name",	required_argument,	NULL, 'n' },
	{ "data",	required_argument,	NULL, 'd' },
	{ "data-file",	required_argument,	NULL, 'D' },
	{ "seqpacket",	no_argument,		NULL, OPT_SEQPACKET },
	{ "dgram",	no_argument,		NULL, OPT_DGRAM },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "mode",	required_argument,	NULL, 'm' },
	{ "allow-uid",	required_argument,	NULL, OPT_ALLOW_UID },
	{ "allow-gid",	required_argument,	NULL, OPT_ALLOW_GID },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

struct send_options {
	struct socket_options	 sock;
	int			 access_mode;	/* O_RDONLY, O_WRONLY or O_RDWR */
	int			 open_flags;	/* O_APPEND, O_CREAT, O_TRUNC */
	int			*fds;		/* --fd ones, then FILEs */
	size_t			 nfds;
	size_t			 nopened;	/* FILEs opened here, at the end */
	const char		**names;	/* from --name */
	size_t			 nnames;
	const char		*data;
	const char		*data_file;
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
add_fd(struct send_options *o, const char *arg)
{
	int fd;

	fd = parse_number("--fd", arg, 0, INT32_MAX);
	if (fcntl(fd, F_GETFD) == -1)
		err(1, "--fd %d", fd);
	o->fds = append(o->fds, &o->nfds, sizeof(*o->fds));
	o->fds[o->nfds - 1] = fd;
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

static void
parse_send_options(int argc, char **argv, struct send_options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 0);
	o->access_mode = O_RDONLY;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:clrwaf:n:d:D:t:m:h",
	    send_longopts, NULL)) != -1) {
		if (socket_option(&o->sock, ch, optarg))
			continue;
		switch (ch) {
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
			add_fd(o, optarg);
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
		case 'h':
			fputs(send_usage, stdout);
			exit(0);
		default:
			bad_option("send", argv, ch);
		}
	}
	if (o->data != NULL && o->data_file != NULL)
		usage_error("send", "--data and --data-file exclude each other");
	if ((o->open_flags & (O_CREAT | O_TRUNC)) &&
	    o->access_mode == O_RDONLY)
		usage_error("send", "--create and --truncate need --write, "
		    "--append or --rdwr");
	if (o->sock.listen && o->sock.type == SOCK_DGRAM)
		usage_error("send", "--listen needs a connected socket, "
		    "not --dgram");
	if (optind == argc)
		usage_error("send", "missing SOCKET");
}

/* Opens each FILE after the --fd ones; none at all means standard input. */
static void
open_files(struct send_options *o, char **files, int nfiles)
{
	int i, fd;

	if (nfiles == 0 && o->nfds == 0) {
		o->fds = append(o->fds, &o->nfds, sizeof(*o->fds));
		o->fds[0] = STDIN_FILENO;
	}
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(files[i], o->access_mode | o->open_flags |
		    O_NOCTTY | O_CLOEXEC, 0666)) == -1)
			err(1, "open %s", files[i]);
		o->fds = append(o->fds, &o->nfds, sizeof(*o->fds));
		o->fds[o->nfds - 1] = fd;
		o->nopened++;
	}
	if (o->nnames > o->nfds)
		usage_error("send", "%zu names for %zu descriptors",
		    o->nnames, o->nfds);
	/* Unnamed descriptors past the last --name get NULL names. */
	o->names = reallocarray(o->names, o->nfds, sizeof(*o->names));
	if (o->names == NULL)
		err(1, "memory");
	for (i = o->nnames; (size_t)i < o->nfds; i++)
		o->names[i] = NULL;
}

/* Closes the FILEs open_files opened; the rest were inherited. */
static void
close_files(const struct send_options *o)
{
	size_t i;

	for (i = o->nfds - o->nopened; i < o->nfds; i++)
		if (o->fds[i] != STDIN_FILENO)
			close(o->fds[i]);
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
 * streamed when it is a regular file and the socket a stream, otherwise
 * read into memory first.
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
	if (S_ISREG(st.st_mode) && o->sock.type == SOCK_STREAM) {
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

int
cmd_send(int argc, char **argv)
{
	struct send_options o;
	struct outgoing out = { 0 };
	struct deadline deadline;
	const struct listener *l;
	const char *socket_arg;
	char *data_buf;
	int sock;

	parse_send_options(argc, argv, &o);
	socket_arg = argv[optind];
	open_files(&o, argv + optind + 1, argc - optind - 1);
	out.fds = o.fds;
	out.nfds = o.nfds;
	out.names = o.names;
	prepare_data(&o, &out, &data_buf);
	deadline_set(&deadline, o.sock.timeout);
	if (o.sock.listen) {
		l = endpoint_listen(socket_arg, o.sock.type, o.sock.mode);
		sock = endpoint_accept(l, socket_arg, &o.sock.access,
		    &deadline);
		endpoint_close();
	} else
		sock = endpoint_connect(socket_arg, o.sock.type, &deadline);
	if (transfer_send(sock, &out) == -1) {
		if (errno == EMSGSIZE && o.sock.type != SOCK_STREAM)
			errx(1, "send to %s: at most %d descriptors fit one "
			    "%s message", socket_arg, FDP_MAX_FDS_PER_MSG,
			    o.sock.type == SOCK_DGRAM ? "datagram" :
			    "seqpacket");
		err(1, "send to %s", socket_arg);
	}
	close(sock);
	close_files(&o);
	if (out.data_fd != -1)
		close(out.data_fd);
	free(data_buf);
	free(o.fds);
	free(o.names);
	return 0;
}
