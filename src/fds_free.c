/*
 * How many descriptors this process can still open: what a receive of
 * SCM_RIGHTS needs before it starts, as the kernel closes, in the
 * receiving process and so maybe waiting (dispose.c), those it finds no
 * number for.  With receives in several threads (the holder's clients),
 * each is promised its numbers, so that two that found room for one
 * message do not both take one into it.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fds_free.h"

/*
 * How many more descriptors this process can open under RLIMIT_NOFILE:
 * the numbers below the limit not in use.  SIZE_MAX when it cannot tell.
 * getdents64 into a buffer on the stack rather than readdir, whose 32 KiB
 * buffer would cost a transfer fresh pages every time.
 */
size_t
fds_free(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct dirent64))));
	const struct dirent64 *e;
	struct rlimit rl;
	size_t used = 0;
	ssize_t n, off;
	long fd;
	int dir;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	/* Not one number free for the directory: none. */
	if ((dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno == EMFILE ? 0 : SIZE_MAX;
	while ((n = getdents64(dir, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += e->d_reclen) {
			e = (const struct dirent64 *)(buf + off);
			fd = strtol(e->d_name, NULL, 10);
			if (e->d_name[0] != '.' && fd != dir &&
			    (rlim_t)fd < rl.rlim_cur)
				used++;
		}
	close(dir);
	if (n == -1)
		return SIZE_MAX;
	return used < rl.rlim_cur ? rl.rlim_cur - used : 0;
}

/*
 * The numbers promised, in any thread, and those each promise leaves
 * free besides for what other threads open without one.
 */
static pthread_mutex_t promise_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t promised;
static size_t unpromised;

/*
 * Sets how many numbers threads may open without a promise, at once,
 * which every promise from now on leaves free besides its own: none
 * until set, as in a process with one thread.
 */
void
fds_promise_leave(size_t n)
{
	pthread_mutex_lock(&promise_lock);
	unpromised = n;
	pthread_mutex_unlock(&promise_lock);
}

/*
 * Promises n free numbers to a receive or copies about to be made, until
 * fds_unpromise gives them back once they are made, or the receive
 * ended.  -1 when there are not n besides those promised already and
 * those left unpromised: with errno EAGAIN when the numbers promised to
 * others are what is missing, so waiting for those helps, else EMFILE.
 */
int
fds_promise(size_t n)
{
	size_t free, need;
	int ret = 0;

	pthread_mutex_lock(&promise_lock);
	need = n + unpromised;
	free = fds_free();
	if (free < need) {
		errno = EMFILE;
		ret = -1;
	} else if (free - need < promised) {
		errno = EAGAIN;
		ret = -1;
	} else
		promised += n;
	pthread_mutex_unlock(&promise_lock);
	return ret;
}

/* Gives back n numbers fds_promise promised. */
void
fds_unpromise(size_t n)
{
	pthread_mutex_lock(&promise_lock);
	promised -= n;
	pthread_mutex_unlock(&promise_lock);
}
