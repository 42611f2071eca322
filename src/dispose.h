/*
 * Closing descriptors a peer sent without waiting on them: the last
 * close(2) of a TCP socket with SO_LINGER and unsent data waits for the
 * linger to run out, so a serving process never does it itself.
 */
#ifndef FDPASS_DISPOSE_H
#define FDPASS_DISPOSE_H

#include <stddef.h>

#include "msg.h"

void	dispose_fds(const int *, size_t);
void	dispose_fd(int);
void	dispose_connection(int);
void	dispose_own_socket(int, int);
void	dispose_rights(const struct fdp_control *);
int	dispose_start(void);
int	dispose_before_exec(void);
void	dispose_end(void);

#endif
