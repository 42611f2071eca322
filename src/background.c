/*
 * Announcing that a listener is ready.  With --background the process
 * forks once it listens; the parent exits 0 only when the child has
 * written its pid file and said it is ready, so that `fdpass recv -b S
 * CMD; fdpass send S FILE` never races.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "background.h"
#include "cleanup.h"
#include "endpoint.h"

/*
 * Reads the pid in the n bytes at text, which must be just what
 * write_pid_file writes: digits without a leading zero, then a newline,
 * and nothing more.  Returns -1 for anything else.  The newline becomes
 * the string's end.
 */
static long long
pid_in(char *text, size_t n)
{
	const char *bad;
	size_t i;

	if (n < 2 || text[n - 1] != '\n' || text[0] == '0')
		return -1;
	for (i = 0; i < n - 1; i++)
		if (text[i] < '0' || text[i] > '9')
			return -1;
	text[n - 1] = '\0';
	return strtonum(text, 1, INT32_MAX, &bad);
}

/*
 * Tells whether the file open on fd may be taken over as a stale pid
 * file: nobody holds its lock (fdpass holds it while it lives), and it
 * holds a pid and a newline and nothing else, of no running process: a
 * file that only begins like one may be anybody's data.  Sets *why if not.
 */
static int
stale_pid_file(int fd, const char **why)
{
	static char msg[64];
	char text[24];
	struct stat st;
	long long pid;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		*why = "exists and is not a regular file";
		return 0;
	}
	/* One another user could write to, or link, is not ours to take. */
	if (st.st_uid != geteuid() || st.st_nlink != 1 ||
	    (st.st_mode & 022)) {
		*why = "exists and is not a pid file of this user's";
		return 0;
	}
	/* A whole buffer read means more than any pid file holds. */
	if ((n = pread(fd, text, sizeof(text), 0)) == -1)
		return -1;
	if ((size_t)n == sizeof(text) || (pid = pid_in(text, n)) <= 0) {
		*why = "exists and is not a pid file";
		return 0;
	}
	/*
	 * A pid is alive or not; but this process's own is stale, left by
	 * one that had it before, as PID 1 of a namespace restarted has.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || (pid != getpid() &&
	    (kill(pid, 0) == 0 || errno == EPERM))) {
		snprintf(msg, sizeof(msg), "already running as pid %lld", pid);
		*why = msg;
		return 0;
	}
	return 1;
}

/*
 * Writes the pid file, locked for as long as the process lives, and
 * returns the descriptor that holds the lock.  It never follows a
 * symbolic link, and replaces only a stale pid file, so that --pid-file
 * cannot be turned against a file that is not fdpass's.  libbsd's
 * pidfile_open would truncate whatever it found, through a link.
 */
static int
write_pid_file(const char *path)
{
	const char *why = NULL;
	struct stat st;
	char pid[24];
	int fd, len, stale;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1 && errno == EEXIST) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
		if (fd == -1 && errno == ELOOP)
			errx(1, "--pid-file %s: is a symbolic link", path);
		if (fd != -1 && (stale = stale_pid_file(fd, &why)) != 1) {
			if (stale == -1)
				err(1, "--pid-file %s", path);
			errx(1, "--pid-file %s: %s", path, why);
		}
	}
	if (fd == -1 || fstat(fd, &st) == -1)
		err(1, "--pid-file %s", path);
	/* Recorded first, so that a failure below leaves no file behind. */
	cleanup_pid_file(path, st.st_dev, st.st_ino);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		err(1, "--pid-file %s: lock", path);
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, len, 0) != len)
		err(1, "--pid-file %s", path);
	/* fd stays open, unseen by COMMAND, to hold the lock. */
	return fd;
}

/*
 * Forks; the parent waits for the child to write a byte on the pipe, then
 * exits 0, or 1 if the child died first (having said why).  Returns in
 * the child, in a session of its own, with the pipe's write end; peers
 * that connect see the child's pid, not that of the parent that listened.
 */
static int
fork_and_wait(void)
{
	int pipefd[2];
	pid_t pid;
	ssize_t n;
	char c = 0;

	if (pipe2(pipefd, O_CLOEXEC) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		cleanup_adopt();
		endpoint_claim();
		close(pipefd[0]);
		setsid();
		return pipefd[1];
	}
	/* The socket file is the child's now. */
	cleanup_forget();
	close(pipefd[1]);
	do
		n = read(pipefd[0], &c, 1);
	while (n == -1 && errno == EINTR);
	_exit(n == 1 && c == '\n' ? 0 : 1);
}

/*
 * Closes fd, but for 0, 1 and 2, which take /dev/null instead so that no
 * connection accepted later lands there.
 */
static void
release_fd(int fd)
{
	int null;

	if (fd > 2) {
		close(fd);
		return;
	}
	if ((null = open("/dev/null", O_RDWR)) == -1 || dup2(null, fd) == -1)
		err(1, "/dev/null");
	close(null);
}

/*
 * Forks for -b, the parent waiting until announce_ready says ready.
 * Returns what announce_ready needs to tell the parent, or -1.
 */
int
announce_fork(const struct announce *a)
{
	return a->background ? fork_and_wait() : -1;
}

/*
 * Says that the listener is ready, as a asks: by the pid file, as a
 * newline on --ready-fd, and to the parent waiting since announce_fork
 * (parent, unless -1).  Returns the descriptor that locks the pid file,
 * or -1 for none.
 */
int
announce_ready(const struct announce *a, int parent)
{
	int pid_fd = -1;

	if (a->pid_file != NULL)
		pid_fd = write_pid_file(a->pid_file);
	if (a->ready_fd != -1) {
		if (write(a->ready_fd, "\n", 1) != 1)
			err(1, "--ready-fd %d", a->ready_fd);
		release_fd(a->ready_fd);
	}
	if (parent != -1) {
		if (write(parent, "\n", 1) != 1)
			err(1, "background");
		close(parent);
	}
	return pid_fd;
}

/* announce_fork, then announce_ready at once. */
int
announce_listening(const struct announce *a)
{
	return announce_ready(a, announce_fork(a));
}
