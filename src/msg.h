/*
 * The fdpass core: sendmsg(2) and recvmsg(2) with gather/scatter I/O and
 * ancillary data, SCM_RIGHTS helpers and peer credentials.
 *
 * Every function returns a count or 0 on success and -1 with errno set on
 * failure.  None of them prints, exits or knows about the command line.
 */
#ifndef FDPASS_MSG_H
#define FDPASS_MSG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The most descriptors Linux accepts in one SCM_RIGHTS message (SCM_MAX_FD
 * in the kernel, not exported to user space).  The helpers split larger
 * sets over several messages.
 */
#define FDP_MAX_FDS_PER_MSG 253

/* Control buffer room for one SCM_RIGHTS item of FDP_MAX_FDS_PER_MSG fds. */
#define FDP_RIGHTS_SPACE CMSG_SPACE(FDP_MAX_FDS_PER_MSG * sizeof(int))

/*
 * One ancillary data item: a cmsg level, type and payload, as in
 * Twisted's (level, type, bytes) tuples.  On receive, data points into the
 * caller's control buffer.
 */
struct fdp_ancil {
	int		 level;
	int		 type;
	size_t		 len;
	const void	*data;
};

/*
 * Where a received message's ancillary data goes.  The caller provides the
 * control buffer (aligned for struct cmsghdr) and room for the items; the
 * call fills in nitems and msg_flags.
 */
struct fdp_control {
	void		*buf;
	size_t		 size;
	struct fdp_ancil *items;
	size_t		 maxitems;
	size_t		 nitems;
	int		 msg_flags;
};

/*
 * The credentials of the process at the other end of a unix socket, and
 * the pidfs inode of its pidfd, which unlike the pid names no other
 * process later: 0 where the kernel does not tell it.
 */
struct fdp_peer {
	pid_t		pid;
	uid_t		uid;
	gid_t		gid;
	uint64_t	pidfd_inode;
};

ssize_t	fdp_send(int, const struct iovec *, size_t, const struct fdp_ancil *,
	    size_t, int);
ssize_t	fdp_recv(int, struct iovec *, size_t, struct fdp_control *, int);
void	fdp_close_rights(const struct fdp_control *);

/*
 * Sends one message of fdp_send_batches whole, its items with it: 0, or
 * -1 with errno set.
 */
typedef int (*fdp_sender)(int, const struct iovec *,
    const struct fdp_ancil *, size_t, void *);

int	fdp_send_fds(int, const int *, size_t, const void *, size_t);
int	fdp_send_batches(int, const int *, size_t, const void *, size_t,
	    fdp_sender, void *);
ssize_t	fdp_recv_fds(int, int *, size_t, size_t *, void *, size_t);

int	fdp_urgent_inline(int);
int	fdp_peer(int, struct fdp_peer *);
int	fdp_credentials(const struct fdp_ancil *, struct fdp_peer *);
int	fdp_pidfd_inode(int, uint64_t *);

#endif
