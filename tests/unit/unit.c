/*
 * The test harness: CHECK bookkeeping, the runner with its descriptor leak
 * check, and a few descriptor helpers the test programs share.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fds_free.h"
#include "unit.h"

/* The first failed check of the running test and how many failed. */
static struct {
	int		 failed;
	const char	*file;
	int		 line;
	const char	*expr;
} current;

/* Records the check when it failed; returns ok. */
int
unit_check(int ok, const char *file, int line, const char *expr)
{
	if (!ok && current.failed++ == 0) {
		current.file = file;
		current.line = line;
		current.expr = expr;
	}
	return ok;
}

/* Counts this process's open descriptors, or -1 if it cannot. */
static int
unit_count_fds(void)
{
	struct dirent *e;
	DIR *dir;
	int n = 0;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		/* Leave out ".", ".." and the directory's own descriptor. */
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(dir))
			n++;
	}
	closedir(dir);
	return n;
}

/* Counts the open descriptors; a test cannot be judged without it. */
static int
must_count_fds(void)
{
	int n;

	if ((n = unit_count_fds()) == -1)
		err(1, "/proc/self/fd");
	return n;
}

/* Runs one test; returns whether it passed, after printing its line. */
static int
run_one(size_t number, const struct unit_test *t)
{
	int before, after;

	current.failed = 0;
	before = must_count_fds();
	t->fn();
	after = must_count_fds();
	if (current.failed == 0 && before == after) {
		printf("ok %zu - %s\n", number, t->name);
		return 1;
	}
	printf("not ok %zu - %s\n", number, t->name);
	if (current.failed > 0)
		printf("#   %s:%d: CHECK(%s) failed (%d failed checks)\n",
		    current.file, current.line, current.expr, current.failed);
	if (before != after)
		printf("#   %d descriptors open before the test, %d after\n",
		    before, after);
	return 0;
}

/*
 * Runs every test in the table and prints a summary line.  Returns the
 * exit status: 1 if any test failed.
 */
int
unit_run(const struct unit_test *tests, size_t ntests)
{
	struct rlimit cpu = { 60, 60 };
	size_t i, passed = 0;

	/* A test spinning in a loop kills the program rather than hang. */
	setrlimit(RLIMIT_CPU, &cpu);
	printf("1..%zu\n", ntests);
	for (i = 0; i < ntests; i++) {
		passed += run_one(i + 1, &tests[i]);
		/* Forked children must not inherit unwritten lines. */
		fflush(stdout);
	}
	printf("%s: %zu passed, %zu failed\n", getprogname(), passed,
	    ntests - passed);
	return passed == ntests ? 0 : 1;
}

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit and tells whether n more
 * descriptors than are open now fit under it.
 */
int
unit_want_fds(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	return rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= n + must_count_fds();
}

/*
 * Sets the soft RLIMIT_NOFILE to room numbers above those fds_free finds
 * in use, the limit it found in *old for the test to put back; 0 when it
 * could.
 */
int
unit_limit_room(size_t room, struct rlimit *old)
{
	struct rlimit rl;
	size_t avail;

	if (getrlimit(RLIMIT_NOFILE, old) == -1)
		return -1;
	rl = *old;
	rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    (avail = fds_free()) == SIZE_MAX)
		return -1;
	rl.rlim_cur = rl.rlim_cur - avail + room;
	if (rl.rlim_cur > rl.rlim_max)
		return -1;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Opens n descriptors, each on a file of its own; 0 or -1, nothing open. */
int
unit_memfds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((fds[i] = memfd_create("unit", MFD_CLOEXEC)) == -1) {
			unit_close_all(fds, i);
			return -1;
		}
	}
	return 0;
}

/* Closes the n descriptors in fds. */
void
unit_close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Makes a unix socketpair of the given type on which a call gives up after
 * ten seconds, so that a test of broken code fails instead of hanging.
 */
int
unit_socketpair(int type, int *sv)
{
	struct timeval tv = { 10, 0 };
	int i;

	if (socketpair(AF_UNIX, type, 0, sv) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == -1 || setsockopt(sv[i], SOL_SOCKET,
		    SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
			unit_close_all(sv, 2);
			return -1;
		}
	}
	return 0;
}

/* Tells whether two descriptors refer to the same file. */
int
unit_same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Tells whether fd is open with FD_CLOEXEC set. */
int
unit_cloexec(int fd)
{
	int flags;

	return (flags = fcntl(fd, F_GETFD)) != -1 && (flags & FD_CLOEXEC);
}
