/*
 * Unit tests of the core, src/msg.c, over socketpair(2): data and
 * descriptors in and out, truncation and rejection with nothing leaked,
 * EINTR and partial writes.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "unit.h"

#define MANY_IOVECS	3000
#define MANY_FDS	600
#define FNV_INIT	UINT64_C(0xcbf29ce484222325)

/* A control buffer for fdp_recv, aligned for struct cmsghdr. */
union control {
	struct cmsghdr	align;
	unsigned char	bytes[2 * FDP_RIGHTS_SPACE];
};

/* What a reader got: the checksum of the bytes and how many fds came. */
struct got {
	uint64_t	sum;
	uint64_t	nfds;
};

/* The state of the signal handlers; alarm_sock is where they act. */
static volatile sig_atomic_t alarms, drained, drained_fds, bad;
static int alarm_sock = -1;

/* Byte i of a test stream; no short shift of it matches itself. */
static unsigned char
pattern(size_t i)
{
	return (i * UINT64_C(2654435761)) >> 13 & 0xff;
}

/* Fills buf with len bytes of the test stream. */
static void
fill_pattern(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
}

/* FNV-1a of len bytes, continuing from sum. */
static uint64_t
fnv(uint64_t sum, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len-- > 0)
		sum = (sum ^ *c++) * UINT64_C(0x100000001b3);
	return sum;
}

/*
 * recvmsg(2) without the library: adds the number of descriptors that
 * came to *nfds and closes them.  Safe in a signal handler.
 */
static ssize_t
recv_counting(int sock, void *buf, size_t len, int flags, int *nfds)
{
	union control space;
	struct iovec iov = { buf, len };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	ssize_t n;
	size_t off;
	int fd;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = space.bytes;
	msg.msg_controllen = sizeof(space.bytes);
	if ((n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (off = 0; CMSG_LEN(off + sizeof(int)) <= c->cmsg_len;
		    off += sizeof(int)) {
			memcpy(&fd, CMSG_DATA(c) + off, sizeof(int));
			close(fd);
			(*nfds)++;
		}
	}
	return n;
}

/* Reads len bytes, or up to end of file, and sums up what came. */
static void
read_all(int sock, size_t len, struct got *got)
{
	static unsigned char buf[65536];
	ssize_t n;
	int nfds = 0;

	got->sum = FNV_INIT;
	while (len > 0) {
		n = recv_counting(sock, buf, len < sizeof(buf) ? len :
		    sizeof(buf), 0, &nfds);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got->sum = fnv(got->sum, buf, n);
		len -= n;
	}
	got->nfds = nfds;
}

/*
 * Forks a child that reads len bytes from give, or up to end of file, and
 * writes back what it got.  The parent is left with keep only.
 */
static pid_t
spawn_reader(int keep, int give, size_t len)
{
	struct got got;
	pid_t pid;

	if ((pid = fork()) != 0) {
		close(give);
		return pid;
	}
	close(keep);
	read_all(give, len, &got);
	_exit(write(give, &got, sizeof(got)) == sizeof(got) ? 0 : 1);
}

/* Ends the write side of sock and collects what the reader got. */
static int
reader_result(int sock, pid_t pid, struct got *got)
{
	ssize_t n;
	int status;

	shutdown(sock, SHUT_WR);
	n = recv(sock, got, sizeof(*got), MSG_WAITALL);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return -1;
	return n == sizeof(*got) ? 0 : -1;
}

/* Counts alarms. */
static void
count_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Counts alarms and sends one byte on alarm_sock at the third. */
static void
send_on_third(int sig)
{
	int saved = errno;

	(void)sig;
	if (++alarms == 3)
		send(alarm_sock, "x", 1, MSG_NOSIGNAL);
	errno = saved;
}

/* Counts alarms and reads what waits on alarm_sock, checking it. */
static void
drain(int sig)
{
	unsigned char buf[4096];
	ssize_t n, i;
	int nfds = 0, saved = errno;

	(void)sig;
	alarms++;
	while ((n = recv_counting(alarm_sock, buf, sizeof(buf), MSG_DONTWAIT,
	    &nfds)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(drained + i))
				bad++;
		drained += n;
	}
	drained_fds += nfds;
	errno = saved;
}

/* Raises SIGALRM every usec microseconds into handler, no SA_RESTART. */
static int
start_alarms(void (*handler)(int), long usec, struct sigaction *old)
{
	struct itimerval it = { { 0, usec }, { 0, usec } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	alarms = 0;
	if (sigaction(SIGALRM, &sa, old) == -1)
		return -1;
	if (setitimer(ITIMER_REAL, &it, NULL) == -1) {
		sigaction(SIGALRM, old, NULL);
		return -1;
	}
	return 0;
}

/* Stops the alarms and puts the old SIGALRM action back. */
static void
stop_alarms(const struct sigaction *old)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, old, NULL);
}

/* Tells whether nothing is waiting to be read on sock. */
static int
nothing_waiting(int sock)
{
	char byte;

	return recv(sock, &byte, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

/* fdp_send and fdp_recv move data with one iovec and no ancillary data. */
static void
test_data_only(void)
{
	union control space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    4, 0, 0 };
	char msg[] = "hello", buf[16];
	struct iovec out = { msg, 5 }, in = { buf, sizeof(buf) };
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(fdp_send(sv[0], &out, 1, NULL, 0, 0) == 5);
	CHECK(fdp_recv(sv[1], &in, 1, &ctl, 0) == 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK(ctl.nitems == 0);
	CHECK((ctl.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0);
	unit_close_all(sv, 2);
}

/* More than IOV_MAX iovecs on a stream all go out, in their order. */
static void
test_gather_many(void)
{
	static unsigned char chunks[MANY_IOVECS * 16];
	static struct iovec iov[MANY_IOVECS];
	struct got got;
	uint64_t sum = FNV_INIT;
	size_t i, total = 0;
	int sv[2];

	fill_pattern(chunks, sizeof(chunks));
	/* Each iovec points somewhere else, not at the bytes after the last. */
	for (i = 0; i < MANY_IOVECS; i++) {
		iov[i].iov_base = chunks + (i * 7919) % MANY_IOVECS * 16;
		iov[i].iov_len = 1 + i % 13;
		sum = fnv(sum, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	/* The default buffer holds all of it, so no reader need run. */
	CHECK(fdp_send(sv[0], iov, MANY_IOVECS, NULL, 0, 0) == (ssize_t)total);
	close(sv[0]);
	read_all(sv[1], total, &got);
	CHECK(got.sum == sum);
	CHECK(read(sv[1], chunks, 1) == 0);
	close(sv[1]);
}

/* fdp_recv scatters one message over several iovecs. */
static void
test_scatter(void)
{
	char msg[] = "abcdefghij", a[3], b[3], c[8];
	struct iovec out = { msg, 10 };
	struct iovec in[] = { { a, sizeof(a) }, { b, sizeof(b) },
	    { c, sizeof(c) } };
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_SEQPACKET, sv) == 0))
		return;
	CHECK(fdp_send(sv[0], &out, 1, NULL, 0, 0) == 10);
	CHECK(fdp_recv(sv[1], in, 3, NULL, 0) == 10);
	CHECK(memcmp(a, "abc", 3) == 0 && memcmp(b, "def", 3) == 0);
	CHECK(memcmp(c, "ghij", 4) == 0);
	unit_close_all(sv, 2);
}

/* Where a message cannot be split, IOV_MAX iovecs go and one more fails. */
static void
test_iov_max_message(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_SEQPACKET };
	static char bytes[IOV_MAX + 1];
	static struct iovec iov[IOV_MAX + 1];
	size_t i;
	int sv[2];

	for (i = 0; i < IOV_MAX + 1; i++) {
		iov[i].iov_base = bytes + i;
		iov[i].iov_len = 1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!CHECK(unit_socketpair(types[i], sv) == 0))
			return;
		CHECK(fdp_send(sv[0], iov, IOV_MAX, NULL, 0, 0) == IOV_MAX);
		CHECK(recv(sv[1], bytes, sizeof(bytes), 0) == IOV_MAX);
		errno = 0;
		CHECK(fdp_send(sv[0], iov, IOV_MAX + 1, NULL, 0, 0) == -1);
		CHECK(errno == EMSGSIZE);
		CHECK(nothing_waiting(sv[1]));
		unit_close_all(sv, 2);
	}
}

/* A descriptor sent alone arrives as the same file, close-on-exec. */
static void
test_fds_only(void)
{
	char buf[4] = "?";
	size_t nfds = 0;
	int sv[2], fd, got;

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send_fds(sv[0], &fd, 1, NULL, 0) == 0);
		/* The descriptor rides on one NUL byte. */
		CHECK(fdp_recv_fds(sv[1], &got, 1, &nfds, buf,
		    sizeof(buf)) == 1);
		CHECK(buf[0] == '\0');
		if (CHECK(nfds == 1)) {
			CHECK(unit_same_file(fd, got));
			CHECK(unit_cloexec(got));
			close(got);
		}
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* Descriptors and data sent together arrive together, in order. */
static void
test_fds_and_data(void)
{
	char buf[16];
	size_t nfds = 0;
	int sv[2], fds[2], got[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(fdp_send_fds(sv[0], fds, 2, "hello", 5) == 0);
		CHECK(fdp_recv_fds(sv[1], got, 2, &nfds, buf,
		    sizeof(buf)) == 5);
		CHECK(memcmp(buf, "hello", 5) == 0);
		if (CHECK(nfds == 2)) {
			CHECK(unit_same_file(fds[0], got[0]));
			CHECK(unit_same_file(fds[1], got[1]));
			CHECK(unit_cloexec(got[0]) && unit_cloexec(got[1]));
			unit_close_all(got, 2);
		}
		unit_close_all(fds, 2);
	}
	unit_close_all(sv, 2);
}

/* An SCM_RIGHTS item given to fdp_send comes out of fdp_recv as an item. */
static void
test_rights_item(void)
{
	union control space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    4, 0, 0 };
	char msg[] = "x", buf[4];
	struct iovec out = { msg, 1 }, in = { buf, sizeof(buf) };
	int sv[2], fds[2], got[2];
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fds), fds };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(fdp_send(sv[0], &out, 1, &rights, 1, 0) == 1);
		CHECK(fdp_recv(sv[1], &in, 1, &ctl, 0) == 1);
		if (CHECK(ctl.nitems == 1)) {
			CHECK(items[0].level == SOL_SOCKET);
			CHECK(items[0].type == SCM_RIGHTS);
			CHECK(items[0].len == 2 * sizeof(int));
			memcpy(got, items[0].data, sizeof(got));
			CHECK(unit_same_file(fds[0], got[0]));
			CHECK(unit_same_file(fds[1], got[1]));
			fdp_close_rights(&ctl);
		}
		unit_close_all(fds, 2);
	}
	unit_close_all(sv, 2);
}

/* Two items of different types go out and come back, in kernel order. */
static void
test_two_items(void)
{
	union control space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    4, 0, 0 };
	struct ucred cred = { getpid(), getuid(), getgid() }, got;
	char msg[] = "x", buf[4];
	struct iovec out = { msg, 1 }, in = { buf, sizeof(buf) };
	int sv[2], fd, on = 1;
	struct fdp_ancil send_items[] = {
		{ SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd },
		{ SOL_SOCKET, SCM_CREDENTIALS, sizeof(cred), &cred },
	};

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == 0);
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send(sv[0], &out, 1, send_items, 2, 0) == 1);
		CHECK(fdp_recv(sv[1], &in, 1, &ctl, 0) == 1);
		if (CHECK(ctl.nitems == 2)) {
			CHECK(items[0].type == SCM_CREDENTIALS);
			CHECK(items[0].len == sizeof(cred));
			memcpy(&got, items[0].data, sizeof(got));
			CHECK(got.pid == cred.pid && got.uid == cred.uid);
			CHECK(items[1].type == SCM_RIGHTS);
			CHECK(items[1].len == sizeof(int));
			fdp_close_rights(&ctl);
		}
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* More descriptors than one message holds arrive in batches, in order. */
static void
test_many_fds(void)
{
	static int fds[MANY_FDS], got[MANY_FDS];
	size_t i, n = 0, k;
	char byte, want = 'x';
	int sv[2];

	if (!CHECK(unit_want_fds(2 * MANY_FDS + 8)))
		return;
	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, MANY_FDS) == 0)) {
		CHECK(fdp_send_fds(sv[0], fds, MANY_FDS, &want, 1) == 0);
		/* The data rides with the first batch, a NUL with the rest. */
		while (n < MANY_FDS) {
			if (!CHECK(fdp_recv_fds(sv[1], got + n, MANY_FDS - n,
			    &k, &byte, 1) == 1) || !CHECK(k > 0))
				break;
			CHECK(byte == want);
			n += k;
			want = '\0';
		}
		CHECK(n == MANY_FDS);
		for (i = 0; i < n; i++)
			CHECK(unit_same_file(fds[i], got[i]));
		unit_close_all(got, n);
		unit_close_all(fds, MANY_FDS);
	}
	unit_close_all(sv, 2);
}

/* Three descriptors with room for one: EMSGSIZE, all of them closed. */
static void
test_recv_fds_ctrunc(void)
{
	char buf[4];
	size_t nfds;
	int sv[2], fd, fds[3], got[1];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		fds[0] = fds[1] = fds[2] = fd;
		CHECK(fdp_send_fds(sv[0], fds, 3, NULL, 0) == 0);
		errno = 0;
		CHECK(fdp_recv_fds(sv[1], got, 1, &nfds, buf,
		    sizeof(buf)) == -1);
		CHECK(errno == EMSGSIZE);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* Two fds with room for one, not cut by the kernel: EMSGSIZE, both closed. */
static void
test_recv_fds_padding(void)
{
	char buf[4];
	size_t nfds;
	int sv[2], fds[2], got[1];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(fdp_send_fds(sv[0], fds, 2, NULL, 0) == 0);
		/* CMSG_SPACE for one int has padding where a second fits. */
		errno = 0;
		CHECK(fdp_recv_fds(sv[1], got, 1, &nfds, buf,
		    sizeof(buf)) == -1);
		CHECK(errno == EMSGSIZE);
		unit_close_all(fds, 2);
	}
	unit_close_all(sv, 2);
}

/* A control buffer too small: MSG_CTRUNC, EMSGSIZE, no descriptor kept. */
static void
test_recv_ctrunc(void)
{
	union {
		struct cmsghdr	align;
		unsigned char	bytes[CMSG_SPACE(sizeof(int))];
	} space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    4, 0, 0 };
	char buf[4];
	struct iovec in = { buf, sizeof(buf) };
	int sv[2], fd, fds[3];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		fds[0] = fds[1] = fds[2] = fd;
		CHECK(fdp_send_fds(sv[0], fds, 3, "x", 1) == 0);
		errno = 0;
		CHECK(fdp_recv(sv[1], &in, 1, &ctl, 0) == -1);
		CHECK(errno == EMSGSIZE);
		CHECK(ctl.msg_flags & MSG_CTRUNC);
		CHECK(ctl.nitems == 0);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* A datagram too big for the buffer: MSG_TRUNC, EMSGSIZE, its fd closed. */
static void
test_recv_trunc(void)
{
	union control space;
	struct fdp_ancil items[4];
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    4, 0, 0 };
	char buf[4];
	struct iovec in = { buf, sizeof(buf) };
	int sv[2], fd;

	if (!CHECK(unit_socketpair(SOCK_DGRAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send_fds(sv[0], &fd, 1, "hello world", 11) == 0);
		errno = 0;
		CHECK(fdp_recv(sv[1], &in, 1, &ctl, 0) == -1);
		CHECK(errno == EMSGSIZE);
		CHECK(ctl.msg_flags & MSG_TRUNC);
		CHECK(ctl.nitems == 0);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* With no control buffer a descriptor is refused: EMSGSIZE, none kept. */
static void
test_recv_no_control(void)
{
	char buf[4];
	struct iovec in = { buf, sizeof(buf) };
	int sv[2], fd;

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send_fds(sv[0], &fd, 1, "x", 1) == 0);
		errno = 0;
		CHECK(fdp_recv(sv[1], &in, 1, NULL, 0) == -1);
		CHECK(errno == EMSGSIZE);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* An item other than SCM_RIGHTS fails fdp_recv_fds: EBADMSG, fd closed. */
static void
test_recv_fds_credentials(void)
{
	char buf[4];
	size_t nfds;
	int sv[2], fd, got[16], on = 1;

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == 0);
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send_fds(sv[0], &fd, 1, "x", 1) == 0);
		errno = 0;
		CHECK(fdp_recv_fds(sv[1], got, 16, &nfds, buf,
		    sizeof(buf)) == -1);
		CHECK(errno == EBADMSG);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/*
 * fdp_credentials reads who sent a message from its SCM_CREDENTIALS item,
 * and takes no other item for one.
 */
static void
test_credentials(void)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	bytes[CMSG_SPACE(sizeof(struct ucred))];
	} buf;
	struct fdp_ancil items[2], rights = { SOL_SOCKET, SCM_RIGHTS, 0,
	    NULL };
	struct fdp_control ctl = { buf.bytes, sizeof(buf), items, 2, 0, 0 };
	struct fdp_peer who = { 0, 0, 0, 1 };
	struct iovec iov;
	char c;
	int sv[2], on = 1;

	if (!CHECK(unit_socketpair(SOCK_DGRAM, sv) == 0))
		return;
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == 0);
	CHECK(write(sv[0], "x", 1) == 1);
	iov.iov_base = &c;
	iov.iov_len = 1;
	CHECK(fdp_recv(sv[1], &iov, 1, &ctl, 0) == 1);
	if (CHECK(ctl.nitems == 1)) {
		CHECK(fdp_credentials(&items[0], &who) == 0);
		CHECK(who.pid == getpid() && who.uid == geteuid() &&
		    who.gid == getegid() && who.pidfd_inode == 0);
	}
	errno = 0;
	CHECK(fdp_credentials(&rights, &who) == -1 && errno == EINVAL);
	unit_close_all(sv, 2);
}

/* fdp_recv goes on waiting when signals interrupt it. */
static void
test_recv_eintr(void)
{
	struct sigaction old;
	char buf[4];
	struct iovec in = { buf, sizeof(buf) };
	ssize_t n;
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	/* Two alarms interrupt the wait; the third sends the byte. */
	alarm_sock = sv[0];
	if (CHECK(start_alarms(send_on_third, 10000, &old) == 0)) {
		n = fdp_recv(sv[1], &in, 1, NULL, 0);
		stop_alarms(&old);
		CHECK(n == 1 && buf[0] == 'x');
		CHECK(alarms >= 3);
	}
	unit_close_all(sv, 2);
}

/* A blocked write that signals interrupt completes, its fd sent once. */
static void
test_send_eintr(void)
{
	enum { ROOM = 4 << 20, LEN = 1 << 20 };
	static unsigned char buf[ROOM + LEN];
	struct sigaction old;
	struct iovec out;
	size_t filled = 0;
	ssize_t n = 0;
	int sv[2], fd;
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd };

	fill_pattern(buf, sizeof(buf));
	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (!CHECK(unit_memfds(&fd, 1) == 0)) {
		unit_close_all(sv, 2);
		return;
	}
	while (filled < ROOM &&
	    (n = send(sv[0], buf + filled, 65536, MSG_DONTWAIT)) > 0)
		filled += n;
	CHECK(n == -1 && errno == EAGAIN);
	/*
	 * The buffer is full, so the first alarm interrupts the write before
	 * any byte went (EINTR), the later ones after some did (a short
	 * count).  Each alarm reads what is waiting, so the write can go on.
	 */
	alarm_sock = sv[1];
	drained = drained_fds = bad = 0;
	out.iov_base = buf + filled;
	out.iov_len = LEN;
	if (CHECK(start_alarms(drain, 5000, &old) == 0)) {
		CHECK(fdp_send(sv[0], &out, 1, &rights, 1, 0) == LEN);
		stop_alarms(&old);
		CHECK(alarms > 0);
		drain(0);
		CHECK(drained == (sig_atomic_t)(filled + LEN) && bad == 0);
		CHECK(drained_fds == 1);
	}
	close(fd);
	unit_close_all(sv, 2);
}

/* 8 MiB in 2048 iovecs, written in short pieces, arrive intact, fd once. */
static void
test_partial_writes(void)
{
	enum { CHUNK = 4096, NCHUNKS = 2048, LEN = CHUNK * NCHUNKS };
	static unsigned char buf[LEN];
	static struct iovec iov[NCHUNKS];
	struct sigaction old;
	struct got got = { 0, 0 };
	size_t i;
	pid_t pid;
	int sv[2], fd, small = 4096;
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd };

	fill_pattern(buf, LEN);
	for (i = 0; i < NCHUNKS; i++) {
		iov[i].iov_base = buf + i * CHUNK;
		iov[i].iov_len = CHUNK;
	}
	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)) == 0);
	if (!CHECK((pid = spawn_reader(sv[0], sv[1], LEN)) != -1)) {
		close(sv[0]);
		return;
	}
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		/* Alarms cut the sendmsg calls on the small buffer short. */
		if (CHECK(start_alarms(count_alarm, 1000, &old) == 0)) {
			CHECK(fdp_send(sv[0], iov, NCHUNKS, &rights, 1, 0) ==
			    LEN);
			stop_alarms(&old);
			CHECK(alarms > 0);
		}
		close(fd);
	}
	CHECK(reader_result(sv[0], pid, &got) == 0);
	CHECK(got.sum == fnv(FNV_INIT, buf, LEN));
	CHECK(got.nfds == 1);
	close(sv[0]);
}

/* Descriptors with no data byte on a stream are refused: EINVAL. */
static void
test_send_fds_no_data_stream(void)
{
	struct iovec out = { NULL, 0 };
	int sv[2], fd;
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		errno = 0;
		CHECK(fdp_send(sv[0], &out, 1, &rights, 1, 0) == -1);
		CHECK(errno == EINVAL);
		CHECK(nothing_waiting(sv[1]));
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* A datagram may carry descriptors and no data at all. */
static void
test_send_fds_no_data_dgram(void)
{
	char buf[4];
	size_t nfds = 0;
	int sv[2], fd, got;
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, sizeof(fd), &fd };

	if (!CHECK(unit_socketpair(SOCK_DGRAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send(sv[0], NULL, 0, &rights, 1, 0) == 0);
		CHECK(fdp_recv_fds(sv[1], &got, 1, &nfds, buf,
		    sizeof(buf)) == 0);
		if (CHECK(nfds == 1)) {
			CHECK(unit_same_file(fd, got));
			close(got);
		}
		close(fd);
	}
	unit_close_all(sv, 2);
}

/*
 * fdp_peer reports this very process at the other end of a socketpair,
 * with the inode of its own pidfd where the kernel has pidfs.
 */
static void
test_peer(void)
{
	struct fdp_peer peer = { 0, 0, 0, 0 };
	uint64_t own = 0;
	int sv[2], pidfd;

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(fdp_peer(sv[0], &peer) == 0);
	CHECK(peer.pid == getpid());
	CHECK(peer.uid == getuid() && peer.gid == getgid());
	if ((pidfd = syscall(SYS_pidfd_open, getpid(), 0)) != -1) {
		if (fdp_pidfd_inode(pidfd, &own) == -1)
			CHECK(errno == ENOTSUP);
		close(pidfd);
	}
	CHECK(peer.pidfd_inode == own);
	unit_close_all(sv, 2);
}

/*
 * With MSG_DONTWAIT a full stream socket ends the send early: the bytes
 * that went are returned, and EAGAIN comes only when none could.
 */
static void
test_send_dontwait(void)
{
	enum { CHUNK = 4096, NCHUNKS = 256 };
	static unsigned char buf[CHUNK * NCHUNKS];
	static struct iovec iov[NCHUNKS];
	size_t i;
	ssize_t n;
	int sv[2], small = 4096;

	for (i = 0; i < NCHUNKS; i++) {
		iov[i].iov_base = buf + i * CHUNK;
		iov[i].iov_len = CHUNK;
	}
	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)) == 0);
	n = fdp_send(sv[0], iov, NCHUNKS, NULL, 0, MSG_DONTWAIT);
	CHECK(n > 0 && (size_t)n < sizeof(buf));
	errno = 0;
	CHECK(fdp_send(sv[0], iov, NCHUNKS, NULL, 0, MSG_DONTWAIT) == -1);
	CHECK(errno == EAGAIN);
	unit_close_all(sv, 2);
}

static const struct unit_test tests[] = {
	{ "data with one iovec", test_data_only },
	{ "gather of 3000 iovecs on a stream", test_gather_many },
	{ "scatter into three iovecs", test_scatter },
	{ "IOV_MAX on datagram and seqpacket", test_iov_max_message },
	{ "one descriptor, no data", test_fds_only },
	{ "descriptors and data", test_fds_and_data },
	{ "SCM_RIGHTS item through fdp_send/fdp_recv", test_rights_item },
	{ "two ancillary items", test_two_items },
	{ "600 descriptors in batches", test_many_fds },
	{ "fdp_recv_fds: too many fds (MSG_CTRUNC)", test_recv_fds_ctrunc },
	{ "fdp_recv_fds: too many fds (padding)", test_recv_fds_padding },
	{ "fdp_recv: control buffer too small", test_recv_ctrunc },
	{ "fdp_recv: datagram too big (MSG_TRUNC)", test_recv_trunc },
	{ "fdp_recv: no control buffer", test_recv_no_control },
	{ "fdp_recv_fds: SCM_CREDENTIALS refused", test_recv_fds_credentials },
	{ "fdp_recv retries on EINTR", test_recv_eintr },
	{ "fdp_send retries on EINTR", test_send_eintr },
	{ "fdp_send continues partial writes", test_partial_writes },
	{ "fdp_send with MSG_DONTWAIT stops when full", test_send_dontwait },
	{ "fds without data on a stream", test_send_fds_no_data_stream },
	{ "fds without data on a datagram", test_send_fds_no_data_dgram },
	{ "fdp_peer", test_peer },
	{ "fdp_credentials", test_credentials },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
