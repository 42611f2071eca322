/*
 * Opening the command line's end of the socket, with messages in the form
 * "fdpass: connect SOCKET: why".
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispose.h"
#include "endpoint.h"
#include "log.h"
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
 * Pins the process --peer-pid names (access_pin_pid); exits 1 if there is
 * no such process.
 */
void
endpoint_pin_pid(struct access *acc)
{
	if (access_pin_pid(acc) == -1)
		err(1, "--peer-pid %ld", (long)acc->peer_pid);
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
	if (fd == -1 && errno == ENOTSOCK)
		errx(1, "connect %s: not a socket", text);
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
	if ((why = access_refusal(acc, peer)) != NULL)
		errx(1, "%s%s: %s", what, text, why);
}

/*
 * Listens on SOCKET text, the address in *a, with l, both of which last
 * as long as the process; the socket file is removed when the process
 * exits or is killed (cleanup.c).
 */
static void
listen_on(const char *text, int type, mode_t mode, struct address *a,
    struct listener *l)
{
	int on = 1;

	parse_address(text, a);
	/* From the bind on, under its temporary name too. */
	cleanup_listener(l);
	if (address_listen(a, type, mode, l) == -1) {
		if (l->why != NULL)
			errx(1, "listen %s: %s", text, l->why);
		err(1, "listen %s", text);
	}
	/*
	 * Connections inherit it, so that the kernel attaches the sender's
	 * credentials even to what it sends before the accept; on a
	 * datagram socket they name each datagram's sender.
	 */
	if (setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1)
		err(1, "listen %s: SO_PASSCRED", text);
}

/* Listens on SOCKET text, as the process's one listener. */
const struct listener *
endpoint_listen(const char *text, int type, mode_t mode)
{
	static struct address a;	/* listener.path points into it */

	listen_on(text, type, mode, &a, &listener);
	return &listener;
}

/*
 * Listens on a second socket at text, beside the listener, as a holder
 * does for sd_notify datagrams (--notify-socket); its file goes as the
 * listener's does, but it is no listener to claim or close.
 */
const struct listener *
endpoint_listen_also(const char *text, int type, mode_t mode)
{
	static struct address a;
	static struct listener also;

	listen_on(text, type, mode, &a, &also);
	return &also;
}

/*
 * Makes peers see this process, forked to serve in the background, as
 * the listener (listener_claim); exits 1 if it cannot.
 */
void
endpoint_claim(void)
{
	if (listener_claim(&listener) == -1)
		err(1, "listen");
}

/*
 * Closes the listening socket and removes its file: for a listener that
 * has served its one peer, or is to exit.  The connections still waiting
 * to be accepted go with it, and whatever they have queued: it is
 * disposed of, not closed (dispose.c).
 */
void
endpoint_close(void)
{
	socklen_t len = sizeof(int);
	int listening = 0, fd;

	cleanup_listener_done();
	if (getsockopt(listener.fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &len) == -1 || !listening) {
		dispose_connection(listener.fd);
		return;
	}
	/*
	 * After the shutdown no peer can connect: those already waiting go
	 * one by one, with what they queued, and the listener, empty, then
	 * closes at once, with no process to fork on the way to COMMAND.
	 */
	if (shutdown(listener.fd, SHUT_RD) == -1) {
		dispose_fd(listener.fd);
		return;
	}
	while ((fd = accept4(listener.fd, NULL, NULL,
	    SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1)
		dispose_connection(fd);
	close(listener.fd);
}

/*
 * Keeps the accepted fd if the access rules allow its peer, its
 * credentials in *peer; another is logged and disconnected, so whatever
 * it sent is disposed of with the connection (dispose.c), and fails with
 * EACCES.  Exits 1 when the credentials cannot be read.
 */
static int
admit(int fd, const char *text, const struct access *acc,
    struct fdp_peer *peer)
{
	const char *why;

	if (fdp_peer(fd, peer) == -1)
		err(1, "peer credentials on %s", text);
	if ((why = access_refusal(acc, peer)) == NULL)
		return fd;
	log_warnx("refused peer pid %ld uid %ld gid %ld on %s: %s",
	    (long)peer->pid, (long)peer->uid, (long)peer->gid, text, why);
	dispose_connection(fd);
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
		if ((fd = listener_accept(l, d)) == -1 && errno == ETIMEDOUT) {
			endpoint_close();
			errx(1, "listen %s: no sender came within --timeout",
			    text);
		}
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
		log_warn("accept %s", text);
		errno = saved;
		return -1;
	}
	return admit(fd, text, acc, peer);
}
