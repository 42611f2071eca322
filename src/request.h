/*
 * Requests to a holder (fdpass hold): a header with WIRE_FETCH or
 * WIRE_REMOVE and no descriptors, whose data is the names asked for, each
 * ended by a NUL byte.  A fetch is answered with a transfer, a removal
 * with a reply; anything but a holder declines either with
 * WIRE_NOT_HOLDER.
 */
#ifndef FDPASS_REQUEST_H
#define FDPASS_REQUEST_H

#include <stddef.h>

#include "deadline.h"
#include "transfer.h"

/* The most bytes of names a request may carry. */
#define REQUEST_MAX	65536

int	request_send(int, int, char *const *, size_t, const struct deadline *);
int	request_declined(int, const struct deadline *, struct outcome *);
int	request_names(struct receiver *, char ***, size_t *);

#endif
