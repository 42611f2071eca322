/*
 * Taking HAProxy's listening sockets through its stats socket, as a new
 * HAProxy does on reload (the "_getsocks" command, allowed on a stats
 * socket declared with "expose-fd listeners").
 */
#ifndef FDPASS_HAPROXY_H
#define FDPASS_HAPROXY_H

#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "msg.h"

/* Room for a name haproxy_socket_name makes, with its NUL. */
#define HAPROXY_NAME_SIZE	256

/*
 * One exchange with a stats socket: haproxy_ask, then haproxy_take or
 * haproxy_abandon.  The answerer is the process that sent the count,
 * as the kernel names it: every batch must come from that same process.
 */
struct haproxy {
	int			 sock;
	const char		*path;		/* of the stats socket */
	const struct deadline	*deadline;
	struct fdp_peer		 answerer;
	int			 answered;
	int			 expected;
	int			*fds;
	size_t			 nfds;
	unsigned char		*meta;
	size_t			 metalen;
};

/*
 * Connects to the stats socket at path, asks for the sockets and reads
 * their number and who answered, all by the deadline d (ETIMEDOUT then).
 * Returns 0; or -1 with errno set and *why NULL when errno says it all,
 * or else a static string saying what HAProxy did wrong, h then closed.
 */
int	haproxy_ask(struct haproxy *, const char *, const struct deadline *,
	    const char **);

/* A socket HAProxy handed over. */
struct haproxy_socket {
	int	fd;
	int	stats;		/* one of its stats sockets, not a listener */
};

/*
 * Receives the sockets haproxy_ask announced, by its deadline, asks which
 * are stats sockets, and ends the exchange.  Returns their number and an
 * allocated array of them, close-on-exec, in *sockets; or -1 with errno
 * and *why as for haproxy_ask.  Either way no descriptor of h stays open.
 */
ssize_t	haproxy_take(struct haproxy *, struct haproxy_socket **,
	    const char **);

/* Ends an exchange that haproxy_ask began, taking nothing. */
void	haproxy_abandon(struct haproxy *);

/*
 * Names socket fd after its local address, for LISTEN_FDNAMES: see
 * --from-haproxy in fdpass(1); a unix socket by the path HAProxy renamed
 * it to.  Always succeeds; size is at least HAPROXY_NAME_SIZE.
 */
void	haproxy_socket_name(int, char *, size_t);

/*
 * Tells whether socket fd is at one of the addresses list names, an
 * answer to "show cli sockets": a line per stats socket, its address
 * first, as HAProxy writes it (unix@PATH, abns@NAME, ipv4@ADDR:PORT...).
 */
int	haproxy_listed(const char *, int);

#endif
