/*
 * The sending side of a transfer: its header, descriptors, names and
 * data out by a deadline, the proof of who sends, and the reply awaited.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
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
 * Sends all of iov with deadline_send_all, but once the deadline d has
 * passed sends nothing more, even where the socket has room: each part
 * of a transfer goes by its deadline.  (Every call has bytes to send.)
 */
static int
send_within(int sock, const struct iovec *iov, size_t iovcnt,
    const struct fdp_ancil *items, size_t nitems, const struct deadline *d)
{
	if (deadline_remaining_ms(d) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return deadline_send_all(sock, iov, iovcnt, items, nitems, d);
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

/* Frees a names list and returns ret, keeping errno for the caller. */
static int
drop_names(char *names, int ret)
{
	int saved = errno;

	free(names);
	errno = saved;
	return ret;
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
 * Checks that out can go on sock, as transfer_propose and transfer_send
 * do first, for a caller with something to do only once it can: 0, or
 * -1 with EMSGSIZE for one too big for one message (prepare).
 */
int
transfer_check(int sock, const struct outgoing *out)
{
	unsigned char header[WIRE_HEADER_SIZE];
	size_t names_len;
	char *names;

	if (prepare(sock, out, header, &names, &names_len) == -1)
		return -1;
	free(names);
	return 0;
}

/*
 * Waits for the receiver's next answer: *v, and with WIRE_READY (to a
 * header sent alone) the credentials of the process that gave it, *who.
 * Descriptors that come with an answer are disposed of, never closed
 * here: a close could wait as long as their sender likes.  Fails with
 * ECONNRESET when the receiver hangs up first, EBADMSG when the answer is
 * no reply or does not come whole from one known process.
 */
static int
await_answer(int sock, const struct deadline *d, struct outcome *v,
    struct fdp_peer *who)
{
	struct transfer_control c;
	unsigned char reply[WIRE_REPLY_SIZE];
	struct iovec iov;
	struct fdp_peer piece;
	enum wire_reply what;
	size_t i, got = 0;
	ssize_t n;
	int status, known = 1;

	transfer_control_init(&c);
	v->what = 0;
	v->status = 0;
	while (got < sizeof(reply)) {
		if (deadline_wait(d, sock, POLLIN) == -1)
			return -1;
		iov.iov_base = reply + got;
		iov.iov_len = sizeof(reply) - got;
		/* Poll may find readable what a read finds nothing on. */
		if ((n = fdp_recv(sock, &iov, 1, &c.ctl, MSG_DONTWAIT)) == -1 &&
		    errno == EAGAIN)
			continue;
		if (n == -1)
			return -1;
		/* An answer brings no descriptors; any that came go. */
		dispose_rights(&c.ctl);
		if (n == 0) {
			errno = got == 0 ? ECONNRESET : EBADMSG;
			return -1;
		}
		piece.pid = 0;
		for (i = 0; i < c.ctl.nitems; i++)
			fdp_credentials(&c.items[i], &piece);
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
 * WIRE_DECLINED or WIRE_REFUSED.  A receiver that asks for the names
 * first gets them from transfer_propose_names once the caller has
 * checked *who.  Only after WIRE_READY, and only if *who is one to send
 * to, does transfer_send send the rest.
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
	int on = 1, ret = -1;

	v->names_sent = 0;
	if (prepare(sock, out, header, &names, &names_len) == -1)
		return -1;
	/* Set before the answer can come, so that it comes with them. */
	if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    fdp_urgent_inline(sock) == -1)
		goto done;
	transfer_credentials(&uc, &cred);
	if (send_within(sock, &iov, 1, &cred, 1, d) == -1 ||
	    await_answer(sock, d, v, who) == -1)
		goto done;
	ret = 0;
done:
	return drop_names(names, ret);
}

/*
 * After a WIRE_READY that asks for the names first, and once the caller
 * has checked *who, the process that gave it: sends them alone and waits
 * for the next answer, *v, from *who again.  Without names there is
 * nothing to send, and *v stays as it was.
 */
int
transfer_propose_names(int sock, const struct outgoing *out,
    const struct deadline *d, struct outcome *v, struct fdp_peer *who)
{
	struct iovec iov;
	size_t names_len;
	char *names;
	int ret = -1;

	if (join_names(out, &names, &names_len) == -1)
		return -1;
	if (names_len == 0)
		return 0;
	iov.iov_base = names;
	iov.iov_len = names_len;
	if (send_within(sock, &iov, 1, NULL, 0, d) == -1 ||
	    await_answer(sock, d, v, who) == -1)
		goto done;
	v->names_sent = 1;
	ret = 0;
done:
	return drop_names(names, ret);
}

/*
 * Sends one transfer: framed, or with out->raw a plain SCM_RIGHTS message
 * for receivers that are not fdpass (data from memory only).  With
 * WIRE_PROVE, transfer_propose has sent the header already, and the names
 * too if its answer, *offered, says so (NULL without WIRE_PROVE).  All of
 * it goes by out->deadline, or it fails with ETIMEDOUT.
 */
int
transfer_send(int sock, const struct outgoing *out,
    const struct outcome *offered)
{
	unsigned char header[WIRE_HEADER_SIZE], nul = '\0';
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, 0, out->fds };
	struct iovec iov[3];
	size_t names_len;
	char *names;
	int ret = -1;

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
	if (offered != NULL && offered->names_sent)
		names_len = 0;
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
	return drop_names(names, ret);
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
	struct outcome v;
	struct fdp_peer who;

	out->what = 0;
	out->status = 0;
	for (;;) {
		/* Read as answers are, so that no descriptor is closed here. */
		if (await_answer(sock, d, &v, &who) == -1) {
			if (errno == ECONNRESET && out->what == WIRE_DELIVERED &&
			    !wait_exit)
				return 0;
			return -1;
		}
		out->what = v.what;
		out->status = v.status;
		if (v.what != WIRE_DELIVERED)
			return 0;
	}
}
