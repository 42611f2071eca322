/*
 * fdpass recv: wait for a sender, take its descriptors, and either hand
 * them to COMMAND at the numbers asked for or print what arrived.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* Only strvisx is used, whose arguments both flavours of vis.h share. */
#define LIBBSD_OPENBSD_VIS
#include <vis.h>

#include "background.h"
#include "children.h"
#include "commands.h"
#include "describe.h"
#include "handoff.h"
#include "inspect.h"
#include "options.h"
#include "stdstreams.h"
#include "transfer.h"
#include "wire.h"

/* The most data bytes held for FDPASS_DATA or a --json line. */
#define DATA_HELD_MAX	65536

/* The highest descriptor number --at accepts. */
#define AT_MAX		1048575

/* How many senders --keep-listening serves at once by default. */
#define MAX_CHILDREN	40

/*
 * How long --keep-listening leaves a sender waiting after an accept that
 * lacked descriptors or memory, unless a child ends first and frees some.
 */
#define ACCEPT_PAUSE_MS	250

const char recv_usage[] =
"usage: fdpass recv [OPTION...] SOCKET [--] [COMMAND [ARG...]]\n"
"       fdpass recv --stdin [OPTION...] [--] [COMMAND [ARG...]]\n"
"Receive descriptors on SOCKET (a path, or @name for a Linux abstract\n"
"socket) and run COMMAND with them: by default the first on standard input\n"
"and any others from 3 up.  Data that came with them is in FDPASS_DATA.\n"
"With no COMMAND, print a line per descriptor (number, kind, name, path,\n"
"local and peer address, each vis(3)-encoded) and then the data.\n"
"\n"
"  -l, --listen           listen on SOCKET (the default)\n"
"  -c, --connect          connect to SOCKET, where a sender listens\n"
"      --stdin            receive on the unix socket that is standard input\n"
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
	{ NULL,		0,			NULL, 0 }
};

struct recv_options {
	struct socket_options	 sock;
	const char		*socket_arg;	/* SOCKET, or "stdin" */
	int			 use_stdin;
	struct handoff		 handoff;	/* style, --at, COMMAND */
	struct at_item		*at;
	size_t			 count;		/* 0: whatever one transfer brings */
	int			 keep;
	size_t			 max_children;
	int			 background;
	int			 ready_fd;	/* -1: none */
	const char		*pid_file;
	int			 json;
};

/* Data held for COMMAND's environment or a --json line. */
struct data_held {
	size_t	len;
	char	bytes[DATA_HELD_MAX + 1];
};

/*
 * What one process receives: the receiver with its 64 KiB buffer, the
 * data, and the peer's credentials.  Static, not on the stack, and one
 * per process, as each sender is served by a process of its own.
 */
static struct receiver receiver;
static struct data_held held;
static struct fdp_peer peer;
static int have_peer;

/*
 * Where the transfer is printed: standard output, or, in a child of
 * --keep-listening, a record in memory that goes out in one piece once
 * the transfer is complete (print_record).
 */
static FILE *out;
static char *record;
static size_t record_len;
static int holding;		/* out holds a record for stdout */

/*
 * A lock the children of --keep-listening hold while they print, so that
 * records never mix: a memfd's record lock, which goes with the child
 * should it die holding it.  -1 when not shared.
 */
static int print_lock = -1;

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
	if ((o->keep || o->background || o->ready_fd != -1 ||
	    o->pid_file != NULL) && !so->listen)
		usage_error("recv", "--keep-listening, --background, "
		    "--ready-fd and --pid-file need --listen");
	if (o->max_children != 0 && !o->keep)
		usage_error("recv", "--max-children needs --keep-listening");
	if (!so->listen && !o->use_stdin && so->type == SOCK_DGRAM)
		usage_error("recv", "--connect needs a connected socket, not "
		    "--dgram");
	if (so->type == SOCK_DGRAM && access_given(&so->access))
		usage_error("recv", "--allow-uid, --allow-gid, --peer-uid, "
		    "--peer-gid and --peer-pid need a connected socket, not "
		    "--dgram");
}

static void
parse_recv_options(int argc, char **argv, struct recv_options *o)
{
	int ch, listen_given = 0;

	memset(o, 0, sizeof(*o));
	socket_options_init(&o->sock, 1);
	o->ready_fd = -1;
	opterr = 0;
	while ((ch = next_option(argc, argv, "+:lckbt:m:h",
	    recv_longopts, "recv")) != -1) {
		listen_given |= ch == 'l';
		if (socket_option(&o->sock, ch, optarg))
			continue;
		switch (ch) {
		case OPT_STDIN:
			o->use_stdin = 1;
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
		case 'b':
			o->background = 1;
			break;
		case OPT_READY_FD:
			o->ready_fd = parse_number("--ready-fd", optarg, 0,
			    INT32_MAX);
			if (fcntl(o->ready_fd, F_GETFD) == -1)
				err(1, "--ready-fd %d", o->ready_fd);
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case 'h':
			print_help(recv_usage);
		default:
			bad_option("recv", argv, ch);
		}
	}
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
	endpoint_pin_pid(&o->sock.access);
	if (o->max_children == 0)
		o->max_children = MAX_CHILDREN;
}

/*
 * Refuses what arrived: tells a sender that asked, closes every received
 * descriptor and exits EXIT_REFUSED.
 */
static void __attribute__((noreturn, format(printf, 2, 3)))
refuse(const struct recv_options *o, const char *fmt, ...)
{
	struct receiver *r = &receiver;
	va_list ap;

	if ((r->flags & WIRE_ACK) && r->reason != WIRE_UNSAID)
		transfer_reply(r->sock, WIRE_DECLINED, r->reason);
	else if (r->flags & WIRE_ACK)
		transfer_reply(r->sock, WIRE_REFUSED, EXIT_REFUSED);
	receiver_release(r);
	fprintf(stderr, "fdpass: receive on %s: ", o->socket_arg);
	va_start(ap, fmt);
	/* clang 14's analyzer misses the va_start above. */
	vfprintf(stderr, fmt, ap);	/* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_REFUSED);
}

/* Reports a failed receive: refused for a bad message, else status 1. */
static void __attribute__((noreturn))
receive_failed(const struct recv_options *o)
{
	int saved = errno;

	if (receiver.why != NULL)
		refuse(o, "%s", receiver.why);
	receiver_release(&receiver);
	errno = saved;
	err(1, "receive on %s", o->socket_arg);
}

/*
 * Encodes the len bytes at s for a text record with strvisx(3): spaces,
 * newlines, backslashes and control and 8-bit bytes as C-style or octal
 * escapes, so that a record is one line of space-separated fields whatever
 * a path holds.  NULL, or nothing, is "-".  buf has room for 4 * len + 1.
 */
static const char *
field(const char *s, size_t len, char *buf)
{
	if (s == NULL || len == 0)
		return "-";
	strvisx(buf, s, len, VIS_WHITE | VIS_CSTYLE | VIS_OCTAL);
	return buf;
}

/*
 * Prints a record of six fields, one line, for each of the descriptors
 * from the first on: number, kind, name, path, and for a socket its own
 * and its peer's address (fdpass(1), OUTPUT).
 */
static void
print_fds(const struct receiver *r, size_t first)
{
	static char name[4 * WIRE_NAME_MAX + 1], path[4 * PATH_MAX + 1];
	static char local[4 * 128 + 1], remote[4 * 128 + 1];
	char link[PATH_MAX], addr[128];
	size_t i;
	int known, len;

	for (i = first; i < r->nfds; i++) {
		known = describe_path(r->fds[i], link, sizeof(link)) == 0;
		fprintf(out, "%d %s %s %s", r->fds[i],
		    describe_type(r->fds[i], known ? link : NULL),
		    field(r->names[i], r->names[i] != NULL ?
		    strlen(r->names[i]) : 0, name),
		    field(known ? link : NULL, known ? strlen(link) : 0,
		    path));
		len = describe_address(r->fds[i], 0, addr, sizeof(addr));
		fprintf(out, " %s", field(addr, len > 0 ? len : 0, local));
		len = describe_address(r->fds[i], 1, addr, sizeof(addr));
		fprintf(out, " %s\n", field(addr, len > 0 ? len : 0, remote));
	}
}

/* Reads the current transfer's data to standard output. */
static void
print_data(const struct recv_options *o)
{
	char buf[65536];
	ssize_t n;

	while ((n = receiver_data(&receiver, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, out) != (size_t)n)
			err(1, "stdout");
	if (n == -1)
		receive_failed(o);
}

/* Adds the current transfer's data to what is held, up to its limit. */
static void
hold_data(const struct recv_options *o)
{
	ssize_t n;

	while ((n = receiver_data(&receiver, held.bytes + held.len,
	    sizeof(held.bytes) - held.len)) > 0) {
		held.len += n;
		if (held.len > DATA_HELD_MAX)
			refuse(o, "more than %d bytes of data for %s",
			    DATA_HELD_MAX, o->json ? "--json" : "COMMAND");
	}
	if (n == -1)
		receive_failed(o);
}

/* Prints one JSON object for the transfer whose fds start at first. */
static void
print_json(const struct receiver *r, size_t first)
{
	size_t i;

	fputs("{\"fds\":[", out);
	for (i = first; i < r->nfds; i++) {
		if (i > first)
			putc(',', out);
		json_fd(out, r->fds[i], r->names[i]);
	}
	fputs("],\"data\":", out);
	json_string(out, held.bytes, held.len);
	if (have_peer) {
		fprintf(out, ",\"peer\":{\"pid\":%ld,\"uid\":%ld,\"gid\":%ld",
		    (long)peer.pid, (long)peer.uid, (long)peer.gid);
		/* Known where the kernel has SO_PEERPIDFD and pidfs. */
		if (peer.pidfd_inode != 0)
			fprintf(out, ",\"pidfd_inode\":%llu",
			    (unsigned long long)peer.pidfd_inode);
		putc('}', out);
	} else
		fputs(",\"peer\":null", out);
	fputs("}\n", out);
	held.len = 0;
}

/*
 * How many more descriptors this process can open under RLIMIT_NOFILE:
 * the numbers below the limit not in use.  SIZE_MAX when it cannot tell.
 * getdents64 into a buffer on the stack rather than readdir, whose 32 KiB
 * buffer would cost a transfer fresh pages every time.
 */
static size_t
fds_free(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct dirent64))));
	const struct dirent64 *e;
	struct rlimit rl;
	size_t used = 0;
	ssize_t n, off;
	long fd;
	int dir;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || (dir = open("/proc/self/fd",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return SIZE_MAX;
	while ((n = getdents64(dir, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += e->d_reclen) {
			e = (const struct dirent64 *)(buf + off);
			fd = strtol(e->d_name, NULL, 10);
			if (e->d_name[0] != '.' && fd != dir &&
			    (rlim_t)fd < rl.rlim_cur)
				used++;
		}
	close(dir);
	if (n == -1)
		return SIZE_MAX;
	return used < rl.rlim_cur ? rl.rlim_cur - used : 0;
}

/*
 * Looks at a framed header before any of its descriptors are taken: the
 * process that sent it must pass the access rules, and what it announces
 * must fit.  What does not is declined with the reason, which a sender
 * that sent its header alone learns before anything crossed.  With h NULL,
 * a plain message: its sender, where the kernel names it, must pass the
 * rules; one queued before recv asked for credentials (nc -F on --stdin)
 * was checked as the peer when accepted.
 */
static int
vet_transfer(struct receiver *r, const struct wire_header *h, void *arg)
{
	static char why[128];
	const struct recv_options *o = arg;
	const char *refusal;

	r->why = why;
	if (h == NULL && (r->type == SOCK_DGRAM || !r->sender_known ||
	    r->sender.pid == 0))
		return 0;
	if (r->type != SOCK_DGRAM && (!r->sender_known || r->sender.pid == 0)) {
		r->why = "the sender's credentials are unknown";
		return -1;
	}
	if (r->type != SOCK_DGRAM &&
	    (refusal = access_refusal(&o->sock.access, &r->sender)) != NULL) {
		snprintf(why, sizeof(why), "sending process pid %ld: %s",
		    (long)r->sender.pid, refusal);
		return -1;
	}
	if (h == NULL)
		return 0;
	if (o->count > 0 && r->nfds + h->nfds != o->count) {
		r->reason = WIRE_OTHER_COUNT;
		if (r->nfds + h->nfds > o->count)
			r->why = "more descriptors than expected";
		else
			snprintf(why, sizeof(why), "expected %zu descriptors, "
			    "got %zu", o->count, r->nfds + h->nfds);
		return -1;
	}
	if (fds_free() < h->nfds) {
		r->reason = WIRE_TOO_MANY_FDS;
		snprintf(why, sizeof(why), "no room for %u more descriptors "
		    "(RLIMIT_NOFILE)", h->nfds);
		return -1;
	}
	if ((o->handoff.command != NULL || o->json) &&
	    h->data_len > DATA_HELD_MAX - held.len) {
		r->reason = WIRE_TOO_MUCH_DATA;
		snprintf(why, sizeof(why), "more than %d bytes of data for %s",
		    DATA_HELD_MAX, o->json ? "--json" : "COMMAND");
		return -1;
	}
	return 0;
}

/*
 * Holds what is printed in memory (but in a child of --keep-listening,
 * which holds its record anyway), so that a transfer refused once some
 * of it has come prints nothing.
 */
static void
hold_output(void)
{
	if ((out = open_memstream(&record, &record_len)) == NULL)
		err(1, "memory");
	holding = 1;
}

/*
 * The transfer is accepted: writes what was held to standard output, and
 * prints there from now on.  The data of the last transfer then streams
 * from the socket, however large.
 */
static void
print_accepted(void)
{
	if (!holding)
		return;
	if (fclose(out) == EOF)
		err(1, "memory");
	out = stdout;
	holding = 0;
	if (fwrite(record, 1, record_len, out) != record_len)
		err(1, "stdout");
	free(record);
	record = NULL;
}

/*
 * Receives on sock: one transfer, or with --count transfers until that
 * many descriptors have come, printing each unless there is a COMMAND.
 * Returns 0 if the peer left without sending anything, 1 when done;
 * exits on failure.
 */
static int
receive(const struct recv_options *o, int sock, const struct deadline *d)
{
	struct receiver *r = &receiver;
	size_t limit = o->count > 0 ? o->count : SIZE_MAX, shown;
	int n, transfers = 0, last;

	/* What an earlier peer that sent nothing may have left. */
	receiver_release(r);
	/* A COMMAND gets the descriptors; nothing is printed to hold. */
	if (out == stdout && o->handoff.command == NULL)
		hold_output();
	if (receiver_init(r, sock, d) == -1)
		err(1, "receive on %s", o->socket_arg);
	r->vet = vet_transfer;
	r->vet_arg = (void *)o;
	for (;;) {
		shown = r->nfds;
		if ((n = receiver_next(r, limit)) == -1)
			receive_failed(o);
		if (n == 0) {
			if (transfers == 0)
				return 0;
			refuse(o, "connection closed after %zu of %zu "
			    "descriptors", shown, o->count);
		}
		transfers++;
		last = o->count == 0 || r->nfds == o->count;
		if (o->handoff.command != NULL)
			hold_data(o);
		else if (o->json) {
			hold_data(o);
			print_json(r, shown);
		} else {
			print_fds(r, shown);
			/* A plain message's data is all in memory already. */
			if (!last)
				print_data(o);
		}
		if (last) {
			print_accepted();
			if (o->handoff.command == NULL && !o->json)
				print_data(o);
			return 1;
		}
		/* An fdpass sender sends all it has in one transfer. */
		if (r->framed)
			refuse(o, "expected %zu descriptors, got %zu",
			    o->count, r->nfds);
	}
}

/* The held data for FDPASS_DATA, or NULL; it may not hold a NUL byte. */
static const char *
data_for_env(const struct recv_options *o)
{
	if (held.len == 0)
		return NULL;
	if (memchr(held.bytes, '\0', held.len) != NULL)
		refuse(o, "data for COMMAND contains a NUL byte");
	held.bytes[held.len] = '\0';
	return held.bytes;
}

/*
 * Hands the descriptors to COMMAND.  Usually recv becomes COMMAND; when
 * the sender waits for COMMAND's status, recv runs it as a child, passes
 * on SIGTERM, SIGINT and SIGHUP to it, reports how it exited and exits
 * the same way.
 */
static void __attribute__((noreturn))
hand_over(const struct recv_options *o)
{
	struct receiver *r = &receiver;
	struct handoff h = o->handoff;
	struct placement *plan;
	const char *why;
	size_t np;
	int reply = r->flags & WIRE_ACK ? r->sock : -1, status;
	pid_t pid;

	if (r->nfds == 0)
		refuse(o, "no descriptors arrived for %s", h.command[0]);
	h.peer = have_peer ? &peer : NULL;
	h.data = data_for_env(o);
	if ((plan = handoff_plan(&h, r->names, r->nfds, &np, &why)) == NULL)
		refuse(o, "%s", why);
	if (!(r->flags & WIRE_WAIT))
		handoff_exec(&h, r->fds, r->names, r->nfds, plan, np, reply);
	if (children_init(1, 0) == -1)
		err(1, "signals");
	if ((pid = children_fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		handoff_exec(&h, r->fds, r->names, r->nfds, plan, np, -1);
	free(plan);
	receiver_release(r);
	transfer_reply(reply, WIRE_DELIVERED, 0);
	status = children_wait(pid);
	transfer_reply(reply, WIRE_EXITED, status);
	exit(status);
}

/*
 * Tells whether the sender that asked for a reply on sock has gone, as
 * one that gave up waiting has: what it sent is then not printed, so a
 * sender that tries again does not deliver twice.
 */
static int
sender_gone(int sock)
{
	struct pollfd pfd = { sock, 0, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

/*
 * Writes the record of this transfer to standard output in one piece,
 * holding the lock the other children wait on, unless its sender has
 * gone meanwhile.
 */
static void
print_record(const struct recv_options *o)
{
	struct receiver *r = &receiver;
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	size_t off = 0;
	ssize_t n;

	if (fclose(out) == EOF)
		err(1, "memory");
	out = NULL;
	while (fcntl(print_lock, F_SETLKW, &lk) == -1)
		if (errno != EINTR)
			err(1, "lock");
	if ((r->flags & WIRE_ACK) && sender_gone(r->sock))
		errx(1, "receive on %s: the sender left before its transfer "
		    "was printed", o->socket_arg);
	for (; off < record_len; off += n)
		if ((n = write(STDOUT_FILENO, record + off, record_len - off))
		    == -1 && errno != EINTR)
			err(1, "stdout");
		else if (n == -1)
			n = 0;
	lk.l_type = F_UNLCK;
	fcntl(print_lock, F_SETLK, &lk);
	free(record);
}

/* Finishes one sender's turn: exec COMMAND, or flush what was printed. */
static int
finish(const struct recv_options *o)
{
	struct receiver *r = &receiver;

	if (o->handoff.command != NULL)
		hand_over(o);
	receiver_release(r);
	if (out != stdout)
		print_record(o);
	else if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	if (r->flags & WIRE_ACK)
		transfer_reply(r->sock, WIRE_DELIVERED, 0);
	if (r->flags & WIRE_WAIT)
		transfer_reply(r->sock, WIRE_EXITED, 0);
	return 0;
}

/* recv --connect: the sender listens. */
static int
recv_connected(const struct recv_options *o)
{
	struct deadline d;
	int sock;

	deadline_set_ms(&d, o->sock.timeout_ms);
	sock = endpoint_connect(o->socket_arg, o->sock.type, &o->sock.access,
	    &d, &peer, NULL);
	have_peer = o->sock.type != SOCK_DGRAM;
	if (receive(o, sock, &d) == 0)
		errx(1, "receive on %s: connection closed before anything "
		    "arrived", o->socket_arg);
	finish(o);
	close(sock);
	return 0;
}

/*
 * recv --stdin: standard input is a connected unix socket, as a
 * ProxyCommand-style parent or `nc -F` provides.  It moves off 0 so that
 * COMMAND does not inherit it there.
 */
static int
recv_stdin(const struct recv_options *o)
{
	struct deadline d;
	int sock, null;

	if (strcmp(describe_type(STDIN_FILENO, NULL), "socket") != 0)
		errx(1, "--stdin: standard input is not a socket");
	if ((sock = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1)
		err(1, "--stdin");
	close(null);
	endpoint_check_peer(&o->sock.access, sock, "", "--stdin", &peer);
	have_peer = 1;
	deadline_set_ms(&d, o->sock.timeout_ms);
	if (receive(o, sock, &d) == 0)
		errx(1, "receive on stdin: closed before anything arrived");
	finish(o);
	close(sock);
	return 0;
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

	deadline_set_ms(&d, o->sock.timeout_ms);
	if (o->sock.type == SOCK_DGRAM) {
		while (receive(o, l->fd, &d) == 0)
			continue;
		endpoint_close();
		return finish(o);
	}
	for (;;) {
		conn = endpoint_accept(l, o->socket_arg, &o->sock.access, &d,
		    &peer);
		have_peer = 1;
		if (receive(o, conn, &d) == 1)
			break;
		close(conn);
	}
	endpoint_close();
	finish(o);
	close(conn);
	return 0;
}

/*
 * Serves the sender on sock (a connection, or the datagram socket l->fd)
 * in a child.  The child closes taken (unless -1) once it has taken what
 * it serves, and prints, if it prints, one record in one piece.  Returns
 * in the parent: 0, or -1 if there could be no child.
 */
static int
serve_in_child(const struct recv_options *o, const struct listener *l,
    int sock, int taken)
{
	struct deadline d;
	pid_t pid;
	int n;

	if ((pid = children_fork()) == -1)
		return -1;
	if (pid > 0)
		return 0;
	if (sock != l->fd)
		close(l->fd);
	if (o->handoff.command == NULL &&
	    (out = open_memstream(&record, &record_len)) == NULL)
		err(1, "memory");
	deadline_set_ms(&d, o->sock.timeout_ms);
	n = receive(o, sock, &d);
	if (taken != -1)
		close(taken);
	/* A peer that sent nothing gets no COMMAND. */
	if (n == 0)
		exit(0);
	/* As print_record does: a sender that gave up may try again. */
	if (o->handoff.command != NULL && (receiver.flags & WIRE_ACK) &&
	    sender_gone(sock))
		errx(1, "receive on %s: the sender left before its command "
		    "was run", o->socket_arg);
	finish(o);
	close(sock);
	exit(0);
}

/*
 * Serves the datagram waiting on the socket in a child, and returns once
 * the child has taken it, so that the next one goes to the next child.
 * Returns -1 if there could be no child; the datagram then waits.
 */
static int
serve_datagram(const struct recv_options *o, const struct listener *l)
{
	int taken[2];
	ssize_t n;
	char c;

	if (pipe2(taken, O_CLOEXEC) == -1)
		return -1;
	if (serve_in_child(o, l, l->fd, taken[1]) == -1) {
		close(taken[0]);
		close(taken[1]);
		return -1;
	}
	close(taken[1]);
	/* A byte never comes: end of file when the child has taken it. */
	do
		n = read(taken[0], &c, 1);
	while (n == -1 && errno == EINTR);
	close(taken[0]);
	return 0;
}

/*
 * --keep-listening: each sender in a child of its own, so that one bad
 * sender cannot take the listener down, at most --max-children at once;
 * the listener takes the next sender only when one of them ends.  The
 * children run side by side and print each transfer in one piece.  A
 * sender that finds no child is closed, or for a datagram waits a moment,
 * as does one that an accept lacking descriptors or memory left waiting.
 * SIGTERM, SIGINT and SIGHUP go on to every child still running, commands
 * included, and end the listener.
 */
static void __attribute__((noreturn))
recv_forever(const struct recv_options *o, const struct listener *l)
{
	struct pollfd pfd[2];
	int conn, ms = -1;

	if (children_init(o->max_children, 1) == -1)
		err(1, "signals");
	if (o->handoff.command == NULL &&
	    (print_lock = memfd_create("fdpass-print", MFD_CLOEXEC)) == -1)
		err(1, "memfd_create");
	pfd[0].fd = l->fd;
	pfd[1].fd = children_wake_fd();
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].events = ms == -1 &&
		    children_reap() < o->max_children ? POLLIN : 0;
		if (poll(pfd, 2, ms) == -1 && errno != EINTR)
			err(1, "poll");
		ms = -1;
		if (!(pfd[0].events & pfd[0].revents & POLLIN))
			continue;
		if (o->sock.type == SOCK_DGRAM) {
			if (serve_datagram(o, l) == -1) {
				warn("serve %s: a datagram waits",
				    o->socket_arg);
				ms = 1000;
			}
			continue;
		}
		/* Back to the poll after each try, so that children are reaped. */
		if ((conn = endpoint_accept_waiting(l, o->socket_arg,
		    &o->sock.access, &peer)) == -1) {
			if (errno != EACCES)
				ms = ACCEPT_PAUSE_MS;
			continue;
		}
		have_peer = 1;
		if (serve_in_child(o, l, conn, -1) == -1)
			warn("serve %s: refused a sender", o->socket_arg);
		close(conn);
	}
}

int
cmd_recv(int argc, char **argv)
{
	struct recv_options o;
	const struct listener *l;

	parse_recv_options(argc, argv, &o);
	if (o.handoff.command == NULL)
		std_stream_needed(STDOUT_FILENO, "recv");
	out = stdout;
	handoff_keep_stderr();
	if (o.use_stdin)
		return recv_stdin(&o);
	if (!o.sock.listen)
		return recv_connected(&o);
	l = endpoint_listen(o.socket_arg, o.sock.type, o.sock.mode);
	announce_listening(o.background, o.ready_fd, o.pid_file);
	if (o.keep)
		recv_forever(&o, l);
	return recv_once(&o, l);
}
