/*
 * Unit tests of placement, src/placement.c: sources on numbers that other
 * targets want, cycles, a source in two places, sources already above
 * the targets, descriptors kept, and the descriptor limit.  place_fds
 * closes all else above 2, so each runs in a child of its own.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "placement.h"
#include "unit.h"

/* The descriptor limit of the tests near it. */
#define MAX_OPEN	10

/* How many expectations failed in this child. */
static int child_failed;

/* Notes a failed expectation of a child, as CHECK does; yields ok. */
static int
expect(int ok, int line, const char *text)
{
	if (!ok && child_failed++ == 0)
		printf("#   child, line %d: %s\n", line, text);
	return ok;
}

#define EXPECT(cond)	expect((cond) != 0, __LINE__, #cond)

/*
 * Runs fn(arg) in a child, which may do what it likes with its
 * descriptors; tells whether all that the child expected held.
 */
static int
in_child(void (*fn)(const void *), const void *arg)
{
	pid_t pid;
	int status;

	/* The child must not write out what the parent has yet to. */
	fflush(stdout);
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		child_failed = 0;
		fn(arg);
		fflush(stdout);
		_exit(child_failed != 0);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

/* Opens a file of its own on number fd, close-on-exec; fd or -1. */
static int
file_at(int fd)
{
	int made;

	if ((made = memfd_create("unit", MFD_CLOEXEC)) == -1 || made == fd)
		return made;
	if (dup3(made, fd, O_CLOEXEC) == -1)
		fd = -1;
	close(made);
	return fd;
}

/* The inode of the file open on fd, or 0. */
static ino_t
inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* Tells whether fd is open without close-on-exec on the file of inode. */
static int
placed(int fd, ino_t ino)
{
	return inode(fd) == ino && fcntl(fd, F_GETFD) == 0;
}

/*
 * Tells whether the descriptors open above 2 are exactly the n in
 * want[], printing any other.
 */
static int
only_open(const int *want, size_t n)
{
	struct dirent *e;
	DIR *dir;
	size_t i, found = 0;
	int fd, ok = 1, listed;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.' || (fd = atoi(e->d_name)) < 3 ||
		    fd == dirfd(dir))
			continue;
		for (i = 0, listed = 0; i < n; i++)
			listed |= want[i] == fd;
		if (!listed)
			printf("#   child: %d is open\n", fd);
		ok &= listed;
		found += listed;
	}
	closedir(dir);
	return ok && found == n;
}

/* Opens a file on each of the n numbers at[], its inode in ino[]. */
static int
files_at(const int *at, ino_t *ino, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (file_at(at[i]) != at[i] || (ino[i] = inode(at[i])) == 0)
			return 0;
	return 1;
}

/* Lowers the descriptor limit to n, both soft and hard. */
static int
limit_fds(rlim_t n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/*
 * Sources on numbers of one's choice and where they go: after place_fds
 * each target has its source's file, without close-on-exec, and nothing
 * else above 2 is open, be it a source placed nowhere or the stray.
 */
struct layout {
	int			at[3];		/* the sources' numbers */
	size_t			nfds;
	struct placement	p[3];
	size_t			np;
	int			stray;		/* no source, unless 0 */
};

/* Sources on 3, 4 and 5 go to 4, 5 and 6: the targets are sources. */
static const struct layout chain = {
	{ 3, 4, 5 }, 3, { { 0, 4 }, { 1, 5 }, { 2, 6 } }, 3, 0
};

/* a on 3 goes to 4 and b on 4 to 3. */
static const struct layout swap = {
	{ 3, 4 }, 2, { { 0, 4 }, { 1, 3 } }, 2, 0
};

/* Round: 3 to 4, 4 to 5 and 5 to 3. */
static const struct layout round = {
	{ 3, 4, 5 }, 3, { { 0, 4 }, { 1, 5 }, { 2, 3 } }, 3, 0
};

/* One source on its own target and another, one placed nowhere. */
static const struct layout shared = {
	{ 3, 9, 12 }, 3, { { 0, 3 }, { 0, 7 }, { 1, 4 } }, 3, 5
};

/* Places the sources as layout l says and checks the outcome. */
static void
place_layout(const void *arg)
{
	const struct layout *l = arg;
	int fds[3], targets[3];
	ino_t ino[3], stray_ino;
	size_t i;

	memcpy(fds, l->at, sizeof(fds));
	if (!EXPECT(files_at(fds, ino, l->nfds)) ||
	    (l->stray != 0 && !EXPECT(files_at(&l->stray, &stray_ino, 1))))
		return;
	if (!EXPECT(place_fds(fds, l->nfds, l->p, l->np, NULL, 0) == 0))
		return;
	for (i = 0; i < l->np; i++) {
		EXPECT(placed(l->p[i].to, ino[l->p[i].from]));
		targets[i] = l->p[i].to;
	}
	EXPECT(only_open(targets, l->np));
}

static void
test_chain(void)
{
	CHECK(in_child(place_layout, &chain));
}

static void
test_swap(void)
{
	CHECK(in_child(place_layout, &swap));
}

static void
test_round(void)
{
	CHECK(in_child(place_layout, &round));
}

static void
test_shared_and_unplaced(void)
{
	CHECK(in_child(place_layout, &shared));
}

/*
 * What is kept moves out of the targets' way and stays close-on-exec;
 * a keep of -1 is none.
 */
static void
kept(const void *unused)
{
	int fds[] = { 6 }, keep[] = { 3, -1 }, want[2] = { 3, 0 };
	const struct placement p[] = { { 0, 3 } };
	ino_t ino[1], kept_ino[1];

	(void)unused;
	if (!EXPECT(files_at(keep, kept_ino, 1)) ||
	    !EXPECT(files_at(fds, ino, 1)))
		return;
	if (!EXPECT(place_fds(fds, 1, p, 1, keep, 2) == 0))
		return;
	EXPECT(placed(3, ino[0]));
	EXPECT(keep[0] > 3);
	EXPECT(keep[1] == -1);
	EXPECT(inode(keep[0]) == kept_ino[0]);
	EXPECT(unit_cloexec(keep[0]));
	want[1] = keep[0];
	EXPECT(only_open(want, 2));
}

static void
test_kept(void)
{
	CHECK(in_child(kept, NULL));
}

/*
 * At its descriptor limit, a process whose sources are all above the
 * targets still places them: they stay where they are until dup2 copies
 * them, and a kept one above them stays too.
 */
static void
at_the_limit(const void *unused)
{
	int fds[] = { MAX_OPEN - 3, MAX_OPEN - 2, MAX_OPEN - 1 };
	int keep[] = { MAX_OPEN - 4 }, want[] = { 3, 4, 5, MAX_OPEN - 4 };
	const struct placement p[] = { { 2, 3 }, { 0, 4 }, { 1, 5 } };
	ino_t ino[3], kept_ino[1];

	(void)unused;
	if (!EXPECT(files_at(fds, ino, 3)) ||
	    !EXPECT(files_at(keep, kept_ino, 1)) ||
	    !EXPECT(limit_fds(MAX_OPEN)))
		return;
	if (!EXPECT(place_fds(fds, 3, p, 3, keep, 1) == 0))
		return;
	EXPECT(placed(3, ino[2]));
	EXPECT(placed(4, ino[0]));
	EXPECT(placed(5, ino[1]));
	EXPECT(keep[0] == MAX_OPEN - 4);
	EXPECT(inode(keep[0]) == kept_ino[0]);
	EXPECT(unit_cloexec(keep[0]));
	EXPECT(only_open(want, 4));
}

static void
test_at_the_limit(void)
{
	CHECK(in_child(at_the_limit, NULL));
}

/*
 * A swap with every number above the targets taken fails with EMFILE,
 * and both sources are still where they were: nothing is overwritten.
 */
static void
no_room(const void *unused)
{
	int fds[] = { 3, 4 }, full[MAX_OPEN - 5];
	const struct placement p[] = { { 0, 4 }, { 1, 3 } };
	ino_t ino[2], full_ino[MAX_OPEN - 5];
	size_t i;

	(void)unused;
	for (i = 0; i < MAX_OPEN - 5; i++)
		full[i] = 5 + i;
	if (!EXPECT(files_at(fds, ino, 2)) ||
	    !EXPECT(files_at(full, full_ino, MAX_OPEN - 5)) ||
	    !EXPECT(limit_fds(MAX_OPEN)))
		return;
	errno = 0;
	EXPECT(place_fds(fds, 2, p, 2, NULL, 0) == -1);
	EXPECT(errno == EMFILE);
	EXPECT(fds[0] == 3 && inode(3) == ino[0]);
	EXPECT(fds[1] == 4 && inode(4) == ino[1]);
}

static void
test_no_room(void)
{
	CHECK(in_child(no_room, NULL));
}

/* A target on the last number under the limit leaves none to move to. */
static void
target_at_the_limit(const void *unused)
{
	int fds[] = { 3 };
	const struct placement p[] = { { 0, MAX_OPEN - 1 } };
	ino_t ino[1];

	(void)unused;
	if (!EXPECT(files_at(fds, ino, 1)) || !EXPECT(limit_fds(MAX_OPEN)))
		return;
	EXPECT(place_fds(fds, 1, p, 1, NULL, 0) == -1);
	EXPECT(fds[0] == 3 && inode(3) == ino[0]);
}

static void
test_target_at_the_limit(void)
{
	CHECK(in_child(target_at_the_limit, NULL));
}

static const struct unit_test tests[] = {
	{ "place_fds: sources on other targets", test_chain },
	{ "place_fds: a swap", test_swap },
	{ "place_fds: three round", test_round },
	{ "place_fds: one source twice, the unplaced closed",
	    test_shared_and_unplaced },
	{ "place_fds: kept descriptors move out of the way", test_kept },
	{ "place_fds: at the limit, sources above the targets",
	    test_at_the_limit },
	{ "place_fds: at the limit, no room above the targets",
	    test_no_room },
	{ "place_fds: a target on the last number under the limit",
	    test_target_at_the_limit },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
