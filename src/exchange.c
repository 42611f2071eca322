/*
 * fdpass send's exchange with the receiver: the socket to it, the offer
 * of a lone header and the check of who answers, the transfer, and the
 * verdict, with --wait the command's exit.  Whatever the receiver says
 * no to is reported here, and ends send.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "appear.h"
#include "cleanup.h"
#include "commands.h"
#include "dispose.h"
#include "endpoint.h"
#include "exchange.h"
#include "forward.h"
#include "wire.h"

/* The unix socket that is standard output, for --stdout. */
static int
stdout_socket(const struct send_options *o)
{
	struct fdp_peer peer;
	int domain;
	socklen_t len = sizeof(domain);

	if (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_DOMAIN, &domain,
	    &len) == -1 || domain != AF_UNIX)
		errx(1, "--stdout: standard output is not a unix socket");
	endpoint_check_peer(&o->sock.access, STDOUT_FILENO, "", "--stdout",
	    &peer);
	return STDOUT_FILENO;
}

/*
 * The socket the transfer goes out on, when send connects (or was given
 * its socket); exits on failure.  A watch made while SOCKET was awaited
 * is left in *watch (endpoint_connect).
 */
static int
connected_socket(const struct send_options *o, const struct deadline *d,
    struct appear *watch)
{
	struct fdp_peer peer;
	const char *notify;

	if (o->use_stdout)
		return stdout_socket(o);
	if (o->fdstore_name == NULL)
		return endpoint_connect(o->socket_arg, o->sock.type,
		    &o->sock.access, d, &peer, watch);
	if ((notify = getenv("NOTIFY_SOCKET")) == NULL || *notify == '\0')
		errx(1, "--notify-fdstore: NOTIFY_SOCKET is not set");
	return endpoint_connect(notify, SOCK_DGRAM, &o->sock.access, d, &peer,
	    NULL);
}

/* Reports a failed transfer_send and exits 1. */
static void __attribute__((noreturn))
send_failed(const struct send_options *o)
{
	if (errno == EMSGSIZE && o->sock.type != SOCK_STREAM)
		errx(1, "send to %s: too much for one %s message (at most %d "
		    "descriptors and %d bytes)", o->socket_arg,
		    o->sock.type == SOCK_DGRAM ? "datagram" : "seqpacket",
		    FDP_MAX_FDS_PER_MSG, RECEIVER_BUF);
	if (errno == ETIMEDOUT)
		errx(1, "send to %s: the receiver did not take it all within "
		    "%s s", o->socket_arg, seconds_text(o->sock.timeout_ms));
	err(1, "send to %s", o->socket_arg);
}

/* Reports that the receiver would not take the transfer, and exits 1. */
static void __attribute__((noreturn))
refused(const struct send_options *o, const struct outgoing *out,
    const struct outcome *v)
{
	if (v->what == WIRE_REFUSED && v->status == 1)
		errx(1, "send to %s: the receiver took the descriptors but "
		    "could not put them in place or print them", o->socket_arg);
	if (v->what == WIRE_REFUSED && v->status != EXIT_REFUSED)
		errx(1, "send to %s: the receiver could not run its command "
		    "(status %d)", o->socket_arg, v->status);
	if (v->what != WIRE_DECLINED)
		errx(1, "send to %s: the receiver refused the transfer",
		    o->socket_arg);
	switch (v->status) {
	case WIRE_TOO_MANY_FDS:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "cannot take %zu descriptors (its limit)", o->socket_arg,
		    out->nfds);
	case WIRE_OTHER_COUNT:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "waits for another number of descriptors than %zu",
		    o->socket_arg, out->nfds);
	case WIRE_TOO_MUCH_DATA:
		errx(1, "send to %s: the receiver refused the transfer: it "
		    "cannot take %llu bytes of data", o->socket_arg,
		    (unsigned long long)out->datalen +
		    (out->data_fd != -1 ? out->data_fd_len : 0));
	case WIRE_UNPLACED:
		errx(1, "send to %s: the receiver refused the transfer: they "
		    "are not what its command takes (--at, --inetd, --ucspi)",
		    o->socket_arg);
	case WIRE_UNNAMED:
		errx(1, "send to %s: the holder refused the transfer: it keeps "
		    "only named descriptors (--name)", o->socket_arg);
	case WIRE_HOLD_FULL:
		errx(1, "send to %s: the holder refused the transfer: %zu more "
		    "descriptor%s would pass its --max-fds", o->socket_arg,
		    out->nfds, out->nfds == 1 ? "" : "s");
	default:
		errx(1, "send to %s: the receiver refused the transfer",
		    o->socket_arg);
	}
}

/*
 * Waits for the receiver's verdict and returns send's exit status: 0
 * when it took the descriptors, COMMAND's status with --wait; or with
 * --listen -1 when it hung up without a word, so that the next may take
 * them.  A receiver that was connected to ends send then: what it sent
 * may have been taken, or not.
 */
static int
await_verdict(const struct send_options *o, const struct outgoing *out,
    int sock, const struct deadline *d)
{
	struct outcome v;
	int ret;

	ret = transfer_await(sock, o->wait, d, &v);
	if (ret == -1) {
		if (errno == ETIMEDOUT && v.what == WIRE_DELIVERED && o->wait)
			errx(1, "send to %s: the command did not finish within "
			    "%s s", o->socket_arg,
			    seconds_text(o->sock.timeout_ms));
		if (errno == ETIMEDOUT)
			errx(1, "send to %s: no reply from the receiver within "
			    "%s s", o->socket_arg,
			    seconds_text(o->sock.timeout_ms));
		if (errno != ECONNRESET)
			err(1, "send to %s: no word from the receiver",
			    o->socket_arg);
		if (v.what == 0 && o->sock.listen)
			return -1;
		if (v.what == 0)
			errx(1, "send to %s: the receiver hung up without "
			    "saying whether it took the descriptors",
			    o->socket_arg);
		errx(1, "send to %s: the receiver hung up before its command "
		    "exited", o->socket_arg);
	}
	if (v.what == WIRE_EXITED)
		return v.status;
	if (v.what != WIRE_DELIVERED)
		refused(o, out, &v);
	return 0;
}

/*
 * Reports an offer that failed, and exits; returns -1 for a receiver that
 * went away without an answer.
 */
static int
offer_failed(const struct send_options *o)
{
	if (errno == EPIPE || errno == ECONNRESET)
		return -1;
	if (errno == EBADMSG)
		errx(1, "send to %s: the receiver's answer is no fdpass reply",
		    o->socket_arg);
	if (errno == ETIMEDOUT)
		errx(1, "send to %s: no reply from the receiver within %s s",
		    o->socket_arg, seconds_text(o->sock.timeout_ms));
	send_failed(o);
}

/*
 * Goes on only after a WIRE_READY from a process one may send to; exits
 * otherwise, saying why.
 */
static void
check_answer(const struct send_options *o, const struct outgoing *out,
    const struct outcome *v, const struct fdp_peer *who)
{
	const char *why;

	if (v->what != WIRE_READY)
		refused(o, out, v);
	if ((why = access_refusal(&o->sock.access, who)) != NULL)
		errx(1, "send to %s: the receiving process, pid %ld: %s",
		    o->socket_arg, (long)who->pid, why);
}

/*
 * Offers the transfer on sock and checks who answers: the process that
 * will take the descriptors, which need not be the one that listened.
 * The names a receiver asks for first go only to a process so checked.
 * Returns 0 to go on, with the answer in *v for transfer_send (its status
 * says whether the receiver passes signals on), or -1 when the peer went
 * away without an answer; exits when it says no or is not one to send to.
 */
static int
offer(const struct send_options *o, const struct outgoing *out, int sock,
    const struct deadline *d, struct outcome *v)
{
	struct fdp_peer who;

	if (transfer_propose(sock, out, d, v, &who) == -1)
		return offer_failed(o);
	check_answer(o, out, v, &who);
	if (!(v->status & WIRE_NAMES_FIRST))
		return 0;
	if (transfer_propose_names(sock, out, d, v, &who) == -1)
		return offer_failed(o);
	check_answer(o, out, v, &who);
	return 0;
}

/*
 * Sends the transfer on sock and, when it asks for one, waits for the
 * verdict.  The watch made while the receiver was awaited, unless NULL,
 * is closed once all is sent, while the receiver places and execs instead
 * of waiting for us.  With --wait, the signals that would end send go on
 * to the receiver's command meanwhile, if the receiver said it passes
 * them on.  Returns send's exit status, or -1 when the peer went away
 * without taking anything.
 */
static int
send_on(const struct send_options *o, const struct payload *p,
    const struct outgoing *out, int sock, const struct deadline *d,
    struct appear *watch)
{
	struct outcome answer = { 0 };

	if ((out->flags & WIRE_PROVE) && offer(o, out, sock, d, &answer) == -1)
		return -1;
	/*
	 * The offer found that it fits; without one, that is checked here
	 * before any file is emptied, as a send that fails so must leave the
	 * files whole.
	 */
	if (!(out->flags & WIRE_PROVE) && payload_truncates(p) &&
	    transfer_check(sock, out) == -1)
		send_failed(o);
	payload_truncate(p);
	if (transfer_send(sock, out, &answer) == -1) {
		if (errno != EPIPE && errno != ECONNRESET)
			send_failed(o);
		/*
		 * One that said READY has the descriptors, and may have said
		 * why it stopped reading the rest, as one that cannot print.
		 */
		if (!(out->flags & WIRE_PROVE))
			return -1;
		return await_verdict(o, out, sock, d);
	}
	/*
	 * The descriptors crossed: the receiver may be using a file made for
	 * them already, whether or not its answer comes in time.
	 */
	cleanup_made_delivered();
	if (watch != NULL)
		appear_close(watch);
	if (!(out->flags & WIRE_ACK))
		return 0;
	if (o->wait && (answer.status & WIRE_READY_SIGNALS) &&
	    forward_signals(sock) == -1)
		err(1, "signals");
	return await_verdict(o, out, sock, d);
}

/*
 * send --listen: sends to the first peer that takes the transfer.  One
 * that leaves without taking it, as another listener's probe for a stale
 * socket does, is passed over, and the data file rewound for the next.
 * Returns send's exit status.
 */
int
send_listening(const struct send_options *o, const struct payload *p,
    const struct outgoing *out, const struct deadline *d)
{
	const struct listener *l;
	struct fdp_peer peer;
	int sock, status;

	l = endpoint_listen(o->socket_arg, o->sock.type, o->sock.mode);
	for (;;) {
		sock = endpoint_accept(l, o->socket_arg, &o->sock.access, d,
		    &peer);
		status = send_on(o, p, out, sock, d, NULL);
		dispose_connection(sock);
		if (status != -1)
			break;
		if (out->data_fd != -1 && lseek(out->data_fd, p->data_fd_start,
		    SEEK_SET) == -1)
			err(1, "--data-file %s", o->data_file);
	}
	endpoint_close();
	return status;
}

/*
 * Sends the transfer on the socket send connects to (or was given), and
 * waits for the receiver's word as the options ask.  Returns send's exit
 * status; exits 1 when the receiver hung up without taking anything.
 */
int
send_connected(const struct send_options *o, const struct payload *p,
    const struct outgoing *out, const struct deadline *d)
{
	struct appear watch = { -1 };	/* closed by send_on */
	int sock, status;

	sock = connected_socket(o, d, &watch);
	status = send_on(o, p, out, sock, d, &watch);
	if (status == -1)
		errx(1, "send to %s: the receiver hung up without taking the "
		    "descriptors", o->socket_arg);
	/* --stdout's socket is closed, and checked, at exit (stdstreams.c). */
	if (sock != STDOUT_FILENO)
		dispose_own_socket(sock, o->fdstore_name != NULL ? SOCK_DGRAM :
		    o->sock.type);
	return status;
}
