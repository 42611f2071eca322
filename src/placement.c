/*
 * Moving descriptors to fixed numbers before exec.  Sources may sit on
 * numbers that other targets want, so every source first moves above all
 * the targets, and only then does each go to its place.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "placement.h"

static int
is_target(int fd, const int *targets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (targets[i] == fd)
			return 1;
	return 0;
}

/*
 * Moves each fds[i] to targets[i] without close-on-exec, and closes every
 * other descriptor above 2, so that the child inherits exactly what it is
 * handed.  The targets must be distinct.  fds[] is updated as sources move.
 */
int
place_fds(int *fds, const int *targets, size_t n)
{
	size_t i;
	int top = 3, fd, moved;

	for (i = 0; i < n; i++)
		if (targets[i] >= top)
			top = targets[i] + 1;
	for (i = 0; i < n; i++) {
		if ((moved = fcntl(fds[i], F_DUPFD_CLOEXEC, top)) == -1)
			return -1;
		close(fds[i]);
		fds[i] = moved;
	}
	/* dup2 leaves the new descriptor without close-on-exec. */
	for (i = 0; i < n; i++)
		if (dup2(fds[i], targets[i]) == -1)
			return -1;
	for (fd = 3; fd < top; fd++)
		if (!is_target(fd, targets, n))
			close(fd);
	closefrom(top);
	return 0;
}
