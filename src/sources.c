/*
 * The descriptors fdpass send passes: inherited ones (--fd, --listen-fds),
 * taken from other processes (--from-pid, --from-haproxy), sockets made
 * (--tcp-listen, ..., in --netns) and FILEs opened, gathered in order into
 * one payload that says which of them send owns.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "grab.h"
#include "haproxy.h"
#include "netns.h"
#include "sockets.h"
#include "sources.h"
#include "stdstreams.h"
#include "wire.h"

/* The option that makes each kind of source, for messages. */
static const char *const source_option[] = {
	[SOURCE_FD] = "--fd",
	[SOURCE_FROM_PID] = "--from-pid",
	[SOURCE_FROM_HAPROXY] = "--from-haproxy",
	[SOURCE_LISTEN_FDS] = "--listen-fds",
	[SOURCE_TCP_LISTEN] = "--tcp-listen",
	[SOURCE_TCP_CONNECT] = "--tcp-connect",
	[SOURCE_UDP] = "--udp",
	[SOURCE_UNIX_LISTEN] = "--unix-listen",
};

/* Appends one element to a growing array; exits 1 when memory runs out. */
static void *
append(void *array, size_t *n, size_t size)
{
	char *grown;

	if ((grown = reallocarray(array, *n + 1, size)) == NULL)
		err(1, "memory");
	(*n)++;
	return grown;
}

/* Adds a descriptor-making option, after those given before it. */
void
source_add(struct source_options *o, enum source_kind kind, const char *arg)
{
	o->sources = append(o->sources, &o->nsources, sizeof(*o->sources));
	o->sources[o->nsources - 1].kind = kind;
	o->sources[o->nsources - 1].arg = arg;
}

/* Adds a --name, already checked, for the next descriptor not named. */
void
source_add_name(struct source_options *o, const char *name)
{
	o->names = append(o->names, &o->nnames, sizeof(*o->names));
	o->names[o->nnames - 1] = name;
}

/* Tells whether a source of that kind was given. */
int
source_given(const struct source_options *o, enum source_kind kind)
{
	size_t i;

	for (i = 0; i < o->nsources; i++)
		if (o->sources[i].kind == kind)
			return 1;
	return 0;
}

/*
 * Adds a descriptor to p, closed by payload_release when owned, under
 * the name its source gives it (NULL: unnamed); --name overrides that.
 */
static struct payload_item *
payload_add(struct payload *p, int fd, int owned, const char *name)
{
	struct payload_item *item;
	char *copy = NULL;

	if (name != NULL && (copy = strdup(name)) == NULL)
		err(1, "memory");
	p->items = append(p->items, &p->nitems, sizeof(*p->items));
	item = &p->items[p->nitems - 1];
	item->fd = fd;
	item->owned = owned;
	item->name = copy;
	item->truncate = NULL;
	return item;
}

/* --fd N (checked when parsed): inherited, so not send's to close. */
static int
inherited_fd(const char *arg)
{
	int fd;

	fd = strtonum(arg, 0, INT32_MAX, NULL);
	if (fcntl(fd, F_GETFD) == -1)
		err(1, "--fd %d", fd);
	return fd;
}

/* --from-pid PID:FD: a copy of another process's descriptor, the caller's. */
static int
grabbed_fd(const char *arg)
{
	char pid[16];
	const char *colon = strchr(arg, ':');
	int fd, got;

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(pid))
		usage_error("send", "--from-pid '%s': expected PID:FD", arg);
	memcpy(pid, arg, colon - arg);
	pid[colon - arg] = '\0';
	got = parse_number("--from-pid", pid, 1, INT32_MAX);
	fd = parse_number("--from-pid", colon + 1, 0, INT32_MAX);
	if ((got = grab_fd(got, fd)) == -1) {
		if (errno == ENOSYS)
			errx(1, "--from-pid %s: this kernel has no "
			    "pidfd_getfd (Linux 5.6 or later needed)", arg);
		err(1, "--from-pid %s", arg);
	}
	return got;
}

/* Reports a failed exchange with HAProxy, and exits 1. */
static void __attribute__((noreturn))
haproxy_failed(const char *path, const char *why, unsigned int timeout)
{
	if (why != NULL)
		errx(1, "--from-haproxy %s: HAProxy %s", path, why);
	if (errno == ETIMEDOUT)
		errx(1, "--from-haproxy %s: HAProxy did not hand its sockets "
		    "over within %u s", path, timeout);
	err(1, "--from-haproxy %s", path);
}

/*
 * --from-haproxy SOCKET: HAProxy's listeners, named by their address, by
 * the deadline d; p owns them.  The process that answers must be of our
 * own user or one --allow-uid or --allow-gid admits, before it hands over
 * anything.
 */
static void
add_haproxy_fds(struct payload *p, const char *path,
    const struct socket_options *so, const struct deadline *d)
{
	char name[HAPROXY_NAME_SIZE];
	struct haproxy h;
	const char *why;
	ssize_t i, n;
	uid_t uid;
	int *fds;

	if (haproxy_ask(&h, path, d, &why) == -1)
		haproxy_failed(path, why, so->timeout);
	if (!access_allowed(&so->access, &h.answerer)) {
		uid = h.answerer.uid;
		haproxy_abandon(&h);
		errx(1, "--from-haproxy %s: answered by uid %ld, not %ld "
		    "(see --allow-uid)", path, (long)uid, (long)geteuid());
	}
	if ((n = haproxy_take(&h, &fds, &why)) == -1)
		haproxy_failed(path, why, so->timeout);
	for (i = 0; i < n; i++) {
		haproxy_socket_name(fds[i], name, sizeof(name));
		payload_add(p, fds[i], 1, name);
	}
	free(fds);
}

/*
 * --listen-fds: what fdpass inherited under systemd's convention, from 3,
 * with LISTEN_FDNAMES's names (an empty one leaves its descriptor
 * unnamed); not owned.  LISTEN_* stay set: send runs no command that
 * would see them.
 */
static void
add_listen_fds(struct payload *p)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES"), *errstr;
	char *copy = NULL, *next = NULL, *name;
	long long n, i;

	if (pid == NULL)
		errx(1, "--listen-fds: LISTEN_PID is not set");
	if (strtonum(pid, 1, INT32_MAX, NULL) != getpid())
		errx(1, "--listen-fds: LISTEN_PID is %s, not this process", pid);
	if (count == NULL)
		errx(1, "--listen-fds: LISTEN_FDS is not set");
	n = strtonum(count, 1, WIRE_MAX_FDS, &errstr);
	if (errstr != NULL && strcmp(count, "0") == 0)
		errx(1, "--listen-fds: LISTEN_FDS is 0: no descriptors to pass");
	if (errstr != NULL)
		errx(1, "--listen-fds: LISTEN_FDS is '%s', not a number of "
		    "descriptors", count);
	if (names != NULL && (next = copy = strdup(names)) == NULL)
		err(1, "memory");
	for (i = 0; i < n; i++) {
		if (fcntl(3 + i, F_GETFD) == -1)
			err(1, "--listen-fds: descriptor %lld", 3 + i);
		name = copy != NULL ? strsep(&next, ":") : NULL;
		if (copy != NULL && name == NULL)
			errx(1, "--listen-fds: LISTEN_FDNAMES has fewer names "
			    "than the %lld descriptors", n);
		if (name != NULL && *name != '\0' && !wire_name_valid(name))
			errx(1, "--listen-fds: LISTEN_FDNAMES: '%s' is not a "
			    "valid name", name);
		payload_add(p, 3 + i, 0,
		    name != NULL && *name != '\0' ? name : NULL);
	}
	if (next != NULL)
		errx(1, "--listen-fds: LISTEN_FDNAMES has more names than "
		    "the %lld descriptors", n);
	free(copy);
}

/*
 * --netns PATH: the sockets made from an address are made there.  Checked
 * before anything is opened or made, so that a failure leaves nothing.
 */
static void
use_netns(struct netns *ns, const char *path)
{
	const char *why;

	if (netns_open(ns, path, &why) == 0)
		return;
	if (why != NULL)
		errx(1, "--netns %s: %s", path, why);
	if (errno == EPERM)
		errx(1, "--netns %s: %s (needs CAP_SYS_ADMIN)", path,
		    strerror(errno));
	err(1, "--netns %s", path);
}

/*
 * Makes the socket a --tcp-listen, --udp, ... option asks for, in ns
 * (NULL: fdpass's own namespace), a connection by the deadline d; the
 * caller owns it.
 */
static int
made_socket(const struct source *s, const struct source_options *o,
    const struct socket_options *so, const struct netns *ns,
    const struct deadline *d)
{
	const char *option = source_option[s->kind], *why = NULL;
	struct listener made;
	sigset_t held;
	int fd;

	switch (s->kind) {
	case SOURCE_TCP_LISTEN:
		fd = socket_tcp_listen(s->arg, o->backlog, ns, d, &why);
		break;
	case SOURCE_TCP_CONNECT:
		fd = socket_tcp_connect(s->arg, ns, d, &why);
		break;
	case SOURCE_UDP:
		fd = socket_udp(s->arg, ns, d, &why);
		break;
	default:
		/* From the bind, under its temporary name too, to the record. */
		cleanup_hold(&held);
		fd = socket_unix_listen(s->arg, o->backlog, so->mode, &made,
		    &why);
		/* Nobody but the receiver would answer on it. */
		if (fd != -1 && made.path != NULL)
			cleanup_made(made.path, made.dev, made.ino);
		cleanup_release(&held);
		break;
	}
	if (fd == -1 && why != NULL && errno == EINVAL)
		usage_error("send", "%s %s: %s", option, s->arg, why);
	if (fd == -1 && why != NULL)
		errx(1, "%s %s: %s", option, s->arg, why);
	if (fd == -1)
		err(1, "%s %s", option, s->arg);
	return fd;
}

/*
 * Opens FILE as --read, --write, ... ask, but for --truncate, which waits
 * until the receiver is known (payload_truncate), and for the other end
 * of a FIFO, which it waits for only until the deadline d.  A file
 * --create makes is removed again unless the receiver takes it.  The
 * caller owns what it returns.
 */
static int
open_file(const struct source_options *o, const char *path,
    unsigned int timeout, const struct deadline *d)
{
	int flags = o->access_mode | (o->open_flags & O_APPEND) | O_NOCTTY |
	    O_CLOEXEC;
	struct stat st;
	int fd;

	for (;;) {
		if (o->open_flags & O_CREAT) {
			fd = open(path, flags | O_CREAT | O_EXCL, 0666);
			if (fd != -1) {
				if (fstat(fd, &st) == -1)
					err(1, "stat %s", path);
				cleanup_made(path, st.st_dev, st.st_ino);
				return fd;
			}
			if (errno != EEXIST)
				err(1, "open %s", path);
		}
		if ((fd = deadline_open(path, flags, d)) != -1)
			return fd;
		if (errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %u s", path, timeout);
		/* Removed since O_EXCL found it: make it after all. */
		if (errno != ENOENT || !(o->open_flags & O_CREAT))
			err(1, "open %s", path);
	}
}

/*
 * Truncates the files --truncate names: only now that the receiver has
 * been reached and checked, so that a send that reaches nobody leaves
 * them as they were.
 */
void
payload_truncate(const struct payload *p)
{
	const struct payload_item *item;
	struct stat st;
	size_t i;

	/* open(2) ignores O_TRUNC on a FIFO, tty or device; so does this. */
	for (i = 0; i < p->nitems; i++) {
		item = &p->items[i];
		if (item->truncate != NULL && (fstat(item->fd, &st) == -1 ||
		    (S_ISREG(st.st_mode) && ftruncate(item->fd, 0) == -1)))
			err(1, "truncate %s", item->truncate);
	}
}

/* Refuses more --name options than there are descriptors. */
static void
check_name_count(const struct source_options *o, size_t expected)
{
	if (o->nnames > (expected > 0 ? expected : 1))
		usage_error("send", "--name given %zu times, for %zu "
		    "descriptor%s", o->nnames, expected > 0 ? expected : 1,
		    expected > 1 ? "s" : "");
}

/* Adds what one descriptor-making option makes or finds. */
static void
add_source(struct payload *p, const struct source *s,
    const struct source_options *o, const struct socket_options *so,
    const struct netns *ns, const struct deadline *d)
{
	switch (s->kind) {
	case SOURCE_FD:
		payload_add(p, inherited_fd(s->arg), 0, NULL);
		break;
	case SOURCE_FROM_PID:
		payload_add(p, grabbed_fd(s->arg), 1, NULL);
		break;
	case SOURCE_FROM_HAPROXY:
		add_haproxy_fds(p, s->arg, so, d);
		break;
	case SOURCE_LISTEN_FDS:
		add_listen_fds(p);
		break;
	default:
		payload_add(p, made_socket(s, o, so, ns, d), 1, NULL);
		break;
	}
}

/* Adds each FILE, opened; FILE "-" is standard input, not owned. */
static void
add_files(struct payload *p, const struct source_options *o,
    char *const *files, size_t nfiles, unsigned int timeout,
    const struct deadline *d)
{
	struct payload_item *item;
	size_t i;

	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0) {
			std_stream_needed(STDIN_FILENO, "FILE -");
			payload_add(p, STDIN_FILENO, 0, NULL);
			continue;
		}
		item = payload_add(p, open_file(o, files[i], timeout, d), 1,
		    NULL);
		if (o->open_flags & O_TRUNC)
			item->truncate = files[i];
	}
}

/* Lays out what is sent: each descriptor, and the name it goes under. */
static void
payload_seal(struct payload *p, const struct source_options *o)
{
	size_t i;

	if (p->nitems == 0)
		return;
	if ((p->fds = reallocarray(NULL, p->nitems, sizeof(*p->fds))) ==
	    NULL || (p->names = reallocarray(NULL, p->nitems,
	    sizeof(*p->names))) == NULL)
		err(1, "memory");
	/* Descriptors past the last --name keep their source's name. */
	for (i = 0; i < p->nitems; i++) {
		p->fds[i] = p->items[i].fd;
		p->names[i] = i < o->nnames ? o->names[i] : p->items[i].name;
	}
}

/*
 * Gathers into p what is to be sent: the descriptor-making options in
 * order, then each FILE; none at all means standard input.  Nothing
 * waits past the deadline d.
 */
void
payload_gather(struct payload *p, const struct source_options *o,
    const struct socket_options *so, char *const *files, size_t nfiles,
    const struct deadline *d)
{
	struct netns there, *ns = NULL;
	size_t i;
	int counted;

	memset(p, 0, sizeof(*p));
	p->data_fd = -1;
	if (o->netns != NULL) {
		use_netns(&there, o->netns);
		ns = &there;
	}
	/* The sources that pass several descriptors are counted later. */
	counted = !source_given(o, SOURCE_FROM_HAPROXY) &&
	    !source_given(o, SOURCE_LISTEN_FDS);
	/* Checked before anything is made that would then have to go. */
	if (counted)
		check_name_count(o, o->nsources + nfiles);
	for (i = 0; i < o->nsources; i++)
		add_source(p, &o->sources[i], o, so, ns, d);
	/* Needed no more: the socket to SOCKET is made in fdpass's own. */
	if (ns != NULL)
		netns_close(ns);
	if (!counted)
		check_name_count(o, p->nitems + nfiles);
	add_files(p, o, files, nfiles, so->timeout, d);
	if (p->nitems == 0 && !o->none) {
		std_stream_needed(STDIN_FILENO, "send");
		payload_add(p, STDIN_FILENO, 0, NULL);
	}
	payload_seal(p, o);
}

/* Closes what send opened or made and frees the rest; inherited fds stay. */
void
payload_release(struct payload *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		if (p->items[i].owned)
			close(p->items[i].fd);
		free(p->items[i].name);
	}
	if (p->data_fd != -1 && p->data_fd != STDIN_FILENO)
		close(p->data_fd);
	free(p->data_buf);
	free(p->items);
	free(p->fds);
	free(p->names);
}
