/*
 * Rendering what recv received for printing: lines that each begin with
 * a keyword and hold vis(3)-encoded fields, "fd" per descriptor, "data"
 * for the data, "end" after each transfer; or one JSON object per
 * transfer.  Writes to the stream it is given; what describes a
 * descriptor is describe.c's and json.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
/* Only strvisx is used, whose arguments both flavours of vis.h share. */
#define LIBBSD_OPENBSD_VIS
#include <vis.h>

#include "describe.h"
#include "json.h"
#include "render.h"
#include "wire.h"

/*
 * Encodes the len bytes at s for a text record with strvisx(3): spaces,
 * newlines, backslashes and control and 8-bit bytes as C-style or octal
 * escapes, so that a record is one line of space-separated fields whatever
 * a path holds.  NULL, or nothing, is "-".  buf has room for 4 * len + 1.
 */
static const char *
field(const char *s, size_t len, char *buf)
{
	if (s == NULL || len == 0)
		return "-";
	strvisx(buf, s, len, VIS_WHITE | VIS_CSTYLE | VIS_OCTAL);
	return buf;
}

/*
 * Prints the fields of a line that follow fd's name: its path, and for a
 * socket its own and its peer's address, then the line's end.  link is
 * its path, NULL when it has none.
 */
static void
render_place(FILE *out, int fd, const char *link)
{
	static char path[4 * PATH_MAX + 1];
	static char local[4 * 128 + 1], remote[4 * 128 + 1];
	char addr[128];
	int len;

	fprintf(out, " %s", field(link, link != NULL ? strlen(link) : 0,
	    path));
	len = describe_address(fd, 0, addr, sizeof(addr));
	fprintf(out, " %s", field(addr, len > 0 ? len : 0, local));
	len = describe_address(fd, 1, addr, sizeof(addr));
	fprintf(out, " %s\n", field(addr, len > 0 ? len : 0, remote));
}

/*
 * Prints to out an "fd" line for each of the descriptors from the first
 * on: its index in the transfer, kind, name, path, and for a socket its
 * own and its peer's address (fdpass(1), OUTPUT).
 */
void
render_fds(FILE *out, const struct receiver *r, size_t first)
{
	static char name[4 * WIRE_NAME_MAX + 1];
	char link[PATH_MAX];
	size_t i;
	int known;

	for (i = first; i < r->nfds; i++) {
		known = describe_path(r->fds[i], link, sizeof(link)) == 0;
		fprintf(out, "fd %zu %s %s", i - first,
		    describe_type(r->fds[i], known ? link : NULL),
		    field(r->names[i], r->names[i] != NULL ?
		    strlen(r->names[i]) : 0, name));
		render_place(out, r->fds[i], known ? link : NULL);
	}
}

/*
 * Prints to out what a holder holds, as received: a line per descriptor,
 * its name, kind, path and addresses, as in an "fd" line; with json, a
 * JSON object per descriptor.
 */
void
render_held(FILE *out, const struct receiver *r, int json)
{
	static char name[4 * WIRE_NAME_MAX + 1];
	char link[PATH_MAX];
	size_t i;
	int known;

	for (i = 0; i < r->nfds; i++) {
		if (json) {
			json_fd(out, r->fds[i], r->names[i]);
			putc('\n', out);
			continue;
		}
		known = describe_path(r->fds[i], link, sizeof(link)) == 0;
		fprintf(out, "%s %s", field(r->names[i], r->names[i] != NULL ?
		    strlen(r->names[i]) : 0, name),
		    describe_type(r->fds[i], known ? link : NULL));
		render_place(out, r->fds[i], known ? link : NULL);
	}
}

/*
 * Prints to out one JSON object for the transfer whose fds start at
 * first, with the len bytes of data and the peer (NULL: unknown).
 */
void
render_json(FILE *out, const struct receiver *r, size_t first,
    const void *data, size_t len, const struct fdp_peer *peer)
{
	size_t i;

	fputs("{\"fds\":[", out);
	for (i = first; i < r->nfds; i++) {
		if (i > first)
			putc(',', out);
		json_fd(out, r->fds[i], r->names[i]);
	}
	fputs("],\"data\":", out);
	json_string(out, data, len);
	if (peer != NULL) {
		fprintf(out, ",\"peer\":{\"pid\":%ld,\"uid\":%ld,\"gid\":%ld",
		    (long)peer->pid, (long)peer->uid, (long)peer->gid);
		/* Known where the kernel has SO_PEERPIDFD and pidfs. */
		if (peer->pidfd_inode != 0)
			fprintf(out, ",\"pidfd_inode\":%llu",
			    (unsigned long long)peer->pidfd_inode);
		putc('}', out);
	} else
		fputs(",\"peer\":null", out);
	fputs("}\n", out);
}

/*
 * Prints to out the len bytes at buf, the next of a transfer's data, as
 * "data" lines: each ends after a newline byte of the data, or after
 * DATA_LINE_MAX bytes, so that the same data is the same lines however it
 * arrived.  lines->open counts the bytes on the line left open, if any.
 */
void
render_data(FILE *out, struct data_lines *lines, const char *buf,
    size_t len)
{
	char enc[4 * DATA_LINE_MAX + 3];
	const char *nl;
	size_t n, end;

	while (len > 0) {
		n = DATA_LINE_MAX - lines->open < len ?
		    DATA_LINE_MAX - lines->open : len;
		if ((nl = memchr(buf, '\n', n)) != NULL)
			n = nl - buf + 1;
		end = strvisx(enc, buf, n, VIS_WHITE | VIS_CSTYLE | VIS_OCTAL);
		/*
		 * A NUL is "\0" unless a digit follows; one last here may be
		 * followed by a digit on the next line, so that lines joined
		 * and then decoded would read "\01": make it "\000".
		 */
		if (buf[n - 1] == '\0')
			memcpy(enc + end, "00", 3);
		fprintf(out, "%s%s", lines->open == 0 ? "data " : "", enc);
		lines->open += n;
		if (lines->open == DATA_LINE_MAX || buf[n - 1] == '\n') {
			putc('\n', out);
			lines->open = 0;
		}
		buf += n;
		len -= n;
	}
}

/*
 * Ends the data line left open, if any: the data is over, or cut short.
 */
void
render_data_done(FILE *out, struct data_lines *lines)
{
	if (lines->open > 0)
		putc('\n', out);
	lines->open = 0;
}

/* Prints to out the line that ends a transfer whole. */
void
render_end(FILE *out)
{
	fputs("end\n", out);
}
