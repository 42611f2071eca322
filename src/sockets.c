/*
 * Sockets made to be passed: TCP and UDP ones from "[HOST:]PORT", perhaps
 * in another network namespace, and unix listeners through address.c.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/nsfs.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "sockets.h"

/* A "[HOST:]PORT" taken apart. */
struct hostport {
	char	host[NI_MAXHOST];	/* empty when left out */
	char	port[sizeof("65535")];
	int	bracketed;		/* HOST was written [V6ADDR] */
};

/*
 * The network namespace the TCP and UDP sockets are made in, from
 * socket_netns, and fdpass's own to come back to: both -1 for fdpass's own.
 */
static struct {
	int	there;
	int	home;
} netns = { -1, -1 };

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
	snprintf(hp->port, sizeof(hp->port), "%lu", n);
	return 0;
}

/* A lookup for getaddrinfo_a, with everything its thread reads. */
struct lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	struct hostport	 hp;
};

/*
 * getaddrinfo(3) of hp with hints, by the deadline d: the lookup runs in
 * glibc's helper thread (getaddrinfo_a), waited for with gai_suspend.
 * One still running at the deadline cannot be stopped, so it is left to
 * that thread, with the memory it reads, for the little while until the
 * caller, who fails then, exits.  ETIMEDOUT (EAI_SYSTEM) then.
 */
static int
lookup(const struct hostport *hp, const struct addrinfo *hints,
    struct addrinfo **res, const struct deadline *d)
{
	struct lookup *l;
	struct gaicb *list[1];
	struct timespec wait;
	int rc, ms;

	if (deadline_remaining_ms(d) == -1)
		return getaddrinfo(hp->host[0] != '\0' ? hp->host : NULL,
		    hp->port, hints, res);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return EAI_MEMORY;
	l->hints = *hints;
	l->hp = *hp;
	l->cb.ar_name = l->hp.host[0] != '\0' ? l->hp.host : NULL;
	l->cb.ar_service = l->hp.port;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(l);
		return rc;
	}
	while ((rc = gai_error(&l->cb)) == EAI_INPROGRESS) {
		if ((ms = deadline_remaining_ms(d)) == 0) {
			if (gai_cancel(&l->cb) == EAI_CANCELED)
				free(l);
			errno = ETIMEDOUT;
			return EAI_SYSTEM;
		}
		wait.tv_sec = ms / 1000;
		wait.tv_nsec = ms % 1000 * 1000000L;
		/* Woken when it is done, by a signal, or at the deadline. */
		gai_suspend((const struct gaicb *const *)list, 1, &wait);
	}
	*res = l->cb.ar_result;
	free(l);
	return rc;
}

/*
 * Looks hp up for sockets of the given family and type, for binding when
 * passive is set, by the deadline d.  A bracketed HOST must be a numeric
 * IPv6 address.
 */
static int
resolve(const struct hostport *hp, int family, int type, int passive,
    const struct deadline *d, struct addrinfo **res, const char **why)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = hp->bracketed ? AF_INET6 : family;
	hints.ai_socktype = type;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) |
	    (hp->bracketed ? AI_NUMERICHOST : 0);
	rc = lookup(hp, &hints, res, d);
	if (rc == EAI_SYSTEM && errno == ETIMEDOUT &&
	    deadline_remaining_ms(d) == 0)
		*why = "the host name lookup did not finish within --timeout";
	switch (rc) {
	case 0:
		return 0;
	case EAI_SYSTEM:
		/* errno says what went wrong. */
		return -1;
	case EAI_MEMORY:
		errno = ENOMEM;
		return -1;
	case EAI_FAMILY:
		errno = EAFNOSUPPORT;
		return -1;
	default:
		if (hp->bracketed)
			return invalid(why, "expected an IPv6 address in []");
		/*
		 * An unknown host, or one with no address of the family: a
		 * runtime failure, not bad input, so not EINVAL.
		 */
		*why = gai_strerror(rc);
		errno = EADDRNOTAVAIL;
		return -1;
	}
}

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

/*
 * Makes a socket bound to the first address of res that takes it, on an
 * IPv6 address with IPV6_V6ONLY off when dual is set.  A TCP socket gets
 * SO_REUSEADDR, to listen where connections linger in TIME_WAIT; a UDP
 * socket does not, as there it would let another socket with the option,
 * of any user, bind the same address and take its datagrams.  The error
 * is the last address's.
 */
static int
bind_first(const struct addrinfo *res, int dual)
{
	const struct addrinfo *ai;
	int fd, on = 1, off = 0, saved = EADDRNOTAVAIL;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = new_socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if ((ai->ai_socktype != SOCK_STREAM ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0) &&
		    (!dual || ai->ai_family != AF_INET6 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off)) == 0) &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
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
	struct addrinfo *res;
	int fd, saved;

	if (resolve(hp, family, type, 1, d, &res, why) == -1)
		return -1;
	fd = bind_first(res, dual);
	saved = errno;
	freeaddrinfo(res);
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
 * passes.  The
 * error is that of the last address that got as far as connect(2), as a
 * refused connection says more than an address family the system lacks.
 */
int
socket_tcp_connect(const char *spec, const struct deadline *d,
    const char **why)
{
	struct hostport hp;
	struct addrinfo *res, *ai;
	const char *ignored;
	int fd = -1, saved = EADDRNOTAVAIL, reached = 0;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	if (split_spec(spec, 1, &hp, why) == -1 ||
	    resolve(&hp, AF_UNSPEC, SOCK_STREAM, 0, d, &res, why) == -1)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = new_socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol);
		if (fd == -1) {
			if (!reached)
				saved = errno;
			continue;
		}
		if (deadline_connect(fd, ai->ai_addr, ai->ai_addrlen, d) == 0)
			break;
		saved = errno;
		reached = 1;
		close(fd);
		fd = -1;
		/* Past the deadline, the next address has no time left. */
		if (deadline_remaining_ms(d) == 0)
			break;
	}
	freeaddrinfo(res);
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
