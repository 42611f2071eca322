/*
 * Deadlines for blocking socket operations: --timeout on either side.
 */
#ifndef FDPASS_DEADLINE_H
#define FDPASS_DEADLINE_H

#include <time.h>

/* A point on CLOCK_MONOTONIC; tv_sec 0 and tv_nsec 0 mean "never". */
struct deadline {
	struct timespec	at;
};

void	deadline_set(struct deadline *, unsigned int);
int	deadline_wait(const struct deadline *, int, short);
int	deadline_remaining_ms(const struct deadline *);

#endif
