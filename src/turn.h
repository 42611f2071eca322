/*
 * One sender's turn in recv: its transfers received and checked, then
 * handed to COMMAND or printed, or refused; and its end, where the
 * descriptors it sent are released.
 */
#ifndef FDPASS_TURN_H
#define FDPASS_TURN_H

#include "deadline.h"
#include "recv.h"

/* Where a sender's turn stands, for turn_end. */
enum turn {
	TURN_EMPTY,		/* the peer left having sent nothing */
	TURN_TAKEN,		/* accepted, to hand over or print */
	TURN_REFUSED,		/* refused: run->why says why */
	TURN_FAILED,		/* failed: run->why, else run->errnum */
	TURN_CHILD,		/* COMMAND runs as run->child */
	TURN_UNPRINTED,		/* taken, but printing it failed, as said */
};

enum turn	turn_receive(struct recv_run *, int, const struct deadline *);
enum turn	turn_fail(struct recv_run *, const char *);
int		turn_end(struct recv_run *, enum turn);

#endif
