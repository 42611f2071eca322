/*
 * What the send and recv commands share on the command line: the socket
 * options, number parsing and usage errors.
 */
#ifndef FDPASS_OPTIONS_H
#define FDPASS_OPTIONS_H

#include <sys/types.h>

#include <getopt.h>

#include "endpoint.h"

/* Long options without a short letter. */
enum {
	OPT_SEQPACKET = 256,
	OPT_DGRAM,
	OPT_ALLOW_UID,
	OPT_ALLOW_GID,
	OPT_RDWR,
	OPT_CREATE,
	OPT_TRUNCATE,
	OPT_AT,
	OPT_LISTEN_FDS,
	OPT_ONCE,
	OPT_PEER_UID,
	OPT_PEER_GID,
	OPT_PEER_PID,
	OPT_RAW,
	OPT_WAIT,
	OPT_STDIN,
	OPT_STDOUT,
	OPT_NOTIFY_FDSTORE,
	OPT_TCP_LISTEN,
	OPT_TCP_CONNECT,
	OPT_UDP,
	OPT_UNIX_LISTEN,
	OPT_BACKLOG,
	OPT_FROM_PID,
	OPT_INETD,
	OPT_UCSPI,
	OPT_BLOCKING,
	OPT_JSON,
	OPT_READY_FD,
	OPT_PID_FILE,
	OPT_COUNT,
	OPT_MAX_CHILDREN,
	OPT_FROM_HAPROXY,
	OPT_NO_FDPOLL,
	OPT_REMOVE,
	OPT_NETNS,
	OPT_HAPROXY_STATS,
	OPT_HAPROXY_LISTENER,
	OPT_LIST,
	OPT_MAX_FDS,
	OPT_NOTIFY_SOCKET,
	OPT_FETCH,
	OPT_FETCH_ALL,
};

/* How a listener says it is ready: -b, --ready-fd and --pid-file. */
struct announce {
	int		background;
	int		ready_fd;	/* -1: none */
	const char	*pid_file;	/* or NULL */
};

struct socket_options {
	int		listen;
	int		type;
	mode_t		mode;
	long long	timeout_ms;	/* 0 for none */
	struct access	access;
};

int		next_option(int, char **, const char *,
		    const struct option *, const char *);
void		print_help(const char *) __attribute__((noreturn));
void		socket_options_init(struct socket_options *, int);
int		socket_option(struct socket_options *, int, const char *);
int		announce_option(struct announce *, int, const char *, int);
long long	parse_number(const char *, const char *, long long, long long);
const char	*seconds_text(long long);
void		usage_error(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
void		bad_option(const char *, char *const *, int);

#endif
