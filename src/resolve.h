/*
 * From "[HOST:]PORT", taken apart, to the addresses to try: a numeric HOST
 * is read, a name looked up by running getent (FDPASS_GETENT, set by the
 * Makefile) by a deadline.  Nothing here prints or exits.
 */
#ifndef FDPASS_RESOLVE_H
#define FDPASS_RESOLVE_H

#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>

#include "deadline.h"

struct netns;

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
 * resolve fills in the list of addresses of a hostport for sockets of a
 * type and family, an interface named in an IPv6 scope being the one in
 * the network namespace given (NULL: fdpass's own); it returns 0, or -1
 * with errno set and *why NULL or a static string saying what was wrong.
 * addrs_free frees the list.
 */
int	resolve(const struct hostport *, int, int, const struct netns *,
	    const struct deadline *, struct addrs *, const char **);
void	addrs_free(struct addrs *);

#endif
