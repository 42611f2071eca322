/*
 * Unit tests of the socket factories, src/sockets.c, and of taking another
 * process's descriptor, src/grab.c.  Only loopback addresses are used.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grab.h"
#include "sockets.h"
#include "unit.h"

/* How long a test waits for something that should come at once. */
#define WAIT_MS		10000

/* Tells whether fd becomes ready for events within WAIT_MS. */
static int
ready(int fd, short events)
{
	struct pollfd pfd = { fd, events, 0 };

	return poll(&pfd, 1, WAIT_MS) == 1;
}

/* Accepts a connection on l, close-on-exec, or -1 if none comes soon. */
static int
accept_soon(int l)
{
	if (!ready(l, POLLIN))
		return -1;
	return accept4(l, NULL, NULL, SOCK_CLOEXEC);
}

/* Tells whether one byte written on a arrives on b. */
static int
byte_crosses(int a, int b, char byte)
{
	char got = 0;

	return write(a, &byte, 1) == 1 && ready(b, POLLIN) &&
	    read(b, &got, 1) == 1 && got == byte;
}

/* The port fd is bound to, or -1. */
static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* The address family fd is bound in, or -1. */
static int
bound_family(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return ss.ss_family;
}

/* An int socket option of fd, or -1. */
static int
sockopt(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v;

	if (getsockopt(fd, level, name, &v, &len) == -1)
		return -1;
	return v;
}

/* Tells whether this system can bind a TCP socket to ::1. */
static int
have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/*
 * Listens on listen_spec, connects to HOST:PORT with the port the listener
 * got, accepts and sends a byte each way.
 */
static void
round_trip(const char *listen_spec, const char *host, int family)
{
	char spec[64];
	const char *why = "unset";
	int l, c = -1, a = -1, port;

	l = socket_tcp_listen(listen_spec, 5, NULL, NULL, &why);
	if (!CHECK(l != -1))
		return;
	CHECK(why == NULL);
	CHECK(unit_cloexec(l));
	CHECK(bound_family(l) == family);
	CHECK(sockopt(l, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
	if (!CHECK((port = bound_port(l)) > 0))
		goto out;
	snprintf(spec, sizeof(spec), "%s:%d", host, port);
	why = "unset";
	c = socket_tcp_connect(spec, NULL, NULL, &why);
	if (!CHECK(c != -1))
		goto out;
	CHECK(why == NULL);
	CHECK(unit_cloexec(c));
	if (!CHECK((a = accept_soon(l)) != -1))
		goto out;
	CHECK(byte_crosses(c, a, 'x'));
	CHECK(byte_crosses(a, c, 'y'));
out:
	if (a != -1)
		close(a);
	if (c != -1)
		close(c);
	close(l);
}

/* TCP over 127.0.0.1: listen on port 0, connect to the port it got. */
static void
test_tcp_ipv4(void)
{
	round_trip("127.0.0.1:0", "127.0.0.1", AF_INET);
}

/* TCP over ::1, written in brackets. */
static void
test_tcp_ipv6(void)
{
	if (!have_ipv6_loopback()) {
		printf("# skipped: ::1 is unavailable\n");
		return;
	}
	round_trip("[::1]:0", "[::1]", AF_INET6);
}

/* TCP through the name localhost. */
static void
test_tcp_localhost(void)
{
	round_trip("127.0.0.1:0", "localhost", AF_INET);
}

/*
 * With no HOST the listener takes the IPv6 wildcard with IPV6_V6ONLY off,
 * so IPv4 connections arrive too; without IPv6, 0.0.0.0.
 */
static void
test_tcp_wildcard(void)
{
	if (have_ipv6_loopback()) {
		round_trip("0", "127.0.0.1", AF_INET6);
		round_trip("0", "[::1]", AF_INET6);
	} else
		round_trip("0", "127.0.0.1", AF_INET);
}

/* The wildcard listener's address is "::" and it takes IPv4. */
static void
test_tcp_wildcard_dual(void)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	const char *why;
	int l;

	if ((l = socket_tcp_listen("0", 5, NULL, NULL, &why)) == -1) {
		CHECK(l != -1);
		return;
	}
	if (bound_family(l) == AF_INET6) {
		CHECK(sockopt(l, IPPROTO_IPV6, IPV6_V6ONLY) == 0);
		CHECK(getsockname(l, (struct sockaddr *)&sin6, &len) == 0 &&
		    memcmp(&sin6.sin6_addr, &in6addr_any,
		    sizeof(in6addr_any)) == 0);
	} else
		CHECK(bound_family(l) == AF_INET);
	close(l);
}

/*
 * Listeners have SO_REUSEADDR set; UDP sockets not, or another could bind
 * their address too.
 */
static void
test_reuseaddr(void)
{
	const char *why;
	int fd;

	if (CHECK((fd = socket_tcp_listen("127.0.0.1:0", 5, NULL, NULL,
	    &why)) != -1)) {
		CHECK(sockopt(fd, SOL_SOCKET, SO_REUSEADDR) == 1);
		close(fd);
	}
	if (CHECK((fd = socket_udp("127.0.0.1:0", NULL, NULL, &why)) != -1)) {
		CHECK(sockopt(fd, SOL_SOCKET, SO_REUSEADDR) == 0);
		close(fd);
	}
}

/*
 * The listener listens, with the backlog asked for: on a listening socket
 * Linux reports the backlog in TCP_INFO's tcpi_sacked.
 */
static void
test_tcp_backlog(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	const char *why;
	int l;

	if (!CHECK((l = socket_tcp_listen("127.0.0.1:0", 7, NULL, NULL,
	    &why)) != -1))
		return;
	CHECK(sockopt(l, SOL_SOCKET, SO_ACCEPTCONN) == 1);
	memset(&ti, 0, sizeof(ti));
	CHECK(getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0);
	CHECK(ti.tcpi_state == TCP_LISTEN && ti.tcpi_sacked == 7);
	close(l);
}

/* A UDP socket bound on 127.0.0.1 receives a datagram sent to its port. */
static void
test_udp(void)
{
	struct sockaddr_in to;
	const char *why = "unset";
	char buf[8];
	int u, s, port;

	if (!CHECK((u = socket_udp("127.0.0.1:0", NULL, NULL, &why)) != -1))
		return;
	CHECK(why == NULL);
	CHECK(unit_cloexec(u));
	CHECK(sockopt(u, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
	CHECK(bound_family(u) == AF_INET);
	port = bound_port(u);
	CHECK(port > 0);
	if (!CHECK((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1)) {
		close(u);
		return;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(sendto(s, "dgram", 5, 0, (struct sockaddr *)&to,
	    sizeof(to)) == 5);
	CHECK(ready(u, POLLIN) && recv(u, buf, sizeof(buf), 0) == 5 &&
	    memcmp(buf, "dgram", 5) == 0);
	close(s);
	close(u);
}

/* Tells whether fd is -1 with EINVAL and a reason. */
static int
refused(int fd, const char *why)
{
	int e = errno;

	if (fd != -1)
		close(fd);
	return fd == -1 && e == EINVAL && why != NULL;
}

/* Malformed specs fail with EINVAL and a reason, for every factory. */
static void
test_bad_specs(void)
{
	static const char *const bad[] = {
		"", ":", "x:y", "[::1:80", "127.0.0.1:70000", "host:",
		":80", "[]:80", "[::1]80", "[::1]:", "::1:80", "80x",
		"-1", "+80", "127.0.0.1: 80", "[127.0.0.1]:80",
	};
	const char *why;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		errno = 0;
		fd = socket_tcp_listen(bad[i], 5, NULL, NULL, &why);
		if (!CHECK(refused(fd, why)))
			printf("# listen '%s': %s\n", bad[i], why);
		why = NULL;
		errno = 0;
		fd = socket_udp(bad[i], NULL, NULL, &why);
		CHECK(refused(fd, why));
		why = NULL;
		errno = 0;
		fd = socket_tcp_connect(bad[i], NULL, NULL, &why);
		CHECK(refused(fd, why));
	}
	/* A connection needs a HOST. */
	why = NULL;
	errno = 0;
	fd = socket_tcp_connect("80", NULL, NULL, &why);
	CHECK(refused(fd, why));
	CHECK(why != NULL && strcmp(why, "expected HOST:PORT") == 0);
	why = NULL;
	fd = socket_tcp_listen("x:y", 5, NULL, NULL, &why);
	CHECK(refused(fd, why));
	CHECK(why != NULL && strcmp(why, "expected [HOST:]PORT") == 0);
	why = NULL;
	fd = socket_tcp_listen("70000", 5, NULL, NULL, &why);
	CHECK(refused(fd, why));
	/* why may be NULL when the caller does not want it. */
	errno = 0;
	CHECK(socket_tcp_listen("", 5, NULL, NULL, NULL) == -1 &&
	    errno == EINVAL);
}

/* Connecting to a port nobody listens on fails with ECONNREFUSED. */
static void
test_connect_refused(void)
{
	char spec[64];
	const char *why = "unset";
	int l, port, fd;

	if (!CHECK((l = socket_tcp_listen("127.0.0.1:0", 5, NULL, NULL,
	    &why)) != -1))
		return;
	port = bound_port(l);
	close(l);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	errno = 0;
	fd = socket_tcp_connect(spec, NULL, NULL, &why);
	CHECK(fd == -1 && errno == ECONNREFUSED && why == NULL);
	if (fd != -1)
		close(fd);
}

/* Makes a fresh directory for socket files; 0 or -1. */
static int
make_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/fdpass-unit.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/* Connects a unix stream socket to path; the socket or -1. */
static int
unix_connect(const char *path, int nonblock)
{
	struct sockaddr_un sun;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * A unix listener: its file has the mode asked for, a peer connects, the
 * file stays after close, and a second live listener is refused.
 */
static void
test_unix_listen(void)
{
	char dir[64], path[128];
	struct listener made;
	struct stat st;
	const char *why = "unset";
	int l, c, a, again;

	if (!CHECK(make_dir(dir, sizeof(dir)) == 0))
		return;
	snprintf(path, sizeof(path), "%s/sock", dir);
	l = socket_unix_listen(path, 5, 0600, &made, &why);
	if (CHECK(l != -1)) {
		CHECK(why == NULL);
		CHECK(made.fd == l && made.path == path &&
		    lstat(path, &st) == 0 && made.ino == st.st_ino);
		CHECK(unit_cloexec(l));
		CHECK(sockopt(l, SOL_SOCKET, SO_ACCEPTCONN) == 1);
		CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    (st.st_mode & 07777) == 0600);
		if (CHECK((c = unix_connect(path, 0)) != -1)) {
			if (CHECK((a = accept_soon(l)) != -1)) {
				CHECK(byte_crosses(c, a, 'u'));
				close(a);
			}
			close(c);
		}
		errno = 0;
		why = NULL;
		again = socket_unix_listen(path, 5, 0600, &made, &why);
		CHECK(again == -1 && errno == EADDRINUSE && why != NULL);
		if (again != -1)
			close(again);
		close(l);
		/* The file belongs to whoever got the socket. */
		CHECK(lstat(path, &st) == 0);
		/* Nobody answers now: a new listener replaces the file. */
		l = socket_unix_listen(path, 5, 0600, &made, &why);
		CHECK(l != -1);
		if (l != -1)
			close(l);
	}
	unlink(path);
	rmdir(dir);
}

/* A regular file in the way is refused, and left alone. */
static void
test_unix_listen_file(void)
{
	char dir[64], path[128];
	struct listener made;
	struct stat st;
	const char *why = NULL;
	int fd;

	if (!CHECK(make_dir(dir, sizeof(dir)) == 0))
		return;
	snprintf(path, sizeof(path), "%s/file", dir);
	if (CHECK((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) != -1))
		close(fd);
	errno = 0;
	fd = socket_unix_listen(path, 5, 0600, &made, &why);
	CHECK(fd == -1 && errno == EEXIST && why != NULL);
	if (fd != -1)
		close(fd);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	errno = 0;
	why = NULL;
	fd = socket_unix_listen("", 5, 0600, &made, &why);
	CHECK(fd == -1 && errno == EINVAL && why != NULL);
	unlink(path);
	rmdir(dir);
}

/*
 * The backlog asked for replaces address_listen's SOMAXCONN: Linux lets
 * backlog + 1 unix connections wait, and refuses a non-blocking one more.
 */
static void
test_unix_backlog(void)
{
	char dir[64], path[128];
	struct listener made;
	const char *why;
	int l, c[8], n = 0, e = 0;

	if (!CHECK(make_dir(dir, sizeof(dir)) == 0))
		return;
	snprintf(path, sizeof(path), "%s/sock", dir);
	l = socket_unix_listen(path, 2, 0600, &made, &why);
	if (CHECK(l != -1)) {
		while (n < 8 && (c[n] = unix_connect(path, 1)) != -1)
			n++;
		e = errno;
		CHECK(n == 3 && e == EAGAIN);
		unit_close_all(c, n);
		close(l);
	}
	unlink(path);
	rmdir(dir);
}

/*
 * Takes a child's pipe write end from its descriptor 42 and writes through
 * the copy; the child's descriptor 43 is closed, so taking it fails.
 */
static void
test_grab(void)
{
	int data[2], gate[2], g, status;
	char c;
	pid_t pid;

	if (!CHECK(pipe2(data, O_CLOEXEC) == 0))
		return;
	if (!CHECK(pipe2(gate, O_CLOEXEC) == 0)) {
		unit_close_all(data, 2);
		return;
	}
	if ((pid = fork()) == 0) {
		close(data[0]);
		close(gate[1]);
		if (dup2(data[1], 42) == -1)
			_exit(1);
		close(data[1]);
		close(43);
		/* Say fd 42 is in place, then wait to be released. */
		if (write(42, "r", 1) != 1)
			_exit(1);
		while (read(gate[0], &c, 1) == -1 && errno == EINTR)
			;
		_exit(0);
	}
	close(data[1]);
	close(gate[0]);
	if (!CHECK(pid != -1)) {
		close(data[0]);
		close(gate[1]);
		return;
	}
	CHECK(ready(data[0], POLLIN) && read(data[0], &c, 1) == 1 && c == 'r');
	g = grab_fd(pid, 42);
	if (CHECK(g != -1)) {
		CHECK(unit_cloexec(g));
		CHECK(byte_crosses(g, data[0], 'g'));
		close(g);
	}
	errno = 0;
	CHECK(grab_fd(pid, 43) == -1 && errno == EBADF);
	errno = 0;
	CHECK(grab_fd(pid, -1) == -1 && errno == EBADF);
	close(gate[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	/* The child is gone and reaped. */
	errno = 0;
	CHECK(grab_fd(pid, 42) == -1 && errno == ESRCH);
	close(data[0]);
}

/* Taking one's own descriptor gives a close-on-exec copy of it. */
static void
test_grab_self(void)
{
	int fd, g;

	if (!CHECK((fd = open("/dev/null", O_RDONLY)) != -1))
		return;
	g = grab_fd(getpid(), fd);
	if (CHECK(g != -1)) {
		CHECK(g != fd && unit_same_file(fd, g) && unit_cloexec(g));
		close(g);
	}
	close(fd);
}

/*
 * A process without ptrace rights over another may not take its
 * descriptors: a child that gave up root fails with EPERM on its parent.
 */
static void
test_grab_not_allowed(void)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("# skipped: needs root to drop to another user\n");
		return;
	}
	if ((pid = fork()) == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		errno = 0;
		_exit(grab_fd(getppid(), 0) == -1 && errno == EPERM ? 0 : 1);
	}
	if (!CHECK(pid != -1))
		return;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		printf("# skipped: could not drop to user 65534\n");
	else
		CHECK(WEXITSTATUS(status) == 0);
}

static const struct unit_test tests[] = {
	{ "tcp: 127.0.0.1 listen, connect, exchange", test_tcp_ipv4 },
	{ "tcp: [::1] listen, connect, exchange", test_tcp_ipv6 },
	{ "tcp: connect to localhost", test_tcp_localhost },
	{ "tcp: no HOST, connect over IPv4 and IPv6", test_tcp_wildcard },
	{ "tcp: no HOST is :: with IPV6_V6ONLY off", test_tcp_wildcard_dual },
	{ "tcp: SO_REUSEADDR, udp: not", test_reuseaddr },
	{ "tcp: listening with the backlog asked for", test_tcp_backlog },
	{ "udp: bound socket receives", test_udp },
	{ "bad specs: EINVAL and a reason", test_bad_specs },
	{ "tcp: connect to a closed port", test_connect_refused },
	{ "unix: listen, mode, connect, in use", test_unix_listen },
	{ "unix: regular file in the way", test_unix_listen_file },
	{ "unix: backlog", test_unix_backlog },
	{ "grab_fd: child's fd, missing fd, reaped pid", test_grab },
	{ "grab_fd: own fd", test_grab_self },
	{ "grab_fd: no ptrace rights", test_grab_not_allowed },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
