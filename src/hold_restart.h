/*
 * fdpass hold on SIGHUP: it execs the fdpass found at its path anew,
 * which takes over its sockets, pid file and entries (hold_state.h), so
 * that an upgraded fdpass serves them with the same pid.
 */
#ifndef FDPASS_HOLD_RESTART_H
#define FDPASS_HOLD_RESTART_H

#include "address.h"
#include "hold.h"
#include "hold_state.h"

int	restarting(void);
char	*restart_binary(void);
const struct listener *restart_take(const struct hold_options *,
	    struct hold_state *);
int	restart_ready(const char *, const struct hold_options *,
	    const struct hold_state *);
void	restart_exec(const char *, const struct hold_options *,
	    const struct hold_state *);

#endif
