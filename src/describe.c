/*
 * What a descriptor refers to, from fstat(2) and /proc/self/fd: the facts
 * that recv prints, as lines or as JSON.
 */
#include <sys/stat.h>

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
