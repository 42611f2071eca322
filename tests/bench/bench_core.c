/*
 * bench_core: descriptors per second through the fdpass core, against a
 * hand-written sendmsg/recvmsg loop doing the same job.
 *
 * Each iteration passes one descriptor with one data byte over a
 * SOCK_STREAM socketpair, receives it close-on-exec and closes it: the
 * "raw" loop with sendmsg(2)/recvmsg(2) written out here, the "core" loop
 * with fdp_send_fds()/fdp_recv_fds().  Sender and receiver are the same
 * thread, so the figures are per-call costs with no scheduling in them,
 * and they are timed in CPU time (which the kernel's work in the calls is
 * part of), so that other jobs on the machine do not count.  The two loops
 * alternate, round after round (the first of each pair swapping), so that
 * drift in machine speed hits both alike.  Printed: the median round of
 * each, and the median over rounds of core/raw, each round compared with
 * its partner run next to it in time.
 *
 * usage: bench_core [ITERATIONS [ROUNDS]]
 * prints "raw MEDIAN MIN MAX" and "core MEDIAN MIN MAX" in fds per CPU
 * second, then "ratio MEDIAN".
 */
#include <sys/socket.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MAX_ROUNDS	99

/* One pass of ITERATIONS descriptors; exits 1 on any failure. */
typedef void	loop_fn(int, int, int, long);

/* The CPU time this process has used, in seconds. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The hand-written loop: what a careful program does without a library,
 * with the checks it cannot skip (truncation, cmsg level/type/length).
 */
static void
raw_loop(int tx, int rx, int fd, long n)
{
	union {
		struct cmsghdr	align;
		unsigned char	bytes[CMSG_SPACE(sizeof(int))];
	} sctl, rctl;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	char byte = 0;
	int got;
	long i;

	for (i = 0; i < n; i++) {
		memset(&msg, 0, sizeof(msg));
		memset(&sctl, 0, sizeof(sctl));
		iov.iov_base = &byte;
		iov.iov_len = 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = sctl.bytes;
		msg.msg_controllen = sizeof(sctl.bytes);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		if (sendmsg(tx, &msg, MSG_NOSIGNAL) != 1)
			err(1, "raw sendmsg");

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = rctl.bytes;
		msg.msg_controllen = sizeof(rctl.bytes);
		if (recvmsg(rx, &msg, MSG_CMSG_CLOEXEC) != 1)
			err(1, "raw recvmsg");
		cmsg = CMSG_FIRSTHDR(&msg);
		if ((msg.msg_flags & MSG_CTRUNC) || cmsg == NULL ||
		    cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
			errx(1, "raw recvmsg: unexpected control data");
		memcpy(&got, CMSG_DATA(cmsg), sizeof(int));
		if (close(got) == -1)
			err(1, "raw close");
	}
}

/* The same job through the core. */
static void
core_loop(int tx, int rx, int fd, long n)
{
	char byte = 0;
	size_t nfds;
	int got;
	long i;

	for (i = 0; i < n; i++) {
		if (fdp_send_fds(tx, &fd, 1, &byte, 1) == -1)
			err(1, "fdp_send_fds");
		if (fdp_recv_fds(rx, &got, 1, &nfds, &byte, 1) != 1 ||
		    nfds != 1)
			err(1, "fdp_recv_fds");
		if (close(got) == -1)
			err(1, "core close");
	}
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints name, then the median, least and greatest of v; sorts v. */
static void
report(const char *name, double *v, int n)
{
	qsort(v, n, sizeof(*v), by_value);
	printf("%s %.0f %.0f %.0f\n", name, v[n / 2], v[0], v[n - 1]);
}

/* Runs one pass of loop and returns its rate in fds per CPU second. */
static double
timed(loop_fn *loop, int tx, int rx, int fd, long n)
{
	double start = cpu_now();

	loop(tx, rx, fd, n);
	return n / (cpu_now() - start);
}

int
main(int argc, char **argv)
{
	double raw[MAX_ROUNDS], core[MAX_ROUNDS], ratio[MAX_ROUNDS];
	const char *errstr;
	long n = 100000;
	int rounds = 5, sv[2], fd, r;

	if (argc > 1 && (n = strtonum(argv[1], 1, 100000000, &errstr)) == 0)
		errx(2, "ITERATIONS %s: %s", argv[1], errstr);
	if (argc > 2 &&
	    (rounds = strtonum(argv[2], 1, MAX_ROUNDS, &errstr)) == 0)
		errx(2, "ROUNDS %s: %s", argv[2], errstr);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "open /dev/null");
	/* Warm caches and the kernel's slabs before anything is timed. */
	raw_loop(sv[0], sv[1], fd, n / 10 + 1);
	core_loop(sv[0], sv[1], fd, n / 10 + 1);
	for (r = 0; r < rounds; r++) {
		if (r % 2 == 0) {
			raw[r] = timed(raw_loop, sv[0], sv[1], fd, n);
			core[r] = timed(core_loop, sv[0], sv[1], fd, n);
		} else {
			core[r] = timed(core_loop, sv[0], sv[1], fd, n);
			raw[r] = timed(raw_loop, sv[0], sv[1], fd, n);
		}
		ratio[r] = core[r] / raw[r];
	}
	report("raw", raw, rounds);
	report("core", core, rounds);
	qsort(ratio, rounds, sizeof(*ratio), by_value);
	printf("ratio %.3f\n", ratio[rounds / 2]);
	return 0;
}
