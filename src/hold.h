/*
 * fdpass hold: its options, read-only once parsed, and its server.
 */
#ifndef FDPASS_HOLD_H
#define FDPASS_HOLD_H

#include <stddef.h>

#include "options.h"

struct hold_options {
	struct socket_options	 sock;		/* -t bounds each client */
	const char		*socket_arg;
	const char		*notify_socket;	/* --notify-socket, or NULL */
	size_t			 max_fds;
	struct announce		 announce;	/* -b, --ready-fd, --pid-file */
	int			 list;
	int			 json;
	char			**remove;	/* --remove NAME..., or NULL */
	size_t			 nremove;
	char			**argv;		/* "hold" and its arguments */
};

void	hold_serve(const struct hold_options *) __attribute__((noreturn));
int	hold_list(const struct hold_options *);
int	hold_remove(const struct hold_options *);

#endif
