/*
 * The command line's end of the socket: connect to SOCKET, or listen on it
 * and accept the peers the access rules allow.  Failures are reported here
 * and end the process.
 */
#ifndef FDPASS_ENDPOINT_H
#define FDPASS_ENDPOINT_H

#include <sys/types.h>
#include <stdint.h>

#include "address.h"
#include "deadline.h"
#include "msg.h"

#define MAX_ALLOWED	16

/*
 * Who the peer may be.  Either side deals with its own user and those
 * allowed here, and can insist on an exact uid, gid or pid.
 */
struct access {
	uid_t	uids[MAX_ALLOWED];
	size_t	nuids;
	gid_t	gids[MAX_ALLOWED];
	size_t	ngids;
	int	check_uid, check_gid, check_pid;
	uid_t	peer_uid;
	gid_t	peer_gid;
	pid_t	peer_pid;
	uint64_t peer_pidfd_inode;	/* peer_pid's at start, or 0 */
};

int	endpoint_connect(const char *, int, const struct access *,
	    const struct deadline *, struct fdp_peer *, struct appear *);
const struct listener *endpoint_listen(const char *, int, mode_t);
int	endpoint_allowed(const struct access *, const struct fdp_peer *);
const char *endpoint_refusal(const struct access *,
	    const struct fdp_peer *);
void	endpoint_check_peer(const struct access *, int, const char *,
	    const char *, struct fdp_peer *);
int	endpoint_accept(const struct listener *, const char *,
	    const struct access *, const struct deadline *,
	    struct fdp_peer *);
int	endpoint_accept_waiting(const struct listener *, const char *,
	    const struct access *, struct fdp_peer *);
void	endpoint_close(void);
void	endpoint_pin_pid(struct access *);

#endif
