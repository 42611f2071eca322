/*
 * Sockets made in another network namespace (send --netns), with fdpass
 * itself staying in its own: only socket(2) is called in there, as a
 * socket stays in the namespace it was made in.  Names are looked up, and
 * sockets bound and connected, from fdpass's own place.
 */
#ifndef FDPASS_NETNS_H
#define FDPASS_NETNS_H

/* Where sockets are made, and the way back; opened by netns_open. */
struct netns {
	int	there;
	int	home;
};

/*
 * netns_open opens the namespace at PATH, "/run/netns/NAME" or
 * "/proc/PID/ns/net", and the way back, and goes there and back once, so
 * that a path that is no network namespace, or the lack of CAP_SYS_ADMIN,
 * shows before anything is made: 0, or -1 with errno set and *why NULL or
 * a static string saying what was wrong.  Should even the way back fail,
 * fdpass is left there: the caller is to exit at once.
 *
 * netns_socket is socket(2), close-on-exec, made in ns (NULL: fdpass's own
 * namespace); netns_close closes what netns_open opened.
 */
int	netns_open(struct netns *, const char *, const char **);
int	netns_socket(const struct netns *, int, int, int);
void	netns_close(struct netns *);

#endif
