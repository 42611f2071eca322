/*
 * fdpass starts with /dev/null on each of 0, 1 and 2 that is closed, so
 * that no socket or received descriptor lands there by accident; but it
 * remembers which were, so that reading or printing into one is an error
 * rather than a silent success.  Output to standard output is checked at
 * exit, as coreutils' close_stdout does: a full disk or a closed pipe
 * makes the status 1, with a message.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "stdstreams.h"

static int closed_at_start[3];

/* A write to standard output failed, and that was said. */
static int stdout_failed;

static const char *const stream_names[3] = {
	"standard input", "standard output", "standard error",
};

/*
 * Flushes and closes standard output at exit; a write that failed
 * makes the exit status 1.  A socket is only flushed: its close(2)
 * reports no write error, and, the last one, could wait on what a peer
 * queued on it (dispose.c); the exit closes it without waiting.
 */
static void
close_stdout(void)
{
	struct stat st;
	int failed = ferror(stdout), ended;

	if (stdout_failed)
		_exit(1);

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISSOCK(st.st_mode))
		ended = fflush(stdout);
	else
		ended = fclose(stdout);
	if (ended == EOF)
		failed = 1;
	else if (failed)
		errno = EIO;
	if (failed) {
		log_warn("write error on standard output");
		_exit(1);
	}
}

/* Says that writing to standard output failed, with errno, once. */
static int
output_failed(void)
{
	if (!stdout_failed)
		log_warn("write error on standard output");
	stdout_failed = 1;
	return -1;
}

/*
 * Pushes out what is buffered for standard output, so that it is out
 * when the caller says so.  0, or -1 having said why (once: the exit's
 * check then stays quiet).
 */
int
stdout_flush(void)
{
	if (stdout_failed)
		return -1;
	if (fflush(stdout) == EOF || ferror(stdout))
		return output_failed();
	return 0;
}

/*
 * Writes the len bytes at buf straight to standard output, with nothing
 * buffered there.  0, or -1 having said why, as stdout_flush does.
 */
int
stdout_write(const void *buf, size_t len)
{
	size_t off;
	ssize_t n;

	if (stdout_failed)
		return -1;
	for (off = 0; off < len; off += n)
		if ((n = write(STDOUT_FILENO, (const char *)buf + off,
		    len - off)) == -1 && errno != EINTR)
			return output_failed();
		else if (n == -1)
			n = 0;
	return 0;
}

/* Opens /dev/null on each of 0, 1 and 2 that is closed, and remembers. */
void
std_streams_init(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		closed_at_start[fd] = 1;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(1);
	}
	atexit(close_stdout);
}

/* Exits 1 if fd, which what needs, was closed when fdpass started. */
void
std_stream_needed(int fd, const char *what)
{
	if (closed_at_start[fd])
		errx(1, "%s: %s is closed", what, stream_names[fd]);
}
