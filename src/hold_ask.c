/*
 * Asking a holder: hold --list and --remove.  Each connects, checks that
 * the holder passes the access rules, sends its request (request.c) and
 * reports the answer; a listing is a fetch of everything, described as
 * recv describes what it received, its copies then disposed of.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "access.h"
#include "dispose.h"
#include "endpoint.h"
#include "hold.h"
#include "render.h"
#include "request.h"
#include "transfer.h"

/* Connects to the holder, checked, and sends it a request. */
static int
ask(const struct hold_options *o, int flags, const struct deadline *d)
{
	struct fdp_peer peer;
	int sock;

	sock = endpoint_connect(o->socket_arg, SOCK_STREAM, &o->sock.access,
	    d, &peer, NULL);
	if (request_send(sock, flags, o->remove, o->nremove, d) == -1)
		err(1, "hold %s", o->socket_arg);
	return sock;
}

/* Reports an answer other than what was asked for, and exits 1. */
static void __attribute__((noreturn))
not_answered(const struct hold_options *o, const struct outcome *v)
{
	if (v->what == WIRE_DECLINED && v->status == WIRE_NOT_HOLDER)
		errx(1, "hold %s: not a holder (fdpass hold)", o->socket_arg);
	if (v->what == WIRE_DECLINED && v->status == WIRE_NOT_HELD &&
	    o->nremove == 1)
		errx(1, "hold %s: nothing held under %s", o->socket_arg,
		    o->remove[0]);
	if (v->what == WIRE_DECLINED && v->status == WIRE_NOT_HELD)
		errx(1, "hold %s: nothing held under one of the names; none "
		    "removed", o->socket_arg);
	if (v->what == WIRE_DECLINED && v->status == WIRE_TOO_MANY_FDS)
		errx(1, "hold %s: the holder could not copy them (out of "
		    "descriptors or memory)", o->socket_arg);
	errx(1, "hold %s: the holder refused", o->socket_arg);
}

/*
 * The holder must be one the access rules allow, as the process that
 * sends the descriptors; and what it sends must be descriptors.
 */
static int
vet_holder(struct receiver *r, const struct wire_header *h, void *arg)
{
	const struct access *acc = arg;

	if (!r->sender_known || r->sender.pid == 0) {
		r->why = "the holder's credentials are unknown";
		return -1;
	}
	if ((r->why = access_refusal(acc, &r->sender)) != NULL)
		return -1;
	if (h == NULL || (h->flags & WIRE_REQUESTS) || h->data_len > 0) {
		r->why = "no list from a holder";
		return -1;
	}
	return 0;
}

/* hold --list: prints a line per descriptor held.  Returns 0. */
int
hold_list(const struct hold_options *o)
{
	static struct receiver r;
	struct deadline d;
	struct outcome v;
	struct rlimit rl;
	int sock, n;

	/* Room for a copy of all a holder holds, which runs no command. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	deadline_set_ms(&d, o->sock.timeout_ms);
	sock = ask(o, WIRE_FETCH, &d);
	if ((n = request_declined(sock, &d, &v)) == 1)
		not_answered(o, &v);
	if (n == -1 || receiver_init(&r, sock, &d) == -1)
		err(1, "hold %s", o->socket_arg);
	r.vet = vet_holder;
	r.vet_arg = (void *)&o->sock.access;
	if ((n = receiver_next(&r, SIZE_MAX)) != 1) {
		if (n == 0)
			errx(1, "hold %s: the holder hung up", o->socket_arg);
		if (r.why != NULL)
			errx(1, "hold %s: %s", o->socket_arg, r.why);
		err(1, "hold %s", o->socket_arg);
	}
	render_held(stdout, &r, o->json);
	receiver_release(&r);
	dispose_connection(sock);
	return 0;
}

/* hold --remove: drops what the names hold.  Returns 0. */
int
hold_remove(const struct hold_options *o)
{
	struct deadline d;
	struct outcome v;
	int sock;

	deadline_set_ms(&d, o->sock.timeout_ms);
	sock = ask(o, WIRE_REMOVE, &d);
	if (transfer_await(sock, 0, &d, &v) == -1) {
		if (errno == ECONNRESET)
			errx(1, "hold %s: the holder hung up without an "
			    "answer", o->socket_arg);
		err(1, "hold %s", o->socket_arg);
	}
	if (v.what != WIRE_DELIVERED)
		not_answered(o, &v);
	dispose_connection(sock);
	return 0;
}
