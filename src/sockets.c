/*
 * Sockets made to be passed: TCP and UDP ones from "[HOST:]PORT", perhaps
 * in another network namespace, and unix listeners through address.c.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/nsfs.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "signals.h"
#include "sockets.h"

/* The most getent may write: some hundreds of addresses. */
#define GETENT_MAX	65536

extern char **environ;

/* A "[HOST:]PORT" taken apart. */
struct hostport {
	char		host[NI_MAXHOST];	/* empty when left out */
	in_port_t	port;
	int		bracketed;		/* HOST was written [V6ADDR] */
};

/* The addresses a "[HOST:]PORT" stands for, in the order to try them. */
struct addrs {
	struct addr {
		struct sockaddr_storage	ss;
		socklen_t		len;
	}	*v;
	size_t	 n;
};

/*
 * The network namespace the TCP and UDP sockets are made in, from
 * socket_netns, and fdpass's own to come back to: both -1 for fdpass's own.
 */
static struct {
	int	there;
	int	home;
} netns = { -1, -1 };

/*
 * socket(2), close-on-exec, made in the namespace socket_netns chose.  A
 * socket stays in the namespace it was made in, so this is the only call
 * made there: fdpass is back in its own before it returns, or it fails.
 */
static int
new_socket(int domain, int type, int protocol)
{
	int fd, saved;

	if (netns.there == -1)
		return socket(domain, type | SOCK_CLOEXEC, protocol);
	if (setns(netns.there, CLONE_NEWNET) == -1)
		return -1;
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	saved = errno;
	/*
	 * socket_netns made this same trip: a failure here is not expected,
	 * but would leave fdpass elsewhere, and so fails every socket made
	 * from now on, for the caller to give up.
	 */
	if (setns(netns.home, CLONE_NEWNET) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

/* Fails with EINVAL, what saying why. */
static int
invalid(const char **why, const char *what)
{
	*why = what;
	errno = EINVAL;
	return -1;
}

/*
 * Splits spec, "[HOST:]PORT", "HOST:PORT" or "[V6ADDR]:PORT", into hp.
 * A spec without HOST is refused when need_host is set.
 */
static int
split_spec(const char *spec, int need_host, struct hostport *hp,
    const char **why)
{
	const char *usage = need_host ? "expected HOST:PORT" :
	    "expected [HOST:]PORT";
	const char *host = NULL, *port, *end, *p;
	size_t hostlen = 0;
	unsigned long n = 0;

	memset(hp, 0, sizeof(*hp));
	if (spec[0] == '[') {
		host = spec + 1;
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			return invalid(why, usage);
		hostlen = end - host;
		port = end + 2;
		hp->bracketed = 1;
	} else if ((end = strrchr(spec, ':')) != NULL) {
		host = spec;
		hostlen = end - spec;
		port = end + 1;
		/* Unbracketed, an IPv6 address's last group reads as PORT. */
		if (memchr(host, ':', hostlen) != NULL)
			return invalid(why, usage);
	} else
		port = spec;
	if ((host != NULL && hostlen == 0) || (host == NULL && need_host) ||
	    *port == '\0')
		return invalid(why, usage);
	for (p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return invalid(why, usage);
		if ((n = n * 10 + (*p - '0')) > 65535)
			return invalid(why, "port must be 0 to 65535");
	}
	if (hostlen >= sizeof(hp->host))
		return invalid(why, "host name too long");
	if (host != NULL)
		memcpy(hp->host, host, hostlen);
	hp->port = n;
	return 0;
}

/*
 * Adds to list the address addr (a struct in_addr or in6_addr) of family,
 * with port, and scope for IPv6.  Returns 0, or -1 with errno set.
 */
static int
addrs_add(struct addrs *list, int family, const void *addr, in_port_t port,
    uint32_t scope)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct addr *v, *a;

	if ((v = reallocarray(list->v, list->n + 1, sizeof(*v))) == NULL)
		return -1;
	list->v = v;
	a = &v[list->n++];
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)&a->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		a->len = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&a->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		sin6->sin6_scope_id = scope;
		a->len = sizeof(*sin6);
	}
	return 0;
}

static void
addrs_free(struct addrs *list)
{
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

/*
 * The index of the network interface called name, in the namespace where
 * send makes its sockets (--netns): if_nametoindex would ask the one
 * fdpass runs in, where the name may be another interface or none.
 * 0 when there is none.
 */
static unsigned int
interface_index(const char *name)
{
	struct ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	if (strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name)) >=
	    sizeof(ifr.ifr_name) || (fd = new_socket(AF_INET, SOCK_DGRAM,
	    0)) == -1)
		return 0;
	ret = ioctl(fd, SIOCGIFINDEX, &ifr);
	close(fd);
	return ret == -1 ? 0 : (unsigned int)ifr.ifr_ifindex;
}

/*
 * Adds host to list when it is a numeric address of family (AF_UNSPEC for
 * either): an IPv4 dotted quad, or an IPv6 address with perhaps a %SCOPE,
 * an interface's name or number.  Returns 1 then, 0 when host is no such
 * address (a name, or a form only getaddrinfo(3) reads, for getent), or
 * -1 with errno set.
 */
static int
add_numeric(struct addrs *list, const char *host, int family,
    in_port_t port)
{
	struct in_addr a4;
	struct in6_addr a6;
	char bare[INET6_ADDRSTRLEN];
	const char *scope, *errstr;
	uint32_t ifindex = 0;

	if (family != AF_INET6 && inet_pton(AF_INET, host, &a4) == 1)
		return addrs_add(list, AF_INET, &a4, port, 0) == -1 ? -1 : 1;
	if (family == AF_INET)
		return 0;
	if ((scope = strchr(host, '%')) != NULL) {
		if ((size_t)(scope - host) >= sizeof(bare))
			return 0;
		memcpy(bare, host, scope - host);
		bare[scope - host] = '\0';
		host = bare;
		if ((ifindex = interface_index(scope + 1)) == 0)
			ifindex = strtonum(scope + 1, 1, UINT32_MAX, &errstr);
		if (ifindex == 0)
			return 0;
	}
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	return addrs_add(list, AF_INET6, &a6, port, ifindex) == -1 ? -1 : 1;
}

/*
 * Has SIGCHLD at SIG_DFL should fdpass have found it ignored, as then the
 * kernel would reap getent itself and its exit status would be lost.  It
 * stays so: SIG_DFL ignores the signal as well, fdpass has no other child
 * by then, and signals_restore puts SIG_IGN back before any exec.
 */
static int
collect_children(void)
{
	struct sigaction sa;

	if (sigaction(SIGCHLD, NULL, &sa) == -1)
		return -1;
	return sa.sa_handler == SIG_IGN ? signals_set(SIGCHLD, SIG_DFL) : 0;
}

/*
 * Runs FDPASS_GETENT, "getent ahosts", to look host up as the system's
 * nsswitch.conf says, fdpass being linked statically with a glibc that
 * cannot load NSS modules safely.  It gets /dev/null on 0 and 2, its
 * output pipe on 1, nothing else; what it writes goes to out (GETENT_MAX
 * bytes, NUL-terminated), and its wait status to *status.  At the
 * deadline d it is killed: ETIMEDOUT.  Returns 0, or -1 with errno set.
 */
static int
run_getent(const char *host, const struct deadline *d, char *out,
    int *status, const char **why)
{
	static char cannot_run[sizeof(FDPASS_GETENT) + 64];
	/* -A -i: as getaddrinfo(3) with no AI_ADDRCONFIG and no AI_IDN. */
	char *const argv[] = { "getent", "-A", "-i", "ahosts", "--",
	    (char *)host, NULL };
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int p[2], rc, eof = 0, saved;

	if (collect_children() == -1 || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawn_file_actions_addopen(&fa, 0,
		    "/dev/null", O_RDONLY, 0)) == 0 &&
		    (rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1)) ==
		    0 &&
		    (rc = posix_spawn_file_actions_addopen(&fa, 2,
		    "/dev/null", O_WRONLY, 0)) == 0 &&
		    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) ==
		    0)
			rc = posix_spawn(&pid, FDPASS_GETENT, &fa, NULL, argv,
			    environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		snprintf(cannot_run, sizeof(cannot_run), "cannot run %s: %s",
		    FDPASS_GETENT, strerror(rc));
		*why = cannot_run;
		errno = rc;
		return -1;
	}
	while (!eof && deadline_wait(d, p[0], POLLIN) == 0) {
		n = read(p[0], out + len, GETENT_MAX - 1 - len);
		if (n == -1 && errno != EINTR)
			break;
		eof = n == 0;
		if (n > 0 && (len += n) == GETENT_MAX - 1) {
			errno = EOVERFLOW;
			break;
		}
	}
	saved = errno;
	close(p[0]);
	out[len] = '\0';
	/*
	 * At end of file getent has closed its output by exiting, so the
	 * wait is short; otherwise it is stopped here.
	 */
	if (!eof)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	errno = saved;
	return eof ? 0 : -1;
}

/*
 * Adds to list the addresses in getent's output out ("ADDRESS TYPE
 * [NAME]" lines) of the socket type, in getent's order, getaddrinfo's.
 */
static int
parse_getent(char *out, int type, in_port_t port, struct addrs *list)
{
	const char *want = type == SOCK_STREAM ? "STREAM" : "DGRAM";
	char *line, addr[INET6_ADDRSTRLEN], kind[8];

	while ((line = strsep(&out, "\n")) != NULL) {
		/* The widths are those of addr and kind. */
		if (sscanf(line, "%45s %7s", addr, kind) != 2 ||
		    strcmp(kind, want) != 0)
			continue;
		if (add_numeric(list, addr, AF_UNSPEC, port) == -1)
			return -1;
	}
	return 0;
}

/*
 * Looks the host name up with getent by the deadline d, adding its
 * addresses for sockets of the given type to list.
 */
static int
lookup_name(const char *host, int type, in_port_t port,
    const struct deadline *d, struct addrs *list, const char **why)
{
	static char failed[sizeof(FDPASS_GETENT) + 64];
	char *out;
	int status, rc = -1;

	if ((out = malloc(GETENT_MAX)) == NULL)
		return -1;
	if (run_getent(host, d, out, &status, why) == -1)
		goto fail;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    parse_getent(out, type, port, list) == -1)
		goto fail;
	if (list->n > 0)
		rc = 0;
	else if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
	    WEXITSTATUS(status) == 2)) {
		/*
		 * An unknown host, or one with no address of the type: a
		 * runtime failure, not bad input, so not EINVAL.
		 */
		*why = "Name or service not known";
		errno = EADDRNOTAVAIL;
	} else {
		snprintf(failed, sizeof(failed), "%s failed (%s %d)",
		    FDPASS_GETENT, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
		*why = failed;
		errno = EIO;
	}
fail:
	free(out);
	return rc;
}

/*
 * Puts in list the addresses hp stands for, for sockets of the given type
 * and family, by the deadline d: a HOST left out is the family's wildcard
 * (bound_socket's), a numeric one is read here, a name looked up with
 * getent (of either family: the family is fixed only for those two).  A
 * bracketed HOST must be a numeric IPv6 address.  The caller frees list
 * with addrs_free.
 */
static int
resolve(const struct hostport *hp, int family, int type,
    const struct deadline *d, struct addrs *list, const char **why)
{
	const struct in_addr any4 = { htonl(INADDR_ANY) };
	int rc, saved;

	memset(list, 0, sizeof(*list));
	if (hp->host[0] == '\0')
		rc = addrs_add(list, family, family == AF_INET6 ?
		    (const void *)&in6addr_any : (const void *)&any4, hp->port,
		    0);
	else if ((rc = add_numeric(list, hp->host, hp->bracketed ? AF_INET6 :
	    family, hp->port)) == 0) {
		if (hp->bracketed)
			return invalid(why, "expected an IPv6 address in []");
		rc = lookup_name(hp->host, type, hp->port, d, list, why);
	}
	if (rc != -1)
		return 0;
	if (errno == ETIMEDOUT && deadline_remaining_ms(d) == 0)
		*why = "the host name lookup did not finish within --timeout";
	saved = errno;
	addrs_free(list);
	errno = saved;
	return -1;
}

/*
 * Makes a socket of the given type bound to the first address of list
 * that takes it, on an IPv6 address with IPV6_V6ONLY off when dual is
 * set.  A TCP socket gets SO_REUSEADDR, to listen where connections
 * linger in TIME_WAIT; a UDP socket does not, as there it would let
 * another socket with the option, of any user, bind the same address and
 * take its datagrams.  The error is the last address's.
 */
static int
bind_first(const struct addrs *list, int type, int dual)
{
	const struct addr *a;
	size_t i;
	int fd, on = 1, off = 0, saved = EADDRNOTAVAIL;

	for (i = 0; i < list->n; i++) {
		a = &list->v[i];
		if ((fd = new_socket(a->ss.ss_family, type, 0)) == -1) {
			saved = errno;
			continue;
		}
		if ((type != SOCK_STREAM ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0) &&
		    (!dual || a->ss.ss_family != AF_INET6 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off)) == 0) &&
		    bind(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
			return fd;
		saved = errno;
		close(fd);
	}
	errno = saved;
	return -1;
}

/*
 * Resolves hp in the given family by the deadline d and binds a socket of
 * the given type.
 */
static int
bind_family(const struct hostport *hp, int family, int type, int dual,
    const struct deadline *d, const char **why)
{
	struct addrs list;
	int fd, saved;

	if (resolve(hp, family, type, d, &list, why) == -1)
		return -1;
	fd = bind_first(&list, type, dual);
	saved = errno;
	addrs_free(&list);
	errno = saved;
	return fd;
}

/*
 * Makes a socket of the given type bound to spec, "[HOST:]PORT".  Without
 * HOST it takes the IPv6 wildcard, IPv4 as well, or on a system without
 * IPv6 the IPv4 one.
 */
static int
bound_socket(const char *spec, int type, const struct deadline *d,
    const char **why)
{
	struct hostport hp;
	int fd;

	if (split_spec(spec, 0, &hp, why) == -1)
		return -1;
	if (hp.host[0] != '\0')
		return bind_family(&hp, AF_UNSPEC, type, 0, d, why);
	if ((fd = bind_family(&hp, AF_INET6, type, 1, d, why)) == -1 &&
	    errno == EAFNOSUPPORT) {
		*why = NULL;
		fd = bind_family(&hp, AF_INET, type, 0, d, why);
	}
	return fd;
}

/*
 * Makes a TCP socket listening on spec, "[HOST:]PORT", with SO_REUSEADDR
 * and the given backlog; HOST is looked up by the deadline d.
 */
int
socket_tcp_listen(const char *spec, int backlog, const struct deadline *d,
    const char **why)
{
	const char *ignored;
	int fd, saved;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	if ((fd = bound_socket(spec, SOCK_STREAM, d, why)) == -1)
		return -1;
	if (listen(fd, backlog) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Makes a UDP socket bound to spec, "[HOST:]PORT", without SO_REUSEADDR;
 * HOST is looked up by the deadline d.
 */
int
socket_udp(const char *spec, const struct deadline *d, const char **why)
{
	const char *ignored;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	return bound_socket(spec, SOCK_DGRAM, d, why);
}

/*
 * Makes a TCP socket connected to spec, "HOST:PORT", looking HOST up and
 * trying its addresses in turn until the deadline d (NULL for none)
 * passes.  The error is that of the last address that got as far as
 * connect(2), as a refused connection says more than an address family
 * the system lacks.
 */
int
socket_tcp_connect(const char *spec, const struct deadline *d,
    const char **why)
{
	struct hostport hp;
	struct addrs list;
	const struct addr *a;
	const char *ignored;
	size_t i;
	int fd = -1, saved = EADDRNOTAVAIL, reached = 0;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	if (split_spec(spec, 1, &hp, why) == -1 ||
	    resolve(&hp, AF_UNSPEC, SOCK_STREAM, d, &list, why) == -1)
		return -1;
	for (i = 0; i < list.n; i++) {
		a = &list.v[i];
		if ((fd = new_socket(a->ss.ss_family, SOCK_STREAM, 0)) == -1) {
			if (!reached)
				saved = errno;
			continue;
		}
		if (deadline_connect(fd, (const struct sockaddr *)&a->ss,
		    a->len, d) == 0)
			break;
		saved = errno;
		reached = 1;
		close(fd);
		fd = -1;
		/* Past the deadline, the next address has no time left. */
		if (deadline_remaining_ms(d) == 0)
			break;
	}
	addrs_free(&list);
	if (fd == -1)
		errno = saved;
	return fd;
}

/*
 * Makes a unix stream socket listening on path, "PATH" or "@NAME", the
 * socket file with the given mode, and the given backlog; *made tells the
 * file (path NULL for an abstract name), so that it can be removed should
 * the socket not get where it was going.  The file stays after the socket
 * is closed: it belongs to whoever receives the socket.  A file in the way
 * is replaced only when it is a socket nobody answers on.  The socket is
 * bound at path made absolute, where its server will say it is.
 */
int
socket_unix_listen(const char *path, int backlog, mode_t mode,
    struct listener *made, const char **why)
{
	struct address a;
	const char *ignored;
	int saved;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	if (address_parse(path, &a) == -1) {
		if (errno == EINVAL)
			*why = "expected PATH or @NAME";
		return -1;
	}
	/* Where the server will tell it is, from wherever it runs. */
	if (address_absolute(&a) == -1) {
		if (errno == ENAMETOOLONG)
			*why = "too long once made an absolute path";
		return -1;
	}
	if (address_listen_bound(&a, SOCK_STREAM, mode, made) == -1) {
		*why = made->why;
		return -1;
	}
	/* made->path pointed into a, which is about to go. */
	if (made->path != NULL)
		made->path = path;
	/* address_listen asked for SOMAXCONN; listen again sets backlog. */
	if (listen(made->fd, backlog) == -1) {
		saved = errno;
		close(made->fd);
		listener_remove(made);
		errno = saved;
		return -1;
	}
	return made->fd;
}

/*
 * Has the TCP and UDP sockets made inside the network namespace at path,
 * having gone there and back once, so that a path that is no network
 * namespace, or the lack of CAP_SYS_ADMIN, shows before anything is made.
 * Should even the way back fail, fdpass is left there: the caller is to
 * exit at once.
 */
int
socket_netns(const char *path, const char **why)
{
	const char *ignored;
	int type, saved;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	socket_netns_end();
	if ((netns.home = open("/proc/self/ns/net", O_RDONLY |
	    O_CLOEXEC)) == -1) {
		*why = "cannot open /proc/self/ns/net, the way back";
		goto fail;
	}
	/* O_NONBLOCK, as a FIFO given by mistake must not hold send up. */
	if ((netns.there = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		goto fail;
	/* Any file but a namespace's says ENOTTY. */
	if ((type = ioctl(netns.there, NS_GET_NSTYPE)) != CLONE_NEWNET) {
		if (type != -1 || errno == ENOTTY || errno == EINVAL) {
			*why = "not a network namespace";
			errno = EINVAL;
		}
		goto fail;
	}
	if (setns(netns.there, CLONE_NEWNET) == -1)
		goto fail;
	if (setns(netns.home, CLONE_NEWNET) == -1) {
		*why = "cannot come back from it to fdpass's own network "
		    "namespace";
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	socket_netns_end();
	errno = saved;
	return -1;
}

/* Has the sockets made in fdpass's own network namespace again. */
void
socket_netns_end(void)
{
	if (netns.there != -1)
		close(netns.there);
	if (netns.home != -1)
		close(netns.home);
	netns.there = netns.home = -1;
}
