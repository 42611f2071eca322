/*
 * Handing received descriptors on to a child at the numbers it expects.
 */
#ifndef FDPASS_PLACEMENT_H
#define FDPASS_PLACEMENT_H

#include <stddef.h>

/* One descriptor's place: fds[from] goes to number to. */
struct placement {
	size_t	from;
	int	to;
};

int	place_fds(int *, size_t, const struct placement *, size_t, int *,
	    size_t);

#endif
