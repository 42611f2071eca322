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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispose.h"
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

/* Adds a --haproxy-listener: only the listeners so named are passed. */
void
source_pick_listener(struct source_options *o, const char *name)
{
	o->listeners = append(o->listeners, &o->nlisteners,
	    sizeof(*o->listeners));
	o->listeners[o->nlisteners - 1] = name;
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
	item->taken = 0;
	item->name = copy;
	item->truncate = NULL;
	return item;
}

/*
 * Checks that --fd N names a descriptor fdpass was started with; called
 * as the options are read, before fdpass opens any of its own, one of
 * which could otherwise land on an N that was closed and be passed.
 */
void
source_check_inherited(const char *arg)
{
	char what[sizeof("--fd 2147483647")];
	int fd;

	fd = parse_number("--fd", arg, 0, INT32_MAX);
	snprintf(what, sizeof(what), "--fd %d", fd);
	if (fd <= STDERR_FILENO)
		std_stream_needed(fd, what);
	else if (fcntl(fd, F_GETFD) == -1)
		err(1, "%s", what);
}

/* --fd N, checked when parsed: inherited, so not send's to close. */
static int
inherited_fd(const char *arg)
{
	return strtonum(arg, 0, INT32_MAX, NULL);
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
haproxy_failed(const char *path, const char *why, long long timeout_ms)
{
	if (why != NULL)
		errx(1, "--from-haproxy %s: HAProxy %s", path, why);
	if (errno == ETIMEDOUT)
		errx(1, "--from-haproxy %s: HAProxy did not hand its sockets "
		    "over within %s s", path, seconds_text(timeout_ms));
	err(1, "--from-haproxy %s", path);
}

/*
 * Tells whether a socket HAProxy handed over, so named, is to be passed:
 * a stats socket only with --haproxy-stats, a listener unless
 * --haproxy-listener names others.
 */
static int
haproxy_wanted(const struct source_options *o,
    const struct haproxy_socket *s, const char *name)
{
	size_t i;

	if (s->stats)
		return o->haproxy_stats;
	if (o->nlisteners == 0)
		return 1;
	for (i = 0; i < o->nlisteners; i++)
		if (strcmp(o->listeners[i], name) == 0)
			return 1;
	return 0;
}

/*
 * --from-haproxy SOCKET: HAProxy's listeners, and with --haproxy-stats its
 * stats sockets, named by their address, by the deadline d; p owns them.
 * The process that answers must be of our own user or one --allow-uid or
 * --allow-gid admits, before it hands over anything.  A socket not wanted
 * is closed: HAProxy keeps its own.
 */
static void
add_haproxy_fds(struct payload *p, const char *path,
    const struct source_options *o, const struct socket_options *so,
    const struct deadline *d)
{
	char name[HAPROXY_NAME_SIZE];
	struct haproxy_socket *socks;
	struct haproxy h;
	const char *why;
	ssize_t i, n;
	size_t added = 0;
	uid_t uid;

	if (haproxy_ask(&h, path, d, &why) == -1)
		haproxy_failed(path, why, so->timeout_ms);
	if (!access_allowed(&so->access, &h.answerer)) {
		uid = h.answerer.uid;
		haproxy_abandon(&h);
		errx(1, "--from-haproxy %s: answered by uid %ld, not %ld "
		    "(see --allow-uid)", path, (long)uid, (long)geteuid());
	}
	if ((n = haproxy_take(&h, &socks, &why)) == -1)
		haproxy_failed(path, why, so->timeout_ms);
	for (i = 0; i < n; i++) {
		haproxy_socket_name(socks[i].fd, name, sizeof(name));
		/* Not closed here: a socket HAProxy sent may linger. */
		if (!haproxy_wanted(o, &socks[i], name)) {
			dispose_fd(socks[i].fd);
			continue;
		}
		payload_add(p, socks[i].fd, 1, name)->taken = 1;
		added++;
	}
	free(socks);
	/*
	 * None would leave standard input to be passed in their stead; a
	 * --haproxy-listener that named none is refused by its name later.
	 */
	if (added == 0 && o->nlisteners == 0)
		errx(1, "--from-haproxy %s: HAProxy handed over no listener "
		    "(see --haproxy-stats)", path);
}

/* Refuses a --haproxy-listener that named no socket HAProxy handed over. */
static void
check_listeners_found(const struct payload *p, const struct source_options *o)
{
	size_t i, j;

	for (i = 0; i < o->nlisteners; i++) {
		for (j = 0; j < p->nitems; j++)
			if (p->items[j].name != NULL &&
			    strcmp(p->items[j].name, o->listeners[i]) == 0)
				break;
		if (j == p->nitems)
			errx(1, "--haproxy-listener %s: HAProxy has no "
			    "listener of that name", o->listeners[i]);
	}
}

/*
 * LISTEN_PIDFDID, where set, names the process the descriptors are meant
 * for by the inode of its pidfd, which no later process shares as it may
 * share a pid: where the kernel tells our own (pidfs), it must be that,
 * as sd_listen_fds() checks.  Elsewhere LISTEN_PID alone decides.
 */
static void
check_listen_pidfdid(void)
{
	const char *id = getenv("LISTEN_PIDFDID");
	unsigned long long want;
	uint64_t own;
	char *end;

	if (id == NULL)
		return;
	errno = 0;
	want = strtoull(id, &end, 10);
	if (*id < '0' || *id > '9' || *end != '\0' || errno == ERANGE)
		errx(1, "--listen-fds: LISTEN_PIDFDID is '%s', not a pidfd "
		    "inode number", id);
	if (grab_pid_inode(getpid(), &own) == -1) {
		if (errno == ENOTSUP || errno == ENOSYS)
			return;
		err(1, "--listen-fds: the pidfd of this process");
	}
	if (want != own)
		errx(1, "--listen-fds: LISTEN_PIDFDID is %s, not this "
		    "process's pidfd (its pid was reused)", id);
}

/*
 * How many descriptors LISTEN_FDS hands this process, from 3 on; exits 1
 * when the variables are missing, bad, or meant for another process.
 */
static long long
listen_fds_count(void)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *errstr;
	long long n;

	if (pid == NULL)
		errx(1, "--listen-fds: LISTEN_PID is not set");
	if (strtonum(pid, 1, INT32_MAX, NULL) != getpid())
		errx(1, "--listen-fds: LISTEN_PID is %s, not this process", pid);
	check_listen_pidfdid();
	if (count == NULL)
		errx(1, "--listen-fds: LISTEN_FDS is not set");
	n = strtonum(count, 1, WIRE_MAX_FDS, &errstr);
	if (errstr != NULL && strcmp(count, "0") == 0)
		errx(1, "--listen-fds: LISTEN_FDS is 0: no descriptors to pass");
	if (errstr != NULL)
		errx(1, "--listen-fds: LISTEN_FDS is '%s', not a number of "
		    "descriptors", count);
	return n;
}

/*
 * Checks that the descriptors LISTEN_FDS names were open when fdpass
 * started: called as the options are read, before fdpass opens any of
 * its own, one of which could otherwise land on one that was closed and
 * be passed as if it had been handed over.
 */
void
source_check_listen_fds(void)
{
	long long n = listen_fds_count(), i;

	for (i = 0; i < n; i++)
		if (fcntl(3 + i, F_GETFD) == -1)
			err(1, "--listen-fds: descriptor %lld", 3 + i);
}

/*
 * --listen-fds: what fdpass inherited under systemd's convention, from 3
 * (checked open when parsed), with LISTEN_FDNAMES's names (an empty one
 * leaves its descriptor unnamed), when LISTEN_PID and LISTEN_PIDFDID name
 * this process; not owned.  LISTEN_* stay set: send runs no command that
 * would see them.
 */
static void
add_listen_fds(struct payload *p)
{
	const char *names = getenv("LISTEN_FDNAMES");
	char *copy = NULL, *next = NULL, *name;
	long long n = listen_fds_count(), i;

	if (names != NULL && (next = copy = strdup(names)) == NULL)
		err(1, "memory");
	for (i = 0; i < n; i++) {
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
 * Exits when what O_EXCL found at path, but open(2) without it did not,
 * is a symbolic link to nothing: it is not followed, as cp(1) does not
 * write through one, so that nobody can steer --create elsewhere.  A
 * file removed in between is made after all, but only until the
 * deadline d.
 */
static void
refuse_dangling(const char *path, const struct deadline *d)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		errx(1, "open %s: not writing through a dangling symbolic "
		    "link", path);
	if (deadline_remaining_ms(d) == 0)
		errx(1, "open %s: it keeps appearing and going", path);
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
    long long timeout_ms, const struct deadline *d)
{
	int flags = o->access_mode | (o->open_flags & O_APPEND) | O_NOCTTY |
	    O_CLOEXEC;
	struct stat st;
	sigset_t held;
	int fd;

	for (;;) {
		if (o->open_flags & O_CREAT) {
			/* From the open that makes it to the record. */
			cleanup_hold(&held);
			fd = open(path, flags | O_CREAT | O_EXCL, 0666);
			if (fd != -1) {
				if (fstat(fd, &st) == -1)
					err(1, "stat %s", path);
				cleanup_made(path, st.st_dev, st.st_ino);
			}
			cleanup_release(&held);
			if (fd != -1)
				return fd;
			if (errno != EEXIST)
				err(1, "open %s", path);
		}
		if ((fd = deadline_open(path, flags, d)) != -1)
			return fd;
		if (errno == ETIMEDOUT)
			errx(1, "open %s: nothing at the FIFO's other end "
			    "within %s s", path, seconds_text(timeout_ms));
		if (errno != ENOENT || !(o->open_flags & O_CREAT))
			err(1, "open %s", path);
		refuse_dangling(path, d);
		/* Removed since O_EXCL found it: make it after all. */
	}
}

/* Tells whether p has files for --truncate to empty. */
int
payload_truncates(const struct payload *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++)
		if (p->items[i].truncate != NULL)
			return 1;
	return 0;
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
		payload_add(p, grabbed_fd(s->arg), 1, NULL)->taken = 1;
		break;
	case SOURCE_FROM_HAPROXY:
		add_haproxy_fds(p, s->arg, o, so, d);
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
    char *const *files, size_t nfiles, long long timeout_ms,
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
		item = payload_add(p, open_file(o, files[i], timeout_ms, d), 1,
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
	check_listeners_found(p, o);
	if (!counted)
		check_name_count(o, p->nitems + nfiles);
	add_files(p, o, files, nfiles, so->timeout_ms, d);
	if (p->nitems == 0 && !o->none) {
		std_stream_needed(STDIN_FILENO, "send");
		payload_add(p, STDIN_FILENO, 0, NULL);
	}
	payload_seal(p, o);
}

/*
 * Closes what send opened or made and frees the rest; inherited fds stay.
 * What was taken from another process goes to dispose.c: that process
 * may have closed its copy, the receiver too, and the close here, then
 * the last, would wait for a lingering socket.
 */
void
payload_release(struct payload *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		if (p->items[i].taken)
			dispose_fd(p->items[i].fd);
		else if (p->items[i].owned)
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
