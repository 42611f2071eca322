/*
 * Sending and receiving whole transfers.
 *
 * On the wire, in this order: the header with the first batch of at most
 * FDP_MAX_FDS_PER_MSG descriptors; for each further batch one NUL byte
 * carrying it; the names; the data.  With a single batch everything from
 * memory goes out in one sendmsg.  On a datagram or seqpacket socket the
 * whole transfer is one message.
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

/*
 * Sends the descriptors in batches as fdp_send_fds does, by the deadline
 * d: the first batch with the len bytes at data, each further one with a
 * NUL byte.
 */
static int
send_batches(int sock, const int *fds, size_t nfds, const void *data,
    size_t len, const struct deadline *d)
{
	static const char nul;
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, 0, NULL };
	struct iovec iov;
	size_t done = 0, batch;

	iov.iov_base = (void *)(len > 0 ? data : &nul);
	iov.iov_len = len > 0 ? len : 1;
	do {
		batch = nfds - done;
		if (batch > FDP_MAX_FDS_PER_MSG)
			batch = FDP_MAX_FDS_PER_MSG;
		rights.data = batch > 0 ? fds + done : NULL;
		rights.len = batch * sizeof(int);
		if (send_within(sock, &iov, 1, &rights, batch > 0, d) == -1)
			return -1;
		done += batch;
		iov.iov_base = (void *)&nul;
		iov.iov_len = 1;
	} while (done < nfds);
	return 0;
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
 * Sends one transfer: framed, or with out->raw a plain SCM_RIGHTS message
 * for receivers that are not fdpass (data from memory only).  On a
 * datagram or seqpacket socket it must fit one message: at most
 * FDP_MAX_FDS_PER_MSG descriptors and no data_fd (EMSGSIZE otherwise).
 * All of it goes by out->deadline, or it fails with ETIMEDOUT.
 */
int
transfer_send(int sock, const struct outgoing *out)
{
	struct wire_header h = { WIRE_VERSION, 0, 0, 0, 0 };
	unsigned char header[WIRE_HEADER_SIZE];
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, 0, out->fds };
	struct iovec iov[3];
	size_t names_len;
	char *names;
	int type, ret = -1, saved;
	socklen_t tlen = sizeof(type);

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
		return send_batches(sock, out->fds, out->nfds, out->data,
		    out->datalen, out->deadline);
	if (join_names(out, &names, &names_len) == -1)
		return -1;
	/* The receiver reads a datagram into RECEIVER_BUF bytes. */
	if (type != SOCK_STREAM &&
	    sizeof(header) + names_len + out->datalen > RECEIVER_BUF) {
		free(names);
		errno = EMSGSIZE;
		return -1;
	}
	h.flags = out->flags;
	h.nfds = out->nfds;
	h.names_len = names_len;
	h.data_len = out->datalen +
	    (out->data_fd != -1 ? out->data_fd_len : 0);
	wire_encode(&h, header);
	iov[0].iov_base = header;
	iov[0].iov_len = sizeof(header);
	iov[1].iov_base = names;
	iov[1].iov_len = names_len;
	iov[2].iov_base = (void *)out->data;
	iov[2].iov_len = out->datalen;
	if (out->nfds <= FDP_MAX_FDS_PER_MSG) {
		rights.len = out->nfds * sizeof(int);
		if (send_within(sock, iov, 3, &rights, out->nfds > 0,
		    out->deadline) == -1)
			goto done;
	} else {
		if (send_batches(sock, out->fds, out->nfds, header,
		    sizeof(header), out->deadline) == -1)
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

/* Sets up r to receive from sock; deadline may be NULL. */
int
receiver_init(struct receiver *r, int sock, const struct deadline *deadline)
{
	int type;
	socklen_t len = sizeof(type);

	memset(r, 0, offsetof(struct receiver, buf));
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
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
 * Keeps the descriptors an fdp_recv found, unnamed, while they stay within
 * r->limit and came as SCM_RIGHTS; closes them all otherwise.
 */
static int
keep_fds(struct receiver *r, const struct fdp_control *ctl)
{
	size_t i, n = 0;

	for (i = 0; i < ctl->nitems; i++) {
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
		unsigned char	bytes[FDP_RIGHTS_SPACE];
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
 * Reads the first bytes of a transfer into the empty buffer; 0 at end of
 * file.  On a stream, only a header's worth: a longer read would run on
 * into the next transfer and take its descriptors, as the kernel joins
 * data up to the next message that carries some.  A plain sender's message
 * may be longer than a header, so for one the rest of what has already
 * arrived is added.  That may take in the plain sender's next batch of
 * descriptors too; the NUL byte such a batch rides on is no data.
 */
static ssize_t
fill(struct receiver *r)
{
	size_t want = sizeof(r->buf), had;
	ssize_t n, more;

	if (r->type == SOCK_STREAM)
		want = WIRE_HEADER_SIZE;
	r->off = r->len = 0;
	if ((n = recv_into(r, r->buf, want, 0)) <= 0)
		return n;
	r->len = n;
	if (r->type == SOCK_STREAM && (size_t)n == want &&
	    !wire_is_framed(r->buf, n)) {
		had = r->nfds;
		more = recv_into(r, r->buf + n, sizeof(r->buf) - n,
		    MSG_DONTWAIT);
		if (more == -1 && errno != EAGAIN)
			return -1;
		if (more > 0)
			r->len += more;
		if (more > 0 && r->nfds > had && r->buf[r->len - 1] == '\0')
			r->len--;
	}
	return n;
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
	if (h.nfds > r->limit - before)
		return fail(r, "more descriptors than expected");
	r->limit = before + h.nfds;
	if (r->nfds > r->limit)
		return fail(r, "more descriptors than the header says");
	batches = (h.nfds + FDP_MAX_FDS_PER_MSG - 1) / FDP_MAX_FDS_PER_MSG;
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
