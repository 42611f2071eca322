/*
 * The receiving side of a transfer: framed transfers or plain messages
 * taken apart, the descriptors they bring kept until the caller takes
 * them, and the replies sent back.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
#include "intake.h"
#include "msg.h"
#include "transfer.h"
#include "wire.h"

/* Fills in an SCM_CREDENTIALS item for this process; the kernel checks it. */
void
transfer_credentials(struct ucred *uc, struct fdp_ancil *item)
{
	uc->pid = getpid();
	uc->uid = geteuid();
	uc->gid = getegid();
	item->level = SOL_SOCKET;
	item->type = SCM_CREDENTIALS;
	item->len = sizeof(*uc);
	item->data = uc;
}

/* Points c->ctl at c's own buffer and items, for one fdp_recv or more. */
void
transfer_control_init(struct transfer_control *c)
{
	c->ctl = (struct fdp_control){ c->space.bytes, sizeof(c->space.bytes),
	    c->items, sizeof(c->items) / sizeof(c->items[0]), 0, 0 };
}

/*
 * Sets up r to receive from sock; deadline may be NULL.  It asks for the
 * credentials of each message's sender from now on: a sender that did
 * not attach its own gets them attached only when the option is set
 * before it sends.  What was queued before it was set comes with pid 0,
 * which names nobody; afterwards, pid 0 is a sender the kernel will not
 * name (in another pid namespace), which is refused.  Urgent data is
 * read in line (fdp_urgent_inline).
 */
int
receiver_init(struct receiver *r, int sock, const struct deadline *deadline)
{
	int type, was = 0, on = 1;
	socklen_t len = sizeof(type), wlen = sizeof(was);

	memset(r, 0, offsetof(struct receiver, buf));
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    getsockopt(sock, SOL_SOCKET, SO_PASSCRED, &was, &wlen) == -1)
		return -1;
	if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    fdp_urgent_inline(sock) == -1)
		return -1;
	r->queued_unnamed = !was;
	r->sock = sock;
	r->type = type;
	r->deadline = deadline;
	return 0;
}

/*
 * Takes the names list of len bytes, nfds names, and keeps it split in
 * r->ahead until the descriptors it names have come.
 */
static int
read_names(struct receiver *r, size_t nfds, size_t len)
{
	char *list, **split = NULL;

	if ((list = malloc(len)) == NULL ||
	    (split = reallocarray(NULL, nfds, sizeof(*split))) == NULL)
		goto fail;
	if (intake_take(r, list, len) == -1)
		goto fail;
	if (wire_split_names(list, len, nfds, split) == -1) {
		intake_fail(r, "bad descriptor names");
		goto fail;
	}
	r->ahead = split;
	r->ahead_list = list;
	return 0;
fail:
	free(list);
	free(split);
	return -1;
}

/* Forgets the names r->ahead holds, attached or not. */
static void
drop_names(struct receiver *r)
{
	free(r->ahead);
	free(r->ahead_list);
	r->ahead = NULL;
	r->ahead_list = NULL;
}

/*
 * Attaches the names, taken now or ahead of the descriptors, to the last
 * nfds descriptors.
 */
static int
take_names(struct receiver *r, size_t nfds, size_t len)
{
	size_t i, first = r->nfds - nfds;

	if (len == 0)
		return 0;
	if (r->ahead == NULL && read_names(r, nfds, len) == -1)
		return -1;
	for (i = 0; i < nfds; i++) {
		if (r->ahead[i] != NULL &&
		    (r->names[first + i] = strdup(r->ahead[i])) == NULL)
			return -1;
	}
	drop_names(r);
	return 0;
}

/*
 * Tells a WIRE_PROVE sender, with our credentials, to send the rest, or
 * with status WIRE_NAMES_FIRST its names first; and one that waits for
 * the command that it may forward signals to it (forward.c).
 */
static int
answer_ready(struct receiver *r, int status)
{
	unsigned char reply[WIRE_REPLY_SIZE];
	struct iovec iov = { reply, sizeof(reply) };
	struct fdp_ancil cred;
	struct ucred uc;

	if (r->flags & WIRE_WAIT)
		status |= WIRE_READY_SIGNALS;
	wire_encode_reply(WIRE_READY, status, reply);
	transfer_credentials(&uc, &cred);
	return fdp_send(r->sock, &iov, 1, &cred, 1, 0) == -1 ? -1 : 0;
}

/*
 * Reads what a sender sends once answered into the empty buffer: on a
 * seqpacket socket its next message, on a stream want bytes (none: the
 * rest is read as it is taken).
 */
static int
read_next(struct receiver *r, size_t before, size_t want)
{
	ssize_t n;

	r->off = r->len = 0;
	if (r->type == SOCK_STREAM && want == 0)
		return 0;
	if ((n = intake_recv(r, r->buf, r->type == SOCK_STREAM ? want :
	    sizeof(r->buf), 0)) == -1)
		return -1;
	if (n == 0 && r->nfds == before)
		return intake_fail(r, "connection closed in mid-transfer");
	r->len = n;
	return 0;
}

/*
 * Asks r->vet about the transfer that begins in the buffer, h its header
 * or NULL for a plain message, once it is known to have come from one
 * process; from then on, what comes from another is refused.  Returns
 * 0, 1 when r->vet wants the names before it decides, or -1.
 */
static int
vet(struct receiver *r, const struct wire_header *h)
{
	int verdict = 0;

	if (r->sender_mixed)
		return intake_fail(r, "the transfer came from more than one process");
	if (r->vet != NULL && (verdict = r->vet(r, h, r->vet_arg)) == -1)
		return intake_fail(r, r->why);
	/* What fails from here on says why itself, or errno does. */
	r->why = NULL;
	r->sender_vetted = 1;
	return verdict;
}

/*
 * Asks a WIRE_PROVE sender for its names first, vets the transfer again
 * with them and answers again: returns 1.  A sender of 1.0.0 sends the
 * rest instead, its first batch of descriptors on a NUL byte: returns 0,
 * its names to come in their place and to be checked at the hand-over.
 */
static int
ask_names(struct receiver *r, const struct wire_header *h, size_t before)
{
	if (answer_ready(r, WIRE_NAMES_FIRST) == -1 ||
	    read_next(r, before, 1) == -1)
		return -1;
	if (r->nfds > before)
		return 0;
	if (read_names(r, h->nfds, h->names_len) == -1)
		return -1;
	if (r->nfds > before)
		return intake_fail(r, "descriptors came with the names");
	if (r->off != r->len)
		return intake_fail(r, "message longer than its names");
	if (vet(r, h) == -1)
		return -1;
	return answer_ready(r, 0) == -1 ? -1 : 1;
}

/*
 * Answers a header that came alone, as WIRE_PROVE asks, with names first
 * if wanted, and on a seqpacket socket reads the message with the rest of
 * the transfer, if the header announced any.
 */
static int
answer_proof(struct receiver *r, const struct wire_header *h, size_t before,
    int names_wanted)
{
	int asked;

	if (r->type == SOCK_DGRAM)
		return intake_fail(r, "bad header");
	if (r->nfds > before)
		return intake_fail(r, "descriptors came with a lone header");
	if (r->off != r->len)
		return intake_fail(r, "message longer than its header says");
	if (names_wanted && h->names_len > 0) {
		if ((asked = ask_names(r, h, before)) != 1)
			return asked;
	} else if (answer_ready(r, 0) == -1)
		return -1;
	if (h->nfds + (uint64_t)h->names_len + h->data_len == 0)
		return 0;
	return read_next(r, before, 0);
}

/*
 * Receives the rest of a framed transfer whose header is buffered; r held
 * "before" descriptors when the transfer began.
 */
static int
next_framed(struct receiver *r, size_t before)
{
	struct wire_header h;
	size_t batches;
	unsigned char header[WIRE_HEADER_SIZE], nul;
	int vetted = 0;

	if (intake_take(r, header, sizeof(header)) == -1)
		return -1;
	if (wire_decode(header, sizeof(header), &h) == -1)
		return intake_fail(r, errno == EPROTONOSUPPORT ?
		    "unsupported protocol version" : "bad header");
	/*
	 * Known from here on, so that even a refusal can be reported; a
	 * datagram has nobody to report to.
	 */
	if (r->type != SOCK_DGRAM)
		r->flags |= h.flags;
	if ((vetted = vet(r, &h)) == -1)
		return -1;
	if (h.nfds > r->limit - before)
		return intake_fail(r, "more descriptors than expected");
	r->limit = before + h.nfds;
	if (r->nfds > r->limit)
		return intake_fail(r, "more descriptors than the header says");
	batches = (h.nfds + FDP_MAX_FDS_PER_MSG - 1) / FDP_MAX_FDS_PER_MSG;
	/* After a header alone, the first batch too rides on a NUL byte. */
	if (h.flags & WIRE_PROVE) {
		if (answer_proof(r, &h, before, vetted == 1) == -1)
			return -1;
		batches++;
	}
	while (batches-- > 1) {
		if (intake_take(r, &nul, 1) == -1)
			return -1;
		if (nul != '\0')
			return intake_fail(r, "bad batch marker");
	}
	if (r->nfds != r->limit)
		return intake_fail(r, "fewer descriptors than the header says");
	if (take_names(r, h.nfds, h.names_len) == -1)
		return -1;
	/* What a message holds beyond its transfer cannot be meant. */
	if (r->type != SOCK_STREAM && r->len - r->off > h.data_len)
		return intake_fail(r, "message longer than its header says");
	r->framed = 1;
	r->data_left = h.data_len;
	return 0;
}

/*
 * Receives the next transfer, adding its descriptors to r's, as long as
 * r holds no more than limit in all.  Data, if any, is then read with
 * receiver_data.  Returns 1, or 0 at end of file before a transfer began.
 * On failure the descriptors stay with r (receiver_release closes them)
 * and r->why says what was wrong with the message, when that was it.
 */
int
receiver_next(struct receiver *r, size_t limit)
{
	size_t before = r->nfds;
	ssize_t n;

	r->framed = 0;
	r->data_left = 0;
	/* A vet counts those of earlier transfers: these may have come too. */
	r->first = before;
	if (r->off == r->len) {
		/*
		 * The limit waits until the header is read: a sender that
		 * asked for a reply gets one even when refused for it.
		 */
		r->limit = SIZE_MAX;
		if ((n = intake_fill(r)) == -1)
			return -1;
		/*
		 * An empty datagram is a message; on a stream or seqpacket
		 * socket, reading nothing means the peer has gone, unless
		 * descriptors came with an empty seqpacket message.
		 */
		if (n == 0 && r->type != SOCK_DGRAM && r->nfds == before)
			return 0;
	}
	r->limit = limit;
	/* The header comes whole in the first message of a transfer. */
	if (wire_is_framed(r->buf + r->off, r->len - r->off)) {
		if (next_framed(r, before) == -1)
			return -1;
		return 1;
	}
	if (r->nfds > limit)
		return intake_fail(r, "more descriptors than expected");
	/* A plain message: its sender, where known, passes the rules too. */
	if (vet(r, NULL) == -1)
		return -1;
	/*
	 * A plain message: its data is what came with its descriptors, but
	 * for a lone NUL byte, the usual carrier of descriptors without data
	 * (fdp_send_fds sends one, as do nc -F and ssh's ProxyUseFdpass).
	 */
	if (r->len - r->off == 1 && r->buf[r->off] == '\0' && r->nfds > before)
		r->off++;
	r->data_left = r->len - r->off;
	/*
	 * A stream keeps no ends of messages: one that filled the buffer
	 * with more waiting would be cut short, unseen.
	 */
	_Static_assert(RECEIVER_BUF == 65536, "the message below says 65536");
	if (r->type == SOCK_STREAM && r->len == sizeof(r->buf) &&
	    intake_more_waits(r))
		return intake_fail(r, "a plain message longer than 65536 bytes");
	return 1;
}

/*
 * After the last transfer, when it was a plain message on a stream
 * socket: checks that nothing more waits there, such as a message that
 * no --count asked for, or data written after the message, which closing
 * the socket would lose unseen.  0, or -1 with r->why set.
 */
int
receiver_plain_end(struct receiver *r)
{
	if (r->framed || r->type != SOCK_STREAM || !intake_more_waits(r))
		return 0;
	return intake_fail(r, "more came after the transfer (see --count)");
}

/*
 * Shuts r's connection for reading, so that nothing more can come on it
 * (the sender's writes fail), and tells whether something already had:
 * closing the connection would drop the descriptors it may bring.
 */
int
receiver_shut(struct receiver *r)
{
	shutdown(r->sock, SHUT_RD);
	return intake_more_waits(r);
}

/*
 * Reads up to len data bytes of the current transfer, as read(2) would:
 * what is buffered, or else what one read of the socket brings.  Returns 0
 * at the end of the data.
 */
ssize_t
receiver_data(struct receiver *r, void *buf, size_t len)
{
	ssize_t n;

	if (len > r->data_left)
		len = r->data_left;
	if (len == 0)
		return 0;
	if (r->off < r->len) {
		n = r->len - r->off < len ? r->len - r->off : len;
		memcpy(buf, r->buf + r->off, n);
		r->off += n;
	} else {
		if (r->type != SOCK_STREAM)
			return intake_fail(r, "message shorter than its header says");
		/* No further descriptors may come with the data. */
		r->limit = r->nfds;
		if ((n = intake_recv(r, buf, len, 0)) == -1)
			return -1;
		if (n == 0)
			return intake_fail(r, "connection closed in mid-transfer");
	}
	r->data_left -= n;
	return n;
}

/*
 * Disposes of the descriptors r still holds, never waiting in close(2)
 * (dispose.c says why), and frees what it allocated.
 */
void
receiver_release(struct receiver *r)
{
	size_t i;

	dispose_fds(r->fds, r->nfds);
	for (i = 0; i < r->nfds; i++)
		free(r->names[i]);
	free(r->fds);
	free(r->names);
	drop_names(r);
	r->fds = NULL;
	r->names = NULL;
	r->nfds = r->cap = 0;
}

/* Sends the receiver's reply about the transfers on sock. */
int
transfer_reply(int sock, enum wire_reply what, int status)
{
	unsigned char reply[WIRE_REPLY_SIZE];
	struct iovec iov = { reply, sizeof(reply) };

	wire_encode_reply(what, status, reply);
	return fdp_send(sock, &iov, 1, NULL, 0, 0) == -1 ? -1 : 0;
}
