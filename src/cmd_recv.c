/*
 * fdpass recv: wait for a sender, take its descriptors, and either hand
 * them to COMMAND at the numbers asked for or print what arrived.
 */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "describe.h"
#include "options.h"
#include "placement.h"
#include "transfer.h"
#include "wire.h"

/* The most data bytes COMMAND can get, in FDPASS_DATA. */
#define DATA_ENV_MAX	65536

/* The highest descriptor number --at accepts. */
#define AT_MAX		1048575

const char recv_usage[] =
"usage: fdpass recv [OPTION...] SOCKET [--] [COMMAND [ARG...]]\n"
"Receive descriptors on SOCKET (a path, or @name for a Linux abstract\n"
"socket) and run COMMAND with them: by default the first on standard input\n"
"and any others from 3 up.  Data that came with them is in FDPASS_DATA.\n"
"With no COMMAND, print a line per descriptor (number, kind, name, path)\n"
"and then the data.\n"
"\n"
"  -l, --listen           listen on SOCKET (the default)\n"
"  -c, --connect          connect to SOCKET, where a sender listens\n"
"      --at N[,M...]      place the descriptors at N, M, ... in COMMAND\n"
"      --listen-fds       place them from 3 and set LISTEN_FDS, LISTEN_PID\n"
"                         and LISTEN_FDNAMES (the systemd convention)\n"
"  -n, --count N          wait for exactly N descriptors\n"
"      --once             serve one sender, then exit or exec (the default)\n"
"  -k, --keep-listening   serve senders until killed, each in a new process\n"
"      --seqpacket        use a SOCK_SEQPACKET socket\n"
"      --dgram            use a SOCK_DGRAM socket\n"
"  -t, --timeout SECONDS  give up after SECONDS without a complete transfer\n"
"  -m, --mode MODE        the socket file's mode (default 600)\n"
"      --allow-uid UID    also accept senders of user UID\n"
"      --allow-gid GID    also accept senders of group GID\n"
"  -h, --help             show this help and exit\n";

static const struct option recv_longopts[] = {
	{ "listen",	no_argument,		NULL, 'l' },
	{ "connect",	no_argument,		NULL, 'c' },
	{ "at",		required_argument,	NULL, OPT_AT },
	{ "listen-fds",	no_argument,		NULL, OPT_LISTEN_FDS },
	{ "count",	required_argument,	NULL, 'n' },
	{ "once",	no_argument,		NULL, OPT_ONCE },
	{ "keep-listening", no_argument,	NULL, 'k' },
	{ "seqpacket",	no_argument,		NULL, OPT_SEQPACKET },
	{ "dgram",	no_argument,		NULL, OPT_DGRAM },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "mode",	required_argument,	NULL, 'm' },
	{ "allow-uid",	required_argument,	NULL, OPT_ALLOW_UID },
	{ "allow-gid",	required_argument,	NULL, OPT_ALLOW_GID },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

struct recv_options {
	struct socket_options	 sock;
	const char		*socket_arg;
	int			*at;
	size_t			 nat;
	int			 listen_fds;
	size_t			 count;		/* 0: whatever one transfer brings */
	int			 keep;
	char			**command;	/* NULL when printing */
};

/* Data collected for COMMAND's environment. */
struct data_env {
	size_t	len;
	char	bytes[DATA_ENV_MAX + 1];
};

/* The receiver and its 64 KiB buffer: one per process, so not on the stack. */
static struct receiver receiver;
static struct data_env data_env;

static void
parse_at(struct recv_options *o, char *arg)
{
	char *item;
	size_t i;
	int fd;

	while ((item = strsep(&arg, ",")) != NULL) {
		fd = parse_number("--at", item, 0, AT_MAX);
		for (i = 0; i < o->nat; i++)
			if (o->at[i] == fd)
				usage_error("recv", "--at names %d twice", fd);
		if ((o->at = reallocarray(o->at, o->nat + 1,
		    sizeof(*o->at))) == NULL)
			err(1, "memory");
		o->at[o->nat++] = fd;
	}
}

static void
parse_recv_options(int argc, char **argv, struct recv_options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 1);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:lcn:kt:m:h", recv_longopts,
	    NULL)) != -1) {
		if (socket_option(&o->sock, ch, optarg))
			continue;
		switch (ch) {
		case OPT_AT:
			parse_at(o, optarg);
			break;
		case OPT_LISTEN_FDS:
			o->listen_fds = 1;
			break;
		case 'n':
			o->count = parse_number("--count", optarg, 1,
			    WIRE_MAX_FDS);
			break;
		case OPT_ONCE:
			o->keep = 0;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'h':
			fputs(recv_usage, stdout);
			exit(0);
		default:
			bad_option("recv", argv, ch);
		}
	}
	if (optind == argc)
		usage_error("recv", "missing SOCKET");
	o->socket_arg = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	o->command = optind < argc ? argv + optind : NULL;
	if (o->nat > 0 && o->listen_fds)
		usage_error("recv", "--at and --listen-fds exclude each other");
	if ((o->nat > 0 || o->listen_fds) && o->command == NULL)
		usage_error("recv", "--%s needs a COMMAND",
		    o->listen_fds ? "listen-fds" : "at");
	if (o->keep && !o->sock.listen)
		usage_error("recv", "--keep-listening needs --listen");
}

/* Reports a failed receive, closing what had arrived, and exits 1. */
static void __attribute__((noreturn))
receive_failed(struct receiver *r, const char *socket_arg)
{
	int saved = errno;

	receiver_release(r);
	if (r->why != NULL)
		errx(1, "receive on %s: %s", socket_arg, r->why);
	errno = saved;
	err(1, "receive on %s", socket_arg);
}

/* Prints a line for each of the descriptors from the first on. */
static void
print_fds(const struct receiver *r, size_t first)
{
	char path[4096];
	size_t i;

	for (i = first; i < r->nfds; i++) {
		printf("%d %s %s %s\n", r->fds[i], describe_kind(r->fds[i]),
		    r->names[i] != NULL ? r->names[i] : "-",
		    describe_path(r->fds[i], path, sizeof(path)) == 0 ?
		    path : "-");
	}
}

/* Reads the current transfer's data to standard output. */
static void
print_data(struct receiver *r, const char *socket_arg)
{
	char buf[65536];
	ssize_t n;

	while ((n = receiver_data(r, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			err(1, "stdout");
	if (n == -1)
		receive_failed(r, socket_arg);
}

/* Collects the current transfer's data for FDPASS_DATA. */
static void
collect_data(struct receiver *r, struct data_env *env, const char *socket_arg)
{
	ssize_t n;

	while ((n = receiver_data(r, env->bytes + env->len,
	    sizeof(env->bytes) - env->len)) > 0) {
		env->len += n;
		if (env->len > DATA_ENV_MAX) {
			receiver_release(r);
			errx(1, "receive on %s: more than %d bytes of data "
			    "for COMMAND", socket_arg, DATA_ENV_MAX);
		}
	}
	if (n == -1)
		receive_failed(r, socket_arg);
}

/*
 * Receives on sock: one transfer, or with --count transfers until that
 * many descriptors have come.  Returns 0 if the peer left without sending
 * anything, 1 when done; exits 1 on failure.
 */
static int
receive(const struct recv_options *o, int sock, const struct deadline *d)
{
	struct receiver *r = &receiver;
	size_t limit = o->count > 0 ? o->count : SIZE_MAX, shown;
	int n, transfers = 0;

	if (receiver_init(r, sock, d) == -1)
		err(1, "receive on %s", o->socket_arg);
	for (;;) {
		shown = r->nfds;
		if ((n = receiver_next(r, limit)) == -1)
			receive_failed(r, o->socket_arg);
		if (n == 0) {
			if (transfers == 0)
				return 0;
			receiver_release(r);
			errx(1, "receive on %s: connection closed after %zu of "
			    "%zu descriptors", o->socket_arg, shown, o->count);
		}
		transfers++;
		if (o->command != NULL)
			collect_data(r, &data_env, o->socket_arg);
		else {
			print_fds(r, shown);
			print_data(r, o->socket_arg);
		}
		if (o->count == 0 || r->nfds == o->count)
			return 1;
	}
}

/* Sets LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES for n descriptors. */
static void
set_listen_env(const struct receiver *r)
{
	char num[32], *names = NULL, *joined;
	size_t i;

	snprintf(num, sizeof(num), "%zu", r->nfds);
	setenv("LISTEN_FDS", num, 1);
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	setenv("LISTEN_PID", num, 1);
	for (i = 0; i < r->nfds; i++) {
		if (asprintf(&joined, "%s%s%s", names != NULL ? names : "",
		    i > 0 ? ":" : "", r->names[i] != NULL ? r->names[i] :
		    "unknown") == -1)
			err(1, "memory");
		free(names);
		names = joined;
	}
	setenv("LISTEN_FDNAMES", names != NULL ? names : "", 1);
	free(names);
}

/* Puts the data in FDPASS_DATA, which cannot hold a NUL byte. */
static void
set_data_env(struct receiver *r, struct data_env *env)
{
	if (env->len == 0) {
		unsetenv("FDPASS_DATA");
		return;
	}
	if (memchr(env->bytes, '\0', env->len) != NULL) {
		receiver_release(r);
		errx(1, "data for COMMAND contains a NUL byte");
	}
	env->bytes[env->len] = '\0';
	setenv("FDPASS_DATA", env->bytes, 1);
}

/* Works out where each descriptor goes; exits 1 if --at does not fit. */
static int *
targets_for(const struct recv_options *o, struct receiver *r)
{
	size_t i, n = r->nfds;
	int *targets;

	if (o->nat > 0 && o->nat != n) {
		receiver_release(r);
		errx(1, "received %zu descriptors, but --at places %zu", n,
		    o->nat);
	}
	if ((targets = reallocarray(NULL, n + 1, sizeof(int))) == NULL)
		err(1, "memory");
	for (i = 0; i < n; i++) {
		if (o->nat > 0)
			targets[i] = o->at[i];
		else if (o->listen_fds)
			targets[i] = 3 + i;
		else
			targets[i] = i == 0 ? 0 : i + 2;
	}
	return targets;
}

/* Hands the descriptors to COMMAND and execs it; exits 126/127 if not. */
static void __attribute__((noreturn))
run_command(const struct recv_options *o, struct receiver *r)
{
	int *targets, code;

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (o->listen_fds)
		set_listen_env(r);
	set_data_env(r, &data_env);
	targets = targets_for(o, r);
	if (place_fds(r->fds, targets, r->nfds) == -1)
		err(1, "hand descriptors to %s", o->command[0]);
	free(targets);
	/* They belong to the command now. */
	r->nfds = 0;
	signal(SIGCHLD, SIG_DFL);
	execvp(o->command[0], o->command);
	code = errno == ENOENT ? 127 : 126;
	warn("%s", o->command[0]);
	_exit(code);
}

/* Finishes one sender's turn: exec COMMAND or flush what was printed. */
static int
finish(const struct recv_options *o)
{
	if (o->command != NULL)
		run_command(o, &receiver);
	receiver_release(&receiver);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

/* recv --connect: the sender listens. */
static int
recv_connected(const struct recv_options *o)
{
	struct deadline d;
	int sock;

	deadline_set(&d, o->sock.timeout);
	sock = endpoint_connect(o->socket_arg, o->sock.type, &d);
	if (receive(o, sock, &d) == 0)
		errx(1, "receive on %s: connection closed before anything "
		    "arrived", o->socket_arg);
	close(sock);
	return finish(o);
}

/*
 * Waits for the one sender --once serves.  A connection that closes
 * without sending anything, such as another listener probing for a stale
 * socket, does not count.
 */
static int
recv_once(const struct recv_options *o, const struct listener *l)
{
	struct deadline d;
	int conn;

	deadline_set(&d, o->sock.timeout);
	if (o->sock.type == SOCK_DGRAM) {
		while (receive(o, l->fd, &d) == 0)
			continue;
	} else {
		for (;;) {
			conn = endpoint_accept(l, o->socket_arg,
			    &o->sock.access, &d);
			if (receive(o, conn, &d) == 1)
				break;
			close(conn);
		}
		close(conn);
	}
	endpoint_close();
	return finish(o);
}

/*
 * Serves the sender on sock (a connection, or the datagram socket l->fd)
 * in a child; returns in the parent with its pid.
 */
static pid_t
serve_in_child(const struct recv_options *o, const struct listener *l,
    int sock)
{
	struct deadline d;
	pid_t pid;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid > 0)
		return pid;
	endpoint_forget();
	if (sock != l->fd)
		close(l->fd);
	deadline_set(&d, o->sock.timeout);
	/* A peer that sent nothing gets no COMMAND. */
	if (receive(o, sock, &d) == 0)
		exit(0);
	close(sock);
	exit(finish(o));
}

/*
 * --keep-listening: each sender in a child of its own, so that one bad
 * sender cannot take the listener down.  Children that exec COMMAND run
 * side by side; without COMMAND they run one at a time, so that their
 * output does not interleave.
 */
static int __attribute__((noreturn))
recv_forever(const struct recv_options *o, const struct listener *l)
{
	int conn;
	pid_t pid;

	/* Children reap themselves; run_command restores SIGCHLD for exec. */
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if (o->sock.type == SOCK_DGRAM) {
			/* Children share the one socket: one at a time. */
			pid = serve_in_child(o, l, l->fd);
			waitpid(pid, NULL, 0);
			continue;
		}
		conn = endpoint_accept(l, o->socket_arg, &o->sock.access,
		    NULL);
		pid = serve_in_child(o, l, conn);
		close(conn);
		if (o->command == NULL)
			waitpid(pid, NULL, 0);
	}
}

int
cmd_recv(int argc, char **argv)
{
	struct recv_options o;
	const struct listener *l;

	parse_recv_options(argc, argv, &o);
	if (!o.sock.listen)
		return recv_connected(&o);
	l = endpoint_listen(o.socket_arg, o.sock.type, o.sock.mode);
	if (o.keep)
		recv_forever(&o, l);
	return recv_once(&o, l);
}
