/*
 * The access rules: who may be the peer.  A pure layer, as s6's
 * accessrules are: it gives a verdict and never prints or exits.
 */
#ifndef FDPASS_ACCESS_H
#define FDPASS_ACCESS_H

#include <sys/types.h>
#include <stdint.h>

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

int	access_given(const struct access *);
int	access_pin_pid(struct access *);
int	access_allowed(const struct access *, const struct fdp_peer *);
const char *access_refusal(const struct access *, const struct fdp_peer *);

#endif
