/*
 * The ways recv serves its senders.  Each takes a sender's turn
 * (turn.c) in the process that is to exit with its status: recv itself,
 * or under --keep-listening a child of its own for each sender.  A
 * sender's connection may still hold what it queued after its turn:
 * it is disposed of (dispose.c), never closed here, and so is the
 * listener with the connections waiting on it, before exit or exec.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "describe.h"
#include "dispose.h"
#include "log.h"
#include "request.h"
#include "serve.h"
#include "turn.h"

/*
 * How long --keep-listening leaves a sender waiting after an accept that
 * lacked descriptors or memory, unless a child ends first and frees some.
 */
#define ACCEPT_PAUSE_MS	250

/* recv --connect: the sender listens. */
int
serve_connected(struct recv_run *run)
{
	const struct recv_options *o = run->opt;
	struct deadline d;
	enum turn t;
	int sock, status;

	deadline_set_ms(&d, o->sock.timeout_ms);
	sock = endpoint_connect(o->socket_arg, o->sock.type, &o->sock.access,
	    &d, &run->peer, NULL);
	run->have_peer = o->sock.type != SOCK_DGRAM;
	if ((t = turn_receive(run, sock, &d)) == TURN_EMPTY)
		t = turn_fail(run, "connection closed before anything "
		    "arrived");
	status = turn_end(run, t);
	dispose_connection(sock);
	return status;
}

/*
 * recv --fetch: asks the holder at SOCKET for copies of what it holds
 * under the names, and takes them as from any sender (turn.c checks that
 * every name came).
 */
int
serve_fetch(struct recv_run *run)
{
	const struct recv_options *o = run->opt;
	struct outcome v;
	struct deadline d;
	enum turn t;
	int sock, status, n;

	deadline_set_ms(&d, o->sock.timeout_ms);
	sock = endpoint_connect(o->socket_arg, SOCK_STREAM, &o->sock.access,
	    &d, &run->peer, NULL);
	run->have_peer = 1;
	if (request_send(sock, WIRE_FETCH, o->fetch, o->nfetch, &d) == -1 ||
	    (n = request_declined(sock, &d, &v)) == -1)
		err(1, "fetch from %s", o->socket_arg);
	if (n == 1 && v.what == WIRE_DECLINED && v.status == WIRE_NOT_HOLDER)
		errx(1, "fetch from %s: not a holder (fdpass hold)",
		    o->socket_arg);
	if (n == 1 && v.what == WIRE_DECLINED &&
	    v.status == WIRE_TOO_MANY_FDS)
		errx(1, "fetch from %s: the holder could not copy them (out "
		    "of descriptors or memory)", o->socket_arg);
	if (n == 1)
		errx(1, "fetch from %s: the holder refused", o->socket_arg);
	if ((t = turn_receive(run, sock, &d)) == TURN_EMPTY)
		t = turn_fail(run, "the holder hung up");
	status = turn_end(run, t);
	dispose_connection(sock);
	return status;
}

/*
 * recv --stdin: standard input is a connected unix socket, as a
 * ProxyCommand-style parent or `nc -F` provides.  It moves off 0 so that
 * COMMAND does not inherit it there.
 */
int
serve_stdin(struct recv_run *run)
{
	const struct recv_options *o = run->opt;
	struct deadline d;
	enum turn t;
	int sock, null, status;

	if (strcmp(describe_type(STDIN_FILENO, NULL), "socket") != 0)
		errx(1, "--stdin: standard input is not a socket");
	if ((sock = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1)
		err(1, "--stdin");
	close(null);
	endpoint_check_peer(&o->sock.access, sock, "", "--stdin", &run->peer);
	run->have_peer = 1;
	deadline_set_ms(&d, o->sock.timeout_ms);
	/* o->socket_arg is "stdin". */
	if ((t = turn_receive(run, sock, &d)) == TURN_EMPTY)
		t = turn_fail(run, "closed before anything arrived");
	status = turn_end(run, t);
	dispose_connection(sock);
	return status;
}

/*
 * Waits for the one sender --once serves.  A connection that closes
 * without sending anything, such as another listener probing for a stale
 * socket, does not count.  The socket goes once a sender is served,
 * before a COMMAND is run; after one refused or failed, before exit.
 */
int
serve_once(struct recv_run *run, const struct listener *l)
{
	const struct recv_options *o = run->opt;
	struct deadline d;
	enum turn t;
	int conn, status;

	deadline_set_ms(&d, o->sock.timeout_ms);
	if (o->sock.type == SOCK_DGRAM) {
		while ((t = turn_receive(run, l->fd, &d)) == TURN_EMPTY)
			turn_end(run, t);
		if (t == TURN_TAKEN)
			endpoint_close();
		status = turn_end(run, t);
		if (t != TURN_TAKEN)
			endpoint_close();
		return status;
	}
	for (;;) {
		conn = endpoint_accept(l, o->socket_arg, &o->sock.access, &d,
		    &run->peer);
		run->have_peer = 1;
		if ((t = turn_receive(run, conn, &d)) != TURN_EMPTY)
			break;
		turn_end(run, t);
		dispose_connection(conn);
	}
	if (t == TURN_TAKEN)
		endpoint_close();
	status = turn_end(run, t);
	dispose_connection(conn);
	if (t != TURN_TAKEN)
		endpoint_close();
	return status;
}

/*
 * Forks the child that serves a connection, and closes the parent's copy
 * of it before the child goes on, so that the child's is the last: the
 * child disposes of it.  Returns as fork does.
 */
static pid_t
fork_for(int conn)
{
	int held[2];
	pid_t pid;
	ssize_t n;
	char c;

	if (pipe2(held, O_CLOEXEC) == -1)
		return -1;
	if ((pid = children_fork()) == -1) {
		close(held[0]);
		close(held[1]);
		return -1;
	}
	if (pid > 0) {
		close(conn);
		close(held[0]);
		close(held[1]);
		return pid;
	}
	close(held[1]);
	/* A byte never comes: end of file once the parent closed its copy. */
	do
		n = read(held[0], &c, 1);
	while (n == -1 && errno == EINTR);
	close(held[0]);
	return 0;
}

/*
 * Serves the sender on sock (a connection, or the datagram socket l->fd)
 * in a child, which exits with the status of its turn; a connection is
 * the child's alone.  The child closes taken (unless -1) once it has
 * taken what it serves, and prints, if it prints, one record in one
 * piece.  Returns in the parent: 0, or -1 if there could be no child.
 */
static int
serve_in_child(struct recv_run *run, const struct listener *l, int sock,
    int taken)
{
	const struct recv_options *o = run->opt;
	struct deadline d;
	enum turn t;
	pid_t pid;
	int status;

	if ((pid = sock != l->fd ? fork_for(sock) : children_fork()) == -1)
		return -1;
	if (pid > 0)
		return 0;
	if (sock != l->fd)
		close(l->fd);
	if (o->handoff.command == NULL)
		record_in_memory(&run->record);
	deadline_set_ms(&d, o->sock.timeout_ms);
	t = turn_receive(run, sock, &d);
	if (taken != -1)
		close(taken);
	/* As record_finish does: a sender that gave up may try again. */
	if (t == TURN_TAKEN && o->handoff.command != NULL &&
	    (run->receiver.flags & WIRE_ACK) && sender_gone(sock))
		t = turn_fail(run, "the sender left before its command was "
		    "run");
	/* A peer that sent nothing gets no COMMAND, and ends with 0. */
	status = turn_end(run, t);
	if (sock != l->fd)
		dispose_connection(sock);
	exit(status);
}

/*
 * Serves the datagram waiting on the socket in a child, and returns once
 * the child has taken it, so that the next one goes to the next child.
 * Returns -1 if there could be no child; the datagram then waits.
 */
static int
serve_datagram(struct recv_run *run, const struct listener *l)
{
	int taken[2];
	ssize_t n;
	char c;

	if (pipe2(taken, O_CLOEXEC) == -1)
		return -1;
	if (serve_in_child(run, l, l->fd, taken[1]) == -1) {
		close(taken[0]);
		close(taken[1]);
		return -1;
	}
	close(taken[1]);
	/* A byte never comes: end of file when the child has taken it. */
	do
		n = read(taken[0], &c, 1);
	while (n == -1 && errno == EINTR);
	close(taken[0]);
	return 0;
}

/*
 * --keep-listening: each sender in a child of its own, so that one bad
 * sender cannot take the listener down, at most --max-children at once;
 * the listener takes the next sender only when one of them ends.  The
 * children run side by side and print each transfer in one piece.  A
 * sender that finds no child is closed, or for a datagram waits a moment,
 * as does one that an accept lacking descriptors or memory left waiting.
 * SIGTERM, SIGINT and SIGHUP go on to every child still running, commands
 * included, and end the listener.  The listener never holds what a sender
 * sent: each child receives its own sender's descriptors.
 */
void
serve_forever(struct recv_run *run, const struct listener *l)
{
	const struct recv_options *o = run->opt;
	struct pollfd pfd[2];
	int conn, ms = -1;

	if (children_init(o->max_children, 1) == -1)
		err(1, "signals");
	if (o->handoff.command == NULL && record_share(&run->record) == -1)
		err(1, "memfd_create");
	pfd[0].fd = l->fd;
	pfd[1].fd = children_wake_fd();
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].events = ms == -1 &&
		    children_reap() < o->max_children ? POLLIN : 0;
		if (poll(pfd, 2, ms) == -1 && errno != EINTR)
			err(1, "poll");
		ms = -1;
		if (!(pfd[0].events & pfd[0].revents & POLLIN))
			continue;
		if (o->sock.type == SOCK_DGRAM) {
			if (serve_datagram(run, l) == -1) {
				log_warn("serve %s: a datagram waits",
				    o->socket_arg);
				ms = 1000;
			}
			continue;
		}
		/* Back to the poll after each try, so that children are reaped. */
		if ((conn = endpoint_accept_waiting(l, o->socket_arg,
		    &o->sock.access, &run->peer)) == -1) {
			if (errno != EACCES)
				ms = ACCEPT_PAUSE_MS;
			continue;
		}
		run->have_peer = 1;
		if (serve_in_child(run, l, conn, -1) == -1) {
			log_warn("serve %s: refused a sender", o->socket_arg);
			dispose_connection(conn);
		}
	}
}
