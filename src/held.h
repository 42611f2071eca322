/*
 * The descriptors fdpass hold keeps, each under a name, in the order they
 * were stored.  The table owns the descriptors in it; its user locks it.
 */
#ifndef FDPASS_HELD_H
#define FDPASS_HELD_H

#include <stddef.h>

struct held_entry {
	int		 fd;
	char		*name;
	int		 watched;	/* dropped on POLLHUP or POLLERR */
};

struct held {
	struct held_entry	*entries;
	size_t			 n;
	size_t			 cap;
};

int	held_same(const struct held_entry *, int, const char *);
int	held_reserve(struct held *, size_t);
int	held_add(struct held *, int, const char *, int);
size_t	held_count(const struct held *, const char *);
int	held_has(const struct held *, const char *);
size_t	held_take(struct held *, const char *, int *);
int	held_drop(struct held *, size_t);
void	held_clear(struct held *);

#endif
