/*
 * Sockets made to be passed: TCP and UDP ones from "[HOST:]PORT", perhaps
 * in another network namespace, and unix listeners through address.c.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "netns.h"
#include "resolve.h"
#include "sockets.h"

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
 * Makes a socket of the given type, in the network namespace ns, bound to
 * the first address of list that takes it, on an IPv6 address with
 * IPV6_V6ONLY off when dual is set.  A TCP socket gets SO_REUSEADDR, to
 * listen where connections linger in TIME_WAIT; a UDP socket does not, as
 * there it would let another socket with the option, of any user, bind
 * the same address and take its datagrams.  The error is the last
 * address's.
 */
static int
bind_first(const struct addrs *list, int type, int dual,
    const struct netns *ns)
{
	const struct addr *a;
	size_t i;
	int fd, on = 1, off = 0, saved = EADDRNOTAVAIL;

	for (i = 0; i < list->n; i++) {
		a = &list->v[i];
		if ((fd = netns_socket(ns, a->ss.ss_family, type, 0)) == -1) {
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
    const struct netns *ns, const struct deadline *d, const char **why)
{
	struct addrs list;
	int fd, saved;

	if (resolve(hp, family, type, ns, d, &list, why) == -1)
		return -1;
	fd = bind_first(&list, type, dual, ns);
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
bound_socket(const char *spec, int type, const struct netns *ns,
    const struct deadline *d, const char **why)
{
	struct hostport hp;
	int fd;

	if (split_spec(spec, 0, &hp, why) == -1)
		return -1;
	if (hp.host[0] != '\0')
		return bind_family(&hp, AF_UNSPEC, type, 0, ns, d, why);
	if ((fd = bind_family(&hp, AF_INET6, type, 1, ns, d,
	    why)) == -1 &&
	    errno == EAFNOSUPPORT) {
		*why = NULL;
		fd = bind_family(&hp, AF_INET, type, 0, ns, d, why);
	}
	return fd;
}

/*
 * Makes a TCP socket listening on spec, "[HOST:]PORT", with SO_REUSEADDR
 * and the given backlog; HOST is looked up by the deadline d.
 */
int
socket_tcp_listen(const char *spec, int backlog, const struct netns *ns,
    const struct deadline *d, const char **why)
{
	const char *ignored;
	int fd, saved;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	if ((fd = bound_socket(spec, SOCK_STREAM, ns, d, why)) == -1)
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
socket_udp(const char *spec, const struct netns *ns, const struct deadline *d,
    const char **why)
{
	const char *ignored;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	return bound_socket(spec, SOCK_DGRAM, ns, d, why);
}

/*
 * Makes a TCP socket connected to spec, "HOST:PORT", looking HOST up and
 * trying its addresses in turn until the deadline d (NULL for none)
 * passes.  The error is that of the last address that got as far as
 * connect(2), as a refused connection says more than an address family
 * the system lacks.
 */
int
socket_tcp_connect(const char *spec, const struct netns *ns,
    const struct deadline *d, const char **why)
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
	    resolve(&hp, AF_UNSPEC, SOCK_STREAM, ns, d, &list, why) == -1)
		return -1;
	for (i = 0; i < list.n; i++) {
		a = &list.v[i];
		if ((fd = netns_socket(ns, a->ss.ss_family, SOCK_STREAM,
		    0)) == -1) {
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
 * is replaced only when it is a socket nobody answers on.
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
	if (address_listen(&a, SOCK_STREAM, mode, made) == -1) {
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
