/*
 * The descriptors fdpass hold keeps, each under a name, in the order they
 * were stored.  The table owns the descriptors in it; its user locks it.
 */
#ifndef FDPASS_HELD_H
#define FDPASS_HELD_H

#include <sys/types.h>

#include <stddef.h>

struct held_entry {
	int		 fd;
	char		*name;
	int		 watched;	/* dropped on POLLHUP or POLLERR */
	dev_t		 dev;		/* the file's, 0 if unknown */
	ino_t		 ino;
};

struct held {
	struct held_entry	*entries;
	size_t			 n;
	size_t			 cap;
};

void	held_key(struct held_entry *, int, char *);
int	held_compare(const struct held_entry *, const struct held_entry *,
	    pid_t);
int	held_reserve(struct held *, size_t);
int	held_add(struct held *, int, const char *, int);
int	held_add_key(struct held *, const struct held_entry *, int);
size_t	held_count(const struct held *, const char *);
int	held_has(const struct held *, const char *);
size_t	held_take(struct held *, const char *, int *);
int	held_drop(struct held *, size_t);
void	held_clear(struct held *);

#endif
