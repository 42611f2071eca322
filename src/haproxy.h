/*
 * Taking HAProxy's listening sockets through its stats socket, as a new
 * HAProxy does on reload (the "_getsocks" command, allowed on a stats
 * socket declared with "expose-fd listeners").
 */
#ifndef FDPASS_HAPROXY_H
#define FDPASS_HAPROXY_H

#include <stddef.h>
#include <sys/types.h>

/* Room for a name haproxy_socket_name makes, with its NUL. */
#define HAPROXY_NAME_SIZE	256

/*
 * Asks the HAProxy whose stats socket is at path for its sockets, waiting
 * at most timeout seconds for each exchange (0: no limit).  Returns their
 * number and an allocated array of them, close-on-exec, in *fds; or -1 with
 * errno set and *why NULL when errno says it all, or else a static string
 * saying what HAProxy did wrong.  On failure no descriptor stays open.
 */
ssize_t	haproxy_getsocks(const char *, unsigned int, int **, const char **);

/*
 * Names socket fd after its local address, for LISTEN_FDNAMES: see
 * --from-haproxy in fdpass(1).  Always succeeds; size is at least
 * HAPROXY_NAME_SIZE.
 */
void	haproxy_socket_name(int, char *, size_t);

#endif
