/*
 * The data of a transfer, for fdpass send: a --data string, or what a
 * --data-file holds, streamed when its size is known beforehand and read
 * into memory otherwise.  A command line helper: it exits on failure.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "send_data.h"
#include "stdstreams.h"
#include "transfer.h"
#include "wire.h"

/* Data from a pipe or for a datagram is read into memory, up to this. */
#define DATA_MEMORY_MAX	(16 * 1024 * 1024)

/*
 * Reads all of fd into memory, up to max bytes, by the deadline d: a pipe
 * whose writer never closes it is given up on then.
 */
static char *
slurp(int fd, const char *path, size_t max, size_t *len,
    const struct deadline *d, long long timeout_ms)
{
	char *buf = NULL, *grown;
	size_t cap = 0;
	ssize_t n;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap == max) {
				free(buf);
				errx(1, "--data-file %s: more than %zu bytes "
				    "(only a regular file sent over a stream "
				    "socket may be larger)", path, max);
			}
			cap = cap == 0 ? 4096 : cap * 2 < max ? cap * 2 : max;
			if ((grown = realloc(buf, cap)) == NULL)
				err(1, "memory");
			buf = grown;
		}
		if (deadline_wait(d, fd, POLLIN) == -1 && errno == ETIMEDOUT) {
			free(buf);
			errx(1, "--data-file %s: no end of file within %s s",
			    path, seconds_text(timeout_ms));
		}
		n = read(fd, buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "read %s", path);
		if (n == 0)
			return buf;
		*len += n;
	}
}

/*
 * Tells whether st_size is what reading fd to its end would bring: for a
 * regular file, but not one of procfs or sysfs, where files report a size
 * of 0 or 4096 whatever they hold.
 */
static int
size_is_known(int fd, const struct stat *st)
{
	struct statfs fs;

	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if (fstatfs(fd, &fs) == -1)
		return 0;
	return fs.f_type != PROC_SUPER_MAGIC && fs.f_type != SYSFS_MAGIC;
}

/*
 * Opens --data-file, waiting for a FIFO's writer only until the deadline
 * d; "-" is standard input, which then cannot also be passed as a
 * descriptor of p.
 */
static int
open_data_file(const struct payload *p, const char *path,
    long long timeout_ms, const struct deadline *d)
{
	size_t i;
	int fd;

	if (strcmp(path, "-") != 0) {
		fd = deadline_open(path, O_RDONLY | O_CLOEXEC, d);
		if (fd == -1 && errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %s s", path, seconds_text(timeout_ms));
		return fd;
	}
	std_stream_needed(STDIN_FILENO, "--data-file -");
	for (i = 0; i < p->nitems; i++)
		if (p->fds[i] == STDIN_FILENO)
			usage_error("send", "--data-file - reads standard "
			    "input, which is also to be passed: name a FILE");
	return STDIN_FILENO;
}

/*
 * Refuses a --data-file that is a FILE --truncate empties, st its stat:
 * the truncation comes once the receiver is reached, and the data, read
 * then, would be gone.
 */
static void
check_not_truncated(const struct payload *p, const char *path,
    const struct stat *st)
{
	struct stat t;
	size_t i;

	if (!S_ISREG(st->st_mode))
		return;
	for (i = 0; i < p->nitems; i++)
		if (p->items[i].truncate != NULL &&
		    fstat(p->items[i].fd, &t) == 0 &&
		    t.st_dev == st->st_dev && t.st_ino == st->st_ino)
			usage_error("send", "--data-file %s: the same file as "
			    "%s, which --truncate empties", path,
			    p->items[i].truncate);
}

/*
 * Sets up the data of p: the string from memory, the file streamed when
 * its size is known and the transfer framed on a stream (so is not raw),
 * otherwise read to its end into memory first, by the deadline d.  Either
 * may be NULL.
 */
void
send_data_prepare(struct payload *p, const char *string, const char *file,
    const struct socket_options *so, int raw, const struct deadline *d)
{
	struct stat st;
	size_t max;
	off_t start;
	int fd;

	if (string != NULL) {
		p->data = string;
		p->datalen = strlen(string);
	}
	if (file == NULL)
		return;
	if ((fd = open_data_file(p, file, so->timeout_ms, d)) == -1)
		err(1, "open %s", file);
	if (fstat(fd, &st) == -1)
		err(1, "stat %s", file);
	check_not_truncated(p, file, &st);
	/*
	 * From the offset on, as cat(1) would read: standard input may be a
	 * file that a script has read part of already.
	 */
	if (size_is_known(fd, &st) && so->type == SOCK_STREAM && !raw &&
	    (start = lseek(fd, 0, SEEK_CUR)) != -1 && start < st.st_size) {
		p->data_fd = fd;
		p->data_fd_start = start;
		p->data_fd_len = st.st_size - start;
		return;
	}
	max = so->type == SOCK_STREAM ? DATA_MEMORY_MAX :
	    RECEIVER_BUF - WIRE_HEADER_SIZE;
	p->data_buf = slurp(fd, file, max, &p->datalen, d, so->timeout_ms);
	p->data = p->data_buf;
	if (fd != STDIN_FILENO)
		close(fd);
}
