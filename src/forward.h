/*
 * send --wait passes SIGINT, SIGTERM and SIGHUP on to the receiver's
 * command, as docker run does to its container: the sender's side, which
 * forwards them, and the receiver's, which hands them to the command.
 */
#ifndef FDPASS_FORWARD_H
#define FDPASS_FORWARD_H

#include <sys/types.h>

int	forward_signals(int);
int	forward_take(int, pid_t);

#endif
