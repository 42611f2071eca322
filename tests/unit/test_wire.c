/*
 * Unit tests of the wire format, src/wire.c, and of whole transfers,
 * src/sender.c and src/receiver.c, sent and received over socketpair(2).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
#include "msg.h"
#include "transfer.h"
#include "unit.h"
#include "wire.h"

#define MANY_FDS	600

/* A header whose fields differ byte by byte, and its encoding. */
static const struct wire_header sample = {
	2, 0, 0xfedc, 0x00a1b2c3, UINT64_C(0x0123456789abcdef)
};
static const unsigned char sample_bytes[WIRE_HEADER_SIZE] = {
	'F', 'D', 'P', 'M', 0x02, 0x00, 0xfe, 0xdc,
	0x00, 0xa1, 0xb2, 0xc3,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

/* A receiver holds 64 KiB: one, outside the stack. */
static struct receiver receiver;

/* Tells whether decoding buf fails with the error e. */
static int
decode_fails(const unsigned char *buf, size_t len, int e)
{
	struct wire_header h;

	errno = 0;
	return wire_decode(buf, len, &h) == -1 && errno == e;
}

/* Encodes a version 2 header with the given counts into out. */
static void
encode(unsigned char *out, uint16_t nfds, uint32_t names_len,
    uint64_t data_len)
{
	struct wire_header h = { WIRE_VERSION, 0, nfds, names_len, data_len };

	wire_encode(&h, out);
}

/* Reads the rest of the current transfer's data into buf, size len. */
static ssize_t
read_data(struct receiver *r, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while ((n = receiver_data(r, buf + got, len - got)) > 0)
		got += n;
	return n == -1 ? -1 : (ssize_t)got;
}

/* wire_encode lays the header out big-endian after the magic. */
static void
test_encode(void)
{
	unsigned char out[WIRE_HEADER_SIZE];

	wire_encode(&sample, out);
	CHECK(memcmp(out, sample_bytes, WIRE_HEADER_SIZE) == 0);
}

/* wire_decode reads back every field of the hand-written bytes. */
static void
test_decode(void)
{
	struct wire_header h;

	CHECK(wire_decode(sample_bytes, sizeof(sample_bytes), &h) == 0);
	CHECK(h.version == 2 && h.flags == 0);
	CHECK(h.nfds == sample.nfds);
	CHECK(h.names_len == sample.names_len);
	CHECK(h.data_len == sample.data_len);
}

/* Bytes that are not a whole header with the magic are EBADMSG. */
static void
test_decode_not_header(void)
{
	unsigned char buf[WIRE_HEADER_SIZE];

	memcpy(buf, sample_bytes, sizeof(buf));
	buf[3] = 'X';
	CHECK(decode_fails(buf, sizeof(buf), EBADMSG));
	CHECK(decode_fails(sample_bytes, WIRE_HEADER_SIZE - 1, EBADMSG));
	CHECK(decode_fails(sample_bytes, 0, EBADMSG));
}

/*
 * Another version, the first one included (its sender would send its
 * descriptors with the header), or an unknown flag is EPROTONOSUPPORT.
 */
static void
test_decode_unsupported(void)
{
	unsigned char buf[WIRE_HEADER_SIZE];

	memcpy(buf, sample_bytes, sizeof(buf));
	buf[4] = 1;
	CHECK(decode_fails(buf, sizeof(buf), EPROTONOSUPPORT));
	buf[4] = 3;
	CHECK(decode_fails(buf, sizeof(buf), EPROTONOSUPPORT));
	buf[4] = 2;
	buf[5] = 0x80;
	CHECK(decode_fails(buf, sizeof(buf), EPROTONOSUPPORT));
}

/* Replies round-trip, WIRE_READY and WIRE_DECLINED too; others are EBADMSG. */
static void
test_reply(void)
{
	unsigned char buf[WIRE_REPLY_SIZE];
	enum wire_reply what;
	int status;

	wire_encode_reply(WIRE_DECLINED, WIRE_TOO_MANY_FDS, buf);
	CHECK(wire_decode_reply(buf, &what, &status) == 0);
	CHECK(what == WIRE_DECLINED && status == WIRE_TOO_MANY_FDS);
	wire_encode_reply(WIRE_READY, 0, buf);
	CHECK(wire_decode_reply(buf, &what, &status) == 0 &&
	    what == WIRE_READY);
	buf[4] = WIRE_DECLINED + 1;
	errno = 0;
	CHECK(wire_decode_reply(buf, &what, &status) == -1 &&
	    errno == EBADMSG);
}

/*
 * Forwarded signals round-trip for SIGHUP, SIGINT and SIGTERM, numbered
 * as on the wire; any other signal, or a frame not all its own, is EBADMSG.
 */
static void
test_signal(void)
{
	unsigned char buf[WIRE_SIGNAL_SIZE];
	int sig = 0;

	wire_encode_signal(SIGTERM, buf);
	CHECK(memcmp(buf, "FDPS\x0f\0\0\0", sizeof(buf)) == 0);
	CHECK(wire_decode_signal(buf, &sig) == 0 && sig == SIGTERM);
	wire_encode_signal(SIGHUP, buf);
	CHECK(wire_decode_signal(buf, &sig) == 0 && sig == 1);
	wire_encode_signal(SIGKILL, buf);
	errno = 0;
	CHECK(wire_decode_signal(buf, &sig) == -1 && errno == EBADMSG);
	wire_encode_signal(SIGINT, buf);
	buf[7] = 1;
	CHECK(wire_decode_signal(buf, &sig) == -1);
	wire_encode_reply(WIRE_READY, 0, buf);
	CHECK(wire_decode_signal(buf, &sig) == -1);
}

/* Names may take 256 bytes per descriptor and not one more. */
static void
test_decode_names_len(void)
{
	struct wire_header h;
	unsigned char buf[WIRE_HEADER_SIZE];

	encode(buf, 2, 2 * 256, 0);
	CHECK(wire_decode(buf, sizeof(buf), &h) == 0);
	encode(buf, 2, 2 * 256 + 1, 0);
	CHECK(decode_fails(buf, sizeof(buf), EBADMSG));
	encode(buf, 0, 1, 0);
	CHECK(decode_fails(buf, sizeof(buf), EBADMSG));
}

/* WIRE_WAIT and WIRE_PROVE need WIRE_ACK: they are answered with it. */
static void
test_decode_wait_without_ack(void)
{
	struct wire_header h = { WIRE_VERSION, WIRE_WAIT, 1, 0, 0 };
	unsigned char buf[WIRE_HEADER_SIZE];

	wire_encode(&h, buf);
	CHECK(decode_fails(buf, sizeof(buf), EBADMSG));
	h.flags = WIRE_PROVE;
	wire_encode(&h, buf);
	CHECK(decode_fails(buf, sizeof(buf), EBADMSG));
	h.flags = WIRE_WAIT | WIRE_ACK;
	wire_encode(&h, buf);
	CHECK(wire_decode(buf, sizeof(buf), &h) == 0);
}

/* A name is empty or up to 255 printable characters other than ':'. */
static void
test_name_valid(void)
{
	char name[WIRE_NAME_MAX + 2];

	CHECK(wire_name_valid(""));
	CHECK(wire_name_valid("log-1.sock~ x"));
	CHECK(!wire_name_valid("a:b"));
	CHECK(!wire_name_valid("tab\there"));
	CHECK(!wire_name_valid("new\nline"));
	CHECK(!wire_name_valid("del\x7f"));
	CHECK(!wire_name_valid("caf\xc3\xa9"));
	memset(name, 'n', WIRE_NAME_MAX);
	name[WIRE_NAME_MAX] = '\0';
	CHECK(wire_name_valid(name));
	name[WIRE_NAME_MAX] = 'n';
	name[WIRE_NAME_MAX + 1] = '\0';
	CHECK(!wire_name_valid(name));
}

/* A list of nfds names splits in place, empty names as NULL. */
static void
test_split_valid(void)
{
	char list[] = "one\0\0three";
	char *names[3];

	CHECK(wire_split_names(list, sizeof(list), 3, names) == 0);
	CHECK(names[0] == list && strcmp(names[0], "one") == 0);
	CHECK(names[1] == NULL);
	CHECK(names[2] != NULL && strcmp(names[2], "three") == 0);
}

/* An empty list leaves every descriptor unnamed. */
static void
test_split_empty(void)
{
	char *names[2] = { "x", "y" };

	CHECK(wire_split_names(NULL, 0, 2, names) == 0);
	CHECK(names[0] == NULL && names[1] == NULL);
}

/* Lists that are not exactly nfds valid NUL-terminated names: EBADMSG. */
static void
test_split_bad(void)
{
	char unterminated[] = { 'a', '\0', 'b' };
	char two[] = "a\0b";
	char bad_name[] = "a\0b:c";
	char *names[3];

	errno = 0;
	CHECK(wire_split_names(unterminated, sizeof(unterminated), 2,
	    names) == -1 && errno == EBADMSG);
	errno = 0;
	CHECK(wire_split_names(two, sizeof(two), 3, names) == -1 &&
	    errno == EBADMSG);
	errno = 0;
	CHECK(wire_split_names(two, sizeof(two), 1, names) == -1 &&
	    errno == EBADMSG);
	errno = 0;
	CHECK(wire_split_names(two, sizeof(two), 0, names) == -1 &&
	    errno == EBADMSG);
	errno = 0;
	CHECK(wire_split_names(bad_name, sizeof(bad_name), 2, names) == -1 &&
	    errno == EBADMSG);
}

/* A named descriptor and data go across as one framed transfer. */
static void
test_transfer_round_trip(void)
{
	const char *names[] = { "log" };
	char buf[16];
	int sv[2], fd;
	struct outgoing out = { &fd, 1, names, "hello", 5, -1, 0, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		close(fd);
	}
	close(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1) &&
	    CHECK(receiver.nfds == 1)) {
		CHECK(receiver.framed);
		CHECK(receiver.names[0] != NULL &&
		    strcmp(receiver.names[0], "log") == 0);
		CHECK(unit_cloexec(receiver.fds[0]));
		CHECK(read_data(&receiver, buf, sizeof(buf)) == 5);
		CHECK(memcmp(buf, "hello", 5) == 0);
		/* The sender has gone: no further transfer. */
		CHECK(receiver_next(&receiver, SIZE_MAX) == 0);
	}
	receiver_release(&receiver);
	close(sv[1]);
}

/* The sent descriptor is the one the receiver holds. */
static void
test_transfer_same_file(void)
{
	int sv[2], fd;
	struct outgoing out = { &fd, 1, NULL, NULL, 0, -1, 0, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
		if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1) &&
		    CHECK(receiver.nfds == 1)) {
			CHECK(unit_same_file(fd, receiver.fds[0]));
			CHECK(receiver.names[0] == NULL);
		}
		receiver_release(&receiver);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* Data from a file follows the data from memory. */
static void
test_transfer_data_fd(void)
{
	char buf[32];
	int sv[2], fd;
	struct outgoing out = { NULL, 0, NULL, "hello ", 6, -1, 5, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(write(fd, "world", 5) == 5);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		out.data_fd = fd;
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		close(fd);
	}
	close(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1)) {
		CHECK(read_data(&receiver, buf, sizeof(buf)) == 11);
		CHECK(memcmp(buf, "hello world", 11) == 0);
	}
	receiver_release(&receiver);
	close(sv[1]);
}

/* A data file shorter than promised fails the send with EIO. */
static void
test_transfer_data_fd_short(void)
{
	int sv[2], fd;
	struct outgoing out = { NULL, 0, NULL, NULL, 0, -1, 10, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(write(fd, "short", 5) == 5);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		out.data_fd = fd;
		errno = 0;
		CHECK(transfer_send(sv[0], &out, NULL) == -1 && errno == EIO);
		close(fd);
	}
	unit_close_all(sv, 2);
}

/* 600 named descriptors, sent by the deadline d, arrive in order. */
static void
transfer_many_fds(const struct deadline *d)
{
	static char namebuf[MANY_FDS][8];
	static const char *names[MANY_FDS];
	static int fds[MANY_FDS];
	struct outgoing out = { fds, MANY_FDS, names, NULL, 0, -1, 0, 0, 0,
	    d };
	size_t i;
	int sv[2];

	for (i = 0; i < MANY_FDS; i++) {
		snprintf(namebuf[i], sizeof(namebuf[i]), "fd%zu", i);
		names[i] = namebuf[i];
	}
	if (!CHECK(unit_want_fds(2 * MANY_FDS + 8)) ||
	    !CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, MANY_FDS) == 0)) {
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
		if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1) &&
		    CHECK(receiver.nfds == MANY_FDS)) {
			for (i = 0; i < MANY_FDS; i++) {
				CHECK(unit_same_file(fds[i], receiver.fds[i]));
				CHECK(receiver.names[i] != NULL &&
				    strcmp(receiver.names[i], names[i]) == 0);
			}
		}
		receiver_release(&receiver);
		unit_close_all(fds, MANY_FDS);
	}
	unit_close_all(sv, 2);
}

/*
 * 600 named descriptors go in several batches, with no deadline and with
 * one, which makes each send wait with poll(2).
 */
static void
test_transfer_many_fds(void)
{
	struct deadline d;

	transfer_many_fds(NULL);
	deadline_set(&d, 60);
	transfer_many_fds(&d);
}

/* A seqpacket transfer is one message; 254 fds do not fit: EMSGSIZE. */
static void
test_transfer_seqpacket(void)
{
	static int fds[FDP_MAX_FDS_PER_MSG + 1];
	char buf[8];
	int sv[2];
	struct outgoing out = { fds, 2, NULL, "dgram", 5, -1, 0, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_SEQPACKET, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		unit_close_all(fds, 2);
	}
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1)) {
		CHECK(receiver.framed && receiver.nfds == 2);
		CHECK(read_data(&receiver, buf, sizeof(buf)) == 5);
	}
	receiver_release(&receiver);
	/* Refused before a descriptor is looked at. */
	out.nfds = FDP_MAX_FDS_PER_MSG + 1;
	errno = 0;
	CHECK(transfer_send(sv[0], &out, NULL) == -1 && errno == EMSGSIZE);
	unit_close_all(sv, 2);
}

/* An SCM_RIGHTS message from another sender is one unframed transfer. */
static void
test_transfer_plain(void)
{
	char buf[16];
	int sv[2], fds[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(fdp_send_fds(sv[0], fds, 2, "plain", 5) == 0);
		unit_close_all(fds, 2);
	}
	close(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1)) {
		CHECK(!receiver.framed);
		CHECK(receiver.nfds == 2);
		CHECK(receiver.names[0] == NULL && receiver.names[1] == NULL);
		CHECK(read_data(&receiver, buf, sizeof(buf)) == 5);
		CHECK(memcmp(buf, "plain", 5) == 0);
	}
	receiver_release(&receiver);
	close(sv[1]);
}

/*
 * Sends out on sock as fdpass send does, header first, the rest once the
 * answer is WIRE_READY from the parent; exits 0 when all went so.
 */
static void __attribute__((noreturn))
propose_and_send(int sock, const struct outgoing *out)
{
	struct outcome v;
	struct fdp_peer who;

	if (transfer_propose(sock, out, NULL, &v, &who) == -1 ||
	    v.what != WIRE_READY || who.pid != getppid() ||
	    who.uid != geteuid() || transfer_send(sock, out, &v) == -1)
		_exit(1);
	_exit(0);
}

/*
 * WIRE_PROVE: the header crosses alone with the sender's credentials, the
 * receiver answers with its own, then the descriptor, name and data come.
 */
static void
check_prove(int type)
{
	const char *names[] = { "log" };
	char buf[16];
	int sv[2], fd, status;
	pid_t pid;
	struct outgoing out = { &fd, 1, names, "hello", 5, -1, 0,
	    WIRE_ACK | WIRE_PROVE, 0, NULL };

	if (!CHECK(unit_socketpair(type, sv) == 0))
		return;
	if (!CHECK(unit_memfds(&fd, 1) == 0)) {
		unit_close_all(sv, 2);
		return;
	}
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		propose_and_send(sv[0], &out);
	}
	close(fd);
	close(sv[0]);
	if (CHECK(pid != -1) &&
	    CHECK(receiver_next(&receiver, SIZE_MAX) == 1) &&
	    CHECK(receiver.nfds == 1)) {
		CHECK(receiver.sender_known && receiver.sender.pid == pid);
		CHECK(receiver.names[0] != NULL &&
		    strcmp(receiver.names[0], "log") == 0);
		CHECK(read_data(&receiver, buf, sizeof(buf)) == 5);
		CHECK(memcmp(buf, "hello", 5) == 0);
	}
	CHECK(pid == -1 || (waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0));
	receiver_release(&receiver);
	close(sv[1]);
}

static void
test_transfer_prove_stream(void)
{
	check_prove(SOCK_STREAM);
}

static void
test_transfer_prove_seqpacket(void)
{
	check_prove(SOCK_SEQPACKET);
}

/* A header that promises more descriptors than come fails, none leaked. */
static void
test_transfer_missing_fd(void)
{
	unsigned char header[WIRE_HEADER_SIZE];
	int sv[2], fd;

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	encode(header, 2, 0, 0);
	if (CHECK(unit_memfds(&fd, 1) == 0)) {
		CHECK(fdp_send_fds(sv[0], &fd, 1, header, sizeof(header)) == 0);
		close(fd);
	}
	close(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	errno = 0;
	CHECK(receiver_next(&receiver, SIZE_MAX) == -1);
	CHECK(errno == EBADMSG && receiver.why != NULL);
	/* The one that came is the receiver's until released. */
	CHECK(receiver.nfds == 1);
	receiver_release(&receiver);
	close(sv[1]);
}

/* More descriptors than the limit fail, and those that came are closed. */
static void
test_transfer_over_limit(void)
{
	int sv[2], fds[2];
	struct outgoing out = { fds, 2, NULL, NULL, 0, -1, 0, 0, 0, NULL };

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	if (CHECK(unit_memfds(fds, 2) == 0)) {
		CHECK(transfer_send(sv[0], &out, NULL) == 0);
		unit_close_all(fds, 2);
	}
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	errno = 0;
	CHECK(receiver_next(&receiver, 1) == -1);
	CHECK(errno == EBADMSG && receiver.why != NULL);
	/* Held until receiver_release, which the fd count shows closes them. */
	CHECK(receiver.nfds == 2);
	receiver_release(&receiver);
	unit_close_all(sv, 2);
}

/* Sends a header that announces 100 data bytes, and 10 of them. */
static void
send_short_data(int sock)
{
	unsigned char header[WIRE_HEADER_SIZE];
	char ten[] = "0123456789";
	struct iovec iov[] = { { header, sizeof(header) }, { ten, 10 } };

	encode(header, 0, 0, 100);
	CHECK(fdp_send(sock, iov, 2, NULL, 0, 0) == WIRE_HEADER_SIZE + 10);
}

/* A peer gone before all the data it announced: receiver_data fails. */
static void
test_transfer_short_data(void)
{
	char buf[128];
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_STREAM, sv) == 0))
		return;
	send_short_data(sv[0]);
	close(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1)) {
		CHECK(receiver_data(&receiver, buf, sizeof(buf)) == 10);
		errno = 0;
		CHECK(receiver_data(&receiver, buf, sizeof(buf)) == -1);
		CHECK(errno == EBADMSG && receiver.why != NULL);
	}
	receiver_release(&receiver);
	close(sv[1]);
}

/* A datagram with less data than its header says is refused. */
static void
test_transfer_short_datagram(void)
{
	char buf[128];
	int sv[2];

	if (!CHECK(unit_socketpair(SOCK_SEQPACKET, sv) == 0))
		return;
	send_short_data(sv[0]);
	CHECK(receiver_init(&receiver, sv[1], NULL) == 0);
	if (CHECK(receiver_next(&receiver, SIZE_MAX) == 1)) {
		errno = 0;
		CHECK(read_data(&receiver, buf, sizeof(buf)) == -1);
		CHECK(errno == EBADMSG && receiver.why != NULL);
	}
	receiver_release(&receiver);
	unit_close_all(sv, 2);
}

static const struct unit_test tests[] = {
	{ "wire_encode byte layout", test_encode },
	{ "wire_decode fields", test_decode },
	{ "wire_decode: bad magic, short buffer", test_decode_not_header },
	{ "wire_decode: versions 1 and 3, flags", test_decode_unsupported },
	{ "wire_decode: names_len limit", test_decode_names_len },
	{ "wire replies", test_reply },
	{ "forwarded signals", test_signal },
	{ "wire_decode: WAIT, PROVE without ACK",
	    test_decode_wait_without_ack },
	{ "wire_name_valid", test_name_valid },
	{ "wire_split_names: valid list", test_split_valid },
	{ "wire_split_names: empty list", test_split_empty },
	{ "wire_split_names: bad lists", test_split_bad },
	{ "transfer: name and data round trip", test_transfer_round_trip },
	{ "transfer: same file", test_transfer_same_file },
	{ "transfer: data from a file", test_transfer_data_fd },
	{ "transfer: data file too short", test_transfer_data_fd_short },
	{ "transfer: 600 named descriptors", test_transfer_many_fds },
	{ "transfer: seqpacket", test_transfer_seqpacket },
	{ "transfer: plain SCM_RIGHTS message", test_transfer_plain },
	{ "transfer: header first, stream", test_transfer_prove_stream },
	{ "transfer: header first, seqpacket", test_transfer_prove_seqpacket },
	{ "transfer: 2 fds announced, 1 sent", test_transfer_missing_fd },
	{ "transfer: over the limit", test_transfer_over_limit },
	{ "transfer: peer leaves mid-data", test_transfer_short_data },
	{ "transfer: short datagram", test_transfer_short_datagram },
};

int
main(void)
{
	/*
	 * The receiver disposes of what it drops (dispose.c): the disposer's
	 * two descriptors are open from a first drop on, before any count.
	 */
	dispose_start();
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
