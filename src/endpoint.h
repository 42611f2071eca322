/*
 * The command line's end of the socket: connect to SOCKET, or listen on it
 * and accept the peers the access rules allow.  Failures are reported here
 * and end the process.
 */
#ifndef FDPASS_ENDPOINT_H
#define FDPASS_ENDPOINT_H

#include <sys/types.h>

#include "address.h"
#include "deadline.h"

#define MAX_ALLOWED	16

/* Who may connect to a listener: the same user, and these. */
struct access {
	uid_t	uids[MAX_ALLOWED];
	size_t	nuids;
	gid_t	gids[MAX_ALLOWED];
	size_t	ngids;
};

int	endpoint_connect(const char *, int, const struct deadline *);
const struct listener *endpoint_listen(const char *, int, mode_t);
int	endpoint_accept(const struct listener *, const char *,
	    const struct access *, const struct deadline *);
void	endpoint_close(void);
void	endpoint_forget(void);

#endif
