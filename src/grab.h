/*
 * Through pidfds: descriptors taken from other processes, and the inode
 * that names a process where a pid may be reused.
 */
#ifndef FDPASS_GRAB_H
#define FDPASS_GRAB_H

#include <sys/types.h>
#include <stdint.h>

/*
 * Duplicates descriptor fd of process pid into this process (pidfd_open
 * and pidfd_getfd, Linux 5.6 and later; needs ptrace rights over pid).
 * Returns the copy, close-on-exec, or -1 with errno set: ESRCH no such
 * process, EBADF no such descriptor in it, EPERM not allowed, ENOSYS a
 * kernel without pidfd_getfd.
 */
int	grab_fd(pid_t, int);

/*
 * Puts the pidfs inode of process pid's pidfd in *inode (pidfd_open and
 * fdp_pidfd_inode).  Returns 0, or -1 with errno set: ESRCH no such
 * process, ENOTSUP no pidfs, ENOSYS no pidfd_open.
 */
int	grab_pid_inode(pid_t, uint64_t *);

#endif
