/*
 * From received descriptors to a running COMMAND: the placement plan for
 * each convention, the environment (LISTEN_*, UCSPI's PROTO, TCP* and
 * UNIX*, FDPASS_DATA), and the exec.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispose.h"
#include "grab.h"
#include "handoff.h"
#include "transfer.h"

/* Places fds in order at first, first + 1, ..., but the first at zero. */
static void
plan_in_order(struct placement *p, size_t n, int zero, int first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i].from = i;
		p[i].to = i == 0 ? zero : first + (int)i - 1;
	}
}

/* One or two descriptors on a pair of numbers: read end, write end. */
static const char *
plan_pair(struct placement *p, size_t n, int in, int out, const char *style)
{
	static char why[64];

	if (n != 1 && n != 2) {
		snprintf(why, sizeof(why), "%s takes 1 or 2 descriptors, "
		    "not %zu", style, n);
		return why;
	}
	p[0].from = 0;
	p[0].to = in;
	p[1].from = n - 1;
	p[1].to = out;
	return NULL;
}

/* Finds the first descriptor not yet placed, by name or in order. */
static int
find_source(char **names, const int *used, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		if (name == NULL ||
		    (names[i] != NULL && strcmp(names[i], name) == 0))
			return i;
	}
	return -1;
}

/* --at: named items take their descriptors first, the rest go in order. */
static const char *
plan_at(const struct handoff *h, char **names, size_t n, struct placement *p)
{
	static char why[WIRE_NAME_MAX + 64];
	size_t i, pass;
	int *used, from;

	if (h->nat != n) {
		snprintf(why, sizeof(why), "received %zu descriptors, but "
		    "--at places %zu", n, h->nat);
		return why;
	}
	if ((used = calloc(n + 1, sizeof(*used))) == NULL)
		return strerror(errno);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < h->nat; i++) {
			if ((h->at[i].name == NULL) != (pass == 1))
				continue;
			from = find_source(names, used, n, h->at[i].name);
			if (from == -1) {
				snprintf(why, sizeof(why), "no descriptor "
				    "named '%s' for --at %d", h->at[i].name,
				    h->at[i].target);
				free(used);
				return why;
			}
			used[from] = 1;
			p[i].from = from;
			p[i].to = h->at[i].target;
		}
	}
	free(used);
	return NULL;
}

/*
 * Works out where each of the n descriptors goes.  Returns the plan and
 * its length in *np, or NULL with *why saying why they do not fit.
 */
struct placement *
handoff_plan(const struct handoff *h, char **names, size_t n, size_t *np,
    const char **why)
{
	struct placement *p;

	*why = NULL;
	/* Room for the pair styles' two places, even for one descriptor. */
	if ((p = reallocarray(NULL, n + 2, sizeof(*p))) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	*np = n;
	switch (h->style) {
	case STYLE_DEFAULT:
		plan_in_order(p, n, 0, 3);
		break;
	case STYLE_LISTEN_FDS:
		plan_in_order(p, n, 3, 4);
		break;
	case STYLE_AT:
		*why = plan_at(h, names, n, p);
		break;
	case STYLE_INETD:
		*why = plan_pair(p, n, 0, 1, "--inetd");
		*np = 2;
		break;
	case STYLE_UCSPI:
		*why = plan_pair(p, n, 6, 7, "--ucspi");
		*np = 2;
		break;
	}
	if (*why != NULL) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * Tells whether exec could run file: a regular file this process may
 * execute.  Fails with EACCES where exec would, or as stat(2) fails.
 */
static int
executable(const char *file)
{
	struct stat st;

	if (stat(file, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return faccessat(AT_FDCWD, file, X_OK, AT_EACCESS);
}

/*
 * Looks COMMAND up as execvp(3) will: name itself when it holds a '/',
 * else in each directory of PATH (/bin:/usr/bin when unset, as glibc has
 * it; an empty entry is the current directory).  Returns 0 when there is
 * a file to execute, its path in file (PATH_MAX bytes) unless NULL, or -1
 * with errno ENOENT when there is none, EACCES when what there is cannot
 * be executed: recv says so before it listens, rather than after a
 * sender has committed its transfer.
 */
int
handoff_find_command(const char *name, char *found)
{
	char file[PATH_MAX];
	const char *dir, *end;
	int denied = 0, n;

	if (name[0] == '\0' || strlen(name) >= sizeof(file)) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(name, '/') != NULL) {
		if (found != NULL)
			strlcpy(found, name, PATH_MAX);
		return executable(name);
	}
	if ((dir = getenv("PATH")) == NULL)
		dir = "/bin:/usr/bin";
	for (;; dir = end + 1) {
		end = strchrnul(dir, ':');
		n = snprintf(file, sizeof(file), "%.*s%s%s", (int)(end - dir),
		    dir, end > dir ? "/" : "", name);
		if (n >= 0 && (size_t)n < sizeof(file)) {
			if (executable(file) == 0) {
				if (found != NULL)
					strlcpy(found, file, PATH_MAX);
				return 0;
			}
			denied |= errno == EACCES;
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return -1;
}

/* Sets an environment variable, or exits. */
static void
setenv_string(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		err(1, "setenv %s", name);
}

/* Sets an environment variable to a number. */
static void
setenv_number(const char *name, long value)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", value);
	if (setenv(name, num, 1) == -1)
		err(1, "setenv %s", name);
}

/*
 * LISTEN_PIDFDID, as systemd sets it: the pidfs inode of this process,
 * which the command keeps across the exec, so that it can tell the
 * descriptors are its own even where LISTEN_PID is a reused pid.  Left
 * out where there is no pidfs, or no pidfd to be had, as a command then
 * falls back to LISTEN_PID.
 */
static void
set_pidfd_id(void)
{
	char num[32];
	uint64_t inode;

	if (grab_pid_inode(getpid(), &inode) == -1)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)inode);
	setenv_string("LISTEN_PIDFDID", num);
}

/*
 * LISTEN_FDS, LISTEN_PID, LISTEN_PIDFDID where it can be had, and
 * LISTEN_FDNAMES ("unknown" when unnamed).
 */
static void
set_listen_env(char **names, size_t n)
{
	size_t i, len = 1;
	char *joined;

	setenv_number("LISTEN_FDS", n);
	setenv_number("LISTEN_PID", getpid());
	set_pidfd_id();
	for (i = 0; i < n; i++)
		len += strlen(names[i] != NULL ? names[i] : "unknown") + 1;
	if ((joined = malloc(len)) == NULL)
		err(1, "memory");
	joined[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(joined, ":", len);
		strlcat(joined, names[i] != NULL ? names[i] : "unknown", len);
	}
	if (setenv("LISTEN_FDNAMES", joined, 1) == -1)
		err(1, "setenv LISTEN_FDNAMES");
	free(joined);
}

/*
 * What UCSPI tools set to describe a connection (ucspi-tcp, ucspi-tcp6,
 * ucspi-unix), all removed before any is set: those fdpass inherited
 * describe another connection.
 */
static const char *const ucspi_vars[] = {
	"PROTO",
	"TCPLOCALIP", "TCPLOCALPORT", "TCPLOCALHOST",
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEHOST", "TCPREMOTEINFO",
	"TCP6LOCALIP", "TCP6LOCALPORT", "TCP6LOCALHOST",
	"TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6REMOTEHOST", "TCP6REMOTEINFO",
	"UNIXLOCALPATH", "UNIXREMOTEPID", "UNIXREMOTEEUID", "UNIXREMOTEEGID",
};

/* PROTO=UNIX and the UNIXREMOTE* of peer. */
static void
set_unix_env(const struct fdp_peer *peer)
{
	setenv_string("PROTO", "UNIX");
	setenv_number("UNIXREMOTEPID", peer->pid);
	setenv_number("UNIXREMOTEEUID", peer->uid);
	setenv_number("UNIXREMOTEEGID", peer->gid);
}

/*
 * Sets PREFIX{LOCAL,REMOTE}IP and ...PORT, side saying which, from an
 * IPv4 or IPv6 address; an IPv4-mapped one is written as IPv4.
 */
static void
set_ip_env(const char *prefix, const char *side,
    const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char name[32], host[INET6_ADDRSTRLEN];
	struct in_addr v4;
	in_port_t port;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = sin->sin_port;
	} else if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
		inet_ntop(AF_INET, &v4, host, sizeof(host));
		port = sin6->sin6_port;
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = sin6->sin6_port;
	}
	snprintf(name, sizeof(name), "%s%sIP", prefix, side);
	setenv_string(name, host);
	snprintf(name, sizeof(name), "%s%sPORT", prefix, side);
	setenv_number(name, ntohs(port));
}

/* Tells whether ss is an IPv6 address that is not IPv4-mapped. */
static int
is_ipv6(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * Describes the connection fd is one end of, as UCSPI does: a TCP one as
 * tcpclient does (PROTO=TCP, TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP,
 * TCPREMOTEPORT), over IPv6 as ucspi-tcp6 does (PROTO=TCP6 and TCP6*);
 * a unix one by its peer's credentials (SO_PEERCRED) and UNIXLOCALPATH
 * when bound to a path.  Anything else is no connection and gets nothing.
 */
static void
set_connection_env(int fd)
{
	struct sockaddr_storage local, remote;
	struct sockaddr_un *sun = (struct sockaddr_un *)&local;
	socklen_t llen = sizeof(local), rlen = sizeof(remote);
	socklen_t plen = sizeof(int);
	struct fdp_peer peer;
	const char *proto;
	int ipproto;

	/* Zeroed, so that a path as long as sun_path ends with a NUL. */
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&remote, &rlen) == -1)
		return;
	if (remote.ss_family == AF_UNIX) {
		if (fdp_peer(fd, &peer) == -1)
			return;
		set_unix_env(&peer);
		if (llen > offsetof(struct sockaddr_un, sun_path) &&
		    sun->sun_path[0] != '\0')
			setenv_string("UNIXLOCALPATH", sun->sun_path);
		return;
	}
	if ((remote.ss_family != AF_INET && remote.ss_family != AF_INET6) ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &ipproto, &plen) == -1 ||
	    ipproto != IPPROTO_TCP)
		return;
	proto = is_ipv6(&remote) ? "TCP6" : "TCP";
	setenv_string("PROTO", proto);
	set_ip_env(proto, "LOCAL", &local);
	set_ip_env(proto, "REMOTE", &remote);
}

/*
 * The environment COMMAND gets: LISTEN_* only with --listen-fds (stale
 * ones are removed), with --ucspi the connection that goes on 6 (fds[from]),
 * otherwise the sender as UCSPI describes a unix socket's peer, and the
 * data.
 */
static void
set_env(const struct handoff *h, int *fds, char **names, size_t n,
    const struct placement *p)
{
	size_t i;

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_PIDFDID");
	unsetenv("LISTEN_FDNAMES");
	if (h->style == STYLE_LISTEN_FDS)
		set_listen_env(names, n);
	for (i = 0; i < sizeof(ucspi_vars) / sizeof(ucspi_vars[0]); i++)
		unsetenv(ucspi_vars[i]);
	if (h->style == STYLE_UCSPI)
		set_connection_env(fds[p[0].from]);
	else if (h->peer != NULL)
		set_unix_env(h->peer);
	if (h->data != NULL)
		setenv_string("FDPASS_DATA", h->data);
	else
		unsetenv("FDPASS_DATA");
}

/* Clears O_NONBLOCK on each placed descriptor, for --blocking. */
static int
make_blocking(const struct placement *p, size_t np)
{
	size_t i;
	int flags;

	for (i = 0; i < np; i++) {
		if ((flags = fcntl(p[i].to, F_GETFL)) == -1 ||
		    fcntl(p[i].to, F_SETFL, flags & ~O_NONBLOCK) == -1)
			return -1;
	}
	return 0;
}

/*
 * A close-on-exec copy of recv's standard error, for what goes wrong once
 * the descriptors are placed: 2 may be the sender's file by then, which
 * must get nothing from fdpass.
 */
static int diag_fd = -1;

/* Closes the copy: exec closes it, and so does exit, through this. */
static void
drop_stderr(void)
{
	if (diag_fd != -1)
		close(diag_fd);
	diag_fd = -1;
}

/* Keeps the copy of standard error; at start, before anything arrives. */
void
handoff_keep_stderr(void)
{
	if ((diag_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) != -1)
		atexit(drop_stderr);
}

/*
 * Gives up before or at the exec: says why on the copy of standard error,
 * tells the sender on reply_sock (unless -1) with the status, and exits
 * with it.
 */
static void __attribute__((noreturn))
give_up(int reply_sock, int code, const char *what, const char *command)
{
	int saved = errno;

	if (diag_fd != -1)
		dprintf(diag_fd, "fdpass: %s%s: %s\n", what, command,
		    strerror(saved));
	if (reply_sock != -1)
		transfer_reply(reply_sock, WIRE_REFUSED, code);
	cleanup_exec_failed();
	_exit(code);
}

/*
 * Places the descriptors, sets the environment and execs COMMAND.  Only
 * once all is in place does it tell the sender on reply_sock (unless -1)
 * that they are delivered; reply_sock then stays open until the exec
 * closes it, which tells the sender that COMMAND runs.  Descriptors
 * still waiting for a disposer (dispose.c) would make the exec wait:
 * then COMMAND is not run.  If anything fails the sender is told so, and
 * the status is 1, or 126 or 127 when the exec itself fails.
 */
void
handoff_exec(const struct handoff *h, int *fds, char **names, size_t n,
    const struct placement *p, size_t np, int reply_sock)
{
	int keep[HANDOFF_KEPT] = { reply_sock, diag_fd }, placed;

	if (dispose_before_exec() == -1)
		give_up(reply_sock, 1, "no process to close what refused "
		    "senders sent; not running ", h->command[0]);
	set_env(h, fds, names, n, p);
	placed = place_fds(fds, n, p, np, keep, HANDOFF_KEPT);
	reply_sock = keep[0];
	diag_fd = keep[1];
	if (placed == -1)
		give_up(reply_sock, 1, "hand descriptors to ", h->command[0]);
	if (h->blocking && make_blocking(p, np) == -1)
		give_up(reply_sock, 1, "--blocking: ", h->command[0]);
	if (reply_sock != -1)
		transfer_reply(reply_sock, WIRE_DELIVERED, 0);
	cleanup_before_exec();
	execvp(h->command[0], h->command);
	give_up(reply_sock, errno == ENOENT ? 127 : 126, "", h->command[0]);
}
