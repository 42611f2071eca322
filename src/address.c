/*
 * Connecting to and listening on AF_UNIX addresses.  A listener replaces a
 * socket file only when nobody answers on it, never follows a symbolic
 * link there, and removes on exit only the file it created itself.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "appear.h"

/*
 * Fills in a from "PATH" or "@NAME" (a Linux abstract name).  Fails with
 * EINVAL for an empty name and ENAMETOOLONG when it does not fit sun_path.
 */
int
address_parse(const char *text, struct address *a)
{
	size_t len = strlen(text);

	memset(a, 0, sizeof(*a));
	a->sun.sun_family = AF_UNIX;
	a->abstract = text[0] == '@';
	if (len == 0 || (a->abstract && len == 1)) {
		errno = EINVAL;
		return -1;
	}
	if (len >= sizeof(a->sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a->sun.sun_path, text, len);
	if (a->abstract) {
		/* The abstract namespace starts with a NUL and has no end mark. */
		a->sun.sun_path[0] = '\0';
		a->len = offsetof(struct sockaddr_un, sun_path) + len;
	} else
		a->len = sizeof(a->sun);
	return 0;
}

/*
 * Sleeps *ns nanoseconds, for connect retries, and lets *ns grow by an
 * eighth up to a hundredth of a second.  A listener that is about to bind,
 * as when both ends start together, is then caught within a few tens of
 * microseconds; doubling would often oversleep it by half a millisecond.
 */
static void
pause_briefly(long *ns)
{
	struct timespec ts = { 0, *ns };

	nanosleep(&ts, NULL);
	if (*ns < 10L * 1000 * 1000)
		*ns += *ns / 8;
}

/*
 * Connects a new socket of the given type to a.  A listener that is not
 * there yet is waited for until the deadline, or with none for
 * APPEAR_SECONDS: it retries while the address does not exist or refuses,
 * woken by inotify when a socket file appears in the directory (a bounded
 * retry for an abstract name).  A directory that does not exist fails at
 * once.  A listener whose backlog is full is waited for the same way, with
 * no deadline as long as a blocking connect would, and past the deadline
 * fails with ETIMEDOUT.  Returns the socket, close-on-exec, a connected one
 * with SO_PASSCRED set before the peer can send, so that the kernel names
 * the sender of everything that comes.
 */
int
address_connect(const struct address *a, int type, const struct deadline *d)
{
	struct appear ap = { -1 };
	struct deadline appear_by;
	const struct deadline *wait = d;
	long pause_ns = 50L * 1000;
	int fd, saved, on = 1, ms;

	if (deadline_remaining_ms(d) == -1) {
		deadline_set(&appear_by, APPEAR_SECONDS);
		wait = &appear_by;
	}
	for (;;) {
		if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
			break;
		if (type != SOCK_DGRAM && setsockopt(fd, SOL_SOCKET,
		    SO_PASSCRED, &on, sizeof(on)) == -1)
			break;
		if (deadline_connect(fd, (const struct sockaddr *)&a->sun,
		    a->len, d) == 0) {
			appear_close(&ap);
			return fd;
		}
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved;
		if (errno == EAGAIN && deadline_remaining_ms(d) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (errno != EAGAIN && ((errno != ENOENT &&
		    errno != ECONNREFUSED) || deadline_remaining_ms(wait) == 0))
			break;
		if (errno != ENOENT || a->abstract) {
			pause_briefly(&pause_ns);
			continue;
		}
		/* Watched before the next try, so that nothing is missed. */
		if (ap.fd == -1) {
			if (appear_watch(&ap, a->sun.sun_path) == -1)
				break;
			continue;
		}
		/* A tenth of a second at most: a safety net under inotify. */
		ms = deadline_remaining_ms(wait);
		if (appear_wait(&ap, ms > 100 ? 100 : ms) == -1)
			break;
	}
	saved = errno;
	if (fd != -1)
		close(fd);
	appear_close(&ap);
	errno = saved;
	return -1;
}

/*
 * Makes way for a new socket file at path: nothing there is fine, a socket
 * nobody listens on is removed, anything else is refused.  Should another
 * process swap the path between these checks and the unlink, no harm is
 * done: unlink(2) removes a symbolic link, never what it points to, and
 * bind(2) then fails on anything found at the path instead of following it.
 * A file that changed since the probe is another listener's, just made;
 * one already gone was removed by another listener starting too.
 */
static int
clear_stale(const struct address *a, int type, struct listener *l)
{
	const char *path = a->sun.sun_path;
	struct stat st, again;
	int probe, alive;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISLNK(st.st_mode)) {
		l->why = "is a symbolic link";
		errno = EEXIST;
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		l->why = "exists and is not a socket";
		errno = EEXIST;
		return -1;
	}
	/*
	 * Non-blocking, so that a listener with a full backlog, which may be
	 * there on purpose to hang us, is found alive (EAGAIN) at once.
	 */
	if ((probe = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	alive = connect(probe, (const struct sockaddr *)&a->sun, a->len) == 0
	    || errno != ECONNREFUSED;
	close(probe);
	if (!alive && lstat(path, &again) == 0)
		alive = again.st_dev != st.st_dev || again.st_ino != st.st_ino;
	if (alive) {
		l->why = "in use by another process";
		errno = EADDRINUSE;
		return -1;
	}
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

/*
 * Fills in tmp with the name a socket file is made under before it is
 * published at a, "PATH.PID.tmp" in the same directory; 0 when that does
 * not fit sun_path.
 */
static int
temporary_name(const struct address *a, struct address *tmp)
{
	int n;

	*tmp = *a;
	n = snprintf(tmp->sun.sun_path, sizeof(tmp->sun.sun_path),
	    "%s.%ld.tmp", a->sun.sun_path, (long)getpid());
	return n > 0 && (size_t)n < sizeof(tmp->sun.sun_path);
}

/*
 * Creates a listening socket of the given type at a, the socket file with
 * the given mode.  Datagram sockets are only bound.  The file is made
 * under a temporary name and renamed into place once the socket listens,
 * so that the path never names a socket that refuses connections: a
 * stale check by another listener starting then would remove it.  Only a
 * path too long for the temporary name is bound in place.  The rename
 * replaces nothing, so a listener that got there first keeps its file.
 */
int
address_listen(const struct address *a, int type, mode_t mode,
    struct listener *l)
{
	struct listener made = { -1, NULL, 0, 0, NULL };
	struct address tmp;
	const struct address *at = a;
	struct stat st;
	mode_t old;
	int fd, ret, saved;

	l->fd = -1;
	l->path = NULL;
	l->why = NULL;
	if (!a->abstract && clear_stale(a, type, l) == -1)
		return -1;
	if (!a->abstract && temporary_name(a, &tmp))
		at = &tmp;
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* bind creates the file; the umask gives it its mode with no race. */
	old = umask(~mode & 0777);
	ret = bind(fd, (const struct sockaddr *)&at->sun, at->len);
	umask(old);
	if (ret == -1)
		goto fail;
	if (!a->abstract) {
		if (lstat(at->sun.sun_path, &st) == -1)
			goto fail;
		made.path = at->sun.sun_path;
		made.dev = st.st_dev;
		made.ino = st.st_ino;
	}
	if (type != SOCK_DGRAM && listen(fd, SOMAXCONN) == -1)
		goto fail;
	if (at == &tmp && renameat2(AT_FDCWD, tmp.sun.sun_path, AT_FDCWD,
	    a->sun.sun_path, RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST) {
			l->why = "in use by another process";
			errno = EADDRINUSE;
		}
		goto fail;
	}
	if (made.path != NULL) {
		l->path = a->sun.sun_path;
		l->dev = made.dev;
		l->ino = made.ino;
	}
	l->fd = fd;
	return 0;
fail:
	saved = errno;
	close(fd);
	listener_remove(&made);
	errno = saved;
	return -1;
}

/* Accepts the next connection, close-on-exec, waiting until the deadline. */
int
listener_accept(const struct listener *l, const struct deadline *d)
{
	int fd;

	do {
		if (deadline_wait(d, l->fd, POLLIN) == -1)
			return -1;
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd == -1 && (errno == EINTR || errno == ECONNABORTED));
	return fd;
}

/*
 * Removes the socket file if it is still the one this listener created.
 * Safe in a signal handler.
 */
void
listener_remove(struct listener *l)
{
	struct stat st;

	if (l->path == NULL)
		return;
	if (lstat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	l->path = NULL;
}
