/* How many descriptors this process can still open (RLIMIT_NOFILE). */
#ifndef FDPASS_FDS_FREE_H
#define FDPASS_FDS_FREE_H

#include <stddef.h>

size_t	fds_free(void);
int	fds_promise(size_t);
void	fds_unpromise(size_t);

#endif
