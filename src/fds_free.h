/* How many descriptors this process can still open (RLIMIT_NOFILE). */
#ifndef FDPASS_FDS_FREE_H
#define FDPASS_FDS_FREE_H

#include <stddef.h>

/* How often one waits for numbers promised to others, in ms. */
#define FDS_PROMISE_RETRY_MS	10

size_t	fds_free(void);
void	fds_promise_leave(size_t);
int	fds_promise(size_t);
void	fds_unpromise(size_t);

#endif
