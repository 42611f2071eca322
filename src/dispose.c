/*
 * Descriptors that a peer sent are closed in a grandchild of their own,
 * as systemd's asynchronous_close() does in a thread: a TCP socket with
 * SO_LINGER and unsent data makes whoever drops the last reference wait
 * up to the linger the peer chose, and so does a unix connection with
 * such a socket still queued on it.  Here that is a process that nobody
 * waits for, and that holds nothing else: it closes every other
 * descriptor before it closes these.  It lives DISPOSE_SECONDS at most,
 * whatever the linger: then the kernel finishes the close without it.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dispose.h"
#include "signals.h"

/* How long the process that does the last closes may take at most. */
#define DISPOSE_SECONDS	2

/* Tells whether fd is one of the n at fds. */
static int
among(int fd, const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

/* Closes the n descriptors at fds in this process. */
static void
close_here(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * In the grandchild: closes every descriptor but the n at fds and the
 * read end of the pipe, so that it keeps no listener, connection or pipe
 * of fdpass's open while it waits; waits for the end of file that says
 * fdpass has closed its own copies, then closes these, the last ones,
 * and exits.
 */
static void __attribute__((noreturn))
close_last(const int *fds, size_t n, int done)
{
	size_t i;
	ssize_t r;
	int fd, top = done;
	char c;

	/*
	 * Bounded, so that refused peers cannot pile such processes up: a
	 * signal ends a lingering close(2) at once, and this one ends the
	 * process, whose exit closes the rest without lingering.
	 */
	signal(SIGALRM, SIG_DFL);
	alarm(DISPOSE_SECONDS);
	for (i = 0; i < n; i++)
		if (fds[i] > top)
			top = fds[i];
	for (fd = 0; fd < top; fd++)
		if (fd != done && !among(fd, fds, n))
			close(fd);
	closefrom(top + 1);
	do
		r = read(done, &c, 1);
	while (r == -1 && errno == EINTR);
	close_here(fds, n);
	_exit(0);
}

/*
 * Closes the n descriptors at fds without ever waiting in close(2): a
 * grandchild holds a copy of each until this process has closed its own,
 * and then does the last close.  Should there be no process to be had,
 * they are closed here.  errno is kept.
 */
void
dispose_fds(const int *fds, size_t n)
{
	pid_t pid;
	int saved = errno, done[2];

	if (n == 0)
		return;
	if (pipe2(done, O_CLOEXEC) == -1) {
		close_here(fds, n);
		errno = saved;
		return;
	}
	/*
	 * The processes forked here end with _exit(2), which writes nothing
	 * stdio holds; valgrind's exit, which frees libc, would write it a
	 * second time.
	 */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		/* Nothing of fdpass's handlers is this process's. */
		signals_restore();
		if (fork() == 0)
			close_last(fds, n, done[0]);
		_exit(0);
	}
	/* Once the child has gone, the grandchild holds its copies. */
	while (pid > 0 && waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	close_here(fds, n);
	close(done[0]);
	close(done[1]);
	errno = saved;
}

/* dispose_fds for one descriptor. */
void
dispose_fd(int fd)
{
	dispose_fds(&fd, 1);
}

/*
 * Disposes of a connected unix socket from a peer: after a shutdown for
 * reading, nothing more can be queued on it; a stream with nothing
 * queued carries no descriptors and is closed here, saving the fork.
 * Anything else goes to dispose_fd.  errno is kept.
 */
void
dispose_connection(int sock)
{
	socklen_t len = sizeof(int);
	int saved = errno, type, queued;

	if (shutdown(sock, SHUT_RD) == 0 &&
	    getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM && ioctl(sock, SIOCINQ, &queued) == 0 &&
	    queued == 0) {
		close(sock);
		errno = saved;
		return;
	}
	dispose_fd(sock);
	errno = saved;
}

/*
 * dispose_fds for the descriptors of every SCM_RIGHTS item fdp_recv
 * found, as fdp_close_rights closes them.
 */
void
dispose_rights(const struct fdp_control *ctl)
{
	int fds[FDP_MAX_FDS_PER_MSG];
	size_t i, off, n;

	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].level != SOL_SOCKET ||
		    ctl->items[i].type != SCM_RIGHTS)
			continue;
		for (off = 0; off < ctl->items[i].len; off += n * sizeof(int)) {
			n = (ctl->items[i].len - off) / sizeof(int);
			if (n > FDP_MAX_FDS_PER_MSG)
				n = FDP_MAX_FDS_PER_MSG;
			if (n == 0)
				break;
			memcpy(fds, (const char *)ctl->items[i].data + off,
			    n * sizeof(int));
			dispose_fds(fds, n);
		}
	}
}
