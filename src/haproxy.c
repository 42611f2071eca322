/*
 * HAProxy's side of a reload, from the outside: the "_getsocks" command on
 * its stats socket.  HAProxy answers with the number of sockets as a
 * native int, then sends them in batches of at most FDP_MAX_FDS_PER_MSG,
 * each batch with, per socket, a length-prefixed namespace name, a
 * length-prefixed interface name and four bytes that were once its
 * listener options; it waits for a four-byte acknowledgement after each.
 * Its stats sockets come with its listeners; "show cli sockets", asked on
 * a second connection, says which they are.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "dispose.h"
#include "haproxy.h"
#include "msg.h"

/* The most sockets accepted: as many as one fdpass transfer carries. */
#define MAX_SOCKETS	UINT16_MAX

/* The metadata of one socket: two names of at most 255 bytes, an int. */
#define META_MAX	(1 + 255 + 1 + 255 + sizeof(int))

/* The most text taken from "show cli sockets": a line per stats socket. */
#define CLI_LIST_MAX	65536

/*
 * Where one message's descriptors and its sender's credentials go.  The
 * buffer is last, as clang counts CMSG_SPACE as not quite constant.
 */
struct incoming {
	struct fdp_ancil	items[4];
	struct fdp_control	ctl;
	union {
		struct cmsghdr	hdr;
		unsigned char	bytes[FDP_RIGHTS_SPACE +
			    CMSG_SPACE(sizeof(struct ucred))];
	} buf;
};

/* Fails with errno e, what saying why. */
static int
failed(const char **why, const char *what, int e)
{
	*why = what;
	errno = e;
	return -1;
}

/*
 * Connects to the stats socket at sun, of length len, by the deadline d,
 * SO_PASSCRED set first so that the kernel names the sender of all that
 * comes back, and urgent data in line (fdp_urgent_inline).  A full
 * backlog is retried, as a blocking connect would wait.
 */
static int
connect_at(const struct sockaddr_un *sun, socklen_t len,
    const struct deadline *d)
{
	int sock, saved, on = 1;

	for (;;) {
		if ((sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			return -1;
		if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on,
		    sizeof(on)) == 0 && fdp_urgent_inline(sock) == 0 &&
		    deadline_connect(sock, (const struct sockaddr *)sun, len,
		    d) == 0)
			return sock;
		saved = errno;
		close(sock);
		errno = saved;
		if (errno != EAGAIN || deadline_sleep(d, 10) == -1)
			return -1;
	}
}

/*
 * Connects to the stats socket at path, "@name" for an abstract one.
 * HAProxy's abns@ binds the name padded with NULs to the whole sun_path;
 * its abnsz@, and most other programs, bind the name alone: one is tried,
 * then the other, as an abstract name that nobody binds is refused.
 */
static int
connect_stats(const char *path, const struct deadline *d)
{
	struct address a;
	int sock;

	if (address_parse(path, &a) == -1)
		return -1;
	if (!a.abstract)
		return connect_at(&a.sun, a.len, d);
	sock = connect_at(&a.sun, sizeof(a.sun), d);
	if (sock == -1 && errno == ECONNREFUSED)
		sock = connect_at(&a.sun, a.len, d);
	return sock;
}

/* Writes all len bytes of buf by the deadline. */
static int
write_all(const struct haproxy *h, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return deadline_send_all(h->sock, &iov, 1, NULL, 0, h->deadline);
}

/*
 * Receives what comes next into iov by the deadline, with its ancillary
 * items in in.  The kernel names the sender of each message: the first
 * is the answerer, and every later one must be the same process.
 * Returns the number of bytes, 0 at end of file.
 */
static ssize_t
receive(struct haproxy *h, struct iovec *iov, struct incoming *in,
    const char **why)
{
	struct fdp_peer who;
	size_t i;
	ssize_t n;
	int named = 0;

	memset(&in->buf, 0, sizeof(in->buf));
	in->ctl = (struct fdp_control){ in->buf.bytes, sizeof(in->buf),
	    in->items, sizeof(in->items) / sizeof(in->items[0]), 0, 0 };
	do {
		if (deadline_wait(h->deadline, h->sock, POLLIN) == -1)
			return -1;
		n = fdp_recv(h->sock, iov, 1, &in->ctl, MSG_DONTWAIT);
	} while (n == -1 && errno == EAGAIN);
	if (n <= 0)
		return n;
	for (i = 0; i < in->ctl.nitems; i++)
		if (fdp_credentials(&in->items[i], &who) == 0)
			named = 1;
	if (!named) {
		dispose_rights(&in->ctl);
		return failed(why, "answered, but the kernel does not say "
		    "who sent it", EPROTO);
	}
	if (h->answered && (who.pid != h->answerer.pid ||
	    who.uid != h->answerer.uid || who.gid != h->answerer.gid)) {
		dispose_rights(&in->ctl);
		return failed(why, "answered from more than one process",
		    EPROTO);
	}
	h->answerer = who;
	h->answered = 1;
	return n;
}

/* Tells whether a message came with its sender's credentials alone. */
static int
credentials_alone(const struct fdp_control *ctl)
{
	size_t i;

	for (i = 0; i < ctl->nitems; i++)
		if (ctl->items[i].level != SOL_SOCKET ||
		    ctl->items[i].type != SCM_CREDENTIALS)
			return 0;
	return 1;
}

/* Reads the number of sockets HAProxy is about to send. */
static int
read_count(struct haproxy *h, const char **why)
{
	struct incoming in;
	unsigned char buf[sizeof(int)];
	struct iovec iov;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf)) {
		iov.iov_base = buf + got;
		iov.iov_len = sizeof(buf) - got;
		if ((n = receive(h, &iov, &in, why)) == -1)
			return -1;
		if (n == 0)
			return failed(why, "hung up without an answer (is it "
			    "declared with expose-fd listeners, and does "
			    "HAProxy have sockets left?)", EPROTO);
		/* The count comes alone, before any socket. */
		if (!credentials_alone(&in.ctl)) {
			dispose_rights(&in.ctl);
			return failed(why, "not an answer to _getsocks",
			    EPROTO);
		}
		got += n;
	}
	memcpy(&h->expected, buf, sizeof(h->expected));
	if (h->expected <= 0 || h->expected > MAX_SOCKETS)
		return failed(why, "not an answer to _getsocks", EPROTO);
	return 0;
}

/* Takes the descriptors of one message's SCM_RIGHTS items into h. */
static int
take_rights(struct haproxy *h, const struct fdp_control *ctl,
    const char **why)
{
	const struct fdp_ancil *item;
	size_t i, n, total = 0;

	for (i = 0; i < ctl->nitems; i++) {
		item = &ctl->items[i];
		if (item->level == SOL_SOCKET &&
		    item->type == SCM_CREDENTIALS)
			continue;
		if (item->level != SOL_SOCKET || item->type != SCM_RIGHTS) {
			dispose_rights(ctl);
			return failed(why, "sent an unexpected control "
			    "message", EPROTO);
		}
		total += item->len / sizeof(int);
	}
	if (h->nfds + total > (size_t)h->expected) {
		dispose_rights(ctl);
		return failed(why, "sent more sockets than it announced",
		    EPROTO);
	}
	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].type != SCM_RIGHTS)
			continue;
		n = ctl->items[i].len / sizeof(int);
		memcpy(h->fds + h->nfds, ctl->items[i].data, n * sizeof(int));
		h->nfds += n;
	}
	return 0;
}

/*
 * Receives the batches until all the announced sockets are in, each
 * acknowledged as HAProxy waits for.  A batch's metadata may come in
 * several reads, so all of it is kept and checked at the end.
 */
static int
receive_batches(struct haproxy *h, const char **why)
{
	struct incoming in;
	struct iovec iov;
	size_t room = (size_t)h->expected * META_MAX;
	int ack = 0;
	ssize_t n;

	if ((h->fds = calloc(h->expected, sizeof(int))) == NULL ||
	    (h->meta = calloc(room, 1)) == NULL)
		return -1;
	while (h->nfds < (size_t)h->expected) {
		if (h->metalen == room)
			return failed(why, "sent more metadata than its "
			    "sockets have", EPROTO);
		iov.iov_base = h->meta + h->metalen;
		iov.iov_len = room - h->metalen;
		if ((n = receive(h, &iov, &in, why)) == -1)
			return -1;
		if (n == 0)
			return failed(why, "hung up before sending all the "
			    "sockets it announced", EPROTO);
		h->metalen += n;
		if (take_rights(h, &in.ctl, why) == -1)
			return -1;
		/* HAProxy 2.6 hangs up without waiting for the last one. */
		if (write_all(h, &ack, sizeof(ack)) == -1 &&
		    (h->nfds < (size_t)h->expected ||
		    (errno != EPIPE && errno != ECONNRESET)))
			return -1;
	}
	return 0;
}

/* Checks that the metadata describes exactly the sockets received. */
static int
check_metadata(const struct haproxy *h, const char **why)
{
	size_t i, off = 0;

	for (i = 0; i < h->nfds; i++) {
		/* Namespace name, then interface name, each length first. */
		if (off < h->metalen)
			off += 1 + h->meta[off];
		if (off < h->metalen)
			off += 1 + h->meta[off];
		off += sizeof(int);
		if (off > h->metalen)
			break;
	}
	if (off != h->metalen)
		return failed(why, "sent malformed socket metadata", EPROTO);
	return 0;
}

/*
 * Asks HAProxy, on a connection of its own, which of its sockets are
 * stats sockets ("show cli sockets"): the process that answers must be
 * the one that handed them over.  Returns the answer, allocated and
 * NUL-terminated, or NULL.
 */
static char *
ask_cli_sockets(struct haproxy *h, const char **why)
{
	const char ask[] = "show cli sockets\n";
	struct incoming in;
	struct iovec iov;
	size_t len = 0;
	ssize_t n;
	char *list;

	if ((h->sock = connect_stats(h->path, h->deadline)) == -1 ||
	    write_all(h, ask, strlen(ask)) == -1 ||
	    (list = malloc(CLI_LIST_MAX + 1)) == NULL)
		return NULL;
	for (;;) {
		if (len == CLI_LIST_MAX) {
			failed(why, "listed more stats sockets than fdpass "
			    "reads", EPROTO);
			break;
		}
		iov.iov_base = list + len;
		iov.iov_len = CLI_LIST_MAX - len;
		if ((n = receive(h, &iov, &in, why)) == -1)
			break;
		if (!credentials_alone(&in.ctl)) {
			dispose_rights(&in.ctl);
			failed(why, "sent descriptors with its list of stats "
			    "sockets", EPROTO);
			break;
		}
		if (n == 0) {
			list[len] = '\0';
			return list;
		}
		len += n;
	}
	free(list);
	return NULL;
}

/* Tells whether any of the sockets received is one: a stats socket is. */
static int
any_socket(const struct haproxy *h)
{
	struct stat st;
	size_t i;

	for (i = 0; i < h->nfds; i++)
		if (fstat(h->fds[i], &st) == 0 && S_ISSOCK(st.st_mode))
			return 1;
	return 0;
}

int
haproxy_ask(struct haproxy *h, const char *path, const struct deadline *d,
    const char **why)
{
	memset(h, 0, sizeof(*h));
	h->path = path;
	h->deadline = d;
	*why = NULL;
	if ((h->sock = connect_stats(path, d)) == -1)
		return -1;
	if (write_all(h, "_getsocks\n", strlen("_getsocks\n")) == -1 ||
	    read_count(h, why) == -1) {
		haproxy_abandon(h);
		return -1;
	}
	return 0;
}

ssize_t
haproxy_take(struct haproxy *h, struct haproxy_socket **out,
    const char **why)
{
	struct haproxy_socket *s = NULL;
	char *list = NULL;
	size_t i, n;

	*why = NULL;
	if (receive_batches(h, why) == -1 || check_metadata(h, why) == -1)
		goto fail;
	/* HAProxy may have queued more on it, which could linger. */
	dispose_connection(h->sock);
	h->sock = -1;
	/* Only a socket can be a stats socket: pipes need no question. */
	if ((any_socket(h) && (list = ask_cli_sockets(h, why)) == NULL) ||
	    (s = calloc(h->nfds, sizeof(*s))) == NULL)
		goto fail;
	for (i = 0; i < h->nfds; i++) {
		s[i].fd = h->fds[i];
		s[i].stats = list != NULL && haproxy_listed(list, h->fds[i]);
	}
	free(list);
	/* The sockets are the caller's now; the rest goes. */
	*out = s;
	n = h->nfds;
	h->nfds = 0;
	haproxy_abandon(h);
	return n;
fail:
	free(list);
	haproxy_abandon(h);
	return -1;
}

void
haproxy_abandon(struct haproxy *h)
{
	int saved = errno;

	/*
	 * HAProxy's sockets, and its connection with any still queued, are
	 * dropped without waiting on them, as recv drops what it refuses.
	 */
	dispose_fds(h->fds, h->nfds);
	free(h->fds);
	free(h->meta);
	if (h->sock != -1)
		dispose_connection(h->sock);
	memset(h, 0, sizeof(*h));
	h->sock = -1;
	errno = saved;
}
