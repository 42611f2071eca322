/*
 * fdpass send's options, read-only once parsed, and its exchange with the
 * receiver (exchange.c): reach it, offer the transfer, send, and wait for
 * its word.  The exchange reports and exits on failure, as commands do.
 */
#ifndef FDPASS_EXCHANGE_H
#define FDPASS_EXCHANGE_H

#include "deadline.h"
#include "options.h"
#include "sources.h"
#include "transfer.h"

/* send's options, read-only once parsed. */
struct send_options {
	struct socket_options	 sock;
	const char		*socket_arg;	/* SOCKET, "stdout", ... */
	int			 use_stdout;
	const char		*fdstore_name;
	int			 no_fdpoll;	/* FDPOLL=0 */
	int			 remove;	/* FDSTOREREMOVE=1 */
	struct source_options	 src;		/* what is passed */
	const char		*data;
	const char		*data_file;
	int			 raw;
	int			 wait;
};

int	send_connected(const struct send_options *, const struct payload *,
	    const struct outgoing *, const struct deadline *);
int	send_listening(const struct send_options *, const struct payload *,
	    const struct outgoing *, const struct deadline *);

#endif
