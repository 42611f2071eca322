/*
 * What a descriptor refers to, from fstat(2) and /proc/self/fd: the facts
 * that recv prints, as lines or as JSON.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "describe.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Anonymous inodes: what /proc shows after "anon_inode:", and the type. */
static const struct {
	const char	*label;
	const char	*type;
} anon_types[] = {
	{ "[eventfd]",		"eventfd" },
	{ "[eventpoll]",	"epoll" },
	{ "[signalfd]",		"signalfd" },
	{ "[timerfd]",		"timerfd" },
	{ "[pidfd]",		"pidfd" },
	{ "inotify",		"inotify" },
};

/* Tells whether s starts with prefix. */
static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The type of an anonymous inode from its /proc link, or NULL if not one. */
static const char *
anon_type(const char *link)
{
	static const char prefix[] = "anon_inode:";
	size_t i;

	if (!starts_with(link, prefix))
		return NULL;
	for (i = 0; i < NELEM(anon_types); i++)
		if (strcmp(link + strlen(prefix), anon_types[i].label) == 0)
			return anon_types[i].type;
	return "unknown";
}

/*
 * Names the kind of object fd refers to: regular, dir, pipe, fifo, socket,
 * tty, char, block, memfd, eventfd, epoll, ... or unknown.  The link text
 * from describe_path (NULL if /proc did not tell it) comes first:
 * anonymous inodes have no file type in st_mode on most kernels but a
 * regular one on some, and pipes and FIFOs share S_IFIFO.
 */
const char *
describe_type(int fd, const char *link)
{
	struct stat st;
	const char *type;

	if (link != NULL && (type = anon_type(link)) != NULL)
		return type;
	if (fstat(fd, &st) == -1)
		return "unknown";
	if (S_ISREG(st.st_mode))
		return link != NULL && starts_with(link, "/memfd:") ?
		    "memfd" : "regular";
	if (S_ISDIR(st.st_mode))
		return "dir";
	if (S_ISFIFO(st.st_mode))
		return link != NULL && starts_with(link, "pipe:") ?
		    "pipe" : "fifo";
	if (S_ISSOCK(st.st_mode))
		return "socket";
	if (S_ISCHR(st.st_mode))
		return isatty(fd) ? "tty" : "char";
	if (S_ISBLK(st.st_mode))
		return "block";
	return "unknown";
}

/*
 * Puts the path /proc/self/fd tells for fd in buf, which for pipes and
 * sockets is a label such as "pipe:[1234]".  Fails where /proc does not
 * say or the path does not fit.
 */
int
describe_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, size)) == -1 || (size_t)n >= size)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Puts the address of socket fd in buf, its own (getsockname) or with
 * peer its peer's (getpeername): "127.0.0.1:8080", "[::1]:8080", a unix
 * path, or "@name" for an abstract one, whose name may hold any byte.
 * Returns its length, or -1 when fd has no such address (not a socket,
 * unbound, unconnected, unnamed) or it does not fit.
 */
int
describe_address(int fd, int peer, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	size_t n;
	int ret;

	memset(&ss, 0, sizeof(ss));
	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
	    getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ret == -1)
		return -1;
	switch (ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		ret = snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		ret = snprintf(buf, size, "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (len <= offsetof(struct sockaddr_un, sun_path))
			return -1;	/* unnamed */
		n = len - offsetof(struct sockaddr_un, sun_path);
		if (sun->sun_path[0] != '\0')
			n = strnlen(sun->sun_path, n);
		if (n >= size)
			return -1;
		memcpy(buf, sun->sun_path, n);
		if (buf[0] == '\0')
			buf[0] = '@';
		buf[n] = '\0';
		return n;
	default:
		return -1;
	}
	return ret < 0 || (size_t)ret >= size ? -1 : ret;
}
