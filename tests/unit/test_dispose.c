/*
 * Unit tests of src/dispose.c: a TCP socket that lingers on close, alone,
 * queued on a unix connection or brought by a message, is closed without
 * this process waiting, and the process that waits instead holds nothing
 * else.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispose.h"
#include "msg.h"
#include "unit.h"

/* How long the lingering socket would keep its last closer. */
#define LINGER_SECONDS	10

/* A TCP connection on loopback: the end that lingers, and its peer. */
struct lingering {
	int	fd;
	int	peer;
};

/*
 * Connects two TCP sockets on loopback and fills the connection until
 * the sender's buffer is full, the peer reading nothing; then sets
 * SO_LINGER on the sender, whose last close would now wait.
 */
static int
lingering_socket(struct lingering *l)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct linger lg = { 1, LINGER_SECONDS };
	socklen_t len = sizeof(sin);
	char buf[4096] = { 0 };
	int lsn, small = 4096;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(lsn, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
	    bind(lsn, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lsn, 1) == -1 ||
	    getsockname(lsn, (struct sockaddr *)&sin, &len) == -1 ||
	    (l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		close(lsn);
		return -1;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (connect(l->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (l->peer = accept4(lsn, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		close(l->fd);
		close(lsn);
		return -1;
	}
	close(lsn);
	fcntl(l->fd, F_SETFL, O_NONBLOCK);
	while (write(l->fd, buf, sizeof(buf)) > 0)
		continue;
	return setsockopt(l->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Tells whether fd is closed in this process. */
static int
closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static void
test_lingering_socket_is_not_waited_for(void)
{
	struct lingering l = { -1, -1 };
	double start;
	int fd;

	if (!CHECK(lingering_socket(&l) == 0))
		return;
	fd = l.fd;
	start = now();
	dispose_fd(l.fd);
	CHECK(now() - start < LINGER_SECONDS / 2);
	CHECK(closed(fd));
	/* The peer's close resets the connection: the linger ends. */
	close(l.peer);
}

/*
 * A lingering socket queued twice on a new unix stream connection, sp,
 * its last references those in flight; l->peer stays to be closed.
 */
static int
queued_lingering_socket(struct lingering *l, int sp[2])
{
	int twice[2];

	if (lingering_socket(l) == -1)
		return -1;
	if (unit_socketpair(SOCK_STREAM, sp) == -1) {
		close(l->fd);
		close(l->peer);
		return -1;
	}
	twice[0] = twice[1] = l->fd;
	if (fdp_send_fds(sp[0], twice, 2, "", 1) == -1) {
		close(l->fd);
		close(l->peer);
		unit_close_all(sp, 2);
		return -1;
	}
	close(l->fd);
	return 0;
}

static void
test_socket_queued_on_a_connection_is_not_waited_for(void)
{
	struct lingering l = { -1, -1 };
	double start;
	int sp[2];

	/* In flight, the socket's last reference is the queued message. */
	if (!CHECK(queued_lingering_socket(&l, sp) == 0))
		return;
	close(sp[0]);
	start = now();
	dispose_fd(sp[1]);
	CHECK(now() - start < LINGER_SECONDS / 2);
	close(l.peer);
}

static void
test_the_closer_holds_nothing_else(void)
{
	struct lingering l = { -1, -1 };
	struct pollfd pfd;
	int p[2];

	if (!CHECK(pipe2(p, O_CLOEXEC) == 0))
		return;
	if (!CHECK(lingering_socket(&l) == 0)) {
		unit_close_all(p, 2);
		return;
	}
	/* The next drop starts a disposer while the pipe is open. */
	dispose_end();
	dispose_fd(l.fd);
	close(p[1]);
	/* End of file at once: no other process has the write end. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 2000) == 1);
	close(p[0]);
	close(l.peer);
}

static void
test_errno_is_kept_and_nothing_is_nothing(void)
{
	int fds[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, fds) == 0))
		return;
	errno = EILSEQ;
	dispose_fds(fds, 0);
	CHECK(errno == EILSEQ);
	dispose_fds(fds, 2);
	CHECK(errno == EILSEQ);
	CHECK(closed(fds[0]) && closed(fds[1]));
}

static void
test_connection_with_a_socket_queued_is_not_waited_for(void)
{
	struct lingering l = { -1, -1 };
	double start;
	int sp[2];

	if (!CHECK(queued_lingering_socket(&l, sp) == 0))
		return;
	start = now();
	dispose_connection(sp[1]);
	CHECK(now() - start < LINGER_SECONDS / 2);
	CHECK(closed(sp[1]));
	/* Shut for reading: nothing more can be queued on it. */
	CHECK(send(sp[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
	close(sp[0]);
	close(l.peer);
}

static void
test_received_rights_are_not_waited_for(void)
{
	struct lingering l = { -1, -1 };
	struct fdp_ancil items[2];
	union {
		struct cmsghdr	align;
		unsigned char	bytes[CMSG_SPACE(2 * sizeof(int))];
	} space;
	struct fdp_control ctl = { space.bytes, sizeof(space.bytes), items,
	    2, 0, 0 };
	struct iovec iov;
	double start;
	int sp[2], fds[2];
	char c;

	if (!CHECK(queued_lingering_socket(&l, sp) == 0))
		return;
	iov.iov_base = &c;
	iov.iov_len = 1;
	CHECK(fdp_recv(sp[1], &iov, 1, &ctl, 0) == 1);
	start = now();
	dispose_rights(&ctl);
	CHECK(now() - start < LINGER_SECONDS / 2);
	CHECK(ctl.nitems == 1 && items[0].len == 2 * sizeof(int));
	memcpy(fds, items[0].data, sizeof(fds));
	CHECK(closed(fds[0]) && closed(fds[1]));
	unit_close_all(sp, 2);
	close(l.peer);
}

/*
 * Counts this process's children, those ended included, and reaps the
 * ended ones; with live, counts the live ones there.  Made the reaper of
 * its orphans, it counts the disposers started since, grandchildren.
 */
static int
count_children(int *live)
{
	char path[64], state;
	FILE *f, *stat;
	int n = 0, pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", gettid());
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (live != NULL)
		*live = 0;
	while (fscanf(f, "%d", &pid) == 1) {
		n++;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (live == NULL || (stat = fopen(path, "re")) == NULL)
			continue;
		if (fscanf(stat, "%*d %*s %c", &state) == 1 && state != 'Z')
			++*live;
		fclose(stat);
	}
	fclose(f);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	return n;
}

/*
 * Waits a second at most for one live child at most, as a disposer that
 * was killed takes a moment to go; tells whether *live is known.
 */
static int
settled(int *live)
{
	double start = now();

	while (count_children(live) >= 0) {
		if (*live <= 1 || now() - start > 1)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Tells whether a TCP socket bound to port on loopback is open in some
 * process: /proc/net/tcp gives an orphan, closed everywhere but still
 * sending, inode 0.
 */
static int
open_somewhere(unsigned port)
{
	unsigned local, inode;
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/net/tcp", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d: %*x:%x %*x:%*x %*x %*x:%*x %*x:%*x "
		    "%*x %*u %*u %u", &local, &inode) == 2 &&
		    local == port && inode != 0)
			found = 1;
	fclose(f);
	return found;
}

static void
test_lingering_close_is_cut_short(void)
{
	struct lingering l = { -1, -1 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	double start;

	if (!CHECK(lingering_socket(&l) == 0))
		return;
	if (!CHECK(getsockname(l.fd, (struct sockaddr *)&sin, &len) == 0)) {
		close(l.fd);
		close(l.peer);
		return;
	}
	CHECK(open_somewhere(ntohs(sin.sin_port)) == 1);
	start = now();
	dispose_fd(l.fd);
	/* The disposer's close is cut short in 100 ms, not 10 s. */
	while (open_somewhere(ntohs(sin.sin_port)) == 1 && now() - start < 5)
		usleep(10000);
	CHECK(now() - start < 2);
	close(l.peer);
}

/* How many lingering sockets fill the disposer's queue, and more. */
#define FLOOD	300

/*
 * Adds to seen, of n so far, this process's children not in it yet: the
 * disposers started, as a killed one is reaped at once (dispose.c) and
 * would not be counted after.  Returns the new count.
 */
static int
note_children(int *seen, int n, int max)
{
	char path[64];
	FILE *f;
	int i, pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", gettid());
	if ((f = fopen(path, "re")) == NULL)
		return n;
	while (fscanf(f, "%d", &pid) == 1) {
		for (i = 0; i < n && seen[i] != pid; i++)
			continue;
		if (i == n && n < max)
			seen[n++] = pid;
	}
	fclose(f);
	return n;
}

static void
test_a_disposer_backed_up_is_replaced(void)
{
	struct lingering l[FLOOD];
	double start, longest = 0;
	int i, made, started = 0, live = -1, seen[FLOOD];

	if (!CHECK(unit_want_fds(2 * FLOOD + 10)) ||
	    !CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0))
		return;
	/* Started anew, the disposers counted are this process's orphans. */
	dispose_end();
	count_children(NULL);
	for (made = 0; made < FLOOD; made++)
		if (lingering_socket(&l[made]) == -1)
			break;
	CHECK(made == FLOOD);
	for (i = 0; i < made; i++) {
		start = now();
		dispose_fd(l[i].fd);
		if (now() - start > longest)
			longest = now() - start;
		started = note_children(seen, started, FLOOD);
	}
	CHECK(longest < 1);
	/* Replaced at least once, each time by one process. */
	CHECK(started >= 2 && started <= 4);
	/* The ones replaced are gone at once, killed. */
	CHECK(settled(&live) && live == 1);
	for (i = 0; i < made; i++)
		close(l[i].peer);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* How many descriptors the busy tests drop, in all. */
#define DROPS	1000

/*
 * Drops DROPS / 8 socketpairs, both ends at once; returns NULL.  Another
 * thread may open a closed one's number anew: the harness counts.
 */
static void *
drop_pairs(void *failed)
{
	int i, sp[2];

	for (i = 0; i < DROPS / 8; i++) {
		if (unit_socketpair(SOCK_STREAM, sp) == -1) {
			*(int *)failed = 1;
			break;
		}
		dispose_fds(sp, 2);
	}
	return NULL;
}

static void
test_a_thousand_drops_start_a_handful_of_processes(void)
{
	int i, failed = 0;

	if (!CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0))
		return;
	count_children(NULL);
	for (i = 0; i < 8; i++)
		drop_pairs(&failed);
	CHECK(!failed);
	CHECK(count_children(NULL) <= 2);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void
test_eight_threads_drop_at_once(void)
{
	pthread_t threads[8];
	int i, started = 0, failed = 0;

	if (!CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0))
		return;
	count_children(NULL);
	for (i = 0; i < 8; i++)
		if (pthread_create(&threads[i], NULL, drop_pairs, &failed) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	CHECK(started == 8);
	CHECK(!failed);
	CHECK(count_children(NULL) <= 2);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* Drops a new memfd; 0, or -1 if none opened. */
static int
drop_memfd(void)
{
	int fd;

	if ((fd = memfd_create("unit", MFD_CLOEXEC)) == -1)
		return -1;
	dispose_fd(fd);
	return 0;
}

static void
test_a_forked_child_leaves_its_parents_disposer_alone(void)
{
	pid_t pid;
	int status = -1, live = -1;

	if (!CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0))
		return;
	dispose_end();
	count_children(NULL);
	CHECK(drop_memfd() == 0);
	if ((pid = fork()) == 0)
		exit(drop_memfd() == 0 ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(drop_memfd() == 0);
	/* The parent's and the child's own, which its exit ended. */
	CHECK(count_children(&live) == 2);
	CHECK(settled(&live) && live == 1);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static const struct unit_test tests[] = {
	{ "a socket that lingers on close is not waited for",
	    test_lingering_socket_is_not_waited_for },
	{ "nor is one queued on a connection",
	    test_socket_queued_on_a_connection_is_not_waited_for },
	{ "the process that waits holds no other descriptor",
	    test_the_closer_holds_nothing_else },
	{ "errno is kept; no descriptors, nothing done",
	    test_errno_is_kept_and_nothing_is_nothing },
	{ "a connection with a socket queued is not waited for",
	    test_connection_with_a_socket_queued_is_not_waited_for },
	{ "nor are the descriptors a message brought",
	    test_received_rights_are_not_waited_for },
	{ "a thousand drops start a handful of processes at most",
	    test_a_thousand_drops_start_a_handful_of_processes },
	{ "eight threads drop at once",
	    test_eight_threads_drop_at_once },
	{ "a forked child leaves its parent's disposer alone",
	    test_a_forked_child_leaves_its_parents_disposer_alone },
	{ "a lingering close is cut short",
	    test_lingering_close_is_cut_short },
	{ "a disposer backed up by lingering closes is replaced",
	    test_a_disposer_backed_up_is_replaced },
};

int
main(void)
{
	/* The disposer's own descriptors, open from the first drop on. */
	drop_memfd();
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
