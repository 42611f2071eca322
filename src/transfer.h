/*
 * A transfer: descriptors, their names and data bytes moved as one unit,
 * framed by the wire header, or, from a sender that is not fdpass, one
 * plain SCM_RIGHTS message.  sender.c sends it, receiver.c takes it.
 *
 * On the wire, in this order: the header with the first batch of at most
 * FDP_MAX_FDS_PER_MSG descriptors; for each further batch one NUL byte
 * carrying it; the names; the data.  With a single batch everything from
 * memory goes out in one sendmsg.  On a datagram or seqpacket socket the
 * whole transfer is one message.
 *
 * With WIRE_PROVE the header goes alone, with the sender's credentials,
 * and the receiver answers WIRE_READY, with its own, or WIRE_DECLINED;
 * after WIRE_READY the first batch too rides on a NUL byte, and on a
 * seqpacket socket the rest of the transfer is a second message.  A
 * receiver that needs the names to decide answers WIRE_READY with status
 * WIRE_NAMES_FIRST: the names then go alone, it answers again, and the
 * rest follows without them.
 */
#ifndef FDPASS_TRANSFER_H
#define FDPASS_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "msg.h"
#include "wire.h"

/* Bytes a receiver holds at once; a datagram transfer must fit in it. */
#define RECEIVER_BUF	65536

/* Room for a message's descriptors and the credentials of its sender. */
#define TRANSFER_CONTROL_SPACE \
	(FDP_RIGHTS_SPACE + CMSG_SPACE(sizeof(struct ucred)))

/*
 * What fdp_recv needs to take in a message's descriptors and its sender's
 * credentials; ctl points into the struct itself (transfer_control_init),
 * so it is not to be copied.
 */
struct transfer_control {
	struct fdp_control	ctl;
	struct fdp_ancil	items[4];
	union {
		struct cmsghdr	align;
		unsigned char	bytes[TRANSFER_CONTROL_SPACE];
	}			space;
};

struct outgoing {
	const int		*fds;
	size_t			 nfds;
	const char *const	*names;		/* nfds entries (NULL: unnamed), or NULL */
	const void		*data;		/* data bytes from memory */
	size_t			 datalen;
	int			 data_fd;	/* -1, or a file whose next... */
	uint64_t		 data_fd_len;	/* ...bytes follow the memory data */
	int			 flags;		/* WIRE_ACK, WIRE_WAIT, WIRE_PROVE */
	int			 raw;		/* a plain message, no header */
	const struct deadline	*deadline;	/* for all of it, or NULL */
};

/* What a receiver reported back about a transfer. */
struct outcome {
	enum wire_reply		 what;		/* 0 until it said anything */
	int			 status;
	int			 names_sent;	/* it asked for them first */
};

struct receiver;

/*
 * Looks at a framed header before its descriptors are taken, or with a
 * NULL header at a plain message once it came: returns 0 to take the
 * transfer, 1 to take it if its names fit, which it would look at first
 * (r->ahead), or -1 having set r->why and, for the sender, r->reason (a
 * wire_reason).
 */
typedef int (*receiver_vet)(struct receiver *, const struct wire_header *,
    void *);

/*
 * The receiving end of one connection or datagram socket.  It owns the
 * descriptors it collects until the caller takes them over.
 */
struct receiver {
	int			 sock;
	int			 type;		/* SOCK_STREAM, ... */
	const struct deadline	*deadline;
	const char		*why;		/* what went wrong, or NULL */
	size_t			 limit;		/* the most fds it may hold */
	int			*fds;
	char			**names;	/* parallel to fds, NULL: unnamed */
	size_t			 nfds;
	size_t			 first;		/* where this transfer's begin */
	size_t			 cap;
	int			 framed;
	int			 flags;		/* all the transfers asked for */
	receiver_vet		 vet;		/* or NULL: take what comes */
	void			*vet_arg;
	int			 reason;	/* a wire_reason, when vet said no */
	char			**ahead;	/* the names, come before... */
	char			*ahead_list;	/* ...the fds, where they lie */
	struct fdp_peer		 sender;	/* who sent the header... */
	int			 sender_known;	/* ...if the kernel said so */
	int			 sender_mixed;	/* another process sent too */
	int			 sender_vetted;	/* the header's passed vet */
	int			 queued_unnamed; /* pid 0: queued before asked */
	uint64_t		 data_left;	/* data bytes not yet read */
	size_t			 off;		/* unread bytes are buf[off..len) */
	size_t			 len;
	unsigned char		 buf[RECEIVER_BUF];
};

int	transfer_check(int, const struct outgoing *);
int	transfer_propose(int, const struct outgoing *,
	    const struct deadline *, struct outcome *, struct fdp_peer *);
int	transfer_propose_names(int, const struct outgoing *,
	    const struct deadline *, struct outcome *, struct fdp_peer *);
int	transfer_send(int, const struct outgoing *, const struct outcome *);
int	transfer_await(int, int, const struct deadline *, struct outcome *);
int	transfer_reply(int, enum wire_reply, int);

/* Either side proves who it is with transfer_credentials' item. */
void	transfer_credentials(struct ucred *, struct fdp_ancil *);
void	transfer_control_init(struct transfer_control *);

int	receiver_init(struct receiver *, int, const struct deadline *);
int	receiver_next(struct receiver *, size_t);
ssize_t	receiver_data(struct receiver *, void *, size_t);
int	receiver_plain_end(struct receiver *);
int	receiver_shut(struct receiver *);
void	receiver_release(struct receiver *);

#endif
