/*
 * Going into another network namespace for the time it takes to make a
 * socket, and back.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/nsfs.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "netns.h"

/* Fills in ns as opening nothing, so that netns_close closes nothing. */
static void
netns_none(struct netns *ns)
{
	ns->there = -1;
	ns->home = -1;
}

/*
 * Opens the network namespace at path, and fdpass's own, the way back,
 * into ns, having gone there and back once.
 */
int
netns_open(struct netns *ns, const char *path, const char **why)
{
	const char *ignored;
	int type, saved;

	if (why == NULL)
		why = &ignored;
	*why = NULL;
	netns_none(ns);
	if ((ns->home = open("/proc/self/ns/net", O_RDONLY |
	    O_CLOEXEC)) == -1) {
		*why = "cannot open /proc/self/ns/net, the way back";
		goto fail;
	}
	/* O_NONBLOCK, as a FIFO given by mistake must not hold send up. */
	if ((ns->there = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1)
		goto fail;
	/* Any file but a namespace's says ENOTTY. */
	if ((type = ioctl(ns->there, NS_GET_NSTYPE)) != CLONE_NEWNET) {
		if (type != -1 || errno == ENOTTY || errno == EINVAL) {
			*why = "not a network namespace";
			errno = EINVAL;
		}
		goto fail;
	}
	if (setns(ns->there, CLONE_NEWNET) == -1)
		goto fail;
	if (setns(ns->home, CLONE_NEWNET) == -1) {
		*why = "cannot come back from it to fdpass's own network "
		    "namespace";
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	netns_close(ns);
	errno = saved;
	return -1;
}

/*
 * socket(2), close-on-exec, made in ns.  fdpass is back in its own
 * namespace before it returns, or it fails.
 */
int
netns_socket(const struct netns *ns, int domain, int type, int protocol)
{
	int fd, saved;

	if (ns == NULL)
		return socket(domain, type | SOCK_CLOEXEC, protocol);
	if (setns(ns->there, CLONE_NEWNET) == -1)
		return -1;
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	saved = errno;
	/*
	 * netns_open made this same trip: a failure here is not expected,
	 * but would leave fdpass elsewhere, and so fails every socket made
	 * from now on, for the caller to give up.
	 */
	if (setns(ns->home, CLONE_NEWNET) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

/* Closes what netns_open opened. */
void
netns_close(struct netns *ns)
{
	if (ns->there != -1)
		close(ns->there);
	if (ns->home != -1)
		close(ns->home);
	netns_none(ns);
}
