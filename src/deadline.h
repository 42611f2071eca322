/*
 * Deadlines for operations that may block: --timeout on either side.
 * Each function takes a deadline, NULL or unset for none.
 */
#ifndef FDPASS_DEADLINE_H
#define FDPASS_DEADLINE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

/* A point on CLOCK_MONOTONIC; tv_sec 0 and tv_nsec 0 mean "never". */
struct deadline {
	struct timespec	at;
};

void	deadline_set(struct deadline *, unsigned int);
void	deadline_set_ms(struct deadline *, long long);
int	deadline_wait(const struct deadline *, int, short);
int	deadline_remaining_ms(const struct deadline *);
int	deadline_sleep(const struct deadline *, int);
int	deadline_connect(int, const struct sockaddr *, socklen_t,
	    const struct deadline *);
int	deadline_open(const char *, int, const struct deadline *);

/* The most iovecs deadline_send_all takes. */
#define DEADLINE_IOV_MAX	3

struct fdp_ancil;

int	deadline_send_all(int, const struct iovec *, size_t,
	    const struct fdp_ancil *, size_t, const struct deadline *);

#endif
