/*
 * Waiting for a descriptor with an overall deadline, so that a timeout
 * covers a whole exchange and not each call in it.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "deadline.h"
#include "msg.h"

/* Sets d to ms milliseconds from now, or to never when ms is 0. */
void
deadline_set_ms(struct deadline *d, long long ms)
{
	d->at.tv_sec = 0;
	d->at.tv_nsec = 0;
	if (ms == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += ms / 1000;
	d->at.tv_nsec += ms % 1000 * 1000000;
	if (d->at.tv_nsec >= 1000000000) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000;
	}
}

/* Sets d to seconds from now, or to never when seconds is 0. */
void
deadline_set(struct deadline *d, unsigned int seconds)
{
	deadline_set_ms(d, seconds * 1000LL);
}

/*
 * Milliseconds left until d, rounded up; -1 for never (d NULL or unset),
 * 0 when past.
 */
int
deadline_remaining_ms(const struct deadline *d)
{
	struct timespec now;
	long long ns, ms;

	if (d == NULL || (d->at.tv_sec == 0 && d->at.tv_nsec == 0))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* In nanoseconds first: rounding up a negative part would not. */
	ns = (long long)(d->at.tv_sec - now.tv_sec) * 1000000000 +
	    (d->at.tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	ms = (ns + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or d has passed,
 * failing with ETIMEDOUT then; with no deadline for as long as it takes,
 * so that the call that follows does not block even on a non-blocking
 * descriptor.
 */
int
deadline_wait(const struct deadline *d, int fd, short events)
{
	struct pollfd pfd = { fd, events, 0 };
	int ms, n;

	/* Again after a signal, or a wait poll(2) could not take in one. */
	do {
		ms = deadline_remaining_ms(d);
		n = poll(&pfd, 1, ms);
	} while ((n == -1 && errno == EINTR) || (n == 0 && ms == INT_MAX &&
	    deadline_remaining_ms(d) > 0));
	if (n == -1)
		return -1;
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/*
 * Sleeps up to ms milliseconds, less when d comes first; fails with
 * ETIMEDOUT once d has passed.  For retrying what poll(2) cannot wait for.
 */
int
deadline_sleep(const struct deadline *d, int ms)
{
	int left = deadline_remaining_ms(d);

	if (left == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (left != -1 && left < ms)
		ms = left;
	poll(NULL, 0, ms);
	return 0;
}

/* Waits by d for the connection in progress on fd, and tells how it went. */
static int
connected(int fd, const struct deadline *d)
{
	socklen_t len = sizeof(int);
	int error;

	if (deadline_wait(d, fd, POLLOUT) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		return -1;
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/*
 * Connects fd to addr, waiting no later than d (with none, as long as a
 * blocking connect would), and leaves fd blocking or not as it was.  The
 * connect itself never blocks: a TCP connection in progress is waited for
 * with poll(2), and a unix listener with a full backlog fails at once with
 * EAGAIN, for the caller to retry or not.  ETIMEDOUT when d passes.
 */
int
deadline_connect(int fd, const struct sockaddr *addr, socklen_t len,
    const struct deadline *d)
{
	int flags, ret, saved;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	ret = connect(fd, addr, len);
	/* In progress; after a signal, the kernel goes on with it. */
	if (ret == -1 && (errno == EINPROGRESS || errno == EINTR))
		ret = connected(fd, d);
	saved = errno;
	if (fcntl(fd, F_SETFL, flags) == -1 && ret == 0)
		return -1;
	errno = saved;
	return ret;
}

/*
 * Opens path as open(2) would with flags, but waits for the other end of
 * a FIFO only until the deadline d, failing with ETIMEDOUT then; with no
 * deadline it is open(2).  Reading, the FIFO is opened at once without
 * blocking and waited on until it has a writer, as a receiver given it
 * earlier would read end of file; writing, the open is tried until a
 * reader is there.  The descriptor is left blocking, as open(2) leaves it.
 */
int
deadline_open(const char *path, int flags, const struct deadline *d)
{
	struct stat st;
	ssize_t n;
	int fd, fl, tap[2], saved;

	if (deadline_remaining_ms(d) == -1)
		return open(path, flags, 0666);
	/* Without a reader, a FIFO cannot be opened to write: ENXIO. */
	while ((fd = open(path, flags | O_NONBLOCK, 0666)) == -1) {
		if (errno != ENXIO || stat(path, &st) == -1 ||
		    !S_ISFIFO(st.st_mode))
			return -1;
		if (deadline_sleep(d, 10) == -1)
			return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISFIFO(st.st_mode) && (flags & O_ACCMODE) == O_RDONLY) {
		/*
		 * tee(2) copies what the FIFO holds without taking it: 0 means
		 * empty with no writer, EAGAIN a writer yet to write.
		 */
		if (pipe2(tap, O_CLOEXEC) == -1)
			goto fail;
		while ((n = tee(fd, tap[1], 1, SPLICE_F_NONBLOCK)) == 0 &&
		    deadline_sleep(d, 10) == 0)
			continue;
		saved = errno;
		close(tap[0]);
		close(tap[1]);
		errno = saved;
		/* Still 0: deadline_sleep said ETIMEDOUT. */
		if (n == 0 || (n == -1 && errno != EAGAIN))
			goto fail;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Sends all of iov (at most DEADLINE_IOV_MAX iovecs), the items with its
 * first byte, with MSG_NOSIGNAL, by the deadline d: it tries first, and
 * on a full socket waits with poll(2) for room until then, failing with
 * ETIMEDOUT; with no deadline, for as long as it takes.  The socket may be
 * blocking or not.
 */
int
deadline_send_all(int sock, const struct iovec *iov, size_t iovcnt,
    const struct fdp_ancil *items, size_t nitems, const struct deadline *d)
{
	struct iovec win[DEADLINE_IOV_MAX];
	size_t first = 0, left = 0, i;
	ssize_t n;

	if (iovcnt > sizeof(win) / sizeof(win[0])) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < iovcnt; i++) {
		win[i] = iov[i];
		left += iov[i].iov_len;
	}
	while (left > 0) {
		/* Tried first, to spare a poll(2) while the peer keeps up. */
		n = fdp_send(sock, win + first, iovcnt - first, items, nitems,
		    MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN) {
			if (deadline_wait(d, sock, POLLOUT) == -1)
				return -1;
			continue;
		}
		if (n == -1)
			return -1;
		/* The items went with the first byte. */
		nitems = 0;
		left -= n;
		for (; first < iovcnt && (size_t)n >= win[first].iov_len;
		    first++)
			n -= win[first].iov_len;
		if (first < iovcnt) {
			win[first].iov_base = (char *)win[first].iov_base + n;
			win[first].iov_len -= n;
		}
	}
	return 0;
}
