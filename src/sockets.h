/*
 * Fresh sockets to pass: TCP listeners and connections, bound UDP sockets
 * and unix listeners, made from what the user wrote on the command line.
 *
 * Each function returns the socket, close-on-exec, or -1 with errno set.
 * On failure *why is NULL when errno says it all, or else a static string
 * saying what was wrong (a malformed HOST:PORT, with errno EINVAL; an
 * unknown host, EADDRNOTAVAIL; a socket file in the way), to be shown
 * instead of strerror(errno).  None of them prints or exits.
 */
#ifndef FDPASS_SOCKETS_H
#define FDPASS_SOCKETS_H

#include <sys/types.h>

#include "address.h"

struct netns;

/*
 * The TCP and UDP functions take "[HOST:]PORT", "HOST:PORT" or
 * "[V6ADDR]:PORT", PORT a number from 0 to 65535.  For listening and UDP
 * the HOST may be left out: the socket is then bound to the wildcard, the
 * IPv6 "::" with IPV6_V6ONLY off (taking IPv4 too), or 0.0.0.0 when the
 * system has no IPv6.  A HOST that names several addresses is tried
 * address by address.  A HOST name is looked up by running getent
 * (FDPASS_GETENT, set by the Makefile) by the deadline (NULL for none); a
 * lookup past it kills getent and fails with ETIMEDOUT.  SIGCHLD found
 * ignored is set to SIG_DFL then, so that getent can be waited for.
 *
 * Their sockets are made in the network namespace given, one netns_open
 * opened (NULL: fdpass's own); only socket(2) is called in there.
 */
int	socket_tcp_listen(const char *, int, const struct netns *,
	    const struct deadline *, const char **);
int	socket_tcp_connect(const char *, const struct netns *,
	    const struct deadline *, const char **);
int	socket_udp(const char *, const struct netns *, const struct deadline *,
	    const char **);
int	socket_unix_listen(const char *, int, mode_t, struct listener *,
	    const char **);

#endif
