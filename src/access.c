/*
 * The access rules as verdicts: whether a peer's user is allowed, whether
 * it is the uid, gid or process that --peer-uid, --peer-gid and
 * --peer-pid insist on, and why not.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "access.h"
#include "grab.h"

/* Tells whether any --allow-* or --peer-* option was given. */
int
access_given(const struct access *acc)
{
	return acc->nuids > 0 || acc->ngids > 0 || acc->check_uid ||
	    acc->check_gid || acc->check_pid;
}

/*
 * Notes which process --peer-pid names, now, by the inode of its pidfd, so
 * that a process that takes its pid over later is not taken for it.
 * Fails with ESRCH if there is no such process; where the kernel cannot
 * tell the inode, the pid is all there is to check, and that is no
 * failure.
 */
int
access_pin_pid(struct access *acc)
{
	if (!acc->check_pid ||
	    grab_pid_inode(acc->peer_pid, &acc->peer_pidfd_inode) == 0)
		return 0;
	acc->peer_pidfd_inode = 0;
	return errno == ESRCH ? -1 : 0;
}

/*
 * Tells whether peer, which has --peer-pid's pid, is the process that had
 * it when fdpass started: by its pidfd's inode, or where that is not
 * known (SCM_CREDENTIALS, no SO_PEERPIDFD), by the process pinned still
 * having the pid, so that no other can have it.
 */
static int
same_process(const struct access *acc, const struct fdp_peer *peer)
{
	uint64_t now;

	if (acc->peer_pidfd_inode == 0)
		return 1;
	if (peer->pidfd_inode != 0)
		return peer->pidfd_inode == acc->peer_pidfd_inode;
	return grab_pid_inode(acc->peer_pid, &now) == 0 &&
	    now == acc->peer_pidfd_inode;
}

/*
 * Tells why peer is not the one --peer-uid, --peer-gid or --peer-pid
 * insist on, or NULL when it is.
 */
static const char *
mismatch(const struct access *acc, const struct fdp_peer *peer)
{
	static char why[96];

	if (acc->check_uid && peer->uid != acc->peer_uid)
		snprintf(why, sizeof(why), "peer is uid %ld, not %ld",
		    (long)peer->uid, (long)acc->peer_uid);
	else if (acc->check_gid && peer->gid != acc->peer_gid)
		snprintf(why, sizeof(why), "peer is gid %ld, not %ld",
		    (long)peer->gid, (long)acc->peer_gid);
	else if (acc->check_pid && peer->pid != acc->peer_pid)
		snprintf(why, sizeof(why), "peer is pid %ld, not %ld",
		    (long)peer->pid, (long)acc->peer_pid);
	else if (acc->check_pid && !same_process(acc, peer))
		snprintf(why, sizeof(why), "peer pid %ld is not the process "
		    "--peer-pid named, which is gone", (long)peer->pid);
	else
		return NULL;
	return why;
}

/*
 * Tells whether p is our own user or one that --allow-uid or --allow-gid
 * admits: for any peer, where --peer-uid and the like name only the one
 * at SOCKET.
 */
int
access_allowed(const struct access *acc, const struct fdp_peer *p)
{
	size_t i;

	if (p->uid == geteuid())
		return 1;
	for (i = 0; i < acc->nuids; i++)
		if (acc->uids[i] == p->uid)
			return 1;
	for (i = 0; i < acc->ngids; i++)
		if (acc->gids[i] == p->gid)
			return 1;
	return 0;
}

/*
 * Tells whether peer may be dealt with: our own user, or one allowed, by
 * --allow-uid, --allow-gid, or by naming it with --peer-uid or --peer-gid.
 */
static int
allowed(const struct access *acc, const struct fdp_peer *p)
{
	return access_allowed(acc, p) ||
	    (acc->check_uid && p->uid == acc->peer_uid) ||
	    (acc->check_gid && p->gid == acc->peer_gid);
}

/*
 * Tells why the access rules refuse peer, or NULL when they admit it:
 * its user must be ours or allowed, and it must be the one --peer-uid,
 * --peer-gid and --peer-pid insist on.  The reason is in a static buffer,
 * good until the next call.
 */
const char *
access_refusal(const struct access *acc, const struct fdp_peer *peer)
{
	static char why[64];
	const char *other;

	if ((other = mismatch(acc, peer)) != NULL || allowed(acc, peer))
		return other;
	snprintf(why, sizeof(why), "peer is uid %ld, not an allowed user",
	    (long)peer->uid);
	return why;
}
