/*
 * Moving descriptors to fixed numbers before exec.  Sources may sit on
 * numbers that other targets want, so every source below the highest
 * target first moves above them all, and only then does each go to its
 * place.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "placement.h"

static int
is_target(int fd, const struct placement *p, size_t np)
{
	size_t i;

	for (i = 0; i < np; i++)
		if (p[i].to == fd)
			return 1;
	return 0;
}

/*
 * Moves *fd to a number at least top, close-on-exec.  One there already
 * stays: moving it would need a free number up there for a moment, which
 * a process at its descriptor limit may not have.
 */
static int
move_above(int *fd, int top)
{
	int moved;

	if (*fd >= top)
		return 0;
	if ((moved = fcntl(*fd, F_DUPFD_CLOEXEC, top)) == -1)
		return -1;
	close(*fd);
	*fd = moved;
	return 0;
}

static int
is_kept(int fd, const int *keep, size_t nkeep)
{
	size_t i;

	for (i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

/*
 * Puts each fds[p[i].from] at number p[i].to, without close-on-exec; one
 * source may go to several places.  The targets must be distinct.  Every
 * other descriptor above 2 is closed, so that a child inherits exactly
 * what it is handed, except the nkeep in keep[] (each unless -1): they
 * move out of the way and stay close-on-exec, for what must stay open
 * until exec itself.  fds[] and keep[] are updated as they move; the
 * sources end up closed.
 */
int
place_fds(int *fds, size_t nfds, const struct placement *p, size_t np,
    int *keep, size_t nkeep)
{
	size_t i;
	int top = 3, end, fd;

	for (i = 0; i < np; i++)
		if (p[i].to >= top)
			top = p[i].to + 1;
	for (i = 0; i < nkeep; i++)
		if (keep[i] != -1 && move_above(&keep[i], top) == -1)
			return -1;
	for (i = 0; i < nfds; i++)
		if (move_above(&fds[i], top) == -1)
			return -1;
	/* dup2 leaves the new descriptor without close-on-exec. */
	for (i = 0; i < np; i++)
		if (dup2(fds[p[i].from], p[i].to) == -1)
			return -1;
	for (fd = 3; fd < top; fd++)
		if (!is_target(fd, p, np))
			close(fd);
	end = top;
	for (i = 0; i < nkeep; i++)
		if (keep[i] >= end)
			end = keep[i] + 1;
	for (fd = top; fd < end; fd++)
		if (!is_kept(fd, keep, nkeep))
			close(fd);
	closefrom(end);
	return 0;
}
