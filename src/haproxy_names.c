/*
 * What the sockets HAProxy hands over are: the names fdpass gives them,
 * and whether HAProxy lists one among its stats sockets.  A unix socket is
 * known by the path HAProxy published it at: HAProxy binds NAME.PID.tmp
 * and renames that over NAME, but the kernel keeps the name bound.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy.h"

/* A socket's local address, in the parts HAProxy and fdpass name it by. */
struct local {
	int		family;		/* AF_UNSPEC when it cannot be had */
	int		type;		/* SOCK_STREAM, ...; 0 if unknown */
	char		addr[INET6_ADDRSTRLEN];	/* AF_INET, AF_INET6 */
	unsigned int	port;
	int		abstract;	/* AF_UNIX: path is an abstract name */
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* Cuts a ".PID.tmp" that HAProxy bound before it renamed the socket. */
static void
strip_publishing_suffix(char *path)
{
	size_t len = strlen(path), i;

	if (len < 6 || strcmp(path + len - 4, ".tmp") != 0)
		return;
	i = len - 4;
	while (i > 0 && isdigit((unsigned char)path[i - 1]))
		i--;
	if (i < len - 4 && i > 1 && path[i - 1] == '.')
		path[i - 1] = '\0';
}

/*
 * The path of a bound unix socket, or its abstract name up to the first
 * NUL: HAProxy's abns@ binds the whole sun_path, padded with NULs.
 */
static void
unix_local(const struct sockaddr_un *sun, socklen_t len, struct local *l)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
	    len - offsetof(struct sockaddr_un, sun_path) : 0;

	l->abstract = n > 0 && sun->sun_path[0] == '\0';
	if (l->abstract)
		n = strnlen(sun->sun_path + 1, n - 1);
	else
		n = strnlen(sun->sun_path, n);
	memcpy(l->path, sun->sun_path + l->abstract, n);
	l->path[n] = '\0';
	if (!l->abstract)
		strip_publishing_suffix(l->path);
}

/* Fills in l for socket fd. */
static void
local_address(int fd, struct local *l)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(ss), tlen = sizeof(int);
	int type = 0;

	memset(l, 0, sizeof(*l));
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1)
		ss.ss_family = AF_UNSPEC;
	l->family = ss.ss_family;
	l->type = type;
	switch (ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, l->addr, sizeof(l->addr));
		l->port = ntohs(sin->sin_port);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, l->addr,
		    sizeof(l->addr));
		l->port = ntohs(sin6->sin6_port);
		break;
	case AF_UNIX:
		unix_local((struct sockaddr_un *)&ss, len, l);
		break;
	default:
		l->family = AF_UNSPEC;
	}
}

/* Copies src into dst as a name may hold it: ':' and the unprintable as _. */
static void
copy_for_name(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = src[i] > ' ' && src[i] < 127 && src[i] != ':' ?
		    src[i] : '_';
	dst[i] = '\0';
}

void
haproxy_socket_name(int fd, char *buf, size_t size)
{
	struct local l;
	char addr[INET6_ADDRSTRLEN];
	const char *proto;
	int n;

	local_address(fd, &l);
	proto = l.type == SOCK_STREAM ? "tcp" : l.type == SOCK_DGRAM ?
	    "udp" : "socket";
	switch (l.family) {
	case AF_INET:
		snprintf(buf, size, "%s-%s-%u", proto, l.addr, l.port);
		break;
	case AF_INET6:
		copy_for_name(addr, sizeof(addr), l.addr);
		snprintf(buf, size, "%s6-%s-%u", proto, addr, l.port);
		break;
	case AF_UNIX:
		/* An abstract name is shown with '@'; none at all, "unix". */
		if (!l.abstract && l.path[0] == '\0') {
			strlcpy(buf, "unix", size);
			break;
		}
		n = snprintf(buf, size, "unix-%s", l.abstract ? "@" : "");
		copy_for_name(buf + n, size - n, l.path);
		break;
	default:
		strlcpy(buf, "socket", size);
	}
}

/*
 * Tells whether the address HAProxy writes as word, in "show cli
 * sockets", is l's: unix@PATH, abns@NAME (abnsz@ in HAProxy 3.1),
 * ipv4@ADDR:PORT, ipv6@[ADDR]:PORT, and sockpair@FD for any unnamed unix
 * socket, the link to a master.
 */
static int
same_address(const char *word, size_t len, const struct local *l)
{
	char mine[sizeof(l->path) + 16];

	mine[0] = '\0';
	if (l->family == AF_INET && l->type == SOCK_STREAM)
		snprintf(mine, sizeof(mine), "ipv4@%s:%u", l->addr, l->port);
	else if (l->family == AF_INET6 && l->type == SOCK_STREAM)
		snprintf(mine, sizeof(mine), "ipv6@[%s]:%u", l->addr,
		    l->port);
	else if (l->family == AF_UNIX && l->path[0] == '\0')
		return len > 9 && strncmp(word, "sockpair@", 9) == 0;
	else if (l->family == AF_UNIX && !l->abstract)
		snprintf(mine, sizeof(mine), "unix@%s", l->path);
	else if (l->family == AF_UNIX && len > 6 &&
	    strncmp(word, "abnsz@", 6) == 0)
		snprintf(mine, sizeof(mine), "abnsz@%s", l->path);
	else if (l->family == AF_UNIX)
		snprintf(mine, sizeof(mine), "abns@%s", l->path);
	return mine[0] != '\0' && strlen(mine) == len &&
	    memcmp(mine, word, len) == 0;
}

int
haproxy_listed(const char *list, int fd)
{
	struct local l;
	const char *line, *next;
	size_t len;

	local_address(fd, &l);
	if (l.family == AF_UNSPEC)
		return 0;
	/* A line is an address, its level and its processes; # a comment. */
	for (line = list; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			next++;
		len = strcspn(line, " \n");
		if (line[0] != '#' && same_address(line, len, &l))
			return 1;
	}
	return 0;
}
