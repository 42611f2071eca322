/*
 * What fdpass hold holds and how it is changed: the table of named
 * descriptors behind one lock, shared by the threads that serve clients,
 * the sd_notify socket and the main loop.  Descriptors a client sent are
 * never closed here, but disposed of (dispose.c): the holder serves on.
 * Those taken out of the table wait in retired for the main loop, which
 * disposes of them once it polls them no more.
 */
#ifndef FDPASS_HOLDER_H
#define FDPASS_HOLDER_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>

#include "held.h"

/*
 * Told of each entry that comes and of each name that comes to hold
 * nothing, under the lock, to mirror the table elsewhere (a service
 * manager's fd store): it must never block.
 */
struct holder_mirror {
	void	(*stored)(void *, const char *, int, int);
	void	(*removed)(void *, const char *);
	void	*arg;
};

struct holder {
	pthread_mutex_t			 lock;
	struct held			 table;
	size_t				 max_fds;	/* --max-fds */
	size_t				 coming;	/* reserved by stores */
	int				 changed;	/* the main loop's pipe */
	const struct holder_mirror	*mirror;	/* or NULL */
	int				*retired;	/* taken out, to go */
	size_t				 nretired;
};

/* Why a store was refused, for a reply (enum wire_reason) and a log. */
struct refusal {
	int		 reason;
	const char	*why;
};

/* Copies of held descriptors, with their names, for a fetch. */
struct copies {
	int		*fds;
	char		**names;
	size_t		 n;
};

int	holder_store(struct holder *, const int *, char *const *, size_t,
	    int, struct refusal *);
int	holder_reserve(struct holder *, size_t);
void	holder_unreserve(struct holder *, size_t);
int	holder_copies(struct holder *, char *const *, size_t,
	    struct copies *);
void	copies_release(struct copies *);
ssize_t	holder_remove(struct holder *, char *const *, size_t,
	    const char **);
void	holder_drop_hung(struct holder *);
void	holder_dispose_retired(struct holder *);

#endif
