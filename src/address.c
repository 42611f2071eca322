/*
 * Connecting to and listening on AF_UNIX addresses.  A listener replaces a
 * socket file only when nobody answers on it, never follows a symbolic
 * link there, and removes on exit only the file it created itself.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "appear.h"
#include "dispose.h"

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
 * Tells whether the path a names something that is not a socket, which
 * refuses connections as a dead socket does, but which no listener will
 * ever replace: a regular file, a FIFO, a directory, or a link to one.
 */
static int
not_a_socket(const struct address *a)
{
	struct stat st;

	return !a->abstract && stat(a->sun.sun_path, &st) == 0 &&
	    !S_ISSOCK(st.st_mode);
}

/*
 * Connects a new socket of the given type to a.  A listener that is not
 * there yet is waited for until the deadline, or with none for
 * APPEAR_SECONDS: it retries while the address does not exist or refuses,
 * woken by inotify when a socket file appears in the directory (a bounded
 * retry for an abstract name).  A directory that does not exist fails at
 * once, as does a path that is not a socket (ENOTSOCK).  A listener whose
 * backlog is full is waited for the same way, with no deadline as long as
 * a blocking connect would, and past the deadline fails with ETIMEDOUT.
 * Returns the socket, close-on-exec, a connected one with SO_PASSCRED set
 * before the peer can send, so that the kernel names the sender of
 * everything that comes.
 *
 * The directory watch it needed, if any, is left open in *watch for the
 * caller to close with appear_close once the peer no longer waits on it:
 * closing an inotify descriptor waits for an RCU grace period
 * (fsnotify_destroy_group), some hundreds of microseconds that the
 * listener, just connected, would spend waiting for the first message.
 * With watch NULL, or on failure, it is closed before returning.
 */
int
address_connect(const struct address *a, int type, const struct deadline *d,
    struct appear *watch)
{
	struct appear own = { -1 }, *ap = watch != NULL ? watch : &own;
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
			appear_close(&own);
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
		if (errno == ECONNREFUSED && not_a_socket(a)) {
			errno = ENOTSOCK;
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
		if (ap->fd == -1) {
			if (appear_watch(ap, a->sun.sun_path) == -1)
				break;
			continue;
		}
		/* A tenth of a second at most: a safety net under inotify. */
		ms = deadline_remaining_ms(wait);
		if (appear_wait(ap, ms > 100 ? 100 : ms) == -1)
			break;
	}
	saved = errno;
	if (fd != -1)
		close(fd);
	appear_close(ap);
	errno = saved;
	return -1;
}

/*
 * Fails as a listener that another process got ahead of, naming it by
 * its pid when that is known (above 0).
 */
static int
in_use(struct listener *l, pid_t pid)
{
	static char why[64];

	l->why = "in use by another process";
	if (pid > 0) {
		snprintf(why, sizeof(why), "%s, pid %ld", l->why, (long)pid);
		l->why = why;
	}
	errno = EADDRINUSE;
	return -1;
}

/*
 * The pid of the process listening at the other end of the connected
 * probe, as the kernel noted it at listen(2); 0 when it is not known, as
 * for a datagram socket.
 */
static pid_t
listening_pid(int probe)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	return cred.pid;
}

/*
 * Looks at what is at a, where a socket file is to go: 0 for nothing, 1
 * for a socket nobody answers on, its lstat in *st, and -1 with l->why
 * for anything else: a symbolic link, which is not followed, a file that
 * is not a socket, or a socket in use.
 */
static int
in_the_way(const struct address *a, int type, struct listener *l,
    struct stat *st)
{
	pid_t holder;	/* the listener's pid, 0 unknown, -1 for none */
	int probe;

	if (lstat(a->sun.sun_path, st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISLNK(st->st_mode)) {
		l->why = "is a symbolic link";
		errno = EEXIST;
		return -1;
	}
	if (!S_ISSOCK(st->st_mode)) {
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
	if (connect(probe, (const struct sockaddr *)&a->sun, a->len) == 0) {
		holder = listening_pid(probe);
		/* Whoever listens may have queued descriptors on it already. */
		dispose_own_socket(probe, type);
	} else {
		holder = errno == ECONNREFUSED ? -1 : 0;
		close(probe);
	}
	if (holder == -1)
		return 1;
	/* A full backlog lets no probe in: alive, but nameless. */
	return in_use(l, holder);
}

/*
 * Fills in l->tmp with the name a socket file is made under before it is
 * published at a: ".fdpXXXXXX" in the same directory, as a rename needs,
 * with random letters, so that nobody can place a file there beforehand
 * to be found or to make the bind fail.  Fails with ENAMETOOLONG when
 * that does not fit sun_path.
 */
static int
temporary_name(const struct address *a, struct listener *l)
{
	static const char letters[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	const char *path = a->sun.sun_path, *slash = strrchr(path, '/');
	size_t dir = slash != NULL ? (size_t)(slash - path) + 1 : 0, i;
	unsigned char bytes[6];

	if (dir + sizeof(".fdpXXXXXX") > sizeof(l->tmp)) {
		l->why = "too long to make it under a temporary name beside it";
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Six bytes straight from the kernel: arc4random would first set up
	 * its generator, two mappings and a fork handler, for one name.
	 * That 256 is not a multiple of 62 makes some letters likelier, which
	 * costs the name none of the unpredictability it needs.
	 */
	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
		l->why = "no random bytes for its temporary name";
		return -1;
	}
	memcpy(l->tmp, path, dir);
	memcpy(l->tmp + dir, ".fdp", 4);
	for (i = 0; i < sizeof(bytes); i++)
		l->tmp[dir + 4 + i] = letters[bytes[i] % (sizeof(letters) - 1)];
	l->tmp[dir + 4 + i] = '\0';
	return 0;
}

/*
 * Moves the socket file made at l->tmp to a, once it listens.  Where a
 * socket nobody answers on is in the way, the two are exchanged in one
 * step and the one that came out is removed, but only if it is that
 * socket still, as good as dead: of two listeners replacing the same
 * stale socket at once, one finds the other's file come out, puts it
 * back, and fails "in use".
 */
static int
publish(const struct address *a, int type, struct listener *l)
{
	const char *path = a->sun.sun_path;
	struct address out = *a;
	struct stat stale, st;
	int found;

	if (renameat2(AT_FDCWD, l->tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST || (found = in_the_way(a, type, l, &stale)) == -1)
		return -1;
	/* Gone since the rename failed: its listener has just left. */
	if (found == 0 || renameat2(AT_FDCWD, l->tmp, AT_FDCWD, path,
	    RENAME_EXCHANGE) == -1)
		return errno == ENOENT ? in_use(l, 0) : -1;
	strlcpy(out.sun.sun_path, l->tmp, sizeof(out.sun.sun_path));
	if (lstat(l->tmp, &st) == 0 && st.st_dev == stale.st_dev &&
	    st.st_ino == stale.st_ino && in_the_way(&out, type, l, &st) == 1) {
		unlink(l->tmp);
		return 0;
	}
	/* Another listener's: it goes back, even were ours removed. */
	if (renameat2(AT_FDCWD, l->tmp, AT_FDCWD, path, RENAME_EXCHANGE) ==
	    -1 && errno == ENOENT)
		renameat2(AT_FDCWD, l->tmp, AT_FDCWD, path, RENAME_NOREPLACE);
	return in_use(l, 0);
}

/* Binds fd to a, the socket file bind creates with mode, with no race. */
static int
bind_with_mode(int fd, const struct address *a, mode_t mode)
{
	mode_t old;
	int ret;

	old = umask(~mode & 0777);
	ret = bind(fd, (const struct sockaddr *)&a->sun, a->len);
	umask(old);
	return ret;
}

/* Starts l as a listener with no socket and no file yet. */
static void
listener_init(struct listener *l)
{
	l->fd = -1;
	l->path = NULL;
	l->why = NULL;
	l->tmp[0] = '\0';
}

/*
 * Notes in l the socket file that binding fd made at path, unless a is
 * abstract, and listens on fd unless it is a datagram socket, which is
 * only bound.
 */
static int
note_and_listen(int fd, const struct address *a, const char *path,
    int type, struct listener *l)
{
	struct stat st;

	if (!a->abstract) {
		if (lstat(path, &st) == -1)
			return -1;
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		l->path = a->sun.sun_path;
	}
	return type != SOCK_DGRAM ? listen(fd, SOMAXCONN) : 0;
}

/* Undoes a listener that failed: closes fd, removes its file; -1, errno. */
static int
listener_failed(int fd, struct listener *l)
{
	int saved = errno;

	close(fd);
	listener_remove(l);
	errno = saved;
	return -1;
}

/*
 * Creates a listening socket of the given type at a, the socket file with
 * the given mode.  Datagram sockets are only bound.  The file is made
 * under a temporary name and published at a once the socket listens, so
 * that the path never names a socket that refuses connections: a stale
 * check by another listener starting then would remove it.  From the
 * bind on, l names the file under both names with its dev/ino, so that
 * listener_remove, at exit or from a signal handler, finds it wherever
 * it is.
 */
int
address_listen(const struct address *a, int type, mode_t mode,
    struct listener *l)
{
	const struct address *at = a;
	struct address tmp;
	int fd;

	listener_init(l);
	if (!a->abstract) {
		if (temporary_name(a, l) == -1)
			return -1;
		tmp = *a;
		memcpy(tmp.sun.sun_path, l->tmp, sizeof(l->tmp));
		at = &tmp;
	}
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind_with_mode(fd, at, mode) == -1 ||
	    note_and_listen(fd, a, l->tmp, type, l) == -1 ||
	    (!a->abstract && publish(a, type, l) == -1))
		return listener_failed(fd, l);
	l->fd = fd;
	return 0;
}

/*
 * Makes the calling process the one that SO_PEERCRED names to the peers
 * that connect from now on: listen(2) notes who called it, and a process
 * forked to serve in the background is another.  A datagram socket, which
 * does not listen, is left as it is.
 */
int
listener_claim(const struct listener *l)
{
	socklen_t len = sizeof(int);
	int listening;

	if (getsockopt(l->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ==
	    -1)
		return -1;
	return listening ? listen(l->fd, SOMAXCONN) : 0;
}

/*
 * Makes a's path absolute, from the working directory, so that a socket
 * bound there names the same file for a process that works elsewhere.
 * Fails with ENAMETOOLONG when the result does not fit sun_path.
 */
int
address_absolute(struct address *a)
{
	char *path = a->sun.sun_path, cwd[sizeof(a->sun.sun_path)];
	size_t dir;

	if (a->abstract || path[0] == '/')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		if (errno == ERANGE)
			errno = ENAMETOOLONG;
		return -1;
	}
	dir = strlen(cwd);
	if (dir + 1 + strlen(path) >= sizeof(a->sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(path + dir + 1, path, strlen(path) + 1);
	memcpy(path, cwd, dir);
	path[dir] = '/';
	return 0;
}

/*
 * Removes the stale socket at a that made a bind there fail: it is moved
 * aside to l->tmp first and removed only if it is that socket still, as
 * good as dead; a live one that came out is another listener's, which
 * goes back.  Returns 0 when a is free to bind again, or -1 with l->why.
 */
static int
remove_stale(const struct address *a, int type, struct listener *l)
{
	struct address out = *a;
	struct stat stale, st;
	int found;

	if ((found = in_the_way(a, type, l, &stale)) != 1)
		return found;
	if (temporary_name(a, l) == -1)
		return -1;
	if (renameat2(AT_FDCWD, a->sun.sun_path, AT_FDCWD, l->tmp,
	    RENAME_NOREPLACE) == -1) {
		l->tmp[0] = '\0';
		/* Another listener moved it first, and binds there now. */
		return errno == ENOENT ? 0 : -1;
	}
	strlcpy(out.sun.sun_path, l->tmp, sizeof(out.sun.sun_path));
	if (lstat(l->tmp, &st) == 0 && st.st_dev == stale.st_dev &&
	    st.st_ino == stale.st_ino && in_the_way(&out, type, l, &st) == 1) {
		unlink(l->tmp);
		l->tmp[0] = '\0';
		return 0;
	}
	renameat2(AT_FDCWD, l->tmp, AT_FDCWD, a->sun.sun_path,
	    RENAME_NOREPLACE);
	l->tmp[0] = '\0';
	return in_use(l, 0);
}

/*
 * Creates a listening socket of the given type bound at a itself, not
 * made under a temporary name and moved there as address_listen does: a
 * socket handed to a server is bound where getsockname(2) says, which
 * the server logs and checks (sd_is_socket_unix).  bind(2) never
 * replaces a file, so only a stale socket in the way is removed, and
 * only once.  Between bind and listen the path names a socket that
 * refuses connections, which a listener starting then may take for a
 * stale one and remove: checked once it listens, that fails as in use.
 */
int
address_listen_bound(const struct address *a, int type, mode_t mode,
    struct listener *l)
{
	struct stat st;
	int fd, ret;

	listener_init(l);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	ret = bind_with_mode(fd, a, mode);
	if (ret == -1 && errno == EADDRINUSE && !a->abstract &&
	    remove_stale(a, type, l) == 0)
		ret = bind_with_mode(fd, a, mode);
	if (ret == -1 || note_and_listen(fd, a, a->sun.sun_path, type, l) == -1)
		return listener_failed(fd, l);
	if (!a->abstract && (lstat(a->sun.sun_path, &st) == -1 ||
	    st.st_dev != l->dev || st.st_ino != l->ino)) {
		in_use(l, 0);
		return listener_failed(fd, l);
	}
	l->fd = fd;
	return 0;
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

/* Removes path if it names the file dev/ino; signal-safe. */
static void
remove_same(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}

/*
 * Removes the socket file if it is still the one this listener created,
 * under its name or the temporary one.  Safe in a signal handler.
 */
void
listener_remove(struct listener *l)
{
	if (l->path == NULL)
		return;
	if (l->tmp[0] != '\0')
		remove_same(l->tmp, l->dev, l->ino);
	remove_same(l->path, l->dev, l->ino);
	l->path = NULL;
}
