/*
 * Handing what recv received on to COMMAND: where each descriptor goes,
 * the environment that describes them, and the exec.
 */
#ifndef FDPASS_HANDOFF_H
#define FDPASS_HANDOFF_H

#include <stddef.h>

#include "msg.h"
#include "placement.h"

/*
 * recv's own descriptors that stay open until the exec, which placing
 * moves out of the targets' way: the reply socket and stderr's copy.
 */
#define HANDOFF_KEPT	2

/* The conventions for where descriptors go. */
enum style {
	STYLE_DEFAULT,		/* the first on 0, the others from 3 */
	STYLE_AT,		/* --at */
	STYLE_LISTEN_FDS,	/* systemd: from 3, with LISTEN_* */
	STYLE_INETD,		/* the first on 0 and 1 */
	STYLE_UCSPI,		/* the first on 6 and 7 (UCSPI client) */
};

/* One --at item: a number, and the name of the descriptor to put there. */
struct at_item {
	int		 target;
	const char	*name;		/* NULL: the next unnamed one in order */
};

/* What received descriptors are to be handed on to. */
struct handoff {
	enum style		 style;
	const struct at_item	*at;
	size_t			 nat;
	int			 blocking;	/* clear O_NONBLOCK */
	char			**command;
	const struct fdp_peer	*peer;		/* NULL unless connected */
	const char		*data;		/* for FDPASS_DATA, or NULL */
};

struct placement *handoff_plan(const struct handoff *, char **, size_t,
	    size_t *, const char **);
int	handoff_find_command(const char *, char *);
void	handoff_keep_stderr(void);
void	handoff_exec(const struct handoff *, int *, char **, size_t,
	    const struct placement *, size_t, int) __attribute__((noreturn));

#endif
