/*
 * What fdpass recv is asked for (its options, read-only once parsed) and
 * what one of its runs gathers (the receiver with the descriptors it took,
 * the data held, the peer, the output record).
 */
#ifndef FDPASS_RECV_H
#define FDPASS_RECV_H

#include <sys/types.h>

#include <stddef.h>

#include "handoff.h"
#include "msg.h"
#include "options.h"
#include "record.h"
#include "transfer.h"

/*
 * The most data bytes a sender's turn holds in memory: for FDPASS_DATA, a
 * --json line, or a record not yet put out.
 */
#define DATA_HELD_MAX	65536

struct recv_options {
	struct socket_options	 sock;
	const char		*socket_arg;	/* SOCKET, or "stdin" */
	int			 use_stdin;
	struct handoff		 handoff;	/* style, --at, COMMAND */
	struct at_item		*at;
	size_t			 count;		/* 0: whatever one transfer brings */
	int			 keep;
	size_t			 max_children;
	struct announce		 announce;	/* -b, --ready-fd, --pid-file */
	int			 json;
	char			**fetch;	/* --fetch NAME,..., or NULL */
	size_t			 nfetch;
	int			 fetch_all;	/* --fetch-all */
};

/* Data held for COMMAND's environment or a --json line. */
struct data_held {
	size_t	len;
	char	bytes[DATA_HELD_MAX + 1];
};

/*
 * One run of recv, passed down from cmd_recv to each sender's turn.  Each
 * sender is served by a process of its own (a child under
 * --keep-listening), so a process has one run at a time.  The descriptors
 * a sender sends belong to receiver until turn_end (turn.c) ends the turn:
 * it releases them, or they went to COMMAND by exec.
 */
struct recv_run {
	const struct recv_options *opt;
	struct receiver		 receiver;	/* with its 64 KiB buffer */
	struct data_held	 held;
	size_t			 in_record;	/* data in a held record */
	struct fdp_peer		 peer;
	int			 have_peer;
	struct record		 record;	/* what is printed, and where */
	pid_t			 child;		/* COMMAND as a child, or 0 */
	char			*why;		/* why a turn was refused, */
	int			 errnum;	/* failed, or with why NULL, errno */
};

#endif
