/*
 * How recv serves its senders: one connection it makes (--connect) or
 * is given (--stdin), the one sender --once waits for, or every sender
 * in a child of its own (--keep-listening).
 */
#ifndef FDPASS_SERVE_H
#define FDPASS_SERVE_H

#include "endpoint.h"
#include "recv.h"

int	serve_connected(struct recv_run *);
int	serve_stdin(struct recv_run *);
int	serve_fetch(struct recv_run *);
int	serve_once(struct recv_run *, const struct listener *);
void	serve_forever(struct recv_run *, const struct listener *)
	    __attribute__((noreturn));

#endif
