/*
 * The holder's sd_notify socket, read by the main loop a datagram at a
 * time and never waited on.  A datagram is assignments, one a line, read
 * as systemd's service manager reads them: FDSTORE=1 stores the
 * descriptors that came with it under FDNAME= ("stored" without one),
 * watched for hang-ups unless FDPOLL=0 came too; FDSTOREREMOVE=1 drops
 * what FDNAME= holds; the other assignments mean nothing to a holder.
 * Only the users the access rules allow are heard, by the credentials
 * the kernel attaches to each datagram.  What is not stored is disposed
 * of, never closed here (dispose.c).
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "dispose.h"
#include "endpoint.h"
#include "hold_notify.h"
#include "log.h"
#include "msg.h"
#include "transfer.h"
#include "wire.h"

/* The longest datagram heard, as systemd's (NOTIFY_BUFFER_MAX). */
#define NOTIFY_MAX	4096

/* What systemd names a descriptor stored without FDNAME=. */
#define DEFAULT_NAME	"stored"

/* Room for a datagram's descriptors and its sender's credentials. */
union notify_control {
	struct cmsghdr	align;
	unsigned char	bytes[TRANSFER_CONTROL_SPACE];
};

/* One datagram as it came: its text, its descriptors and its sender. */
struct notice {
	char		 text[NOTIFY_MAX + 1];
	int		 flags;		/* MSG_TRUNC, MSG_CTRUNC */
	int		 nul;		/* a NUL byte in the text */
	/* As many as the control buffer could bring: all of them. */
	int		 fds[sizeof(union notify_control) / sizeof(int)];
	size_t		 nfds;
	struct fdp_peer	 sender;
	int		 sender_known;
};

/* What a datagram's assignments ask of the holder. */
struct fields {
	int		 store;		/* FDSTORE=1 */
	int		 remove;	/* FDSTOREREMOVE=1 */
	int		 watched;	/* no FDPOLL=0 */
	char		*name;		/* the first FDNAME=, or NULL */
};

/*
 * Binds the --notify-socket, which goes with the holder's socket file at
 * exit, non-blocking and with its senders' credentials; exits 1 if it
 * cannot.  Returns it, with the file it made.
 */
const struct listener *
hold_notify_open(const struct hold_options *o)
{
	const struct listener *l;
	int flags;

	l = endpoint_listen_also(o->notify_socket, SOCK_DGRAM, o->sock.mode);
	if ((flags = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		err(1, "listen %s", o->notify_socket);
	return l;
}

/* Notes in n the descriptors and the credentials that came in msg. */
static void
collect(struct msghdr *msg, struct notice *n)
{
	struct cmsghdr *c;
	struct ucred uc;
	size_t count;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(n->fds + n->nfds, CMSG_DATA(c),
			    count * sizeof(int));
			n->nfds += count;
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(uc))) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			n->sender = (struct fdp_peer){ uc.pid, uc.uid, uc.gid,
			    0 };
			n->sender_known = 1;
		}
	}
}

/*
 * Takes the next datagram into n, with whatever descriptors came, even
 * cut short; fails with EAGAIN when there is none.
 */
static int
receive(int sock, struct notice *n)
{
	union notify_control ctl;
	struct iovec iov = { n->text, NOTIFY_MAX };
	struct msghdr msg = { 0 };
	ssize_t len;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.bytes;
	msg.msg_controllen = sizeof(ctl.bytes);
	do
		len = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (len == -1 && errno == EINTR);
	if (len == -1)
		return -1;
	n->text[len] = '\0';
	n->flags = msg.msg_flags;
	n->nul = memchr(n->text, '\0', len) != NULL;
	n->nfds = 0;
	n->sender_known = 0;
	collect(&msg, n);
	return 0;
}

/* Reads the assignments in text, which it cuts into lines, into f. */
static void
read_fields(char *text, struct fields *f)
{
	char *line, *rest = text;

	*f = (struct fields){ 0, 0, 1, NULL };
	while ((line = strsep(&rest, "\n")) != NULL) {
		if (strcmp(line, "FDSTORE=1") == 0)
			f->store = 1;
		else if (strcmp(line, "FDSTOREREMOVE=1") == 0)
			f->remove = 1;
		else if (strcmp(line, "FDPOLL=0") == 0)
			f->watched = 0;
		else if (f->name == NULL && strncmp(line, "FDNAME=", 7) == 0)
			f->name = line + 7;
	}
}

/*
 * Tells why the datagram n, whose assignments are f, is not heard at
 * all, in buf if need be, or NULL when it is.
 */
static const char *
refusal(const struct notice *n, const struct fields *f,
    const struct access *acc, char *buf, size_t size)
{
	if (!n->sender_known || n->sender.pid == 0)
		return "its sender's credentials are unknown";
	if (!access_allowed(acc, &n->sender)) {
		snprintf(buf, size, "uid %ld: not allowed",
		    (long)n->sender.uid);
		return buf;
	}
	if (n->flags & MSG_CTRUNC)
		return "control data truncated (MSG_CTRUNC)";
	if (n->flags & MSG_TRUNC)
		return "longer than 4096 bytes (MSG_TRUNC)";
	if (n->nul)
		return "a NUL byte in it";
	if ((f->store || f->remove) && f->name != NULL &&
	    (f->name[0] == '\0' || !wire_name_valid(f->name)))
		return "FDNAME= is not a valid name";
	return NULL;
}

/* Logs what became of the datagram n and why. */
static void
report(const struct hold_options *o, const struct notice *n, const char *why)
{
	if (n->sender_known)
		log_warnx("hold %s: notify from pid %ld: %s", o->socket_arg,
		    (long)n->sender.pid, why);
	else
		log_warnx("hold %s: notify: %s", o->socket_arg, why);
}

/* Stores n's descriptors under f's name; the table owns them from then on. */
static void
store(struct holder *h, const struct hold_options *o, struct notice *n,
    const struct fields *f)
{
	char *names[sizeof(n->fds) / sizeof(n->fds[0])];
	struct refusal no;
	size_t i;

	if (n->nfds == 0)
		return;
	for (i = 0; i < n->nfds; i++)
		names[i] = f->name != NULL ? f->name : DEFAULT_NAME;
	if (holder_store(h, n->fds, names, n->nfds, f->watched, &no) == -1) {
		report(o, n, no.why);
		return;
	}
	n->nfds = 0;
}

/* Drops what f's name holds; a name that holds nothing is no matter. */
static void
remove_name(struct holder *h, const struct hold_options *o,
    const struct notice *n, struct fields *f)
{
	const char *missing;

	if (f->name == NULL)
		report(o, n, "FDSTOREREMOVE=1 without FDNAME=");
	else if (holder_remove(h, &f->name, 1, &missing) == -1 &&
	    errno != ENOENT)
		report(o, n, "FDSTOREREMOVE=1: out of memory");
}

/*
 * Takes the next datagram on the notify socket sock, if there is one,
 * and does what it asks of the holder h, as the options o allow.
 */
void
hold_notify_take(int sock, struct holder *h, const struct hold_options *o)
{
	struct notice n;
	struct fields f;
	const char *why;
	char buf[64];

	if (receive(sock, &n) == -1) {
		if (errno != EAGAIN)
			log_warn("hold %s: notify socket", o->socket_arg);
		return;
	}
	read_fields(n.text, &f);
	if ((why = refusal(&n, &f, &o->sock.access, buf, sizeof(buf))) !=
	    NULL)
		report(o, &n, why);
	else {
		if (f.store)
			store(h, o, &n, &f);
		if (f.remove)
			remove_name(h, o, &n, &f);
		if (n.nfds > 0 && !f.store)
			report(o, &n, "descriptors without FDSTORE=1, "
			    "disposed of");
	}
	dispose_fds(n.fds, n.nfds);
}
