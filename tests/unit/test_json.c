/*
 * Unit tests of the JSON descriptions, src/json.c: the exact text for
 * each kind of descriptor, string escapes, and a JSON parser's verdict on
 * the lot.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "unit.h"

#define PYTHON	"/usr/bin/python3"

/* A scratch directory: its real path and the files made in it. */
struct scratch {
	char	dir[PATH_MAX];
	char	file[PATH_MAX + 8];	/* a regular file, "data" */
	char	node[PATH_MAX + 8];	/* a FIFO or socket, once made */
};

/* Makes a scratch directory with a regular file in it; 0 or -1. */
static int
scratch_make(struct scratch *s)
{
	char tmpl[] = "/tmp/fdpass-unit.XXXXXX";
	int fd;

	memset(s, 0, sizeof(*s));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	/* /proc shows the real path, whatever /tmp links to. */
	if (realpath(tmpl, s->dir) == NULL) {
		rmdir(tmpl);
		return -1;
	}
	snprintf(s->file, sizeof(s->file), "%s/data", s->dir);
	if ((fd = open(s->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		rmdir(s->dir);
		return -1;
	}
	close(fd);
	return 0;
}

/* Removes the scratch directory and what was made in it. */
static void
scratch_remove(const struct scratch *s)
{
	unlink(s->file);
	if (s->node[0] != '\0')
		unlink(s->node);
	rmdir(s->dir);
}

/* Runs json_fd or json_string into a new string; NULL if that fails. */
static char *
render(int fd, const char *name, const void *s, size_t len)
{
	char *buf = NULL;
	size_t size;
	FILE *fp;

	if ((fp = open_memstream(&buf, &size)) == NULL)
		return NULL;
	if (s != NULL)
		json_string(fp, s, len);
	else
		json_fd(fp, fd, name);
	if (ferror(fp)) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	if (fclose(fp) == EOF) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Tells whether got is want, printing both as a comment if not. */
static int
same(char *got, const char *want)
{
	int ok = got != NULL && strcmp(got, want) == 0;

	if (!ok)
		printf("#   got:  %s\n#   want: %s\n", got != NULL ? got :
		    "(nothing)", want);
	free(got);
	return ok;
}

/* Tells whether json_fd describes fd as the printf format says. */
static int __attribute__((format(printf, 3, 4)))
fd_is(int fd, const char *name, const char *fmt, ...)
{
	char want[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return same(render(fd, name, NULL, 0), want);
}

/* Tells whether json_string writes the len bytes of s as want. */
static int
string_is(const void *s, size_t len, const char *want)
{
	return same(render(-1, NULL, s, len), want);
}

/* The inode number of fd, which /proc shows for pipes and sockets. */
static unsigned long long
inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* Quotes, backslashes and control bytes are escaped, printable ASCII not. */
static void
test_string_escapes(void)
{
	static const char s[] = "a\"b\\c\nd\0e\x01" "f\x7fg\xc3\xa9";

	CHECK(string_is(s, sizeof(s) - 1,
	    "\"a\\\"b\\\\c\\nd\\u0000e\\u0001f\\u007fg\xc3\xa9\""));
	CHECK(string_is("\t\r\b\f\x1f", 5, "\"\\t\\r\\b\\f\\u001f\""));
	CHECK(string_is(" /~'<>&", 7, "\" /~'<>&\""));
	CHECK(string_is("", 0, "\"\""));
}

/*
 * Well-formed UTF-8 passes through; bytes that are not (stray
 * continuations, overlong forms, surrogates, sequences cut short) make
 * the whole an array of byte values.
 */
static void
test_string_high_bytes(void)
{
	CHECK(string_is("\x80\xff", 2, "[128,255]"));
	CHECK(string_is("\xe2\x82\xac\xf0\x9f\x98\x80", 7,
	    "\"\xe2\x82\xac\xf0\x9f\x98\x80\""));
	CHECK(string_is("a\xc3\xbf", 3, "\"a\xc3\xbf\""));
	CHECK(string_is("a\xff", 2, "[97,255]"));
	CHECK(string_is("\xc0\xaf", 2, "[192,175]"));
	CHECK(string_is("\xed\xa0\x80", 3, "[237,160,128]"));
	CHECK(string_is("\xe2\x82", 2, "[226,130]"));
}

/* A regular file read-only, write-only appending, and synchronous. */
static void
test_regular(void)
{
	struct scratch s;
	int fd;

	if (!CHECK(scratch_make(&s) == 0))
		return;
	if (CHECK((fd = open(s.file, O_RDONLY)) != -1)) {
		CHECK(fd_is(fd, "conf", "{\"fd\":%d,\"type\":\"regular\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDONLY\"],"
		    "\"cloexec\":false,\"name\":\"conf\"}", fd, s.file));
		close(fd);
	}
	if (CHECK((fd = open(s.file, O_WRONLY | O_APPEND | O_CLOEXEC)) !=
	    -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"regular\","
		    "\"path\":\"%s\",\"flags\":[\"O_WRONLY\",\"O_APPEND\"],"
		    "\"cloexec\":true,\"name\":null}", fd, s.file));
		close(fd);
	}
	/* O_SYNC is O_DSYNC and one more bit; O_DSYNC alone is no O_SYNC. */
	if (CHECK((fd = open(s.file, O_RDWR | O_SYNC | O_CLOEXEC)) != -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"regular\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDWR\",\"O_SYNC\"],"
		    "\"cloexec\":true,\"name\":null}", fd, s.file));
		close(fd);
	}
	if (CHECK((fd = open(s.file, O_RDWR | O_DSYNC | O_CLOEXEC)) != -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"regular\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDWR\"],"
		    "\"cloexec\":true,\"name\":null}", fd, s.file));
		close(fd);
	}
	scratch_remove(&s);
}

/* A directory, and an O_PATH descriptor, which is read-only by its mode. */
static void
test_dir_and_o_path(void)
{
	struct scratch s;
	int fd;

	if (!CHECK(scratch_make(&s) == 0))
		return;
	if (CHECK((fd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"dir\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDONLY\"],"
		    "\"cloexec\":true,\"name\":null}", fd, s.dir));
		close(fd);
	}
	if (CHECK((fd = open(s.file, O_PATH | O_CLOEXEC)) != -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"regular\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDONLY\",\"O_PATH\"],"
		    "\"cloexec\":true,\"name\":null}", fd, s.file));
		close(fd);
	}
	scratch_remove(&s);
}

/* Both ends of a pipe, known by their "pipe:[inode]" link. */
static void
test_pipe(void)
{
	int p[2];

	if (!CHECK(pipe2(p, O_CLOEXEC) == 0))
		return;
	CHECK(fd_is(p[0], NULL, "{\"fd\":%d,\"type\":\"pipe\","
	    "\"path\":\"pipe:[%llu]\",\"flags\":[\"O_RDONLY\"],"
	    "\"cloexec\":true,\"name\":null}", p[0], inode(p[0])));
	CHECK(fd_is(p[1], "out", "{\"fd\":%d,\"type\":\"pipe\","
	    "\"path\":\"pipe:[%llu]\",\"flags\":[\"O_WRONLY\"],"
	    "\"cloexec\":true,\"name\":\"out\"}", p[1], inode(p[1])));
	unit_close_all(p, 2);
}

/* A named FIFO is a "fifo" with its path, here read-write, nonblocking. */
static void
test_fifo(void)
{
	struct scratch s;
	int fd;

	if (!CHECK(scratch_make(&s) == 0))
		return;
	snprintf(s.node, sizeof(s.node), "%s/fifo", s.dir);
	if (CHECK(mkfifo(s.node, 0600) == 0) &&
	    CHECK((fd = open(s.node, O_RDWR | O_NONBLOCK)) != -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"fifo\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDWR\",\"O_NONBLOCK\"],"
		    "\"cloexec\":false,\"name\":null}", fd, s.node));
		close(fd);
	}
	scratch_remove(&s);
}

/* A unix stream socketpair: family and socktype, not listening. */
static void
test_socketpair(void)
{
	int sv[2];

	if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0))
		return;
	CHECK(fd_is(sv[0], "peer", "{\"fd\":%d,\"type\":\"socket\","
	    "\"family\":\"unix\",\"socktype\":\"stream\","
	    "\"local\":null,\"peer\":null,"
	    "\"path\":\"socket:[%llu]\",\"flags\":[\"O_RDWR\"],"
	    "\"cloexec\":false,\"name\":\"peer\"}", sv[0], inode(sv[0])));
	unit_close_all(sv, 2);
}

/* A listening unix socket says so, and its abstract name with an '@'. */
static void
test_listening_unix(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!CHECK((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) != -1))
		return;
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	    snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "fdpass-unit-%ld", (long)getpid());
	if (CHECK(bind(fd, (struct sockaddr *)&sun, len) == 0) &&
	    CHECK(listen(fd, 1) == 0)) {
		CHECK(fd_is(fd, "web", "{\"fd\":%d,\"type\":\"socket\","
		    "\"family\":\"unix\",\"socktype\":\"seqpacket\","
		    "\"listening\":true,\"local\":\"@fdpass-unit-%ld\","
		    "\"peer\":null,\"path\":\"socket:[%llu]\","
		    "\"flags\":[\"O_RDWR\",\"O_NONBLOCK\"],\"cloexec\":true,"
		    "\"name\":\"web\"}", fd, (long)getpid(), inode(fd)));
	}
	close(fd);
}

/*
 * An O_PATH descriptor of a socket file is a socket to fstat but not to
 * getsockopt: its family and socktype are null.
 */
static void
test_o_path_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct scratch s;
	int sock, fd;

	if (!CHECK(scratch_make(&s) == 0))
		return;
	snprintf(s.node, sizeof(s.node), "%s/sock", s.dir);
	if (!CHECK(strlen(s.node) < sizeof(sun.sun_path)) ||
	    !CHECK((sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) !=
	    -1)) {
		scratch_remove(&s);
		return;
	}
	strcpy(sun.sun_path, s.node);
	if (CHECK(bind(sock, (struct sockaddr *)&sun, sizeof(sun)) == 0) &&
	    CHECK((fd = open(s.node, O_PATH | O_CLOEXEC)) != -1)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"socket\","
		    "\"family\":null,\"socktype\":null,\"local\":null,"
		    "\"peer\":null,\"path\":\"%s\","
		    "\"flags\":[\"O_RDONLY\",\"O_PATH\"],\"cloexec\":true,"
		    "\"name\":null}", fd, s.node));
		close(fd);
	}
	close(sock);
	scratch_remove(&s);
}

/* An IPv6 UDP socket, where the system has IPv6. */
static void
test_inet6_udp(void)
{
	int fd;

	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		CHECK(errno == EAFNOSUPPORT);
		return;
	}
	CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"socket\","
	    "\"family\":\"inet6\",\"socktype\":\"dgram\","
	    "\"local\":\"[::]:0\",\"peer\":null,\"path\":\"socket:[%llu]\",\"flags\":[\"O_RDWR\"],"
	    "\"cloexec\":true,\"name\":null}", fd, inode(fd)));
	close(fd);
}

/* A TCP socket listening on the IPv4 loopback, where there is one. */
static void
test_inet_listening(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!CHECK((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) !=
	    -1))
		return;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    CHECK(listen(fd, 1) == 0) &&
	    CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0)) {
		CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"socket\","
		    "\"family\":\"inet\",\"socktype\":\"stream\","
		    "\"listening\":true,\"local\":\"127.0.0.1:%u\","
		    "\"peer\":null,\"path\":\"socket:[%llu]\","
		    "\"flags\":[\"O_RDWR\"],\"cloexec\":true,\"name\":null}",
		    fd, ntohs(sin.sin_port), inode(fd)));
	}
	close(fd);
}

/* /dev/null is a character device that is no terminal. */
static void
test_dev_null(void)
{
	int fd;

	if (!CHECK((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1))
		return;
	CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"char\","
	    "\"path\":\"/dev/null\",\"flags\":[\"O_WRONLY\"],"
	    "\"cloexec\":true,\"name\":null}", fd));
	close(fd);
}

/* Both sides of a pseudo-terminal are terminals, where there are any. */
static void
test_tty(void)
{
	char ptmx[PATH_MAX];
	const char *pts;
	int m, fd;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return;
	if (CHECK(realpath("/dev/ptmx", ptmx) != NULL))
		CHECK(fd_is(m, NULL, "{\"fd\":%d,\"type\":\"tty\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDWR\"],"
		    "\"cloexec\":true,\"name\":null}", m, ptmx));
	if (CHECK(grantpt(m) == 0) && CHECK(unlockpt(m) == 0) &&
	    CHECK((pts = ptsname(m)) != NULL) &&
	    CHECK((fd = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1)) {
		CHECK(fd_is(fd, "term", "{\"fd\":%d,\"type\":\"tty\","
		    "\"path\":\"%s\",\"flags\":[\"O_RDWR\"],"
		    "\"cloexec\":true,\"name\":\"term\"}", fd, pts));
		close(fd);
	}
	close(m);
}

/* An eventfd, nonblocking. */
static void
test_eventfd(void)
{
	int fd;

	if (!CHECK((fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) != -1))
		return;
	CHECK(fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"eventfd\","
	    "\"path\":\"anon_inode:[eventfd]\","
	    "\"flags\":[\"O_RDWR\",\"O_NONBLOCK\"],\"cloexec\":true,"
	    "\"name\":null}", fd));
	close(fd);
}

/* A memfd is a regular file in /proc, told apart by its "/memfd:" path. */
static void
test_memfd(void)
{
	int fd;

	if (!CHECK((fd = memfd_create("unit", MFD_CLOEXEC)) != -1))
		return;
	CHECK(fd_is(fd, "mem", "{\"fd\":%d,\"type\":\"memfd\","
	    "\"path\":\"/memfd:unit (deleted)\",\"flags\":[\"O_RDWR\"],"
	    "\"cloexec\":true,\"name\":\"mem\"}", fd));
	close(fd);
}

/* Tells whether fd is an anonymous inode of the given type and label. */
static int
anon_is(int fd, const char *type, const char *label, const char *flags)
{
	return fd_is(fd, NULL, "{\"fd\":%d,\"type\":\"%s\","
	    "\"path\":\"anon_inode:%s\",\"flags\":[%s],\"cloexec\":true,"
	    "\"name\":null}", fd, type, label, flags);
}

/* epoll, signalfd, timerfd, pidfd and inotify by their anon_inode names. */
static void
test_anon_inodes(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (CHECK((fd = epoll_create1(EPOLL_CLOEXEC)) != -1)) {
		CHECK(anon_is(fd, "epoll", "[eventpoll]", "\"O_RDWR\""));
		close(fd);
	}
	if (CHECK((fd = signalfd(-1, &set, SFD_CLOEXEC)) != -1)) {
		CHECK(anon_is(fd, "signalfd", "[signalfd]", "\"O_RDWR\""));
		close(fd);
	}
	if (CHECK((fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) !=
	    -1)) {
		CHECK(anon_is(fd, "timerfd", "[timerfd]", "\"O_RDWR\""));
		close(fd);
	}
	/* pidfd_open(2) came in Linux 5.3. */
	if ((fd = pidfd_open(getpid(), 0)) != -1) {
		CHECK(anon_is(fd, "pidfd", "[pidfd]", "\"O_RDWR\""));
		close(fd);
	} else
		CHECK(errno == ENOSYS);
	if (CHECK((fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) != -1)) {
		CHECK(anon_is(fd, "inotify", "inotify",
		    "\"O_RDONLY\",\"O_NONBLOCK\""));
		close(fd);
	}
}

/* A closed descriptor: nothing is known, so everything is null. */
static void
test_closed(void)
{
	int fd;

	/* The number is free once closed, there being no other threads. */
	if (!CHECK((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1))
		return;
	close(fd);
	CHECK(fd_is(fd, "gone", "{\"fd\":%d,\"type\":\"unknown\","
	    "\"path\":null,\"flags\":null,\"cloexec\":null,"
	    "\"name\":\"gone\"}", fd));
}

/* A name goes through json_string. */
static void
test_name_escaped(void)
{
	int fd;

	if (!CHECK((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1))
		return;
	CHECK(fd_is(fd, "a\"b\\\n", "{\"fd\":%d,\"type\":\"char\","
	    "\"path\":\"/dev/null\",\"flags\":[\"O_RDONLY\"],"
	    "\"cloexec\":true,\"name\":\"a\\\"b\\\\\\n\"}", fd));
	close(fd);
}

/* Writes a JSON array of descriptions of every kind to fp, and all bytes. */
static void
write_array(FILE *fp, const int *fds, size_t n)
{
	unsigned char all[256];
	size_t i;

	fputc('[', fp);
	for (i = 0; i < n; i++) {
		json_fd(fp, fds[i], i % 2 ? "na\"me\n\x01\xc3\xa9" : NULL);
		fputc(',', fp);
	}
	for (i = 0; i < sizeof(all); i++)
		all[i] = i;
	json_string(fp, all, sizeof(all));
	fputs("]\n", fp);
}

/* Runs python3 with the arguments; tells whether it exited 0. */
static int
python_ok(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s", PYTHON, args);
	return system(cmd) == 0;
}

/*
 * python3's parser takes the output, and gets the 256 bytes back from the
 * array of their values.
 */
static void
test_json_parses(void)
{
	char path[] = "/tmp/fdpass-unit-json.XXXXXX", args[256];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fds[9], tmp;
	FILE *fp;

	if (!CHECK(access(PYTHON, X_OK) == 0))
		return;
	if (!CHECK(pipe2(fds, O_CLOEXEC) == 0))
		return;
	if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    fds + 2) == 0)) {
		unit_close_all(fds, 2);
		return;
	}
	fds[4] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(bind(fds[4], (struct sockaddr *)&sun, sizeof(sa_family_t)) ==
	    0 && listen(fds[4], 1) == 0);
	fds[5] = eventfd(0, EFD_CLOEXEC);
	fds[6] = memfd_create("unit \"json\"\n", MFD_CLOEXEC);
	fds[7] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[8] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fds[4] != -1 && fds[5] != -1 && fds[6] != -1 && fds[7] != -1 &&
	    fds[8] != -1);
	if (CHECK((tmp = mkstemp(path)) != -1)) {
		if (CHECK((fp = fdopen(tmp, "w")) != NULL)) {
			write_array(fp, fds, sizeof(fds) / sizeof(fds[0]));
			CHECK(fclose(fp) == 0);
			snprintf(args, sizeof(args),
			    "-m json.tool %s >/dev/null", path);
			CHECK(python_ok(args));
			snprintf(args, sizeof(args), "-c 'import json, sys; "
			    "a = json.load(open(sys.argv[1])); "
			    "sys.exit(bytes(a[-1]) != bytes(range(256)))' %s",
			    path);
			CHECK(python_ok(args));
		} else
			close(tmp);
		unlink(path);
	}
	unit_close_all(fds, sizeof(fds) / sizeof(fds[0]));
}

static const struct unit_test tests[] = {
	{ "json_string: escapes", test_string_escapes },
	{ "json_string: bytes from 0x80", test_string_high_bytes },
	{ "json_fd: regular file, O_APPEND, O_SYNC", test_regular },
	{ "json_fd: directory and O_PATH", test_dir_and_o_path },
	{ "json_fd: pipe", test_pipe },
	{ "json_fd: named FIFO", test_fifo },
	{ "json_fd: unix socketpair", test_socketpair },
	{ "json_fd: listening unix socket", test_listening_unix },
	{ "json_fd: O_PATH to a socket file", test_o_path_socket },
	{ "json_fd: inet6 udp socket", test_inet6_udp },
	{ "json_fd: listening inet tcp socket", test_inet_listening },
	{ "json_fd: /dev/null", test_dev_null },
	{ "json_fd: pseudo-terminal", test_tty },
	{ "json_fd: eventfd", test_eventfd },
	{ "json_fd: memfd", test_memfd },
	{ "json_fd: epoll, signalfd, timerfd, pidfd, inotify",
	    test_anon_inodes },
	{ "json_fd: closed descriptor", test_closed },
	{ "json_fd: name escaped", test_name_escaped },
	{ "json_fd: python3 parses the output", test_json_parses },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
