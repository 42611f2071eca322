/*
 * The processes recv starts: forked with the signals it passes on held
 * back, reaped in the main flow, and sent SIGTERM, SIGINT or SIGHUP when
 * recv gets it.
 */
#ifndef FDPASS_CHILDREN_H
#define FDPASS_CHILDREN_H

#include <sys/types.h>

int	children_init(size_t, int);
pid_t	children_fork(void);
int	children_wake_fd(void);
size_t	children_reap(void);
int	children_watch(pid_t, int);
int	children_wait(pid_t);

#endif
