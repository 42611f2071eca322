/*
 * What fdpass hold hands the holder it execs on SIGHUP: its sockets and
 * their files, its pid file and every entry it holds, as text in a memfd
 * whose number is in the environment.  The descriptors themselves stay
 * open across the exec at the numbers the state names.
 */
#ifndef FDPASS_HOLD_STATE_H
#define FDPASS_HOLD_STATE_H

#include <sys/types.h>

#include "held.h"

/* The environment variable that names the memfd of the state. */
#define HOLD_STATE_VAR	"FDPASS_HOLD_STATE"

/* A socket the holder serves on, and the socket file it made for it. */
struct state_socket {
	int	 fd;		/* -1: none */
	char	*path;		/* the file to remove at exit, or NULL */
	dev_t	 dev;
	ino_t	 ino;
};

struct hold_state {
	struct state_socket	 listener;
	struct state_socket	 notify;	/* --notify-socket */
	int			 pid_fd;	/* -1: no --pid-file */
	char			*pid_path;
	struct held		 table;
};

void	hold_state_init(struct hold_state *);
int	hold_state_write(const struct hold_state *);
int	hold_state_parse(char *, size_t, int, struct hold_state *,
	    const char **);
int	hold_state_read(int, struct hold_state *, const char **);
int	hold_state_fds_cloexec(const struct hold_state *, int);
void	hold_state_free(struct hold_state *);

#endif
