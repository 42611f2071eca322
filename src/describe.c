/*
 * What a descriptor refers to, from fstat(2) and /proc/self/fd.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "describe.h"

/* Names the kind of object fd refers to: file, dir, pipe, socket, ... */
const char *
describe_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return "unknown";
	if (S_ISREG(st.st_mode))
		return "file";
	if (S_ISDIR(st.st_mode))
		return "dir";
	if (S_ISFIFO(st.st_mode))
		return "pipe";
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
