/*
 * fdpass hold backed by a service manager: what it holds is mirrored
 * into the manager's fd store through NOTIFY_SOCKET, and what the manager
 * hands back in LISTEN_FDS is held again on start, so that a holder that
 * dies and is started anew loses nothing.
 */
#ifndef FDPASS_HOLD_MANAGER_H
#define FDPASS_HOLD_MANAGER_H

#include <stddef.h>

#include "address.h"
#include "held.h"
#include "holder.h"

/* The name of a descriptor LISTEN_FDNAMES leaves unnamed. */
#define MANAGER_UNNAMED	"stored"

struct manager {
	struct holder_mirror	 mirror;	/* arg: the struct itself */
	struct address		 notify;	/* NOTIFY_SOCKET */
	int			 sock;		/* connected to it */
	const char		*socket_arg;
};

const struct holder_mirror *manager_mirror(struct manager *, const char *,
	    const char *);
void	manager_take_listen_fds(struct held *, size_t, const char *);

#endif
