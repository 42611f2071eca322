/*
 * How many descriptors this process can still open: what a receive of
 * SCM_RIGHTS needs before it starts, as the kernel closes, in the
 * receiving process and so maybe waiting (dispose.c), those it finds no
 * number for.  With receives in several threads (the holder's clients),
 * each is promised its numbers, so that two that found room for one
 * message do not both take one into it.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fds_free.h"

/* Whether /proc is procfs: another file system's sizes count nothing. */
static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
static int proc_is_procfs;

static void
find_proc(void)
{
	struct statfs fs;

	proc_is_procfs = statfs("/proc/self/fd", &fs) == 0 &&
	    fs.f_type == PROC_SUPER_MAGIC;
}

/*
 * How many descriptors are open: st_size of /proc/self/fd, since Linux
 * 6.2, which opens nothing and costs little however many are open.  -1
 * where it does not tell, or /proc is no procfs.  Those at or above the
 * soft limit, which take no number below it, are counted too: fewer
 * free, never more.
 */
static long
fds_open(void)
{
	struct stat st;

	pthread_once(&proc_once, find_proc);
	if (!proc_is_procfs || stat("/proc/self/fd", &st) == -1 ||
	    st.st_size <= 0)
		return -1;
	return st.st_size;
}

/*
 * How many descriptors below limit are open, from the names in
 * /proc/self/fd, less the directory's own; limit itself when not one
 * number is free for the directory, -1 when it cannot tell.
 * getdents64 into a buffer on the stack rather than readdir, whose 32 KiB
 * buffer would cost a transfer fresh pages every time.
 */
static long
fds_listed(rlim_t limit)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct dirent64))));
	const struct dirent64 *e;
	long used = 0, fd;
	ssize_t n, off;
	int dir;

	if ((dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno == EMFILE ? (long)limit : -1;
	while ((n = getdents64(dir, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += e->d_reclen) {
			e = (const struct dirent64 *)(buf + off);
			fd = strtol(e->d_name, NULL, 10);
			if (e->d_name[0] != '.' && fd != dir &&
			    (rlim_t)fd < limit)
				used++;
		}
	close(dir);
	return n == -1 ? -1 : used;
}

/*
 * How many more descriptors this process can open under RLIMIT_NOFILE:
 * the limit less those open, or, where only the names of those tell,
 * less those open below it.  SIZE_MAX when it cannot tell.
 */
size_t
fds_free(void)
{
	struct rlimit rl;
	long used;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	if ((used = fds_open()) == -1 &&
	    (used = fds_listed(rl.rlim_cur)) == -1)
		return SIZE_MAX;
	return (rlim_t)used < rl.rlim_cur ? rl.rlim_cur - used : 0;
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
	size_t avail, need;
	int ret = 0;

	pthread_mutex_lock(&promise_lock);
	need = n + unpromised;
	avail = fds_free();
	if (avail < need) {
		errno = EMFILE;
		ret = -1;
	} else if (avail - need < promised) {
		errno = EAGAIN;
		ret = -1;
	} else
		promised += n;
	pthread_mutex_unlock(&promise_lock);
	return ret;
}

/* Gives back n numbers fds_promise promised; errno stays as it was. */
void
fds_unpromise(size_t n)
{
	int saved = errno;

	pthread_mutex_lock(&promise_lock);
	promised -= n;
	pthread_mutex_unlock(&promise_lock);
	errno = saved;
}
