/*
 * The holder and the service manager it runs under, if any.  Each entry
 * stored goes to the manager's fd store as well, with its name, and each
 * name that comes to hold nothing is removed from it, as a daemon does
 * with sd_pid_notify_with_fds(); the manager hands them all back in
 * LISTEN_FDS when it starts the holder again.  Mirroring runs under the
 * holder's lock, from the threads that serve clients: it never waits
 * for the manager (MSG_DONTWAIT), and a failure is logged, not fatal.
 * What is taken back, or over by an exec of the holder, is not mirrored
 * again: the manager has it.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
#include "fdstore.h"
#include "grab.h"
#include "hold_manager.h"
#include "log.h"
#include "msg.h"
#include "wire.h"

/*
 * Sends the manager one message, with fd unless it is -1, on the socket
 * connected to it at start.
 */
static void
tell(const struct manager *m, enum fdstore_ask what, const char *name,
    int fd)
{
	char text[FDSTORE_MESSAGE_MAX];
	struct iovec iov = { text, fdstore_message(text, what, name) };
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd };

	if (fdp_send(m->sock, &iov, 1, &rights, fd != -1,
	    MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("hold %s: NOTIFY_SOCKET: %s %s", m->socket_arg,
		    what == FDSTORE_REMOVE ? "FDSTOREREMOVE" : "FDSTORE", name);
}

/* The mirror's stored: FDSTORE=1 with the descriptor. */
static void
mirror_stored(void *arg, const char *name, int fd, int watched)
{
	tell(arg, watched ? FDSTORE_STORE : FDSTORE_KEEP, name, fd);
}

/* The mirror's removed: FDSTOREREMOVE=1. */
static void
mirror_removed(void *arg, const char *name)
{
	tell(arg, FDSTORE_REMOVE, name, -1);
}

/*
 * The mirror into the fd store at NOTIFY_SOCKET, set up in m, or NULL
 * when there is none: no NOTIFY_SOCKET, one that is not a unix socket,
 * or the holder's own --notify-socket (own, or NULL), which would store
 * each entry again.
 */
const struct holder_mirror *
manager_mirror(struct manager *m, const char *socket_arg, const char *own)
{
	const char *path = getenv("NOTIFY_SOCKET");

	if (path == NULL || *path == '\0' ||
	    (own != NULL && strcmp(own, path) == 0))
		return NULL;
	if (address_parse(path, &m->notify) == -1) {
		log_warnx("hold %s: NOTIFY_SOCKET %s: not a unix socket: "
		    "nothing is mirrored to it", socket_arg, path);
		return NULL;
	}
	/*
	 * Connected once, to the manager that is there now: should it go,
	 * whoever binds its name next, an abstract name anybody may take,
	 * gets nothing, as the sends then fail.
	 */
	if ((m->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(m->sock, (const struct sockaddr *)&m->notify.sun,
	    m->notify.len) == -1) {
		log_warn("hold %s: NOTIFY_SOCKET %s: nothing is mirrored to it",
		    socket_arg, path);
		if (m->sock != -1)
			close(m->sock);
		return NULL;
	}
	m->socket_arg = socket_arg;
	m->mirror.stored = mirror_stored;
	m->mirror.removed = mirror_removed;
	m->mirror.arg = m;
	return &m->mirror;
}

/*
 * Tells whether LISTEN_PID, and LISTEN_PIDFDID where set and the kernel
 * tells, name this process, as sd_listen_fds() decides.
 */
static int
listen_fds_mine(void)
{
	const char *pid = getenv("LISTEN_PID");
	const char *id = getenv("LISTEN_PIDFDID");
	unsigned long long want;
	uint64_t own;
	char *end;

	if (pid == NULL || strtonum(pid, 1, INT32_MAX, NULL) != getpid())
		return 0;
	if (id == NULL)
		return 1;
	errno = 0;
	want = strtoull(id, &end, 10);
	if (*id < '0' || *id > '9' || *end != '\0' || errno == ERANGE ||
	    grab_pid_inode(getpid(), &own) == -1)
		return 1;
	return want == own;
}

/* The next name in LISTEN_FDNAMES, at *next, or "stored" for none. */
static const char *
next_name(char **next, const char *socket_arg)
{
	const char *name = *next != NULL ? strsep(next, ":") : NULL;

	if (name == NULL || *name == '\0')
		return MANAGER_UNNAMED;
	if (!wire_name_valid(name)) {
		log_warnx("hold %s: LISTEN_FDNAMES: '%s' is not a valid name: "
		    "held as \"%s\"", socket_arg, name, MANAGER_UNNAMED);
		return MANAGER_UNNAMED;
	}
	return name;
}

/*
 * Holds descriptor fd, handed by the manager, under name in t, unless t
 * has max entries: then it is disposed of.  Returns 0, or -1 if it went.
 */
static int
take_one(struct held *t, size_t max, int fd, const char *name)
{
	if (t->n < max && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
	    held_reserve(t, 1) == 0 && held_add(t, fd, name, 1) == 0)
		return 0;
	dispose_fd(fd);
	return -1;
}

/*
 * Holds in t, each under its name in LISTEN_FDNAMES ("stored" where it
 * has none), watched, the descriptors LISTEN_FDS hands this process, when
 * LISTEN_PID names it, up to max entries in t; then unsets LISTEN_*.
 * Called before fdpass opens any descriptor, which could otherwise land
 * on one that was not handed over.
 */
void
manager_take_listen_fds(struct held *t, size_t max, const char *socket_arg)
{
	const char *count = getenv("LISTEN_FDS"), *names, *name, *errstr;
	char *copy = NULL, *next;
	long long n = 0, i, lost = 0;

	if (count != NULL && listen_fds_mine()) {
		n = strtonum(count, 0, INT32_MAX - 3, &errstr);
		if (errstr != NULL)
			log_warnx("hold %s: LISTEN_FDS is '%s', not a number of "
			    "descriptors: none is taken", socket_arg, count);
	}
	if ((names = getenv("LISTEN_FDNAMES")) != NULL && n > 0 &&
	    (copy = strdup(names)) == NULL)
		err(1, "memory");
	next = copy;
	for (i = 0; i < n; i++) {
		name = next_name(&next, socket_arg);
		if (fcntl(3 + i, F_GETFD) == -1)
			log_warn("hold %s: LISTEN_FDS: descriptor %lld",
			    socket_arg, 3 + i);
		else if (take_one(t, max, 3 + i, name) == -1)
			lost++;
	}
	if (lost > 0)
		log_warnx("hold %s: LISTEN_FDS: %lld past --max-fds %zu, closed",
		    socket_arg, lost, max);
	free(copy);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_PIDFDID");
	unsetenv("LISTEN_FDNAMES");
}
