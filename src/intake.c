/*
 * Taking in what a sender sends, for receiver.c: its bytes into the
 * receiver's buffer, its descriptors kept, its credentials noted, each
 * read by the receiver's deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "dispose.h"
#include "fds_free.h"
#include "intake.h"
#include "wire.h"

/* Records a protocol failure: why for the user, EBADMSG for the caller. */
int
intake_fail(struct receiver *r, const char *why)
{
	r->why = why;
	errno = EBADMSG;
	return -1;
}

/* Makes room for n more descriptors in r. */
static int
grow(struct receiver *r, size_t n)
{
	size_t cap;
	int *fds;
	char **names;

	if (r->nfds + n <= r->cap)
		return 0;
	cap = r->cap * 2 > r->nfds + n ? r->cap * 2 : r->nfds + n;
	if ((fds = reallocarray(r->fds, cap, sizeof(*fds))) == NULL)
		return -1;
	r->fds = fds;
	if ((names = reallocarray(r->names, cap, sizeof(*names))) == NULL)
		return -1;
	r->names = names;
	r->cap = cap;
	return 0;
}

/*
 * Notes who sent what was read: the credentials the kernel reports for
 * the first read since the buffer was last filled, and whether a later
 * one came from another process.  The kernel never joins two senders'
 * messages in one read.
 */
static void
note_sender(struct receiver *r, const struct fdp_ancil *item)
{
	struct fdp_peer who;

	if (fdp_credentials(item, &who) == -1)
		return;
	/* Queued before credentials were asked for: as if none came. */
	if (who.pid == 0 && r->queued_unnamed)
		return;
	if (r->sender_known && (who.pid != r->sender.pid ||
	    who.uid != r->sender.uid || who.gid != r->sender.gid)) {
		r->sender_mixed = 1;
		return;
	}
	r->sender = who;
	r->sender_known = 1;
}

/*
 * Keeps the descriptors an fdp_recv of len bytes found, unnamed, while
 * they stay within r->limit and came as SCM_RIGHTS, and notes the
 * sender's credentials; disposes of the descriptors if any other item
 * came.  The end of a stream is no message: the credentials the kernel
 * attaches to it (pid 0) name nobody.
 */
static int
keep_fds(struct receiver *r, const struct fdp_control *ctl, ssize_t len)
{
	size_t i, n = 0;

	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].level == SOL_SOCKET &&
		    ctl->items[i].type == SCM_CREDENTIALS)
			continue;
		if (ctl->items[i].level != SOL_SOCKET ||
		    ctl->items[i].type != SCM_RIGHTS) {
			dispose_rights(ctl);
			return intake_fail(r, "unexpected control message");
		}
		n += ctl->items[i].len / sizeof(int);
	}
	for (i = 0; i < ctl->nitems && (len > 0 || n > 0); i++)
		if (ctl->items[i].type == SCM_CREDENTIALS)
			note_sender(r, &ctl->items[i]);
	if (n > r->limit - r->nfds) {
		dispose_rights(ctl);
		return intake_fail(r, "more descriptors than expected");
	}
	if (grow(r, n) == -1) {
		dispose_rights(ctl);
		return -1;
	}
	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].type != SCM_RIGHTS)
			continue;
		memcpy(r->fds + r->nfds, ctl->items[i].data,
		    ctl->items[i].len);
		n = ctl->items[i].len / sizeof(int);
		memset(r->names + r->nfds, 0, n * sizeof(*r->names));
		r->nfds += n;
	}
	return 0;
}

/*
 * Takes a message of size bytes, more than there is room for, whole into
 * memory of its own: cut short, fdp_recv would close its descriptors
 * itself, and the last close may wait (dispose.c).  So they are r's, to
 * be disposed of, and the message is refused as too long.
 */
static int
take_too_long(struct receiver *r, size_t size)
{
	struct transfer_control c;
	struct iovec iov = { malloc(size), size };
	ssize_t n;

	if (iov.iov_base == NULL)
		return -1;
	transfer_control_init(&c);
	n = fdp_recv(r->sock, &iov, 1, &c.ctl, MSG_DONTWAIT);
	free(iov.iov_base);
	if (n == -1 || keep_fds(r, &c.ctl, n) == -1)
		return -1;
	return intake_fail(r, "message truncated (MSG_TRUNC)");
}

/*
 * Whatever is read next may bring as many descriptors as a message can:
 * promises a number for each, as the kernel closes here, maybe waiting,
 * those it finds none for.  Numbers promised to other threads' reads (the
 * holder's clients) come back as those end, so for them it waits, by r's
 * deadline.
 */
static int
promise_room(struct receiver *r)
{
	while (fds_promise(FDP_MAX_FDS_PER_MSG) == -1)
		if (errno != EAGAIN || deadline_sleep(r->deadline,
		    FDS_PROMISE_RETRY_MS) == -1)
			return intake_fail(r, "no room for another message's "
			    "descriptors (RLIMIT_NOFILE)");
	return 0;
}

/*
 * Reads what has come into iov, its control into *c, without waiting; a
 * message longer than iov is taken whole and refused.
 */
static ssize_t
read_what_came(struct receiver *r, struct iovec *iov,
    struct transfer_control *c, int flags)
{
	ssize_t n;

	/* A message's whole length; a peek without control takes no fds. */
	if (r->type != SOCK_STREAM && (n = recv(r->sock, NULL, 0,
	    MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT)) > (ssize_t)iov->iov_len)
		return take_too_long(r, n);
	return fdp_recv(r->sock, iov, 1, &c->ctl, flags | MSG_DONTWAIT);
}

/*
 * Reads up to len bytes into dst, keeping any descriptors they bring.
 * Without MSG_DONTWAIT in flags, it waits for them by r's deadline; the
 * read itself never waits, as poll may find a socket readable that a
 * read finds nothing on.  Either way it may wait, by the deadline too,
 * for numbers promised to other threads' reads.
 */
ssize_t
intake_recv(struct receiver *r, void *dst, size_t len, int flags)
{
	struct transfer_control c;
	struct iovec iov = { dst, len };
	ssize_t n;

	transfer_control_init(&c);
	do {
		if (!(flags & MSG_DONTWAIT) &&
		    deadline_wait(r->deadline, r->sock, POLLIN) == -1)
			return -1;
		if (promise_room(r) == -1)
			return -1;
		n = read_what_came(r, &iov, &c, flags);
		fds_unpromise(FDP_MAX_FDS_PER_MSG);
	} while (n == -1 && errno == EAGAIN && !(flags & MSG_DONTWAIT));
	if (n == -1) {
		if (errno == EMSGSIZE)
			r->why = c.ctl.msg_flags & MSG_CTRUNC ?
			    "control data truncated (MSG_CTRUNC)" :
			    "message truncated (MSG_TRUNC)";
		return -1;
	}
	if (keep_fds(r, &c.ctl, n) == -1)
		return -1;
	/* Once its sender passed, the whole transfer is that process's. */
	if (r->sender_vetted && r->sender_mixed)
		return intake_fail(r, "part of the transfer came from another process "
		    "than its header");
	return n;
}

/*
 * Tells whether the len bytes in buf could still begin a header: they
 * are shorter than one, and as far as they go they are the magic.
 */
static int
header_begun(const unsigned char *buf, size_t len)
{
	size_t n = len < WIRE_MAGIC_SIZE ? len : WIRE_MAGIC_SIZE;

	return len < WIRE_HEADER_SIZE && memcmp(buf, WIRE_MAGIC, n) == 0;
}

/*
 * Reads the first bytes of a transfer into the empty buffer; 0 at end of
 * file.  On a stream, only a header's worth: a longer read would run on
 * into the next transfer and take its descriptors, as the kernel joins
 * data up to the next message that carries some.  A header may come in
 * pieces, so while what came could still be one, it reads on.  A plain
 * sender's message may be longer than a header, so for one the rest of
 * what has already arrived is added.  That may take in the plain sender's
 * next batch of descriptors too; the NUL byte such a batch rides on is no
 * data.  Descriptors that come while a header is still incomplete are
 * refused at once: nothing has vetted them, and a sender feeding a header
 * in pieces could otherwise pile up a batch with each piece.  But bytes
 * short of the magic ("F", "FD") with descriptors are a plain message:
 * the descriptors end it, as they end any plain message.
 */
ssize_t
intake_fill(struct receiver *r)
{
	size_t want = sizeof(r->buf), had = r->nfds;
	ssize_t n, more;

	if (r->type == SOCK_STREAM)
		want = WIRE_HEADER_SIZE;
	r->off = r->len = 0;
	r->sender_known = r->sender_mixed = r->sender_vetted = 0;
	if ((n = intake_recv(r, r->buf, want, 0)) <= 0)
		return n;
	r->len = n;
	while (r->type == SOCK_STREAM && header_begun(r->buf, r->len)) {
		if (r->nfds > had && r->len < WIRE_MAGIC_SIZE)
			break;
		if (r->nfds > had)
			return intake_fail(r, "descriptors came before the header "
			    "was whole");
		if ((more = intake_recv(r, r->buf + r->len, want - r->len,
		    0)) == -1)
			return -1;
		if (more == 0)
			break;
		r->len += more;
	}
	if (r->type == SOCK_STREAM && r->len == want &&
	    !wire_is_framed(r->buf, r->len)) {
		had = r->nfds;
		more = intake_recv(r, r->buf + r->len, sizeof(r->buf) - r->len,
		    MSG_DONTWAIT);
		if (more == -1 && errno != EAGAIN)
			return -1;
		if (more > 0)
			r->len += more;
		if (more > 0 && r->nfds > had && r->buf[r->len - 1] == '\0')
			r->len--;
	}
	return r->len;
}

/*
 * Copies the next len bytes of the transfer to dst: what is buffered, then
 * straight from the socket.  The whole of a datagram is in the buffer, so
 * there a shortfall means the message was cut short.
 */
int
intake_take(struct receiver *r, void *dst, size_t len)
{
	size_t got = r->len - r->off < len ? r->len - r->off : len;
	ssize_t n;

	memcpy(dst, r->buf + r->off, got);
	r->off += got;
	while (got < len) {
		if (r->type != SOCK_STREAM)
			return intake_fail(r, "message shorter than its header says");
		if ((n = intake_recv(r, (char *)dst + got, len - got, 0)) == -1)
			return -1;
		if (n == 0)
			return intake_fail(r, "connection closed in mid-transfer");
		got += n;
	}
	return 0;
}

/*
 * Tells whether something that no transfer taken so far accounts for
 * already waits on r's socket: bytes, or descriptors, which an empty
 * message may bring.  Peeked with room for the credentials SO_PASSCRED
 * attaches and none for descriptors, so that any it carries stay the
 * kernel's (MSG_CTRUNC says they are there).
 */
int
intake_more_waits(const struct receiver *r)
{
	char c, ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { &c, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n;

	do
		n = recvmsg(r->sock, &msg, MSG_PEEK | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n > 0 || (n == 0 && (msg.msg_flags & MSG_CTRUNC));
}
