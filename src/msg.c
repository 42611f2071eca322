/*
 * sendmsg(2) and recvmsg(2) wrappers: any number of iovecs, a list of
 * ancillary items, EINTR and partial stream writes handled, and received
 * descriptors closed whenever the message they came in is rejected.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

/* The file system of pidfds since Linux 6.9; new kernels' linux/magic.h. */
#define PIDFS_MAGIC	0x50494446

/*
 * SO_PEERPIDFD (Linux 6.5), for older headers: asm-generic's number, which
 * parisc and sparc do not share; there it takes headers that have it.
 */
#if !defined(SO_PEERPIDFD) && !defined(__hppa__) && !defined(__sparc__)
#define SO_PEERPIDFD	77
#endif

/*
 * A control buffer big enough for the usual case, one full SCM_RIGHTS item
 * and a little more, aligned for struct cmsghdr.  Larger requests go to the
 * heap.
 */
union control_space {
	struct cmsghdr	align;
	unsigned char	bytes[FDP_RIGHTS_SPACE + 256];
};

/* Adds up the iovec lengths; fails with EINVAL past SSIZE_MAX. */
static int
iov_total(const struct iovec *iov, size_t iovcnt, size_t *total)
{
	size_t i, sum = 0;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - sum) {
			errno = EINVAL;
			return -1;
		}
		sum += iov[i].iov_len;
	}
	*total = sum;
	return 0;
}

/*
 * Lays the items out as cmsgs, in the stack buffer when they fit and on
 * the heap otherwise.  The caller frees the result when it is not stackbuf.
 */
static void *
build_control(const struct fdp_ancil *items, size_t nitems,
    union control_space *stackbuf, size_t *len)
{
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	size_t i, space = 0;
	void *buf;

	for (i = 0; i < nitems; i++) {
		if (items[i].len > INT_MAX - space) {
			errno = EINVAL;
			return NULL;
		}
		space += CMSG_SPACE(items[i].len);
	}
	if (space <= sizeof(stackbuf->bytes))
		buf = stackbuf->bytes;
	else if ((buf = malloc(space)) == NULL)
		return NULL;
	/* CMSG_NXTHDR reads the next header, so the padding must be zero. */
	memset(buf, 0, space);
	msg.msg_control = buf;
	msg.msg_controllen = space;
	cmsg = CMSG_FIRSTHDR(&msg);
	for (i = 0; i < nitems; i++) {
		cmsg->cmsg_level = items[i].level;
		cmsg->cmsg_type = items[i].type;
		cmsg->cmsg_len = CMSG_LEN(items[i].len);
		if (items[i].len > 0)
			memcpy(CMSG_DATA(cmsg), items[i].data, items[i].len);
		cmsg = CMSG_NXTHDR(&msg, cmsg);
	}
	*len = space;
	return buf;
}

/* Tells whether the socket is a byte stream, where a send may be partial. */
static int
is_stream(int sock)
{
	int type;
	socklen_t len = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return -1;
	return type == SOCK_STREAM;
}

/*
 * Copies up to IOV_MAX iovecs into win, starting skip bytes into
 * iov[first], and returns how many it copied.
 */
static size_t
iov_window(struct iovec *win, const struct iovec *iov, size_t iovcnt,
    size_t first, size_t skip)
{
	size_t n;

	for (n = 0; n < IOV_MAX && first + n < iovcnt; n++)
		win[n] = iov[first + n];
	if (n > 0) {
		win[0].iov_base = (char *)win[0].iov_base + skip;
		win[0].iov_len -= skip;
	}
	return n;
}

/* Moves the position (first, skip) forward by n bytes. */
static void
iov_advance(const struct iovec *iov, size_t iovcnt, size_t *first,
    size_t *skip, size_t n)
{
	n += *skip;
	while (*first < iovcnt && n >= iov[*first].iov_len) {
		n -= iov[*first].iov_len;
		(*first)++;
	}
	*skip = n;
}

/*
 * Sends all the bytes in iov with the ancillary items attached to the
 * first of them.  On a stream socket a short write is continued until every
 * byte is out; the items go with the first call only, as the kernel attaches
 * them to the first byte.  Returns the number of bytes sent.  On error some
 * bytes may already have been sent.  With MSG_DONTWAIT, or on a
 * non-blocking socket, it stops when the socket is full and returns what
 * went until then, as write(2) does, failing with EAGAIN only when nothing
 * did.
 */
ssize_t
fdp_send(int sock, const struct iovec *iov, size_t iovcnt,
    const struct fdp_ancil *items, size_t nitems, int flags)
{
	union control_space stackbuf;
	struct iovec win[IOV_MAX];
	struct msghdr msg = { 0 };
	size_t total, sent = 0, first = 0, skip = 0;
	void *control = NULL;
	ssize_t n, ret = -1;
	int stream, saved;

	if (iov_total(iov, iovcnt, &total) == -1)
		return -1;
	/*
	 * A stream socket drops descriptors sent with no data, and splitting
	 * the iovecs would split a datagram: check the type in those cases.
	 */
	if ((total == 0 && nitems > 0) || iovcnt > IOV_MAX) {
		if ((stream = is_stream(sock)) == -1)
			return -1;
		if (stream && total == 0 && nitems > 0) {
			errno = EINVAL;
			return -1;
		}
		if (!stream && iovcnt > IOV_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	if (nitems > 0) {
		control = build_control(items, nitems, &stackbuf,
		    &msg.msg_controllen);
		if (control == NULL)
			return -1;
		msg.msg_control = control;
	}
	for (;;) {
		if (sent == 0 && iovcnt <= IOV_MAX) {
			/* sendmsg does not write through msg_iov. */
			msg.msg_iov = (struct iovec *)iov;
			msg.msg_iovlen = iovcnt;
		} else {
			msg.msg_iov = win;
			msg.msg_iovlen = iov_window(win, iov, iovcnt, first,
			    skip);
		}
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && sent > 0)
				break;
			goto done;
		}
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		sent += n;
		if (sent >= total)
			break;
		iov_advance(iov, iovcnt, &first, &skip, n);
	}
	ret = sent;
done:
	saved = errno;
	if (control != stackbuf.bytes)
		free(control);
	errno = saved;
	return ret;
}

/* Closes the descriptors in an SCM_RIGHTS payload of len bytes. */
static void
close_payload(const unsigned char *p, size_t len)
{
	size_t i;
	int fd;

	for (i = 0; i + sizeof(int) <= len; i += sizeof(int)) {
		memcpy(&fd, p + i, sizeof(int));
		close(fd);
	}
}

/*
 * Closes every descriptor carried by SCM_RIGHTS items in msg's control,
 * walked afresh: the items fdp_recv collected may stop short of them all.
 */
static void
close_rights_in(struct msghdr *msg)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS)
			close_payload(CMSG_DATA(cmsg),
			    cmsg->cmsg_len - CMSG_LEN(0));
	}
}

/*
 * Records the cmsgs of msg as items in ctl.  Fails with ENOBUFS when there
 * are more than ctl->maxitems, and EBADMSG when an SCM_RIGHTS payload is not
 * a whole number of ints.
 */
static int
collect_items(struct msghdr *msg, struct fdp_control *ctl)
{
	struct cmsghdr *cmsg;
	struct fdp_ancil *item;

	ctl->nitems = 0;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (ctl->nitems == ctl->maxitems) {
			errno = ENOBUFS;
			return -1;
		}
		item = &ctl->items[ctl->nitems++];
		item->level = cmsg->cmsg_level;
		item->type = cmsg->cmsg_type;
		item->len = cmsg->cmsg_len - CMSG_LEN(0);
		item->data = CMSG_DATA(cmsg);
		if (item->level == SOL_SOCKET && item->type == SCM_RIGHTS &&
		    item->len % sizeof(int) != 0) {
			errno = EBADMSG;
			return -1;
		}
	}
	return 0;
}

/*
 * Receives one message into iov (scatter; beyond IOV_MAX iovecs the read is
 * short) and its ancillary items into ctl.  Descriptors arrive close-on-exec.
 * A truncated message (MSG_CTRUNC or MSG_TRUNC in ctl->msg_flags) fails
 * with EMSGSIZE, and any descriptors that did arrive are closed first, as
 * they are on every other failure after the receive.  With ctl NULL any
 * ancillary data is refused the same way.  Returns the number of bytes.
 */
ssize_t
fdp_recv(int sock, struct iovec *iov, size_t iovcnt, struct fdp_control *ctl,
    int flags)
{
	struct msghdr msg = { 0 };
	ssize_t n;
	int saved;

	msg.msg_iov = iov;
	msg.msg_iovlen = iovcnt < IOV_MAX ? iovcnt : IOV_MAX;
	if (ctl != NULL) {
		msg.msg_control = ctl->buf;
		msg.msg_controllen = ctl->size;
		ctl->nitems = 0;
	}
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (ctl != NULL)
		ctl->msg_flags = msg.msg_flags;
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (ctl != NULL && collect_items(&msg, ctl) == -1)
		goto fail;
	return n;
fail:
	saved = errno;
	close_rights_in(&msg);
	if (ctl != NULL)
		ctl->nitems = 0;
	errno = saved;
	return -1;
}

/* Closes the descriptors of every SCM_RIGHTS item fdp_recv found. */
void
fdp_close_rights(const struct fdp_control *ctl)
{
	size_t i;

	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].level == SOL_SOCKET &&
		    ctl->items[i].type == SCM_RIGHTS)
			close_payload(ctl->items[i].data, ctl->items[i].len);
	}
}

/* Sends all of one message and its items with fdp_send, blocking. */
static int
send_whole(int sock, const struct iovec *iov, const struct fdp_ancil *items,
    size_t nitems, void *arg)
{
	(void)arg;
	return fdp_send(sock, iov, 1, items, nitems, 0) == -1 ? -1 : 0;
}

/*
 * Sends nfds descriptors with data.  More than FDP_MAX_FDS_PER_MSG go in
 * several messages: the first carries all of data with the first batch, and
 * each later batch rides on a single NUL byte.  A batch never travels
 * without a byte (a stream socket would drop it), so with no data the first
 * batch gets a NUL byte too.
 */
int
fdp_send_fds(int sock, const int *fds, size_t nfds, const void *data,
    size_t len)
{
	return fdp_send_batches(sock, fds, nfds, data, len, send_whole, NULL);
}

/*
 * Sends descriptors in batches as fdp_send_fds does, each message by a
 * call to sender, which must send all of its one iovec, the items with it,
 * or fail; arg goes to it as it is.
 */
int
fdp_send_batches(int sock, const int *fds, size_t nfds, const void *data,
    size_t len, fdp_sender sender, void *arg)
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
		/* Not fds + done: with no fds at all, fds may be NULL. */
		rights.data = batch > 0 ? fds + done : NULL;
		rights.len = batch * sizeof(int);
		if (sender(sock, &iov, &rights, batch > 0, arg) == -1)
			return -1;
		done += batch;
		iov.iov_base = (void *)&nul;
		iov.iov_len = 1;
	} while (done < nfds);
	return 0;
}

/*
 * Receives one message: up to len bytes into buf and at most maxfds
 * descriptors into fds, their number in *nfds.  A message with more
 * descriptors fails with EMSGSIZE, one with any other ancillary item with
 * EBADMSG; either way every descriptor it brought is closed.  Returns the
 * number of bytes, 0 at end of file.
 */
ssize_t
fdp_recv_fds(int sock, int *fds, size_t maxfds, size_t *nfds, void *buf,
    size_t len)
{
	union control_space space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { 0 };
	struct iovec iov = { buf, len };
	ssize_t n;
	size_t i, count = 0;
	int saved;

	/*
	 * Room for a full message, so that extra descriptors, or an item of
	 * another kind, arrive whole and are refused below, not truncated.
	 */
	ctl.buf = space.bytes;
	ctl.size = sizeof(space.bytes);
	ctl.items = items;
	ctl.maxitems = sizeof(items) / sizeof(items[0]);
	if ((n = fdp_recv(sock, &iov, 1, &ctl, 0)) == -1)
		return -1;
	for (i = 0; i < ctl.nitems; i++) {
		if (ctl.items[i].level != SOL_SOCKET ||
		    ctl.items[i].type != SCM_RIGHTS) {
			errno = EBADMSG;
			goto fail;
		}
		if (count + ctl.items[i].len / sizeof(int) > maxfds) {
			errno = EMSGSIZE;
			goto fail;
		}
		memcpy(fds + count, ctl.items[i].data, ctl.items[i].len);
		count += ctl.items[i].len / sizeof(int);
	}
	*nfds = count;
	return n;
fail:
	saved = errno;
	fdp_close_rights(&ctl);
	errno = saved;
	return -1;
}

/*
 * The inode of the pidfd of the peer connected to sock (SO_PEERPIDFD), or
 * 0 where the kernel has no SO_PEERPIDFD (before 6.5: ENOPROTOOPT) or no
 * pidfs, or gives none for a peer that is gone (before 6.16).
 */
static uint64_t
peer_pidfd_inode(int sock)
{
#ifdef SO_PEERPIDFD
	uint64_t inode;
	socklen_t len = sizeof(int);
	int pidfd, ret;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == -1)
		return 0;
	ret = fdp_pidfd_inode(pidfd, &inode);
	close(pidfd);
	return ret == -1 ? 0 : inode;
#else
	(void)sock;
	return 0;
#endif
}

/*
 * Has sock read urgent (MSG_OOB) data in line, as any other: otherwise
 * a read passes over it, and the kernel drops, in this process and so
 * maybe waiting, the descriptors it brought, while poll calls the socket
 * readable with nothing else for a read to take.  Every socket a peer's
 * messages are read from is set so before the first read.
 */
int
fdp_urgent_inline(int sock)
{
	int on = 1;

	return setsockopt(sock, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on));
}

/*
 * Fills in the credentials of the peer connected to sock (SO_PEERCRED),
 * and the inode of its pidfd where the kernel tells it.
 */
int
fdp_peer(int sock, struct fdp_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	peer->pidfd_inode = peer_pidfd_inode(sock);
	return 0;
}

/*
 * Fills in peer from an SCM_CREDENTIALS item; -1 with EINVAL if item is
 * none.  Such an item names no pidfd.
 */
int
fdp_credentials(const struct fdp_ancil *item, struct fdp_peer *peer)
{
	struct ucred uc;

	if (item->level != SOL_SOCKET || item->type != SCM_CREDENTIALS ||
	    item->len != sizeof(uc)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&uc, item->data, sizeof(uc));
	peer->pid = uc.pid;
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	peer->pidfd_inode = 0;
	return 0;
}

/*
 * Puts the inode number of pidfd in *inode: on pidfs it names the process
 * for as long as the system runs, where its pid may be reused.  Fails with
 * ENOTSUP where pidfds are not on pidfs (before Linux 6.9), as inode
 * numbers elsewhere are shared by every pidfd.
 */
int
fdp_pidfd_inode(int pidfd, uint64_t *inode)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(pidfd, &sfs) == -1 || fstat(pidfd, &st) == -1)
		return -1;
	if (sfs.f_type != PIDFS_MAGIC) {
		errno = ENOTSUP;
		return -1;
	}
	*inode = st.st_ino;
	return 0;
}
