/*
 * Through a pidfd: a copy of another process's descriptor, and the inode
 * that names a process.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <unistd.h>

#include "grab.h"
#include "msg.h"

/*
 * Duplicates descriptor fd of process pid into this process.  The raw
 * system calls, not glibc's wrappers, which only glibc 2.36 and later
 * have; both calls make their descriptor close-on-exec.
 */
int
grab_fd(pid_t pid, int fd)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	int pidfd, copy, saved;

	if ((pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	copy = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	saved = errno;
	close(pidfd);
	errno = saved;
	return copy;
#else
	(void)pid;
	(void)fd;
	errno = ENOSYS;
	return -1;
#endif
}

/* Puts the pidfs inode of process pid in *inode. */
int
grab_pid_inode(pid_t pid, uint64_t *inode)
{
#ifdef SYS_pidfd_open
	int pidfd, ret, saved;

	if ((pidfd = syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	ret = fdp_pidfd_inode(pidfd, inode);
	saved = errno;
	close(pidfd);
	errno = saved;
	return ret;
#else
	(void)pid;
	(void)inode;
	errno = ENOSYS;
	return -1;
#endif
}
