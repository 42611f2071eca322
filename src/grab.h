/*
 * Descriptors taken from other processes.
 */
#ifndef FDPASS_GRAB_H
#define FDPASS_GRAB_H

#include <sys/types.h>

/*
 * Duplicates descriptor fd of process pid into this process (pidfd_open
 * and pidfd_getfd, Linux 5.6 and later; needs ptrace rights over pid).
 * Returns the copy, close-on-exec, or -1 with errno set: ESRCH no such
 * process, EBADF no such descriptor in it, EPERM not allowed, ENOSYS a
 * kernel without pidfd_getfd.
 */
int	grab_fd(pid_t, int);

#endif
