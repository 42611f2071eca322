/*
 * Waiting for a descriptor with an overall deadline, so that a timeout
 * covers a whole exchange and not each call in it.
 */
#include <errno.h>
#include <poll.h>

#include "deadline.h"

/* Sets d to seconds from now, or to never when seconds is 0. */
void
deadline_set(struct deadline *d, unsigned int seconds)
{
	d->at.tv_sec = 0;
	d->at.tv_nsec = 0;
	if (seconds == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += seconds;
}

/*
 * Milliseconds left until d, rounded up; -1 for never (d NULL or unset),
 * 0 when past.
 */
int
deadline_remaining_ms(const struct deadline *d)
{
	struct timespec now;
	long long ms;

	if (d == NULL || (d->at.tv_sec == 0 && d->at.tv_nsec == 0))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->at.tv_sec - now.tv_sec) * 1000 +
	    (d->at.tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms < 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/*
 * Waits until fd is ready for events (POLLIN, POLLOUT) or d has passed,
 * failing with ETIMEDOUT then.  With no deadline it returns at once and
 * lets the call that follows block.
 */
int
deadline_wait(const struct deadline *d, int fd, short events)
{
	struct pollfd pfd = { fd, events, 0 };
	int ms, n;

	if ((ms = deadline_remaining_ms(d)) == -1)
		return 0;
	do {
		n = poll(&pfd, 1, ms);
		if (n == -1 && errno == EINTR)
			ms = deadline_remaining_ms(d);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}
