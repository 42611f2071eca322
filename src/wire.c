/*
 * Encoding and checking of the fdpass wire header and name list.  These
 * functions see only bytes, never a socket, so the fuzzer can drive them.
 *
 * Header, 20 bytes, integers big-endian:
 *	0	"FDPM"
 *	4	version (2)
 *	5	flags (WIRE_ACK, WIRE_WAIT, WIRE_PROVE)
 *	6	number of descriptors (16 bits)
 *	8	bytes of names (32 bits)
 *	12	bytes of data (64 bits)
 *
 * Reply, 8 bytes:
 *	0	"FDPR"
 *	4	what (enum wire_reply)
 *	5	status (0 to 255)
 *	6	zero (16 bits)
 *
 * Signal, sender to receiver, 8 bytes:
 *	0	"FDPS"
 *	4	signal: 1 SIGHUP, 2 SIGINT or 15 SIGTERM
 *	5	zero (24 bits)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "wire.h"

static void
put_be(unsigned char *p, uint64_t v, size_t size)
{
	while (size-- > 0) {
		p[size] = v & 0xff;
		v >>= 8;
	}
}

static uint64_t
get_be(const unsigned char *p, size_t size)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

/* Writes the WIRE_HEADER_SIZE bytes of h to out. */
void
wire_encode(const struct wire_header *h, unsigned char *out)
{
	/* The magic goes without its NUL. */
	memcpy(out, WIRE_MAGIC, WIRE_MAGIC_SIZE);	/* NOLINT(bugprone-not-null-terminated-result) */
	out[4] = h->version;
	out[5] = h->flags;
	put_be(out + 6, h->nfds, 2);
	put_be(out + 8, h->names_len, 4);
	put_be(out + 12, h->data_len, 8);
}

/* Tells whether bytes that start a message start an fdpass header. */
int
wire_is_framed(const unsigned char *buf, size_t len)
{
	return len >= WIRE_MAGIC_SIZE &&
	    memcmp(buf, WIRE_MAGIC, WIRE_MAGIC_SIZE) == 0;
}

/*
 * Reads a header.  Fails with EBADMSG when the bytes are not a header or
 * its lengths cannot be right, EPROTONOSUPPORT for another version.
 */
int
wire_decode(const unsigned char *buf, size_t len, struct wire_header *h)
{
	if (len < WIRE_HEADER_SIZE || !wire_is_framed(buf, len)) {
		errno = EBADMSG;
		return -1;
	}
	h->version = buf[4];
	h->flags = buf[5];
	h->nfds = get_be(buf + 6, 2);
	h->names_len = get_be(buf + 8, 4);
	h->data_len = get_be(buf + 12, 8);
	if (h->version != WIRE_VERSION || (h->flags & ~WIRE_FLAGS) != 0) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	/*
	 * Each name is at most WIRE_NAME_MAX bytes and a NUL; the exit of
	 * the command, and the answer to a header that comes alone, can
	 * only be told to a sender that asked for replies.
	 */
	if (h->names_len > (uint64_t)h->nfds * (WIRE_NAME_MAX + 1) ||
	    ((h->flags & (WIRE_WAIT | WIRE_PROVE)) && !(h->flags & WIRE_ACK))) {
		errno = EBADMSG;
		return -1;
	}
	/* A request is one of them, its names in its data, and no more. */
	if ((h->flags & WIRE_REQUESTS) && (h->nfds != 0 ||
	    (h->flags & WIRE_REQUESTS) == WIRE_REQUESTS ||
	    (h->flags & (WIRE_WAIT | WIRE_PROVE)))) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/*
 * Tells whether a descriptor name is acceptable: printable ASCII without
 * ':' (LISTEN_FDNAMES separates names with it), at most WIRE_NAME_MAX
 * bytes.  The empty name stands for "unnamed".
 */
int
wire_name_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i == WIRE_NAME_MAX || name[i] < ' ' || name[i] > '~' ||
		    name[i] == ':')
			return 0;
	}
	return 1;
}

/*
 * Splits a received name list, nfds NUL-terminated names in len bytes, in
 * place: names[i] points at the i-th name, or is NULL where it is empty.
 * An empty list (len 0) leaves every descriptor unnamed.  Fails with
 * EBADMSG when the list does not hold exactly nfds valid names.
 */
int
wire_split_names(char *list, size_t len, size_t nfds, char **names)
{
	size_t i, off = 0, n;

	for (i = 0; i < nfds; i++) {
		names[i] = NULL;
		if (len == 0)
			continue;
		n = off < len ? strnlen(list + off, len - off) : 0;
		if (off + n >= len || !wire_name_valid(list + off))
			goto bad;
		if (n > 0)
			names[i] = list + off;
		off += n + 1;
	}
	if (off != len)
		goto bad;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

/* Writes the WIRE_REPLY_SIZE bytes of a reply to out. */
void
wire_encode_reply(enum wire_reply what, int status, unsigned char *out)
{
	memcpy(out, WIRE_REPLY_MAGIC, WIRE_MAGIC_SIZE);
	out[4] = what;
	out[5] = status;
	out[6] = 0;
	out[7] = 0;
}

/* Reads a reply of WIRE_REPLY_SIZE bytes; EBADMSG if it is not one. */
int
wire_decode_reply(const unsigned char *buf, enum wire_reply *what,
    int *status)
{
	if (memcmp(buf, WIRE_REPLY_MAGIC, WIRE_MAGIC_SIZE) != 0 ||
	    buf[4] < WIRE_DELIVERED || buf[4] > WIRE_DECLINED ||
	    buf[6] != 0 || buf[7] != 0) {
		errno = EBADMSG;
		return -1;
	}
	*what = buf[4];
	*status = buf[5];
	return 0;
}

/*
 * Writes the WIRE_SIGNAL_SIZE bytes that forward sig; signal-safe
 * (memcpy is, since POSIX.1-2017), for the handler that sends them.
 */
void
wire_encode_signal(int sig, unsigned char *out)
{
	memcpy(out, WIRE_SIGNAL_MAGIC, WIRE_MAGIC_SIZE);
	out[4] = sig;
	out[5] = 0;
	out[6] = 0;
	out[7] = 0;
}

/*
 * Reads a forwarded signal of WIRE_SIGNAL_SIZE bytes; EBADMSG if it is
 * not one, or not one of the three a sender may forward.
 */
int
wire_decode_signal(const unsigned char *buf, int *sig)
{
	if (memcmp(buf, WIRE_SIGNAL_MAGIC, WIRE_MAGIC_SIZE) != 0 ||
	    (buf[4] != SIGHUP && buf[4] != SIGINT && buf[4] != SIGTERM) ||
	    buf[5] != 0 || buf[6] != 0 || buf[7] != 0) {
		errno = EBADMSG;
		return -1;
	}
	*sig = buf[4];
	return 0;
}
