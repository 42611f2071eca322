/*
 * The command line's end of the socket: connect to SOCKET, or listen on it
 * and accept the peers the access rules allow.  Failures are reported here
 * and end the process.
 */
#ifndef FDPASS_ENDPOINT_H
#define FDPASS_ENDPOINT_H

#include <sys/types.h>

#include "access.h"
#include "address.h"
#include "deadline.h"
#include "msg.h"

int	endpoint_connect(const char *, int, const struct access *,
	    const struct deadline *, struct fdp_peer *, struct appear *);
const struct listener *endpoint_listen(const char *, int, mode_t);
const struct listener *endpoint_listen_also(const char *, int, mode_t);
void	endpoint_check_peer(const struct access *, int, const char *,
	    const char *, struct fdp_peer *);
int	endpoint_accept(const struct listener *, const char *,
	    const struct access *, const struct deadline *,
	    struct fdp_peer *);
int	endpoint_accept_waiting(const struct listener *, const char *,
	    const struct access *, struct fdp_peer *);
void	endpoint_claim(void);
void	endpoint_close(void);
void	endpoint_pin_pid(struct access *);

#endif
