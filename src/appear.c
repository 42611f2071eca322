/*
 * `fdpass recv S cmd & fdpass send S` starts both sides at once, and the
 * sender may try before the socket file exists.  Rather than poll, it
 * watches the directory with inotify: a listener's socket file appears
 * there by bind(2) (IN_CREATE) or by rename(2) into place (IN_MOVED_TO),
 * and either wakes the sender to try again.  The watch is set up only
 * once a first connect has failed, so a receiver already listening costs
 * nothing.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "appear.h"

/*
 * Watches the directory of path for new names.  Fails with ENOENT when
 * the directory does not exist, which no waiting would mend.
 */
int
appear_watch(struct appear *ap, const char *path)
{
	char copy[PATH_MAX];
	int saved;

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((ap->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) == -1)
		return -1;
	if (inotify_add_watch(ap->fd, dirname(copy),
	    IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) == -1) {
		saved = errno;
		appear_close(ap);
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * Waits up to ms milliseconds (-1: no limit) for a name to appear in the
 * directory watched, and takes the events read.  Returns 0 either way:
 * the caller tries again and looks at the clock.
 */
int
appear_wait(struct appear *ap, int ms)
{
	char events[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { ap->fd, POLLIN, 0 };

	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		return -1;
	while (read(ap->fd, events, sizeof(events)) > 0)
		continue;
	return 0;
}

void
appear_close(struct appear *ap)
{
	if (ap->fd != -1)
		close(ap->fd);
	ap->fd = -1;
}
