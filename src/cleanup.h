/*
 * What this process must undo when it ends, in one place: the socket
 * files it listens on, its pid file, and the files it made for a transfer
 * (--unix-listen sockets, --create files) until the receiver has them.
 * All of it is undone at exit or on a fatal signal, and only by the
 * process that took it on: a child forked meanwhile leaves it alone.
 */
#ifndef FDPASS_CLEANUP_H
#define FDPASS_CLEANUP_H

#include <sys/types.h>

#include <signal.h>

#include "address.h"

void	cleanup_listener(struct listener *);
void	cleanup_listener_done(void);
void	cleanup_pid_file(const char *, dev_t, ino_t);
void	cleanup_made(const char *, dev_t, ino_t);
void	cleanup_hold(sigset_t *);
void	cleanup_release(const sigset_t *);
void	cleanup_made_delivered(void);
void	cleanup_adopt(void);
void	cleanup_before_exec(void);
void	cleanup_exec_failed(void);
void	cleanup_forget(void);

#endif
