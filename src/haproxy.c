/*
 * HAProxy's side of a reload, from the outside: the "_getsocks" command on
 * its stats socket.  HAProxy answers with the number of sockets as a
 * native int, then sends them in batches of at most FDP_MAX_FDS_PER_MSG,
 * each batch with, per socket, a length-prefixed namespace name, a
 * length-prefixed interface name and four bytes that were once its
 * listener options; it waits for a four-byte acknowledgement after each.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haproxy.h"
#include "msg.h"

/* The most sockets accepted: as many as one fdpass transfer carries. */
#define MAX_SOCKETS	UINT16_MAX

/* The metadata of one socket: two names of at most 255 bytes, an int. */
#define META_MAX	(1 + 255 + 1 + 255 + sizeof(int))

/* The state of one exchange, for a single cleanup on failure. */
struct getsocks {
	int		 sock;
	int		*fds;
	size_t		 nfds;
	int		 expected;
	unsigned char	*meta;
	size_t		 metalen;
};

/* Fails with errno e, what saying why. */
static int
failed(const char **why, const char *what, int e)
{
	*why = what;
	errno = e;
	return -1;
}

/* Connects to the stats socket at path, bounding each exchange. */
static int
connect_stats(const char *path, unsigned int timeout)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout };
	int sock, saved;

	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((timeout > 0 &&
	    (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)) ||
	    connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(sock);
		errno = saved;
		return -1;
	}
	return sock;
}

/* Writes all len bytes of buf. */
static int
write_all(int sock, const void *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(sock, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

/* Reads the number of sockets HAProxy is about to send. */
static int
read_count(struct getsocks *g, const char **why)
{
	unsigned char buf[sizeof(int)];
	struct iovec iov;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf)) {
		iov.iov_base = buf + got;
		iov.iov_len = sizeof(buf) - got;
		/* No ancillary data is expected: fdp_recv refuses any. */
		if ((n = fdp_recv(g->sock, &iov, 1, NULL, 0)) == -1)
			return -1;
		if (n == 0)
			return failed(why, "hung up without an answer (is it "
			    "declared with expose-fd listeners, and does "
			    "HAProxy have sockets left?)", EPROTO);
		got += n;
	}
	memcpy(&g->expected, buf, sizeof(g->expected));
	if (g->expected <= 0 || g->expected > MAX_SOCKETS)
		return failed(why, "not an answer to _getsocks", EPROTO);
	return 0;
}

/* Takes the descriptors of one message's SCM_RIGHTS items into g. */
static int
take_rights(struct getsocks *g, const struct fdp_control *ctl,
    const char **why)
{
	const struct fdp_ancil *item;
	size_t i, n, total = 0;

	for (i = 0; i < ctl->nitems; i++) {
		item = &ctl->items[i];
		if (item->level != SOL_SOCKET || item->type != SCM_RIGHTS) {
			fdp_close_rights(ctl);
			return failed(why, "sent an unexpected control "
			    "message", EPROTO);
		}
		total += item->len / sizeof(int);
	}
	if (g->nfds + total > (size_t)g->expected) {
		fdp_close_rights(ctl);
		return failed(why, "sent more sockets than it announced",
		    EPROTO);
	}
	for (i = 0; i < ctl->nitems; i++) {
		n = ctl->items[i].len / sizeof(int);
		memcpy(g->fds + g->nfds, ctl->items[i].data, n * sizeof(int));
		g->nfds += n;
	}
	return 0;
}

/*
 * Receives the batches until all the announced sockets are in, each
 * acknowledged as HAProxy waits for.  A batch's metadata may come in
 * several reads, so all of it is kept and checked at the end.
 */
static int
receive_batches(struct getsocks *g, const char **why)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	bytes[FDP_RIGHTS_SPACE];
	} cbuf;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { cbuf.bytes, sizeof(cbuf), items,
	    sizeof(items) / sizeof(items[0]), 0, 0 };
	struct iovec iov;
	size_t room = (size_t)g->expected * META_MAX;
	int ack = 0;
	ssize_t n;

	if ((g->fds = calloc(g->expected, sizeof(int))) == NULL ||
	    (g->meta = calloc(room, 1)) == NULL)
		return -1;
	while (g->nfds < (size_t)g->expected) {
		if (g->metalen == room)
			return failed(why, "sent more metadata than its "
			    "sockets have", EPROTO);
		memset(&cbuf, 0, sizeof(cbuf));
		ctl.nitems = 0;
		ctl.msg_flags = 0;
		iov.iov_base = g->meta + g->metalen;
		iov.iov_len = room - g->metalen;
		if ((n = fdp_recv(g->sock, &iov, 1, &ctl, 0)) == -1)
			return -1;
		if (n == 0)
			return failed(why, "hung up before sending all the "
			    "sockets it announced", EPROTO);
		g->metalen += n;
		if (take_rights(g, &ctl, why) == -1)
			return -1;
		/* HAProxy 2.6 hangs up without waiting for the last one. */
		if (write_all(g->sock, &ack, sizeof(ack)) == -1 &&
		    (g->nfds < (size_t)g->expected ||
		    (errno != EPIPE && errno != ECONNRESET)))
			return -1;
	}
	return 0;
}

/* Checks that the metadata describes exactly the sockets received. */
static int
check_metadata(const struct getsocks *g, const char **why)
{
	size_t i, off = 0;

	for (i = 0; i < g->nfds; i++) {
		/* Namespace name, then interface name, each length first. */
		if (off < g->metalen)
			off += 1 + g->meta[off];
		if (off < g->metalen)
			off += 1 + g->meta[off];
		off += sizeof(int);
		if (off > g->metalen)
			break;
	}
	if (off != g->metalen)
		return failed(why, "sent malformed socket metadata", EPROTO);
	return 0;
}

ssize_t
haproxy_getsocks(const char *path, unsigned int timeout, int **fds,
    const char **why)
{
	struct getsocks g = { .sock = -1 };
	size_t i;
	int saved;

	*why = NULL;
	if ((g.sock = connect_stats(path, timeout)) == -1)
		return -1;
	if (write_all(g.sock, "_getsocks\n", strlen("_getsocks\n")) == -1 ||
	    read_count(&g, why) == -1 || receive_batches(&g, why) == -1 ||
	    check_metadata(&g, why) == -1)
		goto fail;
	close(g.sock);
	free(g.meta);
	*fds = g.fds;
	return g.nfds;
fail:
	if (errno == EAGAIN)
		errno = ETIMEDOUT;
	saved = errno;
	for (i = 0; i < g.nfds; i++)
		close(g.fds[i]);
	free(g.fds);
	free(g.meta);
	close(g.sock);
	errno = saved;
	return -1;
}

/* Copies src into dst as a name may hold it: ':' and the unprintable as _. */
static void
copy_for_name(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++)
		dst[i] = src[i] > ' ' && src[i] < 127 && src[i] != ':' ?
		    src[i] : '_';
	dst[i] = '\0';
}

void
haproxy_socket_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	const char *proto = "socket";
	int type;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0)
		proto = type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ?
		    "udp" : "socket";
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		ss.ss_family = AF_UNSPEC;
	switch (ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(buf, size, "%s-%s-%u", proto, addr,
		    ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		copy_for_name(addr, sizeof(addr), addr, strlen(addr));
		snprintf(buf, size, "%s6-%s-%u", proto, addr,
		    ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		strlcpy(buf, "unix-", size);
		len -= offsetof(struct sockaddr_un, sun_path);
		/* An abstract name begins with a NUL, shown as '@'. */
		if (len > 0 && sun->sun_path[0] == '\0')
			sun->sun_path[0] = '@';
		else
			len = strnlen(sun->sun_path, len);
		copy_for_name(buf + 5, size - 5, sun->sun_path, len);
		if (len == 0)
			buf[4] = '\0';
		break;
	default:
		strlcpy(buf, "socket", size);
	}
}
