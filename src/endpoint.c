/*
 * Opening the command line's end of the socket, with messages in the form
 * "fdpass: connect SOCKET: why".
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "endpoint.h"
#include "grab.h"
#include "msg.h"

/*
 * The process's one listener.  Static, as the cleanup that removes its
 * socket file may run from an exit or signal handler.
 */
static struct listener listener;

static void
parse_address(const char *text, struct address *a)
{
	if (address_parse(text, a) == -1) {
		if (errno == EINVAL)
			errx(2, "socket address '%s': empty name", text);
		errx(2, "socket address '%s': longer than %zu bytes", text,
		    sizeof(a->sun.sun_path) - 1);
	}
}

/*
 * Notes which process --peer-pid names, now, by the inode of its pidfd, so
 * that a process that takes its pid over later is not taken for it.  Exits
 * 1 if there is no such process; where the kernel cannot tell the inode,
 * the pid is all there is to check.
 */
void
endpoint_pin_pid(struct access *acc)
{
	if (!acc->check_pid ||
	    grab_pid_inode(acc->peer_pid, &acc->peer_pidfd_inode) == 0)
		return;
	acc->peer_pidfd_inode = 0;
	if (errno == ESRCH)
		err(1, "--peer-pid %ld", (long)acc->peer_pid);
}

/*
 * Tells whether peer, which has --peer-pid's pid, is the process that had
 * it when fdpass started: by its pidfd's inode, or where that is not
 * known (SCM_CREDENTIALS, no SO_PEERPIDFD), by the process pinned still
 * having the pid, so that no other can have it.
 */
static int
same_process(const struct access *acc, const struct fdp_peer *peer)
{
	uint64_t now;

	if (acc->peer_pidfd_inode == 0)
		return 1;
	if (peer->pidfd_inode != 0)
		return peer->pidfd_inode == acc->peer_pidfd_inode;
	return grab_pid_inode(acc->peer_pid, &now) == 0 &&
	    now == acc->peer_pidfd_inode;
}

/*
 * Tells why peer is not the one --peer-uid, --peer-gid or --peer-pid
 * insist on, or NULL when it is.
 */
static const char *
mismatch(const struct access *acc, const struct fdp_peer *peer)
{
	static char why[96];

	if (acc->check_uid && peer->uid != acc->peer_uid)
		snprintf(why, sizeof(why), "peer is uid %ld, not %ld",
		    (long)peer->uid, (long)acc->peer_uid);
	else if (acc->check_gid && peer->gid != acc->peer_gid)
		snprintf(why, sizeof(why), "peer is gid %ld, not %ld",
		    (long)peer->gid, (long)acc->peer_gid);
	else if (acc->check_pid && peer->pid != acc->peer_pid)
		snprintf(why, sizeof(why), "peer is pid %ld, not %ld",
		    (long)peer->pid, (long)acc->peer_pid);
	else if (acc->check_pid && !same_process(acc, peer))
		snprintf(why, sizeof(why), "peer pid %ld is not the process "
		    "--peer-pid named, which is gone", (long)peer->pid);
	else
		return NULL;
	return why;
}

/*
 * Tells whether p is our own user or one that --allow-uid or --allow-gid
 * admits: for any peer, where --peer-uid and the like name only the one
 * at SOCKET.
 */
int
endpoint_allowed(const struct access *acc, const struct fdp_peer *p)
{
	size_t i;

	if (p->uid == geteuid())
		return 1;
	for (i = 0; i < acc->nuids; i++)
		if (acc->uids[i] == p->uid)
			return 1;
	for (i = 0; i < acc->ngids; i++)
		if (acc->gids[i] == p->gid)
			return 1;
	return 0;
}

/*
 * Tells whether peer may be dealt with: our own user, or one allowed, by
 * --allow-uid, --allow-gid, or by naming it with --peer-uid or --peer-gid.
 */
static int
allowed(const struct access *acc, const struct fdp_peer *p)
{
	return endpoint_allowed(acc, p) ||
	    (acc->check_uid && p->uid == acc->peer_uid) ||
	    (acc->check_gid && p->gid == acc->peer_gid);
}

/*
 * Tells why the access rules refuse peer, or NULL when they admit it:
 * its user must be ours or allowed, and it must be the one --peer-uid,
 * --peer-gid and --peer-pid insist on.
 */
const char *
endpoint_refusal(const struct access *acc, const struct fdp_peer *peer)
{
	static char why[64];
	const char *other;

	if ((other = mismatch(acc, peer)) != NULL || allowed(acc, peer))
		return other;
	snprintf(why, sizeof(why), "peer is uid %ld, not an allowed user",
	    (long)peer->uid);
	return why;
}

/* Tells whether the directory a socket file would be in exists. */
static int
directory_exists(const char *path)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	strlcpy(copy, path, sizeof(copy));
	return stat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Connects to SOCKET text, where the peer must pass the access rules;
 * fills in *peer for a connected type.  A directory watch made while the
 * listener was awaited is left in *watch, unless NULL, for the caller to
 * close (address_connect says why).  Exits 1 on failure.
 */
int
endpoint_connect(const char *text, int type, const struct access *acc,
    const struct deadline *d, struct fdp_peer *peer, struct appear *watch)
{
	struct address a;
	int fd, absent;

	parse_address(text, &a);
	fd = address_connect(&a, type, d, watch);
	if (fd == -1 && errno == ENOENT && !a.abstract &&
	    !directory_exists(a.sun.sun_path))
		errx(1, "connect %s: its directory does not exist", text);
	/* An abstract name nobody listens on refuses; a path is missing. */
	absent = fd == -1 && (errno == ENOENT ||
	    (errno == ECONNREFUSED && a.abstract));
	if (absent && deadline_remaining_ms(d) == -1)
		errx(1, "connect %s: no listener appeared within %d s", text,
		    APPEAR_SECONDS);
	if (absent)
		errx(1, "connect %s: no listener appeared within --timeout",
		    text);
	if (fd == -1)
		err(1, "connect %s", text);
	if (type != SOCK_DGRAM)
		endpoint_check_peer(acc, fd, "connect ", text, peer);
	return fd;
}

/*
 * Fills in *peer from the connected sock and checks it against the access
 * rules; exits 1, saying what it did to what, if they refuse it.
 */
void
endpoint_check_peer(const struct access *acc, int sock, const char *what,
    const char *text, struct fdp_peer *peer)
{
	const char *why;

	if (fdp_peer(sock, peer) == -1)
		err(1, "peer credentials on %s", text);
	if ((why = endpoint_refusal(acc, peer)) != NULL)
		errx(1, "%s%s: %s", what, text, why);
}

/*
 * Listens on SOCKET text; the socket file is removed when the process
 * exits or is killed (cleanup.c).
 */
const struct listener *
endpoint_listen(const char *text, int type, mode_t mode)
{
	static struct address a;	/* listener.path points into it */
	int on = 1;

	parse_address(text, &a);
	/* From the bind on, under its temporary name too. */
	cleanup_listener(&listener);
	if (address_listen(&a, type, mode, &listener) == -1) {
		if (listener.why != NULL)
			errx(1, "listen %s: %s", text, listener.why);
		err(1, "listen %s", text);
	}
	/*
	 * Connections inherit it, so that the kernel attaches the sender's
	 * credentials even to what it sends before the accept.
	 */
	if (type != SOCK_DGRAM && setsockopt(listener.fd, SOL_SOCKET,
	    SO_PASSCRED, &on, sizeof(on)) == -1)
		err(1, "listen %s: SO_PASSCRED", text);
	return &listener;
}

/*
 * Closes the listening socket and removes its file: for a listener that
 * has served its one peer.
 */
void
endpoint_close(void)
{
	cleanup_listener_done();
	close(listener.fd);
}

/*
 * Keeps the accepted fd if the access rules allow its peer, its
 * credentials in *peer; another is logged and disconnected, so whatever
 * it sent is discarded by the kernel with the connection, and fails with
 * EACCES.  Exits 1 when the credentials cannot be read.
 */
static int
admit(int fd, const char *text, const struct access *acc,
    struct fdp_peer *peer)
{
	const char *why;

	if (fdp_peer(fd, peer) == -1)
		err(1, "peer credentials on %s", text);
	if ((why = endpoint_refusal(acc, peer)) == NULL)
		return fd;
	warnx("refused peer pid %ld uid %ld gid %ld on %s: %s",
	    (long)peer->pid, (long)peer->uid, (long)peer->gid, text, why);
	close(fd);
	errno = EACCES;
	return -1;
}

/*
 * Accepts the next peer that the access rules allow, its credentials in
 * *peer; others are logged and disconnected.  Exits 1 on failure or
 * timeout.
 */
int
endpoint_accept(const struct listener *l, const char *text,
    const struct access *acc, const struct deadline *d, struct fdp_peer *peer)
{
	int fd;

	for (;;) {
		if ((fd = listener_accept(l, d)) == -1 && errno == ETIMEDOUT)
			errx(1, "listen %s: no sender came within --timeout",
			    text);
		if (fd == -1)
			err(1, "accept %s", text);
		if ((fd = admit(fd, text, acc, peer)) != -1)
			return fd;
	}
}

/*
 * Accepts the peer waiting on l, for a listener that goes on serving and
 * waits for other things meanwhile, as endpoint_accept does but without
 * waiting on: fails with EACCES after a peer refused, and, having said
 * so, with the error of an accept that lacked a resource that may come
 * back (descriptors, memory), for the caller to try again in a while.
 * Exits 1 when the listener itself fails.
 */
int
endpoint_accept_waiting(const struct listener *l, const char *text,
    const struct access *acc, struct fdp_peer *peer)
{
	int fd, saved;

	/* The caller saw POLLIN, and nobody else accepts: no wait. */
	if ((fd = listener_accept(l, NULL)) == -1) {
		saved = errno;
		if (saved != EMFILE && saved != ENFILE && saved != ENOBUFS &&
		    saved != ENOMEM)
			err(1, "accept %s", text);
		warn("accept %s", text);
		errno = saved;
		return -1;
	}
	return admit(fd, text, acc, peer);
}
