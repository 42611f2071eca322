/*
 * Sending and receiving whole transfers.
 *
 * On the wire, in this order: the header with the first batch of at most
 * FDP_MAX_FDS_PER_MSG descriptors; for each further batch one NUL byte
 * carrying it; the names; the data.  With a single batch everything from
 * memory goes out in one sendmsg.  On a datagram or seqpacket socket the
 * whole transfer is one message.
 *
 * With WIRE_PROVE the header goes alone, with the sender's credentials,
 * and the receiver answers WIRE_READY, with its own, or WIRE_DECLINED;
 * after WIRE_READY the first batch too rides on a NUL byte, and on a
 * seqpacket socket the rest of the transfer is a second message.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "transfer.h"
#include "wire.h"

#define COPY_CHUNK	65536

/* Room for a message's descriptors and the credentials of its sender. */
#define CONTROL_SPACE \
	(FDP_RIGHTS_SPACE + CMSG_SPACE(sizeof(struct ucred)))

/* Fills in an SCM_CREDENTIALS item for this process; the kernel checks it. */
static void
own_credentials(struct ucred *uc, struct fdp_ancil *item)
{
	uc->pid = getpid();
	uc->uid = geteuid();
	uc->gid = getegid();
	item->level = SOL_SOCKET;
	item->type = SCM_CREDENTIALS;
	item->len = sizeof(*uc);
	item->data = uc;
}

/*
 * Lays the names out as NUL-terminated strings in *list, NULL with *len 0
 * when no descriptor has a name.
 */
static int
join_names(const struct outgoing *out, char **list, size_t *len)
{
	size_t i, total = 0, n;
	int any = 0;
	char *p;

	*list = NULL;
	*len = 0;
	if (out->names == NULL)
		return 0;
	for (i = 0; i < out->nfds; i++) {
		if (out->names[i] != NULL) {
			any = 1;
			total += strlen(out->names[i]);
		}
		total++;
	}
	if (!any)
		return 0;
	if ((*list = malloc(total)) == NULL)
		return -1;
	for (i = 0, p = *list; i < out->nfds; i++) {
		n = out->names[i] != NULL ? strlen(out->names[i]) : 0;
		memcpy(p, out->names[i] != NULL ? out->names[i] : "", n);
		p[n] = '\0';
		p += n + 1;
	}
	*len = total;
	return 0;
}

/*
 * Sends all of iov (at most 3 iovecs), the items with its first byte, by
 * the deadline d: on a full socket it waits with poll(2) for room until
 * then, and fails with ETIMEDOUT; with no deadline, for as long as it
 * takes.  The socket may be blocking or not.
 */
static int
send_within(int sock, const struct iovec *iov, size_t iovcnt,
    const struct fdp_ancil *items, size_t nitems, const struct deadline *d)
{
	struct iovec win[3];
	size_t first = 0, left = 0, i;
	ssize_t n;

	if (iovcnt > sizeof(win) / sizeof(win[0])) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < iovcnt; i++) {
		win[i] = iov[i];
		left += iov[i].iov_len;
	}
	while (left > 0) {
		if (deadline_remaining_ms(d) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Tried first, to spare a poll(2) while the peer keeps up. */
		n = fdp_send(sock, win + first, iovcnt - first, items, nitems,
		    MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN) {
			if (deadline_wait(d, sock, POLLOUT) == -1)
				return -1;
			continue;
		}
		if (n == -1)
			return -1;
		/* The items went with the first byte. */
		nitems = 0;
		left -= n;
		for (; first < iovcnt && (size_t)n >= win[first].iov_len;
		    first++)
			n -= win[first].iov_len;
		if (first < iovcnt) {
			win[first].iov_base = (char *)win[first].iov_base + n;
			win[first].iov_len -= n;
		}
	}
	return 0;
}

/* Sends one batch of fdp_send_batches by the deadline arg points to. */
static int
send_batch(int sock, const struct iovec *iov, const struct fdp_ancil *items,
    size_t nitems, void *arg)
{
	return send_within(sock, iov, 1, items, nitems, arg);
}

/*
 * Sends exactly len bytes read from fd by the deadline d, failing with EIO
 * if it ends early.
 */
static int
send_file_bytes(int sock, int fd, uint64_t len, const struct deadline *d)
{
	unsigned char buf[COPY_CHUNK];
	struct iovec iov;
	ssize_t n;

	while (len > 0) {
		n = read(fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		iov.iov_base = buf;
		iov.iov_len = n;
		if (send_within(sock, &iov, 1, NULL, 0, d) == -1)
			return -1;
		len -= n;
	}
	return 0;
}

/*
 * Checks that out can go on sock and lays out its header and names list
 * (*names to be freed).  On a datagram or seqpacket socket it must fit
 * one message: at most FDP_MAX_FDS_PER_MSG descriptors and no data_fd
 * (EMSGSIZE otherwise).
 */
static int
prepare(int sock, const struct outgoing *out, unsigned char *header,
    char **names, size_t *names_len)
{
	struct wire_header h = { WIRE_VERSION, 0, 0, 0, 0 };
	int type;
	socklen_t tlen = sizeof(type);

	*names = NULL;
	*names_len = 0;
	if (out->nfds > WIRE_MAX_FDS) {
		errno = EMSGSIZE;
		return -1;
	}
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1)
		return -1;
	if (type != SOCK_STREAM && (out->nfds > FDP_MAX_FDS_PER_MSG ||
	    out->data_fd != -1)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (out->raw)
		return 0;
	if (join_names(out, names, names_len) == -1)
		return -1;
	/* The receiver reads a datagram into RECEIVER_BUF bytes. */
	if (type != SOCK_STREAM &&
	    WIRE_HEADER_SIZE + *names_len + out->datalen > RECEIVER_BUF) {
		free(*names);
		*names = NULL;
		errno = EMSGSIZE;
		return -1;
	}
	h.flags = out->flags;
	h.nfds = out->nfds;
	h.names_len = *names_len;
	h.data_len = out->datalen +
	    (out->data_fd != -1 ? out->data_fd_len : 0);
	wire_encode(&h, header);
	return 0;
}

/*
 * Waits for the answer to a header sent alone: *v, and with WIRE_READY
 * the credentials of the process that gave it, *who.  Fails with
 * ECONNRESET when the receiver hangs up first, EBADMSG when the answer is
 * no reply or does not come whole from one known process.
 */
static int
await_answer(int sock, const struct deadline *d, struct outcome *v,
    struct fdp_peer *who)
{
	union {
		struct cmsghdr	align;
		unsigned char	bytes[CONTROL_SPACE];
	} space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    sizeof(items) / sizeof(items[0]), 0, 0 };
	unsigned char reply[WIRE_REPLY_SIZE];
	struct iovec iov;
	struct fdp_peer piece;
	enum wire_reply what;
	size_t i, got = 0;
	ssize_t n;
	int status, known = 1;

	v->what = 0;
	v->status = 0;
	while (got < sizeof(reply)) {
		if (deadline_wait(d, sock, POLLIN) == -1)
			return -1;
		iov.iov_base = reply + got;
		iov.iov_len = sizeof(reply) - got;
		if ((n = fdp_recv(sock, &iov, 1, &ctl, 0)) == -1)
			return -1;
		/* An answer brings no descriptors; any that came go. */
		fdp_close_rights(&ctl);
		if (n == 0) {
			errno = got == 0 ? ECONNRESET : EBADMSG;
			return -1;
		}
		piece.pid = 0;
		for (i = 0; i < ctl.nitems; i++)
			fdp_credentials(&items[i], &piece);
		if (piece.pid == 0 || (got > 0 && (piece.pid != who->pid ||
		    piece.uid != who->uid || piece.gid != who->gid)))
			known = 0;
		*who = piece;
		got += n;
	}
	if (wire_decode_reply(reply, &what, &status) == -1 ||
	    (what == WIRE_READY && !known)) {
		errno = EBADMSG;
		return -1;
	}
	v->what = what;
	v->status = status;
	return 0;
}

/*
 * Offers a WIRE_PROVE transfer: sends its header alone, with this
 * process's credentials, and waits until the deadline for the answer, *v:
 * WIRE_READY, with the credentials of the process that gave it in *who,
 * WIRE_DECLINED or WIRE_REFUSED.  Only after WIRE_READY, and only if *who
 * is one to send to, does transfer_send send the rest.
 */
int
transfer_propose(int sock, const struct outgoing *out,
    const struct deadline *d, struct outcome *v, struct fdp_peer *who)
{
	unsigned char header[WIRE_HEADER_SIZE];
	struct iovec iov = { header, sizeof(header) };
	struct fdp_ancil cred;
	struct ucred uc;
	size_t names_len;
	char *names;
	int on = 1;

	if (prepare(sock, out, header, &names, &names_len) == -1)
		return -1;
	free(names);
	/* Set before the answer can come, so that it comes with them. */
	if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1)
		return -1;
	own_credentials(&uc, &cred);
	if (send_within(sock, &iov, 1, &cred, 1, d) == -1)
		return -1;
	return await_answer(sock, d, v, who);
}

/*
 * Sends one transfer: framed, or with out->raw a plain SCM_RIGHTS message
 * for receivers that are not fdpass (data from memory only).  With
 * WIRE_PROVE, transfer_propose has sent the header already.  All of it
 * goes by out->deadline, or it fails with ETIMEDOUT.
 */
int
transfer_send(int sock, const struct outgoing *out)
{
	unsigned char header[WIRE_HEADER_SIZE], nul = '\0';
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, 0, out->fds };
	struct iovec iov[3];
	size_t names_len;
	char *names;
	int ret = -1, saved;

	if (prepare(sock, out, header, &names, &names_len) == -1)
		return -1;
	if (out->raw)
		return fdp_send_batches(sock, out->fds, out->nfds, out->data,
		    out->datalen, send_batch, (void *)out->deadline);
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	if (out->flags & WIRE_PROVE) {
		/* Each batch rides on a NUL byte, the first as well. */
		iov[0].iov_base = &nul;
		iov[0].iov_len = out->nfds > 0;
	}
	iov[1].iov_base = names;
	iov[1].iov_len = names_len;
	iov[2].iov_base = (void *)out->data;
	iov[2].iov_len = out->datalen;
	if (out->nfds <= FDP_MAX_FDS_PER_MSG) {
		rights.len = out->nfds * sizeof(int);
		/* An empty seqpacket message would be one more message. */
		if (iov[0].iov_len + names_len + out->datalen > 0 &&
		    send_within(sock, iov, 3, &rights, out->nfds > 0,
		    out->deadline) == -1)
			goto done;
	} else {
		if (fdp_send_batches(sock, out->fds, out->nfds,
		    iov[0].iov_base, iov[0].iov_len, send_batch,
		    (void *)out->deadline) == -1)
			goto done;
		/* With nothing left, the receiver may be gone already. */
		if (names_len + out->datalen > 0 &&
		    send_within(sock, iov + 1, 2, NULL, 0, out->deadline) == -1)
			goto done;
	}
	if (out->data_fd != -1 && send_file_bytes(sock, out->data_fd,
	    out->data_fd_len, out->deadline) == -1)
		goto done;
	ret = 0;
done:
	saved = errno;
	free(names);
	errno = saved;
	return ret;
}

/*
 * Sets up r to receive from sock; deadline may be NULL.  On a connected
 * socket it asks for the credentials of each message's sender from now
 * on: a sender that did not attach its own gets them attached only when
 * the option is set before it sends.
 */
int
receiver_init(struct receiver *r, int sock, const struct deadline *deadline)
{
	int type, on = 1;
	socklen_t len = sizeof(type);

	memset(r, 0, offsetof(struct receiver, buf));
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return -1;
	if (type != SOCK_DGRAM &&
	    setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1)
		return -1;
	r->sock = sock;
	r->type = type;
	r->deadline = deadline;
	return 0;
}

/* Records a protocol failure: why for the user, EBADMSG for the caller. */
static int
fail(struct receiver *r, const char *why)
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
 * Notes who sent what was read: the credentials the kernel reports, the
 * same for every read since the buffer was last filled, or else pid 0 as
 * for a sender that is not known.
 */
static void
note_sender(struct receiver *r, const struct fdp_ancil *item)
{
	struct fdp_peer who;

	if (fdp_credentials(item, &who) == -1)
		return;
	if (r->sender_known && (who.pid != r->sender.pid ||
	    who.uid != r->sender.uid || who.gid != r->sender.gid))
		who.pid = 0;
	r->sender = who;
	r->sender_known = 1;
}

/*
 * Keeps the descriptors an fdp_recv found, unnamed, while they stay within
 * r->limit and came as SCM_RIGHTS, and notes the sender's credentials;
 * closes the descriptors if any other item came.
 */
static int
keep_fds(struct receiver *r, const struct fdp_control *ctl)
{
	size_t i, n = 0;

	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].level == SOL_SOCKET &&
		    ctl->items[i].type == SCM_CREDENTIALS) {
			note_sender(r, &ctl->items[i]);
			continue;
		}
		if (ctl->items[i].level != SOL_SOCKET ||
		    ctl->items[i].type != SCM_RIGHTS) {
			fdp_close_rights(ctl);
			return fail(r, "unexpected control message");
		}
		n += ctl->items[i].len / sizeof(int);
	}
	if (n > r->limit - r->nfds) {
		fdp_close_rights(ctl);
		return fail(r, "more descriptors than expected");
	}
	if (grow(r, n) == -1) {
		fdp_close_rights(ctl);
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

/* Reads up to len bytes into dst, keeping any descriptors they bring. */
static ssize_t
recv_into(struct receiver *r, void *dst, size_t len, int flags)
{
	union {
		struct cmsghdr	align;
		unsigned char	bytes[CONTROL_SPACE];
	} space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    sizeof(items) / sizeof(items[0]), 0, 0 };
	struct iovec iov = { dst, len };
	ssize_t n;

	if (!(flags & MSG_DONTWAIT) &&
	    deadline_wait(r->deadline, r->sock, POLLIN) == -1)
		return -1;
	if ((n = fdp_recv(r->sock, &iov, 1, &ctl, flags)) == -1) {
		if (errno == EMSGSIZE)
			r->why = ctl.msg_flags & MSG_CTRUNC ?
			    "control data truncated (MSG_CTRUNC)" :
			    "message truncated (MSG_TRUNC)";
		return -1;
	}
	if (keep_fds(r, &ctl) == -1)
		return -1;
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
 * in pieces could otherwise pile up a batch with each piece.
 */
static ssize_t
fill(struct receiver *r)
{
	size_t want = sizeof(r->buf), had = r->nfds;
	ssize_t n, more;

	if (r->type == SOCK_STREAM)
		want = WIRE_HEADER_SIZE;
	r->off = r->len = 0;
	r->sender_known = 0;
	if ((n = recv_into(r, r->buf, want, 0)) <= 0)
		return n;
	r->len = n;
	while (r->type == SOCK_STREAM && header_begun(r->buf, r->len)) {
		if (r->nfds > had)
			return fail(r, "descriptors came before the header "
			    "was whole");
		if ((more = recv_into(r, r->buf + r->len, want - r->len,
		    0)) == -1)
			return -1;
		if (more == 0)
			break;
		r->len += more;
	}
	if (r->type == SOCK_STREAM && r->len == want &&
	    !wire_is_framed(r->buf, r->len)) {
		had = r->nfds;
		more = recv_into(r, r->buf + r->len, sizeof(r->buf) - r->len,
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
static int
take(struct receiver *r, void *dst, size_t len)
{
	size_t got = r->len - r->off < len ? r->len - r->off : len;
	ssize_t n;

	memcpy(dst, r->buf + r->off, got);
	r->off += got;
	while (got < len) {
		if (r->type != SOCK_STREAM)
			return fail(r, "message shorter than its header says");
		if ((n = recv_into(r, (char *)dst + got, len - got, 0)) == -1)
			return -1;
		if (n == 0)
			return fail(r, "connection closed in mid-transfer");
		got += n;
	}
	return 0;
}

/* Takes the names list and attaches its names to the last nfds fds. */
static int
take_names(struct receiver *r, size_t nfds, size_t len)
{
	char *list, **split = NULL;
	size_t i, first = r->nfds - nfds;
	int ret = -1;

	if (len == 0)
		return 0;
	if ((list = malloc(len)) == NULL ||
	    (split = reallocarray(NULL, nfds, sizeof(*split))) == NULL)
		goto done;
	if (take(r, list, len) == -1)
		goto done;
	if (wire_split_names(list, len, nfds, split) == -1) {
		fail(r, "bad descriptor names");
		goto done;
	}
	for (i = 0; i < nfds; i++) {
		if (split[i] != NULL &&
		    (r->names[first + i] = strdup(split[i])) == NULL)
			goto done;
	}
	ret = 0;
done:
	free(list);
	free(split);
	return ret;
}

/*
 * Tells a WIRE_PROVE sender to send the rest, with our credentials; and
 * one that waits for the command that it may forward signals to it
 * (forward.c).
 */
static int
answer_ready(struct receiver *r)
{
	unsigned char reply[WIRE_REPLY_SIZE];
	struct iovec iov = { reply, sizeof(reply) };
	struct fdp_ancil cred;
	struct ucred uc;

	wire_encode_reply(WIRE_READY, r->flags & WIRE_WAIT ?
	    WIRE_READY_SIGNALS : 0, reply);
	own_credentials(&uc, &cred);
	return fdp_send(r->sock, &iov, 1, &cred, 1, 0) == -1 ? -1 : 0;
}

/*
 * Answers a header that came alone, as WIRE_PROVE asks, and on a
 * seqpacket socket reads the message with the rest of the transfer, if
 * the header announced any.
 */
static int
answer_proof(struct receiver *r, const struct wire_header *h, size_t before)
{
	ssize_t n;

	if (r->type == SOCK_DGRAM)
		return fail(r, "bad header");
	if (r->nfds > before)
		return fail(r, "descriptors came with a lone header");
	if (r->off != r->len)
		return fail(r, "message longer than its header says");
	if (answer_ready(r) == -1)
		return -1;
	if (r->type == SOCK_STREAM ||
	    h->nfds + (uint64_t)h->names_len + h->data_len == 0)
		return 0;
	r->off = r->len = 0;
	if ((n = recv_into(r, r->buf, sizeof(r->buf), 0)) == -1)
		return -1;
	if (n == 0 && r->nfds == before)
		return fail(r, "connection closed in mid-transfer");
	r->len = n;
	return 0;
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

	if (take(r, header, sizeof(header)) == -1)
		return -1;
	if (wire_decode(header, sizeof(header), &h) == -1)
		return fail(r, errno == EPROTONOSUPPORT ?
		    "unsupported protocol version" : "bad header");
	/*
	 * Known from here on, so that even a refusal can be reported; a
	 * datagram has nobody to report to.
	 */
	if (r->type != SOCK_DGRAM)
		r->flags |= h.flags;
	if (r->vet != NULL && r->vet(r, &h, r->vet_arg) == -1)
		return fail(r, r->why);
	if (h.nfds > r->limit - before)
		return fail(r, "more descriptors than expected");
	r->limit = before + h.nfds;
	if (r->nfds > r->limit)
		return fail(r, "more descriptors than the header says");
	batches = (h.nfds + FDP_MAX_FDS_PER_MSG - 1) / FDP_MAX_FDS_PER_MSG;
	/* After a header alone, the first batch too rides on a NUL byte. */
	if (h.flags & WIRE_PROVE) {
		if (answer_proof(r, &h, before) == -1)
			return -1;
		batches++;
	}
	while (batches-- > 1) {
		if (take(r, &nul, 1) == -1)
			return -1;
		if (nul != '\0')
			return fail(r, "bad batch marker");
	}
	if (r->nfds != r->limit)
		return fail(r, "fewer descriptors than the header says");
	if (take_names(r, h.nfds, h.names_len) == -1)
		return -1;
	/* What a message holds beyond its transfer cannot be meant. */
	if (r->type != SOCK_STREAM && r->len - r->off > h.data_len)
		return fail(r, "message longer than its header says");
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
	if (r->off == r->len) {
		/*
		 * The limit waits until the header is read: a sender that
		 * asked for a reply gets one even when refused for it.
		 */
		r->limit = SIZE_MAX;
		if ((n = fill(r)) == -1)
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
		return fail(r, "more descriptors than expected");
	/* A plain message: its sender, where known, passes the rules too. */
	if (r->vet != NULL && r->vet(r, NULL, r->vet_arg) == -1) {
		errno = EBADMSG;
		return -1;
	}
	/*
	 * A plain message: its data is what came with its descriptors, but
	 * for a lone NUL byte, the usual carrier of descriptors without data
	 * (fdp_send_fds sends one, as do nc -F and ssh's ProxyUseFdpass).
	 */
	if (r->len - r->off == 1 && r->buf[r->off] == '\0' && r->nfds > before)
		r->off++;
	r->data_left = r->len - r->off;
	return 1;
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
			return fail(r, "message shorter than its header says");
		/* No further descriptors may come with the data. */
		r->limit = r->nfds;
		if ((n = recv_into(r, buf, len, 0)) == -1)
			return -1;
		if (n == 0)
			return fail(r, "connection closed in mid-transfer");
	}
	r->data_left -= n;
	return n;
}

/* Closes the descriptors r still holds and frees what it allocated. */
void
receiver_release(struct receiver *r)
{
	size_t i;

	for (i = 0; i < r->nfds; i++) {
		close(r->fds[i]);
		free(r->names[i]);
	}
	free(r->fds);
	free(r->names);
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

/*
 * Waits for the receiver's verdict on what was sent on sock: delivered
 * (then the end of the connection, which comes when its command has been
 * exec'd), refused, or with wait_exit the command's exit.  A receiver that
 * hangs up before it gave one fails with ECONNRESET, and one that gives
 * none by the deadline d with ETIMEDOUT, out->what telling how far it got.
 */
int
transfer_await(int sock, int wait_exit, const struct deadline *d,
    struct outcome *out)
{
	unsigned char reply[WIRE_REPLY_SIZE];
	enum wire_reply what;
	ssize_t n;
	int status;

	out->what = 0;
	out->status = 0;
	for (;;) {
		if ((n = deadline_recv(sock, reply, sizeof(reply), d)) == -1)
			return -1;
		if (n == 0) {
			if (out->what == WIRE_DELIVERED && !wait_exit)
				return 0;
			errno = ECONNRESET;
			return -1;
		}
		if ((size_t)n < sizeof(reply) ||
		    wire_decode_reply(reply, &what, &status) == -1) {
			errno = EBADMSG;
			return -1;
		}
		out->what = what;
		out->status = status;
		if (what != WIRE_DELIVERED)
			return 0;
	}
}
