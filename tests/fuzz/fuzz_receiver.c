/*
 * libFuzzer target for everything that parses what a peer sends: the
 * receiver's framing, the wire header, the name list and the data, fed
 * through a real socketpair so that the socket reads are exercised too.
 *
 * Input: byte 0 picks the socket type (bit 0: seqpacket) and how many
 * descriptors ride with the first message (bits 1-2, 0 to 3); byte 1 is the
 * receiver's descriptor limit (0: none); the rest is what the peer sends.
 * After each run no descriptor may be left open.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dispose.h"
#include "msg.h"
#include "transfer.h"

static struct receiver receiver;

static int
count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (dir == NULL)
		abort();
	while (readdir(dir) != NULL)
		n++;
	closedir(dir);
	return n;
}

/* Sends the input as the peer would, then hangs up. */
static void
play_peer(int sock, const uint8_t *data, size_t size, size_t nfds)
{
	int fds[3];
	size_t i;

	for (i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (size > 0 || nfds > 0)
		fdp_send_fds(sock, fds, nfds, data, size);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	shutdown(sock, SHUT_WR);
}

/* Receives transfers until the end, as fdpass recv would. */
static void
receive_all(int sock, size_t limit)
{
	char buf[4096];
	struct receiver *r = &receiver;
	ssize_t n;

	if (receiver_init(r, sock, NULL) == -1)
		return;
	while (receiver_next(r, limit) == 1) {
		while ((n = receiver_data(r, buf, sizeof(buf))) > 0)
			continue;
		if (n == -1)
			break;
	}
	receiver_release(r);
}

/*
 * Starts the process's disposer (dispose.c) with a first drop, so that
 * its two descriptors are open before any run counts.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dispose_start();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pair[2], type, before;
	size_t limit;

	if (size < 2)
		return 0;
	type = data[0] & 1 ? SOCK_SEQPACKET : SOCK_STREAM;
	limit = data[1] == 0 ? SIZE_MAX : data[1];
	before = count_open_fds();
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair) == -1)
		abort();
	play_peer(pair[0], data + 2, size - 2, (data[0] >> 1) & 3);
	receive_all(pair[1], limit);
	close(pair[0]);
	close(pair[1]);
	if (count_open_fds() != before)
		abort();
	return 0;
}
