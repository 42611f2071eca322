/*
 * AF_UNIX addresses as the user writes them, a path or @abstract, and the
 * connecting and listening ends of them.
 */
#ifndef FDPASS_ADDRESS_H
#define FDPASS_ADDRESS_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "appear.h"
#include "deadline.h"

struct address {
	struct sockaddr_un	sun;
	socklen_t		len;
	int			abstract;
};

/*
 * A listening socket, and the socket file it created, which it removes
 * only while that file is still the one it made.
 */
struct listener {
	int		 fd;
	const char	*path;		/* the file to remove, or NULL */
	dev_t		 dev;
	ino_t		 ino;
	const char	*why;		/* what went wrong, or NULL */
	char		 tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
					/* the name it is made under, or "" */
};

/*
 * How long a connecting side waits for the listener to appear when no
 * --timeout says otherwise, so that `fdpass recv S cmd & fdpass send S`
 * never races.
 */
#define APPEAR_SECONDS	5

int	address_parse(const char *, struct address *);
int	address_connect(const struct address *, int, const struct deadline *,
	    struct appear *);
int	address_listen(const struct address *, int, mode_t, struct listener *);
int	listener_claim(const struct listener *);
int	address_listen_bound(const struct address *, int, mode_t,
	    struct listener *);
int	address_absolute(struct address *);
int	listener_accept(const struct listener *, const struct deadline *);
void	listener_remove(struct listener *);

#endif
