/*
 * A JSON description of a descriptor: what it is, from fstat(2) and the
 * /proc/self/fd link, its file status flags and close-on-exec flag, and
 * for sockets their family, type and whether they listen.
 *
 * An object looks like this, with the keys always in this order and the
 * socket keys only for sockets ("listening" only when it listens):
 *
 *	{"fd":5,"type":"socket","family":"inet","socktype":"stream",
 *	"listening":true,"local":"127.0.0.1:8080","peer":null,
 *	"path":"socket:[1234]","flags":["O_RDWR"],"cloexec":true,
 *	"name":"web"}
 *
 * A value that cannot be found out is null rather than a guess.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "describe.h"
#include "json.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A number and the name JSON shows for it. */
struct named {
	int		 value;
	const char	*name;
};

static const struct named families[] = {
	{ AF_UNIX,	"unix" },
	{ AF_INET,	"inet" },
	{ AF_INET6,	"inet6" },
	{ AF_NETLINK,	"netlink" },
	{ AF_PACKET,	"packet" },
	{ AF_VSOCK,	"vsock" },
	{ AF_BLUETOOTH,	"bluetooth" },
	{ AF_CAN,	"can" },
	{ AF_ALG,	"alg" },
	{ AF_TIPC,	"tipc" },
	{ AF_XDP,	"xdp" },
	{ AF_KEY,	"key" },
};

static const struct named socktypes[] = {
	{ SOCK_STREAM,		"stream" },
	{ SOCK_DGRAM,		"dgram" },
	{ SOCK_SEQPACKET,	"seqpacket" },
	{ SOCK_RAW,		"raw" },
	{ SOCK_RDM,		"rdm" },
	{ SOCK_PACKET,		"packet" },
};

/* The status flags listed after the access mode, in this order. */
static const struct named status_flags[] = {
	{ O_APPEND,	"O_APPEND" },
	{ O_NONBLOCK,	"O_NONBLOCK" },
	{ O_DIRECT,	"O_DIRECT" },
	{ O_SYNC,	"O_SYNC" },
	{ O_PATH,	"O_PATH" },
};


/* Finds value in the table of n entries; "unknown" if it is not there. */
static const char *
lookup(const struct named *table, size_t n, int value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return "unknown";
}

/*
 * The length of the well-formed UTF-8 sequence at p, of the n bytes left,
 * or 0 if there is none: no stray continuation byte, overlong form,
 * surrogate or code point past U+10FFFF.
 */
static size_t
utf8_length(const unsigned char *p, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Tells whether all len bytes at p are well-formed UTF-8. */
static int
utf8_valid(const unsigned char *p, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n)
		if ((n = p[i] < 0x80 ? 1 : utf8_length(p + i, len - i)) == 0)
			return 0;
	return 1;
}

/* Writes the len bytes at p as a JSON array of their values. */
static void
json_bytes(FILE *fp, const unsigned char *p, size_t len)
{
	size_t i;

	putc('[', fp);
	for (i = 0; i < len; i++)
		fprintf(fp, i > 0 ? ",%u" : "%u", p[i]);
	putc(']', fp);
}

void
json_string(FILE *fp, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i, n;

	if (!utf8_valid(p, len)) {
		json_bytes(fp, p, len);
		return;
	}
	putc('"', fp);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		default:
			if (p[i] >= 0x80) {
				n = utf8_length(p + i, len - i);
				fwrite(p + i, 1, n, fp);
				i += n - 1;
			} else if (p[i] < 0x20 || p[i] == 0x7f)
				/* DEL too, so that the output is printable. */
				fprintf(fp, "\\u%04x", p[i]);
			else
				putc(p[i], fp);
		}
	}
	putc('"', fp);
}

/* Writes s as a JSON string, or null for NULL. */
static void
json_cstring(FILE *fp, const char *s)
{
	if (s == NULL)
		fputs("null", fp);
	else
		json_string(fp, s, strlen(s));
}

/* Puts the int socket option opt of fd in *val; 0 or -1 with errno. */
static int
sockopt_int(int fd, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_SOCKET, opt, val, &len);
}

/* Writes the member key, socket fd's own or peer address, after a comma. */
static void
json_address(FILE *fp, const char *key, int fd, int peer)
{
	char addr[128];
	int len;

	fprintf(fp, ",\"%s\":", key);
	if ((len = describe_address(fd, peer, addr, sizeof(addr))) == -1)
		fputs("null", fp);
	else
		json_string(fp, addr, len);
}

/*
 * Writes the family, socktype, for a listening socket listening, and the
 * local and peer addresses, each member after a comma.  An O_PATH descriptor of a socket file is
 * no socket to getsockopt: its family and socktype are null.
 */
static void
json_socket(FILE *fp, int fd)
{
	int val;

	fputs(",\"family\":", fp);
	if (sockopt_int(fd, SO_DOMAIN, &val) == -1)
		fputs("null", fp);
	else
		json_cstring(fp, lookup(families, NELEM(families), val));
	fputs(",\"socktype\":", fp);
	if (sockopt_int(fd, SO_TYPE, &val) == -1)
		fputs("null", fp);
	else
		json_cstring(fp, lookup(socktypes, NELEM(socktypes), val));
	if (sockopt_int(fd, SO_ACCEPTCONN, &val) == 0 && val)
		fputs(",\"listening\":true", fp);
	json_address(fp, "local", fd, 0);
	json_address(fp, "peer", fd, 1);
}

/* The name of an access mode (O_ACCMODE bits), or NULL for Linux's 3. */
static const char *
access_mode(int fl)
{
	switch (fl & O_ACCMODE) {
	case O_RDONLY:
		return "O_RDONLY";
	case O_WRONLY:
		return "O_WRONLY";
	case O_RDWR:
		return "O_RDWR";
	}
	return NULL;
}

/* Writes the flags and cloexec members, each after a comma. */
static void
json_flags(FILE *fp, int fd)
{
	const char *sep = "", *mode;
	size_t i;
	int fl, fdfl;

	fputs(",\"flags\":", fp);
	if ((fl = fcntl(fd, F_GETFL)) == -1)
		fputs("null", fp);
	else {
		putc('[', fp);
		if ((mode = access_mode(fl)) != NULL) {
			json_cstring(fp, mode);
			sep = ",";
		}
		for (i = 0; i < NELEM(status_flags); i++) {
			/* O_SYNC is several bits, O_DSYNC one of them. */
			if ((fl & status_flags[i].value) ==
			    status_flags[i].value) {
				fputs(sep, fp);
				json_cstring(fp, status_flags[i].name);
				sep = ",";
			}
		}
		putc(']', fp);
	}
	fputs(",\"cloexec\":", fp);
	if ((fdfl = fcntl(fd, F_GETFD)) == -1)
		fputs("null", fp);
	else
		fputs(fdfl & FD_CLOEXEC ? "true" : "false", fp);
}

void
json_fd(FILE *fp, int fd, const char *name)
{
	char link[PATH_MAX];
	const char *path, *type;

	/* Paths never hold a NUL byte, so the link text is a C string. */
	path = describe_path(fd, link, sizeof(link)) == 0 ? link : NULL;
	type = describe_type(fd, path);
	fprintf(fp, "{\"fd\":%d,\"type\":", fd);
	json_cstring(fp, type);
	if (strcmp(type, "socket") == 0)
		json_socket(fp, fd);
	fputs(",\"path\":", fp);
	json_cstring(fp, path);
	json_flags(fp, fd);
	fputs(",\"name\":", fp);
	json_cstring(fp, name);
	putc('}', fp);
}
