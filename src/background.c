/*
 * Announcing that a listener is ready.  With --background the process
 * forks once it listens; the parent exits 0 only when the child has
 * written its pid file and said it is ready, so that `fdpass recv -b S
 * CMD; fdpass send S FILE` never races.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "background.h"
#include "endpoint.h"

/* The pid file, held locked while the listener lives, and its path. */
static struct pidfh *pidfh;
static char *pid_path;

/* Removes the pid file along with the socket file; signal-safe. */
static void
remove_pid_file(void)
{
	unlink(pid_path);
}

static void
write_pid_file(const char *path)
{
	pid_t other;

	if ((pidfh = pidfile_open(path, 0644, &other)) == NULL) {
		if (errno == EEXIST)
			errx(1, "--pid-file %s: already running as pid %ld",
			    path, (long)other);
		err(1, "--pid-file %s", path);
	}
	if (pidfile_write(pidfh) == -1)
		err(1, "--pid-file %s", path);
	if ((pid_path = strdup(path)) == NULL)
		err(1, "memory");
	endpoint_also_remove(remove_pid_file);
}

/*
 * Forks; the parent waits for the child to write a byte on the pipe, then
 * exits 0, or 1 if the child died first (having said why).  Returns in
 * the child, in a session of its own, with the pipe's write end.
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
		close(pipefd[0]);
		setsid();
		return pipefd[1];
	}
	/* The socket file is the child's now. */
	endpoint_forget();
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
 * Says that the listener is ready: to the parent with background, as a
 * newline on ready_fd (unless -1), and by the pid file (unless NULL).
 */
void
announce_listening(int background, int ready_fd, const char *pid_file)
{
	int parent = -1;

	if (background)
		parent = fork_and_wait();
	if (pid_file != NULL)
		write_pid_file(pid_file);
	if (ready_fd != -1) {
		if (write(ready_fd, "\n", 1) != 1)
			err(1, "--ready-fd %d", ready_fd);
		release_fd(ready_fd);
	}
	if (parent != -1) {
		if (write(parent, "\n", 1) != 1)
			err(1, "background");
		close(parent);
	}
}
