/*
 * Unit tests of src/haproxy_names.c: the names given to HAProxy's
 * sockets, and which of them "show cli sockets" lists as stats sockets,
 * on real sockets bound as HAProxy binds them.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haproxy.h"
#include "unit.h"

/* The first line HAProxy 2.6 answers to "show cli sockets". */
#define CLI_HEAD	"# socket lvl processes\n"

/* A unix socket bound at path, or at an abstract name, padded or not. */
static int
unix_bound(const char *path, int abstract, int padded)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sun);
	int fd;

	strlcpy(sun.sun_path + (abstract != 0), path,
	    sizeof(sun.sun_path) - 1);
	if (abstract && !padded)
		len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket of the given type bound to 127.0.0.1:*port (0: any, then set). */
static int
inet_bound(int type, unsigned int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(*port);
	if ((fd = socket(AF_INET, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A unix socket published as HAProxy does is known by its final path. */
static void
test_unix_path_published(void)
{
	char dir[] = "/tmp/fdpass-unit-XXXXXX", path[64], list[128];
	char name[HAPROXY_NAME_SIZE], want[80];
	int fd;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	snprintf(path, sizeof(path), "%s/admin.sock.1234.tmp", dir);
	fd = unix_bound(path, 0, 0);
	if (CHECK(fd != -1)) {
		haproxy_socket_name(fd, name, sizeof(name));
		snprintf(want, sizeof(want), "unix-%s/admin.sock", dir);
		CHECK(strcmp(name, want) == 0);
		snprintf(list, sizeof(list), CLI_HEAD "unix@%s/admin.sock "
		    "admin all\n\n", dir);
		CHECK(haproxy_listed(list, fd));
		snprintf(list, sizeof(list), CLI_HEAD "unix@%s/admin "
		    "admin all\n", dir);
		CHECK(!haproxy_listed(list, fd));
		close(fd);
	}
	unlink(path);
	rmdir(dir);
}

/* A path that only looks published keeps what is not ".PID.tmp". */
static void
test_unix_path_kept(void)
{
	char dir[] = "/tmp/fdpass-unit-XXXXXX", path[64];
	char name[HAPROXY_NAME_SIZE], want[80];
	int fd;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	snprintf(path, sizeof(path), "%s/a.x1.tmp", dir);
	if (CHECK((fd = unix_bound(path, 0, 0)) != -1)) {
		haproxy_socket_name(fd, name, sizeof(name));
		snprintf(want, sizeof(want), "unix-%s", path);
		CHECK(strcmp(name, want) == 0);
		close(fd);
	}
	unlink(path);
	rmdir(dir);
}

/* An abstract name is known up to its padding, as abns@ or abnsz@. */
static void
test_abstract(void)
{
	char name[HAPROXY_NAME_SIZE], abs[64], list[160];
	int padded, fd;

	snprintf(abs, sizeof(abs), "fdpass-unit-%ld", (long)getpid());
	for (padded = 0; padded < 2; padded++) {
		if (!CHECK((fd = unix_bound(abs, 1, padded)) != -1))
			continue;
		haproxy_socket_name(fd, name, sizeof(name));
		CHECK(strncmp(name, "unix-@", 6) == 0 &&
		    strcmp(name + 6, abs) == 0);
		snprintf(list, sizeof(list), CLI_HEAD "abns@%s admin all\n",
		    abs);
		CHECK(haproxy_listed(list, fd));
		snprintf(list, sizeof(list), CLI_HEAD "abnsz@%s admin all\n",
		    abs);
		CHECK(haproxy_listed(list, fd));
		snprintf(list, sizeof(list), CLI_HEAD "unix@%s admin all\n",
		    abs);
		CHECK(!haproxy_listed(list, fd));
		close(fd);
	}
}

/* A TCP stats socket is listed by ipv4@; a UDP one at its port is not. */
static void
test_inet(void)
{
	char name[HAPROXY_NAME_SIZE], want[64], list[128];
	unsigned int port = 0;
	int tcp, udp;

	if (!CHECK((tcp = inet_bound(SOCK_STREAM, &port)) != -1))
		return;
	udp = inet_bound(SOCK_DGRAM, &port);
	haproxy_socket_name(tcp, name, sizeof(name));
	snprintf(want, sizeof(want), "tcp-127.0.0.1-%u", port);
	CHECK(strcmp(name, want) == 0);
	snprintf(list, sizeof(list), CLI_HEAD "ipv4@127.0.0.1:%u user all\n",
	    port);
	CHECK(haproxy_listed(list, tcp));
	if (CHECK(udp != -1)) {
		haproxy_socket_name(udp, name, sizeof(name));
		snprintf(want, sizeof(want), "udp-127.0.0.1-%u", port);
		CHECK(strcmp(name, want) == 0);
		CHECK(!haproxy_listed(list, udp));
		close(udp);
	}
	/* The port alone, or a prefix of the address, is not the address. */
	snprintf(list, sizeof(list), CLI_HEAD "ipv4@127.0.0.1:%u0 user all\n",
	    port);
	CHECK(!haproxy_listed(list, tcp));
	close(tcp);
}

/* An unnamed unix socket is the master's link when sockpair@ is listed. */
static void
test_sockpair(void)
{
	char name[HAPROXY_NAME_SIZE];
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	haproxy_socket_name(sv[0], name, sizeof(name));
	CHECK(strcmp(name, "unix") == 0);
	CHECK(haproxy_listed(CLI_HEAD "sockpair@7 admin all\n", sv[0]));
	CHECK(!haproxy_listed(CLI_HEAD "unix@/run/a admin all\n", sv[0]));
	CHECK(!haproxy_listed("", sv[0]));
	unit_close_all(sv, 2);
}

int
main(void)
{
	static const struct unit_test tests[] = {
		{ "a unix socket is known by the path HAProxy renamed it to",
		    test_unix_path_published },
		{ "a path that only looks like one being published is kept",
		    test_unix_path_kept },
		{ "an abstract name is known up to its padding",
		    test_abstract },
		{ "a TCP stats socket is listed; a UDP socket at its port is "
		    "not", test_inet },
		{ "an unnamed socket is listed by sockpair@",
		    test_sockpair },
	};

	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
