/*
 * What fdpass send passes: the descriptors its options and FILEs ask for,
 * gathered into a payload that says who owns each.  These are command
 * line helpers: on failure they print why and exit, as send would.
 */
#ifndef FDPASS_SOURCES_H
#define FDPASS_SOURCES_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "options.h"

/* What a descriptor-making option makes. */
enum source_kind {
	SOURCE_FD,		/* --fd N: one fdpass inherited */
	SOURCE_FROM_PID,	/* --from-pid PID:FD */
	SOURCE_FROM_HAPROXY,	/* --from-haproxy SOCKET: several */
	SOURCE_LISTEN_FDS,	/* --listen-fds: several */
	SOURCE_TCP_LISTEN,	/* --tcp-listen [HOST:]PORT */
	SOURCE_TCP_CONNECT,	/* --tcp-connect HOST:PORT */
	SOURCE_UDP,		/* --udp [HOST:]PORT */
	SOURCE_UNIX_LISTEN,	/* --unix-listen PATH */
};

/* A descriptor-making option, kept in order until all options are read. */
struct source {
	enum source_kind	 kind;
	const char		*arg;
};

/* What the options ask to be passed, and how: read-only once parsed. */
struct source_options {
	struct source	*sources;	/* in the order given */
	size_t		 nsources;
	const char	**names;	/* from --name, in order */
	size_t		 nnames;
	const char	**listeners;	/* --haproxy-listener: only these */
	size_t		 nlisteners;
	int		 haproxy_stats;	/* --haproxy-stats: pass those too */
	int		 access_mode;	/* of FILEs: O_RDONLY, O_WRONLY, O_RDWR */
	int		 open_flags;	/* O_APPEND, O_CREAT, O_TRUNC */
	int		 backlog;	/* of the listeners made */
	const char	*netns;		/* PATH of --netns, or NULL */
	int		 none;		/* no default standard input (--remove) */
};

/*
 * One descriptor to pass.  A FILE opened with --truncate is truncated only
 * once the receiver is checked (payload_truncate).
 */
struct payload_item {
	int		 fd;
	int		 owned;		/* made or opened by send: it closes it */
	int		 taken;		/* owned, from another process: disposed of */
	char		*name;		/* the source's name for it, or NULL */
	const char	*truncate;	/* the FILE to truncate, or NULL */
};

/*
 * What one run of send gathers and passes: the descriptors in order, and
 * the data bytes that go with them.  The payload owns the items marked
 * owned, data_buf, and data_fd unless it is standard input;
 * payload_release closes and frees them.
 */
struct payload {
	struct payload_item	*items;
	size_t			 nitems;
	int			*fds;		/* the items' fds, to send */
	const char		**names;	/* what each is sent as */
	const char		*data;		/* data bytes from memory */
	size_t			 datalen;
	char			*data_buf;	/* owned: data read into memory */
	int			 data_fd;	/* -1, or a file whose next... */
	uint64_t		 data_fd_len;	/* ...bytes follow data... */
	off_t			 data_fd_start;	/* ...from this offset */
};

void	source_add(struct source_options *, enum source_kind, const char *);
void	source_add_name(struct source_options *, const char *);
void	source_check_inherited(const char *);
void	source_check_listen_fds(void);
void	source_pick_listener(struct source_options *, const char *);
int	source_given(const struct source_options *, enum source_kind);
void	payload_gather(struct payload *, const struct source_options *,
	    const struct socket_options *, char *const *, size_t,
	    const struct deadline *);
int	payload_truncates(const struct payload *);
void	payload_truncate(const struct payload *);
void	payload_release(struct payload *);

#endif
